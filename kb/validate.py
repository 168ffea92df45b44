"""Run SHACL shapes over the published graph and return a ``Report``.

Two engines: ``fast`` (the default: ``kb.shacl``, shapes compiled into SPARQL run by
pyoxigraph; any shape it does not compile is validated by pySHACL and listed in
``Report.unsupported``) and ``pyshacl`` (the reference engine, inference off, SHACL-SPARQL
on). Both fill the one report model (``kb.shacl.report``); this module chooses the engine
and puts the results in the order every output format shows them.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import InputError
from kb.profile import Profile, maybe_phase
from kb.published import Unclosed, published_store, published_unclosed
from kb.resources import Layout
from kb.shacl.report import SEVERITIES, Report, Result, UnsupportedShape
from kb.store import Progress, load_files

if TYPE_CHECKING:
    import pyoxigraph

    from kb.shacl.engine import Source

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "SEVERITIES",
    "Report",
    "Result",
    "ShapesRefused",
    "UnsupportedShape",
    "validate",
    "validate_endpoint",
    "validate_store",
]

DEFAULT_ENGINE = "fast"


class ShapesRefused(InputError):
    """The engine cannot use the shapes (malformed constraint, SERVICE in SHACL-SPARQL);
    ``near`` is text of the shapes file to find the line of the fault by."""

    def __init__(self, message: str, near: str | None = None) -> None:
        super().__init__(message)
        self.near = near


Engine = Callable[["pyoxigraph.Store", "pyoxigraph.Store", Progress | None, Profile | None], Report]


def validate(
    layout: Layout,
    data_files: Sequence[str | Path] | None = None,
    shapes: str | Path | None = None,
    engine: str = DEFAULT_ENGINE,
    loading: Progress | None = None,
    validating: Progress | None = None,
    timeout: float | None = None,
    profile: Profile | None = None,
) -> Report:
    """Validate the published graph (the layout's data, or exactly ``data_files``).

    ``loading(bytes_done, bytes_total)`` hears how far a large data file has been loaded;
    ``validating(shapes_done, shapes_total)`` how far the fast engine has got. With a
    ``timeout``, loading, inference and validation run in a worker process bounded as
    ``kb query``'s (``kb.worker``: TimeLimitError past the time or the memory allowed).
    ``profile`` records the time of each step and of each compiled query."""
    from kb.worker import run_bounded

    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    shapes_path = Path(shapes) if shapes else layout.require().shapes
    job = (layout, data_files, shapes_path, engine, loading, validating, profile is not None)
    report, timed = run_bounded(_validate, job, timeout, "validation")
    if profile is not None and timed is not None:  # filled in the worker: copied back
        profile.phases += timed.phases
        profile.queries += timed.queries
    return report


def _validate(
    layout: Layout,
    data_files: Sequence[str | Path] | None,
    shapes_path: Path,
    engine: str,
    loading: Progress | None,
    validating: Progress | None,
    profiling: bool = False,
) -> tuple[Report, Profile | None]:
    """The report, and the profile of the run when ``profiling`` (it may run in a worker
    process, so the profile travels back with the report)."""
    profile = Profile() if profiling else None
    with maybe_phase(profile, "parse the shapes"):
        shapes_store = load_files([shapes_path])
    try:
        _refuse_service(shapes_store)
        if engine == "fast":  # the engine adds the closure, beside the shapes it cannot change
            unclosed = published_unclosed(layout, data_files, loading, profile)
            data, run = unclosed.store, functools.partial(_fast, unclosed=unclosed)
        else:
            data, run = published_store(layout, data_files, loading, profile), ENGINES[engine]
        with _engine_refusals():
            return run(data, shapes_store, validating, profile), profile
    except ShapesRefused as exc:
        raise InputError.at(shapes_path, _line_of(shapes_path, exc.near), str(exc)) from None


def _line_of(path: Path, near: str | None) -> int | None:
    """The number of the first line of ``path`` holding ``near`` (None if none does)."""
    if not near:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    # the literal's text as written may hold escapes: else its longest unescaped piece
    pieces = sorted(re.split(r'["\\\n\r]', near), key=len, reverse=True)
    for needle in (near, pieces[0]):
        at = text.find(needle) if len(needle) >= 4 else -1
        if at >= 0:
            return text.count("\n", 0, at) + 1
    return None


@contextlib.contextmanager
def _engine_refusals() -> Iterator[None]:
    """What the engines raise on shapes they cannot use, as ShapesRefused (one line, exit
    2): a SHACL-SPARQL syntax error (pyparsing), $shapesGraph (NotImplementedError),
    shapes nested past Python's recursion limit (RecursionError)."""
    try:
        yield
    except NotImplementedError as exc:
        near = "shapesGraph" if "shapesGraph" in str(exc) else None
        raise ShapesRefused(f"pySHACL cannot use these shapes: {exc}", near) from None
    except RecursionError:  # (either engine reads shapes within shapes recursively)
        message = "the shapes nest too deep to validate (shapes within shapes, lists, paths)"
        raise ShapesRefused(message, None) from None
    except Exception as exc:
        if not _is_parse_error(exc):
            raise
        message = f"SPARQL syntax error in a SHACL-SPARQL constraint: {exc}"
        raise ShapesRefused(message, exc.line.strip()) from None


def _is_parse_error(exc: Exception) -> bool:
    """Whether ``exc`` is pyparsing's (rdflib's SPARQL parser). pyparsing is looked up,
    not imported: only a parser already imported can have raised it, and importing it
    costs the fast engine 40 ms it otherwise never spends."""
    exceptions = sys.modules.get("pyparsing.exceptions")
    return exceptions is not None and isinstance(exc, exceptions.ParseBaseException)


def validate_endpoint(
    layout: Layout,
    source: Source,
    shapes: str | Path | None = None,
    validating: Progress | None = None,
) -> Report:
    """Validate a graph on a SPARQL server (``source``, e.g.
    ``kb.remote.validation.EndpointSource``): the fast engine's queries run there, only
    results come back. Shapes it cannot run there are in ``Report.not_checked``."""
    from kb.shacl import ShapesFailure, report_ntriples, validate_source

    shapes_path = Path(shapes) if shapes else layout.require().shapes
    shapes_store = load_files([shapes_path])
    try:
        _refuse_service(shapes_store)  # before anything is sent
        report = validate_source(source, shapes_store, progress=validating)
    except ShapesRefused as exc:
        raise InputError.at(shapes_path, _line_of(shapes_path, exc.near), str(exc)) from None
    except ShapesFailure as exc:
        message = f"the shapes are not valid SHACL: {exc}"
        raise InputError.at(shapes_path, None, message) from None
    graph = report_ntriples(report, shapes_store)
    return replace(report, report_ntriples=graph, engine="server").in_display_order()


def validate_store(
    data: pyoxigraph.Store, shapes: pyoxigraph.Store, engine: str = DEFAULT_ENGINE
) -> Report:
    """Validate an already built data store against a shapes store."""
    _refuse_service(shapes)
    return ENGINES[engine](data, shapes, None, None)


def _refuse_service(shapes: pyoxigraph.Store) -> None:
    """ShapesRefused when SPARQL in the shapes may hold SERVICE (whichever engine runs)."""
    from kb.shacl import ShapesFailure
    from kb.shacl.sparql import refuse_service

    try:
        refuse_service(shapes)
    except ShapesFailure as exc:
        near = getattr(exc, "near", None)
        raise ShapesRefused(f"the shapes are not valid SHACL: {exc}", near) from None


def _fast(
    data: pyoxigraph.Store,
    shapes: pyoxigraph.Store,
    progress: Progress | None = None,
    profile: Profile | None = None,
    unclosed: Unclosed | None = None,
) -> Report:
    """kb.shacl: shapes compiled into SPARQL; pySHACL for the shapes it does not compile.
    With ``unclosed`` (``data`` is its store), the engine adds the closure itself."""
    from kb.shacl import Addition, Pending, ShapesFailure, report_ntriples
    from kb.shacl import validate_store as fast_validate

    timing = profile.query if profile is not None else None
    pending = None
    if unclosed is not None:
        addition = Addition(unclosed.predicates, unclosed.subclass_types)
        pending = Pending(unclosed.close, addition)
    try:
        with maybe_phase(profile, "engine: compile and run every shape"):
            report = fast_validate(
                data, shapes, fallback=True, progress=progress, timing=timing, pending=pending
            )
    except ShapesFailure as exc:
        near = getattr(exc, "near", None)
        raise ShapesRefused(f"the shapes are not valid SHACL: {exc}", near) from None
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
