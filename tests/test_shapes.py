"""The SHACL shapes (ontology/shapes.ttl) against the entailed graph, under pySHACL and Jena.

The entailed graph is data/*.ttl + ontology/kb.ttl + the closure of ``kb.entail``; both
engines validate it with inference off. Each fixture in tests/shapes/fixtures/*.trig is a
patch to the bundled data with exactly one defect:

- graph ``kbt:remove``: triples to delete before the closure (object ``kbt:any`` = any);
- graph ``kbt:add``: triples to add before the closure;
- graph ``kbt:expect``: the expected results, one node each, with sh:focusNode
  (``kbt:blank`` = a blank node), sh:resultPath, sh:sourceShape,
  sh:sourceConstraintComponent and sh:resultSeverity.

A fact triple the patch removes loses its statement node, and one it adds gets an
editorial statement node (``kb.statements``), so that a defect in the facts stays one
defect; a fixture of the statement rules themselves says
``kbt:options { kbt:patch kbt:statements kbt:asWritten }`` to be applied as written.

The results of pySHACL and of Jena must equal the expected results, as sets. Jena runs
once for all fixtures (tests/shapes/ShaclBatch.java, through scripts/jena); the
bundled data is also checked with the real ``jena shacl validate`` command.
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
import pytest
import rdflib
from rdflib import RDF, RDFS, BNode, Literal, Namespace, URIRef
from rdflib.collection import Collection

from kb.entail import Schema, add_closure
from kb.namespaces import KBSH
from kb.published import to_rdflib
from kb.resources import default_layout
from kb.shacl.fallback import cached_sparql_parsing
from kb.statements import BASES, STATEMENT_NS, is_fact_predicate, is_fact_subject, statement_local
from kb.store import load_files
from tests.helpers import JENA, REPO, once_per_run, require_jena

SHAPES = REPO / "ontology" / "shapes.ttl"
FIXTURES = REPO / "tests" / "shapes" / "fixtures"
BATCH = REPO / "tests" / "shapes" / "ShaclBatch.java"

SH = Namespace("http://www.w3.org/ns/shacl#")
KBT = Namespace("https://w3id.org/lifesci-news-kb/tests#")
KB_NS = Namespace("https://w3id.org/lifesci-news-kb/ontology#")
SKOS_NS = Namespace("http://www.w3.org/2004/02/skos/core#")
KBSH_NS = Namespace(KBSH)
BLANK = "_:blank"

#: Constraint parameters -> the component a result of theirs names.
PARAMETERS = {
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent,
    SH["class"]: SH.ClassConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent,
    SH.qualifiedMinCount: SH.QualifiedMinCountConstraintComponent,
    SH.qualifiedMaxCount: SH.QualifiedMaxCountConstraintComponent,
    SH.sparql: SH.SPARQLConstraintComponent,
}
#: sh: predicates on shapes that are not constraint parameters.
NON_PARAMETERS = {
    SH.path,
    SH.message,
    SH.severity,
    SH.property,
    SH.targetClass,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.qualifiedValueShape,
    SH.declare,
}

ResultKey = tuple[str, str, str, str, str]


# ---------------------------------------------------------------------------------------
# Building the entailed graph, patched or not
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patch:
    """Triples to remove (None = any object) and to add, before the closure."""

    remove: tuple[tuple[rdflib.term.Node, URIRef, rdflib.term.Node | None], ...] = ()
    add: rdflib.Graph | None = None
    #: keep every fact triple's statement node in step with the patch
    statements: bool = True


def to_oxigraph(term: rdflib.term.Node) -> object:
    """Convert an rdflib IRI or literal to its pyoxigraph equivalent."""
    if isinstance(term, URIRef):
        return pyoxigraph.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return pyoxigraph.Literal(str(term), language=term.language)
        if term.datatype:
            return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(term.datatype))
        return pyoxigraph.Literal(str(term))
    raise TypeError(f"a patch can only remove triples of IRIs and literals: {term!r}")


def apply_patch(store: pyoxigraph.Store, patch: Patch) -> None:
    """Remove, then add; every removal pattern must match at least one triple."""
    for s, p, o in patch.remove:
        pattern = (to_oxigraph(s), to_oxigraph(p), None if o is None else to_oxigraph(o))
        quads = list(store.quads_for_pattern(*pattern, pyoxigraph.DefaultGraph()))
        assert quads, f"nothing to remove for {s} {p} {o}"
        for quad in quads:
            store.remove(quad)
            if patch.statements:
                for statement_quad in statement_quads(store, quad.triple):
                    store.remove(statement_quad)
    if patch.add is not None and len(patch.add):
        add = rdflib.Graph()
        for triple in patch.add:
            add.add(triple)
            if patch.statements:
                for extra in editorial_statement(store, triple):
                    add.add(extra)
        nt = add.serialize(format="nt", encoding="utf-8")
        store.load(nt, format=pyoxigraph.RdfFormat.N_TRIPLES)


def _rdf(name: str) -> pyoxigraph.NamedNode:
    return pyoxigraph.NamedNode(str(RDF) + name)


def statement_quads(store: pyoxigraph.Store, triple: pyoxigraph.Triple) -> list[pyoxigraph.Quad]:
    """Every quad of the statement nodes that describe ``triple``."""
    default = pyoxigraph.DefaultGraph()
    found = []
    for quad in store.quads_for_pattern(None, _rdf("subject"), triple.subject, default):
        node = quad.subject
        if any(store.quads_for_pattern(node, _rdf("predicate"), triple.predicate, default)) and any(
            store.quads_for_pattern(node, _rdf("object"), triple.object, default)
        ):
            found += store.quads_for_pattern(node, None, None, default)
    return found


def editorial_statement(
    store: pyoxigraph.Store, triple: tuple[rdflib.term.Node, ...]
) -> list[tuple[rdflib.term.Node, ...]]:
    """An editorial statement node for an added fact triple that has none."""
    s, p, o = triple
    if not (isinstance(s, URIRef) and is_fact_subject(str(s)) and is_fact_predicate(str(p))):
        return []
    if isinstance(o, URIRef | Literal) and statement_quads(
        store, pyoxigraph.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))
    ):
        return []
    local = statement_local(str(s), str(p), str(o), isinstance(o, Literal))
    node = URIRef(STATEMENT_NS + "fixture-" + local)
    return [
        (node, RDF.type, RDF.Statement),
        (node, RDF.subject, s),
        (node, RDF.predicate, p),
        (node, RDF.object, o),
        (node, KB_NS.basis, URIRef(BASES["editorial"])),
        (node, SKOS_NS.editorialNote, Literal("Added by a test fixture.", lang="en")),
    ]


@functools.cache
def _ontology_schema() -> tuple[pyoxigraph.Store, Schema]:
    ontology = load_files([default_layout(REPO).ontology])
    return ontology, Schema.from_store(ontology)


def entailed_graph(patch: Patch | None = None) -> rdflib.Graph:
    """Data (patched) + ontology + the closure of kb.entail, as an rdflib.Graph."""
    ontology, schema = _ontology_schema()
    store = load_files(default_layout(REPO).data_files)
    if patch is not None:
        apply_patch(store, patch)
    add_closure(store, schema)
    store.bulk_extend(ontology)
    return to_rdflib(store)


# ---------------------------------------------------------------------------------------
# Reading validation reports
# ---------------------------------------------------------------------------------------


def path_key(graph: rdflib.Graph, path: rdflib.term.Node | None) -> str:
    """A comparable text for a SHACL path: an IRI, ^inverse or (alternative|paths)."""
    if path is None:
        return ""
    if isinstance(path, URIRef):
        return path.n3()
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + path_key(graph, inverse)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        members = Collection(graph, alternatives)
        return "(" + "|".join(path_key(graph, m) for m in members) + ")"
    raise ValueError(f"unsupported path {path!r}")


def results_of(report: rdflib.Graph) -> set[ResultKey]:
    """(focus, path, shape, component, severity) of every result in a report graph."""
    keys = set()
    for result in report.subjects(SH.sourceConstraintComponent, None):
        focus = report.value(result, SH.focusNode)
        keys.add(
            (
                BLANK if isinstance(focus, BNode) or focus == KBT.blank else focus.n3(),
                path_key(report, report.value(result, SH.resultPath)),
                report.value(result, SH.sourceShape).n3(),
                report.value(result, SH.sourceConstraintComponent).n3(),
                report.value(result, SH.resultSeverity).n3(),
            )
        )
    return keys


# ---------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    """One invalid fixture: its patch and the results it must produce."""

    name: str
    patch: Patch
    expected: frozenset[ResultKey]


def load_fixture(path: Path) -> Fixture:
    """Read a fixture TriG file (graphs kbt:remove, kbt:add, kbt:expect)."""
    dataset = rdflib.Dataset()
    dataset.parse(path, format="trig")
    remove = tuple((s, p, None if o == KBT.any else o) for s, p, o in dataset.graph(KBT.remove))
    add = rdflib.Graph()
    for triple in dataset.graph(KBT.add):
        add.add(triple)
    expected = frozenset(results_of(dataset.graph(KBT.expect)))
    as_written = (KBT.patch, KBT.statements, KBT.asWritten) in dataset.graph(KBT.options)
    return Fixture(path.stem, Patch(remove, add, statements=not as_written), expected)


def fixture_paths() -> list[Path]:
    """Every fixture file, sorted by name."""
    return sorted(FIXTURES.glob("*.trig"))


@functools.cache
def all_fixtures() -> dict[str, Fixture]:
    """Every fixture, by name."""
    return {path.stem: load_fixture(path) for path in fixture_paths()}


# ---------------------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------------------


@functools.cache
def shapes_graph() -> rdflib.Graph:
    """The shapes, parsed once."""
    return rdflib.Graph().parse(SHAPES, format="turtle")


#: Parsed SPARQL texts, kept across fixtures in this process (pySHACL re-parses per focus node).
PARSED: dict[object, object] = {}


def pyshacl_results(data: rdflib.Graph) -> set[ResultKey]:
    """Validate with pySHACL, inference off, SHACL-AF on."""
    import pyshacl

    _, report, _ = pyshacl.validate(
        data, shacl_graph=shapes_graph(), inference="none", advanced=True
    )
    return results_of(report)


def read_report(path: Path) -> rdflib.Graph:
    """Parse a Jena report (Turtle or N-Triples)."""
    fmt = "nt" if path.suffix == ".nt" else "turtle"
    return rdflib.Graph().parse(path, format=fmt)


# ---------------------------------------------------------------------------------------
# The bundled data conforms, with no result at all
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_nt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The entailed bundled data as an N-Triples file."""
    path = tmp_path_factory.mktemp("bundled") / "entailed.nt"
    entailed_graph().serialize(path, format="nt", encoding="utf-8")
    return path


