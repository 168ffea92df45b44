"""Run compiled shapes over a pyoxigraph store and collect a validation report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kb.shacl.checks import Emit, Query
from kb.shacl.compiler import Compiler
from kb.shacl.graph import Term, TripleIndex
from kb.shacl.model import ShapesGraph, Unsupported
from kb.shacl.sparql import fill_message


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


@dataclass(frozen=True)
class UnsupportedShape:
    """A targeted shape the fast engine handed to pySHACL, and why."""

    shape: Term
    reason: str


@dataclass
class Report:
    """A validation report: conforms as SHACL defines it (no result of any severity)."""

    conforms: bool
    results: list[Result] = field(default_factory=list)
    unsupported: list[UnsupportedShape] = field(default_factory=list)
    engine: str = "fast"


def plan(shapes: ShapesGraph) -> tuple[list[Query], list[UnsupportedShape]]:
    """The queries for every targeted shape the engine supports, and the ones it does not."""
    compiler = Compiler(shapes)
    queries: list[Query] = []
    unsupported: list[UnsupportedShape] = []
    for node in shapes.targeted_shapes():
        try:
            queries += compiler.queries(node)
        except Unsupported as exc:
            unsupported.append(UnsupportedShape(node, str(exc)))
    return queries, unsupported


def run_query(data: ox.Store, query: Query) -> Iterable[Result]:
    """Evaluate ``query`` on ``data`` and turn its rows into results."""
    for row in _rows(data, query):
        for emit in query.emits:
            if emit.flag is not None and _is_true(row[emit.flag]):
                continue
            yield _result(query, emit, row)


def _rows(data: ox.Store, query: Query) -> Iterable[dict[str, Any]]:
    """The rows of ``query``: one evaluation, or one per focus node with ``?this`` bound."""
    if query.per_focus is None:
        yield from _solutions(data.query(query.text))
        return
    this = ox.Variable("this")
    for focus in [s["this"] for s in data.query(query.per_focus)]:
        for row in _solutions(data.query(query.text, substitutions={this: focus})):
            row["this"] = focus
            yield row


def _solutions(solutions: Any) -> Iterable[dict[str, Any]]:
    names = [v.value for v in solutions.variables]
    for solution in solutions:
        yield {name: solution[name] for name in names}


def _is_true(term: Term | None) -> bool:
    return isinstance(term, ox.Literal) and term.value == "true"


def _result(query: Query, emit: Emit, row: dict[str, Any]) -> Result:
    focus = row["this"]
    value = _value(emit.value, row, focus)
    path = query.shape.path
    if emit.path is not None and isinstance(row.get(emit.path), ox.NamedNode):
        path = str(row[emit.path])
    return Result(
        focus=focus,
        path=path,
        value=value,
        severity=query.shape.severity,
        shape=query.shape.node,
        component=emit.component,
        message=_message(emit, row),
        source=emit.source,
    )


def _value(spec: str | None, row: dict[str, Any], focus: Term) -> Term | None:
    """The sh:value of a row: a variable, the focus node, or either ("value|focus")."""
    if spec is None:
        return None
    for name in spec.split("|"):
        if name == "focus":
            return focus
        if row.get(name) is not None:
            return row[name]
    return None


def _message(emit: Emit, row: dict[str, Any]) -> str:
    """The shape's (or SPARQL constraint's) sh:message, else the engine's own text."""
    if not emit.messages:
        return emit.message
    chosen = sorted(emit.messages, key=lambda m: (m.language not in (None, "en"), m.value))[0]
    return fill_message(chosen.value, row)


def validate_store(data: ox.Store, shapes: Any, *, fallback: bool = True) -> Report:
    """Validate the default graph of ``data`` against ``shapes`` (a pyoxigraph store, an
    rdflib graph or a TripleIndex). Shapes the engine does not support are validated by
    pySHACL when ``fallback`` is true, and listed in ``Report.unsupported`` either way."""
    shapes_graph = ShapesGraph(TripleIndex.from_any(shapes))
    queries, unsupported = plan(shapes_graph)
    results: dict[tuple[str, ...], Result] = {}
    for query in queries:
        for result in run_query(data, query):
            results.setdefault(result.key(), result)
    if unsupported and fallback:
        from kb.shacl.fallback import pyshacl_results

        for result in pyshacl_results(data, shapes, {u.shape for u in unsupported}):
            results.setdefault(result.key(), result)
    ordered = sorted(results.values(), key=Result.key)
    return Report(conforms=not ordered, results=ordered, unsupported=unsupported)
