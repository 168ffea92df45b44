"""The SPARQL endpoint's work: run a query under ``kb query``'s rules (read-only, SERVICE
refused, a time limit) with a cap on rows, and write its answer in a SPARQL results
format (JSON, XML, CSV, TSV) or an RDF format (Turtle, N-Triples, JSON-LD, RDF/XML).

Answers are kept in a bounded cache: the graph never changes while it is served.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import csv
import io
import itertools
import json
import logging
import multiprocessing
import os
import pickle
import queue
import re
import select
import signal
import socket
import stat
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph

from kb.errors import InputError, KBError, TimeLimitError
from kb.interrupts import signals_blocked, worker_signals
from kb.query import PreparedQuery, execute, prepare, refuse_unwritable_xml, solutions
from kb.web.negotiation import RDF_FORMATS, Representation, choose
from kb.worker import (
    MEMORY_LIMIT_ENV,
    cap_memory,
    memory_limit_mb,
    run_bounded,
    silence_native_stderr,
)

_LOG = logging.getLogger("kb.web")

#: Longest query text accepted (characters).
MAX_QUERY_CHARS = 32_000
#: Rows (SELECT) or triples (CONSTRUCT, DESCRIBE) an answer may hold; more are cut.
MAX_ROWS = 10_000
#: Bytes a worker may send back for one query (a larger answer fails in the worker): the
#: server's own process holds each answer whole, with no memory cap of its own.
MAX_ANSWER_BYTES = 64 << 20
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


@dataclass(frozen=True)
class Outcome:
    """What a request to the endpoint gets: the format chosen by its ``Accept`` (None
    when it names none of ``formats``), the answer written in it, or, for an HTML page,
    the answer itself."""

    formats: tuple[Representation, ...]
    fmt: Representation | None
    body: bytes = b""
    answer: Answer | None = None


def outcome(
    store: pyoxigraph.Store, text: str, accept: str | None, max_rows: int, source: str = "query"
) -> Outcome:
    """Check, run and write ``text`` for a client sending ``accept`` (run in a worker, so
    that the server's own process does no more than move bytes)."""
    prepared = prepare(text, source=source)
    formats = RESULT_FORMATS if prepared.form in ("SELECT", "ASK") else GRAPH_FORMATS
    fmt = choose(accept, formats)
    if fmt is None:
        return Outcome(formats, None)
    if fmt.name == "json" and prepared.form in ("SELECT", "ASK"):
        return Outcome(formats, fmt, _json_now(store, prepared, max_rows))
    answer = compute(store, prepared, max_rows)
    if fmt.name == "html":
        return Outcome(formats, fmt, answer=answer)
    try:
        return Outcome(formats, fmt, serialize(answer, fmt))
    except InputError as exc:  # an answer this format cannot carry (XML and U+0001)
        raise UnwritableAnswer(str(exc)) from None


class UnwritableAnswer(InputError):
    """The answer holds what the format asked for cannot carry: a 406, not a 400."""


class Endpoint:
    """Runs queries on one read-only store, in worker processes forked from this one (so
    they share its store), each query under a time limit: a query past it ends its
    worker, and a new one is forked in its place (pyoxigraph cannot cancel a query).

    ``respond`` serves the event loop (no thread: it waits on the worker's pipe);
    ``answer`` serves pages rendered in threads, through a worker of its own. Without
    pools (``pooled=False``: a few queries, as ``kb site`` runs) each query runs in a
    worker of its own, under ``kb query``'s bounds (kb.worker)."""

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
        self._cache: OrderedDict[tuple[str, str | None], Any] = OrderedDict()
        self._kept = 0
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str | None], asyncio.Future[Outcome]] = {}
        forking = pooled and bool(timeout) and "fork" in multiprocessing.get_all_start_methods()
        # twice the cores: a worker waits for the event loop between queries, and the
        # loop serves many connections; with one a core, workers stood idle
        size = workers or 2 * max(2, os.cpu_count() or 2)
        self._pool = _AsyncPool(store, size, max_rows) if forking else None
        self._spare = _Pool(store, 1, max_rows) if forking else None

    def answer(self, text: str, source: str = "query") -> Answer:
        """Run ``text`` (InputError for a bad, refused or too long query; TimeLimitError
        past the time limit)."""
        _check_length(text)
        kept = self._remembered((text, None))
        if kept is not None:
            return kept
        prepared = prepare(text, source=source)
        if self._spare is None:
            answer = run_bounded(
                compute, (self.store, prepared, self.max_rows), self.timeout, prepared.source
            )
        else:
            with self._lock:
                answer = self._spare.run(("answer", prepared), self.timeout or 0, source)
        self._remember((text, None), answer, len(answer.rows) + answer.ntriples.count(b"\n"))
        return answer

    async def respond(self, text: str, accept: str | None) -> Outcome:
        """``text`` answered for a client sending ``accept``, without blocking the event
        loop (the same errors as ``answer``)."""
        _check_length(text)
        key = (text, accept)
        kept = self._remembered(key)
        if kept is not None:
            return kept
        running = self._running.get(key)
        if running is not None:  # the same query asked again while it runs: one run
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                if not running.cancelled() or _being_cancelled():
                    raise
            # the request running it was cancelled, not this one: run it again (the
            # first of the requests left takes the run, the others wait on it)
            return await self.respond(text, accept)
        running = asyncio.get_running_loop().create_future()
        self._running[key] = running
        try:
            found = await self._run(text, accept)
        except Exception as exc:
            running.set_exception(exc)
            running.exception()  # retrieved: no warning when nobody else waited
            raise
        except BaseException:  # cancelled: so are those who waited for it
            running.cancel()
            raise
        finally:
            del self._running[key]
        running.set_result(found)
        size = len(found.body) // 64 + (len(found.answer.rows) if found.answer else 0)
        self._remember(key, found, size)
        return found

    async def _run(self, text: str, accept: str | None) -> Outcome:
        if self._pool is None:
            return outcome(self.store, text, accept, self.max_rows)
        packed = await self._pool.run_async(("outcome", text, accept), self.timeout or 0, "query")
        return _unpack(packed)

    def _remembered(self, key: tuple[str, str | None]) -> Any:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
            return found

    def _remember(self, key: tuple[str, str | None], value: Any, size: int) -> None:
        if size > CACHED_ROWS:
            return
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)

    def close(self) -> None:
        for pool in (self._pool, self._spare):
            if pool is not None:
                pool.close()


