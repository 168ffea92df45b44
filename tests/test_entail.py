"""kb.entail: subclasses, subproperties and inverses, on the data only, to a fixpoint."""

from __future__ import annotations

import pyoxigraph

from kb.entail import Schema, add_closure, entailed_triples

EX = "http://example.org/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _store(triples: list[tuple[str, str, str]]) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    for s, p, o in triples:
        obj = pyoxigraph.Literal(o[1:]) if o.startswith("'") else pyoxigraph.NamedNode(o)
        store.add(pyoxigraph.Quad(pyoxigraph.NamedNode(s), pyoxigraph.NamedNode(p), obj))
    return store


ONTOLOGY = _store(
    [
        (EX + "Cluster", RDFS + "subClassOf", EX + "Consortium"),
        (EX + "Consortium", RDFS + "subClassOf", EX + "Organization"),
        (EX + "president", RDFS + "subPropertyOf", EX + "holds"),
        (EX + "holds", OWL + "inverseOf", EX + "heldBy"),
        (EX + "heldBy", RDFS + "subPropertyOf", EX + "relatedTo"),
        (EX + "name", RDFS + "subPropertyOf", EX + "label"),
        (EX + "name", OWL + "inverseOf", EX + "nameOf"),
    ]
)


def _nt(triples: set[pyoxigraph.Triple]) -> set[str]:
    return {str(t).replace(EX, "") for t in triples}


def test_closure_of_data_only() -> None:
    data = _store(
        [
            (EX + "alisei", TYPE, EX + "Cluster"),
            (EX + "anna", EX + "president", EX + "post"),
            (EX + "anna", EX + "name", "'Anna"),
        ]
    )
    assert _nt(entailed_triples(data, ONTOLOGY)) == {
        f"<alisei> <{TYPE}> <Consortium>",
        f"<alisei> <{TYPE}> <Organization>",
        "<anna> <holds> <post>",
        "<post> <heldBy> <anna>",
        "<post> <relatedTo> <anna>",
        '<anna> <label> "Anna"',
    }
    assert len(data) == 3  # unchanged


def test_schema_is_closed_transitively_and_both_ways() -> None:
    schema = Schema.from_store(ONTOLOGY)
    assert schema.superclasses[EX + "Cluster"] == {EX + "Consortium", EX + "Organization"}
    forward, backward = schema.properties[EX + "heldBy"]
    assert forward == {EX + "relatedTo"}
    assert backward == {EX + "holds"}


def test_no_schema_no_change() -> None:
    data = _store([(EX + "a", EX + "b", EX + "c")])
    add_closure(data, Schema())
    assert len(data) == 1
