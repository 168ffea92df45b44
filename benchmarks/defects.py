"""Defect recipes for the synthetic generator: one per constraint of ``ontology/shapes.ttl``.

A constraint is a (shape, constraint component) pair: a property shape's ``sh:minCount``,
a node shape's ``sh:sparql``, ... ``RECIPES`` maps each to a ``Recipe`` that damages one
node of one synthetic article so that validation (data + ontology + closure, inference
off) reports exactly one result for that constraint. Where the shapes make a single result
impossible (two constraints that always fail together) the recipe says so by listing the
other result(s) it must produce in ``also``, and ``UNAVOIDABLE`` explains each such case
(none today: the shapes leave each defect to one constraint).

``tests/test_generate.py`` fails when shapes.ttl has a constraint with no recipe here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from synthetic import (
    BASIS,
    KB,
    OA,
    ORG,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SH,
    SHARED_STATEMENT,
    SKOS,
    TYPE,
    XSD,
    Article,
    en,
    iri,
    node,
    plain,
)

from kb.namespaces import PREFIXES

KBSH = PREFIXES["kbsh"]
WIKIDATA = PREFIXES["wd"]

# Predicates, in N-Triples form.
NAME, TEXT, ABOUT = iri(SCHEMA, "name"), iri(SCHEMA, "text"), iri(SCHEMA, "about")
LOCATION, ATTENDEE = iri(SCHEMA, "location"), iri(SCHEMA, "attendee")
SUPER_EVENT, ALT_NAME = iri(SCHEMA, "superEvent"), iri(SCHEMA, "alternateName")
LABEL, PREF_LABEL, IN_SCHEME = iri(RDFS, "label"), iri(SKOS, "prefLabel"), iri(SKOS, "inScheme")
HAS_BODY, HAS_TARGET, HAS_SOURCE = iri(OA, "hasBody"), iri(OA, "hasTarget"), iri(OA, "hasSource")
HAS_SELECTOR, EXACT, START, END = (
    iri(OA, "hasSelector"),
    iri(OA, "exact"),
    iri(OA, "start"),
    iri(OA, "end"),
)
NOTE = iri(SKOS, "editorialNote")
SUBJECT, PREDICATE, OBJECT = iri(RDF, "subject"), iri(RDF, "predicate"), iri(RDF, "object")

# Roles of the nodes of a synthetic article (see generate.ArticleWriter).
PERSONS = ("person.visitor", "person.minister", "person.chamber", "person.ambassador")
ORGS = ("org.cluster", "org.association", "org.ministry", "org.chamber", "org.embassy")
POSTS = ("post.cluster", "post.association", "post.minister", "post.chamber", "post.ambassador")
MEETINGS = ("meeting.minister", "meeting.chamber")
EVENTS = ("visit", *MEETINGS, "series")
PLACES = ("place.home", "place.host", "place.region", "place.group")
COUNTRIES = ("place.home", "place.host")
TOPICS = ("topic.0", "topic.1", "topic.2")
AIMS = ("aim.0", "aim.1", "aim.2")
QUOTES = ("quote.visitor", "quote.ambassador")
CLAIMS = ("claim.step", "claim.rel", "claim.promoter")
ANNOTATIONS = ("ann:*",)
TARGETS = ("target:*",)
QUOTE_SELECTORS = ("quote:*",)
POSITION_SELECTORS = ("position:*",)


@dataclass(frozen=True)
class Hit:
    """One validation result a defect produces; shape/component None = the recipe's own."""

    focus: str
    path: str | None
    shape: str | None = None
    component: str | None = None


class NoRoom(Exception):
    """The recipe cannot be applied to this node (try another node or article)."""


@dataclass
class Context:
    """What a recipe may look at besides its own article: the other articles."""

    articles: list[Article]

    def neighbour(self, article: Article) -> Article:
        """Another article of the file (the next one), for links across articles."""
        if len(self.articles) < 2:
            raise NoRoom("this recipe needs at least two articles")
        position = next(i for i, a in enumerate(self.articles) if a.index == article.index)
        return self.articles[(position + 1) % len(self.articles)]


Apply = Callable[[Article, str, Context], list[Hit]]


@dataclass(frozen=True)
class Recipe:
    """Damage one node (chosen among ``roles``) so that it fails one constraint."""

    roles: tuple[str, ...]
    apply: Apply
    #: components of the same shape that necessarily fail along (same focus and path)
    also: tuple[str, ...] = ()

    def candidates(self, article: Article) -> list[str]:
        """The roles of ``article`` this recipe may damage, in order."""
        out: list[str] = []
        for role in self.roles:
            if role.endswith("*"):
                out += [r for r in article.nodes if r.startswith(role[:-1])]
            elif role in article.nodes:
                out.append(role)
        return out


# ---------------------------------------------------------------------------------------
# Values and generic recipes
# ---------------------------------------------------------------------------------------

#: A wrong value: a term, or a function of (article, damaged node) giving one.
Value = str | Callable[[Article, str], str]


def ref(role: str) -> Callable[[Article, str], str]:
    """The node of ``role`` in the damaged article (its types are relied upon)."""

    def value(article: Article, _: str) -> str:
        article.depend(article.nodes[role], TYPE)
        return article.nodes[role]

    return value


def resolve(value: Value, article: Article, subject: str) -> str:
    return value(article, subject) if callable(value) else value


def own_name(tag: Callable[[str], str]) -> Callable[[Article, str], str]:
    """The damaged node's own name as a literal made by ``tag`` (names stay unique)."""

    def value(article: Article, subject: str) -> str:
        return tag(literal_text(article.objects(subject, NAME)[0]) + " " + article.slug)

    return value


def literal_text(term: str) -> str:
    """The lexical form of an N-Triples literal (as generate.py writes them)."""
    return json.loads(term[: term.rindex('"') + 1])


def de(text: str) -> str:
    """A German language-tagged literal (fails sh:languageIn ("en"))."""
    return f'"{text}"@de'


def targeted(article: Article, role: str) -> str:
    """The node of ``role``; the defect relies on its types (so it stays a focus node)."""
    subject = article.nodes[role]
    article.depend(subject, TYPE)
    return subject


