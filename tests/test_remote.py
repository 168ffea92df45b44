"""Pushes to and queries of real SPARQL servers (Oxigraph and Virtuoso, started by the
session fixtures of conftest.py): the graph read back is isomorphic to the published one,
a second push replaces, a rejected push leaves the old graph, and every catalogue query
gives the same rows as the embedded store."""

from __future__ import annotations

import functools
import re
import urllib.parse
import uuid
from collections.abc import Iterable
from pathlib import Path

import pytest

from kb import remote
from kb.catalogue import catalogue
from kb.errors import InputError, ServerError
from kb.namespaces import DEFAULT_GRAPH
from kb.query import QueryResult, prepare, run_with_time_limit
from kb.resources import Layout
from tests import helpers
from tests.helpers import REPO
from tests.servers import Server

EXTRA = b"<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n"


@pytest.fixture(scope="module")
def layout() -> Layout:
    """The knowledge base of this checkout."""
    return Layout(REPO)


@pytest.fixture(params=["oxigraph", "virtuoso"])
def server(request: pytest.FixtureRequest) -> Server:
    """Each test below runs against both servers."""
    return request.getfixturevalue(request.param)


def auth_of(server: Server) -> remote.Auth | None:
    return remote.Auth(server.user, server.password, server.auth) if server.user else None


def fresh_graph() -> str:
    """A graph IRI no other test writes to."""
    return f"{DEFAULT_GRAPH}/test-{uuid.uuid4().hex[:12]}"


def rdflib_graph(nt: bytes | Iterable[object]):  # type: ignore[no-untyped-def]
    """An rdflib Graph of N-Triples bytes or of pyoxigraph triples."""
    import rdflib

    if not isinstance(nt, bytes):
        nt = "".join(f"{triple} .\n" for triple in nt).encode()
    return rdflib.Graph().parse(data=nt, format="nt")


def assert_isomorphic(server: Server, graph: str, expected: bytes) -> None:
    from rdflib.compare import isomorphic

    triples = remote.fetch_graph(server.store, graph, auth_of(server))
    assert isomorphic(rdflib_graph(triples), rdflib_graph(expected))


def holds(server: Server, graph: str) -> bool:
    """True when ``graph`` has any triple on the server (an ASK: cheap on every store)."""
    ask = f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    return bool(remote.remote_query(ask, server.query, graph=None).result)


def staging_graphs_with(server: Server, subject: str) -> set[str]:
    """Staging graphs holding a triple about ``subject`` (an index lookup, not a scan)."""
    select = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{subject}> ?p ?o }} }}"
    rows = remote.remote_query(select, server.query, graph=None).result
    return {row["g"].value for row in rows if "staging" in row["g"].value}


def push(server: Server, data: bytes, graph: str, staged: bool = True, **kw: object):  # type: ignore[no-untyped-def]
    return remote.push(
        data,
        server.store,
        update_url=server.update if staged else None,
        endpoint_url=server.query,
        graph=graph,
        auth=auth_of(server),
        timeout=30,
        **kw,  # type: ignore[arg-type]
    )


def test_push_staged_reads_back_isomorphic(server: Server, published_nt: bytes) -> None:
    graph = fresh_graph()
    seen: list[tuple[int, int]] = []
    result = push(
        server, published_nt, graph, progress=lambda sent, total: seen.append((sent, total))
    )
    assert result.atomic and result.graph == graph
    assert result.triples == len(rdflib_graph(published_nt)) > 1000
    assert seen and seen[-1] == (len(published_nt), len(published_nt))
    assert_isomorphic(server, graph, published_nt)
    assert result.staging and not holds(server, result.staging)  # moved: nothing left behind


def test_push_without_update_is_put_and_not_atomic(server: Server, published_nt: bytes) -> None:
    graph = fresh_graph()
    result = push(server, published_nt, graph, staged=False)
    assert not result.atomic and result.staging is None
    assert_isomorphic(server, graph, published_nt)


