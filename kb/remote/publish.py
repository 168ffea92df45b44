"""``kb push``: send the published graph to a SPARQL 1.1 server (one Graph Store Protocol
PUT, or a staging graph moved into place by one SPARQL Update) and verify its triple
count read back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import kb.remote.gsp as gsp
from kb.errors import InputError, UsageError
from kb.namespaces import DEFAULT_GRAPH
from kb.remote.client import DEFAULT_MAX_RESPONSE_MB, DEFAULT_TIMEOUT, MB, HttpClient, Progress
from kb.remote.credentials import Auth
from kb.remote.urls import check_graph, check_url, graph_url

if TYPE_CHECKING:
    import pyoxigraph


@dataclass(frozen=True)
class PushResult:
    """What a push did: ``atomic`` is True when the graph was moved into place by one
    SPARQL Update (readers saw the old graph or the new one, never a mix or nothing)."""

    triples: int
    graph: str
    seconds: float
    atomic: bool
    staging: str | None = None


def count_triples(data: bytes) -> int:
    """Distinct triples in N-Triples ``data``; InputError when it does not parse."""
    import pyoxigraph

    try:
        return len(set(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_TRIPLES)))
    except SyntaxError as exc:
        line = f":{exc.lineno}" if exc.lineno else ""
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"<push data>{line}: {first}") from None


def staging_graph(graph: str) -> str:
    """A fresh, unique staging graph IRI next to ``graph``."""
    return f"{graph}{'-' if graph[-1:] not in '/#' else ''}staging-{uuid.uuid4().hex}"


def _counter(
    client: HttpClient, store_url: str, endpoint_url: str | None
) -> Callable[[str, int], int]:
    """A function counting a graph's triples (given how many are expected) through the
    endpoint if given, else the store."""
    if endpoint_url:
        return lambda graph, _expected: gsp.count_at_endpoint(client, endpoint_url, graph)
    return lambda graph, expected: gsp.count_in_store(client, store_url, graph, expected)


def _push_staged(
    client: HttpClient,
    data: bytes,
    triples: int,
    urls: tuple[str, str, str | None],
    graph: str,
    progress: Progress | None,
) -> str:
    """PUT into a staging graph, verify its count, MOVE it over ``graph``; return its IRI.
    On any failure the staging graph is dropped (best effort) and ``graph`` is untouched."""
    store_url, update_url, endpoint_url = urls
    staging = staging_graph(graph)
    count = _counter(client, store_url, endpoint_url)
    moved = False
    try:
        bulk = gsp.is_oxigraph(client, store_url)
        gsp.put_graph(client, store_url, staging, data, progress, bulk=bulk)
        held = count(staging, triples)
        if held != triples:
            raise client.fail(
                graph_url(store_url, staging),
                f"the staging graph holds {held} triples, {triples} were sent; "
                "the target graph was not changed",
            )
        gsp.sparql_update(client, update_url, f"MOVE <{staging}> TO <{graph}>")
        moved = True
    finally:
        if not moved:
            gsp.drop_quietly(client, update_url, staging)
    return staging


def push(
    data: bytes,
    store_url: str,
    update_url: str | None = None,
    endpoint_url: str | None = None,
    graph: str = DEFAULT_GRAPH,
    auth: Auth | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress | None = None,
    expected_triples: int | None = None,
    max_bytes: int = DEFAULT_MAX_RESPONSE_MB * MB,
) -> PushResult:
    """Send N-Triples ``data`` (the published graph) to ``graph`` on a SPARQL 1.1 server.

    With ``update_url`` the data goes to a staging graph first, its triple count is
    verified, and one ``MOVE`` replaces the target, so readers see the old graph or the
    new one. Without it a Graph Store Protocol PUT replaces the target (not atomic on
    servers that clear the graph before loading). Either way the target's triple count is
    read back (through ``endpoint_url`` if given, else the store) and must match. Each
    request gets ``timeout`` seconds and each answer at most ``max_bytes``.

    ``expected_triples`` skips the local parse of ``data`` (the caller vouches for the
    count); otherwise data that does not parse raises InputError before anything is sent.
    """
    start = time.monotonic()
    check_url(store_url, "store")
    for url, what in ((update_url, "update endpoint"), (endpoint_url, "query endpoint")):
        if url:
            check_url(url, what)
    check_graph(graph)
    triples = count_triples(data) if expected_triples is None else expected_triples
    if triples == 0:
        raise UsageError("nothing to push: the graph is empty")
    client = HttpClient(auth, timeout, max_bytes)
    staging = None
    if update_url:
        urls = (store_url, update_url, endpoint_url)
        staging = _push_staged(client, data, triples, urls, graph, progress)
    else:
        gsp.put_graph(client, store_url, graph, data, progress)
    held = _counter(client, store_url, endpoint_url)(graph, triples)
    if held != triples:
        raise client.fail(
            endpoint_url or graph_url(store_url, graph),
            f"after the push the graph holds {held} triples, {triples} were sent",
        )
    seconds = time.monotonic() - start
    return PushResult(triples, graph, seconds, atomic=update_url is not None, staging=staging)


def fetch_graph(
    store_url: str,
    graph: str = DEFAULT_GRAPH,
    auth: Auth | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_RESPONSE_MB * MB,
) -> list[pyoxigraph.Triple]:
    """The triples of ``graph`` by a Graph Store Protocol GET (for checks and tests)."""
    client = HttpClient(auth, timeout, max_bytes)
    return gsp.get_graph(client, check_url(store_url, "store"), graph)
