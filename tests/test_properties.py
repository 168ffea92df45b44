"""Property-based tests (issue 6): Hypothesis generates random but valid knowledge bases —
an article, persons, countries, organisations, posts, a visit with meetings, quotations,
a statement node for every fact triple (``kb.statements``) and, for every stated one, an
evidence annotation whose offsets slice the article's text — built as an ``rdflib.Graph``.
Every generated KB exports, re-imports isomorphic in every export format, conforms to
``ontology/shapes.ttl`` (no result at all), and answers every catalogue query without
error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from kb.errors import InputError
from kb.namespaces import ID, KB, PREFIXES
from kb.statements import BASES, BASES_SCHEME, STATEMENT_NS, is_fact_predicate, is_fact_subject
from tests.helpers import REPO

SCHEMA = Namespace(PREFIXES["schema"])
ORG = Namespace(PREFIXES["org"])
PROV = Namespace(PREFIXES["prov"])
#: (a URIRef, not rdflib's closed XSD namespace: pytest probes module names for mocks, and
#: each probe of a closed namespace warns)
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
SKOS = Namespace(PREFIXES["skos"])
OA = Namespace(PREFIXES["oa"])
KBNS = Namespace(KB)
ORGANISATION_CLASSES = ["TechnologyCluster", "IndustryAssociation", "ChamberOfCommerce", "Ministry"]
ROLES = ["president", "minister", "director"]
#: Letters for names and words: ASCII, accented Latin, Greek (code points, not bytes).
LETTERS = "abcdefghijklmnopqrstuvwxyzàéèöüßçñαβγ"
EXPORT_FORMATS = {"turtle": "turtle", "nt": "nt", "xml": "xml", "jsonld": "json-ld"}


def words(min_size: int = 1, max_size: int = 3) -> st.SearchStrategy[str]:
    """A few capitalised words."""
    word = st.text(alphabet=LETTERS, min_size=2, max_size=9).map(str.capitalize)
    return st.lists(word, min_size=min_size, max_size=max_size).map(" ".join)


def names(min_size: int, max_size: int) -> st.SearchStrategy[list[str]]:
    """Distinct names (ignoring case), as the shapes want for persons."""
    return st.lists(words(2, 3), min_size=min_size, max_size=max_size, unique_by=str.lower)


@dataclass
class Spec:
    """What Hypothesis chose; ``build`` turns it into a graph."""

    persons: list[str]
    countries: list[str]
    organisations: list[tuple[str, str, int]]  # name, class, country index
    posts: list[tuple[int, int, int, str | None]]  # organisation, holder, role, status
    visit: tuple[int, int, list[int]] | None  # visitor, country, meeting counterparts
    quotations: list[tuple[int, str]]  # speaker, words
    article_id: str = "generated"
    text: list[str] = field(default_factory=list)


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    """A random but consistent knowledge base."""
    persons = draw(names(1, 4))
    countries = draw(names(1, 2))
    organisations = [
        (
            name,
            draw(st.sampled_from(ORGANISATION_CLASSES)),
            draw(st.integers(0, len(countries) - 1)),
        )
        for name in draw(names(1, 3))
    ]
    person = st.integers(0, len(persons) - 1)
    posts = [
        (
            index,
            draw(person),
            draw(st.integers(0, len(ROLES) - 1)),
            draw(st.sampled_from([None, "Current", "NewlyElected"])),
        )
        for index in range(len(organisations))
        if draw(st.booleans())
    ]
    visit = None
    if draw(st.booleans()):
        counterparts = draw(st.lists(person, max_size=2))
        visit = (draw(person), draw(st.integers(0, len(countries) - 1)), counterparts)
    quotations = draw(st.lists(st.tuples(person, words(3, 8)), max_size=3))
    return Spec(persons, countries, organisations, posts, visit, quotations)


class Builder:
    """Adds nodes to a graph and words to the article's text; ``finish`` gives every fact
    triple its statement node (``kb.statements``): stated, with an evidence annotation
    that quotes the words appended for its subject (positions in code points), or
    editorial with a note when the subject has no words (the roles)."""

    def __init__(self, article_id: str) -> None:
        self.graph = Graph()
        for prefix, namespace in PREFIXES.items():
            self.graph.bind(prefix, namespace)
        self.article = URIRef(f"{ID}article/{article_id}")
        self.parts: list[str] = []
        self.length = 0
        self.count = 0
        #: node -> the annotation target quoting its words
        self.targets: dict[URIRef, URIRef] = {}

    def say(self, before: str, exact: str, after: str, node: URIRef) -> None:
        """Append ``before + exact + after`` to the article; ``exact`` is evidence for node."""
        start = self.length + len(before)
        sentence = before + exact + after
        self.parts.append(sentence)
        self.length += len(sentence)
        self.targets[node] = self.target(exact, start)

    def target(self, exact: str, start: int) -> URIRef:
        """A part of the article selected by its words and by its position."""
        self.count += 1
        base = f"{ID}annotation/t{self.count}"
        target, quote, position = URIRef(base), URIRef(base + "-quote"), URIRef(base + "-position")
        self.add(target, RDF.type, OA.SpecificResource)
        self.add(target, OA.hasSource, self.article)
        self.add(target, OA.hasSelector, quote)
        self.add(target, OA.hasSelector, position)
        self.add(quote, RDF.type, OA.TextQuoteSelector)
        self.add(quote, OA.exact, Literal(exact))
        self.add(position, RDF.type, OA.TextPositionSelector)
        self.add(position, OA.start, Literal(start, datatype=XSD_INTEGER))
        self.add(position, OA.end, Literal(start + len(exact), datatype=XSD_INTEGER))
        return target

    def add(self, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
        self.graph.add((s, p, o))

    def finish(self) -> Graph:
        """Add the statement nodes, the scheme of bases and the article with its text."""
        facts = [
            (s, p, o)
            for s, p, o in self.graph
            if is_fact_subject(str(s)) and is_fact_predicate(str(p))
        ]
        for number, (s, p, o) in enumerate(sorted(facts), start=1):
            statement = URIRef(f"{STATEMENT_NS}g{number}")
            self.add(statement, RDF.type, RDF.Statement)
            self.add(statement, RDF.subject, s)
            self.add(statement, RDF.predicate, p)
            self.add(statement, RDF.object, o)
            target = self.targets.get(s)  # type: ignore[arg-type]
            if target is None:
                self.add(statement, KBNS.basis, URIRef(BASES["editorial"]))
                self.add(statement, SKOS.editorialNote, en("The generated vocabulary."))
                continue
            self.add(statement, KBNS.basis, URIRef(BASES["stated"]))
            annotation = URIRef(f"{ID}annotation/a{number}")
            self.add(annotation, RDF.type, OA.Annotation)
            self.add(annotation, OA.motivatedBy, OA.describing)
            self.add(annotation, OA.hasBody, statement)
            self.add(annotation, OA.hasTarget, target)
        self._bases()
        self.add(self.article, RDF.type, SCHEMA.NewsArticle)
        self.add(self.article, SCHEMA.text, Literal("".join(self.parts)))
        return self.graph

    def _bases(self) -> None:
        """The scheme of the four bases (as in data/evidence.ttl)."""
        scheme = URIRef(BASES_SCHEME)
        self.add(scheme, RDF.type, SKOS.ConceptScheme)
        self.add(scheme, SKOS.prefLabel, en("bases of statements"))
        for name, concept in BASES.items():
            self.add(URIRef(concept), RDF.type, SKOS.Concept)
            self.add(URIRef(concept), SKOS.inScheme, scheme)
            self.add(URIRef(concept), SKOS.prefLabel, en(name))


def en(text: str) -> Literal:
    return Literal(text, lang="en")


def node(kind: str, index: int | str) -> URIRef:
    return URIRef(f"{ID}{kind}/g{index}")


def build(spec: Spec) -> Graph:
    """The graph of ``spec``: every node valid, every entity with its evidence."""
    b = Builder(spec.article_id)
    derived = (PROV.wasDerivedFrom, b.article)
    for i, name in enumerate(spec.persons):
        b.add(node("person", i), RDF.type, SCHEMA.Person)
        b.add(node("person", i), SCHEMA.name, Literal(name))
        b.say("We met ", name, ". ", node("person", i))
    for i, name in enumerate(spec.countries):
        country = node("place", i)
        b.add(country, RDF.type, SCHEMA.Country)
        b.add(country, SCHEMA.name, en(name))
        b.add(country, SCHEMA.sameAs, URIRef(f"http://www.wikidata.org/entity/Q{100 + i}"))
        b.say("They went to ", name, ". ", country)
    for i, (name, cls, country) in enumerate(spec.organisations):
        org = node("organization", i)
        b.add(org, RDF.type, KBNS[cls])
        b.add(org, SCHEMA.name, en(name))
        b.add(org, SCHEMA.location, node("place", country))
        b.say("The ", name, " spoke. ", org)
    roles = URIRef(f"{ID}concept/roles")
    b.add(roles, RDF.type, SKOS.ConceptScheme)
    b.add(roles, SKOS.prefLabel, en("roles"))
    for i, role in enumerate(ROLES):
        b.add(node("role", i), RDF.type, ORG.Role)
        b.add(node("role", i), SKOS.prefLabel, en(role.capitalize()))
        b.add(node("role", i), SKOS.inScheme, roles)
    for org, holder, role, status in spec.posts:
        post = node("post", org)
        label = f"{ROLES[role].capitalize()} of {spec.organisations[org][0]}"
        b.add(post, RDF.type, ORG.Post)
        b.add(post, RDFS.label, en(label))
        b.add(post, ORG.role, node("role", role))
        b.add(post, ORG.postIn, node("organization", org))
        b.add(post, ORG.heldBy, node("person", holder))
        b.add(post, *derived)
        if status:
            b.add(post, KBNS.postStatus, KBNS[status])
        b.say(f"{spec.persons[holder]} is ", label, ". ", post)
    if spec.visit is not None:
        _visit(b, spec, derived)
    for i, (speaker, words_) in enumerate(spec.quotations):
        quotation = node("quotation", i)
        b.add(quotation, RDF.type, SCHEMA.Quotation)
        b.add(quotation, SCHEMA.text, Literal(words_))
        b.add(quotation, SCHEMA.creator, node("person", speaker))
        b.add(quotation, SCHEMA.isPartOf, b.article)
        b.add(quotation, *derived)
        b.say("\u201c", words_, f"\u201d, said {spec.persons[speaker]}. ", quotation)
    return b.finish()


def _visit(b: Builder, spec: Spec, derived: tuple[URIRef, URIRef]) -> None:
    """The visit and its meetings (the visitor attends each)."""
    assert spec.visit is not None
    visitor, country, counterparts = spec.visit
    visit = node("event", "visit")
    name = f"{spec.persons[visitor]}'s visit to {spec.countries[country]}"
    b.add(visit, RDF.type, KBNS.Visit)
    b.add(visit, SCHEMA.name, en(name))
    b.add(visit, SCHEMA.location, node("place", country))
    b.add(visit, KBNS.visitor, node("person", visitor))
    b.add(visit, *derived)
    b.say("", name, ". ", visit)
    for i, counterpart in enumerate(counterparts):
        meeting = node("event", f"meeting-{i}")
        words_ = f"meeting {i + 1} with {spec.persons[counterpart]}"
        b.add(meeting, RDF.type, KBNS.InstitutionalMeeting)
        b.add(meeting, SCHEMA.name, en(words_))
        b.add(meeting, SCHEMA.superEvent, visit)
        b.add(meeting, SCHEMA.attendee, node("person", visitor))
        b.add(meeting, KBNS.counterpart, node("person", counterpart))
        b.add(meeting, *derived)
        b.say("There was a ", words_, ". ", meeting)


@pytest.fixture(scope="module")
def layout():  # type: ignore[no-untyped-def]
    """The checkout's knowledge base layout (its ontology, shapes and catalogue)."""
    from kb.resources import Layout

    return Layout(REPO)