def missing(roles: Iterable[str], predicate: str, path: str | None = None) -> Recipe:
    """sh:minCount: remove every value of ``predicate``."""

    def apply(article: Article, role: str, _: Context) -> list[Hit]:
        subject = targeted(article, role)
        if not article.drop(subject, predicate):
            raise NoRoom(f"{role} has no {predicate}")
        return [Hit(subject, path or predicate)]

    return Recipe(tuple(roles), apply)


def extra(roles: Iterable[str], predicate: str, value: Value, also: tuple[str, ...] = ()) -> Recipe:
    """sh:maxCount (and other rules on added values): add one more value."""

    def apply(article: Article, role: str, _: Context) -> list[Hit]:
        subject = targeted(article, role)
        new = resolve(value, article, subject)
        if new in article.objects(subject, predicate):
            raise NoRoom(f"{role} already has {new}")
        article.add(subject, predicate, new)
        return [Hit(subject, predicate)]

    return Recipe(tuple(roles), apply, also)


def swap(roles: Iterable[str], predicate: str, value: Value, also: tuple[str, ...] = ()) -> Recipe:
    """sh:class, sh:datatype, sh:languageIn, ...: replace the values with one wrong value."""

    def apply(article: Article, role: str, _: Context) -> list[Hit]:
        subject = targeted(article, role)
        if not article.objects(subject, predicate):
            raise NoRoom(f"{role} has no {predicate}")
        article.replace(subject, predicate, resolve(value, article, subject))
        return [Hit(subject, predicate)]

    return Recipe(tuple(roles), apply, also)


def put(roles: Iterable[str], predicate: str, *values: str) -> Recipe:
    """Set ``predicate`` to exactly ``values`` (whether or not it had values before)."""

    def apply(article: Article, role: str, _: Context) -> list[Hit]:
        subject = targeted(article, role)
        article.drop(subject, predicate)
        for value in values:
            article.add(subject, predicate, value)
        return [Hit(subject, predicate)]

    return Recipe(tuple(roles), apply)


def custom(*roles: str) -> Callable[[Apply], Recipe]:
    """Decorator: a recipe written as a function of (article, role, context)."""

    def wrap(function: Apply) -> Recipe:
        return Recipe(tuple(roles), function)

    return wrap


def annotations_of(article: Article, role: str) -> list[str]:
    """The annotation nodes of the statements about the node of ``role``."""
    subject = article.nodes[role]
    statements = {st for (s, _, _), st in article.statements.items() if s == subject}
    return [t[0] for t in article.triples if t[1] == HAS_BODY and t[2] in statements]


def evidence_nodes(article: Article, role: str, kind: str) -> str:
    """For an evidence role ``KIND:ROLE#N``, the node of the same annotation of ``kind``."""
    return article.nodes[kind + role[role.index(":") :]]


def rely_on_slice(article: Article, role: str) -> None:
    """Rely on what the SPARQL evidence rules read for the annotation of ``role``: the
    target's selectors and source, the quoted words, the positions, the article text."""
    pairs = (
        ("target", HAS_SELECTOR),
        ("target", HAS_SOURCE),
        ("quote", EXACT),
        ("position", START),
        ("position", END),
    )
    for kind, predicate in pairs:
        article.depend(evidence_nodes(article, role, kind), predicate)
    article.depend(article.nodes["article"], TEXT)


def int_value(term: str) -> int:
    return int(term.split('"')[1])


def integer(value: int) -> str:
    return f'"{value}"^^<{XSD}integer>'


# ---------------------------------------------------------------------------------------
# Recipes that need more than one change
# ---------------------------------------------------------------------------------------


@custom(*POSTS, *EVENTS, *QUOTES, *CLAIMS)
def _no_evidence(article: Article, role: str, _: Context) -> list[Hit]:
    """Make every statement about the node editorial (with a note) and re-point their
    annotations at a shared statement: the node has no words of the article."""
    subject = targeted(article, role)
    for annotation in annotations_of(article, role):
        article.replace(annotation, HAS_BODY, SHARED_STATEMENT)
    for (s, p, _), statement in list(article.statements.items()):
        if s == subject:
            article.depend(s, p)
            article.replace(statement, BASIS, node("concept", "editorial"))
            article.drop(statement, NOTE)
            article.add(statement, NOTE, en("No words of the article support it."))
    return [Hit(subject, None)]


_no_evidence_warning = Recipe(
    (*PERSONS, *ORGS, "project", *PLACES, *AIMS, *TOPICS), _no_evidence.apply
)


@custom("ann:quote.*")
def _annotation_without_body(article: Article, role: str, _: Context) -> list[Hit]:
    """Drop oa:hasBody from one part of a two-part quotation (the other part remains)."""
    annotation = targeted(article, role)
    body = role[4 : role.index("#")]
    for other in annotations_of(article, body):
        article.depend(other, HAS_BODY)
    article.drop(annotation, HAS_BODY)
    return [Hit(annotation, HAS_BODY)]


@custom(*ANNOTATIONS)
def _annotation_untyped(article: Article, role: str, _: Context) -> list[Hit]:
    """Drop rdf:type oa:Annotation: still a focus node as a subject of oa:hasBody."""
    annotation = article.nodes[role]
    article.depend(annotation, HAS_BODY)
    article.drop(annotation, TYPE)
    return [Hit(annotation, None)]


@custom(*ANNOTATIONS)
def _target_untyped(article: Article, role: str, _: Context) -> list[Hit]:
    """The annotation gets a target of its own (the same source and selectors) without
    rdf:type oa:SpecificResource (its usual target is shared by other annotations)."""
    annotation = targeted(article, role)
    target = evidence_nodes(article, role, "target")
    own = target[:-1] + "-untyped>"
    for predicate in (HAS_SOURCE, HAS_SELECTOR):
        article.depend(target, predicate)
        for value in article.objects(target, predicate):
            article.add(own, predicate, value)
    article.replace(annotation, HAS_TARGET, own)
    return [Hit(annotation, HAS_TARGET)]


@custom(*ANNOTATIONS)
def _second_target(article: Article, role: str, _: Context) -> list[Hit]:
    """The annotation also targets another annotation's (valid) target."""
    annotation = targeted(article, role)
    others = [n for r, n in article.nodes.items() if r.startswith("target:")]
    own = evidence_nodes(article, role, "target")
    other = next(t for t in others if t != own)
    article.depend(other, TYPE)
    article.add(annotation, HAS_TARGET, other)
    return [Hit(annotation, HAS_TARGET)]


