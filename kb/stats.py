"""Counts over the published graph: triples, instances per class, uses per property, and
the statement nodes (by basis, and the share of the data's fact triples that have one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.namespaces import ID, KB, STANDARD_PREFIXES
from kb.statements import BASES_SCHEME, BOOKKEEPING_PREDICATES, NON_FACT_KINDS

if TYPE_CHECKING:
    import pyoxigraph

RDF = STANDARD_PREFIXES["rdf"]
SKOS = STANDARD_PREFIXES["skos"]


@dataclass
class Stats:
    """What ``kb stats`` reports (class and property IRIs in N-Triples form)."""

    triples: int
    classes: list[tuple[str, int]]
    properties: list[tuple[str, int]]
    #: statement nodes per basis (its label, else its IRI), most used first
    bases: list[tuple[str, int]] = field(default_factory=list)
    #: fact triples of the data (before the closure), and how many have a statement node
    fact_triples: int = 0
    with_statement: int = 0


def _counts(store: pyoxigraph.Store, query: str) -> list[tuple[str, int]]:
    return [(str(s["k"]), int(s["n"].value)) for s in store.query(query)]


def _fact_filter() -> str:
    """A SPARQL FILTER keeping the fact triples ``?s ?p ?o`` (see kb.statements)."""
    kinds = " && ".join(f'!STRSTARTS(STR(?s), "{ID}{kind}/")' for kind in NON_FACT_KINDS)
    bookkeeping = ", ".join(f"<{p}>" for p in sorted(BOOKKEEPING_PREDICATES))
    return (
        f'FILTER (isIRI(?s) && STRSTARTS(STR(?s), "{ID}") && {kinds}'
        f" && ?s != <{BASES_SCHEME}> && ?p NOT IN ({bookkeeping}))"
        f" FILTER NOT EXISTS {{ ?s <{SKOS}inScheme> <{BASES_SCHEME}> }}"
    )


def statement_coverage(data: pyoxigraph.Store) -> tuple[int, int]:
    """(fact triples, fact triples with a statement node) of ``data``, which must be the
    data before the closure: an inferred triple has no statement node of its own."""
    query = (
        "SELECT (COUNT(*) AS ?facts) (SUM(?covered) AS ?with) WHERE { ?s ?p ?o "
        + _fact_filter()
        + f" BIND (IF(EXISTS {{ ?st <{RDF}subject> ?s ; <{RDF}predicate> ?p ;"
        + f" <{RDF}object> ?o }}, 1, 0) AS ?covered) }}"
    )
    (row,) = list(data.query(query))
    with_statement = row["with"]
    return int(row["facts"].value), int(with_statement.value) if with_statement else 0


def stats(store: pyoxigraph.Store, data: pyoxigraph.Store | None = None) -> Stats:
    """Count triples, instances per class and uses per property, most used first, and the
    statement nodes by basis; with ``data`` (the data before the closure), also the share
    of its fact triples that have a statement node."""
    classes = _counts(
        store,
        "SELECT ?k (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?k } GROUP BY ?k ORDER BY DESC(?n) ?k",
    )
    properties = _counts(
        store,
        "SELECT ?k (COUNT(*) AS ?n) WHERE { ?s ?k ?o } GROUP BY ?k ORDER BY DESC(?n) ?k",
    )
    bases = [
        (str(row["label"].value) if row["label"] else str(row["b"]), int(row["n"].value))
        for row in store.query(
            f"SELECT ?b ?label (COUNT(?st) AS ?n) WHERE {{ ?st a <{RDF}Statement> ;"
            f" <{KB}basis> ?b OPTIONAL {{ ?b <{SKOS}prefLabel> ?label }} }}"
            " GROUP BY ?b ?label ORDER BY DESC(?n) ?b"
        )
    ]
    facts, covered = statement_coverage(data) if data is not None else (0, 0)
    return Stats(len(store), classes, properties, bases, facts, covered)
