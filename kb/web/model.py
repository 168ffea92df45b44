"""What the web shows of the published graph: each resource's description (its RDF), its
labelled properties, incoming links and evidence, the article with its evidence spans,
the ontology and the shapes. Read-only; every answer depends on the graph alone.

Evidence is read in both models: the statement model (``rdf:Statement`` nodes with a
``kb:basis``, annotated by ``oa:Annotation``s whose body is the statement; see
docs/ and issue #12) and the older one (annotations whose body is the node itself).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyoxigraph

from kb.namespaces import BASE, KB, PREFIXES
from kb.statements import EVIDENCE_LINKS
from kb.terms import prefixed

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
OWL = PREFIXES["owl"]
SCHEMA = PREFIXES["schema"]
SKOS = PREFIXES["skos"]
OA = PREFIXES["oa"]
PROV = PREFIXES["prov"]
SH = PREFIXES["sh"]
RDF_TYPE = RDF + "type"
#: Label predicates, best first.
LABELS = (SCHEMA + "name", RDFS + "label", SKOS + "prefLabel", SCHEMA + "alternateName")
#: Links that tie bookkeeping nodes to a resource; shown as evidence, not as links.
#: Objects of these predicates are described with the node that points at them.
FOLLOWED = {OA + "hasTarget", OA + "hasSelector"}
_SAFE_SCHEMES = re.compile(r"^(?:https?|mailto|urn):", re.I)
#: Nested blank nodes are shown to this depth.
MAX_DEPTH = 4


@dataclass(frozen=True)
class Term:
    """A term as a page shows it: ``href`` is a server path (``/id/…``) for the KB's own
    IRIs, the IRI itself for http(s) IRIs elsewhere, None when it must not be a link."""

    kind: str  # "iri", "bnode" or "literal"
    value: str
    label: str
    href: str | None = None
    language: str | None = None
    datatype: str | None = None
    nested: tuple[tuple[Term, Term], ...] = ()


@dataclass(frozen=True)
class Quote:
    """Words of the article: ``before + exact + after`` is their sentence."""

    annotation: str
    source: str | None
    exact: str
    before: str = ""
    after: str = ""
    start: int | None = None
    end: int | None = None


@dataclass
class Statement:
    """A statement node about one triple: its basis, the article's words, its note."""

    iri: str
    anchor: str
    href: str | None = None
    basis: str | None = None
    notes: list[str] = field(default_factory=list)
    derived_from: list[Term] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)


@dataclass
class Value:
    """One object of a property, with the statements about that triple."""

    term: Term
    statements: list[Statement] = field(default_factory=list)
    #: added by the closure (the ontology's subclass and subproperty axioms), not given
    inferred: bool = False


@dataclass
class Property:
    predicate: Term
    values: list[Value]


@dataclass
class Link:
    """A link to a resource from another, with the statements about that triple."""

    subject: Term
    predicate: Term
    statements: list[Statement] = field(default_factory=list)


@dataclass
class Resource:
    """Everything a resource page shows."""

    iri: str
    label: str
    types: list[Value]
    properties: list[Property]
    incoming: list[Link]
    node_quotes: list[Quote]
    article: Article | None = None


@dataclass
class Span:
    """One evidence span of the article and what it supports."""

    number: int
    start: int
    end: int
    exact: str
    supports: list[tuple[Term, str]]  # (link to the page and anchor, description)


@dataclass
class Article:
    """The article's text cut into segments, each marked with the spans covering it."""

    iri: str
    segments: list[tuple[str, tuple[int, ...]]]
    spans: list[Span]


_UNSAFE = re.compile(r"[\\\x00-\x1f\x7f]|%(?:2e|2f|5c|00)", re.I)


def is_safe_path(path: str) -> bool:
    """Whether a server path (fragment and query aside) may name a page or a file: no
    ``.`` or ``..`` segment, no empty segment inside it, no backslash, control character
    or encoded dot, slash or backslash."""
    path = path.split("#", 1)[0].split("?", 1)[0]
    if not path.startswith("/") or _UNSAFE.search(path):
        return False
    segments = path[1:].split("/")
    return all(s not in (".", "..") for s in segments) and "" not in segments[:-1]


def statement_anchor(iri: str) -> str:
    """The id of a statement's block on its subject's page."""
    return "st-" + hashlib.sha256(iri.encode()).hexdigest()[:12]


