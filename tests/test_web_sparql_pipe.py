"""An answer larger than the pipe between ``kb serve``'s event loop and its query worker
arrives whole, under uvloop (which ``kb serve`` runs): uvloop leaves a pipe it watched
non-blocking, and reading a long answer from it then failed as "the query worker died"
(the 1M-triple load run's 300 errors of the same-text catalogue query, whose answer is
132 KB)."""

from __future__ import annotations

import asyncio
import json

import pyoxigraph
import pytest

from kb.web.sparql import Endpoint

uvloop = pytest.importorskip("uvloop", reason="uvloop not installed: kb serve runs asyncio")

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
