"""benchmarks/generate.py: size, formats, evidence offsets, conformance, and defects that
are each found exactly as listed (one recipe per constraint of ontology/shapes.ttl)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from kb.namespaces import ID
from kb.published import published_store, to_rdflib
from kb.resources import Layout
from kb.statements import BASES
from kb.store import load_files
from tests.helpers import REPO, benchmark_module

defects = benchmark_module("defects")
generate = benchmark_module("generate")

OA = "http://www.w3.org/ns/oa#"
SH = "http://www.w3.org/ns/shacl#"
SCHEMA_TEXT = ox.NamedNode("https://schema.org/text")
#: Articles in the defect files: enough for every recipe to find untouched nodes.
DEFECT_TRIPLES = 11_500
Key = tuple[str, str | None, str, str]


def make(tmp: Path, triples: int, count: int = 0, suffix: str = ".ttl", seed: int = 3) -> Path:
    """Generate a file with ``generate.main`` and return its path."""
    out = tmp / f"g{triples}-{count}-{seed}{suffix}"
    args = ["--triples", str(triples), "--seed", str(seed), "-o", str(out)]
    assert generate.main([*args, "--defects", str(count)]) == 0
    return out


def triples_of(path: Path) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(path=str(path))}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic article (about 1,950 triples with its statement nodes), no defects:
    pySHACL takes time that grows with the evidence annotations."""
    return make(tmp_path_factory.mktemp("small"), 650)


