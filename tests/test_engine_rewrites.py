"""kb.shacl.rewrites: each faster equivalent is keyed on a constraint of the shapes file
as it stands, and gives the same results as the constraint as written, on data holding
every case the constraint's comments name."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kb.entail import add_closure
from kb.resources import default_layout
from kb.shacl.compiler import Compiler
from kb.shacl.engine import StoreSource, _subclasses, run_query, validate_compiled
from kb.shacl.graph import TripleIndex, sh
from kb.shacl.model import ShapesGraph
from kb.shacl.report import Report
from kb.shacl.rewrites import REWRITES, key
from kb.shacl.sparql import SparqlConstraint
from kb.store import load_files
from tests.test_shapes import BLANK, _ontology_schema, all_fixtures, apply_patch, fixture_paths

LAYOUT = default_layout()
KBSH = "https://w3id.org/lifesci-news-kb/shapes#"
FACT_SHAPE = ox.NamedNode(KBSH + "FactStatementShape")

# Fact nodes and statement nodes covering each case of kbsh:FactStatementShape: a triple
# with one statement, with two and three (IRIs), with an IRI and a blank node, with two
# blank nodes, with none; triples the closure infers (a superclass type, a superproperty
# value, an inverse with and without a statement of its own, an inverse pair with none);
# a concept of the scheme of bases; a bookkeeping predicate; two statement nodes of a
# triple whose subject is no fact node (not the shape's focus: not reported); a statement
# with the subject and predicate of an inverse triple but another object (no excuse).
DATA = """
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix kb: <https://w3id.org/lifesci-news-kb/ontology#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix id: <https://w3id.org/lifesci-news-kb/id/> .
@prefix concept: <https://w3id.org/lifesci-news-kb/id/concept/> .

id:person\\/a a schema:Person ; schema:name "A" ; rdfs:comment "bookkeeping" ;
    org:holds id:post\\/p .
id:person\\/b a schema:Person ; schema:name "B" , "Bee" ; org:holds id:post\\/q .
id:person\\/c a schema:Person ; schema:name "C" .
id:post\\/p a org:Post ; org:heldBy id:person\\/a .
id:post\\/q a org:Post ; org:heldBy id:person\\/b .
id:visit\\/v a kb:Visit , schema:Event ; kb:visitor id:person\\/a ;
    schema:attendee id:person\\/a .
concept:stated a skos:Concept ; skos:inScheme concept:bases .

id:statement\\/a1 a rdf:Statement ; rdf:subject id:person\\/a ; rdf:predicate rdf:type ;
    rdf:object schema:Person .
id:statement\\/a2 a rdf:Statement ; rdf:subject id:person\\/a ; rdf:predicate schema:name ;
    rdf:object "A" .
id:statement\\/a3 a rdf:Statement ; rdf:subject id:person\\/a ; rdf:predicate schema:name ;
    rdf:object "A" .
[] a rdf:Statement ; rdf:subject id:person\\/a ; rdf:predicate schema:name ; rdf:object "A" .
id:statement\\/b4 a rdf:Statement ; rdf:subject id:person\\/b ; rdf:predicate schema:name ;
    rdf:object "Bee" .
id:statement\\/b1 a rdf:Statement ; rdf:subject id:person\\/b ; rdf:predicate rdf:type ;
    rdf:object schema:Person .
id:statement\\/b2 a rdf:Statement ; rdf:subject id:person\\/b ; rdf:predicate rdf:type ;
    rdf:object schema:Person .
id:statement\\/b3 a rdf:Statement ; rdf:subject id:person\\/b ; rdf:predicate rdf:type ;
    rdf:object schema:Person .
id:statement\\/c1 a rdf:Statement ; rdf:subject id:person\\/c ; rdf:predicate schema:name ;
    rdf:object "C" .
[] a rdf:Statement ; rdf:subject id:person\\/c ; rdf:predicate schema:name ; rdf:object "C" .
[] a rdf:Statement ; rdf:subject id:person\\/c ; rdf:predicate rdf:type ;
    rdf:object schema:Person .
[] a rdf:Statement ; rdf:subject id:person\\/c ; rdf:predicate rdf:type ;
    rdf:object schema:Person .
id:statement\\/p1 a rdf:Statement ; rdf:subject id:post\\/p ; rdf:predicate org:heldBy ;
    rdf:object id:person\\/a .
