"""Benchmark `kb validate --endpoint` (issue 15) next to local `kb validate`, same file,
same run: wall time and the kb process's peak RSS, on Oxigraph's server in memory and on
disk, and on Virtuoso 7.2.

``python benchmarks/server_validate.py [--sizes 100000,1000000] [--cap 900]``

For each size: a generated file with two defects of every constraint of the shapes
(benchmarks/generate.py), its published graph (`kb export --inference rdfs
--with-ontology`) bulk-loaded into each server (not timed), then each validation as a
fresh process (``os.wait4`` gives its peak RSS). The server's own memory is not the
client's and is not counted. Each server report is compared with the local one (the
result keys). Raw results: ``benchmarks/results/server-validate-TIME.json``; a Markdown
table on stdout (docs/performance.md has the last one).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (ROOT, HERE, ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import servers  # noqa: E402  (tests/servers.py: the same private servers the tests start)

from kb.namespaces import DEFAULT_GRAPH  # noqa: E402

KB = str(Path(sys.executable).parent / "kb")
RESULTS = HERE / "results"
#: The section docs/performance.md shows (benchmarks/report.py appends it when it
#: rewrites that file); written from the latest run of each size.
SECTION = HERE / "server_validate.md"
DOC = ROOT / "docs" / "performance.md"
HEADING = "## Validation on a SPARQL server (`benchmarks/server_validate.py`)"


def timed(command: list[str], cap: float, env: dict[str, str] | None = None) -> dict:
    """Run ``command``; wall seconds, peak RSS (MB), exit code and stdout (None: killed)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        deadline = start + cap
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                return {"wall": None, "rss_mb": None, "code": None, "stdout": ""}
            time.sleep(0.05)
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return {
            "wall": round(wall, 2),
            "rss_mb": round(usage.ru_maxrss / 1024, 1),
            "code": os.waitstatus_to_exitcode(status),
            "stdout": out.read().decode(),
            "stderr": err.read().decode()[-500:],
        }


def result_keys(report_json: str) -> set[tuple]:
    """The compared 6-tuples of a JSON report (blank nodes as ``_:``)."""

    def term(text: str | None) -> str:
        return "_:" if (text or "").startswith("_:") else (text or "")

    results = json.loads(report_json)["results"] if report_json.strip() else []
    keys = ("focus", "path", "value", "severity", "shape", "component")
    return {tuple(term(r[k]) for k in keys) for r in results}


def generate(size: int, directory: Path) -> tuple[Path, Path]:
    """The data file with defects and its published graph as N-Triples."""
    # In child processes: Linux hands this process's peak RSS on to the max-RSS of every
    # child it starts afterwards, so it must stay small (no data read in here).
    count_code = (
        "import sys; sys.path.insert(0, 'benchmarks'); import defects; "
        "print(2 * len(defects.shape_constraints('ontology/shapes.ttl')))"
    )
    found = subprocess.run(
        [sys.executable, "-c", count_code], cwd=ROOT, check=True, capture_output=True, text=True
    )
    count = found.stdout.strip()
    data = directory / f"g{size}.nt"
    args = ["--triples", str(size), "--seed", "5", "--defects", count, "-o", str(data)]
    subprocess.run([sys.executable, str(HERE / "generate.py"), *args], check=True)
    published = directory / f"published{size}.nt"
    export = [KB, "export", str(data), "--inference", "rdfs", "--with-ontology"]
    subprocess.run([*export, "--format", "nt", "-o", str(published)], check=True)
    return data, published


def oxigraph_on_disk(published: Path, directory: Path) -> tuple[subprocess.Popen, str]:
    location = directory / "oxigraph-disk"
    load = ["oxigraph", "load", "--location", str(location), "--file", str(published)]
    subprocess.run([*load, "--graph", DEFAULT_GRAPH], check=True, capture_output=True)
    process, server = servers.start_oxigraph(location)
    return process, server.query


def oxigraph_in_memory(published: Path) -> tuple[subprocess.Popen, str]:
    port = servers.free_port()
    log = open(os.devnull, "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        ["oxigraph", "serve", "--bind", f"127.0.0.1:{port}"], stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    servers.wait_until_answers(f"{base}/query?query=ASK%7B%7D", process, Path(os.devnull))
    with published.open("rb") as body:  # streamed: this process stays small
        request = urllib.request.Request(
            f"{base}/store?graph={urllib.request.quote(DEFAULT_GRAPH, safe='')}",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/n-triples",
                "Content-Length": str(published.stat().st_size),
            },
        )
        urllib.request.urlopen(request, timeout=3600).close()
    return process, f"{base}/query"


def virtuoso(published: Path, directory: Path) -> tuple[subprocess.Popen, str]:
    home = directory / "virtuoso"
    template = servers.VIRTUOSO_INI
    servers.VIRTUOSO_INI = template.replace(
        "MaxQueryExecutionTime = 60", "MaxQueryExecutionTime = 0"
    )
    try:
        process, server = servers.start_virtuoso(home)
    finally:
        servers.VIRTUOSO_INI = template
    folder = published.parent
    servers.isql(
        server,
        f"ld_dir('{folder}', '{published.name}', '{DEFAULT_GRAPH}'); rdf_loader_run(); checkpoint;",
        timeout=3600,
    )
    return process, server.query


