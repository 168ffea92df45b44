"""Run SHACL shapes over the published graph and return a ``Report``.

Two engines: ``fast`` (the default: ``kb.shacl``, shapes compiled into SPARQL run by
pyoxigraph; any shape it does not support is validated by pySHACL and listed in
``Report.unsupported``) and ``pyshacl`` (the reference engine, inference off, SHACL-SPARQL
on). Both give the same ``Report``: terms in N-Triples form, paths rendered by
``kb.shacl.paths.sparql_path``, results in the same order.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.errors import InputError
from kb.published import published_store
from kb.resources import Layout
from kb.store import Progress, load_files
from kb.terms import nt_iri, nt_literal

if TYPE_CHECKING:
    import pyoxigraph
    import rdflib

SH = "http://www.w3.org/ns/shacl#"
SEVERITIES = ("Violation", "Warning", "Info")
DEFAULT_ENGINE = "fast"


@dataclass(frozen=True)
class Result:
    """One validation result; every term in N-Triples form, the path as a SPARQL path."""

    shape: str
    focus: str
    path: str | None
    value: str | None
    severity: str
    component: str
    message: str

    def order(self) -> tuple[str, ...]:
        """The report order: by shape, focus node, path, value, ... (absent sorts first)."""
        return tuple(getattr(self, k) or "" for k in self.__dataclass_fields__)

    def as_dict(self) -> dict[str, str | None]:
        keys = ("focus", "path", "value", "severity", "shape", "component", "message")
        return {k: getattr(self, k) for k in keys}


@dataclass(frozen=True)
class Unsupported:
    """A shape the fast engine handed to pySHACL (N-Triples form), and why."""

    shape: str
    reason: str


@dataclass
class Report:
    """What a validation found: SHACL conformance, counts by severity, every result."""

    conforms: bool
    counts: dict[str, int]
    results: list[Result]
    #: the sh:ValidationReport graph as N-Triples (for ``--format turtle``)
    report_ntriples: bytes = field(default=b"", repr=False)
    #: shapes the fast engine does not support (validated by pySHACL instead)
    unsupported: list[Unsupported] = field(default_factory=list)
    engine: str = DEFAULT_ENGINE

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
    """The engine cannot use the shapes (malformed constraint, SERVICE in SHACL-SPARQL);
    ``near`` is text of the shapes file to find the line of the fault by."""

    def __init__(self, message: str, near: str | None = None) -> None:
        super().__init__(message)
        self.near = near


Engine = Callable[["pyoxigraph.Store", "pyoxigraph.Store"], Report]


def validate(
    layout: Layout,
    data_files: Sequence[str | Path] | None = None,
    shapes: str | Path | None = None,
    engine: str = DEFAULT_ENGINE,
    loading: Progress | None = None,
    validating: Progress | None = None,
    timeout: float | None = None,
) -> Report:
    """Validate the published graph (the layout's data, or exactly ``data_files``).

    ``loading(bytes_done, bytes_total)`` hears how far a large data file has been loaded;
    ``validating(shapes_done, shapes_total)`` how far the fast engine has got. With a
    ``timeout``, loading, inference and validation run in a worker process bounded as
    ``kb query``'s (``kb.worker``: TimeLimitError past the time or the memory allowed)."""
    from kb.worker import run_bounded

    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    shapes_path = Path(shapes) if shapes else layout.require().shapes
    job = (layout, data_files, shapes_path, engine, loading, validating)
    return run_bounded(_validate, job, timeout, "validation")


def _validate(
    layout: Layout,
    data_files: Sequence[str | Path] | None,
    shapes_path: Path,
    engine: str,
    loading: Progress | None,
    validating: Progress | None,
) -> Report:
    shapes_store = load_files([shapes_path])
    try:
        _refuse_service(shapes_store)
        data = published_store(layout, data_files, loading)
        with _engine_refusals():
            if engine == "fast":
                return _fast(data, shapes_store, validating)
            return ENGINES[engine](data, shapes_store)
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
    """What pySHACL raises on shapes it cannot use, as ShapesRefused (one line, exit 2):
    a SHACL-SPARQL syntax error (pyparsing), $shapesGraph (NotImplementedError)."""
    from pyparsing.exceptions import ParseBaseException

    try:
        yield
    except NotImplementedError as exc:
        near = "shapesGraph" if "shapesGraph" in str(exc) else None
        raise ShapesRefused(f"pySHACL cannot use these shapes: {exc}", near) from None
    except ParseBaseException as exc:
        message = f"SPARQL syntax error in a SHACL-SPARQL constraint: {exc}"
        raise ShapesRefused(message, exc.line.strip()) from None


def validate_store(
    data: pyoxigraph.Store, shapes: pyoxigraph.Store, engine: str = DEFAULT_ENGINE
) -> Report:
    """Validate an already built data store against a shapes store."""
    _refuse_service(shapes)
    return ENGINES[engine](data, shapes)


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
    data: pyoxigraph.Store, shapes: pyoxigraph.Store, progress: Progress | None = None
) -> Report:
    """kb.shacl: shapes compiled into SPARQL; pySHACL for the shapes it does not support."""
    from kb.shacl import ShapesFailure
    from kb.shacl import validate_store as fast_validate

    try:
        report = fast_validate(data, shapes, fallback=True, progress=progress)
    except ShapesFailure as exc:
        near = getattr(exc, "near", None)
        raise ShapesRefused(f"the shapes are not valid SHACL: {exc}", near) from None
    results = sorted((_from_fast(r) for r in report.results), key=Result.order)
    unsupported = [Unsupported(_nt(u.shape), u.reason) for u in report.unsupported]
    counts = Counter({s: 0 for s in SEVERITIES})
    counts.update(r.severity for r in results)
    nt = _fast_report_ntriples(report, shapes)
    return Report(report.conforms, dict(counts), results, nt, unsupported, "fast")


