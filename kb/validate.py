"""Run SHACL shapes over the published graph and return a ``Report``.

The engine is a parameter: ``pyshacl`` (the reference, inference off, SHACL-SPARQL on) is
the only one so far; a faster engine over the pyoxigraph store plugs into ``ENGINES``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.errors import InputError
from kb.published import published_store
from kb.resources import Layout
from kb.store import load_files
from kb.terms import nt_iri, nt_literal

if TYPE_CHECKING:
    import pyoxigraph
    import rdflib

SH = "http://www.w3.org/ns/shacl#"
SEVERITIES = ("Violation", "Warning", "Info")


@dataclass(frozen=True, order=True)
class Result:
    """One validation result; every term in N-Triples form, the path as a SPARQL path."""

    shape: str
    focus: str
    path: str | None
    value: str | None
    severity: str
    component: str
    message: str

    def as_dict(self) -> dict[str, str | None]:
        keys = ("focus", "path", "value", "severity", "shape", "component", "message")
        return {k: getattr(self, k) for k in keys}


@dataclass
class Report:
    """What a validation found: SHACL conformance, counts by severity, every result."""

    conforms: bool
    counts: dict[str, int]
    results: list[Result]
    #: the sh:ValidationReport graph as N-Triples (for ``--format turtle``)
    report_ntriples: bytes = field(default=b"", repr=False)

    @property
    def violations(self) -> int:
        return self.counts.get("Violation", 0)

    def exit_code(self, strict: bool = False) -> int:
        """1 when the data falls short (violations; any result with ``strict``), else 0."""
        if self.violations or (strict and self.results):
            return 1
        return 0

    def as_json(self) -> dict[str, Any]:
        return {
            "conforms": self.conforms,
            "counts": dict(self.counts),
            "results": [r.as_dict() for r in self.results],
        }


class ShapesRefused(InputError):
    """The engine cannot use the shapes (malformed constraint, SERVICE in SHACL-SPARQL)."""


Engine = Callable[["pyoxigraph.Store", "pyoxigraph.Store"], Report]


def validate(
    layout: Layout,
    data_files: Sequence[str | Path] | None = None,
    shapes: str | Path | None = None,
    engine: str = "pyshacl",
) -> Report:
    """Validate the published graph (the layout's data, or exactly ``data_files``)."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    shapes_path = Path(shapes) if shapes else layout.require().shapes
    shapes_store = load_files([shapes_path])
    data = published_store(layout, data_files)
    try:
        return ENGINES[engine](data, shapes_store)
    except ShapesRefused as exc:
        raise InputError.at(shapes_path, None, str(exc)) from None


def validate_store(
    data: pyoxigraph.Store, shapes: pyoxigraph.Store, engine: str = "pyshacl"
) -> Report:
    """Validate an already built data store against a shapes store."""
    return ENGINES[engine](data, shapes)


def _pyshacl(data: pyoxigraph.Store, shapes: pyoxigraph.Store) -> Report:
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError

    from kb.published import to_rdflib

    quiet = logging.getLogger("pyshacl-validate")  # else it logs each error to stderr too
    was_disabled, quiet.disabled = quiet.disabled, True
    try:
        conforms, report_graph, _ = pyshacl.validate(
            to_rdflib(data),
            shacl_graph=to_rdflib(shapes),
            inference="none",
            advanced=True,
            abort_on_first=False,
            allow_warnings=False,
            do_owl_imports=False,
        )
    except ReportableRuntimeError as exc:
        raise ShapesRefused(f"pySHACL cannot use these shapes: {exc.message}") from None
    finally:
        quiet.disabled = was_disabled
    if isinstance(report_graph, ReportableRuntimeError):  # e.g. SERVICE in a constraint
        raise ShapesRefused(f"pySHACL cannot use these shapes: {report_graph.message}")
    return _report_from_graph(bool(conforms), report_graph)


ENGINES: dict[str, Engine] = {"pyshacl": _pyshacl}


def _report_from_graph(conforms: bool, graph: rdflib.Graph) -> Report:
    from rdflib import RDF, URIRef

    results = sorted(
        _result(graph, node) for node in graph.subjects(RDF.type, URIRef(SH + "ValidationResult"))
    )
    counts = Counter({s: 0 for s in SEVERITIES})
    counts.update(r.severity for r in results)
    nt = graph.serialize(format="nt", encoding="utf-8")
    return Report(conforms, dict(counts), results, nt)


def _result(graph: rdflib.Graph, node: rdflib.term.Node) -> Result:
    def one(name: str) -> Any:
        values = sorted(graph.objects(node, _sh(name)))
        return values[0] if values else None

    path = one("resultPath")
    value = one("value")
    severity = one("resultSeverity")
    messages = sorted(str(m) for m in graph.objects(node, _sh("resultMessage")))
    return Result(
        shape=nt_term(one("sourceShape")),
        focus=nt_term(one("focusNode")),
        path=sparql_path(graph, path) if path is not None else None,
        value=nt_term(value) if value is not None else None,
        severity=str(severity).rpartition("#")[2] if severity is not None else "Violation",
        component=nt_term(one("sourceConstraintComponent")),
        message=messages[0] if messages else "",
    )


def _sh(name: str) -> rdflib.URIRef:
    from rdflib import URIRef

    return URIRef(SH + name)


def nt_term(term: rdflib.term.Node | None) -> str:
    """An rdflib term in N-Triples form (single-line, escaped)."""
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return nt_iri(str(term))
    if isinstance(term, Literal):
        datatype = str(term.datatype) if term.datatype else None
        return nt_literal(str(term), term.language, datatype)
    if isinstance(term, BNode):
        return f"_:{term}"
    return ""


def sparql_path(graph: rdflib.Graph, path: rdflib.term.Node) -> str:
    """A SHACL property path (sh:inversePath, lists, ...) as a SPARQL property path."""
    from rdflib import BNode, URIRef
    from rdflib.collection import Collection

    if isinstance(path, URIRef):
        return nt_iri(str(path))
    if not isinstance(path, BNode):
        return nt_term(path)
    unary = {"inversePath": "^{}", "zeroOrMorePath": "{}*", "oneOrMorePath": "{}+"}
    unary["zeroOrOnePath"] = "{}?"
    for name, pattern in unary.items():
        inner = graph.value(path, _sh(name))
        if inner is not None:
            return pattern.format(_grouped(graph, inner))
    alternatives = graph.value(path, _sh("alternativePath"))
    if alternatives is not None:
        return "(" + "|".join(sparql_path(graph, p) for p in Collection(graph, alternatives)) + ")"
    return "/".join(_grouped(graph, p) for p in Collection(graph, path))


def _grouped(graph: rdflib.Graph, path: rdflib.term.Node) -> str:
    text = sparql_path(graph, path)
    return text if text.startswith(("<", "(")) else f"({text})"
