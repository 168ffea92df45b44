"""kb.shacl.invariance: a shape counts as unchanged by an addition of triples only when
nothing its compiled queries read can be one of them; every way a shape reads a predicate
(target, path, nested shape, property pair) is covered, and what the module cannot reason
about (SHACL-SPARQL, sh:closed, custom components) counts as changed."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kb.entail import Schema, entailed_predicates
from kb.resources import default_layout
from kb.shacl.graph import TripleIndex
from kb.shacl.invariance import Addition, unchanged_by
from kb.shacl.model import ShapesGraph
from kb.store import load_files

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
"""
#: What the additions below add: ex:added triples, and subclass types.
ADDED = Addition(frozenset({"http://example.org/added"}), subclass_types=True)


def unchanged(shape: str, addition: Addition = ADDED) -> bool:
    store = ox.Store()
    store.load(PREFIXES + shape, format=ox.RdfFormat.TURTLE)
    shapes = ShapesGraph(TripleIndex.from_any(store))
    return unchanged_by(shapes, ox.NamedNode("http://example.org/S"), addition)


@pytest.mark.parametrize(
    "shape",
    [
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:maxCount 2 ;"
        ' sh:datatype rdf:langString ; sh:in ("a" "b") ; sh:pattern "^a" ; sh:uniqueLang true ] .',
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:class ex:D ] .",
        "ex:S sh:targetNode ex:n ; sh:node [ sh:property [ sh:path ex:p ; sh:minCount 1 ] ] .",
        "ex:S sh:targetSubjectsOf ex:p ; sh:or ( [ sh:nodeKind sh:IRI ] [ sh:hasValue ex:n ] ) .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:equals ex:q ] .",
        # a shape within itself: its other parts decide
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:node ex:S ] .",
        # switched off: it reports nothing before and after
        "ex:S sh:targetClass ex:C ; sh:deactivated true ; sh:sparql [ sh:select '' ] .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:qualifiedMinCount 1 ;"
        " sh:qualifiedValueShape [ sh:class ex:D ] ] .",
    ],
)
def test_a_shape_reading_nothing_added_is_unchanged(shape: str) -> None:
    assert unchanged(shape)


@pytest.mark.parametrize(
    "shape",
    [
        # the added predicate read as a path, in each form a path can take
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:added ; sh:minCount 1 ] .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path [ sh:inversePath ex:added ] ;"
        " sh:maxCount 1 ] .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ( ex:p ex:added ) ; sh:maxCount 1 ] .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path [ sh:alternativePath ( ex:p ex:added ) ]"
        " ; sh:maxCount 1 ] .",
        # rdf:type as a path (subclass types are added), and as a target predicate
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path rdf:type ; sh:maxCount 1 ] .",
        "ex:S sh:targetSubjectsOf rdf:type ; sh:nodeKind sh:IRI .",
        "ex:S sh:targetObjectsOf ex:added ; sh:nodeKind sh:IRI .",
        # the added predicate read by a property pair, or within a nested shape
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:disjoint ex:added ] .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:lessThan ex:added ] .",
        "ex:S sh:targetClass ex:C ; sh:node ex:T . ex:T sh:property [ sh:path ex:added ;"
        " sh:minCount 1 ] .",
        "ex:S sh:targetClass ex:C ; sh:not [ sh:property [ sh:path ex:added ; sh:minCount 1 ] ] .",
        "ex:S sh:targetClass ex:C ; sh:xone ( [ sh:nodeKind sh:IRI ] [ sh:property"
        " [ sh:path ex:added ; sh:minCount 1 ] ] ) .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:qualifiedMinCount 1 ;"
        " sh:qualifiedValueShape [ sh:property [ sh:path ex:added ; sh:minCount 1 ] ] ] .",
        # what the module does not follow counts as changed
        "ex:S sh:targetClass ex:C ; sh:closed true .",
        "ex:S sh:targetClass ex:C ; sh:sparql [ sh:select 'SELECT $this WHERE { }' ] .",
        "ex:S sh:target [ a ex:Custom ] ; sh:nodeKind sh:IRI .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:qualifiedMinCount 1 ;"
        " sh:qualifiedValueShapesDisjoint true ; sh:qualifiedValueShape [ sh:class ex:D ] ] .",
        "ex:S sh:targetClass ex:C ; ex:custom 1 ."
        " ex:Component sh:parameter [ sh:path ex:custom ] .",
        # what it cannot read (compiling it says what is wrong)
        "ex:S sh:targetClass ex:C ; sh:and [ sh:nodeKind sh:IRI ] .",
        "ex:S sh:targetClass ex:C ; sh:property [ sh:path [ ex:unknown ex:p ] ] .",
    ],
)
def test_a_shape_reading_what_is_added_is_changed(shape: str) -> None:
    assert not unchanged(shape)


def test_class_targets_and_checks_change_when_types_are_added_not_by_subclassing() -> None:
    """Types the graph's own rdfs:subClassOf entails leave the SHACL instances of every
    class as they were; any other rdf:type (or rdfs:subClassOf) triple may not."""
    by_class = "ex:S sh:targetNode ex:n ; sh:class ex:D ."
    target = "ex:S sh:targetClass ex:C ; sh:nodeKind sh:IRI ."
    implicit = (
        "ex:S a sh:NodeShape , <http://www.w3.org/2000/01/rdf-schema#Class> ; sh:nodeKind sh:IRI ."
    )
    types = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    subclass = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
    for shape in (by_class, target, implicit):
        assert unchanged(shape)
        assert not unchanged(shape, Addition(frozenset({types}), subclass_types=False))
        assert not unchanged(shape, Addition(frozenset({subclass}), subclass_types=False))


def test_the_project_shapes_most_of_the_engine_time_are_unchanged_by_the_closure() -> None:
    """What ``kb validate`` runs beside the closure: the shapes of the annotations and
    statement nodes (most of the engine's time before the closure-dependent ones), and
    not the shapes whose results the closure decides (the fact statements, by inverse
    and subproperty; the blank-node check of every subject)."""
    layout = default_layout()
    schema = Schema.from_store(load_files(layout.ontology_files))
    addition = Addition(entailed_predicates(schema), bool(schema.superclasses))
    shapes = ShapesGraph(TripleIndex.from_any(load_files([layout.shapes])))
    kbsh = "https://w3id.org/lifesci-news-kb/shapes#"
    verdict = {
        str(node)[len(kbsh) + 1 : -1]: unchanged_by(shapes, node, addition)
        for node in shapes.targeted_shapes()
    }
    for name in ("AnnotationShape", "StatementShape", "SpecificResourceShape"):
        assert verdict[name], name
    for name in ("FactStatementShape", "NoBlankNodeShape", "StatementAssertedShape"):
        assert not verdict[name], name
