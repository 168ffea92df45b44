"""Run compiled shapes over a data graph and collect a validation report.

The data is behind a ``Source``: ``StoreSource`` evaluates the compiled queries with
pyoxigraph, ``kb.remote.validation.EndpointSource`` sends the same query texts to a SPARQL
server. The engine only ever hands a Source SELECT query texts."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, as_completed
from dataclasses import dataclass, replace
from typing import Any, Protocol

import pyoxigraph as ox

from kb.allocator import release_free_memory
from kb.errors import InputError
from kb.shacl.checks import Emit, Query
from kb.shacl.compiler import Compiler
from kb.shacl.graph import RDF_TYPE, RDFS, Term, TripleIndex
from kb.shacl.invariance import Addition, unchanged_by
from kb.shacl.model import NotCompiled, ShapesGraph, is_true
from kb.shacl.report import Report, Result, UnsupportedShape
from kb.shacl.sparql import fill_message
from kb.sparql_text import check_nesting

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
    #: the faster equivalents of ``kb.shacl.rewrites`` were written for pyoxigraph
    rewrites = True

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def select(self, text: str, this: Term | None = None) -> list[Row]:
        """Every row of ``text`` on the store (pyoxigraph substitutes ``?this``)."""
        bound = {ox.Variable("this"): this} if this is not None else None
        return list(_solutions(self.store.query(text, substitutions=bound)))

    def refusal(self, text: str) -> str | None:
        """pyoxigraph evaluates every compiled query its parser can hold: a shape's long
        lists (sh:in, a sequence path) compile to chains that would overflow its stack."""
        try:
            check_nesting(text, "the compiled query")
        except InputError as exc:
            return str(exc)
        return None


def as_source(data: ox.Store | Source) -> Source:
    """``data`` as a Source (a pyoxigraph store is wrapped)."""
    return StoreSource(data) if isinstance(data, ox.Store) else data


def _subclasses(data: Source) -> Callable[[str], list[str] | None]:
    """class -> the classes whose instances in ``data`` are the class's SHACL instances
    (rdf:type/rdfs:subClassOf*), as SPARQL IRIs: the class itself first, then each
    subclass, or the class alone when every instance of a subclass is typed with it
    already (a graph closed under rdfs:subClassOf, as the published graph is); None when a
    subclass is a blank node (the compiled query then keeps the path)."""
    cache: dict[str, list[str] | None] = {}

    def subclasses(cls: str) -> list[str] | None:
        if cls not in cache:
            rows = data.select(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS}subClassOf>* {cls} }}")
            found = [row["c"] for row in rows]
            iris = all(isinstance(c, ox.NamedNode) for c in found)
            cache[cls] = sorted({str(c) for c in found} | {cls}) if iris else None
            if cache[cls] is not None and cls in cache[cls]:  # the class itself first
                cache[cls] = [cls] + [c for c in cache[cls] if c != cls]
            if cache[cls] is not None and _typed_with_superclass(data, cls, cache[cls][1:]):
                cache[cls] = [cls]
        return cache[cls]

    return subclasses


def _typed_with_superclass(data: Source, cls: str, subclasses: list[str]) -> bool:
    """Whether every instance of each of ``subclasses`` is also typed ``cls`` in ``data``:
    then ``?x rdf:type cls`` alone finds every SHACL instance of ``cls`` (one lookup per
    node in each shape's query, instead of one per subclass)."""
    if not subclasses:
        return True
    rdf_type = f"<{RDF_TYPE.value}>"
    untyped = (
        f"SELECT ?x WHERE {{ VALUES ?sub {{ {' '.join(subclasses)} }} ?x {rdf_type} ?sub "
        f"FILTER NOT EXISTS {{ ?x {rdf_type} {cls} }} }} LIMIT 1"
    )
    return not data.select(untyped)


def run_query(data: Source, query: Query) -> Iterable[Result]:
    """Evaluate ``query`` on ``data`` and turn its rows into results."""
    for row in _rows(data, query):
        for emit in query.emits:
            if emit.flag is not None and _passed(row[emit.flag]):
                continue
            yield _result(query, emit, row)


def _rows(data: Source, query: Query) -> Iterable[Row]:
    """The rows of ``query``: one evaluation, or one per focus node with ``?this`` bound."""
    if query.per_focus is None and query.bound is None:
        yield from data.select(query.text)
        return
    if query.bound is not None:
        focus_nodes = query.bound
    else:
        focus_nodes = [s["this"] for s in data.select(query.per_focus)]
    for focus in focus_nodes:
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


#: Threads evaluating queries side by side (pyoxigraph releases the GIL while it evaluates).
WORKERS = 2

#: Hears each query the engine ran: (shape, what the query checks, wall seconds, rows, CPU
#: seconds of the thread that ran it).
Timing = Callable[[str, str, float, int, float], None]


@dataclass
class _Planned:
    """A targeted shape compiled: its queries, the one-pass probe for it (if any), and the
    compiler that made them (it compiles the narrowed queries too)."""

    node: Term
    queries: list[Query]
    probe: str | None
    compiler: Compiler


@dataclass(frozen=True)
class Pending:
    """A write still to be made to the data that only adds triples (the closure of
    ``kb.entail``): ``write()`` makes it, ``addition`` says what it may add. The engine
    makes it first, on the calling thread, and meanwhile runs on another the shapes whose
    results it cannot change (``kb.shacl.invariance``)."""

    write: Callable[[], None]
    addition: Addition


def validate_compiled(
    data: ox.Store | Source,
    shapes: Any,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int = WORKERS,
    timing: Timing | None = None,
    pending: Pending | None = None,
) -> Report:
    """Validate the default graph of ``data`` against the shapes of ``shapes`` (a
    pyoxigraph store, an rdflib graph or a TripleIndex) the engine compiles; the others
    are listed in ``Report.unsupported``, their results left out. ``progress(done,
    total)`` is called after each targeted shape; ``workers`` threads evaluate shapes (a
    shape without a probe: each of its queries) side by side; ``timing`` hears the time
    of every query. With ``pending``, the results are those of the data after its write."""
    data = as_source(data)
    shapes_graph = ShapesGraph(TripleIndex.from_any(shapes))
    targeted = shapes_graph.targeted_shapes()
    run = _Run(data, shapes_graph, targeted, timing)
    lanes = _Lanes(run.evaluate)
    try:
        if pending is None:
            lanes.add(run.plan(range(len(targeted)), "compile every shape"))
        else:
            lanes.add(_beside(pending, run, lanes, workers))
        lanes.open(max(1, workers))
        return run.collect(lanes, progress)
    finally:
        # On an error or Ctrl-C, tasks not yet started are dropped, not run to the end.
        lanes.close()


@dataclass(frozen=True)
class CompiledShape:
    """A targeted shape as the engine compiles it for one data graph: its one-pass probe
    (None when it has none) and the queries that report its results."""

    node: Term
    probe: str | None
    queries: list[Query]


def compiled_shapes(data: ox.Store | Source, shapes: Any) -> list[CompiledShape]:
    """Every targeted shape of ``shapes`` the engine compiles, as it compiles them for
    ``data`` (with no pending write): to read or time the engine's queries one by one
    (``benchmarks/query_cost.py``). The shapes it does not compile are left out."""
    data = as_source(data)
    shapes_graph = ShapesGraph(TripleIndex.from_any(shapes))
    targeted = shapes_graph.targeted_shapes()
    run = _Run(data, shapes_graph, targeted, None)
    run.plan(range(len(targeted)), "compile every shape")
    return [
        CompiledShape(planned.node, planned.probe, planned.queries)
        for _, planned in sorted(run.planned.items())
    ]


def _beside(pending: Pending, run: _Run, lanes: _Lanes, workers: int) -> list[_Task]:
    """Run the shapes ``pending`` cannot change on one thread while its write is made on
    this one; the tasks of the other shapes, compiled after the write (the subclasses a
    compiled query reads are those of the data then)."""
    graph, addition = run.shapes_graph, pending.addition
    unchanged = [i for i, node in enumerate(run.targeted) if unchanged_by(graph, node, addition)]
    lanes.add(run.plan(unchanged, "compile the shapes the pending write cannot change"))
    if workers > 1:
        lanes.open(workers - 1)
    started, cpu = time.perf_counter(), time.thread_time()
    pending.write()
    if run.timing is not None:
        seconds, cpu = time.perf_counter() - started, time.thread_time() - cpu
        run.timing("", "the pending write, beside the shapes it cannot change", seconds, 0, cpu)
    others = sorted(set(range(len(run.targeted))) - set(unchanged))
    return run.plan(others, "compile every other shape", fresh=True)


class _Run:
    """The shapes of one validation: compiled (``plan``), evaluated (``evaluate``, on
    the lanes' threads) and their results gathered in shape order (``collect``)."""

    def __init__(
        self, data: Source, shapes_graph: ShapesGraph, targeted: list[Term], timing: Timing | None
    ) -> None:
        self.data, self.shapes_graph, self.targeted = data, shapes_graph, targeted
        self.timing = timing
        self.planned: dict[int, _Planned] = {}
        self.unsupported: dict[int, UnsupportedShape] = {}
        self.lock = threading.Lock()  # a compiler is not thread-safe (fresh variable names)
        self.compiler = self._compiler()

    def _compiler(self) -> Compiler:
        rewrites = getattr(self.data, "rewrites", False)
        subclasses = _subclasses(self.data)
        return Compiler(self.shapes_graph, subclasses, self.data.split_checks, rewrites)

    def plan(self, indexes: Iterable[int], what: str, fresh: bool = False) -> list[_Task]:
        """Compile the targeted shapes at ``indexes`` (with a new compiler when ``fresh``:
        one that reads the data's subclasses again) and return their tasks."""
        started, cpu = time.perf_counter(), time.thread_time()
        if fresh:
            self.compiler = self._compiler()
        compiler, data = self.compiler, self.data
        tasks: list[_Task] = []
        for i in indexes:
            node = self.targeted[i]
            try:
                with self.lock:
                    queries = compiler.queries(node)
                    _check_source(data, queries)
                    probe = compiler.probe(node) if getattr(data, "probes", True) else None
                if probe is not None and data.refusal(probe):
                    probe = None
            except NotCompiled as exc:
                self.unsupported[i] = UnsupportedShape(node, str(exc))
                continue
            self.planned[i] = _Planned(node, queries, probe, compiler)
            tasks += _tasks(i, self.planned[i])
        if self.timing is not None:
            seconds, cpu = time.perf_counter() - started, time.thread_time() - cpu
            self.timing("", what, seconds, len(tasks), cpu)
        return tasks

    def evaluate(self, task: _Task) -> list[Result]:
        """The results of one task."""
        data, timing, shape = self.data, self.timing, self.planned[task.shape]
        queries = _narrowed(data, shape, self.lock, timing) if task.probe else task.queries
        found: list[Result] = []
        for query in queries:
            started, cpu = time.perf_counter(), time.thread_time()
            results = list(run_query(data, query))
            if timing is not None:
                seconds, cpu = time.perf_counter() - started, time.thread_time() - cpu
                timing(str(shape.node), _describe(query), seconds, len(results), cpu)
            found.extend(results)
        return found

    def collect(self, lanes: _Lanes, progress: Callable[[int, int], None] | None) -> Report:
        """Wait for every task; the report, its results in shape order (and query order
        within a shape), whichever thread finished first."""
        tasks = lanes.tasks
        found: dict[int, list[Result]] = {}
        left = Counter(task.shape for task in tasks)
        done = len(self.unsupported)
        for future in as_completed(list(lanes.futures)):
            index = lanes.futures[future]
            found[index] = future.result()
            left[tasks[index].shape] -= 1
            if progress and not left[tasks[index].shape]:
                done += 1
                progress(done, len(self.targeted))
        order = sorted(range(len(tasks)), key=lambda i: (tasks[i].shape, i))
        results = [result for i in order for result in found[i]]
        unsupported = [self.unsupported[i] for i in sorted(self.unsupported)]
        return Report(conforms=True, unsupported=unsupported).adding(results)


class _Lanes:
    """Tasks run by worker threads, the costliest-looking first (so that no long one
    starts last and leaves the other threads idle at the end). The first thread takes the
    tasks without a probe (whole-set SHACL-SPARQL joins, whose hash tables are the
    engine's largest allocations) before any probe; the others take the probes first. So
    the largest joins run one after another on one thread: when any thread took any task,
    two of them ran side by side and the peak at 1M triples was 623 MB, against 548 MB
    this way in the same wall time (each thread's allocator arena keeps what its largest
    query took; benchmarks/findings.md has the later figures). Tasks may be added while
    the threads run (``add``), and threads opened (``open``) until ``close``."""

    def __init__(self, evaluate: Callable[[_Task], Any]) -> None:
        self._evaluate = evaluate
        self._joins: deque[int] = deque()
        self._probes: deque[int] = deque()
        self._lock = threading.Lock()
        #: Every task added, in order; each task's future, and its index in ``tasks``.
        self.tasks: list[_Task] = []
        self.futures: dict[Future[Any], int] = {}
        self._by_index: dict[int, Future[Any]] = {}
        self._threads: list[threading.Thread] = []
        #: threads that have not yet found every queue empty; whether the first is one
        self._working, self._first_working = 0, False

    def add(self, tasks: list[_Task]) -> None:
        """Queue ``tasks`` (with those not yet started, costliest first)."""
        with self._lock:
            start = len(self.tasks)
            self.tasks += tasks
            for i in range(start, len(self.tasks)):
                future: Future[Any] = Future()
                self.futures[future], self._by_index[i] = i, future
            waiting = [*self._joins, *self._probes, *range(start, len(self.tasks))]
            waiting.sort(key=lambda i: -self.tasks[i].cost)
            self._joins = deque(i for i in waiting if not self.tasks[i].probe)
            self._probes = deque(i for i in waiting if self.tasks[i].probe)

    def open(self, workers: int) -> None:
        """Have ``workers`` threads at work on the queued tasks (start what is missing)."""
        with self._lock:
            while self._working < workers:
                first = not self._first_working
                self._working += 1
                self._first_working = self._first_working or first
                thread = threading.Thread(target=self._work, args=(first,), daemon=True)
                self._threads.append(thread)
                thread.start()

    def _next(self, first: bool) -> int | None:
        with self._lock:
            preferred, other = (self._joins, self._probes) if first else (self._probes, self._joins)
            for tasks in (preferred, other):
                if tasks:
                    return tasks.popleft()
            self._working -= 1
            self._first_working = self._first_working and not first
            return None

    def _work(self, first: bool) -> None:
        while (index := self._next(first)) is not None:
            future = self._by_index[index]
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self._evaluate(self.tasks[index]))
            except BaseException as exc:  # handed to the thread waiting on the future
                future.set_exception(exc)
            release_free_memory()  # what this task's query freed, before the next one

    def close(self) -> None:
        """Drop the tasks not yet started and wait for the running ones."""
        for future in list(self.futures):
            future.cancel()
        for thread in self._threads:
            thread.join()


