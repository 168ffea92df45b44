"""One interface for local and remote queries: a query is prepared once
(``kb.query.prepare_named``) and any engine with ``run(prepared, fmt)`` answers it —
``kb.query.Local`` on a store, ``kb.remote.Remote`` on an endpoint (tested against real
servers in test_remote.py) — and ``kb.check.check_catalogue`` takes either."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.catalogue import catalogue, expected_path
from kb.check import check_catalogue
from kb.query import Local, PreparedQuery, QueryResult, prepare_named
from kb.resources import Layout

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def layout() -> Layout:
    return Layout(REPO)


def test_prepare_named_names_the_query_by_where_it_came_from(layout: Layout) -> None:
    entry = catalogue(layout)[0]
    assert prepare_named(layout, "ASK { ?s ?p ?o }").source == "query"
    assert prepare_named(layout, entry.name).source == entry.name
    from_file = prepare_named(layout, str(REPO / "queries" / f"{entry.name}.rq"))
    assert from_file.text == prepare_named(layout, entry.name).text


class Replay:
    """An engine that answers each catalogue query with its expected answers."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.asked: list[str] = []

    def run(self, prepared: PreparedQuery, fmt: str | None = None) -> QueryResult:
        self.asked.append(prepared.source)
        payload = expected_path(self.layout, prepared.source).read_bytes()
        return QueryResult(prepared.form, [], payload=payload)


def test_check_catalogue_takes_any_engine(layout: Layout) -> None:
    replay = Replay(layout)
    results = check_catalogue(layout, replay)
    assert replay.asked == [entry.name for entry in catalogue(layout)]
    assert all(result.passed for result in results)


def test_local_engine_passes_the_catalogue(layout: Layout) -> None:
    from kb.published import published_store

    results = check_catalogue(layout, Local(published_store(layout)))
    assert len(results) >= 14 and all(result.passed for result in results)