class WebGraph:
    """The published graph as the web reads it, with the ontology and shapes beside it."""

    def __init__(
        self,
        store: pyoxigraph.Store,
        ontology: pyoxigraph.Store,
        shapes: pyoxigraph.Store | None = None,
        base: str = BASE,
        asserted: pyoxigraph.Store | None = None,
    ) -> None:
        self.store = store
        self.ontology = ontology
        self.shapes = shapes
        self.base = base
        #: the data as given (without the closure), when known
        self.asserted = asserted

    def inferred(self, quad: pyoxigraph.Quad) -> bool:
        """Whether ``quad`` of the published graph was added by the closure."""
        if self.asserted is None:
            return False
        return quad not in self.asserted and quad not in self.ontology

    # --- IRIs and paths ---------------------------------------------------------------

    def path_of(self, iri: str) -> str | None:
        """The server path of a KB IRI (``/id/person/x``, ``/ontology#Visit``), else None."""
        if not iri.startswith(self.base):
            return None
        path = "/" + iri[len(self.base) :]
        return path if is_safe_path(path) else None

    def iri_of(self, path: str) -> str:
        """The KB IRI served at ``path``."""
        return self.base + path.lstrip("/")

    def exists(self, iri: str) -> bool:
        """Whether the graph says anything about or with ``iri`` (never, when ``iri`` is
        no IRI at all: a request's path may hold anything)."""
        try:
            node = pyoxigraph.NamedNode(iri)
        except ValueError:
            return False
        return any(True for _ in self.store.quads_for_pattern(node, None, None)) or any(
            True for _ in self.store.quads_for_pattern(None, None, node)
        )

    # --- terms ---------------------------------------------------------------------------

    @functools.lru_cache(maxsize=65536)  # noqa: B019 (one graph per process, read-only)
    def label(self, iri: str) -> str:
        """A name for people: the resource's label (English first), else its short name."""
        node = pyoxigraph.NamedNode(iri)
        for predicate in LABELS:
            names = [
                q.object
                for q in self.store.quads_for_pattern(node, pyoxigraph.NamedNode(predicate), None)
                if isinstance(q.object, pyoxigraph.Literal)
            ]
            if names:
                english = [n for n in names if (n.language or "").startswith("en")]
                return sorted(english or names, key=lambda n: n.value)[0].value
        return prefixed(iri) or iri

    def href(self, iri: str) -> str | None:
        """Where a link to ``iri`` points: our path, the IRI itself (http, https, mailto,
        urn), or None (``javascript:`` and every other scheme is never a link)."""
        path = self.path_of(iri)
        if path is not None:
            return path
        return iri if _SAFE_SCHEMES.match(iri) and not iri.lower().startswith("urn:") else None

    def term(self, node: object, depth: int = 0) -> Term:
        """A pyoxigraph term for a page (blank nodes with their own properties)."""
        if isinstance(node, pyoxigraph.NamedNode):
            return Term("iri", node.value, self.label(node.value), self.href(node.value))
        if isinstance(node, pyoxigraph.Literal):
            datatype = node.datatype.value
            shown = None if node.language or datatype.endswith("#string") else datatype
            return Term(
                "literal",
                node.value,
                node.value,
                language=node.language,
                datatype=(prefixed(shown) or shown) if shown else None,
            )
        nested: tuple[tuple[Term, Term], ...] = ()
        if isinstance(node, pyoxigraph.BlankNode) and depth < MAX_DEPTH:
            nested = tuple(
                (self.term(q.predicate), self.term(q.object, depth + 1))
                for q in sorted(self.store.quads_for_pattern(node, None, None), key=_quad_key)
            )
        return Term("bnode", str(node), "(blank node)", nested=nested)

    # --- descriptions (RDF) ---------------------------------------------------------------

    def description(self, iri: str) -> list[object]:
        """The triples that describe ``iri``: its outgoing triples, blank nodes and
        annotation targets/selectors followed, then the statement nodes about it and the
        annotations of it and of them (each with what they lead to)."""
        node = pyoxigraph.NamedNode(iri)
        triples: dict[str, object] = {}
        self._follow(node, triples, set())
        for statement in self._statement_nodes(node):
            self._follow(statement, triples, set())
            for annotation in self._annotations_of(statement):
                self._follow(annotation, triples, set())
        for annotation in self._annotations_of(node):
            self._follow(annotation, triples, set())
        return list(triples.values())

    def _follow(self, node: object, triples: dict[str, object], seen: set[str]) -> None:
        if str(node) in seen:
            return
        seen.add(str(node))
        for quad in self.store.quads_for_pattern(node, None, None, pyoxigraph.DefaultGraph()):
            triple = pyoxigraph.Triple(quad.subject, quad.predicate, quad.object)
            triples.setdefault(str(triple), triple)
            target = quad.object
            if isinstance(target, pyoxigraph.BlankNode) or (
                isinstance(target, pyoxigraph.NamedNode) and quad.predicate.value in FOLLOWED
            ):
                self._follow(target, triples, seen)

    def _statement_nodes(self, node: object) -> list[object]:
        subject = pyoxigraph.NamedNode(RDF + "subject")
        return sorted(
            {q.subject for q in self.store.quads_for_pattern(None, subject, node)}, key=str
        )

    def _annotations_of(self, node: object) -> list[object]:
        body = pyoxigraph.NamedNode(OA + "hasBody")
        return sorted({q.subject for q in self.store.quads_for_pattern(None, body, node)}, key=str)

    def description_ntriples(self, iri: str) -> bytes:
        """``description`` as sorted N-Triples (blank nodes canonically labelled)."""
        from kb.export import sorted_unique

        nt = pyoxigraph.serialize(self.description(iri), format=pyoxigraph.RdfFormat.N_TRIPLES)
        return sorted_unique(nt or b"")

    # --- pages ---------------------------------------------------------------------------

    def resource(self, iri: str) -> Resource:
        """What the page of ``iri`` shows."""
        node = pyoxigraph.NamedNode(iri)
        outgoing = sorted(self.store.quads_for_pattern(node, None, None), key=_quad_key)
        types = [
            Value(self.term(q.object), inferred=self.inferred(q))
            for q in outgoing
            if q.predicate.value == RDF_TYPE
        ]
        statements = self._statements(node)
        grouped: dict[str, Property] = {}
        for quad in outgoing:
            if quad.predicate.value == RDF_TYPE:
                continue
            predicate = quad.predicate.value
            group = grouped.setdefault(predicate, Property(self.term(quad.predicate), []))
            found = statements.get((predicate, str(quad.object)), [])
            group.values.append(Value(self.term(quad.object), found, self.inferred(quad)))
        by_link = self._incoming_statements(node)
        incoming = [
            Link(
                self.term(q.subject),
                self.term(q.predicate),
                by_link.get((str(q.subject), q.predicate.value), []),
            )
            for q in sorted(self.store.quads_for_pattern(None, None, node), key=_quad_key)
            if q.predicate.value not in EVIDENCE_LINKS
            and not isinstance(q.subject, pyoxigraph.BlankNode)
        ]
        resource = Resource(
            iri,
            self.label(iri),
            types,
            list(grouped.values()),
            incoming,
            self._quotes_of(node),
        )
        if self._text_of(node) is not None:
            resource.article = self.article(iri)
        return resource

    def _statements(self, node: object) -> dict[tuple[str, str], list[Statement]]:
        """The statement nodes whose rdf:subject is ``node``, by (predicate, object)."""
        found: dict[tuple[str, str], list[Statement]] = {}
        for statement in self._statement_nodes(node):
            predicate = self._one(statement, RDF + "predicate")
            value = self._one(statement, RDF + "object")
            if predicate is not None and value is not None:
                key = (getattr(predicate, "value", ""), str(value))
                found.setdefault(key, []).append(self._statement(statement))
        return found

    def _incoming_statements(self, node: object) -> dict[tuple[str, str], list[Statement]]:
        """The statement nodes whose rdf:object is ``node``, by (subject, predicate)."""
        found: dict[tuple[str, str], list[Statement]] = {}
        for statement in self._subjects(RDF + "object", node):
            subject = self._one(statement, RDF + "subject")
            predicate = self._one(statement, RDF + "predicate")
            if subject is not None and predicate is not None:
                key = (str(subject), getattr(predicate, "value", ""))
                found.setdefault(key, []).append(self._statement(statement))
        return found

    def _statement(self, statement: object) -> Statement:
        """What a page shows of one statement node."""
        iri = str(statement).strip("<>")
        view = Statement(iri, statement_anchor(str(statement)), self.href(iri))
        basis = self._one(statement, KB + "basis")
        if isinstance(basis, pyoxigraph.NamedNode):
            view.basis = self.label(basis.value)
        view.notes = [getattr(o, "value", "") for o in self._all(statement, SKOS + "editorialNote")]
        view.derived_from = [self.term(o) for o in self._all(statement, PROV + "wasDerivedFrom")]
        view.quotes = self._quotes_of(statement)
        return view

    def _one(self, node: object, predicate: str) -> object | None:
        values = self._all(node, predicate)
        return values[0] if values else None

    def _all(self, node: object, predicate: str) -> list[object]:
        quads = self.store.quads_for_pattern(node, pyoxigraph.NamedNode(predicate), None)
        return sorted((q.object for q in quads), key=str)

    def _quotes_of(self, body: object) -> list[Quote]:
        """The article's words that the annotations of ``body`` point at."""
        quotes = []
        for annotation in self._annotations_of(body):
            quotes.extend(self._quotes(annotation))
        return sorted(quotes, key=lambda q: (q.start if q.start is not None else -1, q.exact))

    def _quotes(self, annotation: object) -> Iterator[Quote]:
        from kb.explain import _sentence

        for target in self._all(annotation, OA + "hasTarget"):
            source = self._one(target, OA + "hasSource")
            exact, start, end = None, None, None
            for selector in self._all(target, OA + "hasSelector"):
                exact = exact or _value(self._one(selector, OA + "exact"))
                start = start if start is not None else _int(self._one(selector, OA + "start"))
                end = end if end is not None else _int(self._one(selector, OA + "end"))
            text = self._text_of(source) if source is not None else None
            source_iri = getattr(source, "value", None)
            if text is not None and start is not None and end is not None:
                found = _sentence("", str(annotation), text, str(start), str(end))
                if found is not None:
                    yield Quote(
                        str(annotation),
                        source_iri,
                        found.exact,
                        found.before,
                        found.after,
                        start,
                        end,
                    )
                    continue
            if exact:
                yield Quote(str(annotation), source_iri, exact, start=start, end=end)

    def _text_of(self, node: object) -> str | None:
        text = self._one(node, SCHEMA + "text")
        return _value(text)

    def article(self, iri: str) -> Article:
        """The article's text with every evidence span that targets it."""
        node = pyoxigraph.NamedNode(iri)
        text = self._text_of(node) or ""
        spans: dict[tuple[int, int], Span] = {}
        for target in sorted(
            {q.subject for q in self.store.quads_for_pattern(None, _nn(OA + "hasSource"), node)},
            key=str,
        ):
            for annotation in self._subjects(OA + "hasTarget", target):
                for quote in self._quotes(annotation):
                    if quote.start is None or quote.end is None or quote.end > len(text):
                        continue
                    span = spans.setdefault(
                        (quote.start, quote.end),
                        Span(0, quote.start, quote.end, text[quote.start : quote.end], []),
                    )
                    for body in self._all(annotation, OA + "hasBody"):
                        span.supports.append(self._supported(body))
        ordered = sorted(spans.values(), key=lambda s: (s.start, -s.end))
        for number, span in enumerate(ordered, 1):
            span.number = number
            span.supports = sorted(set(span.supports), key=lambda item: item[1])
        return Article(iri, _segments(text, ordered), ordered)

    def _subjects(self, predicate: str, node: object) -> list[object]:
        return sorted(
            {q.subject for q in self.store.quads_for_pattern(None, _nn(predicate), node)}, key=str
        )

    def _supported(self, body: object) -> tuple[Term, str]:
        """What an annotation body stands for: a statement (linked to its block on its
        subject's page) or a node."""
        subject = self._one(body, RDF + "subject")
        predicate = self._one(body, RDF + "predicate")
        value = self._one(body, RDF + "object")
        if subject is not None and predicate is not None and value is not None:
            link = self.term(subject)
            href = f"{link.href}#{statement_anchor(str(body))}" if link.href else None
            shown = self.term(value)
            words = f"{link.label} — {self.term(predicate).label} — {shown.label}"
            return Term("iri", str(body).strip("<>"), words, href), words
        term = self.term(body)
        return term, term.label


def _nn(iri: str) -> pyoxigraph.NamedNode:
    return pyoxigraph.NamedNode(iri)


def _quad_key(quad: object) -> tuple[str, str, str]:
    return (str(quad.subject), str(quad.predicate), str(quad.object))  # type: ignore[attr-defined]


def _value(term: object | None) -> str | None:
    return getattr(term, "value", None) if term is not None else None


def _int(term: object | None) -> int | None:
    try:
        return int(_value(term) or "")
    except ValueError:
        return None


def _segments(text: str, spans: list[Span]) -> list[tuple[str, tuple[int, ...]]]:
    """``text`` cut at every span boundary: (piece, numbers of the spans covering it)."""
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    pieces = []
    for left, right in itertools.pairwise(cuts):
        covering = tuple(s.number for s in spans if s.start <= left and right <= s.end)
        pieces.append((text[left:right], covering))
    return pieces