def _check_source(data: Source, queries: list[Query]) -> None:
    """NotCompiled when ``data`` cannot evaluate one of ``queries`` as the engine means it."""
    for query in queries:
        if query.per_focus is not None and not data.prebinding:
            raise NotCompiled("a SPARQL constraint needing $this pre-bound (nested $this)")
        reason = data.refusal(query.text)
        if reason:
            raise NotCompiled(reason)


@dataclass
class _Task:
    """What one thread runs at a time: a shape's probe and then its queries for the focus
    nodes failing it, or one query of a shape without a probe (so that the queries of one
    costly shape run side by side)."""

    shape: int
    probe: bool
    queries: list[Query]
    cost: int


def _tasks(index: int, shape: _Planned) -> list[_Task]:
    """The tasks of the targeted shape at ``index``, in query order."""
    if shape.probe is not None:
        return [_Task(index, True, shape.queries, len(shape.probe))]
    # a shape without queries is one empty task, so that progress counts it
    return [_Task(index, False, [q], _cost(q)) for q in shape.queries] or [
        _Task(index, False, [], 0)
    ]


def _cost(query: Query) -> int:
    """A rough guess of a query's cost, to start the costly ones first: its text (a probe's
    counts once); SHACL-SPARQL counts double (user queries, often string work over every
    focus node)."""
    return len(query.text) * (2 if query.per_focus is None else 1)


