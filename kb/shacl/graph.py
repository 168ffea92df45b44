"""A small read-only triple index over pyoxigraph terms (the shapes graph), the failure a
shapes graph that must be refused raises (a malformed list is one), and the conversions
between pyoxigraph and rdflib terms and graphs.

Shapes graphs are small, so they are held in Python dictionaries; the data graph never is.
Both a ``pyoxigraph.Store`` and an ``rdflib.Graph`` can be turned into one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import pyoxigraph as ox

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SH = "http://www.w3.org/ns/shacl#"
XSD = "http://www.w3.org/2001/XMLSchema#"

Term = ox.NamedNode | ox.BlankNode | ox.Literal

RDF_TYPE = ox.NamedNode(RDF + "type")
RDF_FIRST = ox.NamedNode(RDF + "first")
RDF_REST = ox.NamedNode(RDF + "rest")
RDF_NIL = ox.NamedNode(RDF + "nil")


def sh(name: str) -> ox.NamedNode:
    """The SHACL term ``sh:name``."""
    return ox.NamedNode(SH + name)


class ShapesFailure(Exception):
    """The shapes graph is one a SHACL processor must refuse (``sht:Failure``)."""


class MalformedList(ShapesFailure, ValueError):
    """An RDF list of the shapes graph that is not well formed, as SHACL asks every list
    value to be (sh:in, sh:and, a sequence path, ...): a node without exactly one
    rdf:first and one rdf:rest, or a list that comes back to one of its own nodes."""


class TripleIndex:
    """Triples indexed by subject and by (predicate, object)."""

    def __init__(self, triples: Iterable[tuple[Term, ox.NamedNode, Term]]) -> None:
        self._sp: dict[Term, dict[ox.NamedNode, list[Term]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._po: dict[tuple[ox.NamedNode, Term], list[Term]] = defaultdict(list)
        self._p: dict[ox.NamedNode, list[tuple[Term, Term]]] = defaultdict(list)
        for s, p, o in triples:
            self._sp[s][p].append(o)
            self._po[(p, o)].append(s)
            self._p[p].append((s, o))

    def objects(self, subject: Term, predicate: ox.NamedNode) -> list[Term]:
        """Every object of (subject, predicate)."""
        by_p = self._sp.get(subject)
        return list(by_p.get(predicate, ())) if by_p else []

    def value(self, subject: Term, predicate: ox.NamedNode) -> Term | None:
        """One object of (subject, predicate), or None."""
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def subjects(self, predicate: ox.NamedNode, obj: Term) -> list[Term]:
        """Every subject of (predicate, obj)."""
        return list(self._po.get((predicate, obj), ()))

    def pairs(self, predicate: ox.NamedNode) -> list[tuple[Term, Term]]:
        """Every (subject, object) with ``predicate``."""
        return list(self._p.get(predicate, ()))

    def all_predicates(self) -> list[ox.NamedNode]:
        """Every predicate in the graph."""
        return list(self._p)

    def predicates(self, subject: Term) -> Iterator[ox.NamedNode]:
        """Every predicate used with ``subject``."""
        by_p = self._sp.get(subject)
        return iter(list(by_p)) if by_p else iter(())

    def items(self, head: Term) -> list[Term]:
        """The members of the RDF list starting at ``head`` (MalformedList when it is not
        well formed: no member is guessed, none dropped)."""
        members: list[Term] = []
        seen: set[Term] = set()
        node = head
        while node != RDF_NIL:
            if node in seen:
                raise MalformedList(f"malformed RDF list: it comes back to {_list_node(node)}")
            seen.add(node)
            firsts, rests = self.objects(node, RDF_FIRST), self.objects(node, RDF_REST)
            if len(firsts) != 1 or len(rests) != 1:
                counts = f"{len(firsts)} rdf:first and {len(rests)} rdf:rest"
                raise MalformedList(
                    f"malformed RDF list: {_list_node(node)} has {counts} (one of each expected)"
                )
            members.append(firsts[0])
            node = rests[0]
        return members

    def is_instance(self, node: Term, cls: ox.NamedNode) -> bool:
        """``node rdf:type/rdfs:subClassOf* cls`` in this graph."""
        sub_class_of = ox.NamedNode(RDFS + "subClassOf")
        todo = list(self.objects(node, RDF_TYPE))
        seen: set[Term] = set()
        while todo:
            current = todo.pop()
            if current == cls:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(self.objects(current, sub_class_of))
        return False

    @classmethod
    def from_store(cls, store: ox.Store) -> TripleIndex:
        """The default graph of a pyoxigraph store."""
        quads = store.quads_for_pattern(None, None, None, ox.DefaultGraph())
        return cls((q.subject, q.predicate, q.object) for q in quads)  # type: ignore[misc]

    @classmethod
    def from_rdflib(cls, graph: Any) -> TripleIndex:
        """An ``rdflib.Graph`` (terms converted to pyoxigraph terms)."""
        cache: dict[Any, Term] = {}

        def convert(term: Any) -> Any:
            found = cache.get(term)
            if found is None:
                found = cache[term] = from_rdflib_term(term)
            return found

        return cls((convert(s), convert(p), convert(o)) for s, p, o in graph)

    @classmethod
    def from_any(cls, graph: Any) -> TripleIndex:
        """A TripleIndex, a pyoxigraph store or an rdflib graph."""
        if isinstance(graph, TripleIndex):
            return graph
        if isinstance(graph, ox.Store):
            return cls.from_store(graph)
        return cls.from_rdflib(graph)


def to_rdflib_graph(source: Any) -> Any:
    """An rdflib graph of a pyoxigraph store's default graph, or of a TripleIndex."""
    import rdflib

    if isinstance(source, rdflib.Graph):
        return source
    graph = rdflib.Graph()
    cache: dict[Term, Any] = {}

    def convert(term: Term) -> Any:
        found = cache.get(term)
        if found is None:
            found = cache[term] = to_rdflib_term(term)
        return found

    if isinstance(source, ox.Store):
        triples = (
            (q.subject, q.predicate, q.object)
            for q in source.quads_for_pattern(None, None, None, ox.DefaultGraph())
        )
    else:
        triples = ((s, p, o) for p in source.all_predicates() for s, o in source.pairs(p))
    for s, p, o in triples:
        graph.add((convert(s), convert(p), convert(o)))
    return graph


def from_rdflib_term(term: Any) -> Term:
    """Convert an rdflib term to pyoxigraph."""
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported rdflib term {term!r}")


def to_rdflib_term(term: Term) -> Any:
    """Convert a pyoxigraph term to rdflib."""
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == XSD + "string":
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def _list_node(node: Term) -> str:
    """A list node as a message names it: an IRI as written, a blank node without its
    label (the parser's, which the file does not show)."""
    return "a blank list node" if isinstance(node, ox.BlankNode) else f"the list node {node}"
