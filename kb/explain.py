"""A resource, its neighbours and its evidence: each statement about it (whose
rdf:subject or rdf:object it is) with its basis, and the sentences of the article whose
words support it (the exact words located) or the note that says why it has none.

RESOURCE is an IRI (``<…>`` or ``http…``), a prefixed name, or text matched
case-insensitively against schema:name, schema:alternateName, rdfs:label and
skos:prefLabel. Matches are ranked: an exact label first, then a whole-word match on a
person, then on an organisation or place, then any whole-word match, then any substring;
several resources in the best rank are reported as candidates (InputError, exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.errors import InputError
from kb.namespaces import KB
from kb.namespaces import STANDARD_PREFIXES as P
from kb.sparql_text import bind_term
from kb.statements import STATEMENT_LINKS
from kb.terms import expand, lexical

if TYPE_CHECKING:
    import pyoxigraph

LABELS = ("schema:name", "schema:alternateName", "rdfs:label", "skos:prefLabel")
PERSON = "schema:Person"
NAMED_KINDS = ("schema:Organization", "schema:Place")
#: a sentence ends at . ! ? (not after an initial such as "H.E." or a title such as "Dr.")
_SENTENCE_END = re.compile(
    r"(?:(?<![A-Z])(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bSt)\.|[!?])[\"”’']?(?=\s|$)|\n"
)


@dataclass(frozen=True)
class Evidence:
    """One evidence sentence: ``before + exact + after`` is the sentence."""

    node: str
    annotation: str
    before: str
    exact: str
    after: str


@dataclass
class StatementEvidence:
    """One statement about the resource: its triple, basis, note and evidence sentences."""

    statement: str
    triple: tuple[str, str, str]
    #: the basis's label, else its IRI (N-Triples), None without one
    basis: str | None
    note: str | None
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Explanation:
    """A resource (N-Triples terms throughout), its properties, incoming links, and the
    statements about it with their evidence (``evidence`` lists all their sentences)."""

    resource: str
    properties: list[tuple[str, str]] = field(default_factory=list)
    incoming: list[tuple[str, str]] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    statements: list[StatementEvidence] = field(default_factory=list)


class AmbiguousResource(InputError):
    """Several resources match; ``candidates`` lists them as (term, label)."""

    def __init__(self, text: str, candidates: list[tuple[str, str]]) -> None:
        self.candidates = candidates
        count = len({term for term, _ in candidates})
        super().__init__(f"{text!r} matches {count} resources; name one of them")


_ABSOLUTE = re.compile(r"^<[A-Za-z][A-Za-z0-9+.-]*:")


def _prologue() -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in {**P, "kb": KB}.items())


def _select(store: pyoxigraph.Store, query: str) -> list[list[str | None]]:
    try:
        answer = store.query(_prologue() + query)
    except SyntaxError as exc:  # (the resource is checked first: this is a last guard)
        raise InputError(f"explain: cannot look this resource up: {exc.msg or exc}") from None
    names = [v.value for v in answer.variables]
    return [[None if s[n] is None else str(s[n]) for n in names] for s in answer]


#: How messages name what the user gave (the command's argument).
_ARGUMENT = "explain RESOURCE"


def _iri_of(text: str) -> str | None:
    if text.startswith("<") and text.endswith(">"):
        return text
    if re.match(r"^https?://\S+$", text):
        return f"<{text}>"
    iri = expand(text)
    return f"<{iri}>" if iri else None


def resolve_resource(store: pyoxigraph.Store, text: str) -> str:
    """The one resource ``text`` names, as ``<iri>``; none or several -> InputError."""
    iri = _iri_of(text.strip())
    if iri is not None:
        if not _ABSOLUTE.match(iri):
            raise InputError(f"{text}: not an absolute IRI (give <scheme:...> or a prefixed name)")
        bind_term(iri, _ARGUMENT)  # validates the IRI
        if not _select(
            store, f"SELECT ?p WHERE {{ {{ {iri} ?p ?o }} UNION {{ ?s ?p {iri} }} }} LIMIT 1"
        ):
            raise InputError(f"{text}: no such resource in the knowledge base")
        return iri
    return _match_label(store, text.strip())


def _match_label(store: pyoxigraph.Store, text: str) -> str:
    if not text:
        raise InputError("explain: empty resource name")
    labels = " ".join(LABELS)
    literal = bind_term(text, _ARGUMENT)
    rows = _select(
        store,
        f"SELECT DISTINCT ?s ?l WHERE {{ VALUES ?lp {{ {labels} }} ?s ?lp ?l "
        f"FILTER(isLiteral(?l) && CONTAINS(LCASE(STR(?l)), LCASE({literal}))) }}",
    )
    persons = _instances(store, (PERSON,))
    named = _instances(store, NAMED_KINDS)
    ranked = [_rank(text, s, label, persons, named) for s, label in rows if s]
    if not ranked:
        raise InputError(f"{text!r} matches no name or label; try an IRI or prefixed name")
    best = min(rank for rank, _, _ in ranked)
    candidates = sorted({(s, label) for rank, s, label in ranked if rank == best})
    if len({s for s, _ in candidates}) > 1:
        raise AmbiguousResource(text, candidates)
    return candidates[0][0]


def _instances(store: pyoxigraph.Store, kinds: tuple[str, ...]) -> set[str]:
    query = f"SELECT ?s WHERE {{ VALUES ?c {{ {' '.join(kinds)} }} ?s a ?c }}"
    return {row[0] for row in _select(store, query) if row[0]}


def _rank(
    text: str, subject: str, label_nt: str | None, persons: set[str], named: set[str]
) -> tuple[int, str, str]:
    label = lexical(label_nt or "")
    if label.casefold() == text.casefold():
        return 0, subject, label
    if not re.search(rf"(?<!\w){re.escape(text)}(?!\w)", label, re.I):
        return 4, subject, label
    if subject in persons:
        return 1, subject, label
    return (2 if subject in named else 3), subject, label


def explain(store: pyoxigraph.Store, resource: str) -> Explanation:
    """Describe ``resource`` (see the module docstring) in the published graph ``store``."""
    iri = resolve_resource(store, resource)
    result = Explanation(iri)
    result.properties = [
        (p, o) for p, o in _select(store, f"SELECT ?p ?o WHERE {{ {iri} ?p ?o }} ORDER BY ?p ?o")
    ]
    # a statement node's link is shown as the evidence below
    result.incoming = [
        (s, p)
        for s, p in _select(store, f"SELECT ?s ?p WHERE {{ ?s ?p {iri} }} ORDER BY ?s ?p")
        if (p or "").strip("<>") not in STATEMENT_LINKS
    ]
    result.statements = _statements(store, iri)
    result.evidence = [e for s in result.statements for e in s.evidence]
    return result


def _statements(store: pyoxigraph.Store, iri: str) -> list[StatementEvidence]:
    rows = _select(
        store,
        f"""SELECT ?st ?s ?p ?o ?b ?basis ?note ?a ?text ?start ?end WHERE {{
          {{ ?st rdf:subject {iri} }} UNION {{ ?st rdf:object {iri} }}
          ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
          OPTIONAL {{ ?st kb:basis ?b OPTIONAL {{ ?b skos:prefLabel ?basis }} }}
          OPTIONAL {{ ?st skos:editorialNote ?note }}
          OPTIONAL {{
            ?a oa:hasBody ?st ; oa:hasTarget ?t .
            ?t oa:hasSource ?article ; oa:hasSelector ?sel .
            ?sel a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
            ?article schema:text ?text .
          }}
        }} ORDER BY ?s ?p ?o ?st ?start ?a""",
    )
    found: dict[str, StatementEvidence] = {}
    for st, s, p, o, basis_iri, basis, note, annotation, text, start, end in rows:
        item = found.setdefault(
            st or "",
            StatementEvidence(
                st or "",
                (s or "", p or "", o or ""),
                lexical(basis) if basis else basis_iri,
                lexical(note) if note else None,
            ),
        )
        if annotation:
            sentence = _sentence(st or "", annotation, lexical(text or ""), start, end)
            if sentence is not None and sentence not in item.evidence:
                item.evidence.append(sentence)
    return list(found.values())


def _sentence(
    node: str, annotation: str, text: str, start: str | None, end: str | None
) -> Evidence | None:
    try:
        begin, stop = int(lexical(start or "")), int(lexical(end or ""))
    except ValueError:
        return None
    if not 0 <= begin <= stop <= len(text):
        return None
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, begin)), default=0)
    right_match = _SENTENCE_END.search(text, max(begin, stop - 1))
    right = right_match.end() if right_match else len(text)
    if right_match and right_match.start() < stop:
        right = stop
    before = text[left:begin].lstrip()
    return Evidence(node, annotation, before, text[begin:stop], text[stop:right].rstrip())