@pytest.fixture(scope="module")
def with_defects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One defect per constraint of ontology/shapes.ttl, in as few articles as fit."""
    count = len(defects.shape_constraints(REPO / "ontology" / "shapes.ttl"))
    return make(tmp_path_factory.mktemp("defects"), DEFECT_TRIPLES, count)


@pytest.mark.parametrize("triples", [2000, 10_000, 100_000])
def test_size_is_within_ten_percent(tmp_path: Path, triples: int) -> None:
    path = make(tmp_path, triples, suffix=".nt")
    count = len(triples_of(path))
    assert abs(count - triples) <= triples * 0.1
    meta = json.loads(Path(f"{path}.meta.json").read_text())
    assert meta["triples"] == count


def test_turtle_and_ntriples_hold_the_same_triples_every_time(tmp_path: Path) -> None:
    ttl, nt = make(tmp_path, 3000), make(tmp_path, 3000, suffix=".nt")
    assert triples_of(ttl) == triples_of(nt)
    (tmp_path / "again").mkdir()
    again = make(tmp_path / "again", 3000)
    assert again.read_bytes() == ttl.read_bytes()


def test_iris_are_synthetic_and_under_the_project_base(small: Path) -> None:
    bundled = {q.subject for f in Layout(REPO).data_files for q in ox.parse(path=str(f))}
    # The scheme of bases is the model's own vocabulary, the same in every file.
    bases = {ox.NamedNode(f"{ID}concept/{name}") for name in BASES}
    bases.add(ox.NamedNode(f"{ID}concept/bases"))
    subjects = {t.subject for t in triples_of(small)} - bases
    assert not subjects & bundled
    for subject in subjects:
        assert isinstance(subject, ox.NamedNode)
        assert subject.value.startswith(ID), subject
        assert "/syn" in subject.value, subject


def test_meta_binds_every_parameter_of_the_catalogue_to_a_node_of_the_data(
    small: Path,
) -> None:
    # benchmarks/run.py binds every catalogue query with these: a query parameter added
    # to queries/ without one here stopped the run with a KeyError.
    from kb.catalogue import catalogue

    parameters = json.loads(Path(f"{small}.meta.json").read_text())["parameters"]
    wanted = {name for entry in catalogue(Layout(REPO)) for name in entry.params}
    assert wanted <= parameters.keys()
    subjects = {t.subject for t in triples_of(small)}
    for name in wanted:
        assert ox.NamedNode(parameters[name]) in subjects, name


def test_every_position_slices_the_quoted_words_of_the_text(small: Path) -> None:
    store = ox.Store()
    store.bulk_load(path=str(small), format=ox.RdfFormat.TURTLE)
    query = f"""PREFIX oa: <{OA}> PREFIX schema: <https://schema.org/>
        SELECT ?text ?exact ?start ?end ?prefix ?suffix WHERE {{
          ?target oa:hasSource/schema:text ?text ; oa:hasSelector ?q , ?p .
          ?q oa:exact ?exact . ?p oa:start ?start ; oa:end ?end .
          OPTIONAL {{ ?q oa:prefix ?prefix }} OPTIONAL {{ ?q oa:suffix ?suffix }} }}"""
    rows = list(store.query(query))
    assert len(rows) > 30
    for row in rows:
        text, exact = row["text"].value, row["exact"].value
        assert text[int(row["start"].value) : int(row["end"].value)] == exact
        assert "\n" not in exact
        if text.count(exact) > 1:
            assert row["prefix"] or row["suffix"], exact


def test_every_constraint_of_the_shapes_has_a_defect_recipe() -> None:
    constraints = defects.shape_constraints(REPO / "ontology" / "shapes.ttl")
    keys = {(c.shape, c.component) for c in constraints}
    assert len(constraints) > 50
    assert sorted(keys - set(defects.RECIPES)) == [], "constraints without a defect recipe"
    assert sorted(set(defects.RECIPES) - keys) == [], "recipes for constraints that are gone"


def test_with_no_defects_the_data_conforms_under_pyshacl(small: Path) -> None:
    assert pyshacl_results(small) == Counter()


def test_each_defect_is_found_exactly_fast_engine(with_defects: Path) -> None:
    from kb.shacl import validate_store

    layout = Layout(REPO)
    report = validate_store(published_store(layout, [with_defects]), load_files([layout.shapes]))
    assert not report.unsupported
    found = Counter(
        _key(str(r.focus), r.path, str(r.shape), str(r.component)) for r in report.results
    )
    assert found == expected(with_defects)


def test_only_unavoidable_defects_bring_other_results(with_defects: Path) -> None:
    """A defect produces one result, unless defects.UNAVOIDABLE says why it cannot."""
    listing = json.loads(Path(f"{with_defects}.defects.json").read_text())
    several = {(d["shape"], d["component"]) for d in listing if d["also"]}
    unavoidable = {
        (f"<{defects.KBSH}{shape}>", f"<{SH}{component}ConstraintComponent>")
        for shape, component in defects.UNAVOIDABLE
    }
    assert several == unavoidable


@pytest.mark.slow
def test_each_defect_is_found_exactly_pyshacl(with_defects: Path) -> None:
    assert pyshacl_results(with_defects) == expected(with_defects)


def test_defects_cover_every_constraint_and_are_spread(tmp_path: Path) -> None:
    constraints = defects.shape_constraints(REPO / "ontology" / "shapes.ttl")
    path = make(tmp_path, 100_000, 2 * len(constraints), suffix=".nt")
    listing = json.loads(Path(f"{path}.defects.json").read_text())
    per_constraint = Counter((d["shape"], d["component"]) for d in listing)
    assert set(per_constraint.values()) == {2}
    assert len(per_constraint) == len(constraints)
    assert len({d["article"] for d in listing}) > 50


# ---------------------------------------------------------------------------------------


def _key(focus: str, path: str | None, shape: str, component: str) -> Key:
    return ("_:" if focus.startswith("_:") else focus, path or None, shape, component)


def expected(path: Path) -> Counter[Key]:
    """Every result FILE.defects.json says the file must produce."""
    out: Counter[Key] = Counter()
    for defect in json.loads(Path(f"{path}.defects.json").read_text()):
        for hit in [defect, *defect["also"]]:
            out[_key(hit["focus"], hit["path"], hit["shape"], hit["component"])] += 1
    return out


def pyshacl_results(path: Path) -> Counter[Key]:
    """pySHACL (inference off, advanced) on the published graph, as kb validate runs it."""
    import pyshacl
    from rdflib import RDF, URIRef

    from tests.shacl_helpers import nt_term, sparql_path

    layout = Layout(REPO)
    data = to_rdflib(published_store(layout, [path]))
    shapes = to_rdflib(load_files([layout.shapes]))
    _, graph, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, do_owl_imports=False
    )
    out: Counter[Key] = Counter()
    for node in graph.subjects(RDF.type, URIRef(SH + "ValidationResult")):

        def value(name: str, node=node):  # type: ignore[no-untyped-def]
            return graph.value(node, URIRef(SH + name))

        result_path = value("resultPath")
        out[
            _key(
                nt_term(value("focusNode")),
                sparql_path(graph, result_path) if result_path is not None else None,
                nt_term(value("sourceShape")),
                nt_term(value("sourceConstraintComponent")),
            )
        ] += 1
    return out
