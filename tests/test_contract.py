"""The interoperability contract: `kb export --inference rdfs` alone, with no ontology and no
reasoner, answers the competency questions in standard terms with the article's facts.

The questions and their answers were written from the article, against the standard
terms of the contract, before looking at data/.
"""

from __future__ import annotations

import pytest
from rdflib import Graph

PREFIXES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""


@pytest.fixture(scope="module")
def exported(entailed_export_nt: bytes) -> Graph:
    """What a stranger gets: the entailed export parsed with rdflib, no ontology."""
    return Graph().parse(data=entailed_export_nt, format="nt")


def answers(graph: Graph, query: str) -> set[tuple[str, ...]]:
    return {tuple(str(v) for v in row) for row in graph.query(PREFIXES + query)}


def column(graph: Graph, query: str) -> set[str]:
    return {row[0] for row in answers(graph, query)}


def test_the_export_has_no_ontology(exported: Graph) -> None:
    assert not answers(exported, "SELECT ?c WHERE { ?c rdfs:subClassOf ?d }")


def test_every_person_is_a_schema_person_with_a_name(exported: Graph) -> None:
    names = column(exported, "SELECT ?name WHERE { ?p a schema:Person ; schema:name ?name }")
    assert names == {
        "Massimiliano Boggetti",
        "Khalid Al-Saeed",
        "Mohammed Jassem Al-Sager",
        "Carlo Baldocci",
    }


def test_honorifics_are_separate_values(exported: Graph) -> None:
    query = """SELECT ?h WHERE { ?p schema:name "Khalid Al-Saeed" ; schema:honorificPrefix ?h }"""
    assert column(exported, query) == {"H.E.", "Dr."}


@pytest.mark.parametrize(
    ("country", "organisations"),
    [
        (
            "Italy",
            {"Alisei National Life Sciences Technology Cluster", "Confindustria Medical Devices"},
        ),
        (
            "Kuwait",
            {"Ministry of Health of Kuwait", "Chamber of Commerce", "Embassy of Italy in Kuwait"},
        ),
    ],
)
def test_organisations_by_country(exported: Graph, country: str, organisations: set[str]) -> None:
    query = f"""SELECT ?n WHERE {{
        ?o a schema:Organization ; schema:name ?n ; schema:location ?country .
        ?country a schema:Country ; schema:name "{country}"@en }}"""
    assert column(exported, query) == organisations


def test_ministries_and_missions_are_government_organisations(exported: Graph) -> None:
    query = "SELECT ?n WHERE { ?o a schema:GovernmentOrganization ; schema:name ?n }"
    assert column(exported, query) == {"Ministry of Health of Kuwait", "Embassy of Italy in Kuwait"}


def test_boggetti_holds_two_posts(exported: Graph) -> None:
    query = """SELECT ?label ?orgName WHERE {
        ?p schema:name "Massimiliano Boggetti" ; org:holds ?post .
        ?post a org:Post ; rdfs:label ?label ; org:heldBy ?p ; org:postIn ?o .
        ?o schema:name ?orgName }"""
    assert answers(exported, query) == {
        (
            "President of the Alisei National Life Sciences Technology Cluster",
            "Alisei National Life Sciences Technology Cluster",
        ),
        ("President of Confindustria Medical Devices", "Confindustria Medical Devices"),
    }


def test_carlo_baldocci_is_the_ambassador(exported: Graph) -> None:
    query = """SELECT ?name WHERE {
        ?post a org:Post ; org:role/skos:prefLabel "Ambassador"@en ; org:heldBy ?p .
        ?p schema:name ?name }"""
    assert column(exported, query) == {"Carlo Baldocci"}


def test_khalid_al_saeed_is_the_minister_of_health(exported: Graph) -> None:
    query = """SELECT ?name WHERE {
        ?post a org:Post ; rdfs:label "Minister of Health of Kuwait"@en ; org:heldBy ?p .
        ?p schema:name ?name }"""
    assert column(exported, query) == {"Khalid Al-Saeed"}


def test_boggetti_visited_kuwait(exported: Graph) -> None:
    query = """SELECT ?country WHERE {
        ?v a schema:Event ; schema:location ?c ; schema:attendee ?visitor .
        ?visitor schema:name "Massimiliano Boggetti" .
        ?c a schema:Country ; schema:name ?country }"""
    assert column(exported, query) == {"Kuwait"}


