"""Prepare one SPARQL query (resolve QUERY, check it, add safe VALUES bindings) and run it
on the published graph (pyoxigraph), optionally in a worker process under a time limit;
results come back as one ``QueryResult`` whichever engine ran them (``Local`` here,
``kb.remote.Remote`` on a server)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kb import sparql_text
from kb.catalogue import CatalogueQuery, find, parse_query_file
from kb.errors import InputError
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
    """QUERY as given: a catalogue name or a ``.rq`` file (its text and entry), or inline
    SPARQL (the text itself and None)."""
    from kb.store import refuse_url

    refuse_url(query)
    # lexists, not is_file: a FIFO or device given as a query file is refused by the
    # reader, not taken for inline SPARQL or a catalogue name
    if query.endswith(".rq") or ("/" in query and os.path.lexists(query)):
        entry = parse_query_file(Path(query))
        return entry.text, entry
    if _INLINE.search(query):
        return query, None
    entry = find(layout, query)
    return entry.text, entry


class ServiceRefused(InputError):
    """A query holding SERVICE where it is not allowed (a caller that can allow it says
    how)."""


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
    sparql_text.check_nesting(text, source)
    if not allow_service and sparql_text.uses_service(text):
        raise ServiceRefused(
            f"{source}: SERVICE is refused: queries here may not call other servers"
        )
    terms = dict(sparql_text.parse_binding(b) for b in bindings)
    for name, default in (defaults or {}).items():
        if name not in terms and default is not None:
            terms[name] = sparql_text.bind_term(default, f"{source}: the default of ?{name}")
    return PreparedQuery(sparql_text.add_values(text, terms), form, source)


def prepare_named(
    layout: Layout, query: str, bindings: Sequence[str] = (), allow_service: bool = False
) -> PreparedQuery:
    """QUERY as the user names it (catalogue name, ``.rq`` file or inline SPARQL),
    resolved, checked and bound once, for any engine; its defaults and name come from
    its catalogue entry, an inline query is called ``query`` in messages."""
    text, entry = resolve(layout, query)
    if entry is None:
        return prepare(text, bindings, None, allow_service, "query")
    return prepare(text, bindings, entry.params, allow_service, entry.name)


class Engine(Protocol):
    """Where a prepared query runs: ``Local`` (the published graph) or
    ``kb.remote.Remote`` (a SPARQL endpoint); both give the same ``QueryResult``."""

    def run(self, prepared: PreparedQuery, fmt: str | None = None) -> QueryResult:
        """Run ``prepared``; rows for ``table``, else serialised bytes in ``fmt``."""
        ...


@dataclass(frozen=True)
class Local:
    """The published graph (or any store) as a query engine, with an optional time limit
    (a worker process ended when the time is up)."""

    store: pyoxigraph.Store
    timeout: float | None = None

    def run(self, prepared: PreparedQuery, fmt: str | None = None) -> QueryResult:
        """Run ``prepared`` on the store, within the time limit if there is one."""
        return run_with_time_limit(self.store, prepared, fmt, self.timeout)


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
    return collect(solutions(store, prepared), prepared.form, fmt)


def solutions(store: pyoxigraph.Store, prepared: PreparedQuery) -> Any:
    """pyoxigraph's own answer to ``prepared`` (solutions, a boolean or triples, read
    lazily); SPARQL syntax errors become InputError with their position."""
    try:
        return store.query(prepared.text)
    except SyntaxError as exc:
        raise _syntax_error(prepared, str(exc.msg or exc)) from None
    except OSError as exc:
        raise InputError(f"{prepared.source}: {exc}") from None


def _syntax_error(prepared: PreparedQuery, message: str) -> InputError:
    """The one-line error for a SPARQL syntax error; an undeclared prefix is named."""
    undeclared = sparql_text.undeclared_prefixes(prepared.text)
    if "Prefix not found" in message and undeclared:
        where = _POSITION.match(message)
        at = f"{where.group(0)} " if where else ""
        name = undeclared[0]
        message = f"{at}undeclared prefix {name}: (add PREFIX {name}: <...>)"
    return InputError(f"{prepared.source}: SPARQL syntax error: {message}")


def collect(answer: Any, form: str, fmt: str) -> QueryResult:
    """A pyoxigraph answer (solutions, boolean or triples, from a store or parsed from a
    server) as a ``QueryResult`` in ``fmt``."""
    import pyoxigraph

    if form in ("CONSTRUCT", "DESCRIBE"):
        return QueryResult(form, [], payload=_serialize_triples(answer, fmt))
    if fmt != "table":
        serialised = answer.serialize(format=results_format(fmt).oxigraph())
        if fmt == "xml":
            refuse_unwritable_xml(serialised)
        variables = [v.value for v in getattr(answer, "variables", [])]
        return QueryResult(form, variables, payload=serialised)
    if isinstance(answer, pyoxigraph.QueryBoolean):
        return QueryResult(form, [], boolean=bool(answer))
    variables = [v.value for v in answer.variables]
    rows = [[_nt(s[v]) for v in variables] for s in answer]
    return QueryResult(form, variables, rows=rows)


#: Characters XML 1.0 cannot carry, not even as a character reference (in UTF-8).
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")


def refuse_unwritable_xml(document: bytes) -> None:
    """InputError when SPARQL XML results ``document`` holds a character XML 1.0 cannot
    carry: written, no XML parser could read it (pyoxigraph writes it raw)."""
    found = _NOT_XML.search(document)
    if found:
        code = ord(found.group().decode("utf-8"))
        raise InputError(
            f"the results hold U+{code:04X}, which XML 1.0 cannot carry; "
            "ask for JSON, CSV or TSV instead"
        )


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
    """``execute`` in a bounded worker process (``kb.worker``), ended after ``timeout``
    seconds (exit 3). Without a timeout (or where fork is unavailable) it runs here."""
    from kb.worker import run_bounded

    return run_bounded(execute, (store, prepared, fmt), timeout, f"{prepared.source}: query")


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

    prepared = prepare_named(layout, query, bindings, allow_service)
    if store is None:
        store = published_store(layout, data_files)
    return Local(store, timeout).run(prepared, fmt)
