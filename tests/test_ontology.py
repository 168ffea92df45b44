"""Metadata and alignment lint for ontology/kb.ttl: every term of ours is documented and aligned."""

from __future__ import annotations

import re

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from kb.namespaces import KB, ONTOLOGY_IRI
from tests.helpers import REPO

VANN = Namespace("http://purl.org/vocab/vann/")
ONTOLOGY = URIRef(ONTOLOGY_IRI)
#: Superclasses and superproperties that say nothing and do not count as alignment.
VACUOUS = {
    OWL.Thing,
    RDFS.Resource,
    URIRef("https://schema.org/Thing"),
    URIRef("http://www.w3.org/ns/prov#Entity"),
}
STANDARD_NAMESPACES = (
    "https://schema.org/",
    "http://www.w3.org/ns/org#",
    "http://www.w3.org/ns/prov#",
    "http://www.w3.org/2004/02/skos/core#",
    "http://www.w3.org/ns/oa#",
    "http://purl.org/dc/terms/",
    "http://www.w3.org/ns/adms#",
)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(REPO / "ontology" / "kb.ttl")


def our_terms(graph: Graph) -> list[URIRef]:
    return sorted({s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(KB)})


def classes_and_properties(graph: Graph) -> list[URIRef]:
    kinds = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property}
    return [t for t in our_terms(graph) if set(graph.objects(t, RDF.type)) & kinds]


def alignment_rows() -> set[str]:
    table = (REPO / "ontology" / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `(kb:\w+)` \|", table, flags=re.MULTILINE))


def curie(term: URIRef) -> str:
    return "kb:" + str(term)[len(KB) :]


def test_ontology_metadata(ontology: Graph) -> None:
    for predicate in (
        OWL.versionIRI,
        OWL.versionInfo,
        DCTERMS.title,
        DCTERMS.description,
        DCTERMS.license,
        DCTERMS.creator,
        VANN.preferredNamespacePrefix,
        VANN.preferredNamespaceUri,
    ):
        assert ontology.value(ONTOLOGY, predicate) is not None, predicate
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    assert str(ontology.value(ONTOLOGY, VANN.preferredNamespaceUri)) == KB


def test_there_are_terms_to_lint(ontology: Graph) -> None:
    assert len(classes_and_properties(ontology)) >= 20


@pytest.mark.parametrize(
    "predicate", [RDFS.label, SKOS.definition], ids=["rdfs:label", "skos:definition"]
)
def test_every_term_has_english_text(ontology: Graph, predicate: URIRef) -> None:
    missing = [
        curie(t)
        for t in our_terms(ontology)
        if not any(
            isinstance(o, Literal) and o.language == "en" for o in ontology.objects(t, predicate)
        )
    ]
    assert not missing, f"no {predicate} @en: {missing}"


def test_every_term_is_defined_by_the_ontology(ontology: Graph) -> None:
    missing = [
        curie(t) for t in our_terms(ontology) if (t, RDFS.isDefinedBy, ONTOLOGY) not in ontology
    ]
    assert not missing


def test_every_term_has_a_row_in_the_alignment_table(ontology: Graph) -> None:
    rows = alignment_rows()
    missing = [curie(t) for t in our_terms(ontology) if curie(t) not in rows]
    assert not missing, f"add rows to ontology/README.md for {missing}"
    stale = rows - {curie(t) for t in our_terms(ontology)}
    assert not stale, f"rows for terms the ontology does not have: {stale}"


def standard_ancestors(graph: Graph, term: URIRef, link: URIRef) -> set[URIRef]:
    """Standard terms reached from ``term`` through ``link`` (through our own terms too)."""
    found, todo, seen = set(), [term], set()
    while todo:
        current = todo.pop()
        for parent in graph.objects(current, link):
            if parent in seen:
                continue
            seen.add(parent)
            if str(parent).startswith(KB):
                todo.append(parent)
            elif str(parent).startswith(STANDARD_NAMESPACES) and parent not in VACUOUS:
                found.add(parent)
    return found


def test_every_class_and_property_is_aligned_to_a_standard_term(ontology: Graph) -> None:
    unaligned = []
    for term in classes_and_properties(ontology):
        is_class = (term, RDF.type, OWL.Class) in ontology
        link = RDFS.subClassOf if is_class else RDFS.subPropertyOf
        if not standard_ancestors(ontology, term, link):
            unaligned.append(curie(term))
    assert not unaligned


def test_properties_have_a_domain(ontology: Graph) -> None:
    properties = [
        t for t in classes_and_properties(ontology) if (t, RDF.type, OWL.ObjectProperty) in ontology
    ]
    assert properties
    assert not [curie(p) for p in properties if ontology.value(p, RDFS.domain) is None]


def test_embassy_is_an_organisation_not_a_building(ontology: Graph) -> None:
    ancestors = standard_ancestors(ontology, URIRef(KB + "Embassy"), RDFS.subClassOf)
    assert URIRef("https://schema.org/Embassy") not in ancestors
    assert URIRef("https://schema.org/GovernmentOrganization") in ancestors


def test_no_event_is_a_prov_activity(ontology: Graph) -> None:
    activity = URIRef("http://www.w3.org/ns/prov#Activity")
    assert not [c for c in ontology.subjects(RDFS.subClassOf, activity)]
