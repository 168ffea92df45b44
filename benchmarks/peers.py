"""Small programs the benchmark runs as fresh processes: the peers done directly, and the
in-process timing of kb's catalogue queries after loading.

``python benchmarks/peers.py COMMAND ARGS...``; each prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rdflib_parse(path: str) -> dict[str, object]:
    """rdflib: parse one file."""
    import rdflib

    graph = rdflib.Graph().parse(path)
    return {"triples": len(graph)}


def rdflib_serialize(path: str, fmt: str, out: str) -> dict[str, object]:
    """rdflib: parse one file and serialise it (``turtle`` or ``nt``)."""
    import rdflib

    graph = rdflib.Graph().parse(path)
    graph.serialize(out, format=fmt, encoding="utf-8")
    return {"triples": len(graph)}


def rdflib_queries(path: str, queries: str, limit: str = "0") -> dict[str, object]:
    """rdflib: parse once, then time each bound catalogue query (load excluded), each
    stopped after ``limit`` seconds (0: never), so one slow query leaves the others'
    figures; a stopped query reads ``{"seconds": null}``."""
    import rdflib

    started = time.perf_counter()
    graph = rdflib.Graph().parse(path)
    out: dict[str, object] = {"load": time.perf_counter() - started}
    for name, text in json.loads(Path(queries).read_text()).items():
        out[name] = _timed_rows(lambda text=text: len(list(graph.query(text))), float(limit))
    return out


class _Stopped(Exception):
    pass


def _stop(signum: int, frame: object) -> None:
    raise _Stopped


def _timed_rows(rows: Callable[[], int], limit: float) -> dict[str, object]:
    """Time ``rows()``, interrupted by SIGALRM after ``limit`` seconds (rdflib is pure
    Python, so the signal handler runs within a few bytecodes)."""
    previous = signal.signal(signal.SIGALRM, _stop)
    signal.setitimer(signal.ITIMER_REAL, limit)
    started = time.perf_counter()
    try:
        count = rows()
    except _Stopped:
        return {"seconds": None, "rows": None}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return {"seconds": time.perf_counter() - started, "rows": count}


def kb_queries(root: str, queries: str) -> dict[str, object]:
    """kb: build the published store once, then time each bound query (load excluded)."""
    sys.path.insert(0, str(ROOT))
    from kb.published import published_store
    from kb.query import PreparedQuery, execute
    from kb.resources import Layout

    started = time.perf_counter()
    store = published_store(Layout(Path(root)))
    out: dict[str, object] = {"load": time.perf_counter() - started}
    for name, text in json.loads(Path(queries).read_text()).items():
        started = time.perf_counter()
        result = execute(store, PreparedQuery(text, "SELECT", name), "table")
        out[name] = {"seconds": time.perf_counter() - started, "rows": len(result.rows or [])}
    return out


def kb_fast_validate(path: str) -> dict[str, object]:
    """kb's fast SHACL engine (kb.shacl, not yet behind ``kb validate``) on the published
    graph of one data file, the shapes of the checkout."""
    sys.path.insert(0, str(ROOT))
    from kb.published import published_store
    from kb.resources import Layout
    from kb.shacl import validate_store
    from kb.store import load_files

    layout = Layout(ROOT)
    report = validate_store(published_store(layout, [path]), load_files([layout.shapes]))
    return {"conforms": report.conforms, "results": len(report.results)}


def pyoxigraph_parse(path: str) -> dict[str, object]:
    """pyoxigraph alone: bulk-load one file into an in-memory store (the floor)."""
    import pyoxigraph

    store = pyoxigraph.Store()
    fmt = pyoxigraph.RdfFormat.N_TRIPLES if path.endswith(".nt") else pyoxigraph.RdfFormat.TURTLE
    store.bulk_load(path=path, format=fmt)
    return {"triples": len(store)}


COMMANDS = {
    "rdflib-parse": rdflib_parse,
    "rdflib-serialize": rdflib_serialize,
    "rdflib-queries": rdflib_queries,
    "kb-queries": kb_queries,
    "kb-fast-validate": kb_fast_validate,
    "pyoxigraph-parse": pyoxigraph_parse,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: peers.py {{{','.join(COMMANDS)}}} ARGS...", file=sys.stderr)
        return 2
    print(json.dumps(COMMANDS[argv[0]](*argv[1:])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
