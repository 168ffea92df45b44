"""The one validation report model: what both engines (the fast one and pySHACL) fill and
every output format reads, and the ``sh:ValidationReport`` graph read from or written
to RDF (https://www.w3.org/TR/shacl/#validation-report)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import pyoxigraph as ox

from kb.shacl.graph import RDF_TYPE, Term, TripleIndex, sh
from kb.shacl.paths import sparql_path
from kb.terms import nt

SEVERITIES = ("Violation", "Warning", "Info")


@dataclass(frozen=True)
class Result:
    """One validation result. Terms are pyoxigraph terms (``str()`` gives N-Triples);
    ``path`` is a SPARQL property path with IRIs in ``<>`` form, or None."""

    focus: Term
    path: str | None
    value: Term | None
    severity: ox.NamedNode
    shape: Term
    component: ox.NamedNode
    message: str = ""
    #: the sh:sparql constraint a SHACL-SPARQL result comes from (sh:sourceConstraint)
    source: Term | None = field(default=None, compare=False)

    def key(self) -> tuple[str, str, str, str, str, str]:
        """The 6-tuple reports are compared on, as N-Triples strings ('' when absent)."""
        return (
            str(self.focus),
            self.path or "",
            "" if self.value is None else str(self.value),
            str(self.severity),
            str(self.shape),
            str(self.component),
        )

    @property
    def severity_name(self) -> str:
        """The severity's local name: Violation, Warning, Info (or a custom one)."""
        return self.severity.value.rpartition("#")[2]

    def as_dict(self) -> dict[str, str | None]:
        """The result as text: terms in N-Triples form, the severity by its local name."""
        return {
            "focus": nt(self.focus),
            "path": self.path,
            "value": nt(self.value) if self.value is not None else None,
            "severity": self.severity_name,
            "shape": nt(self.shape),
            "component": nt(self.component),
            "message": self.message,
        }

    def order(self) -> tuple[str, ...]:
        """The order reports are shown in: by shape, focus node, path, value, severity,
        component, message (as text; absent sorts first)."""
        row = self.as_dict()
        keys = ("shape", "focus", "path", "value", "severity", "component", "message")
        return tuple(row[k] or "" for k in keys)


@dataclass(frozen=True)
class UnsupportedShape:
    """A targeted shape the fast engine did not run itself, and why: handed to pySHACL
    (``Report.unsupported``), or, on a server, not checked (``Report.not_checked``)."""

    shape: Term
    reason: str


@dataclass
class Report:
    """A validation report: conforms as SHACL defines it (no result of any severity)."""

    conforms: bool
    results: list[Result] = field(default_factory=list)
    #: shapes the fast engine does not compile (validated by pySHACL instead)
    unsupported: list[UnsupportedShape] = field(default_factory=list)
    engine: str = "fast"
    #: shapes nobody checked (a server run cannot hand shapes to pySHACL): their results
    #: are unknown, so such a report is partial
    not_checked: list[UnsupportedShape] = field(default_factory=list)
    #: the sh:ValidationReport graph as N-Triples (for ``--format turtle``), when built
    report_ntriples: bytes = field(default=b"", repr=False)

    @property
    def counts(self) -> dict[str, int]:
        """Results by severity name (Violation, Warning and Info always present)."""
        counts = Counter({s: 0 for s in SEVERITIES})
        counts.update(r.severity_name for r in self.results)
        return dict(counts)

    @property
    def violations(self) -> int:
        return self.counts.get("Violation", 0)

    def exit_code(self, strict: bool = False) -> int:
        """1 when the data falls short (violations; any result with ``strict``), else 0."""
        if self.violations or (strict and self.results):
            return 1
        return 0

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "conforms": self.conforms,
            "counts": self.counts,
            "results": [r.as_dict() for r in self.results],
        }
        if self.not_checked:
            found["not_checked"] = [
                {"shape": nt(u.shape), "reason": u.reason} for u in self.not_checked
            ]
        return found

    def adding(self, others: list[Result]) -> Report:
        """This report with ``others`` added (a result already found is kept once), in
        ``Result.key`` order."""
        found = {r.key(): r for r in self.results}
        for result in others:
            found.setdefault(result.key(), result)
        ordered = sorted(found.values(), key=Result.key)
        return replace(self, conforms=not ordered, results=ordered)

    def in_display_order(self) -> Report:
        """This report with its results in ``Result.order``."""
        return replace(self, results=sorted(self.results, key=Result.order))


def report_results(report: Any, report_node: Term | None = None) -> list[Result]:
    """The results of an ``sh:ValidationReport`` graph (rdflib or TripleIndex): those of
    ``report_node`` when given, else every sh:ValidationResult."""
    index = TripleIndex.from_any(report)
    if report_node is not None:
        nodes = index.objects(report_node, sh("result"))
    else:
        nodes = index.subjects(RDF_TYPE, sh("ValidationResult"))
    results = []
    for node in nodes:
        path = index.value(node, sh("resultPath"))
        found = index.objects(node, sh("resultMessage"))
        messages = [m for m in found if isinstance(m, ox.Literal)]
        message = min(messages, key=_message_order) if messages else None
        results.append(
            Result(
                focus=index.value(node, sh("focusNode")),  # type: ignore[arg-type]
                path=sparql_path(index, path) if path is not None else None,
                value=index.value(node, sh("value")),
                severity=index.value(node, sh("resultSeverity")),  # type: ignore[arg-type]
                shape=index.value(node, sh("sourceShape")),  # type: ignore[arg-type]
                component=index.value(node, sh("sourceConstraintComponent")),  # type: ignore[arg-type]
                message=message.value if message is not None else "",
                source=index.value(node, sh("sourceConstraint")),
            )
        )
    return results


def _message_order(message: ox.Literal) -> tuple[bool, str]:
    """English (or untagged) messages first, then by text: the engine's own choice."""
    return (message.language not in (None, "en"), message.value)


def report_ntriples(report: Report, shapes: ox.Store) -> bytes:
    """The sh:ValidationReport graph of ``report``, as pySHACL writes one: the result
    path as its SHACL structure, the shape's (or constraint's) sh:message."""
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
            triples += _path_triples(index, r, result.shape, result.path)
        own = [m for m in index.objects(result.source or result.shape, sh("message"))]
        if result.source is not None or not own:  # SPARQL messages are templates: filled
            language = own[0].language if own else None
            own = [ox.Literal(result.message, language=language or None)]
        triples += [ox.Triple(r, sh("resultMessage"), message) for message in own]
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


def _path_triples(index: TripleIndex, subject: Term, shape: Term, path: str) -> list[ox.Triple]:
    """sh:resultPath of a result: a copy of its shape's sh:path structure, or an IRI."""
    path_node = index.value(shape, sh("path"))
    if path_node is None or sparql_path(index, path_node) != path:
        if path.startswith("<") and path.endswith(">"):
            return [ox.Triple(subject, sh("resultPath"), ox.NamedNode(path[1:-1]))]
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