@given(spec=specs())
# Each example runs pySHACL (about a second): 15 examples of up to 4 persons, 3
# organisations, posts, a visit and quotations cover every kind of node and statement
# in well under half a minute; no shrinking budget is spent unless the property fails.
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_kb(spec: Spec, layout, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Export, re-import isomorphic, conform to the shapes, answer the catalogue."""
    from kb.catalogue import catalogue
    from kb.export import serialize
    from kb.published import build_store, published_store
    from kb.query import run_query
    from kb.validate import validate

    graph = build(spec)
    path = tmp_path / "generated.ttl"
    path.write_bytes(graph.serialize(format="turtle", encoding="utf-8"))

    store = build_store(layout, [path], inference="none", with_ontology=False)
    for fmt, rdflib_format in EXPORT_FORMATS.items():
        exported = serialize(store, fmt)
        again = Graph().parse(data=exported, format=rdflib_format)
        assert isomorphic(again, graph), fmt

    report = validate(layout, [path], engine="pyshacl")
    assert report.conforms and not report.results, [r.as_dict() for r in report.results]

    published = published_store(layout, [path])
    for entry in catalogue(layout):
        result = run_query(layout, entry.name, store=published, timeout=None)
        assert result.form in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def test_negative_control_shifted_offset(layout, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The control: one evidence offset moved by one code point no longer conforms (so
    the property above can fail)."""
    from kb.validate import validate

    spec = Spec(["Anna Rossi"], ["Kuwait"], [("Alisei", "TechnologyCluster", 0)], [], None, [])
    graph = build(spec)
    position = next(graph.subjects(RDF.type, OA.TextPositionSelector))
    start = graph.value(position, OA.start)
    graph.set((position, OA.start, Literal(int(start) + 1, datatype=XSD_INTEGER)))
    path = tmp_path / "shifted.ttl"
    path.write_bytes(graph.serialize(format="turtle", encoding="utf-8"))
    report = validate(layout, [path], engine="pyshacl")
    assert not report.conforms and report.violations >= 1


def test_parse_cache_changes_no_pyshacl_result(tmp_path: Path) -> None:
    """kb.shacl.fallback.cached_sparql_parsing (which kb validate and the pySHACL tests
    run under) gives the very report plain pySHACL gives, results included."""
    import pyshacl

    from kb.shacl.fallback import cached_sparql_parsing

    post = [(0, 0, 1, None)]
    graph = build(Spec(["Anna Rossi"], ["Kuwait"], [("Alisei", "Ministry", 0)], post, None, []))
    position = next(graph.subjects(RDF.type, OA.TextPositionSelector))
    graph.set((position, OA.end, Literal(-1, datatype=XSD_INTEGER)))
    graph.remove((node("person", 0), SCHEMA.name, None))
    shapes = Graph().parse(REPO / "ontology" / "shapes.ttl", format="turtle")

    def report() -> Graph:
        options = {"inference": "none", "advanced": True, "do_owl_imports": False}
        return pyshacl.validate(graph, shacl_graph=shapes, **options)[1]

    plain = report()
    with cached_sparql_parsing():
        cached = report()
    sh = Namespace("http://www.w3.org/ns/shacl#")
    assert len(set(plain.subjects(RDF.type, sh.ValidationResult))) >= 2
    assert isomorphic(plain, cached)


# --- kb.sparql_text reads SPARQL as pyoxigraph does -------------------------------------------

#: What may follow a triple pattern before the group's closing brace, and whether it leaves
#: that brace to be read (pyoxigraph's parse must agree with kb.sparql_text's tokens).
LEXING_FACTS = {
    "comment-lf": "# c\n",
    "comment-cr": "# c\r",
    "comment-crlf": "# c\r\n",
    "comment-u2028": "# c\u2028",
    "comment-u2029": "# c\u2029",
    "comment-nel": "# c\x85",
    "comment-vt": "# c\x0b",
    "comment-ff": "# c\x0c",
    "comment-nul": "# c\x00",
    "hash-iri": "FILTER(?o != <http://x/a#b>) ",
    "escaped-iri": "FILTER(?o != <http://x/\\u0061#b>) ",
    "escaped-iri-8": "FILTER(?o != <http://x/\\U00000061#b>) ",
    "string-1": "FILTER(?o != 'a#b') ",
    "string-2": 'FILTER(?o != "a#b") ',
    "string-escaped-quote": 'FILTER(?o != "a\\"#b") ',
    "string-uchar-quote": 'FILTER(?o != "a\\u0022#b") ',
    "string-cr": 'FILTER(?o != "a\r#b") ',
    "long-string-1": "FILTER(?o != '''a'\n#b''') ",
    "long-string-2": 'FILTER(?o != """a"\n#b""") ',
    "local-escape": "FILTER(?o != ex:a\\#b) ",
    "less-than": "FILTER(?o<2) ",
    "less-than-string": "FILTER(?o<'>') ",
}


@pytest.mark.parametrize("name", sorted(LEXING_FACTS))
def test_tokens_agree_with_pyoxigraph(name: str) -> None:
    """pyoxigraph accepts the query exactly when kb.sparql_text reads its closing brace:
    comments end at \\n and \\r only; \\u escapes count in strings and IRIs only; a '#'
    inside an IRI, a string or after a backslash starts no comment."""
    import pyoxigraph

    from kb.sparql_text import tokens

    query = f"PREFIX ex: <http://x/> SELECT * WHERE {{ ?s ?p ?o . {LEXING_FACTS[name]}}}"
    try:
        pyoxigraph.Store().query(query)
        accepted = True
    except SyntaxError:
        accepted = False
    read = [t.kind for t in tokens(query)]
    assert accepted == (read.count("{") == read.count("}")), (accepted, read)


#: Pieces SPARQL text is made of, the tricky ones most: quotes, escapes, comment ends,
#: brackets, ``<`` as IRI or less-than, numbers, names with dots, keywords, non-ASCII.
SPARQL_PIECES = [
    " ", "\t", "\n", "\r", "\u2028", "#", "\\", "'", '"', "'''", '"""', "<", ">", "{", "}",
    "(", ")", "[", "]", ".", ":", "?", "$", "1", "2.5", "1e5", ".5", "\u0663", "a", "ex",
    "SELECT", "PREFIX", "service", "WHERE", "\u00e9", "_", "-", "\\u0061", "http://x/",
    "\U0001f600", "\x00", "^^", "@en",
]  # fmt: skip


@given(st.lists(st.sampled_from(SPARQL_PIECES), max_size=40).map("".join))
@example("# a\rSELECT ?s {")
@example("ex:a\\#b } SELECT")
@example("FILTER(?x<2)SERVICE:s#> {")
@example("'''a'\n#b''' { \"a\\\"#\" } 1.5e3 .5 1\u0663 ?\u00e9 <http://x/\\u0061#b> {")
@settings(max_examples=1000, deadline=None)
def test_the_quick_reading_of_sparql_is_the_careful_one(text: str) -> None:
    """kb.sparql_text reads text with one regular expression (``tokens``, and through
    it the query form and nesting checks); ``_next``, one token at a time, is the
    reading the disguised forms were checked against: both give the same tokens."""
    from kb import sparql_text
    from kb.sparql_text import _next, tokens

    careful, i = [], 0
    while i < len(text):
        token, i = _next(text, i)
        if token is not None:
            careful.append(token)
    assert list(tokens(text)) == careful
    depth = deepest = 0
    for token in careful:
        if token.kind in "{([" and len(token.kind) == 1:
            depth += 1
            deepest = max(deepest, depth)
        elif token.kind in "})]" and len(token.kind) == 1 and depth:
            depth -= 1
    assert sparql_text.nesting(text) == deepest
    keywords = sparql_text.QUERY_FORMS + sparql_text.UPDATE_FORMS
    words = [t.text.upper() for t in careful if t.kind == "word"]
    first = next((w for w in words if w in keywords), None)
    try:
        assert sparql_text.query_form(text) == first
    except InputError:
        assert first is None or first in sparql_text.UPDATE_FORMS


def test_names_and_variables_take_exactly_sparqls_characters() -> None:
    """kb.sparql_text writes its character classes as negations (they compile faster):
    at every edge of SPARQL's PN_CHARS_U and PN_CHARS ranges, a name and a variable take
    exactly the characters the grammar allows."""
    from kb.sparql_text import _LETTER, _MORE, _VAR, _WORD

    def within(code: int, *groups: tuple[tuple[int, int], ...]) -> bool:
        return any(low <= code <= high for group in groups for low, high in group)

    edges = {e + d for g in (_LETTER, _MORE) for r in g for e in r for d in (-1, 0, 1)}
    for code in sorted(e for e in edges | {ord(c) for c in ".-:?$"} if 0 <= e <= 0x10FFFF):
        c = chr(code)
        assert bool(_WORD.fullmatch(c)) == within(code, _LETTER)
        assert bool(_WORD.fullmatch("a" + c + "b")) == (within(code, _LETTER, _MORE) or c in ".-")
        assert bool(_WORD.fullmatch("a" + c)) == (within(code, _LETTER, _MORE) or c == "-")
        assert bool(_VAR.fullmatch("?" + c)) == (within(code, _LETTER) or "0" <= c <= "9")
        assert bool(_VAR.fullmatch("?a" + c)) == within(code, _LETTER, _MORE)
    # the ranges are the grammar's: spot checks from the SPARQL 1.1 text
    assert _WORD.fullmatch("\u00e9t\u00e9\u00b7\u2040x") and _WORD.fullmatch("\U0001f600")
    assert not _WORD.fullmatch("\u00d7") and not _WORD.fullmatch("\u00b7")
    assert not _WORD.fullmatch("\ufffe") and not _VAR.fullmatch("?\u00b7")
    assert _VAR.fullmatch("?1\u00b7") and _VAR.fullmatch("?\u0663")  # U+037F-U+1FFF


#: Pieces of a query string: every printable ASCII character, escapes whole, cut short
#: and invalid, UTF-8 whole and broken, ``+``, ``=``, ``&``, and bytes past ASCII.
QUERY_STRING_PIECES = [
    *(chr(c) for c in range(0x21, 0x7F)), "%20", "%3D", "%3d", "%2B", "%25", "%0A", "%00",
    "%C3%A9", "%E2%82", "%AC", "%F0%9F%98%80", "%ED%A0%80", "%FF", "%", "%2", "%zz", "=3D",
    "=", "+", "&", "query=", "&query=", " ", "\t", "\u00e9",
]  # fmt: skip


@given(st.lists(st.sampled_from(QUERY_STRING_PIECES), max_size=30).map("".join))
@example("query=SELECT%20*%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D")
@example("query=a%3D%3d=3D+%2B%25%")
@example("query=%C3%A9%E2%82%20%AC%FF")
@settings(max_examples=1000, deadline=None)
def test_the_quick_reading_of_a_query_string_is_starlettes(text: str) -> None:
    """``kb serve`` reads ``/sparql?query=`` itself (in C) where it can: the same text as
    Starlette's reading (parse_qsl), or the query checked would not be the one run."""
    from starlette.datastructures import QueryParams

    from kb.web.app import query_values

    raw = ("query=" + text).encode("utf-8")
    assert query_values(raw) == QueryParams(raw).getlist("query")
    raw = text.encode("utf-8")
    assert query_values(raw) == QueryParams(raw).getlist("query")