def test_he_met_the_minister_and_the_chamber_president(exported: Graph) -> None:
    query = """SELECT ?name WHERE {
        ?v a schema:Event ; schema:location/schema:name "Kuwait"@en ;
           schema:attendee/schema:name "Massimiliano Boggetti" .
        ?m a schema:Event ; schema:superEvent ?v ; schema:attendee ?x .
        ?x schema:name ?name FILTER(?name != "Massimiliano Boggetti") }"""
    assert column(exported, query) == {"Khalid Al-Saeed", "Mohammed Jassem Al-Sager"}


def test_the_visit_has_its_meetings_as_sub_events(exported: Graph) -> None:
    query = """SELECT ?m WHERE { ?v schema:location/schema:name "Kuwait"@en ;
        schema:subEvent ?m . ?m schema:superEvent ?v }"""
    assert len(column(exported, query)) == 2


def test_topics_discussed(exported: Graph) -> None:
    query = """SELECT ?label WHERE {
        ?v a schema:Event ; schema:location/schema:name "Kuwait"@en ; schema:about ?t .
        ?t a skos:Concept ; skos:prefLabel ?label }"""
    assert column(exported, query) == {
        "research and innovation of the Life Sciences system",
        "technology transfer",
    }


def test_the_visit_opens_a_series(exported: Graph) -> None:
    query = """SELECT ?s WHERE { ?v schema:location/schema:name "Kuwait"@en ;
        schema:superEvent ?s . ?s a schema:EventSeries }"""
    assert len(column(exported, query)) == 1


def test_three_quotations_and_their_speakers(exported: Graph) -> None:
    query = """SELECT ?q ?name WHERE {
        ?q a schema:Quotation ; schema:text ?t ; schema:creator ?p ; schema:isPartOf ?a .
        ?a a schema:NewsArticle . ?p schema:name ?name }"""
    rows = answers(exported, query)
    assert len(rows) == 3
    speakers = sorted(name for _, name in rows)
    assert speakers == ["Carlo Baldocci", "Massimiliano Boggetti", "Massimiliano Boggetti"]


def test_every_post_event_quotation_and_claim_is_derived_from_the_article(
    exported: Graph,
) -> None:
    query = """SELECT ?x WHERE {
        VALUES ?kind { org:Post schema:Event schema:Quotation schema:Claim }
        ?x a ?kind
        FILTER NOT EXISTS { ?x prov:wasDerivedFrom ?a . ?a a schema:NewsArticle } }"""
    assert not column(exported, query)
    counted = """SELECT ?x WHERE {
        VALUES ?kind { org:Post schema:Event schema:Quotation schema:Claim } ?x a ?kind }"""
    assert len(column(exported, counted)) >= 5 + 4 + 3 + 5


def test_the_sentence_that_supports_a_post(exported: Graph) -> None:
    # Evidence is per statement (issue #12): the annotation's body is the rdf:Statement
    # of the org:heldBy triple (RDF reification), not the post itself.
    query = """SELECT ?exact WHERE {
        ?post a org:Post ; org:heldBy ?person ;
              org:postIn/schema:name "Confindustria Medical Devices"@en .
        ?person schema:name "Massimiliano Boggetti" .
        ?st a rdf:Statement ; rdf:subject ?post ; rdf:predicate org:heldBy ; rdf:object ?person .
        ?a a oa:Annotation ; oa:hasBody ?st ; oa:hasTarget/oa:hasSelector ?s .
        ?s a oa:TextQuoteSelector ; oa:exact ?exact }"""
    (exact,) = column(exported, query)
    assert "current President of Confindustria Medical Devices" in exact
    assert exact.startswith("Massimiliano Boggetti")


def test_claims_say_who_makes_them(exported: Graph) -> None:
    query = """SELECT ?c ?who WHERE { ?c a schema:Claim ; prov:wasAttributedTo ?who }"""
    rows = answers(exported, query)
    claims = {c for c, _ in rows}
    assert len(claims) >= 5
    whos = {who.rsplit("/", 2)[-2] for _, who in rows}
    assert whos == {"article", "person"}