@custom(*TARGETS)
def _second_source(article: Article, role: str, _: Context) -> list[Hit]:
    """The target gets a second source: a copy of the article with the same text."""
    target = targeted(article, role)
    copy = node("article", f"{article.slug}-copy-{role.replace(':', '-').replace('#', '-')}")
    article.add(copy, TYPE, iri(SCHEMA, "NewsArticle"))
    article.add(copy, TEXT, plain(article.text))
    article.add(target, HAS_SOURCE, copy)
    return [Hit(target, HAS_SOURCE)]


def _selector_kind(kind: str) -> tuple[Recipe, Recipe]:
    """qualifiedMinCount (selector unlinked) and qualifiedMaxCount (a second copy)."""

    @custom(*TARGETS)
    def unlinked(article: Article, role: str, _: Context) -> list[Hit]:
        target = targeted(article, role)
        selector = evidence_nodes(article, role, kind)
        article.drop(target, HAS_SELECTOR, selector)
        return [Hit(target, HAS_SELECTOR)]

    @custom(*TARGETS)
    def doubled(article: Article, role: str, _: Context) -> list[Hit]:
        target = targeted(article, role)
        selector = evidence_nodes(article, role, kind)
        copy = selector[:-1] + "-copy>"
        article.depend(selector, TYPE)
        rely_on_slice(article, role)
        for _s, p, o in [t for t in article.triples if t[0] == selector]:
            article.add(copy, p, o)
        article.add(target, HAS_SELECTOR, copy)
        return [Hit(target, HAS_SELECTOR)]

    return unlinked, doubled


_quote_unlinked, _quote_doubled = _selector_kind("quote")
_position_unlinked, _position_doubled = _selector_kind("position")


@custom(*POSITION_SELECTORS)
def _shifted_position(article: Article, role: str, _: Context) -> list[Hit]:
    """Shift start and end by one: a valid range that slices other words."""
    position = targeted(article, role)
    start = int_value(article.objects(position, START)[0])
    end = int_value(article.objects(position, END)[0])
    if article.text[start + 1 : end + 1] == article.text[start:end]:
        raise NoRoom("shifted slice is the same words")
    rely_on_slice(article, role)
    article.replace(position, START, integer(start + 1))
    article.replace(position, END, integer(end + 1))
    return [Hit(position, START)]


@custom(*QUOTE_SELECTORS)
def _words_not_in_text(article: Article, role: str, _: Context) -> list[Hit]:
    """oa:exact words that are not in the text (kbsh:PositionSlicesQuoteShape leaves them
    to kbsh:QuoteInSourceShape)."""
    quote = targeted(article, role)
    rely_on_slice(article, role)
    article.replace(quote, EXACT, plain("words that the article never says"))
    return [Hit(quote, EXACT)]


@custom("position:claim.promoter#1")
def _second_end(article: Article, role: str, _: Context) -> list[Hit]:
    """A second, larger oa:end on the span that ends the text (the slice is unchanged)."""
    position = targeted(article, role)
    end = int_value(article.objects(position, END)[0])
    if end != len(article.text):
        raise NoRoom("the span does not end the text")
    rely_on_slice(article, role)
    article.add(position, END, integer(end + 7))
    return [Hit(position, END)]


def _empty_quote(start: int, end: int) -> Apply:
    """Make the quote empty and the positions (start, end) slice nothing on every engine."""

    def apply(article: Article, role: str, _: Context) -> list[Hit]:
        position = targeted(article, role)
        article.replace(evidence_nodes(article, role, "quote"), EXACT, plain(""))
        article.replace(position, START, integer(start))
        article.replace(position, END, integer(end))
        return [Hit(position, START)]

    return apply


_start_not_less = Recipe(POSITION_SELECTORS, _empty_quote(5, 5))
_start_negative = Recipe(POSITION_SELECTORS, _empty_quote(-1, 0))


@custom(*POSITION_SELECTORS)
def _second_start(article: Article, role: str, _: Context) -> list[Hit]:
    """Two oa:start values that slice the same (empty) words: an empty quote, and both
    starts at or after the end of the text, before one end (a second start that slices
    other words would also break kbsh:PositionSlicesQuoteShape)."""
    position = targeted(article, role)
    rely_on_slice(article, role)
    size = len(article.text)
    article.replace(evidence_nodes(article, role, "quote"), EXACT, plain(""))
    article.replace(position, START, integer(size))
    article.add(position, START, integer(size + 1))
    article.replace(position, END, integer(size + 2))
    return [Hit(position, START)]


@custom(*QUOTE_SELECTORS)
def _second_exact(article: Article, role: str, _: Context) -> list[Hit]:
    """A second oa:exact: the quoted words less their last character, also in the text
    (kbsh:PositionSlicesQuoteShape leaves a quote with several oa:exact to sh:maxCount)."""
    quote = targeted(article, role)
    rely_on_slice(article, role)
    words = literal_text(article.objects(quote, EXACT)[0])
    article.add(quote, EXACT, plain(words[:-1]))
    return [Hit(quote, EXACT)]


@custom(*PERSONS)
def _same_name(article: Article, role: str, _: Context) -> list[Hit]:
    """Give the person another person's name: the one of the two whose IRI sorts later
    is reported (IRIs compared without their angle brackets)."""
    person = targeted(article, role)
    other = next(article.nodes[r] for r in PERSONS if article.nodes[r] != person)
    article.depend(other, NAME)
    article.depend(other, TYPE)
    article.replace(person, NAME, article.objects(other, NAME)[0])
    return [Hit(max(person, other, key=lambda term: term[1:-1]), NAME)]


@custom(*POSTS)
def _post_in_nothing(article: Article, role: str, _: Context) -> list[Hit]:
    """The post is in no organisation (org:postIn removed)."""
    post = targeted(article, role)
    article.drop(post, iri(ORG, "postIn"))
    return [Hit(post, iri(ORG, "postIn"))]


@custom(*MEETINGS)
def _visitor_absent(article: Article, role: str, _: Context) -> list[Hit]:
    """The visitor does not attend this meeting of the visit."""
    meeting = targeted(article, role)
    visitor = article.nodes["person.visitor"]
    article.depend(article.nodes["visit"], iri(KB, "visitor"))
    article.depend(meeting, SUPER_EVENT)
    if not article.drop(meeting, ATTENDEE, visitor):
        raise NoRoom("the visitor is not an attendee")
    return [Hit(meeting, ATTENDEE)]