def _nt(term: Any) -> str:
    """A pyoxigraph term in the N-Triples form of ``nt_term`` (same text as pySHACL's)."""
    import pyoxigraph

    if isinstance(term, pyoxigraph.NamedNode):
        return nt_iri(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, pyoxigraph.Literal):
        return nt_literal(term.value, term.language, term.datatype.value)
    return ""


def _from_fast(result: Any) -> Result:
    return Result(
        shape=_nt(result.shape),
        focus=_nt(result.focus),
        path=result.path,
        value=_nt(result.value) if result.value is not None else None,
        severity=result.severity.value.rpartition("#")[2],
        component=_nt(result.component),
        message=result.message,
    )


def _fast_report_ntriples(report: Any, shapes: pyoxigraph.Store) -> bytes:
    """The sh:ValidationReport graph of a fast-engine report, as pySHACL writes one: the
    result path as its SHACL structure, the shape's (or constraint's) sh:message."""
    import pyoxigraph as ox

    from kb.shacl.graph import RDF_TYPE, TripleIndex, sh

    index = TripleIndex.from_store(shapes)
    triples: list[ox.Triple] = []
    node = ox.BlankNode()
    boolean = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
    triples.append(ox.Triple(node, RDF_TYPE, sh("ValidationReport")))
    conforms = ox.Literal("true" if report.conforms else "false", datatype=boolean)
    triples.append(ox.Triple(node, sh("conforms"), conforms))
    for result in report.results:
        r = ox.BlankNode()
        triples += [
            ox.Triple(node, sh("result"), r),
            ox.Triple(r, RDF_TYPE, sh("ValidationResult")),
            ox.Triple(r, sh("focusNode"), result.focus),
            ox.Triple(r, sh("resultSeverity"), result.severity),
            ox.Triple(r, sh("sourceShape"), result.shape),
            ox.Triple(r, sh("sourceConstraintComponent"), result.component),
        ]
        if result.value is not None:
            triples.append(ox.Triple(r, sh("value"), result.value))
        if result.source is not None:
            triples.append(ox.Triple(r, sh("sourceConstraint"), result.source))
        if result.path is not None:
            triples += _path_triples(index, r, result)
        own = [m for m in index.objects(result.source or result.shape, sh("message"))]
        if result.source is not None or not own:  # SPARQL messages are templates: filled
            language = own[0].language if own else None
            own = [ox.Literal(result.message, language=language or None)]
        triples += [ox.Triple(r, sh("resultMessage"), message) for message in own]
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


def _path_triples(index: Any, subject: Any, result: Any) -> list[Any]:
    """sh:resultPath of ``result``: a copy of its shape's sh:path structure, or an IRI."""
    import pyoxigraph as ox

    from kb.shacl.graph import sh
    from kb.shacl.paths import sparql_path

    path_node = index.value(result.shape, sh("path"))
    if path_node is None or sparql_path(index, path_node) != result.path:
        if result.path.startswith("<") and result.path.endswith(">"):
            return [ox.Triple(subject, sh("resultPath"), ox.NamedNode(result.path[1:-1]))]
        return []
    triples = [ox.Triple(subject, sh("resultPath"), path_node)]
    todo, seen = [path_node], set()
    while todo:
        current = todo.pop()
        if not isinstance(current, ox.BlankNode) or current in seen:
            continue
        seen.add(current)
        for predicate in index.predicates(current):
            for value in index.objects(current, predicate):
                triples.append(ox.Triple(current, predicate, value))
                todo.append(value)
    return triples


def _pyshacl(data: pyoxigraph.Store, shapes: pyoxigraph.Store) -> Report:
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError

    from kb.published import to_rdflib
    from kb.shacl.fallback import cached_sparql_parsing

    quiet = logging.getLogger("pyshacl-validate")  # else it logs each error to stderr too
    was_disabled, quiet.disabled = quiet.disabled, True
    try:
        with cached_sparql_parsing():
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


ENGINES: dict[str, Engine] = {"fast": _fast, "pyshacl": _pyshacl}


def _report_from_graph(conforms: bool, graph: rdflib.Graph) -> Report:
    from kb.shacl.fallback import report_results

    results = sorted((_from_fast(r) for r in report_results(graph)), key=Result.order)
    counts = Counter({s: 0 for s in SEVERITIES})
    counts.update(r.severity for r in results)
    nt = graph.serialize(format="nt", encoding="utf-8")
    return Report(conforms, dict(counts), results, nt, engine="pyshacl")


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
    """A SHACL property path of an rdflib graph as a SPARQL property path, in the one
    rendering every report uses (``kb.shacl.paths.sparql_path``)."""
    from kb.shacl.graph import TripleIndex, from_rdflib_term
    from kb.shacl.paths import sparql_path as render

    triples, todo, seen = [], [path], set()
    while todo:  # the path's own triples: its blank nodes and lists
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in graph.predicate_objects(node):
            triples.append((node, p, o))
            todo.append(o)
    index = TripleIndex.from_rdflib(triples)
    return render(index, from_rdflib_term(path))