def start(name: str, published: Path, directory: Path) -> tuple[subprocess.Popen, str]:
    """Start server ``name`` holding ``published``; its process and query URL."""
    if name == "oxigraph-memory":
        return oxigraph_in_memory(published)
    if name == "oxigraph-disk":
        return oxigraph_on_disk(published, directory)
    return virtuoso(published, directory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--cap", type=float, default=900.0, help="seconds per validation")
    parser.add_argument("--servers", default="oxigraph-memory,oxigraph-disk,virtuoso")
    parser.add_argument("--section", action="store_true", help="only rewrite the docs section")
    args = parser.parse_args(argv)
    if args.section:
        write_section()
        return 0
    started = time.strftime("%Y-%m-%dT%H%M%S")
    run: dict = {
        "load_average_start": os.getloadavg(),
        "started": started,
        "cap": args.cap,
        "rows": [],
    }
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory(prefix="kb-server-bench-") as tmp:
            directory = Path(tmp)
            data, published = generate(size, directory)
            with published.open("rb") as lines:
                triples = sum(1 for _ in lines)
            local = timed([KB, "-q", "validate", str(data), "--format", "json"], args.cap, env)
            local_keys = result_keys(local["stdout"])
            row = {"size": size, "published_triples": triples, "local": _short(local)}
            row["local"]["results"] = len(local_keys)
            print(f"{size}: local {row['local']}", file=sys.stderr)
            for name in args.servers.split(","):
                process, url = start(name, published, directory)
                try:
                    command = [KB, "-q", "validate", "--endpoint", url, "--format", "json"]
                    sample = timed([*command, "--timeout", str(args.cap)], args.cap, env)
                finally:
                    servers.stop(process)
                found = result_keys(sample["stdout"]) if sample["code"] in (0, 1) else set()
                row[name] = _short(sample) | {
                    "results": len(found),
                    "equal_to_local": found == local_keys,
                }
                print(f"{size}: {name} {row[name]}", file=sys.stderr)
            run["rows"].append(row)
    run["load_average_end"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"server-validate-{run['started']}.json"
    out.write_text(json.dumps(run, indent=2) + "\n")
    print(table(run))
    write_section()
    return 0


def write_section() -> None:
    """benchmarks/server_validate.md from the latest run of each size, and the same
    section in docs/performance.md (replaced, or appended)."""
    latest: dict[int, tuple[dict, dict]] = {}
    for path in sorted(RESULTS.glob("server-validate-*.json")):
        run = json.loads(path.read_text())
        for row in run["rows"]:
            latest[row["size"]] = (run, row)
    lines = [
        HEADING,
        "",
        "`kb validate --endpoint` against local `kb validate` of the same generated file",
        "(two defects of every constraint of the shapes), each a fresh process: wall time and",
        "the kb process's peak RSS (the server's memory is its own). The published graph is",
        "bulk-loaded into each server first (not timed). `equal` compares the result keys",
        "with the local report. Rerun: `python benchmarks/server_validate.py --sizes N`.",
        "",
    ]
    for size in sorted(latest):
        run, row = latest[size]
        lines += [f"Run {run['started']}:", "", table({**run, "rows": [row]}), ""]
    text = "\n".join(lines).rstrip() + "\n"
    SECTION.write_text(text)
    doc = DOC.read_text(encoding="utf-8")
    start = doc.find(HEADING)
    if start >= 0:
        end = doc.find("\n## ", start + len(HEADING))
        doc = doc[:start] + text + ("\n" + doc[end + 1 :] if end >= 0 else "")
    else:
        doc = doc.rstrip() + "\n\n" + text
    DOC.write_text(doc, encoding="utf-8")


def _short(sample: dict) -> dict:
    kept = {k: sample[k] for k in ("wall", "rss_mb", "code")}
    if sample.get("code") not in (0, 1):
        kept["stderr"] = sample.get("stderr", "")
    return kept


def table(run: dict) -> str:
    """The results as a Markdown table."""
    lines = [
        "| triples (published) | where | wall s | kb peak RSS MB | results | equal to local |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for row in run["rows"]:
        for name in ("local", "oxigraph-memory", "oxigraph-disk", "virtuoso"):
            if name not in row:
                continue
            cell = row[name]
            equal = "—" if name == "local" else ("yes" if cell.get("equal_to_local") else "NO")
            if cell["wall"] is None:
                cap = run.get("cap", "the cap")
                lines.append(
                    f"| {row['published_triples']:,} | {name} | did not finish in {cap} s "
                    "| — | — | — |"
                )
                continue
            lines.append(
                f"| {row['published_triples']:,} | {name} | {cell['wall']} | {cell['rss_mb']} "
                f"| {cell.get('results')} | {equal} |"
            )
    start, end = (
        ", ".join(f"{x:.1f}" for x in run[k]) for k in ("load_average_start", "load_average_end")
    )
    lines.append(
        f"\nLoad average (1, 5, 15 min) of the shared machine: {start} at the start, "
        f"{end} at the end."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
