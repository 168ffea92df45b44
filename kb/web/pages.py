"""HTML pages from Jinja2 templates (autoescaped): home, resource, article, ontology,
shapes, catalogue question, query form and results, errors. Every link is relative to
the page it is on, so the same pages work from the server and as static files under any
prefix.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from kb.catalogue import (
    CatalogueQuery,
    catalogue,
    compare,
    expected_path,
    is_ordered,
    read_expected,
)
from kb.errors import KBError, TimeLimitError
from kb.resources import Layout
from kb.terms import prefixed, short
from kb.web.model import OWL, RDF_TYPE, RDFS, SH, SKOS, Term, WebGraph
from kb.web.negotiation import RESOURCE_FORMATS
from kb.web.sparql import Answer, Endpoint, parse_term

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def relative_root(path: str) -> str:
    """The relative way from the page at ``path`` back to the site root (``../../``)."""
    depth = path.count("/") - 1
    return "../" * depth if depth > 0 else "./"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["short"] = lambda iri: prefixed(iri) or iri
    env.globals["short_nt"] = short
    return env


@dataclass(frozen=True)
class CatalogueRun:
    """A catalogue question run with its default parameters, beside its expected answers."""

    entry: CatalogueQuery
    answer: Answer | None
    error: str | None
    expected: tuple[tuple[str, ...], list[tuple[str, ...]]] | None
    diff: list[str]

    @property
    def passed(self) -> bool:
        return self.error is None and self.expected is not None and not self.diff


class Pages:
    """Renders every page of one knowledge base."""

    def __init__(self, graph: WebGraph, endpoint: Endpoint, layout: Layout) -> None:
        self.graph = graph
        self.endpoint = endpoint
        self.layout = layout
        self.env = _environment()
        self._lock = threading.Lock()

    def render(self, template: str, path: str, title: str, **context: object) -> str:
        """Render ``template`` as the page at ``path``."""
        root = relative_root(path)

        def link(href: str | None) -> str | None:
            if href is None:
                return None
            return root + href[1:] if href.startswith("/") else href

        return self.env.get_template(template).render(
            title=title, path=path, root=root, link=link, cell=self.cell, **context
        )

    def cell(self, nt: str | None) -> Term | None:
        """A SPARQL result term (N-Triples form) as a page term."""
        if nt is None:
            return None
        term = parse_term(nt)
        if term["type"] == "uri":
            iri = term["value"]
            return Term("iri", iri, self.graph.label(iri), self.graph.href(iri))
        if term["type"] == "bnode":
            return Term("bnode", "_:" + term["value"], "_:" + term["value"])
        datatype = term.get("datatype")
        return Term(
            "literal",
            term["value"],
            term["value"],
            language=term.get("xml:lang"),
            datatype=(prefixed(datatype) or datatype) if datatype else None,
        )

    # --- pages -------------------------------------------------------------------------

    def resource(self, iri: str) -> str:
        path = self.graph.path_of(iri) or "/"
        view = self.graph.resource(iri)
        return self.render(
            "resource.html",
            path,
            view.label,
            resource=view,
            formats=_format_links(path),
        )

    def home(self) -> str:
        from kb.stats import stats

        counts = stats(self.graph.store)
        articles = self._instances("https://schema.org/NewsArticle")
        report, unfinished = self.report()
        return self.render(
            "home.html",
            "/",
            "Life-sciences news knowledge base",
            classes=[(self._iri_term(k.strip("<>")), n) for k, n in counts.classes],
            triples=counts.triples,
            articles=articles,
            questions=catalogue(self.layout),
            report=report,
            unfinished=unfinished,
        )

    def ontology(self) -> str:
        onto = self.graph.ontology
        classes = self._ontology_terms(onto, [OWL + "Class", RDFS + "Class"])
        properties = self._ontology_terms(
            onto,
            [OWL + "ObjectProperty", OWL + "DatatypeProperty", RDF_TYPE[:-4] + "Property"],
        )
        concepts = self._ontology_terms(onto, [SKOS + "Concept", SKOS + "ConceptScheme"])
        return self.render(
            "ontology.html",
            "/ontology",
            "Ontology",
            classes=classes,
            properties=properties,
            concepts=concepts,
            formats=_format_links("/ontology"),
        )

    def shapes(self) -> str:
        return self.render(
            "shapes.html",
            "/shapes",
            "Shapes: what is checked",
            shapes=self._shapes(),
            formats=_format_links("/shapes"),
        )

    def question(self, name: str, strict: bool = False) -> str:
        """The page of catalogue question ``name``; ``strict``: a query past its time or
        memory limit raises (TimeLimitError) instead of showing on the page."""
        run = self.run_question(name, strict)
        return self.render(
            "question.html", f"/queries/{name}", run.entry.title or run.entry.name, run=run
        )

    def sparql(self, query: str, answer: Answer | None, error: str | None) -> str:
        return self.render(
            "sparql.html",
            "/sparql",
            "SPARQL query",
            query=query,
            answer=answer,
            error=error,
            examples=catalogue(self.layout),
            editor=(STATIC / "yasgui.min.js").is_file(),
        )

    def error(self, path: str, status: int, message: str) -> str:
        return self.render(
            "error.html",
            path if path.startswith("/") else "/",
            f"{status}",
            status=status,
            message=message,
        )

    # --- data behind the pages -----------------------------------------------------------

    def report(self) -> tuple[object | None, str | None]:
        """The validation report of the served graph (computed once; None without shapes),
        and why there is none when it did not finish (time or memory, as kb validate)."""
        with self._lock:
            return self._report()

    @functools.cache  # noqa: B019 (one Pages per process, read-only graph)
    def _report(self) -> tuple[object | None, str | None]:
        from kb import VALIDATE_TIMEOUT
        from kb.validate import validate_store
        from kb.worker import run_bounded

        if self.graph.shapes is None:
            return None, None
        # in a worker under kb validate's limits: shapes that never end (a cross join, a
        # catastrophic pattern) must not hang the server's home page or kb site
        try:
            job = (self.graph.store, self.graph.shapes)
            return run_bounded(validate_store, job, VALIDATE_TIMEOUT, "validation"), None
        except TimeLimitError as exc:
            return None, str(exc)

    def run_question(self, name: str, strict: bool = False) -> CatalogueRun:
        from kb.catalogue import find
        from kb.check import prepared_entry

        entry = find(self.layout, name)
        prepared = prepared_entry(entry)
        try:
            answer = self.endpoint.answer(prepared.text, entry.name)
        except KBError as exc:
            if strict and isinstance(exc, TimeLimitError):
                raise
            return CatalogueRun(entry, None, str(exc), None, [])
        expected_file = expected_path(self.layout, entry.name)
        expected = read_expected(expected_file) if expected_file.is_file() else None
        diff: list[str] = []
        if expected is not None and answer.form == "SELECT":
            actual = (
                tuple(answer.variables),
                [tuple(_csv_value(t) for t in row) for row in answer.rows],
            )
            diff = compare(expected, actual, is_ordered(entry))
        return CatalogueRun(entry, answer, None, expected, diff)

    def _iri_term(self, iri: str) -> Term:
        return Term("iri", iri, self.graph.label(iri), self.graph.href(iri))

    def _instances(self, cls: str) -> list[Term]:
        quads = self.graph.store.quads_for_pattern(
            None, pyoxigraph.NamedNode(RDF_TYPE), pyoxigraph.NamedNode(cls)
        )
        return [self.graph.term(q.subject) for q in sorted(quads, key=lambda q: str(q.subject))]

    def _ontology_terms(self, onto: pyoxigraph.Store, kinds: Sequence[str]) -> list[dict]:
        type_ = pyoxigraph.NamedNode(RDF_TYPE)
        found: dict[str, dict] = {}
        for kind in kinds:
            for quad in onto.quads_for_pattern(None, type_, pyoxigraph.NamedNode(kind)):
                if not isinstance(quad.subject, pyoxigraph.NamedNode):
                    continue
                iri = quad.subject.value
                if iri not in found:
                    found[iri] = self._ontology_entry(onto, quad.subject)
        return [found[k] for k in sorted(found, key=lambda i: found[i]["anchor"].lower())]

    def _ontology_entry(self, onto: pyoxigraph.Store, node: pyoxigraph.NamedNode) -> dict:
        iri = node.value
        statements = sorted(onto.quads_for_pattern(node, None, None), key=lambda q: str(q))
        described = [
            (self.graph.term(q.predicate), self.graph.term(q.object))
            for q in statements
            if q.predicate.value != RDF_TYPE
        ]
        anchor = iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]
        return {
            "iri": iri,
            "anchor": anchor,
            "label": self.graph.label(iri),
            "described": described,
            "uses": self._uses(node),
        }

    def _uses(self, node: pyoxigraph.NamedNode) -> int:
        store = self.graph.store
        as_class = sum(
            1 for _ in store.quads_for_pattern(None, pyoxigraph.NamedNode(RDF_TYPE), node)
        )
        as_property = sum(1 for _ in store.quads_for_pattern(None, node, None))
        return as_class + as_property

    def _shapes(self) -> list[dict]:
        shapes = self.graph.shapes
        if shapes is None:
            return []
        type_ = pyoxigraph.NamedNode(RDF_TYPE)
        node_shapes = sorted(
            {q.subject for q in shapes.quads_for_pattern(None, type_, _nn(SH + "NodeShape"))},
            key=str,
        )
        return [self._shape(shapes, shape) for shape in node_shapes]

    def _path(self, node: object) -> Term:
        """A shape's path: a link for a property, SPARQL path text for anything else."""
        if isinstance(node, pyoxigraph.NamedNode):
            return self.graph.term(node)
        from kb.shacl.paths import PathError, sparql_path

        try:
            text = short(sparql_path(self._shapes_index(), node))
        except PathError:
            text = "(a malformed path)"
        return Term("literal", text, text)

    @functools.cache  # noqa: B019 (one Pages per process, read-only shapes)
    def _shapes_index(self) -> object:
        from kb.shacl.graph import TripleIndex

        shapes = self.graph.shapes or pyoxigraph.Store()
        return TripleIndex((q.subject, q.predicate, q.object) for q in shapes)

    def _shape(self, shapes: pyoxigraph.Store, shape: object) -> dict:
        def values(node: object, predicate: str) -> list[object]:
            return sorted(
                (q.object for q in shapes.quads_for_pattern(node, _nn(SH + predicate), None)),
                key=str,
            )

        def words(node: object) -> list[str]:
            return [
                getattr(v, "value", str(v))
                for key in ("description", "message", "name")
                for v in values(node, key)
            ]

        targets = [
            self.graph.term(v) for key in ("targetClass", "targetNode") for v in values(shape, key)
        ]
        properties = []
        for prop in values(shape, "property"):
            path = values(prop, "path")
            properties.append(
                {
                    "path": self._path(path[0]) if path else None,
                    "words": words(prop),
                    "rules": _rules(self.graph, shapes, prop),
                }
            )
        anchor = str(shape).strip("<>").rsplit("#", 1)[-1]
        return {
            "anchor": anchor,
            "label": prefixed(str(shape).strip("<>")) or str(shape),
            "targets": targets,
            "words": words(shape),
            "rules": _rules(self.graph, shapes, shape),
            "properties": properties,
        }