@custom("visit")
def _second_visitor(article: Article, role: str, _: Context) -> list[Hit]:
    """A second visitor, who also attends every meeting of the visit."""
    visit = targeted(article, role)
    minister = article.nodes["person.minister"]
    article.depend(minister, TYPE)
    article.add(visit, iri(KB, "visitor"), minister)
    for meeting in MEETINGS:
        article.add(article.nodes[meeting], ATTENDEE, minister)
    return [Hit(visit, iri(KB, "visitor"))]


def _neighbour_link(predicate: str, other_role: str, relied: tuple[str, ...] = ()) -> Apply:
    """Add a second ``predicate`` value: the same kind of node in the next article."""

    def apply(article: Article, role: str, context: Context) -> list[Hit]:
        subject = targeted(article, role)
        other = context.neighbour(article)
        target = other.nodes[other_role]
        article.depend(target, TYPE)
        for p in relied:
            article.depend(target, p)
        article.add(subject, predicate, target)
        return [Hit(subject, predicate)]

    return apply


@custom(*MEETINGS)
def _second_visit(article: Article, role: str, context: Context) -> list[Hit]:
    """The meeting is also part of the next article's visit, whose visitor attends it."""
    meeting = targeted(article, role)
    other = context.neighbour(article)
    visit, visitor = other.nodes["visit"], other.nodes["person.visitor"]
    for subject, predicate in ((visit, TYPE), (visit, iri(KB, "visitor")), (visitor, TYPE)):
        article.depend(subject, predicate)
    article.add(meeting, SUPER_EVENT, visit)
    article.add(meeting, ATTENDEE, visitor)
    return [Hit(meeting, SUPER_EVENT)]


def _new_node(role: str, article: Article, triples: list[tuple[str, str]]) -> str:
    """Add a new concept node to the article with the given properties; return it."""
    subject = node("concept", f"{article.slug}-defect-{role}")
    if article.objects(subject, TYPE):
        raise NoRoom("already added")
    for predicate, value in triples:
        article.add(subject, predicate, value)
    return subject


def _scheme(label: str | None) -> Apply:
    """A new concept scheme whose label is ``label`` (None: no label)."""

    def apply(article: Article, role: str, _: Context) -> list[Hit]:
        triples = [(TYPE, iri(SKOS, "ConceptScheme"))]
        triples += [(PREF_LABEL, label)] if label else []
        scheme = _new_node(f"scheme-{len(article.touched)}", article, triples)
        return [Hit(scheme, f"({PREF_LABEL}|{LABEL})")]

    return apply


def _retired_status(article: Article, role: str, _: Context) -> list[Hit]:
    """A post status the shapes do not list."""
    triples = [
        (TYPE, iri(KB, "PostStatus")),
        (PREF_LABEL, en("retired")),
        (IN_SCHEME, node("concept", "syn-topics")),
    ]
    return [Hit(_new_node("retired-status", article, triples), None)]


def _typed_blank(article: Article, role: str, _: Context) -> list[Hit]:
    """A typed blank node (blank nodes cannot be named in the defect list: '_:')."""
    blank = f"_:defect{article.slug.replace('-', '')}"
    if article.objects(blank, TYPE):
        raise NoRoom("already added")
    article.add(blank, TYPE, iri(SCHEMA, "Thing"))
    return [Hit("_:", None)]


def _status_value(value: Value, count: int = 1) -> Apply:
    """Give a post ``count`` status values: ``value`` and, for two, the other status."""

    def apply(article: Article, role: str, _: Context) -> list[Hit]:
        post = targeted(article, role)
        article.drop(post, iri(KB, "postStatus"))
        values = [resolve(value, article, post)]
        if count == 2:
            values = [iri(KB, "NewlyElected"), iri(KB, "Current")]
        for v in values:
            article.add(post, iri(KB, "postStatus"), v)
        return [Hit(post, iri(KB, "postStatus"))]

    return apply


# ---------------------------------------------------------------------------------------
# Statement nodes (the person's name statement, which is stated and has no note)
# ---------------------------------------------------------------------------------------


def name_statement(article: Article, role: str) -> tuple[str, str]:
    """(person, the statement node of its name), both relied upon (every part of the
    statement, so that two defects never damage one statement)."""
    person = targeted(article, role)
    article.depend(person, NAME)
    statement = article.statement_of(person, NAME)
    for predicate in (TYPE, SUBJECT, PREDICATE, OBJECT, BASIS, NOTE):
        article.depend(statement, predicate)
    return person, statement


@custom(*PERSONS)
def _statement_removed(article: Article, role: str, _: Context) -> list[Hit]:
    """Remove the statement node of the person's name: the fact has none."""
    person, statement = name_statement(article, role)
    for predicate in {t[1] for t in article.triples if t[0] == statement}:
        article.drop(statement, predicate)
    return [Hit(person, NAME)]


def _statement_part_missing(predicate: str) -> Apply:
    def apply(article: Article, role: str, _: Context) -> list[Hit]:
        person, statement = name_statement(article, role)
        article.drop(statement, predicate)
        hits = [Hit(statement, predicate)]
        if predicate in (SUBJECT, PREDICATE, OBJECT):
            hits.append(Hit(person, NAME, "FactStatementShape", "SPARQL"))
        return hits

    return apply


def _statement_part_extra(predicate: str, value: Value) -> Apply:
    def apply(article: Article, role: str, _: Context) -> list[Hit]:
        _, statement = name_statement(article, role)
        article.add(statement, predicate, resolve(value, article, statement))
        return [Hit(statement, predicate)]

    return apply


def _statement_part_swap(predicate: str, value: str) -> Apply:
    def apply(article: Article, role: str, _: Context) -> list[Hit]:
        _, statement = name_statement(article, role)
        article.replace(statement, predicate, value)
        return [Hit(statement, predicate)]

    return apply


@custom(*PERSONS)
def _second_basis(article: Article, role: str, _: Context) -> list[Hit]:
    """A second basis, editorial, with the note an editorial statement needs."""
    _, statement = name_statement(article, role)
    article.add(statement, BASIS, node("concept", "editorial"))
    article.add(statement, NOTE, en("A second basis."))
    return [Hit(statement, BASIS)]


