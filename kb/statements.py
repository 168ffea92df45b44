"""The statement-evidence model in one place: which triples are facts, how a fact's
statement node is named, and the four bases a statement can have.

Every fact triple (a triple of the facts, except the bookkeeping predicates below) has
exactly one statement node: an ``rdf:Statement`` (RDF 1.1 reification) with one
``kb:basis``. Its evidence is Web Annotations whose ``oa:hasBody`` is the statement node.
scripts/build_evidence.py writes them, ``kb stats`` counts them and the tests check them,
all with the definitions of this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from kb.namespaces import ID, KB, PREFIXES, STANDARD_PREFIXES

RDF = STANDARD_PREFIXES["rdf"]
STATEMENT_NS = ID + "statement/"
CONCEPT_NS = ID + "concept/"
BASIS = KB + "basis"
BASES_SCHEME = CONCEPT_NS + "bases"

#: The four bases, by their skos:prefLabel.
BASES: dict[str, str] = {
    name: CONCEPT_NS + name for name in ("stated", "implied", "external", "editorial")
}

#: Predicates that record where a fact comes from or why, not a fact: no statement node.
#: (prov:wasDerivedFrom is used in the facts only to point at the article.)
BOOKKEEPING_PREDICATES: frozenset[str] = frozenset(
    {
        STANDARD_PREFIXES["prov"] + "wasDerivedFrom",
        STANDARD_PREFIXES["skos"] + "editorialNote",
        STANDARD_PREFIXES["rdfs"] + "comment",
    }
)

#: Links from a statement node to the resources of its triple: the evidence of a fact
#: about the resource (kb explain, the resource pages), not links to show beside it.
STATEMENT_LINKS: frozenset[str] = frozenset({RDF + "subject", RDF + "object"})
#: The same, and an annotation's link to its statement node (the resource pages show
#: annotations under their statement).
EVIDENCE_LINKS: frozenset[str] = STATEMENT_LINKS | {STANDARD_PREFIXES["oa"] + "hasBody"}

#: Instance kinds whose nodes are bookkeeping (the article, its evidence, the statements).
NON_FACT_KINDS: tuple[str, ...] = ("article", "annotation", "statement")

_LOCAL_LENGTH = 40


def is_fact_predicate(predicate: str) -> bool:
    """True unless ``predicate`` (an IRI) is one of the bookkeeping predicates."""
    return predicate not in BOOKKEEPING_PREDICATES


def fact_triples(
    triples: Iterable[tuple[object, object, object]],
) -> list[tuple[object, object, object]]:
    """The fact triples among ``triples`` (terms of any library; IRIs compare by ``str``)."""
    return [(s, p, o) for s, p, o in triples if is_fact_predicate(str(p))]


def _compact(iri: str) -> str:
    """``kind-local`` for an instance IRI, ``prefix-local`` for a vocabulary IRI."""
    if iri == RDF + "type":
        return "a"
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return _slug(f"{prefix}-{iri[len(namespace) :]}")
    return _slug(iri.split("//", 1)[-1])


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")
    return slug[:_LOCAL_LENGTH].rstrip("-") or "x"


def statement_local(subject: str, predicate: str, obj: str, obj_is_literal: bool) -> str:
    """The readable local name of the statement node of a triple (IRIs and lexical forms
    as plain strings): ``{subject}--{predicate}--{object}``, each shortened to a slug."""
    object_part = _slug(obj) if obj_is_literal else _compact(obj)
    return f"{_compact(subject)}--{_compact(predicate)}--{object_part}"


def statement_iri(subject: str, predicate: str, obj: str, obj_is_literal: bool) -> str:
    """The statement node's IRI (under ``{ID}statement/``)."""
    return STATEMENT_NS + statement_local(subject, predicate, obj, obj_is_literal)


def is_fact_subject(iri: str) -> bool:
    """Whether ``iri`` can be the subject of a fact: an instance of the knowledge base,
    not the article, its evidence or the statements, nor the scheme of bases."""
    if not iri.startswith(ID) or iri == BASES_SCHEME or iri in BASES.values():
        return False
    return not any(iri.startswith(f"{ID}{kind}/") for kind in NON_FACT_KINDS)
