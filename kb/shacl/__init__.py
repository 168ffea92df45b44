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
