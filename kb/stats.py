"""Counts over the published graph: triples, instances per class, uses per property, and
statements per kb:basis (empty where the data has no statement nodes), and the share of
the data's fact triples that have a statement node — on the local store, or on a graph on
a SPARQL server (only the counts come back)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kb.namespaces import ID, KB, STANDARD_PREFIXES
from kb.statements import BASES_SCHEME, BOOKKEEPING_PREDICATES, NON_FACT_KINDS

if TYPE_CHECKING:
    import pyoxigraph

#: Rows of a SELECT query: variable name -> pyoxigraph term.
Select = Callable[[str], list[dict[str, Any]]]

RDF = STANDARD_PREFIXES["rdf"]
SKOS = STANDARD_PREFIXES["skos"]

CLASSES = "SELECT ?k (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?k } GROUP BY ?k"
PROPERTIES = "SELECT ?k (COUNT(*) AS ?n) WHERE { ?s ?k ?o } GROUP BY ?k"
#: statements per basis, named by the basis's label where it has one, else its IRI
BASES = (
    f"SELECT ?k (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{KB}basis> ?b"
    f" OPTIONAL {{ ?b <{SKOS}prefLabel> ?label }} BIND (COALESCE(STR(?label), STR(?b)) AS ?k) }}"
    " GROUP BY ?k"
)
TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@dataclass
class Stats:
    """What ``kb stats`` reports (class, property and basis terms in N-Triples form)."""

    triples: int
    classes: list[tuple[str, int]]
    properties: list[tuple[str, int]]
    #: statement nodes per basis (its label, else its IRI), most used first
    bases: list[tuple[str, int]] = field(default_factory=list)
    #: fact triples of the data (before the closure), and how many have a statement node
    fact_triples: int = 0
    with_statement: int = 0


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
    found = stats_of(_store_select(store), len(store))
    if data is not None:
        found.fact_triples, found.with_statement = statement_coverage(data)
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
