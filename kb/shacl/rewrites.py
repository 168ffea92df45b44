"""Faster equivalents, for pyoxigraph, of SHACL-SPARQL constraints of the project's own
shapes (``ontology/shapes.ttl``), used by the fast engine in place of the text as written.

A constraint's text must suit every engine (pySHACL and Jena run it once per focus node;
a server gets it as written), so it is written as left joins that each engine evaluates
fairly. pyoxigraph evaluates some forms far faster: an anti-join as ``MINUS`` (a hash
of the right side, built once) instead of ``OPTIONAL`` + ``!BOUND`` per row; a grouping
instead of pairing every two statements of a subject. SHACL-SPARQL forbids ``MINUS`` in a
constraint, and a nested group would stop the engine from joining the focus nodes in, so
these forms cannot be the shapes' own text.

A rewrite is keyed on the SHA-256 of the constraint's PREFIX declarations and its
whitespace-normalised ``sh:select``: an edited constraint no longer matches and runs as
written. ``tests/test_engine_rewrites.py`` checks that each key matches the shapes file
and that each rewrite gives the same rows as its original on data holding every case its
comments name.
"""

from __future__ import annotations

import hashlib

from kb.sparql_text import normalised

#: Where the pattern binding ``?this`` to the focus nodes goes in a rewrite's text.
FOCUS = "#FOCUS#"

_PREFIXES = """
PREFIX concept: <https://w3id.org/lifesci-news-kb/id/concept/>
PREFIX kb: <https://w3id.org/lifesci-news-kb/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

# kbsh:FactStatementShape-sparql: the fact triples that have no statement node are found
# first, by one anti-join against every statement (MINUS: one hash of the statements),
# and only they look for an excuse (the closure infers them). As written, every fact
# triple is joined with its statement node and with the four excuses, and two thirds of
# them have a statement.
# The inverse excuse is a UNION of its three cases (a row with any is dropped below)
# instead of two nested OPTIONALs and a FILTER over them: the same rows, and its hash
# table no longer holds every statement of an inverse pair (the query's peak at 1M
# triples: 91 -> 30 MB, the same CPU). Its second case (the inverse triple has a
# statement of its own) starts from the statements of invertible predicates and looks
# up each one's subject and object (LATERAL, Oxigraph's extension): joined as a whole,
# it hashed every statement's subject and object (the case alone at 1M: 0.47 -> 0.19
# CPU s; the query 1.0 -> 0.78 s).
_FACT_WITHOUT_STATEMENT = (
    _PREFIXES
    + f"""
SELECT ?this ?path ?value WHERE {{
    {{
        {FOCUS}
        ?this ?path ?value .
        FILTER (STRSTARTS(STR(?this), "https://w3id.org/lifesci-news-kb/id/")
                && !STRSTARTS(STR(?this), "https://w3id.org/lifesci-news-kb/id/article/")
                && !STRSTARTS(STR(?this), "https://w3id.org/lifesci-news-kb/id/annotation/")
                && !STRSTARTS(STR(?this), "https://w3id.org/lifesci-news-kb/id/statement/")
                && !sameTerm(?this, concept:bases)
                && ?path NOT IN (prov:wasDerivedFrom, skos:editorialNote, rdfs:comment))
        MINUS {{ ?statement rdf:subject ?this ; rdf:predicate ?path ; rdf:object ?value }}
    }}
    OPTIONAL {{ ?this skos:inScheme ?bases . FILTER (sameTerm(?bases, concept:bases)) }}
    OPTIONAL {{ ?this rdf:type ?class . ?class rdfs:subClassOf ?value .
               FILTER (sameTerm(?path, rdf:type)) }}
    OPTIONAL {{ ?this ?subproperty ?value . ?subproperty rdfs:subPropertyOf ?path }}
    OPTIONAL {{
        {{ ?value ?inverse ?this . ?inverse owl:inverseOf|^owl:inverseOf ?path .
          FILTER (STR(?inverse) < STR(?path)) }}
        UNION
        {{ {{ ?inverse owl:inverseOf|^owl:inverseOf ?path . ?other rdf:predicate ?inverse }}
          LATERAL {{ ?other rdf:subject ?value ; rdf:object ?this . ?value ?inverse ?this }} }}
        UNION
        {{ ?value ?inverse ?this . ?inverse owl:inverseOf|^owl:inverseOf ?path .
          ?value ?below ?this . ?below rdfs:subPropertyOf ?inverse }}
    }}
    FILTER (!BOUND(?bases) && !BOUND(?class) && !BOUND(?subproperty) && !BOUND(?inverse))
}}
"""
)

# kbsh:FactStatementShape-sparql-many: the triples with two or more statement nodes are
# found by grouping the statements once (as written, every two statement nodes of a
# subject are paired, and each subject has dozens). A pair is reported only when both
# nodes are IRIs (STR of a blank node is an error, so the written FILTER drops it), so
# only IRIs are grouped; ?other is every statement node after the first in IRI order,
# found by joining the few triples the grouping keeps back to their statement nodes
# (a ?first below ?other) rather than by carrying MIN(STR(?statement)) through the
# grouping: the same rows, and the query's own peak at 1M triples 78 -> 60 MB, its CPU
# time 0.81 -> 0.56 s (no string made per statement). The join back runs per kept triple
# (LATERAL, an Oxigraph extension: the text is only ever run by pyoxigraph): joined
# as a whole, its hash tables held every statement node (the query's own peak 71 -> 27
# MB, its CPU time 0.66 -> 0.40 s).
_FACT_MANY_STATEMENTS = (
    _PREFIXES
    + f"""
