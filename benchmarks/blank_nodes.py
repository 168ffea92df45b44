"""Time ``kb export`` on a blank-node-heavy file beside the normal generated one.

``python benchmarks/blank_nodes.py [--sizes 10000,100000] [--repeat 3] [--cap 120]``

For each size it writes two files of about that many triples: the normal synthetic KB
(``generate.py``, named nodes only) and a blank-node-heavy one (``blank_heavy``: lists of
equal items, nested ``[ ex:p [ ... ] ]``, pairs of alike blank nodes, collections of
collections, one long list of equal items and one deep nesting: the shapes that made
RDFC-1.0 labelling blow up). It times, as fresh processes (median of ``--repeat``), ``kb export FILE
--format nt|turtle -o OUT`` and pyoxigraph's own ``Store.load`` + ``Store.dump`` of the
same file in the same format (the floor: no sorting, no canonical labels). Raw results go
to ``benchmarks/results/blank-nodes-RUN.json``; a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import KB, PY, RESULTS, machine, median_of

HERE = Path(__file__).resolve().parent
FORMATS = {"nt": "N_TRIPLES", "turtle": "TURTLE"}


def blank_heavy(triples: int) -> str:
    """Turtle of about ``triples`` triples, most of them on blank nodes. The long list and
    the deep nesting use their own item and predicate: alone in their first-degree hash
    class, they are what RDFC-1.0 took exponential time on."""
    out = ["@prefix ex: <http://example.org/> ."]
    long_items = triples // 20  # a tenth of the triples
    out.append("ex:long ex:items ( " + "2 " * long_items + ") .")
    depth = triples // 50
    out.append("ex:deep ex:down " + "[ ex:down " * depth + "ex:z" + " ]" * depth + " .")
    records = max(1, (triples - 2 * long_items - depth) // 67)
    nested = "[ ex:p " * 10 + "ex:z" + " ]" * 10
    for i in range(records):
        out.append(
            f"ex:r{i} ex:items ( {'1 ' * 20}) ;\n"  # 41 triples
            f"  ex:nest {nested} ;\n"  # 11
            "  ex:pair [ ex:q [ ex:r 1 ] ], [ ex:q [ ex:r 1 ] ] ;\n"  # 6
            f"  ex:coll ( ( {i % 7} ) ( {i % 7} ) ) .\n"  # 9
        )
    return "\n".join(out) + "\n"


def count_triples(path: Path) -> int:
    import pyoxigraph

    fmt = pyoxigraph.RdfFormat.TURTLE if path.suffix == ".ttl" else pyoxigraph.RdfFormat.N_TRIPLES
    return sum(1 for _ in pyoxigraph.parse(path=str(path), format=fmt))


def load_and_dump(path: str, fmt: str, out: str) -> None:
    """pyoxigraph alone: load the file into an in-memory store and dump it in ``fmt``."""
    import pyoxigraph

    store = pyoxigraph.Store()
    store.load(path=path, format=pyoxigraph.RdfFormat.TURTLE)
    rdf_format = getattr(pyoxigraph.RdfFormat, FORMATS[fmt])
    store.dump(output=out, format=rdf_format, from_graph=pyoxigraph.DefaultGraph())


def measure_size(size: int, work: Path, repeat: int, cap: float) -> list[dict[str, object]]:
    normal = work / f"normal-{size}.ttl"
    subprocess.run(
        [PY, str(HERE / "generate.py"), "--triples", str(size), "-o", str(normal)], check=True
    )
    heavy = work / f"blank-{size}.ttl"
    heavy.write_text(blank_heavy(size))
    rows = []
    for kind, path in (("normal", normal), ("blank-node-heavy", heavy)):
        triples = count_triples(path)
        for fmt in FORMATS:
            out = str(work / f"out.{fmt}")
            kb = [KB, "export", str(path), "--format", fmt, "-o", out]
            floor = [PY, __file__, "load-dump", str(path), fmt, out]
            for tool, argv in (("kb export", kb), ("pyoxigraph load+dump", floor)):
                m = median_of(f"export {fmt}", tool, triples, argv, repeat, cap)
                rows.append({"file": kind, "size": size, **m.__dict__})
                print(f"{kind:17} {triples:>9,} {fmt:6} {tool:21} {m.seconds}", flush=True)
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| file | triples | format | kb export s | pyoxigraph load+dump s | ratio | kb MB |",
        "|---|---|---|---|---|---|---|",
    ]
    keyed = {(r["file"], r["size"], r["operation"], r["tool"]): r for r in rows}
    for (kind, size, op, tool), r in keyed.items():
        if tool != "kb export":
            continue
        floor = keyed[(kind, size, op, "pyoxigraph load+dump")]
        ratio = (
            f"{r['seconds'] / floor['seconds']:.2f}x" if r["seconds"] and floor["seconds"] else "-"
        )
        seconds = "did not finish" if r["seconds"] is None else f"{r['seconds']:.2f}"
        floor_s = "did not finish" if floor["seconds"] is None else f"{floor['seconds']:.2f}"
        lines.append(
            f"| {kind} | {r['triples']:,} | {op.split()[1]} | {seconds} | {floor_s} | {ratio}"
            f" | {r['rss_mb'] or 0:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "load-dump":
        load_and_dump(*argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="triples, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--cap", type=float, default=120.0, help="seconds before a run is killed")
    parser.add_argument("--work", type=Path, default=None, help="folder for generated files")
    args = parser.parse_args(argv)
    run_id = time.strftime("%Y-%m-%dT%H%M%S")
    with tempfile.TemporaryDirectory() as temp:
        work = args.work or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        rows = [
            row
            for size in (int(s) for s in args.sizes.split(","))
            for row in measure_size(size, work, args.repeat, args.cap)
        ]
    results = {"run": run_id, "machine": machine(), "repeat": args.repeat, "rows": rows}
    path = RESULTS / f"blank-nodes-{run_id}.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\n{table(rows)}\n\nraw: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
