"""A fast SHACL engine: SHACL Core and SHACL-SPARQL constraints compiled into SPARQL and
evaluated by pyoxigraph, with pySHACL (the reference engine) taking any shape it does not
support.

    >>> report = validate_store(data_store, shapes_store)   # doctest: +SKIP
    >>> report.conforms, len(report.results), report.unsupported  # doctest: +SKIP
"""

from __future__ import annotations

from kb.shacl.compiler import SUPPORTED_COMPONENTS
from kb.shacl.engine import Report, Result, UnsupportedShape, validate_store
from kb.shacl.model import ShapesFailure

__all__ = [
    "SUPPORTED_COMPONENTS",
    "Report",
    "Result",
    "ShapesFailure",
    "UnsupportedShape",
    "validate_store",
]