def test_bundled_data_conforms_under_pyshacl() -> None:
    """No violation and no warning under pySHACL (with kb validate's parse cache, as the
    fixtures; tests/test_properties.py checks that the cache changes no result)."""
    with cached_sparql_parsing(PARSED):
        assert pyshacl_results(entailed_graph()) == set()


def test_bundled_data_conforms_under_jena(bundled_nt: Path) -> None:
    """No violation and no warning under the `jena shacl validate` command."""
    jena = require_jena()
    run = subprocess.run(
        [str(jena), "shacl", "validate", "--shapes", str(SHAPES), "--data", str(bundled_nt)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = rdflib.Graph().parse(data=run.stdout, format="turtle")
    assert (None, SH.conforms, Literal(True)) in report, run.stdout
    assert results_of(report) == set()


# ---------------------------------------------------------------------------------------
# Every invalid fixture gives exactly its expected results, under both engines
# ---------------------------------------------------------------------------------------


def pyshacl_fixture_results(name: str) -> set[ResultKey]:
    """pySHACL's results for one fixture (parse cache on; the results do not change)."""
    with cached_sparql_parsing(PARSED):
        return pyshacl_results(entailed_graph(all_fixtures()[name].patch))


def jena_batch(work: Path) -> dict[str, set[ResultKey]]:
    """Jena's results for every fixture: their entailed graphs written to ``work``, then one
    JVM (tests/shapes/ShaclBatch.java) validating them all."""
    lines = []
    for name, fixture in all_fixtures().items():
        data, report = work / f"{name}.nt", work / f"{name}.report.nt"
        entailed_graph(fixture.patch).serialize(data, format="nt", encoding="utf-8")
        lines.append(f"{data}\t{report}")
    listing = work / "list.tsv"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [str(JENA), str(BATCH), str(SHAPES), str(listing)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr
    return {name: results_of(read_report(work / f"{name}.report.nt")) for name in all_fixtures()}


@pytest.fixture(scope="session")
def jena_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[ResultKey]]:
    """Jena's results for every fixture, computed once per run (shared by xdist workers)."""
    require_jena()
    return once_per_run(tmp_path_factory, "jena-shapes-batch", jena_batch)


@pytest.mark.parametrize("name", [path.stem for path in fixture_paths()])
def test_fixture_under_pyshacl(name: str) -> None:
    """pySHACL reports exactly the fixture's expected results (each fixture is its own
    test, so xdist spreads the pySHACL runs over its workers, each run once)."""
    assert pyshacl_fixture_results(name) == all_fixtures()[name].expected


@pytest.mark.parametrize("name", [path.stem for path in fixture_paths()])
def test_fixture_under_jena(name: str, jena_reports: dict[str, set[ResultKey]]) -> None:
    """Jena reports exactly the fixture's expected results."""
    assert jena_reports[name] == all_fixtures()[name].expected


# ---------------------------------------------------------------------------------------
# The shapes themselves
# ---------------------------------------------------------------------------------------


def shapes() -> set[rdflib.term.Node]:
    """Every node shape and property shape."""
    graph = shapes_graph()
    return set(graph.subjects(RDF.type, SH.NodeShape)) | set(
        graph.subjects(RDF.type, SH.PropertyShape)
    )


def helper_shapes() -> set[rdflib.term.Node]:
    """Shapes used only as qualified value shapes (they report nothing themselves)."""
    return set(shapes_graph().objects(None, SH.qualifiedValueShape))


def constraints() -> set[tuple[str, str]]:
    """(shape, component) for every constraint of every reporting shape."""
    graph = shapes_graph()
    found = set()
    for shape in shapes() - helper_shapes():
        for parameter, component in PARAMETERS.items():
            if (shape, parameter, None) in graph:
                found.add((shape.n3(), component.n3()))
    return found


def test_shapes_are_iris_in_the_shapes_namespace() -> None:
    """No blank-node shapes: every shape, and every SPARQL constraint, is a kbsh: IRI."""
    graph = shapes_graph()
    nodes = shapes() | set(graph.objects(None, SH.sparql))
    bad = [n for n in nodes if not (isinstance(n, URIRef) and n.startswith(KBSH))]
    assert not bad
    for shape in graph.subjects(SH.property, None):
        for prop in graph.objects(shape, SH.property):
            assert prop.startswith(str(shape) + "-"), f"{prop} is not named after {shape}"


def test_every_shape_has_severity_and_english_message() -> None:
    """sh:severity and an English sh:message on every shape and SPARQL constraint."""
    graph = shapes_graph()
    for shape in shapes():
        assert graph.value(shape, SH.severity) in (SH.Violation, SH.Warning), shape
    for node in shapes() | set(graph.objects(None, SH.sparql)):
        messages = list(graph.objects(node, SH.message))
        assert messages and all(m.language == "en" for m in messages), node


def test_only_known_parameters_are_used() -> None:
    """A new kind of constraint needs a line in PARAMETERS (and so fixtures)."""
    graph = shapes_graph()
    for shape in shapes():
        for predicate in graph.predicates(shape, None):
            if predicate.startswith(str(SH)):
                assert predicate in PARAMETERS or predicate in NON_PARAMETERS, predicate


def test_every_constraint_has_a_fixture() -> None:
    """Every (shape, constraint component) is exercised by at least one fixture."""
    covered = {(key[2], key[3]) for f in all_fixtures().values() for key in f.expected}
    missing = sorted(constraints() - covered)
    assert not missing, "constraints without a fixture:\n" + "\n".join(map(str, missing))


def test_every_fixture_expects_something() -> None:
    """A fixture with no expected result would prove nothing."""
    for fixture in all_fixtures().values():
        assert fixture.expected, fixture.name


def test_every_class_in_use_is_a_target() -> None:
    """Every class of a data node is a target class of a shape, or a subclass of one."""
    graph = entailed_graph()
    targets = set(shapes_graph().objects(None, SH.targetClass))
    data = load_files(default_layout(REPO).data_files)
    used = {
        URIRef(q.object.value)
        for q in data.quads_for_pattern(None, pyoxigraph.NamedNode(str(RDF.type)), None)
    }
    for cls in used:
        supers = set(graph.transitive_objects(cls, RDFS.subClassOf))
        assert supers & targets, f"no shape targets {cls}"
