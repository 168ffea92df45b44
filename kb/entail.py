"""The one closure the project uses: rdfs:subClassOf, rdfs:subPropertyOf and both
directions of owl:inverseOf, read (transitively) from the ontology and applied to the
data triples only. No axiomatic triples, no domain/range, no other OWL.

The schema is closed first, in Python (it is small): every class maps to all its
superclasses; every property maps to the properties it entails forwards and backwards
(superproperties, inverses, superproperties of inverses, ... to a fixpoint). The data is
then closed with two SPARQL updates run inside pyoxigraph (properties first, then types),
which measured faster than building the new quads in Python at 1M triples.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.namespaces import STANDARD_PREFIXES

if TYPE_CHECKING:
    import pyoxigraph

RDF_TYPE = STANDARD_PREFIXES["rdf"] + "type"
SUBCLASS_OF = STANDARD_PREFIXES["rdfs"] + "subClassOf"
SUBPROPERTY_OF = STANDARD_PREFIXES["rdfs"] + "subPropertyOf"
INVERSE_OF = STANDARD_PREFIXES["owl"] + "inverseOf"

FORWARD = True
BACKWARD = False


@dataclass(frozen=True)
class Schema:
    """The closed schema: what each class and each property entails."""

    #: class IRI -> every strict superclass IRI
    superclasses: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: property IRI -> (properties entailed forwards, properties entailed backwards)
    properties: Mapping[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)

    @classmethod
    def from_store(cls, ontology: pyoxigraph.Store) -> Schema:
        """Read the schema axioms (IRIs only; blank-node classes are skipped)."""
        return cls.from_pairs(
            _iri_pairs(ontology, SUBCLASS_OF),
            _iri_pairs(ontology, SUBPROPERTY_OF),
            _iri_pairs(ontology, INVERSE_OF),
        )

    @classmethod
    def from_pairs(
        cls,
        subclass: Iterable[tuple[str, str]],
        subproperty: Iterable[tuple[str, str]],
        inverse: Iterable[tuple[str, str]],
    ) -> Schema:
        """Close the given axioms: (sub, super) and (property, inverse) IRI pairs."""
        up_class = _graph(subclass)
        up_prop = _graph(subproperty)
        inverses = _graph(inverse)
        for a, bs in list(inverses.items()):
            for b in bs:
                inverses[b].add(a)
        classes = {c: frozenset(_reachable(up_class, c)) for c in up_class}
        props = {p: _property_closure(p, up_prop, inverses) for p in set(up_prop) | set(inverses)}
        return cls(
            {c: s for c, s in classes.items() if s},
            {p: fb for p, fb in props.items() if fb[0] or fb[1]},
        )


def _iri_pairs(store: pyoxigraph.Store, predicate: str) -> list[tuple[str, str]]:
    import pyoxigraph

    pairs = []
    for quad in store.quads_for_pattern(None, pyoxigraph.NamedNode(predicate), None):
        if isinstance(quad.subject, pyoxigraph.NamedNode) and isinstance(
            quad.object, pyoxigraph.NamedNode
        ):
            pairs.append((quad.subject.value, quad.object.value))
    return pairs


def _graph(pairs: Iterable[tuple[str, str]]) -> defaultdict[str, set[str]]:
    graph: defaultdict[str, set[str]] = defaultdict(set)
    for a, b in pairs:
        if a != b:
            graph[a].add(b)
    return graph


def _reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    """Every node reachable from ``start`` in one or more steps, except ``start``."""
    seen: set[str] = set()
    todo = deque(graph.get(start, ()))
    while todo:
        node = todo.popleft()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    seen.discard(start)
    return seen


def _property_closure(
    prop: str, up: Mapping[str, set[str]], inverses: Mapping[str, set[str]]
) -> tuple[frozenset[str], frozenset[str]]:
    """What ``?s prop ?o`` entails: ``?s q ?o`` (forward) and ``?o q ?s`` (backward)."""
    start = (prop, FORWARD)
    seen = {start}
    todo = deque([start])
    while todo:
        name, direction = todo.popleft()
        steps = [(s, direction) for s in up.get(name, ())]
        steps += [(i, not direction) for i in inverses.get(name, ())]
        for step in steps:
            if step not in seen:
                seen.add(step)
                todo.append(step)
    seen.discard(start)
    forward = frozenset(n for n, d in seen if d is FORWARD)
    backward = frozenset(n for n, d in seen if d is BACKWARD)
    return forward, backward


def _values(rows: Iterable[tuple[str, str]]) -> str:
    return " ".join(f"(<{a}> <{b}>)" for a, b in sorted(rows))


def entailed_predicates(schema: Schema) -> frozenset[str]:
    """The predicates of the triples the closure may add, rdf:type aside (the types it
    adds are the superclasses of ``schema.superclasses``)."""
    return frozenset(
        q for forward, backward in schema.properties.values() for q in forward | backward
    )


def closure_updates(schema: Schema) -> tuple[list[str], list[str]]:
    """The SPARQL updates that close a store's default graph: (the property updates, the
    type updates), to be run in that order."""
    forward = [(p, q) for p, (fs, _) in schema.properties.items() for q in fs]
    backward = [(p, q) for p, (_, bs) in schema.properties.items() for q in bs]
    types = [(c, s) for c, sups in schema.superclasses.items() for s in sups]
    properties, classes = [], []
    if forward:
        properties.append(
            "INSERT { ?s ?q ?o } WHERE { VALUES (?p ?q) { " + _values(forward) + " } ?s ?p ?o }"
        )
    if backward:
        properties.append(
            "INSERT { ?o ?q ?s } WHERE { VALUES (?p ?q) { "
            + _values(backward)
            + " } ?s ?p ?o FILTER(!isLiteral(?o)) }"
        )
    if types:
        classes.append(
            f"INSERT {{ ?s <{RDF_TYPE}> ?d }} WHERE {{ VALUES (?c ?d) {{ "
            + _values(types)
            + f" }} ?s <{RDF_TYPE}> ?c }}"
        )
    return properties, classes


def add_closure(store: pyoxigraph.Store, schema: Schema) -> None:
    """Add the closure of ``store``'s default graph (the data) to that graph, in place."""
    if not schema.properties and not schema.superclasses:
        return
    # Both property updates read the same un-closed data: run them as one request.
    props, types = closure_updates(schema)
    if props:
        store.update(" ;\n".join(props))
    for update in types:
        store.update(update)


def entailed_triples(data: pyoxigraph.Store, ontology: pyoxigraph.Store) -> set[pyoxigraph.Triple]:
    """The triples the closure adds to ``data``'s default graph (``data`` is unchanged)."""
    import pyoxigraph

    work = pyoxigraph.Store()
    default = pyoxigraph.DefaultGraph()
    work.bulk_extend(q for q in data.quads_for_pattern(None, None, None, default))
    add_closure(work, Schema.from_store(ontology))
    return {q.triple for q in work.quads_for_pattern(None, None, None, default) if q not in data}
