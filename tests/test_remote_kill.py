"""A push killed halfway (issue 6): stream 100k triples to an Oxigraph server on a
``--location`` store, kill the server mid-load, restart it on the same store, and the
target graph is isomorphic to the old graph or to the new one, never a mix."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from kb import remote
from kb.errors import ServerError
from kb.remote import gsp, publish
from tests.servers import Server, start_oxigraph, stop

GRAPH = "https://w3id.org/lifesci-news-kb/graph/published"


def synthetic(count: int, tag: str) -> bytes:
    """``count`` distinct triples (non-ASCII literals included) marked with ``tag``."""
    line = '<https://example.org/{tag}/s{i}> <https://example.org/p{p}> "value {i} é"@en .\n'
    return "".join(line.format(tag=tag, i=i, p=i % 7) for i in range(count)).encode()


def as_set(triples: list[object]) -> set[str]:
    """Triples as N-Triples lines (no blank nodes here, so set equality is isomorphism)."""
    return {str(triple) for triple in triples}


def expected_set(data: bytes) -> set[str]:
    import pyoxigraph

    return {str(t) for t in pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_TRIPLES)}


def restarted(process, server: Server):  # type: ignore[no-untyped-def]
    """Kill ``process`` hard if still running, then start a server on the same store."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    assert server.directory is not None
    return start_oxigraph(server.directory, server.port)


@pytest.mark.parametrize("staged", [False, True], ids=["put", "move"])
def test_push_killed_mid_upload(tmp_path: Path, published_nt: bytes, staged: bool) -> None:
    process, server = start_oxigraph(tmp_path / "store")
    try:
        remote.push(published_nt, server.store, server.update, server.query, GRAPH)
        new = synthetic(100_000, "new")

        def kill_halfway(sent: int, total: int) -> None:
            if sent >= total // 2 and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(10)

        with pytest.raises(ServerError):
            remote.push(
                new,
                server.store,
                server.update if staged else None,
                server.query,
                GRAPH,
                timeout=10,
                progress=kill_halfway,
            )
        process, server = restarted(process, server)
        held = as_set(remote.fetch_graph(server.store, GRAPH))
        assert held == expected_set(published_nt)  # the upload never completed: old graph
    finally:
        stop(process)


def test_push_killed_during_move(tmp_path: Path, published_nt: bytes) -> None:
    """Kill the server while it executes the MOVE: the target is the old or the new graph."""
    process, server = start_oxigraph(tmp_path / "store")
    try:
        remote.push(published_nt, server.store, server.update, server.query, GRAPH)
        new = synthetic(30_000, "new")
        client = remote.HttpClient(None, 120)
        staging = publish.staging_graph(GRAPH)
        gsp.put_graph(client, server.store, staging, new, None)
        outcome: list[str] = []

        def move() -> None:
            try:
                gsp.sparql_update(client, server.update, f"MOVE <{staging}> TO <{GRAPH}>")
                outcome.append("moved")
            except ServerError:
                outcome.append("interrupted")

        mover = threading.Thread(target=move, daemon=True)
        mover.start()
        time.sleep(0.3)  # a MOVE of 30k triples takes seconds here
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        mover.join(30)
        process, server = restarted(process, server)
        held = as_set(remote.fetch_graph(server.store, GRAPH))
        assert held in (expected_set(published_nt), expected_set(new)), outcome
    finally:
        stop(process)