SELECT DISTINCT ?this ?path ?value ?other WHERE {{
    {{
        SELECT ?this ?path ?value WHERE {{
            ?statement rdf:subject ?this ; rdf:predicate ?path ; rdf:object ?value .
            FILTER (isIRI(?statement))
        }}
        GROUP BY ?this ?path ?value
        HAVING (COUNT(?statement) > 1)
    }}
    LATERAL {{
        {FOCUS}
        ?this ?path ?value .
        ?first rdf:subject ?this ; rdf:predicate ?path ; rdf:object ?value .
        ?other rdf:subject ?this ; rdf:predicate ?path ; rdf:object ?value .
        FILTER (isIRI(?first) && STR(?other) > STR(?first))
    }}
}}
"""
)

# kbsh:StatementWordsShape-sparql and kbsh:StatementNoteShape-sparql: the statements of
# the bases named are looked up by basis (not every statement's basis read and tested),
# and those with an annotation (a note) are taken out by a lookup per statement (FILTER
# NOT EXISTS, ?this bound): a MINUS built a hash of every annotation's body, which at 1M
# triples made the words query's own peak 47 MB against 21 MB now, at about the same CPU.
_STATEMENT_WITHOUT = (
    _PREFIXES
    + f"""
SELECT ?this ?path ?value WHERE {{
    {{
        VALUES ?value {{ %s }}
        ?this kb:basis ?value .
        {FOCUS}
    }}
    FILTER NOT EXISTS {{ %s }}
    BIND (kb:basis AS ?path)
}}
"""
)
_STATEMENT_WITHOUT_WORDS = _STATEMENT_WITHOUT % (
    "concept:stated concept:implied",
    "?annotation oa:hasBody ?this",
)
_STATEMENT_WITHOUT_NOTE = _STATEMENT_WITHOUT % (
    "concept:implied concept:external concept:editorial",
    "?this skos:editorialNote ?note",
)

#: key of the constraint as written (``key``) -> the text pyoxigraph runs instead
REWRITES: dict[str, str] = {
    # kbsh:FactStatementShape-sparql
    "30ba2137bd1aa70552bc6e31864b524d629fadc4053e607f2ace2461cc93a1ee": _FACT_WITHOUT_STATEMENT,
    # kbsh:FactStatementShape-sparql-many
    "1dada561582d8fc687717757c61c7da457846d1768b75a8fb21c5e065107588a": _FACT_MANY_STATEMENTS,
    # kbsh:StatementWordsShape-sparql
    "64b3c45cef17c7794b7ca1d21f622e8fe39789b8548ca0fb336ff175f82ef061": _STATEMENT_WITHOUT_WORDS,
    # kbsh:StatementNoteShape-sparql
    "b5f6c0823e11bccecf0d5b8a4d717b22e8626d5591817df8ae59b545524365db": _STATEMENT_WITHOUT_NOTE,
}


def key(prefixes: str, select: str) -> str:
    """What a constraint is recognised by: its PREFIX declarations and its text, with
    white space and comments between tokens made one space (``normalised``: a comment
    swallowing a line is another text, unlike white space alone)."""
    text = prefixes + "\n" + normalised(select)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rewrite(prefixes: str, select: str, focus: str) -> str | None:
    """The faster text for the constraint (``prefixes``, ``select``) on the focus nodes
    of the pattern ``focus``; None when there is none."""
    found = REWRITES.get(key(prefixes, select))
    return found.replace(FOCUS, focus) if found is not None else None
