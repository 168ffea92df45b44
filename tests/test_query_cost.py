"""kb.shacl.compiled_shapes gives the engine's own queries (they report what the engine
reports), and benchmarks/query_cost.py writes them out and times query files by name."""

from __future__ import annotations

from kb.published import published_store
from kb.resources import default_layout
from kb.shacl import compiled_shapes, validate_store
from kb.shacl.engine import StoreSource, run_query
from kb.shacl.graph import TripleIndex
from kb.shacl.model import ShapesGraph
from kb.store import load_files
from tests.helpers import REPO, benchmark_module, results_key

DEFECTIVE = REPO / "tests" / "fixtures" / "bad-person.ttl"


def test_the_compiled_queries_report_what_the_engine_reports() -> None:
    layout = default_layout()
    store = published_store(layout, [*layout.data_files, DEFECTIVE])
    shapes = load_files([layout.shapes])
    compiled = compiled_shapes(store, shapes)
    targeted = ShapesGraph(TripleIndex.from_any(shapes)).targeted_shapes()
    assert [c.node for c in compiled] == targeted  # every project shape, in order
    source = StoreSource(store)
    found = [r for c in compiled for q in c.queries for r in run_query(source, q)]
    expected = validate_store(store, shapes).results
    assert expected and results_key(found) == results_key(expected)
    for shape in (c for c in compiled if c.probe):  # a probe finds every failing node
        failing = {row["this"] for row in store.query(shape.probe)}
        assert {r.focus for q in shape.queries for r in run_query(source, q)} <= failing


def test_query_cost_writes_the_engine_queries_and_times_each_file(tmp_path, capsys) -> None:
    query_cost = benchmark_module("query_cost")
    folder = tmp_path / "queries"
    assert query_cost.main([str(DEFECTIVE), "--dump", str(folder)]) == 0
    store = published_store(default_layout(), [DEFECTIVE])
    compiled = compiled_shapes(store, load_files([default_layout().shapes]))
    written = sorted(folder.glob("*.rq"))
    assert len(written) == sum(len(c.queries) + bool(c.probe) for c in compiled)
    person = next(c for c in compiled if str(c.node).endswith("#PersonShape>"))
    assert (folder / "PersonShape.probe.rq").read_text().strip() == person.probe.strip()
    assert (folder / "PersonShape.1.rq").read_text().strip() == person.queries[0].text.strip()

    capsys.readouterr()
    chosen = [folder / "PersonShape.probe.rq", folder / "PersonShape.1.rq"]
    assert query_cost.main([str(DEFECTIVE), *map(str, chosen), "--rounds", "2"]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert [line[0] for line in lines] == ["PersonShape.probe", "PersonShape.1"] * 2
    rows = [len(list(store.query(path.read_text()))) for path in chosen]
    assert [int(line[1]) for line in lines] == rows * 2
    assert rows[0] > 0  # the defective person fails its probe
    assert all(float(line[2]) >= 0 for line in lines)
