"""The endpoint's answers, without a server: the row cap, and each results format read
back by rdflib's own parsers with every kind of term (IRIs, blank nodes, language tags,
datatypes, quotes, newlines, tabs, non-ASCII)."""

from __future__ import annotations

import asyncio
import io

import pyoxigraph
import pytest
import rdflib
from rdflib.query import Result

from kb.errors import InputError, TimeLimitError
from kb.web.sparql import RESULT_FORMATS, Endpoint, Outcome, outcome, serialize

DATA = """
@prefix ex: <https://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:v "plain" , "tab\\there" , "line\\nbreak \\"quoted\\" \\\\ back" , "caf\u00e9"@fr ,
    "7"^^xsd:integer , [ ex:w "inner" ] , ex:b .
"""
SELECT = "SELECT ?o WHERE { <https://example.org/a> <https://example.org/v> ?o } ORDER BY ?o"


@pytest.fixture(scope="module")
def endpoint() -> Endpoint:
    store = pyoxigraph.Store()
    store.load(DATA.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    return Endpoint(store, timeout=None)


def _expected(endpoint: Endpoint) -> list[rdflib.term.Node]:
    graph = rdflib.Graph()
    for quad in endpoint.store:
        graph.parse(data=f"{quad.subject} {quad.predicate} {quad.object} .", format="nt")
    return sorted(
        (o for o in graph.objects(rdflib.URIRef("https://example.org/a"), None)),
        key=lambda t: (type(t).__name__, str(t)),
    )


@pytest.mark.parametrize("fmt", [f for f in RESULT_FORMATS if f.name != "html"], ids=str)
def test_each_format_reads_back_with_every_kind_of_term(endpoint: Endpoint, fmt) -> None:  # type: ignore[no-untyped-def]
    answer = endpoint.answer(SELECT)
    data = serialize(answer, fmt)
    result = Result.parse(io.BytesIO(data), format=fmt.name)
    values = [row[0] for row in result]
    assert len(values) == 7
    if fmt.name == "csv":  # CSV keeps lexical forms only, by definition
        assert {str(v) for v in values} >= {"plain", "tab\there", "caf\u00e9", "7"}
        return
    got = sorted(
        (v for v in values if not isinstance(v, rdflib.BNode)),
        key=lambda t: (type(t).__name__, str(t)),
    )
    want = [t for t in _expected(endpoint) if not isinstance(t, rdflib.BNode)]
    assert got == want
    assert any(isinstance(v, rdflib.BNode) for v in values)


def test_ask(endpoint: Endpoint) -> None:
    answer = endpoint.answer("ASK { ?s ?p ?o }")
    json_, xml, csv, tsv = RESULT_FORMATS[:-1]
    for fmt in (json_, xml):
        assert Result.parse(io.BytesIO(serialize(answer, fmt)), format=fmt.name).askAnswer is True
    # CSV and TSV have no standard boolean form: as pyoxigraph and kb query write it
    assert serialize(answer, csv) == serialize(answer, tsv) == b"true\n"


def test_rows_past_the_cap_are_cut() -> None:
    store = pyoxigraph.Store()
    store.load(DATA.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    capped = Endpoint(store, timeout=None, max_rows=3)
    answer = capped.answer(SELECT)
    assert len(answer.rows) == 3 and answer.truncated
    graph = capped.answer("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert graph.ntriples.count(b"\n") == 3 and graph.truncated
    small = capped.answer("SELECT * WHERE { ?s <https://example.org/w> ?o }")
    assert len(small.rows) == 1 and not small.truncated


@pytest.mark.parametrize("budget", [1 << 20, 64], ids=["written-by-pyoxigraph", "row-by-row"])
def test_json_answers_are_cut_at_the_cap_too(budget: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    import kb.web.sparql

    monkeypatch.setattr(kb.web.sparql, "JSON_BUDGET", budget)
    store = pyoxigraph.Store()
    store.load(DATA.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    json_ = "application/sparql-results+json"
    for cap, rows in ((3, 3), (7, 7), (100, 7)):
        found = json.loads(outcome(store, SELECT, json_, cap).body)
        assert len(found["results"]["bindings"]) == rows and found["head"]["vars"] == ["o"]
    assert json.loads(outcome(store, "ASK { ?s ?p ?o }", json_, 1).body)["boolean"] is True


def _slowed(endpoint: Endpoint, runs: list[str], seconds: float = 0.2) -> None:
    """Each run of ``endpoint`` takes ``seconds`` longer, and is counted in ``runs``."""
    plain = endpoint._run

    async def slow(text: str, accept: str | None) -> Outcome:
        runs.append(text)
        await asyncio.sleep(seconds)
        return await plain(text, accept)

    endpoint._run = slow  # type: ignore[method-assign]


def test_the_same_query_asked_at_once_runs_once() -> None:
    """Fifty clients sending one text while it runs share its run (and its error)."""
    store = pyoxigraph.Store()
    store.load(DATA.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    endpoint = Endpoint(store, timeout=None)
    runs: list[str] = []
    _slowed(endpoint, runs, 0.05)

    async def ask(text: str, times: int) -> list[Outcome | BaseException]:
        asked = (endpoint.respond(text, "text/csv") for _ in range(times))
        return await asyncio.gather(*asked, return_exceptions=True)

    answers = asyncio.run(ask(SELECT, 50))
    assert len(runs) == 1 and len({a.body for a in answers}) == 1  # type: ignore[union-attr]
    failures = asyncio.run(ask("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }", 5))
    assert len(runs) == 2 and all(isinstance(f, InputError) for f in failures)


def test_a_shared_run_whose_first_request_is_cancelled_still_answers_the_others() -> None:
    """Before, cancelling the request that ran a shared query cancelled every request
    waiting on it; now the first of those left runs it again, the others share that run,
    and a waiting request cancelled itself is cancelled alone."""
    store = pyoxigraph.Store()
    store.load(DATA.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    endpoint = Endpoint(store, timeout=None)
    runs: list[str] = []
    _slowed(endpoint, runs)

    async def scenario() -> list[Outcome]:
        first = asyncio.create_task(endpoint.respond(SELECT, "text/csv"))
        await asyncio.sleep(0.05)  # first runs the query
        others = [asyncio.create_task(endpoint.respond(SELECT, "text/csv")) for _ in range(4)]
        await asyncio.sleep(0.05)  # the others wait on its run
        first.cancel()
        others[0].cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        with pytest.raises(asyncio.CancelledError):
            await others[0]
        return await asyncio.gather(*others[1:])

    answers = asyncio.run(scenario())
    assert len(runs) == 2
    assert len({a.body for a in answers}) == 1 and b"plain" in answers[0].body


def test_a_query_worker_killed_between_queries_costs_no_query() -> None:
    """A worker that dies while idle (killed by hand, out of memory) is replaced before
    the next query needs it: noticed at once by a running event loop, or when a new
    loop first asks (as each test's asyncio.run does)."""
    import multiprocessing
    import os
    import signal

    store = pyoxigraph.Store()
    store.load(DATA.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    endpoint = Endpoint(store, timeout=10, workers=2)

    def kill_workers() -> None:
        for child in multiprocessing.active_children():
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
            child.join()

    async def ask(n: int) -> bytes:
        return (await endpoint.respond(f"{SELECT} # {n}", "text/csv")).body

    async def killed_while_running() -> bytes:
        await ask(2)
        kill_workers()
        await asyncio.sleep(0.2)  # the loop hears of their end
        return await ask(3)

    async def killed_in_a_query() -> BaseException | None:
        patterns = " ".join(f"?s{n} ?p{n} ?o{n} ." for n in range(9))
        slow = asyncio.ensure_future(endpoint.respond(f"SELECT * {{ {patterns} }}", "text/csv"))
        await asyncio.sleep(0.3)
        kill_workers()
        try:
            await slow
        except InputError as exc:
            return exc
        return None

    try:
        first = asyncio.run(ask(1))
        kill_workers()
        assert asyncio.run(ask(1)) == first  # the cached answer
        assert asyncio.run(ask(4)) == first
        assert asyncio.run(killed_while_running()) == first
        assert "query: the query worker died" in str(asyncio.run(killed_in_a_query()))
        assert asyncio.run(ask(5)) == first
    finally:
        endpoint.close()


def test_a_query_past_its_limit_ends_its_worker_and_a_request_waits_no_longer() -> None:
    """One worker, a time limit of 1 s and two slow queries: the first is ended at its
    limit, the second, waiting for the worker, waits no longer; then a fresh worker
    answers."""
    store = pyoxigraph.Store()
    store.load(DATA.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    endpoint = Endpoint(store, timeout=1, workers=1)
    patterns = " ".join(f"?s{n} ?p{n} ?o{n} ." for n in range(9))
    slow = f"SELECT (COUNT(*) AS ?n) WHERE {{ {patterns} }}"

    async def ask() -> list[Outcome | BaseException]:
        asked = [endpoint.respond(f"{slow} # {n}", "text/csv") for n in range(2)]
        return await asyncio.gather(*asked, return_exceptions=True)

    try:
        ended, waited = asyncio.run(ask())
        assert "query ran longer than 1 s" in str(ended)
        # told at its limit that the worker was busy, or given the fresh one and ended
        # at its own (both deadlines come at the same moment)
        assert isinstance(waited, TimeLimitError), waited
        quick = asyncio.run(endpoint.respond(SELECT, "text/csv"))
        assert quick.body.count(b"\r\n") == 8  # the header and seven rows
    finally:
        endpoint.close()