def _check_length(text: str) -> None:
    if len(text) > MAX_QUERY_CHARS:
        raise InputError(f"the query is longer than {MAX_QUERY_CHARS} characters")


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
    """A forked query worker and the server's end of the socket pair joining them."""

    def __init__(
        self, context: Any, store: pyoxigraph.Store, max_rows: int, memory_mb: int
    ) -> None:
        self.channel, child = socket.socketpair()
        self.process = context.Process(
            target=_serve_queries,
            args=(store, max_rows, child, os.getpid(), _in_main_thread(), memory_mb),
            daemon=True,
        )
        with signals_blocked():  # until the worker has its own handlers (worker_signals)
            self.process.start()
        child.close()
        self.fd = self.channel.fileno()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.channel.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


def _frame(payload: bytes) -> bytes:
    """``payload`` as one message on a worker's socket: its length, then itself."""
    return len(payload).to_bytes(8, "big") + payload


class _Frames:
    """Messages read from a socket, bytes as they come: ``pop`` gives each whole one."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def pop(self) -> bytes | None:
        buffer = self._buffer
        if len(buffer) < 8:
            return None
        end = 8 + int.from_bytes(buffer[:8], "big")
        if len(buffer) < end:
            return None
        payload = bytes(buffer[8:end])
        del buffer[:end]
        return payload


class _Forks:
    """Forking and ending the workers of a pool (each is ended by ``close``, idle or
    busy, and waited for: no zombie is left to an init that may not reap it)."""

    def __init__(self, store: pyoxigraph.Store, max_rows: int) -> None:
        self._context = multiprocessing.get_context("fork")
        self._store = store
        self._max_rows = max_rows
        self._memory_mb = memory_limit_mb()
        self._all: set[_Worker] = set()
        self._guard = threading.Lock()
        self.closed = False

    def fork(self) -> _Worker:
        with self._guard:
            if self.closed:
                raise InputError("the query workers are stopped: the server is ending")
            worker = _Worker(self._context, self._store, self._max_rows, self._memory_mb)
            self._all.add(worker)
        return worker

    def retire(self, worker: _Worker) -> None:
        worker.stop()
        with self._guard:
            self._all.discard(worker)
        if self._past_memory_cap(worker):
            _LOG.warning(
                "a query worker ran past its %d MB memory allowance (%s); a new one is forked",
                self._memory_mb,
                MEMORY_LIMIT_ENV,
            )

    def why_died(self, worker: _Worker, source: str) -> KBError:
        """What failed the query of ``worker``, which died: past its memory cap (said as
        ``kb query`` says it), or nothing known."""
        worker.stop()
        if self._past_memory_cap(worker):
            return TimeLimitError(
                f"{source}: query needed more than {self._memory_mb} MB of memory"
            )
        return InputError(f"{source}: the query worker died")

    def _past_memory_cap(self, worker: _Worker) -> bool:
        """Whether ``worker`` (ended) aborted: an allocation in Rust failed at the cap."""
        return bool(self._memory_mb) and worker.process.exitcode == -signal.SIGABRT

    def close(self) -> None:
        with self._guard:
            self.closed = True
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()


class _Pool:
    """Idle workers wait in a queue; a request takes one, or waits for one as long as
    its time limit allows; its thread waits for the answer (pages rendered in threads)."""

    def __init__(self, store: pyoxigraph.Store, size: int, max_rows: int) -> None:
        self._forks = _Forks(store, max_rows)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        try:
            for _ in range(size):
                self._idle.put(self._forks.fork())
        except BaseException:  # (Terminated between two forks: none is left behind)
            self.close()
            raise

    def run(self, task: tuple[Any, ...], timeout: float, source: str) -> Any:
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise _busy(source, timeout) from None
        if not worker.process.is_alive():
            self._forks.retire(worker)
            worker = self._forks.fork()
        healthy = False
        try:
            worker.channel.sendall(_frame(pickle.dumps(task)))
            payload = _receive(worker.channel, timeout)
            healthy = True
        except TimeoutError:
            raise TimeLimitError(f"{source}: query ran longer than {timeout:g} s") from None
        except (EOFError, OSError):
            raise self._forks.why_died(worker, source) from None
        finally:
            if not healthy:
                self._forks.retire(worker)
                if not self._forks.closed:
                    worker = self._forks.fork()
            if not self._forks.closed:
                self._idle.put(worker)
        return _reply(payload, source)

    def close(self) -> None:
        self._forks.close()


def _receive(channel: socket.socket, timeout: float) -> bytes:
    """The next message on ``channel`` (TimeoutError when it has not all come within
    ``timeout`` seconds, EOFError when the worker is gone)."""
    frames = _Frames()
    deadline = time.monotonic() + timeout
    ready = select.poll()
    ready.register(channel.fileno(), select.POLLIN)
    while (payload := frames.pop()) is None:
        left = deadline - time.monotonic()
        if left <= 0 or not ready.poll(left * 1000):
            raise TimeoutError
        data = channel.recv(1 << 16)
        if not data:
            raise EOFError
        frames.feed(data)
    return payload


def _reply(payload: bytes, source: str) -> Any:
    """A worker's answer, or the error it sent raised here."""
    try:
        ok, value = pickle.loads(payload)
    except Exception:  # (an error whose class cannot be rebuilt here)
        raise InputError(f"{source}: the query worker's answer could not be read") from None
    if not ok:
        raise value
    return value


