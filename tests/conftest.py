"""Fixtures shared by the test modules: the bundled layout and its published forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.resources import Layout

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def layout() -> Layout:
    return Layout(ROOT)


@pytest.fixture(scope="session")
def entailed_export_nt(layout: Layout) -> bytes:
    """`kb export --inference rdfs --format nt`: data + closure, no ontology."""
    from kb.export import serialize
    from kb.published import build_store

    return serialize(build_store(layout, inference="rdfs", with_ontology=False), "nt")


# --- Real SPARQL servers (tests/servers.py): each starts once per session ----------------


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A running ``oxigraph serve`` on a free loopback port and a persistent location."""
    from servers import oxigraph_server

    with oxigraph_server(tmp_path_factory.mktemp("oxigraph") / "store") as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A private Virtuoso instance (generated virtuoso.ini, free loopback ports)."""
    from servers import virtuoso_server

    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@pytest.fixture(scope="session")
def published_nt(layout: Layout) -> bytes:
    """The published graph (data + ontology + closure) as N-Triples: what a push sends."""
    from kb.export import serialize
    from kb.published import published_store

    return serialize(published_store(layout), "nt")
