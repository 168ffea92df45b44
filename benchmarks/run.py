"""Benchmark the kb operations against the tools people would use instead.

``python benchmarks/run.py [--sizes 10000,100000,1000000] [--repeat 3] [--cap 120]``

For each size it generates a synthetic knowledge base (benchmarks/generate.py), then times
every operation as a fresh process reading the same files as its peers (no cache, no
prebuilt store): wall time (median of ``--repeat`` runs) and peak RSS (``os.wait4``). A run
over ``--cap`` seconds is killed and recorded as "did not finish". Raw results go to
``benchmarks/results/RUN.json``; ``docs/performance.md`` and ``docs/performance.png`` are
written from them (``--report RUN.json`` rewrites them without measuring).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
DOC = ROOT / "docs" / "performance.md"
PLOT = ROOT / "docs" / "performance.png"
#: The repository's launcher for Debian's Jena jars.
JENA = ROOT / "scripts" / "jena"
JENA_JARS = Path(os.environ.get("JENA_JARS", "/usr/share/java"))
PY = sys.executable
KB = str(Path(sys.executable).parent / "kb")
PEERS = str(HERE / "peers.py")


# ---------------------------------------------------------------------------------------
# Measuring one process
# ---------------------------------------------------------------------------------------


@dataclass
class Sample:
    """One timed process: wall seconds, peak RSS in MB, exit code; None when killed; CPU
    seconds (user + system, the process and the children it waited for)."""

    wall: float | None
    rss_mb: float | None
    code: int | None
    stdout: str = ""
    stderr: str = ""
    cpu: float | None = None


#: Bytes of a run's stdout kept (row counts, JSON of the peers). Never more: Linux hands a
#: parent's peak RSS on to the max-RSS of every child it starts afterwards, so reading
#: `riot --output=nt` of 1M triples into this process would inflate every later figure.
STDOUT_KEPT = 16 * 1024 * 1024


def measure(argv: list[str], cap: float, cwd: Path | None = None) -> Sample:
    """Run ``argv`` as a fresh process; kill its process group after ``cap`` seconds."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd, start_new_session=True)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(cap, kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if killed.is_set():
            return Sample(None, None, None)
        return Sample(
            wall,
            usage.ru_maxrss / 1024,
            proc.returncode,
            out.read(STDOUT_KEPT).decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace")[-2000:],
            usage.ru_utime + usage.ru_stime,
        )


@dataclass
class Measurement:
    """The median of several samples of one (operation, tool, size)."""

    operation: str
    tool: str
    triples: int
    seconds: float | None
    rss_mb: float | None
    runs: int
    cap: float
    code: int | None = None
    rows: int | None = None
    note: str = ""
    #: CPU seconds (median): on a machine shared with other work, steadier than wall time
    cpu: float | None = None

    @property
    def finished(self) -> bool:
        return self.seconds is not None


#: A first run longer than this is not repeated (the median is of one run).
LONG_RUN = 30.0
#: A peer's catalogue query after loading is stopped after this share of the cap.
QUERY_CAP_SHARE = 1 / 20


def median_of(
    operation: str,
    tool: str,
    triples: int,
    argv: list[str],
    repeat: int,
    cap: float,
    rows: Callable[[str], int | None] | None = None,
    cwd: Path | None = None,
) -> Measurement:
    """Time ``argv`` ``repeat`` times (stop at the first run over the cap, and after one
    run longer than ``LONG_RUN`` seconds)."""
    samples = []
    for _ in range(repeat):
        sample = measure(argv, cap, cwd)
        samples.append(sample)
        if sample.wall is None:
            return Measurement(operation, tool, triples, None, None, len(samples), cap)
        if sample.wall > LONG_RUN:
            break
    last = samples[-1]
    note = "" if last.code in (0, 1) else f"exit {last.code}: {last.stderr.strip()[-300:]}"
    return Measurement(
        operation,
        tool,
        triples,
        statistics.median(s.wall for s in samples if s.wall is not None),
        max(s.rss_mb for s in samples if s.rss_mb is not None),
        len(samples),
        cap,
        last.code,
        rows(last.stdout) if rows and last.code in (0, 1) else None,
        note,
        statistics.median(s.cpu for s in samples if s.cpu is not None),
    )


