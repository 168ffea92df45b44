"""Evidence: the stored article is the source file, and every selector points at its words."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest
from rdflib import RDF, Graph, Namespace, URIRef

from tests.helpers import REPO

SOURCE = REPO / "data" / "source" / "000_86b06078204c6c08.txt"
OA = Namespace("http://www.w3.org/ns/oa#")
SCHEMA = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
KB = Namespace("https://w3id.org/lifesci-news-kb/ontology#")


@pytest.fixture(scope="module")
def data() -> Graph:
    graph = Graph()
    for path in sorted((REPO / "data").glob("*.ttl")):
        graph.parse(path)
    return graph


@pytest.fixture(scope="module")
def article_text(data: Graph) -> str:
    (article,) = data.subjects(RDF.type, SCHEMA.NewsArticle)
    return str(data.value(article, SCHEMA.text))


def selectors(data: Graph, kind: URIRef) -> list[URIRef]:
    return sorted(data.subjects(RDF.type, kind))


def target_of(data: Graph, selector: URIRef) -> URIRef:
    return data.value(predicate=OA.hasSelector, object=selector)


def quote_of(data: Graph, position: URIRef) -> str:
    target = target_of(data, position)
    (quote,) = [
        s
        for s in data.objects(target, OA.hasSelector)
        if (s, RDF.type, OA.TextQuoteSelector) in data
    ]
    return str(data.value(quote, OA.exact))


def test_the_article_text_is_the_source_file(article_text: str) -> None:
    source = SOURCE.read_text(encoding="utf-8")
    assert article_text == source
    assert len(article_text) == 2705
    assert article_text.count("\u00a0") == 2


def test_the_generated_files_are_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_evidence", REPO / "scripts" / "build_evidence.py"
    )
    builder = importlib.util.module_from_spec(spec)
    sys.modules["build_evidence"] = builder  # dataclasses look their module up there
    spec.loader.exec_module(builder)
    text = SOURCE.read_text(encoding="utf-8")
    assert (REPO / "data" / "evidence.ttl").read_text(encoding="utf-8") == builder.evidence_ttl(
        text
    )
    assert (REPO / "data" / "article.ttl").read_text(encoding="utf-8") == builder.article_ttl(text)


def test_every_position_selector_slices_its_exact_words(data: Graph, article_text: str) -> None:
    positions = selectors(data, OA.TextPositionSelector)
    assert len(positions) >= 40
    for position in positions:
        start = int(data.value(position, OA.start))
        end = int(data.value(position, OA.end))
        assert article_text[start:end] == quote_of(data, position), position


def test_repeated_words_carry_prefix_or_suffix(data: Graph, article_text: str) -> None:
    for quote in selectors(data, OA.TextQuoteSelector):
        exact = str(data.value(quote, OA.exact))
        if article_text.count(exact) > 1:
            assert data.value(quote, OA.prefix) or data.value(quote, OA.suffix), exact


def test_each_exact_is_at_most_one_sentence(data: Graph) -> None:
    # A sentence ends with ". " followed by a capital, except after honorifics (H.E., Dr.).
    boundary = re.compile(r"(?<!H\.E)(?<!Dr)\.\s+[A-Z“]")
    for quote in selectors(data, OA.TextQuoteSelector):
        exact = str(data.value(quote, OA.exact))
        assert not boundary.search(exact), exact
        assert "\n" not in exact


@pytest.mark.parametrize(
    "kind",
    [
        ORG.Post,
        KB.Visit,
        KB.InstitutionalMeeting,
        KB.BusinessMeeting,
        SCHEMA.EventSeries,
        SCHEMA.Quotation,
        SCHEMA.Claim,
    ],
    ids=lambda k: str(k).rsplit("/", 1)[-1],
)
def test_every_fact_node_has_a_describing_annotation(data: Graph, kind: URIRef) -> None:
    nodes = list(data.subjects(RDF.type, kind))
    assert nodes
    for node in nodes:
        annotations = list(data.subjects(OA.hasBody, node))
        assert annotations, node
        for annotation in annotations:
            assert (annotation, OA.motivatedBy, OA.describing) in data


def test_interrupted_quotations_join_their_parts(data: Graph) -> None:
    for quotation in data.subjects(RDF.type, SCHEMA.Quotation):
        parts = sorted(
            (int(data.value(p, OA.start)), quote_of(data, p))
            for annotation in data.subjects(OA.hasBody, quotation)
            for p in data.objects(data.value(annotation, OA.hasTarget), OA.hasSelector)
            if (p, RDF.type, OA.TextPositionSelector) in data
        )
        text = str(data.value(quotation, SCHEMA.text))
        pieces = [words for _, words in parts]
        assert text in (" … ".join(pieces), " ".join(pieces)), quotation