@custom(*PERSONS)
def _statement_of_nothing(article: Article, role: str, _: Context) -> list[Hit]:
    """A statement node describing a name the person does not have."""
    person = targeted(article, role)
    statement = node("statement", f"{article.slug}-invented")
    triples = [
        (statement, TYPE, iri(RDF, "Statement")),
        (statement, SUBJECT, person),
        (statement, PREDICATE, NAME),
        (statement, OBJECT, plain("Nobody " + article.slug)),
        (statement, BASIS, node("concept", "editorial")),
        (statement, NOTE, en("An invented name.")),
    ]
    for triple in triples:
        article.add(*triple)
    return [Hit(statement, OBJECT)]


@custom(*PERSONS)
def _statement_without_words(article: Article, role: str, _: Context) -> list[Hit]:
    """Re-point the annotations of the (stated) name statement at a shared statement."""
    _, statement = name_statement(article, role)
    annotations = article.annotations_of_statement(statement)
    if not annotations:
        raise NoRoom(f"{role}'s name has no annotation")
    for annotation in annotations:
        article.replace(annotation, HAS_BODY, SHARED_STATEMENT)
    article.depend(statement, BASIS)
    return [Hit(statement, BASIS)]


@custom(*ORGS)
def _statement_without_note(article: Article, role: str, _: Context) -> list[Hit]:
    """Drop the note of the (implied) statement of the organisation's country."""
    organisation = targeted(article, role)
    article.depend(organisation, LOCATION)
    statement = article.statement_of(organisation, LOCATION)
    if not article.drop(statement, NOTE):
        raise NoRoom(f"{role}'s country has no note")
    article.depend(statement, BASIS)
    return [Hit(statement, BASIS)]


# ---------------------------------------------------------------------------------------
# The table: (shape local name, component without "ConstraintComponent") -> recipe
# ---------------------------------------------------------------------------------------

P = iri  # short alias for the table
NOT_EN = de("falsch")

