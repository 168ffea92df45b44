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


def _rdf_format(path: str) -> object:
    import pyoxigraph

    return pyoxigraph.RdfFormat.N_TRIPLES if path.endswith(".nt") else pyoxigraph.RdfFormat.TURTLE


def pyoxigraph_parse(path: str) -> dict[str, object]:
    """pyoxigraph alone: bare ``Store.load`` of one file into an in-memory store (the
    floor every ratio of issue 16 is measured against)."""
    import pyoxigraph

    store = pyoxigraph.Store()
    store.load(path=path, format=_rdf_format(path))
    return {"triples": len(store)}


def pyoxigraph_load_dump(path: str, fmt: str, out: str) -> dict[str, object]:
    """pyoxigraph alone: ``Store.load`` of one file, then ``Store.dump`` of its default
    graph as ``nt`` or ``turtle`` (the floor of ``kb export``)."""
    import pyoxigraph

    store = pyoxigraph.Store()
    store.load(path=path, format=_rdf_format(path))
    to = pyoxigraph.RdfFormat.N_TRIPLES if fmt == "nt" else pyoxigraph.RdfFormat.TURTLE
    store.dump(output=out, format=to, from_graph=pyoxigraph.DefaultGraph())
    return {"triples": len(store)}


def _results_in(graph: object) -> int:
    """sh:ValidationResult nodes of an rdflib report graph."""
    from rdflib import RDF, Namespace

    sh = Namespace("http://www.w3.org/ns/shacl#")
    return len(set(graph.subjects(RDF.type, sh.ValidationResult)))  # type: ignore[attr-defined]


def pyshacl_validate(data: str, shapes: str) -> dict[str, object]:
    """pySHACL: its own inference off, SHACL-SPARQL on."""
    import pyshacl

    conforms, graph, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)
    return {"conforms": conforms, "results": _results_in(graph)}


def pyshacl_turbo_validate(data: str, shapes: str) -> dict[str, object]:
    """pyshacl-turbo (Rust, pySHACL's API): inference off, SHACL-SPARQL on."""
    import pyshacl_turbo

    conforms, graph, _ = pyshacl_turbo.validate(
        data, shacl_graph=shapes, inference="none", advanced=True
    )
    return {"conforms": conforms, "results": _results_in(graph)}


def pyshifty_validate(data: str, shapes: str) -> dict[str, object]:
    """pyshifty (Rust): the data graph as given, its own inference off."""
    import shifty

    conforms, graph, _ = shifty.validate(data, shapes, graph_mode="data", infer=False)
    return {"conforms": conforms, "results": _results_in(graph)}


COMMANDS = {
    "rdflib-parse": rdflib_parse,
    "rdflib-serialize": rdflib_serialize,
    "rdflib-queries": rdflib_queries,
    "kb-queries": kb_queries,
    "kb-fast-validate": kb_fast_validate,
    "pyoxigraph-parse": pyoxigraph_parse,
    "pyoxigraph-load-dump": pyoxigraph_load_dump,
    "pyshacl-validate": pyshacl_validate,
    "pyshacl-turbo-validate": pyshacl_turbo_validate,
    "pyshifty-validate": pyshifty_validate,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: peers.py {{{','.join(COMMANDS)}}} ARGS...", file=sys.stderr)
        return 2
    print(json.dumps(COMMANDS[argv[0]](*argv[1:])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
