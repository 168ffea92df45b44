"""Run one SPARQL query on the published graph (pyoxigraph), with safe VALUES bindings,
optionally in a worker process under a time limit, and serialise its results."""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb import sparql_text
from kb.catalogue import CatalogueQuery, find, parse_query_file
from kb.errors import InputError, TimeLimitError
from kb.formats import CONSTRUCT_FORMATS, SELECT_FORMATS, results_format
from kb.resources import Layout

if TYPE_CHECKING:
    import pyoxigraph

_POSITION = re.compile(r"^error at \d+:\d+:")
_INLINE = re.compile(
    r"^\s*(PREFIX|BASE|SELECT|CONSTRUCT|ASK|DESCRIBE|#)"
    r"|^\s*(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\s|[{]",
    re.I,
)


@dataclass(frozen=True)
class PreparedQuery:
    """A query ready to run: its final text and its form."""

    text: str
    form: str
    source: str


@dataclass
class QueryResult:
    """Rows of a SELECT (terms in N-Triples form; None for unbound), a boolean for ASK,
    or serialised RDF for CONSTRUCT/DESCRIBE."""

    form: str
    variables: list[str]
    rows: list[list[str | None]] | None = None
    boolean: bool | None = None
    payload: bytes | None = None


def resolve(layout: Layout, query: str) -> tuple[str, CatalogueQuery | None]:
    """QUERY as given: a catalogue name, a ``.rq`` file, or inline SPARQL."""
    from kb.store import refuse_url

    refuse_url(query)
    if query.endswith(".rq") or ("/" in query and Path(query).is_file()):
        entry = parse_query_file(Path(query))
        return entry.text, entry
    if _INLINE.search(query):
        return query, None
    entry = find(layout, query)
    return entry.text, entry


def prepare(
    text: str,
    bindings: Sequence[str] = (),
    defaults: Mapping[str, str | None] | None = None,
    allow_service: bool = False,
    source: str = "query",
) -> PreparedQuery:
    """Check the query (read-only, no SERVICE unless allowed) and add its bindings:
    ``NAME=VALUE`` strings, then catalogue defaults for parameters left unbound."""
    form = sparql_text.query_form(text)
    if not allow_service and sparql_text.uses_service(text):
        raise InputError("SERVICE is refused in local queries; pass --allow-service to allow it")
    terms = dict(sparql_text.parse_binding(b) for b in bindings)
    for name, default in (defaults or {}).items():
        if name not in terms and default is not None:
            terms[name] = sparql_text.bind_term(default)
    return PreparedQuery(sparql_text.add_values(text, terms), form, source)


def default_format(form: str) -> str:
    """``table`` for SELECT/ASK, ``turtle`` for CONSTRUCT/DESCRIBE."""
    return "table" if form in ("SELECT", "ASK") else "turtle"


def check_format(form: str, fmt: str) -> str:
    """``fmt`` if it suits the query form, else InputError."""
    allowed = SELECT_FORMATS if form in ("SELECT", "ASK") else CONSTRUCT_FORMATS
    if fmt not in allowed:
        raise InputError(f"{form} results come as {', '.join(allowed)}, not {fmt}")
    return fmt


def execute(
    store: pyoxigraph.Store, prepared: PreparedQuery, fmt: str | None = None
) -> QueryResult:
    """Run ``prepared`` on ``store``: rows for ``table``, else serialised bytes in ``fmt``.
    SPARQL syntax errors become InputError with their position."""
    fmt = check_format(prepared.form, fmt or default_format(prepared.form))
    try:
        answer = store.query(prepared.text)
    except SyntaxError as exc:
        raise _syntax_error(prepared, str(exc.msg or exc)) from None
    except OSError as exc:
        raise InputError(f"{prepared.source}: {exc}") from None
    return _collect(answer, prepared.form, fmt)


def _syntax_error(prepared: PreparedQuery, message: str) -> InputError:
    """The one-line error for a SPARQL syntax error; an undeclared prefix is named."""
    undeclared = sparql_text.undeclared_prefixes(prepared.text)
    if "Prefix not found" in message and undeclared:
        where = _POSITION.match(message)
        at = f"{where.group(0)} " if where else ""
        name = undeclared[0]
        message = f"{at}undeclared prefix {name}: (add PREFIX {name}: <...>)"
    return InputError(f"{prepared.source}: SPARQL syntax error: {message}")


def _collect(answer: Any, form: str, fmt: str) -> QueryResult:
    import pyoxigraph

    if form in ("CONSTRUCT", "DESCRIBE"):
        return QueryResult(form, [], payload=_serialize_triples(answer, fmt))
    if fmt != "table":
        serialised = answer.serialize(format=results_format(fmt).oxigraph())
        variables = [v.value for v in getattr(answer, "variables", [])]
        return QueryResult(form, variables, payload=serialised)
    if isinstance(answer, pyoxigraph.QueryBoolean):
        return QueryResult(form, [], boolean=bool(answer))
    variables = [v.value for v in answer.variables]
    rows = [[_nt(s[v]) for v in variables] for s in answer]
    return QueryResult(form, variables, rows=rows)


def _nt(term: Any) -> str | None:
    return None if term is None else str(term)


def _serialize_triples(triples: Any, fmt: str) -> bytes:
    import pyoxigraph

    from kb.export import serialize

    store = pyoxigraph.Store()
    store.extend(pyoxigraph.Quad(t.subject, t.predicate, t.object) for t in triples)
    return serialize(store, fmt)


def run_with_time_limit(
    store: pyoxigraph.Store,
    prepared: PreparedQuery,
    fmt: str | None = None,
    timeout: float | None = 60.0,
) -> QueryResult:
    """``execute`` in a forked worker process, ended after ``timeout`` seconds (exit 3).
    Without a timeout (or where fork is unavailable) it runs in this process."""
    if not timeout or "fork" not in multiprocessing.get_all_start_methods():
        return execute(store, prepared, fmt)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_worker, args=(store, prepared, fmt, sender))
    worker.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise TimeLimitError(f"{prepared.source}: query ran longer than {timeout:g} s")
        ok, value = receiver.recv()
    except EOFError:
        raise InputError(f"{prepared.source}: the query worker died") from None
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
        receiver.close()
    if not ok:
        raise value
    return value


def _worker(store: Any, prepared: PreparedQuery, fmt: str | None, sender: Any) -> None:
    try:
        sender.send((True, execute(store, prepared, fmt)))
    except Exception as exc:  # sent back and re-raised in the parent
        sender.send((False, exc if isinstance(exc, InputError) else InputError(str(exc))))
    finally:
        sender.close()


def run_query(
    layout: Layout,
    query: str,
    bindings: Sequence[str] = (),
    data_files: Sequence[str | Path] | None = None,
    allow_service: bool = False,
    fmt: str | None = None,
    timeout: float | None = 60.0,
    store: pyoxigraph.Store | None = None,
) -> QueryResult:
    """Resolve QUERY, bind values, run it on the published graph (or ``store``)."""
    from kb.published import published_store

    text, entry = resolve(layout, query)
    source = entry.name if entry else ("query" if text is query else query)
    defaults = entry.params if entry else None
    prepared = prepare(text, bindings, defaults, allow_service, source)
    if store is None:
        store = published_store(layout, data_files)
    return run_with_time_limit(store, prepared, fmt, timeout)
