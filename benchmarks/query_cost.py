"""Time SPARQL query texts on the published graph of a data file, one by one, in this
process: the engine's own queries (``--dump`` writes them) or edited variants of them.

    python benchmarks/query_cost.py DATA --dump DIR      # DIR/SHAPE.probe.rq, SHAPE.1.rq, ...
    python benchmarks/query_cost.py DATA A.rq B.rq ...   # CPU seconds and rows of each, per round

The graph is loaded and closed once (``kb.published.published_store``), then each query
runs ``--rounds`` times in turn, timed by the CPU of this thread (pyoxigraph evaluates on
it). In this process on purpose: a query timed in a forked child pays for the pages it
touches being copied (pyoxigraph's reference counts are written as a query reads), which
made a scan of 78k triples cost 0.25 s there against 0.08 s here. One line per query and
round on stdout: ``NAME  ROWS  CPU_SECONDS``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from kb.published import published_store  # noqa: E402
from kb.resources import default_layout  # noqa: E402
from kb.shacl import compiled_shapes  # noqa: E402
from kb.store import load_files  # noqa: E402


def dump(store: object, folder: Path) -> list[Path]:
    """Write each compiled shape's probe and queries as ``folder/SHAPE.probe.rq`` and
    ``folder/SHAPE.N.rq`` (N from 1, in the engine's order); the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    shapes = load_files([default_layout().shapes])
    written = []
    for shape in compiled_shapes(store, shapes):
        name = _local_name(str(shape.node))
        texts = [("probe", shape.probe)] if shape.probe else []
        texts += [(str(i), q.text) for i, q in enumerate(shape.queries, 1)]
        for suffix, text in texts:
            path = folder / f"{name}.{suffix}.rq"
            path.write_text(text.strip() + "\n", encoding="utf-8")
            written.append(path)
    return written


def _local_name(iri: str) -> str:
    """The part of a shape's IRI after its last ``#`` or ``/`` (blank nodes: the label)."""
    bare = iri.strip("<>").removeprefix("_:")
    return bare.rsplit("#", 1)[-1].rsplit("/", 1)[-1] or "shape"


def time_queries(store: object, paths: list[Path], rounds: int) -> list[tuple[str, int, float]]:
    """(file stem, rows, thread CPU seconds) of each query of ``paths``, ``rounds`` times
    in turn (round by round, so that a drift of the machine touches every query alike)."""
    texts = [(path.stem, path.read_text(encoding="utf-8")) for path in paths]
    timed = []
    for _ in range(rounds):
        for name, text in texts:
            started = time.thread_time()
            rows = sum(1 for _ in store.query(text))  # type: ignore[attr-defined]
            timed.append((name, rows, time.thread_time() - started))
    return timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="data file (validated as kb validate DATA)")
    parser.add_argument("queries", type=Path, nargs="*", help="SPARQL SELECT files to time")
    parser.add_argument("--dump", type=Path, help="write the engine's queries to this folder")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each query, in turn")
    args = parser.parse_args(argv)
    if not args.dump and not args.queries:
        parser.error("give query files to time, or --dump DIR")
    store = published_store(default_layout(), [args.data])
    if args.dump:
        print(f"{len(dump(store, args.dump))} queries written to {args.dump}", file=sys.stderr)
    for name, rows, cpu in time_queries(store, args.queries, args.rounds):
        print(f"{name:48} {rows:8d} {cpu:8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