_RULES = {
    "minCount": "at least {}",
    "maxCount": "at most {}",
    "datatype": "datatype {}",
    "class": "an instance of {}",
    "nodeKind": "node kind {}",
    "pattern": "matches /{}/",
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "hasValue": "has the value {}",
    "in": "one of a list",
    "languageIn": "languages from a list",
    "uniqueLang": "one value per language",
    "node": "conforms to {}",
    "sparql": "a SPARQL check",
    "closed": "no other properties",
    "minInclusive": "at least {}",
    "maxInclusive": "at most {}",
}


def _rules(graph: WebGraph, shapes: pyoxigraph.Store, node: object) -> list[str]:
    """The constraints of a shape, in words."""
    found = []
    for quad in sorted(shapes.quads_for_pattern(node, None, None), key=str):
        name = quad.predicate.value.removeprefix(SH)
        if name not in _RULES:
            continue
        value = quad.object
        shown = (
            getattr(value, "value", "")
            if isinstance(value, pyoxigraph.Literal)
            else (graph.label(value.value) if isinstance(value, pyoxigraph.NamedNode) else "")
        )
        found.append(_RULES[name].format(shown))
    return found


def _nn(iri: str) -> pyoxigraph.NamedNode:
    return pyoxigraph.NamedNode(iri)


def _csv_value(term: str | None) -> str:
    if not term:
        return ""
    parsed = parse_term(term)
    return ("_:" + parsed["value"]) if parsed["type"] == "bnode" else parsed["value"]


def _format_links(path: str) -> list[tuple[str, str, str]]:
    """(label, href, media type) of each representation of the page at ``path``."""
    return [(r.label, path + r.extension, r.media_type) for r in RESOURCE_FORMATS[1:]]