def csv_rows(stdout: str) -> int:
    """Rows of a SPARQL CSV result (header excluded)."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    return max(0, len(lines) - 1)


def json_results(stdout: str) -> int | None:
    """Validation results in ``kb validate --format json`` or a peer's JSON line."""
    try:
        found = json.loads(stdout)["results"]
    except (ValueError, KeyError, TypeError):
        return None
    return len(found) if isinstance(found, list) else int(found)


def turtle_results(stdout: str) -> int:
    """Validation results in a Turtle report (Jena's)."""
    return stdout.count("sh:ValidationResult")


# ---------------------------------------------------------------------------------------
# One size: data, the peers' inputs, and every operation
# ---------------------------------------------------------------------------------------


@dataclass
class Workspace:
    """The files of one size: generated data, entailed exports, a kb root for queries."""

    directory: Path
    triples: int
    data: Path = field(init=False)

    def __post_init__(self) -> None:
        self.data = self.directory / "data.ttl"

    @property
    def entailed_ttl(self) -> Path:
        return self.directory / "entailed.ttl"

    @property
    def entailed_nt(self) -> Path:
        return self.directory / "entailed.nt"

    @property
    def root(self) -> Path:
        return self.directory / "root"

    @property
    def queries_json(self) -> Path:
        return self.directory / "queries.json"

    def prepare(self, seed: int, defects: int = 0) -> dict[str, object]:
        """Generate the data (with ``defects``) and everything the peers read (not timed)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        gen = [PY, str(HERE / "generate.py"), "--triples", str(self.triples)]
        gen += ["--defects", str(defects)] if defects else []
        subprocess.run([*gen, "--seed", str(seed), "-o", str(self.data)], check=True)
        meta = json.loads(Path(f"{self.data}.meta.json").read_text())
        meta["defects"] = defects
        for path, fmt in ((self.entailed_ttl, "turtle"), (self.entailed_nt, "nt")):
            export = [KB, "export", str(self.data), "--inference", "rdfs", "--with-ontology"]
            subprocess.run([*export, "--format", fmt, "-o", str(path)], check=True)
        self._root()
        self.queries_json.write_text(json.dumps(bound_queries(meta["parameters"]), indent=1))
        return meta

    def _root(self) -> None:
        """A kb root whose data folder holds only the generated file."""
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        for name in ("ontology", "queries"):
            link = self.root / name
            if not link.exists():
                link.symlink_to(ROOT / name)
        link = self.root / "data" / "data.ttl"
        if not link.exists():
            link.symlink_to(self.data)


def bound_queries(parameters: dict[str, str]) -> dict[str, str]:
    """Each catalogue query with its parameters bound (kb.query's own VALUES placement)."""
    sys.path.insert(0, str(ROOT))
    from kb.catalogue import catalogue
    from kb.query import prepare
    from kb.resources import Layout

    out = {}
    for entry in catalogue(Layout(ROOT)):
        bindings = [f"{name}=<{parameters[name]}>" for name in entry.params]
        out[entry.name] = prepare(entry.text, bindings, source=entry.name).text
    return out


def bindings_args(entry_params: list[str], parameters: dict[str, str]) -> list[str]:
    out: list[str] = []
    for name in entry_params:
        out += ["--bind", f"{name}=<{parameters[name]}>"]
    return out


def kb_engines() -> set[str]:
    """The engines ``kb validate --engine`` offers (read from its help)."""
    import re

    out = subprocess.run([KB, "validate", "--help"], capture_output=True, text=True).stdout
    match = re.search(r"--engine \[([^\]]*)\]", out)
    return set(match.group(1).split("|")) if match else set()


def jena_available() -> bool:
    return (JENA_JARS / "jena-core.jar").is_file() and shutil.which("java") is not None


#: Pairs of kb validate and the bare load run one after the other, from this size up.
PAIRED_FROM, PAIRS = 500_000, 5


def paired(
    kb: list[str], floor: list[str], cap: float, pairs: int = PAIRS
) -> list[dict[str, float | None]]:
    """``kb`` and ``floor`` run in turn ``pairs`` times: on a shared virtual machine
    whose speed drifts by a third within minutes, a ratio of two medians taken minutes
    apart moves with the drift; the ratio within each pair much less."""
    out: list[dict[str, float | None]] = []
    for _ in range(pairs):
        mine, bare = measure(kb, cap), measure(floor, cap)
        out.append(
            {"kb": mine.wall, "load": bare.wall, "kb_mb": mine.rss_mb, "load_mb": bare.rss_mb}
        )
    ratios = [p["kb"] / p["load"] for p in out if p["kb"] and p["load"]]
    shown = ", ".join(f"{r:.2f}x" for r in ratios)
    print(f"  {'validate ÷ load, in turn':32} {'kb':12} {shown}", flush=True)
    return out


class SizeRun:
    """Every operation at one size."""

    def __init__(
        self,
        ws: Workspace,
        meta: dict,
        repeat: int,
        cap: float,
        arq_max: int = 100_000,
        pairs: int = PAIRS,
    ) -> None:
        self.ws, self.meta, self.repeat, self.cap = ws, meta, repeat, cap
        #: how many pairs of kb validate and the bare load ``paired`` runs
        self.pairs_wanted = pairs
        #: Jena arq (a JVM and a parse per query) runs up to this many triples
        self.arq_max = arq_max
        self.n = int(meta["triples"])
        self.out: list[Measurement] = []
        #: (operation, tool) of the peers that did not finish at a smaller size
        self.unfinished: set[tuple[str, str]] = set()
        #: kb validate and the bare load run in turn (``paired``), when measured
        self.paired: list[dict[str, float | None]] = []

    def time(self, op: str, tool: str, argv: list[str], **kw: object) -> Measurement:
        """Measure one cell; a peer that did not finish at a smaller size is not run again
        (it is recorded as not finishing, and the run saves the cap's worth of time)."""
        if not tool.startswith("kb") and (op, tool) in self.unfinished:
            m = Measurement(op, tool, self.n, None, None, 0, self.cap, note=SKIPPED)
        else:
            m = median_of(op, tool, self.n, argv, self.repeat, self.cap, **kw)  # type: ignore[arg-type]
        if not m.finished:
            self.unfinished.add((op, tool))
        shown = f"{m.seconds:.2f} s" if m.finished else f"did not finish (> {self.cap:g} s)"
        cpu = f"{m.cpu:.2f} s CPU" if m.cpu is not None else ""
        print(f"  {op:32} {tool:12} {shown} {cpu} {m.rss_mb or 0:.0f} MB {m.note}", flush=True)
        self.out.append(m)
        return m

    def all(self, push_url: str | None, only: set[str] | None = None) -> list[Measurement]:
        """Every operation (or those named in ``only``, ``pairs`` among them)."""
        for name in OPERATIONS if only is None else (*OPERATIONS, "pairs"):
            if only is None or name in only:
                if name == "push":
                    self.push(push_url)
                else:
                    getattr(self, name)()
        return self.out

    def load(self) -> None:
        data = str(self.ws.data)
        loader = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from kb.store import load_files"
        self.time("load", "kb", [PY, "-c", f"{loader}; load_files([{data!r}])"])
        # the floor of issue 16's ratios: pyoxigraph's bare Store.load of the same file
        self.time("load", "pyoxigraph", [PY, PEERS, "pyoxigraph-parse", data])
        if self.n <= self.arq_max:  # rdflib parses 1M triples in more than any cap used
            self.time("load", "rdflib", [PY, PEERS, "rdflib-parse", data])
        if jena_available():
            self.time("load", "jena", [str(JENA), "riot", "--count", data])

    def _kb_validate(self) -> list[str]:
        # --timeout 0: no worker, no limits (large data may take longer than the default)
        return [KB, "validate", str(self.ws.data), "--format", "json", "--timeout", "0"]

    def pairs(self) -> None:
        """kb validate and the bare load of the same file run in turn (``paired``); alone
        (``--only pairs``, at any size) it measures issue 16's load ratio in minutes."""
        floor = [PY, PEERS, "pyoxigraph-parse", str(self.ws.data)]
        self.paired = paired(self._kb_validate(), floor, self.cap, self.pairs_wanted)

    def validate(self) -> None:
        """kb and every peer on the same graph (the peers read kb's entailed export with
        their inference off); each peer's result count is checked against kb's."""
        shapes, entailed = str(ROOT / "ontology" / "shapes.ttl"), str(self.ws.entailed_ttl)
        validate = self._kb_validate()
        kb = self.time("validate", "kb", validate, rows=json_results)
        if self.n >= PAIRED_FROM:
            self.pairs()
        if kb_engines() >= {"fast", "pyshacl"}:
            self.time("validate", "kb pyshacl", [*validate, "--engine", "pyshacl"])
        peers = [
            ("pyshacl", "pyshacl-validate"),
            ("pyshifty", "pyshifty-validate"),
            ("pyshacl-turbo", "pyshacl-turbo-validate"),
        ]
        for tool, command in peers:
            argv = [PY, PEERS, command, entailed, shapes]
            self.agrees(self.time("validate", tool, argv, rows=json_results), kb)
        if jena_available():
            jena = [str(JENA), "shacl", "validate", "--shapes", shapes, "--data", entailed]
            self.agrees(self.time("validate", "jena", jena, rows=turtle_results), kb)

    @staticmethod
    def agrees(peer: Measurement, kb: Measurement) -> None:
        """Mark a peer whose result count is not kb's: it is shown as disagreeing, and
        its time is not compared as if its answer were right."""
        if peer.finished and peer.rows != kb.rows:
            peer.note = f"disagrees: {peer.rows} results, kb {kb.rows}. {peer.note}".strip()
            print(f"  {'':32} {peer.tool:12} {peer.note}", flush=True)

    def export(self) -> None:
        out = self.ws.directory / "out"
        data = str(self.ws.data)
        for fmt, riot in (("turtle", "turtle"), ("nt", "nt")):
            op = f"export {fmt}"
            self.time(op, "kb", [KB, "export", data, "--format", fmt, "-o", f"{out}.{fmt}"])
            rdflib_fmt = "turtle" if fmt == "turtle" else "nt"
            peer = [PY, PEERS, "rdflib-serialize", data, rdflib_fmt, f"{out}.rdflib.{fmt}"]
            if self.n <= self.arq_max:
                self.time(op, "rdflib", peer)
            dump = [PY, PEERS, "pyoxigraph-load-dump", data, fmt, f"{out}.pyoxigraph.{fmt}"]
            self.time(op, "pyoxigraph", dump)
            if jena_available():
                self.time(op, "jena", [str(JENA), "riot", f"--output={riot}", data])

    def queries(self) -> None:
        sys.path.insert(0, str(ROOT))
        from kb.catalogue import catalogue
        from kb.resources import Layout

        params = self.meta["parameters"]
        root = ["--root", str(self.ws.root)]
        for entry in catalogue(Layout(ROOT)):
            argv = [KB, *root, "query", entry.name, *bindings_args(list(entry.params), params)]
            self.time(f"query {entry.name}", "kb", [*argv, "--format", "csv"], rows=csv_rows)
            if jena_available() and self.n <= self.arq_max:
                self.arq(entry.name)
        self.after_load()

    def arq(self, name: str) -> None:
        """Jena ``arq`` on the entailed export: one whole process (parse + query)."""
        query = self.ws.directory / "bound" / f"{name}.rq"
        query.parent.mkdir(exist_ok=True)
        query.write_text(json.loads(self.ws.queries_json.read_text())[name])
        argv = [str(JENA), "arq", "--data", str(self.ws.entailed_nt), "--query", str(query)]
        self.time(f"query {name}", "jena", [*argv, "--results=csv"], rows=csv_rows)

    def after_load(self) -> None:
        """Query time with loading excluded: one process loads once, runs every query; a
        peer's query is stopped after QUERY_CAP_SHARE of the cap, so one slow query does
        not hide the others."""
        queries = str(self.ws.queries_json)
        limit = str(self.cap * QUERY_CAP_SHARE)
        for tool, argv in (
            ("kb", [PY, PEERS, "kb-queries", str(self.ws.root), queries]),
            ("rdflib", [PY, PEERS, "rdflib-queries", str(self.ws.entailed_nt), queries, limit]),
        ):
            runs = []
            for _ in range(self.repeat):
                runs.append(measure(argv, self.cap))
                if runs[-1].wall is None or runs[-1].wall > LONG_RUN:
                    break
            done = [json.loads(r.stdout) for r in runs if r.wall is not None and r.code == 0]
            if not done:
                name = "after load (all 16)"
                self.out.append(Measurement(name, tool, self.n, None, None, 1, self.cap))
                print(f"  {name:32} {tool:12} did not finish", flush=True)
                continue
            rss = max(r.rss_mb or 0 for r in runs)
            for name in done[0]:
                if name != "load":
                    self.out.append(self._after_load_query(name, tool, done, rss, float(limit)))

    def _after_load_query(
        self, name: str, tool: str, done: list[dict], rss: float, limit: float
    ) -> Measurement:
        finished = [d[name] for d in done if d[name]["seconds"] is not None]
        operation = f"after load {name}"
        if len(finished) < len(done):  # stopped in one run at least: no median of the rest
            m = Measurement(operation, tool, self.n, None, None, len(done), limit)
            print(f"  {operation:32} {tool:12} did not finish (> {limit:g} s)", flush=True)
            return m
        seconds = statistics.median(f["seconds"] for f in finished)
        m = Measurement(operation, tool, self.n, seconds, rss, len(finished), self.cap)
        m.rows = finished[0]["rows"]
        return m

    def push(self, url: str | None) -> None:
        if url is None:
            m = Measurement("push", "kb", self.n, None, None, 0, self.cap, note="no server")
            self.out.append(m)
            return
        store = f"{url}/store"
        self.time("push", "kb", [KB, "push", str(self.ws.data), "--store", store])
        if shutil.which("curl"):
            curl = ["curl", "-sf", "-X", "PUT", "-H", "Content-Type: application/n-triples"]
            self.time("push", "curl", [*curl, "-T", str(self.ws.entailed_nt), f"{store}?default"])


#: The note of a peer not run because it did not finish at a smaller size.
SKIPPED = "not run: did not finish at a smaller size"

#: The operations of one size, in the order they run (``--only`` picks some; ``--only
#: pairs`` runs kb validate and the bare load in turn, alone).
OPERATIONS = ("load", "validate", "export", "queries", "push")


def writes_report(only: set[str] | None) -> bool:
    """Whether a run rewrites ``docs/performance.md``: not for pairs alone, whose results
    hold no cell of its tables (the run of record stays the one the docs are made from)."""
    return only is None or bool(only - {"pairs"})


def bundled(repeat: int, cap: float) -> list[Measurement]:
    """The bundled knowledge base: kb --help, kb validate, each kb query NAME."""
    sys.path.insert(0, str(ROOT))
    from kb.catalogue import catalogue
    from kb.resources import Layout

    out = [
        median_of("bundled --help", "kb", 0, [KB, "--help"], repeat, cap),
        median_of("bundled --help", "python", 0, [PY, "-c", "pass"], repeat, cap),
        median_of("bundled --help", "rdflib", 0, [PY, "-c", "import rdflib"], repeat, cap),
        median_of("bundled --help", "pyshacl", 0, [PY, "-c", "import pyshacl"], repeat, cap),
        median_of("bundled validate", "kb", 0, [KB, "validate"], repeat, cap),
    ]
    if kb_engines() >= {"fast", "pyshacl"}:
        pyshacl = [KB, "validate", "--engine", "pyshacl"]
        out.append(median_of("bundled validate", "kb pyshacl", 0, pyshacl, repeat, cap))
    for entry in catalogue(Layout(ROOT)):
        argv = [KB, "query", entry.name, "--format", "csv"]
        out.append(median_of(f"bundled query {entry.name}", "kb", 0, argv, repeat, cap, csv_rows))
    for m in out:
        print(f"  {m.operation:32} {m.tool:12} {m.seconds or 0:.3f} s {m.rss_mb or 0:.0f} MB")
    return out


# ---------------------------------------------------------------------------------------
# An Oxigraph server for kb push
# ---------------------------------------------------------------------------------------


class OxigraphServer:
    """``oxigraph serve`` in memory on a free loopback port (None when not installed)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.url: str | None = None

    def __enter__(self) -> OxigraphServer:
        binary = shutil.which("oxigraph")
        if binary is None:
            return self
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        bind = f"127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [binary, "serve", "--bind", bind], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.url = f"http://{bind}"
        self._wait()
        return self

    def _wait(self) -> None:
        import urllib.request

        for _ in range(100):
            try:
                urllib.request.urlopen(f"{self.url}/query?query=ASK%7B%7D", timeout=1)
                return
            except OSError:
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------
# Machine, versions, and the run
# ---------------------------------------------------------------------------------------


def machine() -> dict[str, object]:
    """CPU, memory and the versions of everything measured."""
    import importlib.metadata as md

    cpu = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        mem_kb = int(handle.readline().split()[1])
    versions = {}
    for name in ("rdflib", "pyshacl", "pyoxigraph", "pyshifty", "pyshacl-turbo"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = "absent"
    versions["python"] = platform.python_version()
    versions["jena"] = "4.5.0 (Debian libapache-jena-java)" if jena_available() else "absent"
    oxigraph = shutil.which("oxigraph")
    if oxigraph:
        out = subprocess.run([oxigraph, "--version"], capture_output=True, text=True).stdout
        versions["oxigraph server"] = out.strip()
    return {
        # A virtual environment (as in the README's quick start) starts faster than an
        # interpreter whose site-packages run .pth hooks: it decides `kb --help`.
        "interpreter": sys.executable + (" (venv)" if sys.prefix != sys.base_prefix else ""),
        "load_average": os.getloadavg(),
        "nproc": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "os": platform.platform(),
        "versions": versions,
    }


def byte_compile_kb() -> str:
    """Compile kb's modules to bytecode before any of them is timed, as ``pip install .``
    does, and return their folder. An editable install run with PYTHONDONTWRITEBYTECODE=1
    (as on the benchmark machine) would otherwise compile every module again in every
    process: about 70 ms of each command's start-up that an installed kb never spends
    (the peers are installed packages, compiled when they were installed)."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("kb")
    assert spec is not None and spec.submodule_search_locations
    folder = spec.submodule_search_locations[0]
    compileall.compile_dir(folder, quiet=1)
    return folder


#: Two fixed pieces of work, timed now and then to show how fast the host was: pure
#: computation, then allocation (3M small objects and 0.5 GB of fresh pages, the kind of
#: work that dominates loading a store).
SPEED_PROBE = """
import time
started = time.perf_counter()
sum(range(20_000_000))
computed = time.perf_counter()
strings = [str(i) for i in range(3_000_000)]
pages = bytearray(500_000_000)
pages[::4096] = bytes(len(pages[::4096]))
print(computed - started, time.perf_counter() - computed)
"""


def host_speed(when: str) -> dict[str, object]:
    """Seconds the SPEED_PROBE took in a fresh process: a virtual machine's speed drifts
    with its neighbours' load, which the load average does not show."""
    sample = measure([PY, "-c", SPEED_PROBE], 60)
    compute, allocate = map(float, sample.stdout.split()) if sample.code == 0 else (None, None)
    return {"when": when, "at": time.strftime("%H:%M:%S"), "seconds": compute, "alloc": allocate}


@dataclass
class Plan:
    """What a run measures."""

    sizes: list[int]
    repeat: int
    cap: float
    seed: int
    arq_max: int
    #: defects in each generated file, per size (the validators must find them all)
    defects: dict[int, int]
    #: the operations run at each size (None: all of OPERATIONS), and the bundled KB or not
    only: set[str] | None = None
    #: pairs of kb validate and the bare load, per size where they run
    pairs: int = PAIRS


def run(plan: Plan, work: Path, path: Path) -> dict:
    """Measure everything; save the raw results to ``path`` after each size."""
    repeat, cap = plan.repeat, plan.cap
    results: dict = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "repeat": repeat,
        "cap": cap,
        "seed": plan.seed,
        "sizes": {},
        "measurements": [],
    }
    results["host_speed"] = [host_speed("start")]
    results["kb_byte_compiled"] = byte_compile_kb()
    if plan.only is None or "bundled" in plan.only:
        print("bundled knowledge base", flush=True)
        results["measurements"] += [asdict(m) for m in bundled(repeat, cap)]
    unfinished: set[tuple[str, str]] = set()
    with OxigraphServer() as server:
        for size in plan.sizes:
            print(f"{size} triples", flush=True)
            ws = Workspace(work / str(size), size)
            meta = ws.prepare(plan.seed, plan.defects.get(size, 0))
            results["sizes"][str(size)] = meta
            one = SizeRun(ws, meta, repeat, cap, plan.arq_max, plan.pairs)
            one.unfinished = unfinished
            found = one.all(server.url, plan.only)
            results["measurements"] += [asdict(m) for m in found]
            if one.paired:
                results.setdefault("paired", {})[str(size)] = one.paired
            results["host_speed"].append(host_speed(f"after {size:,} triples"))
            results["machine"] = machine()
            path.write_text(json.dumps(results, indent=1) + "\n")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="triples, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--cap", type=float, default=120.0, help="seconds before a run is killed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--arq-max",
        type=int,
        default=100_000,
        help="largest size Jena arq runs each query at, and rdflib parses and serialises at",
    )
    parser.add_argument(
        "--defects",
        default="10000:50,100000:200,1000000:500",
        help="defects per size, SIZE:K,... (the validators must agree on them)",
    )
    parser.add_argument(
        "--only",
        default=None,
        help=f"comma-separated subset of bundled,{','.join(OPERATIONS)},pairs (default: "
        "all but pairs, which validate runs from 500k triples up)",
    )
    parser.add_argument(
        "--pairs", type=int, default=PAIRS, help="pairs of kb validate and the bare load"
    )
    parser.add_argument("--work", type=Path, default=None, help="folder for generated files")
    parser.add_argument("--report", type=Path, default=None, help="only rewrite the docs")
    args = parser.parse_args(argv)
    if args.report:
        from report import write_report

        write_report(json.loads(args.report.read_text()), DOC, PLOT)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = args.work or Path(tempfile.mkdtemp(prefix="kb-bench-"))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{time.strftime('%Y-%m-%dT%H%M%S')}.json"
    defects = {int(k): int(v) for k, v in (kv.split(":") for kv in args.defects.split(",") if kv)}
    only = set(args.only.split(",")) if args.only else None
    plan = Plan(sizes, args.repeat, args.cap, args.seed, args.arq_max, defects, only, args.pairs)
    results = run(plan, work, path)
    results["started"] = path.stem
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"raw results: {path}")
    if not writes_report(only):
        print("docs not rewritten: pairs alone are not a run of record")
        return 0
    from report import write_report

    write_report(results, DOC, PLOT)
    print(f"report: {DOC}, {PLOT}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main())