RECIPES: dict[tuple[str, str], Recipe] = {
    # the source article
    ("NewsArticleShape-text", "MinCount"): missing(["article"], TEXT),
    ("NewsArticleShape-text", "MaxCount"): extra(
        ["article"], TEXT, lambda a, _: plain(a.text + "!")
    ),
    ("NewsArticleShape-text", "Datatype"): swap(["article"], TEXT, lambda a, _: en(a.text)),
    # persons
    ("PersonShape-name", "MinCount"): missing(PERSONS, NAME),
    ("PersonShape-name", "MaxCount"): extra(PERSONS, NAME, own_name(plain)),
    ("PersonShape-name", "Datatype"): swap(PERSONS, NAME, own_name(en)),
    ("PersonShape-honorificPrefix", "Datatype"): extra(
        PERSONS, P(SCHEMA, "honorificPrefix"), en("Dr.")
    ),
    ("UniquePersonNameShape", "SPARQL"): _same_name,
    # organisations
    ("OrganizationShape-name", "MinCount"): missing((*ORGS, "project"), NAME),
    ("OrganizationShape-name", "MaxCount"): extra((*ORGS, "project"), NAME, en("Other name")),
    ("OrganizationShape-name", "LanguageIn"): swap((*ORGS, "project"), NAME, NOT_EN),
    ("OrganizationShape-alternateName", "LanguageIn"): extra(ORGS, ALT_NAME, NOT_EN),
    ("FormalOrganizationShape-country", "MinCount"): missing(ORGS, LOCATION),
    ("FormalOrganizationShape-location", "MaxCount"): extra(ORGS, LOCATION, ref("place.home")),
    ("FormalOrganizationShape-location", "Class"): swap(ORGS, LOCATION, ref("place.region")),
    ("DiplomaticMissionShape-representsCountry", "MinCount"): missing(
        ["org.embassy"], P(KB, "representsCountry")
    ),
    ("DiplomaticMissionShape-representsCountry", "MaxCount"): extra(
        ["org.embassy"], P(KB, "representsCountry"), ref("place.host")
    ),
    ("DiplomaticMissionShape-representsCountry", "Class"): swap(
        ["org.embassy"], P(KB, "representsCountry"), ref("place.region")
    ),
    ("ProjectShape-duringTermOf", "MaxCount"): extra(
        ["project"], P(KB, "duringTermOf"), ref("post.association")
    ),
    ("ProjectShape-duringTermOf", "Class"): swap(
        ["project"], P(KB, "duringTermOf"), ref("org.cluster")
    ),
    # places
    ("PlaceShape-name", "MinCount"): missing(PLACES, NAME),
    ("PlaceShape-name", "MaxCount"): extra(PLACES, NAME, en("Another name")),
    ("PlaceShape-name", "LanguageIn"): swap(PLACES, NAME, NOT_EN),
    ("PlaceShape-containedInPlace", "Class"): extra(
        ["place.host"], P(SCHEMA, "containedInPlace"), ref("org.cluster")
    ),
    ("PlaceShape-containsPlace", "Class"): extra(
        ["place.region"], P(SCHEMA, "containsPlace"), ref("org.cluster")
    ),
    ("CountryShape-sameAs", "MaxCount"): put(
        COUNTRIES, P(SCHEMA, "sameAs"), f"<{WIKIDATA}Q1>", f"<{WIKIDATA}Q2>"
    ),
    ("CountryShape-sameAs", "NodeKind"): extra(
        COUNTRIES, P(SCHEMA, "sameAs"), plain(f"{WIKIDATA}Q1")
    ),
    ("CountryShape-sameAs", "Pattern"): extra(
        COUNTRIES, P(SCHEMA, "sameAs"), "<http://example.org/entity/Q1>"
    ),
    # posts
    ("PostShape-label", "MinCount"): missing(POSTS, LABEL),
    ("PostShape-label", "MaxCount"): extra(POSTS, LABEL, en("Another label")),
    ("PostShape-label", "LanguageIn"): swap(POSTS, LABEL, NOT_EN),
    ("PostShape-role", "MinCount"): missing(POSTS, P(ORG, "role")),
    ("PostShape-role", "MaxCount"): extra(POSTS, P(ORG, "role"), node("role", "syn-minister")),
    ("PostShape-role", "Class"): swap(POSTS, P(ORG, "role"), ref("place.home")),
    ("PostShape-holder", "MinCount"): missing(POSTS, P(ORG, "heldBy")),
    ("PostShape-status", "MaxCount"): Recipe(POSTS, _status_value("", count=2)),
    ("PostShape-status", "Class"): Recipe(POSTS, _status_value(ref("place.home"))),
    ("PostInOneOrganizationShape", "SPARQL"): _post_in_nothing,
    ("PostStatusShape", "In"): Recipe(("article",), _retired_status),
    # concepts and schemes
    ("ConceptShape-prefLabel", "MinCount"): missing((*TOPICS, *AIMS), PREF_LABEL),
    ("ConceptShape-prefLabel", "MaxCount"): extra((*TOPICS, *AIMS), PREF_LABEL, en("other")),
    ("ConceptShape-prefLabel", "LanguageIn"): swap((*TOPICS, *AIMS), PREF_LABEL, NOT_EN),
    ("ConceptShape-inScheme", "MinCount"): missing((*TOPICS, *AIMS), IN_SCHEME),
    ("ConceptShape-inScheme", "Class"): swap((*TOPICS, *AIMS), IN_SCHEME, ref("place.home")),
    ("ConceptSchemeShape-label", "MinCount"): Recipe(("article",), _scheme(None)),
    ("ConceptSchemeShape-label", "LanguageIn"): Recipe(("article",), _scheme(NOT_EN)),
    # events
    ("EventShape-name", "MinCount"): missing(EVENTS, NAME),
    ("EventShape-name", "MaxCount"): extra(EVENTS, NAME, en("Another name")),
    ("EventShape-name", "LanguageIn"): swap(EVENTS, NAME, NOT_EN),
    ("EventShape-superEvent", "Class"): extra(("series", "visit"), SUPER_EVENT, ref("place.host")),
    ("EventShape-attendee", "Class"): extra(MEETINGS, ATTENDEE, ref("org.cluster")),
    ("EventShape-about", "Class"): extra(EVENTS, ABOUT, ref("place.host")),
    ("VisitShape-visitor", "MinCount"): missing(["visit"], P(KB, "visitor")),
    ("VisitShape-visitor", "MaxCount"): _second_visitor,
    ("VisitShape-location", "MinCount"): missing(["visit"], LOCATION),
    ("VisitShape-location", "Class"): swap(["visit"], LOCATION, ref("org.cluster")),
    ("VisitShape-aim", "Class"): extra(["visit"], P(KB, "aim"), ref("topic.0")),
    ("VisitShape-opensSeries", "MaxCount"): Recipe(
        ("visit",), _neighbour_link(P(KB, "opensSeries"), "series")
    ),
    ("VisitShape-opensSeries", "Class"): swap(
        ["visit"], P(KB, "opensSeries"), ref("meeting.minister")
    ),
    ("MeetingShape-visit", "MinCount"): missing(MEETINGS, SUPER_EVENT),
    ("MeetingShape-visit", "MaxCount"): _second_visit,
    ("MeetingShape-visit", "Class"): swap(MEETINGS, SUPER_EVENT, ref("series")),
    ("MeetingShape-counterpart", "MinCount"): missing(MEETINGS, P(KB, "counterpart")),
    ("VisitorAttendsMeetingsShape", "SPARQL"): _visitor_absent,
    ("EventSeriesShape-partOfProject", "MaxCount"): Recipe(
        ("series",), _neighbour_link(P(KB, "partOfProject"), "project")
    ),
    ("EventSeriesShape-partOfProject", "Class"): swap(
        ["series"], P(KB, "partOfProject"), ref("org.cluster")
    ),
    # quotations and claims
    ("QuotationShape-text", "MinCount"): missing(QUOTES, TEXT),
    ("QuotationShape-text", "MaxCount"): extra(QUOTES, TEXT, plain("Other words.")),
    ("QuotationShape-text", "Datatype"): swap(QUOTES, TEXT, en("Words.")),
    ("QuotationShape-creator", "MinCount"): missing(QUOTES, P(SCHEMA, "creator")),
    ("QuotationShape-creator", "Class"): swap(QUOTES, P(SCHEMA, "creator"), ref("org.cluster")),
    ("QuotationShape-isPartOf", "MinCount"): missing(QUOTES, P(SCHEMA, "isPartOf")),
    ("QuotationShape-isPartOf", "MaxCount"): Recipe(
        QUOTES, _neighbour_link(P(SCHEMA, "isPartOf"), "article")
    ),
    ("QuotationShape-isPartOf", "Class"): swap(QUOTES, P(SCHEMA, "isPartOf"), ref("place.home")),
    ("ClaimShape-text", "MinCount"): missing(CLAIMS, TEXT),
    ("ClaimShape-text", "MaxCount"): extra(CLAIMS, TEXT, plain("Other words.")),
    ("ClaimShape-text", "Datatype"): swap(CLAIMS, TEXT, en("Words.")),
    ("ClaimShape-claimedBy", "MinCount"): missing(CLAIMS, P(KB, "claimedBy")),
    ("ClaimShape-claimedBy", "MaxCount"): extra(CLAIMS, P(KB, "claimedBy"), ref("person.minister")),
    ("ClaimShape-appearance", "MinCount"): missing(CLAIMS, P(SCHEMA, "appearance")),
    ("ClaimShape-appearance", "Class"): swap(CLAIMS, P(SCHEMA, "appearance"), ref("place.home")),
    # evidence
    ("EvidenceRequiredShape-derivedFrom", "MinCount"): missing(
        (*POSTS, *EVENTS, *QUOTES, *CLAIMS), P(PROV, "wasDerivedFrom")
    ),
    ("EvidenceRequiredShape-derivedFrom", "Class"): swap(
        (*POSTS, *EVENTS, *QUOTES, *CLAIMS), P(PROV, "wasDerivedFrom"), ref("place.home")
    ),
    ("EvidenceRequiredShape", "SPARQL"): _no_evidence,
    ("EvidenceWarningShape", "SPARQL"): _no_evidence_warning,
    # statements
    ("FactStatementShape", "SPARQL"): _statement_removed,
    ("StatementShape-subject", "MinCount"): Recipe(PERSONS, _statement_part_missing(SUBJECT)),
    ("StatementShape-subject", "MaxCount"): Recipe(
        PERSONS, _statement_part_extra(SUBJECT, ref("place.home"))
    ),
    ("StatementShape-predicate", "MinCount"): Recipe(PERSONS, _statement_part_missing(PREDICATE)),
    ("StatementShape-predicate", "MaxCount"): Recipe(
        PERSONS, _statement_part_extra(PREDICATE, ALT_NAME)
    ),
    ("StatementShape-object", "MinCount"): Recipe(PERSONS, _statement_part_missing(OBJECT)),
    ("StatementShape-object", "MaxCount"): Recipe(
        PERSONS, _statement_part_extra(OBJECT, plain("Someone else"))
    ),
    ("StatementShape-basis", "MinCount"): Recipe(PERSONS, _statement_part_missing(BASIS)),
    ("StatementShape-basis", "MaxCount"): _second_basis,
    ("StatementShape-basis", "In"): Recipe(
        PERSONS, _statement_part_swap(BASIS, node("concept", "guessed"))
    ),
    ("StatementAssertedShape", "SPARQL"): _statement_of_nothing,
    ("StatementWordsShape", "SPARQL"): _statement_without_words,
    ("StatementNoteShape", "SPARQL"): _statement_without_note,
    ("VisitShape-hope", "Class"): extra(["visit"], P(KB, "hope"), ref("topic.0")),
    ("AnnotationShape", "Class"): _annotation_untyped,
    ("AnnotationShape-motivation", "MinCount"): missing(ANNOTATIONS, P(OA, "motivatedBy")),
    ("AnnotationShape-motivation", "In"): swap(
        ANNOTATIONS, P(OA, "motivatedBy"), P(OA, "commenting")
    ),
    ("AnnotationShape-body", "MinCount"): _annotation_without_body,
    ("AnnotationShape-body", "MaxCount"): extra(ANNOTATIONS, HAS_BODY, ref("article")),
    ("AnnotationShape-target", "MinCount"): missing(ANNOTATIONS, HAS_TARGET),
    ("AnnotationShape-target", "MaxCount"): _second_target,
    ("AnnotationShape-target", "Class"): _target_untyped,
    ("SpecificResourceShape-source", "MinCount"): missing(TARGETS, HAS_SOURCE),
    ("SpecificResourceShape-source", "MaxCount"): _second_source,
    ("SpecificResourceShape-source", "Class"): swap(TARGETS, HAS_SOURCE, ref("place.home")),
    ("SpecificResourceShape-quoteSelector", "QualifiedMinCount"): _quote_unlinked,
    ("SpecificResourceShape-quoteSelector", "QualifiedMaxCount"): _quote_doubled,
    ("SpecificResourceShape-positionSelector", "QualifiedMinCount"): _position_unlinked,
    ("SpecificResourceShape-positionSelector", "QualifiedMaxCount"): _position_doubled,
    ("TextQuoteSelectorShape-exact", "MinCount"): missing(QUOTE_SELECTORS, EXACT),
    ("TextQuoteSelectorShape-exact", "MaxCount"): _second_exact,
    ("TextQuoteSelectorShape-exact", "Datatype"): Recipe(
        QUOTE_SELECTORS,
        lambda a, r, c: swap([r], EXACT, en(_exact(a, r))).apply(a, r, c),
    ),
    ("TextQuoteSelectorShape-prefix", "MaxCount"): put(
        QUOTE_SELECTORS, P(OA, "prefix"), plain("one"), plain("two")
    ),
    ("TextQuoteSelectorShape-prefix", "Datatype"): put(QUOTE_SELECTORS, P(OA, "prefix"), en("b")),
    ("TextQuoteSelectorShape-suffix", "MaxCount"): put(
        QUOTE_SELECTORS, P(OA, "suffix"), plain("one"), plain("two")
    ),
    ("TextQuoteSelectorShape-suffix", "Datatype"): put(QUOTE_SELECTORS, P(OA, "suffix"), en("a")),
    ("QuoteInSourceShape", "SPARQL"): _words_not_in_text,
    ("TextPositionSelectorShape-start", "MinCount"): missing(POSITION_SELECTORS, START),
    ("TextPositionSelectorShape-start", "MaxCount"): _second_start,
    ("TextPositionSelectorShape-start", "Datatype"): Recipe(
        POSITION_SELECTORS,
        lambda a, r, c: swap([r], START, _retyped(a, r, START)).apply(a, r, c),
    ),
    ("TextPositionSelectorShape-start", "MinInclusive"): _start_negative,
    ("TextPositionSelectorShape-start", "LessThan"): _start_not_less,
    ("TextPositionSelectorShape-end", "MinCount"): missing(POSITION_SELECTORS, END),
    ("TextPositionSelectorShape-end", "MaxCount"): _second_end,
    ("TextPositionSelectorShape-end", "Datatype"): Recipe(
        POSITION_SELECTORS,
        lambda a, r, c: swap([r], END, _retyped(a, r, END)).apply(a, r, c),
    ),
    ("PositionSlicesQuoteShape", "SPARQL"): _shifted_position,
    # no blank nodes
    ("NoBlankNodeShape", "NodeKind"): Recipe(("article",), _typed_blank),
}

