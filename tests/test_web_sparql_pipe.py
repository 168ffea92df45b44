"""The query workers of ``kb serve`` and what passes between them and the server.

An answer larger than the pipe between ``kb serve``'s event loop and its query worker
arrives whole, under uvloop (which ``kb serve`` runs): uvloop leaves a pipe it watched
non-blocking, and reading a long answer from it then failed as "the query worker died"
(the 1M-triple load run's 300 errors of the same-text catalogue query, whose answer is
132 KB)."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.parse

import pyoxigraph
import pytest

from kb.web.sparql import Endpoint
from tests.web_server import kb_serve

#: 200 subjects: every pair of them is 40,000 rows, cut to the endpoint's cap of 10,000
#: (about 1.5 MB of JSON, far past a pipe's buffer)
DATA = "".join(f'<https://example.org/s{n}> <https://example.org/p> "{n}" .\n' for n in range(200))
PAIRS = "SELECT ?a ?b WHERE { ?a <https://example.org/p> ?x . ?b <https://example.org/p> ?y }"
JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def endpoint():  # type: ignore[no-untyped-def]
    store = pyoxigraph.Store()
    store.load(DATA.encode(), format=pyoxigraph.RdfFormat.N_TRIPLES)
    served = Endpoint(store, timeout=30, workers=2)
    yield served
    served.close()


def test_a_long_answer_reaches_every_client_asking_at_once(endpoint: Endpoint) -> None:
    uvloop = pytest.importorskip("uvloop", reason="uvloop not installed: kb serve runs asyncio")

    async def ask(text: str, clients: int) -> list[bytes]:
        found = await asyncio.gather(*(endpoint.respond(text, JSON) for _ in range(clients)))
        return [each.body for each in found]

    # the same text from 20 clients shares one run; then more texts than workers, each
    # answer through a pipe uvloop has already watched once
    bodies = uvloop.run(ask(PAIRS, 20))
    bodies += uvloop.run(ask(PAIRS + " # again", 1))
    bodies += uvloop.run(ask(PAIRS + " # and again", 1))
    assert len(set(bodies)) == 1
    assert len(bodies[0]) > 1_000_000
    assert len(json.loads(bodies[0])["results"]["bindings"]) == endpoint.max_rows


def test_a_connection_the_server_closes_ends_though_a_worker_was_forked_meanwhile() -> None:
    """A worker forked in place of one past its time limit got copies of the clients'
    sockets open at that moment: a connection the server then closed stayed open to its
    client, which waited for an end that never came (seen at 1M triples, where the
    workers were forked again and again)."""
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with (
        kb_serve("--timeout", "1") as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle,
    ):
        idle.sendall(b"HEAD /static/style.css HTTP/1.1\r\nHost: kb\r\n\r\n")
        head = b""
        while not head.endswith(b"\r\n\r\n"):  # answered: open and idle on the server
            head += idle.recv(1)
        reply = server.request("/sparql?query=" + urllib.parse.quote(slow), {"Accept": "text/csv"})
        assert reply.status == 503  # its worker ended, another forked with `idle` open
        idle.sendall(b"HEAD /static/style.css HTTP/1.1\r\nHost: kb\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := idle.recv(65536):  # to the end: socket.timeout here was the bug
            received += chunk
        assert received.startswith(b"HTTP/1.1 200")
