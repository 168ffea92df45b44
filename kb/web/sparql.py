"""The SPARQL endpoint's work: run a query under ``kb query``'s rules (read-only, SERVICE
refused, a time limit) with a cap on rows, and write its answer in a SPARQL results
format (JSON, XML, CSV, TSV) or an RDF format (Turtle, N-Triples, JSON-LD, RDF/XML).

Answers are kept in a bounded cache: the graph never changes while it is served.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import multiprocessing
import os
import queue
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph

from kb.errors import InputError, TimeLimitError
from kb.interrupts import signals_blocked, worker_signals
from kb.query import PreparedQuery, execute, prepare, refuse_unwritable_xml
from kb.web.negotiation import RDF_FORMATS, Representation
from kb.worker import run_bounded

#: Longest query text accepted (characters).
MAX_QUERY_CHARS = 32_000
#: Rows (SELECT) or triples (CONSTRUCT, DESCRIBE) an answer may hold; more are cut.
MAX_ROWS = 10_000
#: Seconds a query may run.
DEFAULT_TIMEOUT = 10.0
#: Answers kept, each of at most CACHED_ROWS rows or triples (bounding the memory).
CACHE_SIZE = 256
CACHED_ROWS = 2_000

SPARQL_JSON = Representation(
    "json", "application/sparql-results+json", ".srj", "JSON", ("application/json",)
)
SPARQL_XML = Representation(
    "xml", "application/sparql-results+xml", ".srx", "XML", ("application/xml",)
)
SPARQL_CSV = Representation("csv", "text/csv", ".csv", "CSV")
SPARQL_TSV = Representation("tsv", "text/tab-separated-values", ".tsv", "TSV")
HTML_TABLE = Representation("html", "text/html", ".html", "HTML", ("application/xhtml+xml",))
#: What SELECT and ASK answers come in, by preference: a program that takes anything
#: (``*/*``) gets JSON; browsers name text/html, and get a page.
RESULT_FORMATS = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV, HTML_TABLE)
#: What CONSTRUCT and DESCRIBE answers come in.
GRAPH_FORMATS = (*RDF_FORMATS, HTML_TABLE)

_NT_TERM = re.compile(r'^(?:<([^>]*)>|_:(\S+)|"(.*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?)$', re.S)
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)
_SIMPLE_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'"}
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class Answer:
    """A query's answer: rows of N-Triples terms (SELECT), a boolean (ASK), or sorted
    N-Triples (CONSTRUCT, DESCRIBE); ``truncated`` when rows past the cap were dropped."""

    form: str
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[str | None, ...], ...] = ()
    boolean: bool | None = None
    ntriples: bytes = b""
    truncated: bool = False

    @property
    def formats(self) -> tuple[Representation, ...]:
        return RESULT_FORMATS if self.form in ("SELECT", "ASK") else GRAPH_FORMATS


class Endpoint:
    """Runs queries on one read-only store, in a pool of worker processes forked from
    this one (so they share its store), each query under a time limit: a query past it
    ends its worker, and a new one is forked in its place. Without a pool
    (``pooled=False``: a few queries, as ``kb site`` runs) each query runs in a worker
    of its own, under ``kb query``'s bounds (kb.worker)."""

    def __init__(
        self,
        store: pyoxigraph.Store,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int = MAX_ROWS,
        workers: int | None = None,
        pooled: bool = True,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.max_rows = max_rows
        self._cache: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()
        forking = pooled and bool(timeout) and "fork" in multiprocessing.get_all_start_methods()
        size = workers or max(2, os.cpu_count() or 2)
        self._pool = _Pool(store, size, max_rows) if forking else None

    def answer(self, text: str, source: str = "query") -> Answer:
        """Run ``text`` (InputError for a bad, refused or too long query; TimeLimitError
        past the time limit)."""
        if len(text) > MAX_QUERY_CHARS:
            raise InputError(f"the query is longer than {MAX_QUERY_CHARS} characters")
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        prepared = prepare(text, source=source)
        if self._pool is None:
            answer = run_bounded(
                compute, (self.store, prepared, self.max_rows), self.timeout, prepared.source
            )
        else:
            answer = self._pool.run(prepared, self.timeout or 0)
        if len(answer.rows) + answer.ntriples.count(b"\n") <= CACHED_ROWS:
            with self._lock:
                self._cache[text] = answer
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return answer

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


def compute(store: pyoxigraph.Store, prepared: PreparedQuery, max_rows: int) -> Answer:
    """Run ``prepared`` on ``store`` here and now; rows past ``max_rows`` are cut."""
    if prepared.form in ("CONSTRUCT", "DESCRIBE"):
        result = execute(store, prepared, "nt")
        lines = (result.payload or b"").splitlines(keepends=True)
        cut = len(lines) > max_rows
        return Answer(prepared.form, ntriples=b"".join(lines[:max_rows]), truncated=cut)
    result = execute(store, prepared, "table")
    if result.boolean is not None:
        return Answer("ASK", boolean=result.boolean)
    rows = result.rows or []
    return Answer(
        prepared.form,
        tuple(result.variables),
        tuple(tuple(row) for row in rows[:max_rows]),
        truncated=len(rows) > max_rows,
    )


class _Worker:
    def __init__(self, context: Any, store: pyoxigraph.Store, max_rows: int) -> None:
        self.connection, child = context.Pipe(duplex=True)
        self.process = context.Process(
            target=_serve_queries,
            args=(store, max_rows, child, os.getpid(), _in_main_thread()),
            daemon=True,
        )
        with signals_blocked():  # until the worker has its own handlers (worker_signals)
            self.process.start()
        child.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


class _Pool:
    """Idle workers wait in a queue; a request takes one, or waits for one as long as
    its time limit allows."""

    def __init__(self, store: pyoxigraph.Store, size: int, max_rows: int) -> None:
        self._context = multiprocessing.get_context("fork")
        self._store = store
        self._max_rows = max_rows
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()  # idle or busy: every one is ended by close()
        self._guard = threading.Lock()
        self._closed = False
        try:
            for _ in range(size):
                self._idle.put(self._fork())
        except BaseException:  # (Terminated between two forks: none is left behind)
            self.close()
            raise

    def _fork(self) -> _Worker:
        with self._guard:
            if self._closed:
                raise InputError("the query workers are stopped: the server is ending")
            worker = _Worker(self._context, self._store, self._max_rows)
            self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.stop()
        with self._guard:
            self._all.discard(worker)

    def run(self, prepared: PreparedQuery, timeout: float) -> Answer:
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise TimeLimitError(
                f"{prepared.source}: every query worker was busy for {timeout:g} s"
            ) from None
        if not worker.process.is_alive():
            self._retire(worker)
            worker = self._fork()
        healthy = False
        try:
            worker.connection.send(prepared)
            if not worker.connection.poll(timeout):
                raise TimeLimitError(f"{prepared.source}: query ran longer than {timeout:g} s")
            ok, value = worker.connection.recv()
            healthy = True
        except (EOFError, OSError):
            raise InputError(f"{prepared.source}: the query worker died") from None
        finally:
            if healthy:
                self._idle.put(worker)
            else:
                self._retire(worker)
                if not self._closed:
                    self._idle.put(self._fork())
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """End every worker, idle or busy, and wait for each (reaped: no zombie is left
        to an init that may not reap it)."""
        with self._guard:
            self._closed = True
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()


def _die_with_parent() -> None:
    """On Linux, have the kernel end this worker when the server ends, even in the middle
    of a query (PR_SET_PDEATHSIG); elsewhere the loop's check does it between queries."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _serve_queries(
    store: pyoxigraph.Store, max_rows: int, connection: Any, server: int, bind: bool
) -> None:
    """A worker's loop: answer each query sent until the server goes away (checked each
    second: other workers hold copies of this pipe's far end, so no end-of-file comes)."""
    worker_signals()
    if bind:  # the death signal follows the forking thread, so only the main thread's
        _die_with_parent()
    while True:
        try:
            if not connection.poll(1.0):
                if os.getppid() != server:
                    return
                continue
            prepared = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply: tuple[bool, Any] = (True, compute(store, prepared, max_rows))
        except InputError as exc:
            reply = (False, exc)
        except Exception as exc:  # sent back and re-raised in the server
            reply = (False, InputError(str(exc)))
        try:
            connection.send(reply)
        except (OSError, KeyboardInterrupt):
            return


def serialize(answer: Answer, fmt: Representation) -> bytes:
    """``answer`` in ``fmt`` (one of ``answer.formats``, not HTML)."""
    if answer.form in ("CONSTRUCT", "DESCRIBE"):
        from kb.export import serialize_sorted

        return serialize_sorted(answer.ntriples, fmt.name)
    writers = {"json": _json, "xml": _xml, "csv": _csv, "tsv": _tsv}
    return writers[fmt.name](answer)


def parse_term(nt: str) -> dict[str, str]:
    """An N-Triples term as a SPARQL JSON results term."""
    match = _NT_TERM.match(nt)
    if not match:
        return {"type": "literal", "value": nt}
    iri, bnode, lexical, language, datatype = match.groups()
    if iri is not None:
        return {"type": "uri", "value": iri}
    if bnode is not None:
        return {"type": "bnode", "value": bnode}
    term = {"type": "literal", "value": _unescape(lexical or "")}
    if language:
        term["xml:lang"] = language
    elif datatype and datatype != XSD_STRING:
        term["datatype"] = datatype
    return term


def _unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, code if code == "\\" else "\\" + code)

    return _ESCAPE.sub(replace, text)


