"""Load on ``kb serve`` beside ``oxigraph serve-read-only`` on the same published graph,
over loopback, in the same run.

``python benchmarks/web_load.py [--clients 50] [--requests 2000] [--data FILE...]``

Each target gets ``--requests`` requests from ``--clients`` concurrent clients (threads,
one keep-alive connection each): a resource page, a resource's Turtle, a catalogue query
(the same text every time, so kb answers it from its cache), the same query made unique
by a comment each time (so kb runs it, in a forked worker under its time limit), and
that query on Oxigraph's server. Printed: requests per second, p50 / p99 latency, errors;
and the peak memory of each server. Both servers and the client share the machine's
cores, so the figures compare the servers with each other, not with other machines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.servers import stop  # noqa: E402
from tests.web_server import free_port, kb_serve  # noqa: E402

PERSON = "/id/person/massimiliano-boggetti"
TRIFID = REPO / "benchmarks" / "trifid"
LOAD_BEFORE = os.getloadavg()
_UNIQUE = itertools.count()
TRIFID_FAILURE: list[str] = []
QUERY_NAME = "visits"


@dataclass
class Figures:
    target: str
    requests: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float


def load(
    host: str,
    port: int,
    request: Callable[[int], tuple[str, str, dict[str, str], bytes | None]],
    total: int,
    clients: int,
) -> tuple[list[float], int, float]:
    """Send ``total`` requests from ``clients`` concurrent keep-alive connections, each
    awaiting its answer before the next (closed loop); (latencies, errors, seconds).

    One event loop (uvloop where installed) over raw sockets: a thread per client with
    ``http.client`` spent more of the two cores than the servers did, and its waits for
    the GIL showed as server latency."""
    runner = _uvloop_runner()
    return runner(_load(host, port, request, total, clients))


def _uvloop_runner() -> Callable[[Any], Any]:
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


async def _load(
    host: str,
    port: int,
    request: Callable[[int], tuple[str, str, dict[str, str], bytes | None]],
    total: int,
    clients: int,
) -> tuple[list[float], int, float]:
    counter = itertools.count()
    latencies: list[float] = []
    errors = [0]

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        while (n := next(counter)) < total:
            method, path, headers, body = request(n)
            wire = _wire(host, port, method, path, headers, body)
            started = time.perf_counter()
            try:
                writer.write(wire)
                status = await _answer(reader)
                if status != 200:
                    errors[0] += 1
            except (OSError, ValueError, asyncio.IncompleteReadError):
                errors[0] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            latencies.append(time.perf_counter() - started)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, errors[0], time.perf_counter() - started


def _wire(
    host: str, port: int, method: str, path: str, headers: dict[str, str], body: bytes | None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body or b'')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one response (Content-Length or chunked); its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            fields[name.strip().lower()] = value.strip()
    if "content-length" in fields:
        await reader.readexactly(int(fields["content-length"]))
    elif fields.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    return status


def figures(name: str, latencies: list[float], errors: int, seconds: float) -> Figures:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Figures(
        name,
        len(ordered),
        errors,
        round(seconds, 2),
        round(len(ordered) / seconds, 1),
        round(statistics.median(ordered) * 1000, 1),
        round(p99 * 1000, 1),
    )


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def catalogue_query() -> str:
    from kb.catalogue import find
    from kb.check import prepared_entry
    from kb.resources import default_layout

    return prepared_entry(find(default_layout(), QUERY_NAME)).text


def published_ntriples(path: Path, data: list[str]) -> None:
    command = [sys.executable, "-c", "from kb.entry import main; main()", "export"]
    command += [*data, "--inference", "rdfs", "--with-ontology", "--format", "nt", "-o", str(path)]
    subprocess.run(command, check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})


def a_person(nt: Path) -> str:
    """The path of the first person in the published N-Triples ``nt``."""
    from kb.namespaces import BASE

    marker = b"> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/Person> ."
    with nt.open("rb") as lines:
        for line in lines:
            if marker in line and line.startswith(b"<" + BASE.encode()):
                return "/" + line[len(BASE) + 1 : line.index(b">")].decode()
    return PERSON


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all targets")
    parser.add_argument("--data", nargs="*", default=[], help="data files (default: bundled)")
    parser.add_argument("--trifid", type=Path, default=TRIFID, help="where trifid is installed")
    parser.add_argument("--pairs", type=int, default=9, help="paired kb/oxigraph bursts")
    parser.add_argument("--label", default="", help="a note kept with the results")
    args = parser.parse_args()
    query = catalogue_query()
    rounds: dict[str, list[Figures]] = {}
    memory: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory() as temp, contextlib.ExitStack() as servers:
        nt = Path(temp) / "published.nt"
        published_ntriples(nt, args.data)
        person = a_person(nt)
        triples = _count_lines(nt)
        print(f"{triples} published triples; the resource: {person}", flush=True)
        oxigraph = servers.enter_context(oxigraph_server(nt, Path(temp) / "oxigraph"))
        kb = servers.enter_context(kb_serve(*args.data))
        kb_pid = _pid_on(kb.port)
        trifid = servers.enter_context(trifid_server(args.trifid, nt, Path(temp)))
        targets = _targets(kb.port, oxigraph.port, trifid.port if trifid else None, person, query)
        for round_ in range(args.rounds):
            for name, (port, request) in targets.items():
                if round_ == 0:
                    load("127.0.0.1", port, request, min(100, args.requests), args.clients)
                latencies, errors, seconds = load(
                    "127.0.0.1", port, request, args.requests, args.clients
                )
                rounds.setdefault(name, []).append(figures(name, latencies, errors, seconds))
                print(f"round {round_ + 1}: {_row(rounds[name][-1])}", flush=True)
        pairs = _pairs(targets, args.pairs, max(100, args.requests // 4), args.clients)
        memory["kb serve peak RSS MB"] = peak_rss_mb(kb_pid) if kb_pid else None
        memory["kb serve query workers peak RSS MB (each)"] = _children_peak(kb_pid)
        memory["oxigraph peak RSS MB"] = peak_rss_mb(oxigraph.pid)
        if trifid:
            memory["trifid peak RSS MB"] = peak_rss_mb(trifid.pid)
    results = [_median(runs) for runs in rounds.values()]
    print("median round of each target:")
    for result in results:
        print(_row(result))
    print(json.dumps(memory))
    out = REPO / "benchmarks" / "results" / f"web-{time.strftime('%Y%m%d-%H%M%S')}.json"
    document = {
        "label": args.label,
        "triples": triples,
        "clients": args.clients,
        "load_average_before_after": [LOAD_BEFORE, os.getloadavg()],
        "results": [asdict(r) for r in results],
        "rounds": {name: [asdict(r) for r in runs] for name, runs in rounds.items()},
        "paired_query_rate_kb_over_oxigraph": pairs,
        "memory": memory,
        "trifid_failure": TRIFID_FAILURE,
    }
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"written {out.relative_to(REPO)}")


def _targets(
    kb: int, oxigraph: int, trifid: int | None, person: str, query: str
) -> dict[str, tuple[int, Callable[[int], tuple[str, str, dict[str, str], bytes | None]]]]:
    """Each target: its port and the n-th request to send it."""
    json_results = {"Accept": "application/sparql-results+json"}

    def page(accept: str) -> Callable[[int], tuple[str, str, dict[str, str], bytes | None]]:
        return lambda n: ("GET", person, {"Accept": accept}, None)

    def unique(path: str) -> Callable[[int], tuple[str, str, dict[str, str], bytes | None]]:
        # numbered across rounds, so that no text comes twice (kb would answer it from memory)
        return lambda n: (
            "GET",
            path + urllib.parse.quote(f"{query}\n# {next(_UNIQUE)}"),
            json_results,
            None,
        )

    targets = {
        "kb: resource page (HTML)": (kb, page("text/html")),
        "kb: resource Turtle": (kb, page("text/turtle")),
        "kb: catalogue query (cached)": (
            kb,
            lambda n: ("GET", "/sparql?query=" + urllib.parse.quote(query), json_results, None),
        ),
        "kb: catalogue query (run each time)": (kb, unique("/sparql?query=")),
        "oxigraph: catalogue query": (oxigraph, unique("/query?query=")),
    }
    if trifid is not None:
        targets["trifid: resource page (HTML)"] = (trifid, page("text/html"))
        targets["trifid: resource Turtle"] = (trifid, page("text/turtle"))
        targets["trifid: catalogue query"] = (trifid, unique("/query?query="))
    return targets


@dataclass(frozen=True)
class Running:
    port: int
    pid: int


@contextlib.contextmanager
def oxigraph_server(nt: Path, store: Path) -> Iterator[Running]:
    """``oxigraph serve-read-only`` on ``nt``, loaded into an on-disk store first."""
    subprocess.run(
        ["oxigraph", "load", "--location", str(store), "--file", str(nt)],
        check=True,
        capture_output=True,
    )
    port = free_port()
    command = ["oxigraph", "serve-read-only", "--location", str(store)]
    command += ["--bind", f"127.0.0.1:{port}"]
    with _process(command, port) as pid:
        yield Running(port, pid)


@contextlib.contextmanager
def trifid_server(installed: Path, nt: Path, temp: Path) -> Iterator[Running | None]:
    """Trifid (installed by ``npm ci`` in ``installed``) on ``nt``: its entity pages and
    its SPARQL endpoint (``trifid-handler-fetch``: Oxigraph compiled to WebAssembly, in
    Node), bound to loopback (it binds every interface unless told); None when Trifid or
    Node is not installed."""
    server = installed / "node_modules" / "trifid" / "server.js"
    if not server.is_file() or shutil.which("node") is None:
        print(f"trifid: not installed in {installed} (npm ci there); left out", flush=True)
        yield None
        return
    from kb.namespaces import BASE

    port = free_port()
    config = temp / "trifid.yaml"
    config.write_text(TRIFID_CONFIG.format(port=port, base=BASE, data=nt))
    # Node's default heap is too small for a big file: give it what the machine allows
    command = ["node", "--max-old-space-size=8192", str(server), "-c", str(config)]
    try:
        started = _process(command, port, cwd=installed)
        pid = started.__enter__()
    except ServerDied as exc:
        print(f"trifid: {exc}; left out", flush=True)
        TRIFID_FAILURE.append(str(exc))
        yield None
        return
    try:
        yield Running(port, pid)
    finally:
        started.__exit__(None, None, None)


TRIFID_CONFIG = """\
server:
  logLevel: warn
  listener:
    host: 127.0.0.1
    port: {port}