#: Above this many non-conforming focus nodes, a shape's queries run over every focus node.
NARROW_LIMIT = 2000


def _narrowed(
    data: Source, shape: _Planned, lock: threading.Lock, timing: Timing | None = None
) -> list[Query]:
    """The shape's queries for the focus nodes that fail its one-pass probe only: none
    when every focus node conforms (the usual case), else the same queries on those
    nodes (all of them when there are many)."""
    if shape.probe is None:
        return shape.queries
    started, cpu = time.perf_counter(), time.thread_time()
    failing = [row["this"] for row in data.select(shape.probe)]
    if timing is not None:
        seconds, cpu = time.perf_counter() - started, time.thread_time() - cpu
        probe = "probe: focus nodes failing any constraint"
        timing(str(shape.node), probe, seconds, len(failing), cpu)
    if not failing:
        return []
    if len(failing) > NARROW_LIMIT or any(q.per_focus is not None for q in shape.queries):
        return shape.queries
    blank = [f for f in failing if isinstance(f, ox.BlankNode)]
    named = [f for f in failing if not isinstance(f, ox.BlankNode)]
    if blank and not data.prebinding:
        return shape.queries
    compiler = shape.compiler
    with lock:
        queries = compiler.queries(shape.node, only=named) if named else []
        if blank:
            per_blank = _per_focus_node(compiler, shape.node, blank)
            if per_blank is None:
                return shape.queries
            queries += per_blank
    return queries


