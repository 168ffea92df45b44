"""Session fixtures: real SPARQL servers, the published graph, the entailed export.

Helpers shared by test modules (paths, the ``kb`` runner, tool checks) live in
tests/helpers.py; test modules import them from there, never from here.
"""

from __future__ import annotations

import functools
import signal

import pytest

from tests.helpers import REPO


def pytest_configure(config: pytest.Config) -> None:
    """The signals tests send to kb reach it: a suite started under ``nohup`` hands every
    child SIGHUP ignored, and kb keeps an ignore it inherits (what ``nohup kb serve``
    asks for), so the tests of SIGHUP failed and one waited for ever. The suite's own
    processes, and so their children, take SIGHUP's default again."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


# --- Real SPARQL servers (helpers in tests/servers.py; owned by the remote-store work) ---
# Please keep this block when editing the file: tests/test_remote*.py depend on it.


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A running ``oxigraph serve`` on a free loopback port and a persistent location."""
    from tests.servers import running, start_oxigraph

    location = tmp_path_factory.mktemp("oxigraph") / "store"
    with running(functools.partial(start_oxigraph, location)) as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A private Virtuoso instance (generated virtuoso.ini, free loopback ports)."""
    from tests.servers import running, start_virtuoso

    directory = tmp_path_factory.mktemp("virtuoso")
    with running(functools.partial(start_virtuoso, directory)) as server:
        yield server


@pytest.fixture(scope="session")
def published_nt() -> bytes:
    """The published graph (data + ontology + closure) as N-Triples: what a push sends."""
    from kb.export import serialize
    from kb.published import published_store
    from kb.resources import Layout

    return serialize(published_store(Layout(REPO)), "nt")


# --- The bundled knowledge base (tests/test_contract.py, tests/test_catalogue.py) ---


@pytest.fixture(scope="session")
def entailed_export_nt() -> bytes:
    """`kb export --inference rdfs --format nt`: data + closure, no ontology."""
    from kb.export import serialize
    from kb.published import build_store
    from kb.resources import Layout

    return serialize(build_store(Layout(REPO), inference="rdfs", with_ontology=False), "nt")
