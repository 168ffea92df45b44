"""Write docs/performance.md and docs/performance.png from a benchmark run's raw results.

The analysis (what stands in the way of each missed target) is hand-written in
``benchmarks/findings.md`` and appended verbatim.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

#: (operation prefix, triples or 0 for "any size") -> (seconds, MB or None), from issue 5.
TARGETS: dict[tuple[str, int], tuple[float, float | None]] = {
    ("validate", 1_000_000): (5.0, 1024.0),
    ("validate", 100_000): (1.0, None),
    ("load", 1_000_000): (3.0, None),
    ("after load ", 1_000_000): (0.3, None),
    ("export turtle", 1_000_000): (3.0, None),
    ("export nt", 1_000_000): (2.0, None),
    ("push", 1_000_000): (10.0, None),
    ("bundled --help", 0): (0.1, None),
    ("bundled validate", 0): (0.5, None),
    ("bundled query ", 0): (0.5, None),
}

Row = dict[str, Any]


def target_for(row: Row) -> tuple[float, float | None] | None:
    """The issue's target for a kb measurement, if any (sizes within 10% count)."""
    if not row["tool"].startswith("kb"):
        return None
    for (prefix, size), target in TARGETS.items():
        if not row["operation"].startswith(prefix):
            continue
        if size == 0 or abs(row["triples"] - size) <= size * 0.1:
            return target
    return None


def verdict(row: Row) -> str:
    """'pass', or 'miss: N x' (how far over), for a measurement with a target."""
    target = target_for(row)
    if target is None:
        return ""
    seconds, mb = target
    if row["seconds"] is None:
        return f"miss (did not finish; target {seconds:g} s)"
    misses = []
    if row["seconds"] > seconds:
        misses.append(f"{row['seconds'] / seconds:.1f}x the {seconds:g} s")
    if mb is not None and row["rss_mb"] and row["rss_mb"] > mb:
        misses.append(f"{row['rss_mb'] / mb:.1f}x the {mb:g} MB")
    return "miss: " + ", ".join(misses) if misses else f"pass (≤ {seconds:g} s)"


def shown(row: Row) -> str:
    if row["seconds"] is None:
        if row.get("note") == "no server":
            return "not run (no oxigraph server)"
        return f"did not finish (> {row['cap']:g} s)"
    seconds = row["seconds"]
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    return f"{seconds:.3f}" if seconds < 1 else f"{seconds:.2f}"


#: One colour per tool in every panel.
COLOURS = {
    "kb": "tab:blue",
    "kb.shacl": "tab:cyan",
    "kb pyshacl": "tab:pink",
    "pyoxigraph": "tab:green",
    "rdflib": "tab:red",
    "pyshacl": "tab:purple",
    "jena": "tab:orange",
    "curl": "tab:gray",
}
TOOLS = (
    "kb",
    "kb pyshacl",
    "kb.shacl",
    "pyoxigraph",
    "rdflib",
    "pyshacl",
    "jena",
    "curl",
    "python",
)


def _slowness(row: Row) -> float:
    """Seconds, with a run that did not finish slowest of all."""
    return float("inf") if row["seconds"] is None else row["seconds"]


def summary(rows: list[Row]) -> list[str]:
    """One line per (operation, size): every tool's time side by side, and kb's target.
    Catalogue queries are summarised by their slowest query."""
    cells: dict[tuple[str, int], dict[str, Row]] = defaultdict(dict)
    for row in rows:
        op = row["operation"]
        for prefix, name in (
            ("query ", "query (slowest of 16)"),
            ("after load ", "after load (slowest of 16)"),
            ("bundled query ", "bundled query (slowest of 16)"),
        ):
            if op.startswith(prefix):
                op = name
        key = (op, row["triples"])
        old = cells[key].get(row["tool"])
        if old is None or _slowness(old) < _slowness(row):
            cells[key][row["tool"]] = row
    tools = [t for t in TOOLS if any(t in c for c in cells.values())]
    out = [
        "| operation | triples | " + " | ".join(tools) + " | target (kb) |",
        "|---|---:|" + "---:|" * len(tools) + "---|",
    ]
    order = {op: i for i, op in enumerate(dict.fromkeys(r["operation"] for r in rows))}
    for (op, n), by_tool in sorted(
        cells.items(), key=lambda kv: (kv[0][1], order.get(kv[0][0], 99), kv[0][0])
    ):
        values = [shown(by_tool[t]) if t in by_tool else "" for t in tools]
        target = "; ".join(
            f"{t}: {verdict(by_tool[t])}"
            for t in ("kb", "kb.shacl", "kb pyshacl")
            if t in by_tool and verdict(by_tool[t])
        )
        out.append(f"| {op} | {n:,} | " + " | ".join(values) + f" | {target} |")
    return out