id:statement\\/v1 a rdf:Statement ; rdf:subject id:visit\\/v ; rdf:predicate kb:visitor ;
    rdf:object id:person\\/a .
id:statement\\/v2 a rdf:Statement ; rdf:subject id:visit\\/v ; rdf:predicate rdf:type ;
    rdf:object kb:Visit .
id:statement\\/bx a rdf:Statement ; rdf:subject id:person\\/b ; rdf:predicate org:holds ;
    rdf:object id:post\\/p .
id:thing\\/t schema:name "T" .
id:statement\\/t1 a rdf:Statement ; rdf:subject id:thing\\/t ; rdf:predicate schema:name ;
    rdf:object "T" .
id:statement\\/t2 a rdf:Statement ; rdf:subject id:thing\\/t ; rdf:predicate schema:name ;
    rdf:object "T" .

# Bases, words and notes for kbsh:StatementWordsShape and kbsh:StatementNoteShape: stated
# with and without words, implied with words or a note only, external without a note,
# editorial with one, two bases, a basis outside the scheme.
id:statement\\/a1 kb:basis concept:stated .
id:statement\\/a2 kb:basis concept:stated .
id:statement\\/a3 kb:basis concept:implied ; skos:editorialNote "why" .
id:statement\\/b1 kb:basis concept:external .
id:statement\\/b2 kb:basis concept:editorial ; skos:editorialNote "why" .
id:statement\\/b3 kb:basis concept:implied .
id:statement\\/c1 kb:basis concept:stated , concept:external .
id:statement\\/p1 kb:basis concept:other .
id:annotation\\/x oa:hasBody id:statement\\/a1 , id:statement\\/b3 .
"""


class AsWritten(StoreSource):
    """The store, with the constraints run as the shapes file writes them."""

    rewrites = False


@pytest.fixture(scope="module")
def shapes() -> ShapesGraph:
    return ShapesGraph(TripleIndex.from_any(load_files([LAYOUT.shapes])))


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = load_files(LAYOUT.ontology_files)
    store.load(DATA.encode(), ox.RdfFormat.TURTLE)
    return store


def fact_results(
    source: StoreSource, shapes: ShapesGraph, shape: ox.NamedNode = FACT_SHAPE
) -> list[tuple[object, ...]]:
    """Every result of the queries of ``shape``, before the report keeps one per key (so
    that each statement node named in a message counts)."""
    compiler = Compiler(shapes, None, False, source.rewrites)
    found = [r for q in compiler.queries(shape) for r in run_query(source, q)]
    return sorted((r.key(), r.message, str(r.source)) for r in found)


def test_each_rewrite_is_keyed_on_a_constraint_of_the_shapes_file(shapes: ShapesGraph) -> None:
    keys = set()
    for shape_node, constraint in shapes.graph.pairs(sh("sparql")):
        written = SparqlConstraint(shapes.graph, shapes.shape(shape_node), constraint)
        keys.add(key(written.prefixes(), written.select))
    assert set(REWRITES) <= keys


def test_fact_statement_rewrites_give_the_results_of_the_written_constraints(
    store: ox.Store, shapes: ShapesGraph
) -> None:
    rewritten = fact_results(StoreSource(store), shapes)
    as_written = fact_results(AsWritten(store), shapes)
    assert rewritten == as_written
    reported = [(r[0][0], r[0][1], r[0][2], r[1].split(",")[0]) for r in as_written]
    report = validate_compiled(StoreSource(store), shapes.graph)
    assert len({r for r in report.results if r.shape == FACT_SHAPE}) == len(set(reported))
    person, name = "<https://w3id.org/lifesci-news-kb/id/person/", "<https://schema.org/name>"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    many = "This fact triple has more than one statement node"
    missing = "This fact triple has no statement node (an rdf:Statement with this rdf:subject"
    assert (person + "a>", name, '"A"', many) in reported
    assert reported.count((person + "b>", rdf_type, "<https://schema.org/Person>", many)) == 2
    assert (person + "b>", name, '"B"', missing) in reported
    held_by = "<http://www.w3.org/ns/org#heldBy>"
    assert ("<https://w3id.org/lifesci-news-kb/id/post/q>", held_by, person + "b>", missing) in (
        reported
    )
    assert not [r for r in reported if r[0] == person + "c>" or "visit" in r[0] or "thing" in r[0]]


@pytest.mark.parametrize(
    ("shape", "reported"),
    [
        ("StatementWordsShape", {("a2", "stated"), ("a3", "implied"), ("c1", "stated")}),
        ("StatementNoteShape", {("b1", "external"), ("b3", "implied"), ("c1", "external")}),
    ],
)
def test_statement_basis_rewrites_give_the_results_of_the_written_constraints(
    store: ox.Store, shapes: ShapesGraph, shape: str, reported: set[tuple[str, str]]
) -> None:
    node = ox.NamedNode(KBSH + shape)
    rewritten = fact_results(StoreSource(store), shapes, node)
    assert rewritten == fact_results(AsWritten(store), shapes, node)
    statement, concept = "https://w3id.org/lifesci-news-kb/id/statement/", "/id/concept/"
    found = {
        (r[0][0][1:-1].removeprefix(statement), r[0][2].split(concept)[1][:-1]) for r in rewritten
    }
    assert found == reported


def test_a_source_without_rewrites_runs_the_constraints_as_written(
    store: ox.Store, shapes: ShapesGraph
) -> None:
    texts = {
        rewrites: " ".join(
            q.text for q in Compiler(shapes, None, False, rewrites).queries(FACT_SHAPE)
        )
        for rewrites in (False, True)
    }
    assert "MINUS" in texts[True] and "MINUS" not in texts[False]


ANNOTATION_SHAPE = ox.NamedNode(KBSH + "AnnotationShape")


def test_a_probe_takes_the_class_of_its_own_target_branch_as_given(
    store: ox.Store, shapes: ShapesGraph
) -> None:
    """kbsh:AnnotationShape (sh:class oa:Annotation, targets: oa:Annotation and the
    subjects of oa:hasBody): the class is not looked up in the oa:Annotation branch of
    the probe, and a subject of oa:hasBody that is not an oa:Annotation still fails it."""
    probe = Compiler(shapes, _subclasses(StoreSource(store))).probe(ANNOTATION_SHAPE)
    oa_annotation = (
        "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/oa#Annotation>"
    )
    branch = f"{{ ?this {oa_annotation} }}"
    tests = probe.count(f"EXISTS {branch}") - probe.count(f"NOT EXISTS {branch}")
    assert tests == 1  # in the oa:hasBody branch only
    assert f"NOT EXISTS {branch}" in probe  # that branch skipping annotations: kept
    extra = ox.Store()
    extra.extend(store)
    body = "<https://w3id.org/lifesci-news-kb/id/statement/a1>"
    extra.update(
        f"INSERT DATA {{ <urn:x:not-an-annotation> <http://www.w3.org/ns/oa#hasBody> {body} }}"
    )
    before = {str(row["this"]) for row in store.query(probe)}
    failing = {str(row["this"]) for row in extra.query(probe)}
    assert failing - before == {"<urn:x:not-an-annotation>"}
    report = validate_compiled(StoreSource(extra), shapes.graph)
    classes = {
        str(r.focus)
        for r in report.results
        if r.shape == ANNOTATION_SHAPE and "Class" in str(r.component)
    }
    assert "<urn:x:not-an-annotation>" in classes


STATEMENT_FIXTURES = [
    path.stem
    for path in fixture_paths()
    if path.stem.startswith(("FactStatementShape", "Statement", "AnnotationShape"))
]


@pytest.mark.parametrize("name", STATEMENT_FIXTURES)
def test_statement_fixture_under_the_fast_engine(name: str) -> None:
    """Each fixture of the statement and annotation shapes (tests/shapes/fixtures): the
    fast engine finds exactly its expected results, with the rewrites as without them."""
    fixture = all_fixtures()[name]
    ontology, schema = _ontology_schema()
    store = load_files(LAYOUT.data_files)
    apply_patch(store, fixture.patch)
    add_closure(store, schema)
    store.bulk_extend(ontology)
    shapes = load_files([LAYOUT.shapes])
    rewritten = validate_compiled(StoreSource(store), shapes)
    as_written = validate_compiled(AsWritten(store), shapes)

    def every(report: Report) -> list[tuple[object, ...]]:
        return sorted((r.key(), r.message, str(r.source)) for r in report.results)

    assert every(rewritten) == every(as_written)
    found = {
        (
            BLANK if isinstance(r.focus, ox.BlankNode) else str(r.focus),
            r.path or "",
            str(r.shape),
            str(r.component),
            str(r.severity),
        )
        for r in rewritten.results
    }
    assert found == set(fixture.expected)