#: Constraints that cannot fail alone with these shapes, and why (reported to the
#: shapes' authors; the recipes above list the results that come along). None today:
#: sh:datatype rdf:langString beside sh:languageIn, and sh:class schema:Person on
#: kb:visitor and kb:counterpart (subproperties of schema:attendee), were dropped as
#: redundant, and the SPARQL rules of the shapes leave each defect to one constraint.
UNAVOIDABLE: dict[tuple[str, str], str] = {
    (f"StatementShape-{part}", "MinCount"): (
        f"a statement node without its rdf:{part} no longer describes its fact triple, which"
        " kbsh:FactStatementShape then reports as having no statement node"
    )
    for part in ("subject", "predicate", "object")
}


def _exact(article: Article, role: str) -> str:
    """The words the quote selector of ``role`` quotes."""
    return literal_text(article.objects(article.nodes[role], EXACT)[0])


def _retyped(article: Article, role: str, predicate: str) -> str:
    """The same number as an xsd:decimal (equal value, wrong datatype; pyoxigraph would
    turn xsd:long or xsd:int into xsd:integer)."""
    value = int_value(article.objects(article.nodes[role], predicate)[0])
    return f'"{value}"^^<{XSD}decimal>'


# ---------------------------------------------------------------------------------------
# Constraints of a shapes file, and injection
# ---------------------------------------------------------------------------------------