def _write(fd: int, data: bytes) -> int:
    """What of ``data`` a non-blocking write to ``fd`` took at once."""
    try:
        return os.write(fd, data)
    except BlockingIOError:
        return 0


class _Link:
    """The event loop's hold on one worker: the reply awaited from it and its deadline."""

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker
        self.frames = _Frames()
        self.reply: asyncio.Future[bytes] | None = None
        self.deadline = 0.0
        self.timeout = 0.0
        self.source = "query"


@dataclass
class _Waiter:
    """A request waiting for a worker until ``deadline``, its time limit."""

    future: asyncio.Future[_Link]
    deadline: float
    source: str
    timeout: float


class _AsyncPool:
    """Workers waited on by the event loop itself: each worker's socket is watched for
    as long as it lives (no registration per query), a query is one write to an idle
    worker and its answer one read, and one timer ends the worker of any query past its
    time limit (a fresh one is forked in its place). A request finds an idle worker or
    waits for one as long as its time limit allows, first come, first served."""

    def __init__(self, store: pyoxigraph.Store, size: int, max_rows: int) -> None:
        self._forks = _Forks(store, max_rows)
        self._idle: collections.deque[_Link] = collections.deque()
        self._waiting: collections.deque[_Waiter] = collections.deque()
        self._busy: set[_Link] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        try:
            for _ in range(size):
                self._idle.append(_Link(self._forks.fork()))
        except BaseException:  # (Terminated between two forks: none is left behind)
            self.close()
            raise

    async def run_async(self, task: tuple[Any, ...], timeout: float, source: str) -> Any:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._watch(loop)
        link = await self._take(loop.time() + timeout, timeout, source)
        reply: asyncio.Future[bytes] = loop.create_future()
        link.reply = reply
        # the whole time limit for the query itself, however long it waited for a
        # worker (a query given the rest of it would be cut short, its worker ended)
        link.deadline = loop.time() + timeout
        link.source, link.timeout = source, timeout
        self._busy.add(link)
        self._arm(link.deadline)
        data = _frame(pickle.dumps(task))
        try:
            sent = _write(link.worker.fd, data)
            if sent < len(data):  # a long query and a full socket buffer: the rest waits
                await loop.sock_sendall(link.worker.channel, data[sent:])
        except OSError:
            self._lost(link)
        # a request cancelled here leaves its worker busy until it answers (or its
        # deadline ends it): the answer is then dropped
        return _reply(await reply, source)

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Watch every worker's socket from ``loop`` (the first loop, or a new one after
        the last was closed, as a test's asyncio.run does)."""
        self._loop, self._timer = loop, None
        self._waiting.clear()  # (their loop is closed: none is awaited any more)
        for link in self._busy:  # answers still to come, which nobody awaits now
            link.reply = None
        for link in [*self._idle, *self._busy]:
            link.worker.channel.setblocking(False)
            loop.add_reader(link.worker.fd, self._readable, link)
        for link in list(self._idle):  # died before it was watched: no end-of-file came
            if not link.worker.process.is_alive():
                self._lost(link)
        if self._busy:
            self._arm(min(b.deadline for b in self._busy))

    def _readable(self, link: _Link) -> None:
        try:
            data = os.read(link.worker.fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._lost(link)
            return
        link.frames.feed(data)
        payload = link.frames.pop()
        if payload is None:
            return
        self._busy.discard(link)
        reply, link.reply = link.reply, None
        if reply is not None and not reply.done():
            reply.set_result(payload)
        self._give_back(link)

    def _lost(self, link: _Link) -> None:
        """The worker died (or its socket failed): its query fails, a new one is forked."""
        self._end(link, self._forks.why_died(link.worker, link.source))

    def _arm(self, at: float) -> None:
        """Have the one timer wake at ``at`` at the latest."""
        assert self._loop is not None
        if self._timer is not None:
            if self._timer_at <= at:
                return
            self._timer.cancel()
        self._timer, self._timer_at = self._loop.call_at(at, self._sweep), at

    def _sweep(self) -> None:
        """End the worker of each query past its time limit, and fail each request that
        waited for a worker as long as its own limit; wake again at the next deadline."""
        self._timer = None
        assert self._loop is not None
        now = self._loop.time()
        for waiter in self._waiting:  # first: a worker freed now is not theirs
            if waiter.deadline <= now and not waiter.future.done():
                waiter.future.set_exception(_busy(waiter.source, waiter.timeout))
        for link in [b for b in self._busy if b.deadline <= now]:
            ran = f"{link.source}: query ran longer than {link.timeout:g} s"
            self._end(link, TimeLimitError(ran))
        deadlines = [b.deadline for b in self._busy]
        deadlines += [w.deadline for w in self._waiting if not w.future.done()]
        if deadlines:
            self._arm(min(deadlines))

    def _end(self, link: _Link, error: KBError) -> None:
        """End ``link``'s worker, failing its query with ``error``; fork one in its place."""
        assert self._loop is not None
        self._busy.discard(link)
        with contextlib.suppress(ValueError, KeyError):
            self._idle.remove(link)
        self._loop.remove_reader(link.worker.fd)
        reply, link.reply = link.reply, None
        if reply is not None and not reply.done():
            reply.set_exception(error)
        self._forks.retire(link.worker)
        if self._forks.closed:
            return
        fresh = _Link(self._forks.fork())
        fresh.worker.channel.setblocking(False)
        self._loop.add_reader(fresh.worker.fd, self._readable, fresh)
        self._give_back(fresh)

    async def _take(self, deadline: float, timeout: float, source: str) -> _Link:
        """An idle worker, or the first one given back while this request is the longest
        waiting (first come, first served: a client just answered does not jump ahead)."""
        if self._idle and not self._waiting:
            return self._idle.popleft()
        # no asyncio.wait_for: its timer, task and callbacks per request cost the loop
        # more than the query's own hand-off; the pool's one timer ends the wait
        waiter = _Waiter(asyncio.get_running_loop().create_future(), deadline, source, timeout)
        self._waiting.append(waiter)
        self._arm(deadline)
        try:
            return await waiter.future
        except asyncio.CancelledError:
            future = waiter.future
            if future.done() and not future.cancelled() and future.exception() is None:
                self._give_back(future.result())  # given one as it was cancelled
            raise

    def _give_back(self, link: _Link) -> None:
        while self._waiting:
            waiter = self._waiting.popleft().future
            if not waiter.done():
                waiter.set_result(link)
                return
        self._idle.append(link)

    def close(self) -> None:
        """End every worker, idle or busy, and wait for each."""
        self._forks.close()


def _being_cancelled() -> bool:
    """Whether the running task itself has been asked to stop."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _busy(source: str, timeout: float) -> TimeLimitError:
    return TimeLimitError(f"{source}: every query worker was busy for {timeout:g} s")


def _die_with_parent() -> None:
    """On Linux, have the kernel end this worker when the server ends, even in the middle
    of a query (PR_SET_PDEATHSIG); elsewhere the loop's check does it between queries."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG


def _yield_to_the_loop() -> None:
    """Where the system allows, schedule this worker as a batch job: woken by a query,
    it waits for a free core rather than taking the one the event loop runs on (every
    query passes through that one loop; a worker preempting it delays them all)."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _serve_queries(
    store: pyoxigraph.Store,
    max_rows: int,
    channel: socket.socket,
    server: int,
    bind: bool,
    memory_mb: int,
) -> None:
    """A worker's loop: do each task sent until the server goes away (checked each
    second: where the server's sockets are not closed here, other workers hold copies of
    this socket's far end, and no end-of-file comes). Its memory is capped as ``kb
    query``'s worker's is: a query past it ends the worker, which is replaced."""
    worker_signals()
    _close_inherited_sockets(keep=channel.fileno())
    if memory_mb:  # (a 700-character query of doubling CONCATs asks for a terabyte)
        cap_memory(memory_mb)
        # Past the cap, Rust writes "memory allocation of N bytes failed" (and, with
        # RUST_BACKTRACE set, a backtrace) to descriptor 2 and aborts: a client could
        # fill the server's log that way. The server logs one line instead (_Forks).
        silence_native_stderr()
    if bind:  # the death signal follows the forking thread, so only the main thread's
        _die_with_parent()
    _yield_to_the_loop()
    fd = channel.fileno()
    ready = select.poll()
    ready.register(fd, select.POLLIN)
    frames = _Frames()
    while True:
        try:
            while (payload := frames.pop()) is None:
                if not ready.poll(1000):
                    if os.getppid() != server:
                        return
                    continue
                data = os.read(fd, 1 << 16)
                if not data:
                    return
                frames.feed(data)
            task = pickle.loads(payload)
        except (OSError, KeyboardInterrupt):
            return
        try:
            reply: tuple[bool, Any] = (True, _do(store, max_rows, task))
        except KBError as exc:
            reply = (False, exc)
        except Exception as exc:  # sent back and re-raised in the server
            reply = (False, InputError(str(exc)))
        try:
            answer = pickle.dumps(reply)
        except Exception as exc:  # (an error that cannot be pickled: its words)
            answer = pickle.dumps((False, InputError(str(exc))))
        if len(answer) > MAX_ANSWER_BYTES:
            too_large = f"query: the answer is larger than {MAX_ANSWER_BYTES} bytes"
            answer = pickle.dumps((False, InputError(too_large)))
        try:
            channel.sendall(_frame(answer))
        except (OSError, KeyboardInterrupt):
            return


def _close_inherited_sockets(keep: int) -> None:
    """Close the server's sockets this worker was forked with (clients' connections, the
    listening socket, other workers' pipes): held here, a connection the server closed
    stayed open to its client, which waited for an end that never came. Linux only
    (/proc); elsewhere they stay."""
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            with contextlib.suppress(OSError):  # (the listing's own fd is gone by now)
                if fd != keep and stat.S_ISSOCK(os.fstat(fd).st_mode):
                    os.close(fd)


def _do(store: pyoxigraph.Store, max_rows: int, task: tuple[Any, ...]) -> Any:
    if task[0] == "answer":
        return compute(store, task[1], max_rows)
    return _pack(outcome(store, task[1], task[2], max_rows))


def _pack(found: Outcome) -> tuple[bool, str | None, bytes, Answer | None]:
    """``found`` as plain values for the pipe: pickling its format records each time cost
    the worker and the event loop as much as answering a small query's JSON."""
    fmt = found.fmt.name if found.fmt is not None else None
    return found.formats is RESULT_FORMATS, fmt, found.body, found.answer


def _unpack(packed: tuple[bool, str | None, bytes, Answer | None]) -> Outcome:
    results, name, body, answer = packed
    formats = RESULT_FORMATS if results else GRAPH_FORMATS
    fmt = next((each for each in formats if each.name == name), None)
    return Outcome(formats, fmt, body, answer)


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


def _json_now(store: pyoxigraph.Store, prepared: PreparedQuery, max_rows: int) -> bytes:
    """``prepared``'s answer as SPARQL JSON, cut at ``max_rows`` rows. pyoxigraph writes
    it while it is small (up to JSON_BUDGET bytes, counted as they come); a larger one is
    written here row by row, the rows past the cap never computed."""
    written = _Bounded(JSON_BUDGET)
    try:
        found = solutions(store, prepared)
        found.serialize(written, format=pyoxigraph.QueryResultsFormat.JSON)
    except _Bounded.Full:
        return _json_rows(solutions(store, prepared), max_rows)
    document = b"".join(written.parts)
    # a row takes three bytes at least ("{}," ): a shorter answer cannot pass the cap
    if len(document) > 3 * max_rows:
        parsed = json.loads(document)
        rows = parsed.get("results", {}).get("bindings", [])
        if len(rows) > max_rows:
            parsed["results"]["bindings"] = rows[:max_rows]
            document = json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode()
    return document + b"\n"


#: The longest SPARQL JSON answer pyoxigraph writes in one piece.
JSON_BUDGET = 1 << 20


class _Bounded:
    """A file pyoxigraph writes to, full past ``budget`` bytes (it raises ``Full``)."""

    class Full(Exception):
        pass

    def __init__(self, budget: int) -> None:
        self.parts: list[bytes] = []
        self._left = budget

    def write(self, data: bytes) -> int:
        self._left -= len(data)
        if self._left < 0:
            raise _Bounded.Full
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _json_rows(found: Any, max_rows: int) -> bytes:
    """SPARQL JSON written from pyoxigraph's terms as they come, cut at ``max_rows``."""
    if isinstance(found, pyoxigraph.QueryBoolean):
        return _json(Answer("ASK", boolean=bool(found)))
    names = [variable.value for variable in found.variables]
    bindings = [
        {name: _json_term(term) for name, term in zip(names, row, strict=True) if term is not None}
        for row in itertools.islice(found, max_rows)
    ]
    document = {"head": {"vars": names}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False).encode() + b"\n"


def _json_term(term: Any) -> dict[str, str]:
    kind = type(term)
    if kind is pyoxigraph.NamedNode:
        return {"type": "uri", "value": term.value}
    if kind is pyoxigraph.Literal:
        found = {"type": "literal", "value": term.value}
        if term.language:
            found["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            found["datatype"] = term.datatype.value
        return found
    if kind is pyoxigraph.BlankNode:
        return {"type": "bnode", "value": term.value}
    return parse_term(str(term))  # a quoted triple: as its N-Triples text reads


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
