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