globals:
  datasetBaseUrl: {base}
  endpoints:
    default:
      url: /query
plugins:
  entity-renderer:
    module: "@zazuko/trifid-entity-renderer"
  fetch-handler:
    module: trifid-handler-fetch
    paths: /query
    config:
      url: {data}
      contentType: application/n-triples
      baseIRI: http://127.0.0.1:{port}
"""


@contextlib.contextmanager
def _process(command: list[str], port: int, cwd: Path | None = None) -> Iterator[int]:
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            _wait_for(port, process, errors)
            yield process.pid
        finally:
            stop(process)


def _pairs(
    targets: dict[str, tuple[int, Callable[[int], Any]]], count: int, requests: int, clients: int
) -> dict[str, Any]:
    """kb's endpoint and Oxigraph's on the unique query, in short bursts one right after
    the other, ``count`` times: each ratio compares the two under the same load of the
    shared machine (which swings by a factor of three from minute to minute)."""
    ratios = []
    for _ in range(count):
        rates = []
        for name in ("kb: catalogue query (run each time)", "oxigraph: catalogue query"):
            port, request = targets[name]
            latencies, _, seconds = load("127.0.0.1", port, request, requests, clients)
            rates.append(len(latencies) / seconds)
        ratios.append(round(rates[0] / rates[1], 2))
        print(f"pair: kb {rates[0]:.0f} req/s, oxigraph {rates[1]:.0f} req/s", flush=True)
    ordered = sorted(ratios)
    median = ordered[len(ordered) // 2] if ordered else None
    print(f"kb / oxigraph on the unique query, median of {count} pairs: {median}", flush=True)
    return {"requests_each": requests, "ratios": ratios, "median": median}


def _median(runs: list[Figures]) -> Figures:
    """The round of median throughput (the machine is shared: rounds differ)."""
    return sorted(runs, key=lambda f: f.per_second)[len(runs) // 2]


def _count_lines(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for _ in lines)


def _children_peak(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    peaks = [peak_rss_mb(int(child)) for child in children]
    return max((p for p in peaks if p is not None), default=None)


def _row(f: Figures) -> str:
    return (
        f"{f.target:<38} {f.per_second:>8} req/s  p50 {f.p50_ms:>7} ms  p99 {f.p99_ms:>7} ms"
        f"  errors {f.errors}/{f.requests}"
    )


def _wait_for(port: int, process: subprocess.Popen[bytes], errors: Any) -> None:
    deadline = time.monotonic() + 900  # Trifid reads the whole file before it listens
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip().splitlines()[-3:]
            raise ServerDied(f"{process.args[0]} ended ({process.returncode}): {' | '.join(said)}")
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no server came up on port {port}")


class ServerDied(RuntimeError):
    """A peer ended before it listened."""


def _pid_on(port: int) -> int | None:
    """The pid of the process listening on ``port`` (the kb serve child)."""
    found = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True)
    marker = "pid="
    if marker in found.stdout:
        return int(found.stdout.split(marker, 1)[1].split(",", 1)[0])
    return None


if __name__ == "__main__":
    main()
