"""benchmarks/peers.py: a peer's slow catalogue query is stopped alone, the others timed."""

from __future__ import annotations

import time

from tests.helpers import benchmark_module

peers = benchmark_module("peers")


def _spins() -> int:
    while True:  # pure Python, like rdflib's evaluation
        pass


def test_a_query_over_its_limit_is_stopped_and_the_next_is_timed() -> None:
    started = time.perf_counter()
    stopped = peers._timed_rows(_spins, 0.2)
    assert stopped == {"seconds": None, "rows": None}
    assert time.perf_counter() - started < 5
    timed = peers._timed_rows(lambda: 7, 0.2)
    assert timed["rows"] == 7 and 0 <= timed["seconds"] < 0.2
    time.sleep(0.3)  # no alarm is left behind to stop the next query


def test_kb_is_timed_byte_compiled_as_an_install_leaves_it() -> None:
    """benchmarks/run.py compiles kb's modules first: an editable install run with
    PYTHONDONTWRITEBYTECODE=1 would compile them again in every timed process."""
    import importlib.util
    from pathlib import Path

    run = benchmark_module("run")
    folder = Path(run.byte_compile_kb())
    assert folder == Path(importlib.util.find_spec("kb").origin).parent
    for module in (folder / "sparql_text.py", folder / "shacl" / "engine.py"):
        assert Path(importlib.util.cache_from_source(str(module))).is_file()


def test_the_paired_ratio_is_the_median_of_each_pairs_ratio_with_its_verdict() -> None:
    """benchmarks/report.py: kb validate ÷ the bare load, each pair run in turn; the
    median of the pairs' own ratios (not a ratio of medians), judged against issue 16."""
    report = benchmark_module("report")
    pairs = [
        {"kb": 6.0, "load": 4.0, "kb_mb": 450, "load_mb": 400},  # 1.5x
        {"kb": 7.0, "load": 4.0, "kb_mb": 460, "load_mb": 400},  # 1.75x
        {"kb": 6.4, "load": 4.0, "kb_mb": 455, "load_mb": 400},  # 1.6x
        {"kb": None, "load": 4.0, "kb_mb": None, "load_mb": 400},  # did not finish: left out
    ]
    *_, row = report.paired_ratios({"1001496": pairs})
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:2] == ["1,001,496", "3"]
    assert cells[3] == "1.60x" and cells[4].startswith("missed: 1.60x against 1.5x")
    assert cells[5] == "1.14x" and cells[6] == "met (≤ 1.2x)"
    assert report._paired_section(None) == []


def test_pairs_alone_run_nothing_else_and_leave_the_docs_to_the_run_of_record(
    monkeypatch,
) -> None:
    """`run.py --only pairs --pairs N`: N pairs of kb validate and the bare load, no other
    operation, and docs/performance.md is not rewritten from them."""
    from types import SimpleNamespace

    run = benchmark_module("run")
    calls: list[tuple] = []
    for name in run.OPERATIONS:
        monkeypatch.setattr(run.SizeRun, name, lambda self, *a, n=name: calls.append((n,)))

    def fake_paired(kb: list[str], floor: list[str], cap: float, pairs: int) -> list:
        calls.append(("paired", kb[1], floor[-1], pairs))
        return [{"kb": 6.0, "load": 4.0, "kb_mb": 450, "load_mb": 400}] * pairs

    monkeypatch.setattr(run, "paired", fake_paired)
    workspace = SimpleNamespace(data="/data/file.ttl")
    one = run.SizeRun(workspace, {"triples": 1000}, 1, 10.0, pairs=7)
    one.all(None, {"pairs"})
    assert calls == [("paired", "validate", "/data/file.ttl", 7)]
    assert len(one.paired) == 7
    calls.clear()
    one.all(None, None)  # a full run: pairs only inside validate, from 500k triples up
    assert calls == [(name,) for name in run.OPERATIONS]
    assert not run.writes_report({"pairs"})
    assert run.writes_report(None) and run.writes_report({"pairs", "validate"})