def _json(answer: Answer) -> bytes:
    if answer.boolean is not None:
        return json.dumps({"head": {}, "boolean": answer.boolean}).encode() + b"\n"
    bindings = [
        {name: parse_term(term) for name, term in zip(answer.variables, row, strict=True) if term}
        for row in answer.rows
    ]
    document = {"head": {"vars": list(answer.variables)}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False).encode() + b"\n"


def _xml(answer: Answer) -> bytes:
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
    out += [f"<variable name={quoteattr(name)}/>" for name in answer.variables]
    out.append("</head>\n")
    if answer.boolean is not None:
        out.append(f"<boolean>{'true' if answer.boolean else 'false'}</boolean>\n</sparql>\n")
        return "".join(out).encode()
    out.append("<results>\n")
    for row in answer.rows:
        out.append("<result>")
        for name, term in zip(answer.variables, row, strict=True):
            if term:
                out.append(
                    f"<binding name={quoteattr(name)}>{_xml_term(parse_term(term))}</binding>"
                )
        out.append("</result>\n")
    out.append("</results>\n</sparql>\n")
    document = "".join(out).encode()
    refuse_unwritable_xml(document)
    return document


def _xml_term(term: dict[str, str]) -> str:
    value = escape(term["value"])
    if term["type"] == "uri":
        return f"<uri>{value}</uri>"
    if term["type"] == "bnode":
        return f"<bnode>{value}</bnode>"
    if "xml:lang" in term:
        return f"<literal xml:lang={quoteattr(term['xml:lang'])}>{value}</literal>"
    if "datatype" in term:
        return f"<literal datatype={quoteattr(term['datatype'])}>{value}</literal>"
    return f"<literal>{value}</literal>"


def _csv(answer: Answer) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if answer.boolean is not None:  # no standard form: as pyoxigraph (and kb query) write it
        return b"true\n" if answer.boolean else b"false\n"
    writer.writerow(answer.variables)
    for row in answer.rows:
        writer.writerow([_csv_value(term) for term in row])
    return buffer.getvalue().encode()


def _csv_value(term: str | None) -> str:
    if not term:
        return ""
    parsed = parse_term(term)
    return ("_:" + parsed["value"]) if parsed["type"] == "bnode" else parsed["value"]


def _tsv(answer: Answer) -> bytes:
    if answer.boolean is not None:
        return b"true\n" if answer.boolean else b"false\n"
    lines = ["\t".join(f"?{name}" for name in answer.variables)]
    lines += ["\t".join(term or "" for term in row) for row in answer.rows]
    return ("\n".join(lines) + "\n").encode()
