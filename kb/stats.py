"""Counts over the published graph: triples, instances per class, uses per property, and
statements per kb:basis (empty where the data has no statement nodes) — on the local
store or on a graph on a SPARQL server (only the counts come back)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kb.namespaces import KB

if TYPE_CHECKING:
    import pyoxigraph

#: Rows of a SELECT query: variable name -> pyoxigraph term.
Select = Callable[[str], list[dict[str, Any]]]

CLASSES = "SELECT ?k (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?k } GROUP BY ?k"
PROPERTIES = "SELECT ?k (COUNT(*) AS ?n) WHERE { ?s ?k ?o } GROUP BY ?k"
BASES = f"SELECT ?k (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{KB}basis> ?k }} GROUP BY ?k"
TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@dataclass
class Stats:
    """What ``kb stats`` reports (class, property and basis terms in N-Triples form)."""

    triples: int
    classes: list[tuple[str, int]]
    properties: list[tuple[str, int]]
    #: statements per kb:basis value (none when the data has no statement nodes)
    bases: list[tuple[str, int]] = field(default_factory=list)


def _counts(select: Select, query: str) -> list[tuple[str, int]]:
    """(term, count) rows, most first, then by term (the same order on every server)."""
    rows = [(str(r["k"]), int(r["n"].value)) for r in select(query) if r.get("k") is not None]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def _store_select(store: pyoxigraph.Store) -> Select:
    def select(query: str) -> list[dict[str, Any]]:
        solutions = store.query(query)
        names = [v.value for v in solutions.variables]
        return [{name: s[name] for name in names} for s in solutions]

    return select


def stats(store: pyoxigraph.Store) -> Stats:
    """Count triples, instances per class and uses per property, most used first."""
    found = stats_of(_store_select(store), len(store))
    return found


def stats_of(select: Select, triples: int | None = None) -> Stats:
    """The counts through ``select`` (a store's, or a server's graph: e.g.
    ``kb.remote.validation.EndpointSource.select``); ``triples`` when already known."""
    if triples is None:
        rows = select(TRIPLES)
        triples = int(rows[0]["n"].value) if rows and rows[0].get("n") is not None else 0
    return Stats(
        triples,
        _counts(select, CLASSES),
        _counts(select, PROPERTIES),
        _counts(select, BASES),
    )