#: SHACL parameter -> its constraint component (without "ConstraintComponent").
PARAMETERS: dict[str, str] = {
    "class": "Class",
    "datatype": "Datatype",
    "nodeKind": "NodeKind",
    "minCount": "MinCount",
    "maxCount": "MaxCount",
    "minExclusive": "MinExclusive",
    "minInclusive": "MinInclusive",
    "maxExclusive": "MaxExclusive",
    "maxInclusive": "MaxInclusive",
    "minLength": "MinLength",
    "maxLength": "MaxLength",
    "pattern": "Pattern",
    "languageIn": "LanguageIn",
    "uniqueLang": "UniqueLang",
    "equals": "Equals",
    "disjoint": "Disjoint",
    "lessThan": "LessThan",
    "lessThanOrEquals": "LessThanOrEquals",
    "not": "Not",
    "and": "And",
    "or": "Or",
    "xone": "Xone",
    "node": "Node",
    "qualifiedMinCount": "QualifiedMinCount",
    "qualifiedMaxCount": "QualifiedMaxCount",
    "closed": "Closed",
    "hasValue": "HasValue",
    "in": "In",
    "sparql": "SPARQL",
}


@dataclass(frozen=True, order=True)
class Constraint:
    """One constraint: a shape (local name under kbsh:) and a component (short name)."""

    shape: str
    component: str

    @property
    def shape_iri(self) -> str:
        return f"<{KBSH}{self.shape}>"

    @property
    def component_iri(self) -> str:
        return f"<{SH}{self.component}ConstraintComponent>"


def shape_constraints(shapes_path: Path) -> list[Constraint]:
    """Every constraint that can report a result: the parameters of each targeted node
    shape and of the property shapes it links with sh:property (sorted)."""
    import pyoxigraph

    store = pyoxigraph.Store()
    store.bulk_load(path=str(shapes_path), format=pyoxigraph.RdfFormat.TURTLE)
    targets = "sh:targetClass|sh:targetSubjectsOf|sh:targetObjectsOf|sh:targetNode"
    parameters = ", ".join(f"sh:{p}" for p in PARAMETERS)
    query = f"""
        PREFIX sh: <{SH}>
        SELECT DISTINCT ?shape ?parameter WHERE {{
          {{ ?shape {targets} ?t }} UNION {{ ?n {targets} ?t . ?n sh:property ?shape }}
          ?shape ?parameter ?value .
          FILTER(?parameter IN ({parameters}))
        }}"""
    found = set()
    for row in store.query(query):
        shape = row["shape"]
        if not isinstance(shape, pyoxigraph.NamedNode) or not shape.value.startswith(KBSH):
            raise ValueError(f"{shape}: every constraint-bearing shape needs a kbsh: IRI")
        parameter = row["parameter"].value.removeprefix(SH)
        found.add(Constraint(shape.value.removeprefix(KBSH), PARAMETERS[parameter]))
    return sorted(found)


@dataclass(frozen=True)
class Defect:
    """One injected defect and every validation result it produces (N-Triples forms)."""

    article: int
    constraint: Constraint
    hits: tuple[Hit, ...]

    def results(self) -> list[dict[str, str | None]]:
        """The expected results: focus, path, shape and component IRIs."""
        out = []
        for hit in self.hits:
            shape = hit.shape or self.constraint.shape
            component = hit.component or self.constraint.component
            out.append(
                {
                    "focus": hit.focus,
                    "path": hit.path,
                    "shape": f"<{KBSH}{shape}>",
                    "component": f"<{SH}{component}ConstraintComponent>",
                }
            )
        return out

    def as_dict(self) -> dict[str, object]:
        first, *also = self.results()
        return {"article": self.article, **first, "also": also}


@dataclass
class Injector:
    """Applies recipes to articles, never letting two defects touch the same triples."""

    articles: list[Article]
    changed: set[tuple[str, str]] = field(default_factory=set)
    relied: set[tuple[str, str]] = field(default_factory=set)

    def inject(self, count: int, constraints: list[Constraint]) -> list[Defect]:
        missing_recipes = [c for c in constraints if (c.shape, c.component) not in RECIPES]
        if missing_recipes:
            names = ", ".join(f"{c.shape} {c.component}" for c in missing_recipes)
            raise ValueError(f"no defect recipe for: {names}")
        return [self.one(k, count, constraints[k % len(constraints)]) for k in range(count)]

    def one(self, number: int, count: int, constraint: Constraint) -> Defect:
        """Inject defect ``number`` of ``count`` into the first article (from its even
        share of the file onwards) that has a node the recipe can damage untouched."""
        recipe = RECIPES[(constraint.shape, constraint.component)]
        articles = self.articles
        first = number * len(articles) // count
        for offset in range(len(articles)):
            article = articles[(first + offset) % len(articles)]
            for role in recipe.candidates(article):
                hits = self.attempt(article, role, recipe)
                if hits is not None:
                    also = [Hit(h.focus, h.path, None, c) for h in hits[:1] for c in recipe.also]
                    return Defect(article.index, constraint, tuple(hits + also))
        raise ValueError(
            f"no room for a defect on {constraint.shape} {constraint.component}: "
            "ask for more triples or fewer defects"
        )

    def attempt(self, article: Article, role: str, recipe: Recipe) -> list[Hit] | None:
        """Apply ``recipe`` to a copy; keep it if it overlaps no earlier defect."""
        trial = article.clone()
        try:
            hits = recipe.apply(trial, role, Context(self.articles))
        except (NoRoom, KeyError, IndexError):  # a value an earlier defect removed
            return None
        changed = {pair for pair in trial.touched if _changed(article, trial, pair)}
        relied = trial.touched - changed
        if changed & (self.changed | self.relied) or relied & self.changed:
            return None
        article.triples = trial.triples
        article.statements = trial.statements
        self.changed |= changed
        self.relied |= relied
        return hits


def _changed(before: Article, after: Article, pair: tuple[str, str]) -> bool:
    s, p = pair

    def values(article: Article) -> list[str]:
        return sorted(t[2] for t in article.triples if t[0] == s and t[1] == p)

    return values(before) != values(after)


def inject_defects(
    articles: list[Article], count: int, constraints: list[Constraint]
) -> list[Defect]:
    """Inject ``count`` defects, cycling through ``constraints``, spread over the file."""
    return Injector(articles).inject(count, constraints)


__all__ = [
    "RECIPES",
    "UNAVOIDABLE",
    "Constraint",
    "Defect",
    "inject_defects",
    "shape_constraints",
]