#: An IRI no data holds, standing for the focus node while a query is compiled.
_STAND_IN = "<urn:kb:shacl:focus-stand-in>"


def _per_focus_node(compiler: Compiler, node: Term, blank: list[Term]) -> list[Query] | None:
    """The shape's queries run once per node of ``blank`` with ``?this`` bound to it (a
    query cannot name a blank node), instead of a second pass over every focus node; None
    when a query does not read its focus node from ``?this`` alone (nested shapes)."""
    stand_in = f"{{ VALUES ?this {{ {_STAND_IN} }} }}"
    queries = compiler.queries(node, only=[ox.NamedNode(_STAND_IN[1:-1])])
    if not all(q.text.count(_STAND_IN) == 1 and stand_in in q.text for q in queries):
        return None
    return [replace(q, text=q.text.replace(stand_in, "{ }"), bound=blank) for q in queries]


def _describe(query: Query) -> str:
    """What a compiled query checks, for a profile: its components and the shape's path."""
    names = dict.fromkeys("sh:" + e.component.value.rsplit("#", 1)[-1] for e in query.emits)
    where = f" on {query.shape.path}" if query.shape.path else ""
    narrowed = " (failing nodes only)" if "VALUES ?this" in query.text or query.bound else ""
    return " ".join(names) + where + narrowed
