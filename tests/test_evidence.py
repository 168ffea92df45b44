"""Evidence: the stored article is the source file, and every selector points at its words."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.term import Node

from kb.namespaces import PREFIXES
from kb.statements import BOOKKEEPING_PREDICATES
from tests.helpers import REPO

SOURCE = REPO / "data" / "source" / "000_86b06078204c6c08.txt"
OA = Namespace("http://www.w3.org/ns/oa#")
SCHEMA = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
KB = Namespace("https://w3id.org/lifesci-news-kb/ontology#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
CONCEPT = Namespace("https://w3id.org/lifesci-news-kb/id/concept/")
AFFIRMS = "affirms the Ambassador of Italy in H.E. Carlo Baldocci"
ARTICLE = URIRef("https://w3id.org/lifesci-news-kb/id/article/86b06078204c6c08")


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


def facts_of_the_file() -> set[tuple[Node, Node, Node]]:
    """The fact triples of data/kb.ttl, read from the file itself."""
    graph = Graph().parse(REPO / "data" / "kb.ttl")
    return {(s, p, o) for s, p, o in graph if str(p) not in BOOKKEEPING_PREDICATES}


def statements_of(data: Graph) -> dict[tuple[Node, Node, Node], list[Node]]:
    """Statement nodes by the triple they describe."""
    found: dict[tuple[Node, Node, Node], list[Node]] = {}
    for st in data.subjects(RDF.type, RDF.Statement):
        triple = (
            data.value(st, RDF.subject),
            data.value(st, RDF.predicate),
            data.value(st, RDF.object),
        )
        found.setdefault(triple, []).append(st)
    return found


def test_the_bookkeeping_predicates_are_the_three_of_the_model() -> None:
    assert {str(p) for p in BOOKKEEPING_PREDICATES} == {
        str(PROV.wasDerivedFrom),
        str(SKOS.editorialNote),
        str(RDFS.comment),
    }
    # kb.ttl uses prov:wasDerivedFrom only to point at the article (else it is a fact).
    graph = Graph().parse(REPO / "data" / "kb.ttl")
    assert set(graph.objects(None, PROV.wasDerivedFrom)) == {ARTICLE}


def test_the_shapes_exclude_the_same_bookkeeping_predicates() -> None:
    """ontology/shapes.ttl cannot import the list: its copy must be the same."""
    shapes = (REPO / "ontology" / "shapes.ttl").read_text(encoding="utf-8")
    (listed,) = re.findall(r"\?path NOT IN \(([^)]*)\)", shapes)
    names = [name.strip() for name in listed.split(",")]
    assert {PREFIXES[n.split(":")[0]] + n.split(":")[1] for n in names} == BOOKKEEPING_PREDICATES


def test_every_fact_triple_has_exactly_one_statement_node(data: Graph) -> None:
    facts = facts_of_the_file()
    assert len(facts) > 200
    described = statements_of(data)
    missing = [f for f in facts if f not in described]
    assert not missing, missing[:5]
    several = [f for f in facts if len(described[f]) > 1]
    assert not several, several[:5]


def test_no_statement_node_describes_a_triple_the_facts_do_not_assert(data: Graph) -> None:
    assert not set(statements_of(data)) - facts_of_the_file()


def test_every_statement_has_one_basis_and_its_evidence(data: Graph) -> None:
    bases = {CONCEPT[name] for name in ("stated", "implied", "external", "editorial")}
    for st in data.subjects(RDF.type, RDF.Statement):
        (basis,) = data.objects(st, KB.basis)
        assert basis in bases, st
        annotations = list(data.subjects(OA.hasBody, st))
        notes = list(data.objects(st, SKOS.editorialNote))
        if basis in (CONCEPT.stated, CONCEPT.implied):
            assert annotations, st
        if basis != CONCEPT.stated:
            assert notes, st
        if basis in (CONCEPT.external, CONCEPT.editorial):
            assert not annotations, st


def test_no_annotation_describes_a_node_directly(data: Graph) -> None:
    for body in data.objects(None, OA.hasBody):
        assert (body, RDF.type, RDF.Statement) in data, body


def words_of(data: Graph, statement: Node) -> set[str]:
    """The exact words of every annotation of ``statement``."""
    return {
        str(data.value(selector, OA.exact))
        for annotation in data.subjects(OA.hasBody, statement)
        for selector in data.objects(data.value(annotation, OA.hasTarget), OA.hasSelector)
        if (selector, RDF.type, OA.TextQuoteSelector) in data
    }


@pytest.mark.parametrize(
    ("quotation", "words"),
    [
        ("boggetti-first-of-a-series", "Massimiliano Boggetti said"),
        ("boggetti-catalyst-subject", "concludes Boggetti"),
        ("baldocci-italy-kuwait-relations", AFFIRMS),
    ],
)
def test_the_attribution_words_are_the_evidence_of_each_speaker(
    data: Graph, quotation: str, words: str
) -> None:
    node = URIRef("https://w3id.org/lifesci-news-kb/id/quotation/" + quotation)
    (st,) = statements_of(data)[(node, SCHEMA.creator, data.value(node, SCHEMA.creator))]
    assert words_of(data, st) == {words}


def test_interrupted_quotations_join_their_parts(data: Graph) -> None:
    described = statements_of(data)
    for quotation in data.subjects(RDF.type, SCHEMA.Quotation):
        text = data.value(quotation, SCHEMA.text)
        (st,) = described[(quotation, SCHEMA.text, text)]
        parts = sorted(
            (int(data.value(p, OA.start)), quote_of(data, p))
            for annotation in data.subjects(OA.hasBody, st)
            for p in data.objects(data.value(annotation, OA.hasTarget), OA.hasSelector)
            if (p, RDF.type, OA.TextPositionSelector) in data
        )
        pieces = [words for _, words in parts]
        assert str(text) in (" … ".join(pieces), " ".join(pieces)), quotation


def test_every_fact_node_is_a_focus_node_of_the_statement_rule() -> None:
    """kbsh:FactStatementShape targets the kinds of fact node (for speed), not every
    subject: each subject of data/kb.ttl must be an instance of one of them."""
    from kb.published import published_graph

    shapes = Graph().parse(REPO / "ontology" / "shapes.ttl")
    rule = URIRef("https://w3id.org/lifesci-news-kb/shapes#FactStatementShape")
    targets = set(shapes.objects(rule, URIRef("http://www.w3.org/ns/shacl#targetClass")))
    published = published_graph()
    for subject in set(Graph().parse(REPO / "data" / "kb.ttl").subjects()):
        assert set(published.objects(subject, RDF.type)) & targets, subject


def test_the_published_graph_keeps_the_statements_and_adds_none() -> None:
    """The closure copies no fact into a statement node and makes no statement node:
    on a statement it adds only dcterms:type (kb:basis is its subproperty)."""
    from kb.entail import entailed_triples
    from kb.resources import default_layout
    from kb.store import load_files

    layout = default_layout()
    data = load_files(layout.data_files)
    added = entailed_triples(data, load_files(layout.ontology_files))
    statement_ns = "https://w3id.org/lifesci-news-kb/id/statement/"
    on_statements = {t.predicate.value for t in added if t.subject.value.startswith(statement_ns)}
    assert on_statements == {"http://purl.org/dc/terms/type"}
    assert not [t for t in added if t.object.value == str(RDF.Statement)]
    reified = {str(RDF.subject), str(RDF.predicate), str(RDF.object)}
    assert not [t for t in added if t.predicate.value in reified]


def test_kb_stats_counts_the_bases_and_the_coverage() -> None:
    from click.testing import CliRunner

    from kb.cli import cli

    result = CliRunner().invoke(cli, ["stats"])
    assert result.exit_code == 0, result.output
    facts = len(facts_of_the_file())
    assert f"fact triples with a statement node: {facts} of {facts} (100.0%)" in result.output
    for basis in ("stated", "implied", "external", "editorial"):
        assert re.search(rf"^{basis} +\d+$", result.output, re.M), basis
