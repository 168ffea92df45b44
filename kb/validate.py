"""Run SHACL shapes over the published graph and return a ``Report``.

Two engines: ``fast`` (the default: ``kb.shacl``, shapes compiled into SPARQL run by
pyoxigraph; any shape it does not compile is validated by pySHACL and listed in
``Report.unsupported``) and ``pyshacl`` (the reference engine, inference off, SHACL-SPARQL
on). Both fill the one report model (``kb.shacl.report``); this module chooses the engine
and puts the results in the order every output format shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import InputError
from kb.profile import Profile, maybe_phase
from kb.published import published_store
from kb.resources import Layout
from kb.shacl.report import SEVERITIES, Report, Result, UnsupportedShape
from kb.store import Progress, load_files

if TYPE_CHECKING:
    import pyoxigraph

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "SEVERITIES",
    "Report",
    "Result",
    "ShapesRefused",
    "UnsupportedShape",
    "validate",
    "validate_store",
]

DEFAULT_ENGINE = "fast"


class ShapesRefused(InputError):
    """The engine cannot use the shapes (malformed constraint, SERVICE in SHACL-SPARQL)."""


Engine = Callable[["pyoxigraph.Store", "pyoxigraph.Store", Progress | None, Profile | None], Report]


def validate(
    layout: Layout,
    data_files: Sequence[str | Path] | None = None,
    shapes: str | Path | None = None,
    engine: str = DEFAULT_ENGINE,
    loading: Progress | None = None,
    validating: Progress | None = None,
    profile: Profile | None = None,
) -> Report:
    """Validate the published graph (the layout's data, or exactly ``data_files``).

    ``loading(bytes_done, bytes_total)`` hears how far a large data file has been loaded;
    ``validating(shapes_done, shapes_total)`` how far the fast engine has got; ``profile``
    records the time of each step and of each compiled query."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    shapes_path = Path(shapes) if shapes else layout.require().shapes
    with maybe_phase(profile, "parse the shapes"):
        shapes_store = load_files([shapes_path])
    data = published_store(layout, data_files, loading, profile)
    try:
        return ENGINES[engine](data, shapes_store, validating, profile)
    except ShapesRefused as exc:
        raise InputError.at(shapes_path, None, str(exc)) from None


def validate_store(
    data: pyoxigraph.Store, shapes: pyoxigraph.Store, engine: str = DEFAULT_ENGINE
) -> Report:
    """Validate an already built data store against a shapes store."""
    return ENGINES[engine](data, shapes, None, None)


def _fast(
    data: pyoxigraph.Store,
    shapes: pyoxigraph.Store,
    progress: Progress | None = None,
    profile: Profile | None = None,
) -> Report:
    """kb.shacl: shapes compiled into SPARQL; pySHACL for the shapes it does not compile."""
    from kb.shacl import ShapesFailure, report_ntriples
    from kb.shacl import validate_store as fast_validate

    timing = profile.query if profile is not None else None
    try:
        with maybe_phase(profile, "engine: compile and run every shape"):
            report = fast_validate(data, shapes, fallback=True, progress=progress, timing=timing)
    except ShapesFailure as exc:
        raise ShapesRefused(f"the shapes are not valid SHACL: {exc}") from None
    with maybe_phase(profile, "report graph and display order"):
        graph = report_ntriples(report, shapes)
        return replace(report, report_ntriples=graph).in_display_order()


def _pyshacl(
    data: pyoxigraph.Store,
    shapes: pyoxigraph.Store,
    progress: Progress | None = None,
    profile: Profile | None = None,
) -> Report:
    """pySHACL over every shape (it reports no progress)."""
    from kb.shacl import PyshaclRefused, pyshacl_report

    try:
        with maybe_phase(profile, "pySHACL over every shape"):
            return pyshacl_report(data, shapes).in_display_order()
    except PyshaclRefused as exc:
        raise ShapesRefused(f"pySHACL cannot use these shapes: {exc}") from None


ENGINES: dict[str, Engine] = {"fast": _fast, "pyshacl": _pyshacl}
