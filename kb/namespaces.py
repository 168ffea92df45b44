"""Every namespace and prefix the project uses, and the one base IRI they hang from.

The base is a w3id.org path (to be registered at https://github.com/perma-id/w3id.org);
change ``BASE`` here and nowhere else.
"""

from __future__ import annotations

BASE = "https://w3id.org/lifesci-news-kb/"

#: The ontology (hash namespace) and the shapes graph.
KB = BASE + "ontology#"
KBSH = BASE + "shapes#"
#: Instances live under readable slash IRIs: ``{ID}person/massimiliano-boggetti``.
ID = BASE + "id/"
#: The named graph a push writes to unless told otherwise.
DEFAULT_GRAPH = BASE + "graph/published"
ONTOLOGY_IRI = BASE + "ontology"

#: Instance namespaces, one per kind of thing, so Turtle stays readable.
INSTANCE_KINDS = (
    "article",
    "person",
    "organization",
    "place",
    "post",
    "role",
    "event",
    "project",
    "topic",
    "aim",
    "quotation",
    "claim",
    "annotation",
    "concept",
    "statement",
)

STANDARD_PREFIXES: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "schema": "https://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "oa": "http://www.w3.org/ns/oa#",
    "dcterms": "http://purl.org/dc/terms/",
    "vann": "http://purl.org/vocab/vann/",
    "adms": "http://www.w3.org/ns/adms#",
    "sh": "http://www.w3.org/ns/shacl#",
    "wd": "http://www.wikidata.org/entity/",
}

PROJECT_PREFIXES: dict[str, str] = {
    "kb": KB,
    "kbsh": KBSH,
    **{kind: ID + kind + "/" for kind in INSTANCE_KINDS},
}

#: Every prefix, in the order exports declare them.
PREFIXES: dict[str, str] = {**STANDARD_PREFIXES, **PROJECT_PREFIXES}