def table(rows: list[Row]) -> list[str]:
    """Markdown table lines: operation, triples, tool, time, memory, rows, target."""
    out = [
        "| operation | triples | tool | wall s (median) | peak MB | rows | target |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for row in rows:
        mem = f"{row['rss_mb']:.0f}" if row["rss_mb"] else ""
        rows_ = "" if row.get("rows") is None else str(row["rows"])
        out.append(
            f"| {row['operation']} | {row['triples']:,} | {row['tool']} | {shown(row)} | "
            f"{mem} | {rows_} | {verdict(row)} |"
        )
    return out


def memory_growth(rows: list[Row]) -> list[str]:
    """Peak memory per triple for kb's load/validate/export across sizes."""
    out = []
    for op, tool in (
        ("load", "kb"),
        ("validate", "kb.shacl"),
        ("export turtle", "kb"),
        ("export nt", "kb"),
        ("push", "kb"),
    ):
        points = sorted(
            (r["triples"], r["rss_mb"])
            for r in rows
            if r["operation"] == op and r["tool"] == tool and r["rss_mb"]
        )
        if len(points) < 2:
            continue
        (n0, m0), (n1, m1) = points[0], points[-1]
        slope = (m1 - m0) / (n1 - n0) * 1_000_000
        listing = ", ".join(f"{m:.0f} MB at {n:,}" for n, m in points)
        out.append(
            f"- `{op}` ({tool}): {listing} — about {slope:.0f} MB more per million triples "
            f"(a baseline of about {m0 - slope * n0 / 1e6:.0f} MB)."
        )
    return out


def plot(rows: list[Row], path: Path) -> None:
    """Log-log wall time against triples, one panel per operation, one line per tool."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    unfinished: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for row in rows:
        op = row["operation"]
        if not row["triples"] or op.startswith(("query ", "after load ", "queries ")):
            continue
        if row["seconds"]:
            series[op][row["tool"]].append((row["triples"], row["seconds"]))
        elif row.get("note") != "no server":
            series.setdefault(op, defaultdict(list))  # a panel even when nothing finished
            unfinished[op][row["tool"]].append((row["triples"], row["cap"]))
    for row in rows:  # catalogue queries: the slowest query per tool and size
        for prefix, name in (
            ("query ", "query (slowest, whole process)"),
            ("after load ", "query (slowest, after load)"),
        ):
            if row["operation"].startswith(prefix) and row["seconds"]:
                series[name][row["tool"]].append((row["triples"], row["seconds"]))
    ops = sorted(series)
    cols = 3
    fig, axes = plt.subplots(
        math.ceil(len(ops) / cols), cols, figsize=(13, 3.6 * math.ceil(len(ops) / cols))
    )
    for ax, op in zip(axes.flat, ops, strict=False):
        for tool, points in sorted(series[op].items()):
            best: dict[int, float] = {}
            for n, s in points:
                best[n] = max(best.get(n, 0.0), s)
            xs = sorted(best)
            style = "o-" if tool.startswith("kb") else "s--"
            ax.plot(xs, [best[x] for x in xs], style, label=tool, color=COLOURS.get(tool))
        for tool, points in sorted(unfinished[op].items()):
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, "^", color=COLOURS.get(tool), markersize=9, label=f"{tool} (cap)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(op, fontsize=10)
        ax.set_xlabel("triples")
        ax.set_ylabel("wall s (▲ = killed at the cap)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(ops) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def host_speed_lines(probes: list[dict[str, Any]]) -> list[str]:
    """How long the fixed probes took through the run (lower is faster)."""
    if not probes:
        return []

    def one(probe: dict[str, Any]) -> str:
        if not probe["seconds"]:
            return f"{probe['when']} -"
        alloc = f", allocation {probe['alloc']:.2f} s" if probe.get("alloc") else ""
        return f"{probe['when']} ({probe['at']}) compute {probe['seconds']:.2f} s{alloc}"

    return [
        "- host speed through the run, fixed probes in a fresh process (`SPEED_PROBE` in "
        "`benchmarks/run.py`; lower is faster): " + "; ".join(one(p) for p in probes)
    ]


def write_report(results: dict[str, Any], doc: Path, png: Path) -> None:
    """docs/performance.md (+ the plot) from raw results."""
    rows: list[Row] = results["measurements"]
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    sizes = ", ".join(
        f"{int(s):,} (generated {meta['triples']:,})" for s, meta in results["sizes"].items()
    )
    lines = [
        "# Performance",
        "",
        "Generated by `benchmarks/run.py` from "
        f"`benchmarks/results/{results['started']}.json`; edit the "
        "generator, not this file. Targets are those of issue 5; a missed target stays a "
        "target.",
        "",
        "## Machine",
        "",
        f"- {m['nproc']} cores, {m['memory_gb']} GB memory, {m['cpu']}",
        f"- {m['os']}",
        f"- load average when the run ended: {m.get('load_average')} (other work shared "
        "the machine: numbers are upper bounds)",
        f"- {versions}",
        f"- interpreter: {m.get('interpreter', 'not recorded')}",
        *host_speed_lines(results.get("host_speed", [])),
        f"- run {results['started']}: median of {results['repeat']} fresh processes per "
        f"cell, cap {results['cap']:g} s per run, seed {results['seed']}",
        f"- sizes asked (generated): {sizes}",
        "",
        "## Method",
        "",
        "Every cell is a fresh process reading the same file as its peers: no cache, no "
        "prebuilt store. Wall time is the median; peak memory is the largest max-RSS of the "
        "process tree (`os.wait4`). `kb` reads the generated data file and builds the "
        "published graph itself (ontology + closure); the peers read "
        "`kb export FILE --inference rdfs --with-ontology` (the same graph) with their own "
        "inference off. `query NAME` is `kb --root R query NAME --bind ...` as a whole "
        "process (parsing, closure and query); `after load NAME` is the query alone, timed "
        "inside one process that loaded the graph once (kb: the published pyoxigraph store; "
        "rdflib: a `Graph` parsed from the entailed N-Triples, each query stopped after "
        "1/20 of the cap). Parameters come from the "
        "generated data (`FILE.meta.json`); row counts are reported.",
        "",
        "## Summary (wall seconds, median)",
        "",
        *summary(rows),
        "",
        "## Every measurement",
        "",
        *table(rows),
        "",
        "## How memory grows with triples",
        "",
        *(memory_growth(rows) or ["- (needs two sizes or more)"]),
        "",
        "## Rerun",
        "",
        "```",
        "python3 -m venv .venv && . .venv/bin/activate && pip install '.[test]' matplotlib",
        "python benchmarks/run.py --sizes 10000,100000,1000000 --repeat 3 --cap 120",
        "python benchmarks/run.py --sizes 10000,100000 --repeat 1   # quick",
        "python benchmarks/run.py --report benchmarks/results/RUN.json   # docs only",
        "```",
        "",
        "![time against triples](performance.png)",
        "",
    ]
    findings = Path(__file__).with_name("findings.md")
    if findings.is_file():
        lines += [findings.read_text(encoding="utf-8").rstrip(), ""]
    server = Path(__file__).with_name("server_validate.md")  # benchmarks/server_validate.py
    if server.is_file():
        lines += [server.read_text(encoding="utf-8").rstrip(), ""]
    doc.write_text("\n".join(lines))
    plot(rows, png)
