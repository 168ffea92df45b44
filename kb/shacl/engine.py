"""Run compiled shapes over a data graph and collect a validation report.

The data is behind a ``Source``: ``StoreSource`` evaluates the compiled queries with
pyoxigraph, ``kb.remote.validation.EndpointSource`` sends the same query texts to a SPARQL
server. The engine only ever hands a Source SELECT query texts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph as ox

from kb.shacl.checks import Emit, Query
from kb.shacl.compiler import Compiler
from kb.shacl.graph import RDFS, Term, TripleIndex
from kb.shacl.model import NotCompiled, ShapesGraph, is_true
from kb.shacl.report import Report, Result, UnsupportedShape
from kb.shacl.sparql import fill_message

Row = dict[str, Any]


class Source(Protocol):
    """Where the compiled queries are evaluated: the data graph is its default graph."""

    #: whether value checks must be one query each (no boolean columns to read)
    split_checks: bool
    #: whether ``select(text, this=focus)`` pre-binds ``?this`` (SHACL pre-binding); a
    #: source without it cannot run the SPARQL constraints that need it
    prebinding: bool

    def select(self, text: str, this: Term | None = None) -> list[Row]:
        """Every row of the SELECT ``text`` (variable name -> term, None when unbound),
        with ``?this`` pre-bound to ``this`` when given."""
        ...

    def refusal(self, text: str) -> str | None:
        """Why this source cannot evaluate ``text`` correctly (None: it can)."""
        ...


class StoreSource:
    """A pyoxigraph store's default graph."""

    prebinding = True
    split_checks = False

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def select(self, text: str, this: Term | None = None) -> list[Row]:
        """Every row of ``text`` on the store (pyoxigraph substitutes ``?this``)."""
        bound = {ox.Variable("this"): this} if this is not None else None
        return list(_solutions(self.store.query(text, substitutions=bound)))

    def refusal(self, text: str) -> str | None:
        """pyoxigraph evaluates every compiled query."""
        return None


def as_source(data: ox.Store | Source) -> Source:
    """``data`` as a Source (a pyoxigraph store is wrapped)."""
    return StoreSource(data) if isinstance(data, ox.Store) else data


def _subclasses(data: Source) -> Callable[[str], list[str] | None]:
    """class -> the class and its subclasses in ``data`` (rdfs:subClassOf*), as SPARQL IRIs;
    None when one of them is a blank node (the compiled query then keeps the path)."""
    cache: dict[str, list[str] | None] = {}

    def subclasses(cls: str) -> list[str] | None:
        if cls not in cache:
            rows = data.select(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS}subClassOf>* {cls} }}")
            found = [row["c"] for row in rows]
            iris = all(isinstance(c, ox.NamedNode) for c in found)
            cache[cls] = sorted({str(c) for c in found} | {cls}) if iris else None
            if cache[cls] is not None and cls in cache[cls]:  # the class itself first
                cache[cls] = [cls] + [c for c in cache[cls] if c != cls]
        return cache[cls]

    return subclasses


def run_query(data: Source, query: Query) -> Iterable[Result]:
    """Evaluate ``query`` on ``data`` and turn its rows into results."""
    for row in _rows(data, query):
        for emit in query.emits:
            if emit.flag is not None and _passed(row[emit.flag]):
                continue
            yield _result(query, emit, row)


def _rows(data: Source, query: Query) -> Iterable[Row]:
    """The rows of ``query``: one evaluation, or one per focus node with ``?this`` bound."""
    if query.per_focus is None:
        yield from data.select(query.text)
        return
    for focus in [s["this"] for s in data.select(query.per_focus)]:
        for row in data.select(query.text, this=focus):
            row["this"] = focus
            yield row


def _solutions(solutions: Any) -> Iterable[Row]:
    names = [v.value for v in solutions.variables]
    for solution in solutions:
        yield {name: solution[name] for name in names}


def _passed(flag: Term | None) -> bool:
    """Whether a check's flag column says it passed: true (Virtuoso answers booleans as
    the integer 1)."""
    return is_true(flag) or (isinstance(flag, ox.Literal) and flag.value == "1")


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


#: Threads evaluating shapes side by side (pyoxigraph releases the GIL while it evaluates).
WORKERS = 2


@dataclass
class _Planned:
    """A targeted shape compiled: its queries, and the one-pass probe for it (if any)."""

    node: Term
    queries: list[Query]
    probe: str | None


def validate_compiled(
    data: ox.Store | Source,
    shapes: Any,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int = WORKERS,
) -> Report:
    """Validate the default graph of ``data`` against the shapes of ``shapes`` (a
    pyoxigraph store, an rdflib graph or a TripleIndex) the engine compiles; the others
    are listed in ``Report.unsupported``, their results left out. ``progress(done,
    total)`` is called after each targeted shape; ``workers`` threads evaluate shapes side
    by side."""
    data = as_source(data)
    shapes_graph = ShapesGraph(TripleIndex.from_any(shapes))
    compiler = Compiler(shapes_graph, _subclasses(data), data.split_checks)
    planned: list[_Planned] = []
    unsupported: list[UnsupportedShape] = []
    targeted = shapes_graph.targeted_shapes()
    for node in targeted:
        try:
            queries = compiler.queries(node)
            _check_source(data, queries)
            probe = compiler.probe(node) if getattr(data, "probes", True) else None
            if probe is not None and data.refusal(probe):
                probe = None
            planned.append(_Planned(node, queries, probe))
        except NotCompiled as exc:
            unsupported.append(UnsupportedShape(node, str(exc)))
    lock = threading.Lock()  # the compiler is not thread-safe (fresh variable names)

    def evaluate(shape: _Planned) -> list[Result]:
        found = []
        for query in _narrowed(data, compiler, lock, shape):
            found.extend(run_query(data, query))
        return found

    found: dict[int, list[Result]] = {}
    pool = ThreadPoolExecutor(max(1, workers))
    try:
        futures = {pool.submit(evaluate, shape): i for i, shape in enumerate(planned)}
        for done, future in enumerate(as_completed(futures), len(unsupported) + 1):
            found[futures[future]] = future.result()
            if progress:
                progress(done, len(targeted))
    finally:
        # On an error or Ctrl-C, shapes not yet started are dropped, not run to the end.
        pool.shutdown(wait=True, cancel_futures=True)
    # in shape order, whichever thread finished first
    results = [result for i in range(len(planned)) for result in found[i]]
    return Report(conforms=True, unsupported=unsupported).adding(results)


def _check_source(data: Source, queries: list[Query]) -> None:
    """NotCompiled when ``data`` cannot evaluate one of ``queries`` as the engine means it."""
    for query in queries:
        if query.per_focus is not None and not data.prebinding:
            raise NotCompiled("a SPARQL constraint needing $this pre-bound (nested $this)")
        reason = data.refusal(query.text)
        if reason:
            raise NotCompiled(reason)


#: Above this many non-conforming focus nodes, a shape's queries run over every focus node.
NARROW_LIMIT = 2000


def _narrowed(
    data: Source, compiler: Compiler, lock: threading.Lock, shape: _Planned
) -> list[Query]:
    """The shape's queries for the focus nodes that fail its one-pass probe only: none
    when every focus node conforms (the usual case), else the same queries on those
    nodes (all of them when there are many, or blank nodes among them)."""
    if shape.probe is None:
        return shape.queries
    failing = [row["this"] for row in data.select(shape.probe)]
    if not failing:
        return []
    if len(failing) > NARROW_LIMIT or any(isinstance(f, ox.BlankNode) for f in failing):
        return shape.queries
    with lock:
        return compiler.queries(shape.node, only=failing)