def test_push_counts_the_lines_the_store_answers(
    server: Server, published_nt: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a query endpoint the staging graph and the target are counted by a GET on
    the store: each server answers N-Triples one triple a line, so no answer is parsed."""

    def no_parse(*args: object, **kw: object) -> None:
        raise AssertionError("the count parsed the answer instead of counting its lines")

    monkeypatch.setattr(remote.answers, "parse_rdf", no_parse)
    graph = fresh_graph()
    data = published_nt + b'_:b <https://example.org/p> "two\\nlines"@en .\n'
    auth = auth_of(server)
    try:
        result = remote.push(data, server.store, server.update, graph=graph, auth=auth)
        assert result.atomic and result.triples == len(rdflib_graph(data))
    finally:  # the Virtuoso catalogue test's cost estimate grows with every graph kept
        deleted = remote.HttpClient(auth).request("DELETE", remote.graph_url(server.store, graph))
    assert deleted.status in (200, 204)


@pytest.mark.parametrize("staged", [True, False], ids=["move", "put"])
def test_second_push_replaces(server: Server, published_nt: bytes, staged: bool) -> None:
    graph = fresh_graph()
    push(server, published_nt + EXTRA, graph, staged)
    result = push(server, published_nt, graph, staged)
    assert result.triples == len(rdflib_graph(published_nt))
    assert_isomorphic(server, graph, published_nt)


@pytest.mark.parametrize("staged", [True, False], ids=["move", "put"])
def test_rejected_push_leaves_old_graph(server: Server, published_nt: bytes, staged: bool) -> None:
    graph = fresh_graph()
    push(server, published_nt, graph, staged)
    broken = EXTRA + b"<https://example.org/s> <not an iri .\n"
    with pytest.raises(ServerError) as caught:
        push(server, broken, graph, staged, expected_triples=2)  # skip the local check
    assert caught.value.exit_code == 3
    assert "\n" not in str(caught.value)
    assert_isomorphic(server, graph, published_nt)
    assert staging_graphs_with(server, "https://example.org/s") == set()


def test_invalid_data_is_refused_before_sending(server: Server, published_nt: bytes) -> None:
    graph = fresh_graph()
    push(server, published_nt, graph)
    with pytest.raises(InputError) as caught:
        push(server, b"<https://example.org/s> <broken", graph)
    assert caught.value.exit_code == 2
    assert_isomorphic(server, graph, published_nt)


def _ordered(text: str) -> bool:
    return re.search(r"\bORDER\s+BY\b", text, re.IGNORECASE) is not None


def _rows(result: QueryResult, ordered: bool) -> object:
    if result.rows is None:
        return result.boolean
    return result.rows if ordered else sorted(result.rows, key=repr)


def test_catalogue_same_rows_as_embedded(
    server: Server, layout: Layout, published_nt: bytes
) -> None:
    """Every catalogue query, with its default bindings, on the pushed graph."""
    import pyoxigraph

    from kb.published import published_store

    graph = fresh_graph()
    push(server, published_nt, graph)
    local_store = published_store(layout)
    asked = remote.Remote(server.query, graph, None, 30)
    entries = catalogue(layout)
    assert len(entries) >= 14
    for entry in entries:
        prepared = prepare(entry.text, (), entry.params, False, entry.name)
        local = run_with_time_limit(local_store, prepared, "table", None)
        answer = asked.run(prepared, "table")
        ordered = _ordered(entry.text)
        assert _rows(answer, ordered) == _rows(local, ordered), entry.name
        assert answer.variables == local.variables, entry.name
    assert isinstance(local_store, pyoxigraph.Store)


def test_graph_is_addressed_explicitly(server: Server, published_nt: bytes) -> None:
    """Another graph on the server (and Virtuoso's union default graph) never leaks in."""
    graph, other = fresh_graph(), fresh_graph()
    push(server, published_nt, graph)
    push(server, EXTRA, other)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    answer = remote.remote_query(count, server.query, graph)
    assert int(next(iter(answer.result))["n"].value) == len(rdflib_graph(published_nt))


def test_construct_comes_back_as_triples(server: Server, published_nt: bytes) -> None:
    graph = fresh_graph()
    push(server, published_nt, graph)
    answer = remote.remote_query("CONSTRUCT WHERE { ?s ?p ?o }", server.query, graph)
    from rdflib.compare import isomorphic

    assert isomorphic(rdflib_graph(answer.result), rdflib_graph(published_nt))


def test_digest_auth_on_query(virtuoso: Server) -> None:
    """Virtuoso's /sparql-auth needs Digest; the right password passes, a wrong one is 401."""
    auth = auth_of(virtuoso)
    assert auth is not None
    answer = remote.remote_query("ASK { }", virtuoso.update, None, auth)
    assert bool(answer.result) is True
    wrong = remote.Auth(auth.user, "not-the-password", "digest")
    with pytest.raises(ServerError, match="401") as caught:
        remote.remote_query("ASK { }", virtuoso.update, None, wrong)
    assert "not-the-password" not in str(caught.value)


# --- through the kb command ---------------------------------------------------------------


#: ``kb --root REPO ARGS`` in-process: the bundled knowledge base.
kb = functools.partial(helpers.kb, root=REPO)


def cli_push_args(server: Server, graph: str, staged: bool = True) -> list[str]:
    args = ["push", "--store", server.store, "--endpoint", server.query, "--graph", graph]
    if staged:
        args += ["--update", server.update]
    if server.user:
        args += ["--user", server.user, "--auth", server.auth]
    return args


def cli_env(server: Server) -> dict[str, str]:
    return {remote.PASSWORD_ENV: server.password} if server.password else {}


@pytest.mark.parametrize("staged", [True, False], ids=["move", "put"])
def test_kb_push(server: Server, published_nt: bytes, staged: bool) -> None:
    graph = fresh_graph()
    result = kb(*cli_push_args(server, graph, staged), env=cli_env(server))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    triples = len(rdflib_graph(published_nt))
    assert lines[0].startswith(f"pushed {triples} triples to <{graph}> in ")
    assert lines[1].startswith("atomic:" if staged else "not atomic:")
    assert_isomorphic(server, graph, published_nt)


def test_kb_push_of_broken_data_exits_2_and_leaves_graph(
    server: Server, published_nt: bytes, tmp_path: Path
) -> None:
    graph = fresh_graph()
    push(server, published_nt, graph)
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix schema: <https://schema.org/> .\n<https://e/x> schema:name .\n")
    result = kb(*cli_push_args(server, graph), str(broken), env=cli_env(server))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "broken.ttl:2" in result.stderr
    assert_isomorphic(server, graph, published_nt)


def test_kb_push_to_nothing_exits_3() -> None:
    from tests.servers import free_port

    url = f"http://127.0.0.1:{free_port()}/store"
    result = kb("push", "--store", url, "--timeout", "2")
    assert result.exit_code == 3
    assert (
        result.stderr
        == f"{url}?graph={urllib.parse.quote(DEFAULT_GRAPH, safe='')}: connection refused\n"
    )


def _csv_rows(text: str, ordered: bool) -> tuple[str, list[str]]:
    header, *rows = text.splitlines()
    return header, rows if ordered else sorted(rows)


def test_kb_query_endpoint_same_output(server: Server, layout: Layout, published_nt: bytes) -> None:
    """`kb query NAME --endpoint URL --graph G` prints what the local run prints."""
    graph = fresh_graph()
    push(server, published_nt, graph)
    for entry in catalogue(layout):
        local = kb("query", entry.name, "--format", "csv")
        asked = kb(
            "query", entry.name, "--format", "csv", "--endpoint", server.query, "--graph", graph
        )
        assert local.exit_code == asked.exit_code == 0, asked.stderr
        ordered = _ordered(entry.text)
        assert _csv_rows(asked.stdout, ordered) == _csv_rows(local.stdout, ordered), entry.name
    name = catalogue(layout)[0].name
    local = kb("query", name)
    asked = kb("query", name, "--endpoint", server.query, "--graph", graph)
    if not _ordered(catalogue(layout)[0].text):
        assert sorted(asked.stdout.splitlines()) == sorted(local.stdout.splitlines())
    else:
        assert asked.stdout == local.stdout


def test_kb_check_endpoint_passes(server: Server, published_nt: bytes) -> None:
    """`kb check --endpoint` passes with the same expected files as the embedded run."""
    graph = fresh_graph()
    push(server, published_nt, graph)
    local = kb("check")
    asked = kb("check", "--endpoint", server.query, "--graph", graph)
    assert local.exit_code == 0, local.stdout
    assert asked.exit_code == 0, asked.stdout + asked.stderr
    assert asked.stdout.count("PASS") == local.stdout.count("PASS") >= 14


def test_kb_check_endpoint_fails_on_a_graph_that_falls_short(
    server: Server, published_nt: bytes
) -> None:
    """A positive control: the same check on a graph missing the people's names fails."""
    graph = fresh_graph()
    name = b"<https://schema.org/name>"
    push(
        server, b"".join(line for line in published_nt.splitlines(True) if name not in line), graph
    )
    asked = kb("check", "--endpoint", server.query, "--graph", graph)
    assert asked.exit_code == 1, asked.stdout + asked.stderr
    assert "FAIL" in asked.stdout
