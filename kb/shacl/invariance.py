"""Which shapes a write that only adds triples cannot change the results of, read from the
shapes themselves, so that the engine can run those shapes beside the write (the closure
of ``kb.entail``) instead of after it.

A shape's compiled queries read its targets, its path and what its constraint components
name; if none of that is a triple the write adds, the shape gives the same results
before and after it. The answer errs one way only: a shape it cannot reason about
(SHACL-SPARQL, sh:closed, a component it does not know) counts as changed."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from kb.shacl.compiler import IGNORED
from kb.shacl.graph import RDF_TYPE, RDFS, SH, Term, sh
from kb.shacl.model import SHAPE_LISTS, SHAPE_REFERENCES, ShapesFailure, ShapesGraph, is_true

#: Components that look at the value nodes alone (and at constants of the shapes graph).
#: sh:class reads each value's rdf:type/rdfs:subClassOf*: see ``Addition.subclass_types``.
_VALUE_ONLY = frozenset(
    {
        "class",
        "datatype",
        "nodeKind",
        "minCount",
        "maxCount",
        "minExclusive",
        "minInclusive",
        "maxExclusive",
        "maxInclusive",
        "minLength",
        "maxLength",
        "pattern",
        "languageIn",
        "uniqueLang",
        "in",
        "hasValue",
    }
)
#: Components comparing the values of the path with those of another predicate.
_PAIRS = frozenset({"equals", "disjoint", "lessThan", "lessThanOrEquals"})
_IRI = re.compile(r"<([^>]*)>")
_SUBCLASS_OF = RDFS + "subClassOf"


@dataclass(frozen=True)
class Addition:
    """What a write adds to the data graph: triples whose predicates are among
    ``predicates`` and, when ``subclass_types``, rdf:type triples that the graph's own
    rdfs:subClassOf triples entail from a type the node has already (so the SHACL
    instances of every class stay the same: what sh:targetClass and sh:class read)."""

    predicates: frozenset[str]
    subclass_types: bool


def unchanged_by(shapes: ShapesGraph, node: Term, addition: Addition) -> bool:
    """Whether the targeted shape at ``node`` gives the same results on the data graph
    before and after ``addition``. A shape this cannot read (a malformed list or path)
    counts as changed: compiling it reports what is wrong, as it always has."""
    try:
        return _Reader(shapes, addition).shape_unchanged(node, targeted=True)
    except (ValueError, ShapesFailure):
        return False


class _Reader:
    def __init__(self, shapes: ShapesGraph, addition: Addition) -> None:
        self.shapes, self.graph = shapes, shapes.graph
        self.changed = set(addition.predicates)
        if addition.subclass_types:
            self.changed.add(RDF_TYPE.value)  # for what reads rdf:type other than as a class
        #: whether SHACL instances of a class (rdf:type/rdfs:subClassOf*) may change
        self.classes_changed = bool({RDF_TYPE.value, _SUBCLASS_OF} & set(addition.predicates))
        self.seen: set[Term] = set()

    def shape_unchanged(self, node: Term, targeted: bool = False) -> bool:
        if node in self.seen:  # a shape within itself: its other parts decide
            return True
        self.seen.add(node)
        shape = self.shapes.shape(node)
        if shape.deactivated:
            return True
        if targeted and not self.targets_unchanged(node):
            return False
        if shape.path is not None and not self.predicates_unchanged(shape.path):
            return False
        return all(
            self.parameter_unchanged(predicate, value)
            for predicate in self.graph.predicates(node)
            for value in self.graph.objects(node, predicate)
        )

    def targets_unchanged(self, node: Term) -> bool:
        graph = self.graph
        if graph.objects(node, sh("target")):
            return False
        classes = graph.objects(node, sh("targetClass")) or self.shapes.implicit_class(node)
        if classes and self.classes_changed:
            return False
        by_predicate = [
            *graph.objects(node, sh("targetSubjectsOf")),
            *graph.objects(node, sh("targetObjectsOf")),
        ]
        return all(_iri(p) not in self.changed for p in by_predicate)

    def predicates_unchanged(self, path: str) -> bool:
        return not any(iri in self.changed for iri in _IRI.findall(path))

    def parameter_unchanged(self, predicate: ox.NamedNode, value: Term) -> bool:
        if not predicate.value.startswith(SH):
            return not self.is_custom_parameter(predicate)
        name = predicate.value[len(SH) :]
        if name == "qualifiedValueShapesDisjoint":
            return not is_true(value)  # it reads the sibling shapes: not followed here
        if predicate.value in IGNORED:  # settings; targets (``targets_unchanged``)
            return True
        if name == "class":
            return not self.classes_changed
        if name in _VALUE_ONLY:
            return True
        if name in _PAIRS:
            return _iri(value) not in self.changed
        if name in SHAPE_REFERENCES:
            return self.shape_unchanged(value)
        if name in SHAPE_LISTS:
            return all(self.shape_unchanged(member) for member in self.graph.items(value))
        return False  # sh:closed, sh:sparql, sh:ignoredProperties, anything else

    def is_custom_parameter(self, predicate: ox.NamedNode) -> bool:
        """Whether ``predicate`` is a parameter of a SPARQL-based constraint component."""
        return any(
            self.graph.subjects(sh("parameter"), parameter)
            for parameter in self.graph.subjects(sh("path"), predicate)
        )


def _iri(term: Term) -> str | None:
    return term.value if isinstance(term, ox.NamedNode) else None
