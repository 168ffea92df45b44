"""Counts over the published graph: triples, instances per class, uses per property."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyoxigraph


@dataclass
class Stats:
    """What ``kb stats`` reports (class and property IRIs in N-Triples form)."""

    triples: int
    classes: list[tuple[str, int]]
    properties: list[tuple[str, int]]


def _counts(store: pyoxigraph.Store, query: str) -> list[tuple[str, int]]:
    return [(str(s["k"]), int(s["n"].value)) for s in store.query(query)]


def stats(store: pyoxigraph.Store) -> Stats:
    """Count triples, instances per class and uses per property, most used first."""
    classes = _counts(
        store,
        "SELECT ?k (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?k } GROUP BY ?k ORDER BY DESC(?n) ?k",
    )
    properties = _counts(
        store,
        "SELECT ?k (COUNT(*) AS ?n) WHERE { ?s ?k ?o } GROUP BY ?k ORDER BY DESC(?n) ?k",
    )
    return Stats(len(store), classes, properties)
