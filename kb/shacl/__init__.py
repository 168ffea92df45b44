"""A fast SHACL engine: SHACL Core and SHACL-SPARQL constraints compiled into SPARQL and
evaluated by pyoxigraph, with pySHACL (the reference engine) taking any shape it does not
support.

    >>> from kb.published import published_store
    >>> from kb.resources import default_layout
    >>> from kb.store import load_files
    >>> layout = default_layout()
    >>> report = validate_store(published_store(layout), load_files([layout.shapes]))
    >>> report.conforms, len(report.results), report.unsupported
    (True, 0, [])
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pyoxigraph as ox

from kb.shacl.components import SUPPORTED_COMPONENTS
from kb.shacl.engine import (
    WORKERS,
    CompiledShape,
    Pending,
    Source,
    StoreSource,
    Timing,
    compiled_shapes,
    validate_compiled,
)
from kb.shacl.fallback import PyshaclRefused, pyshacl_report, pyshacl_results
from kb.shacl.invariance import Addition
from kb.shacl.model import ShapesFailure
from kb.shacl.report import Report, Result, UnsupportedShape, report_ntriples, report_results

__all__ = [
    "SUPPORTED_COMPONENTS",
    "Addition",
    "CompiledShape",
    "Pending",
    "PyshaclRefused",
    "Report",
    "Result",
    "ShapesFailure",
    "Source",
    "StoreSource",
    "UnsupportedShape",
    "compiled_shapes",
    "pyshacl_report",
    "report_ntriples",
    "report_results",
    "validate_source",
    "validate_store",
]


def validate_store(
    data: ox.Store,
    shapes: Any,
    *,
    fallback: bool = True,
    progress: Callable[[int, int], None] | None = None,
    workers: int = WORKERS,
    timing: Timing | None = None,
    pending: Pending | None = None,
) -> Report:
    """Validate the default graph of ``data`` against ``shapes`` (a pyoxigraph store, an
    rdflib graph or a TripleIndex). Shapes the engine does not compile are validated by
    pySHACL when ``fallback`` is true, and listed in ``Report.unsupported`` either way.
    ``progress(done, total)`` is called after each targeted shape; ``workers`` threads
    evaluate shapes and queries side by side; ``timing`` hears the time of each compiled
    query. ``pending``: a write the data still needs (its closure), made first while the
    shapes it cannot change are being checked."""
    report = validate_compiled(
        data, shapes, progress=progress, workers=workers, timing=timing, pending=pending
    )
    if not (report.unsupported and fallback):
        return report
    started, cpu = time.perf_counter(), time.thread_time()
    results = pyshacl_results(data, shapes, {u.shape for u in report.unsupported})
    if timing is not None:
        seconds, cpu = time.perf_counter() - started, time.thread_time() - cpu
        timing("", "pySHACL for the shapes not compiled", seconds, len(results), cpu)
    return report.adding(results)


def validate_source(
    source: Source,
    shapes: Any,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int = WORKERS,
) -> Report:
    """Validate the data behind ``source`` (a SPARQL server's graph: no pySHACL, which
    needs the data here) with the shapes the engine compiles; the others are listed in
    ``Report.not_checked``, never silently left out."""
    report = validate_compiled(source, shapes, progress=progress, workers=workers)
    return replace(report, unsupported=[], not_checked=report.unsupported)
