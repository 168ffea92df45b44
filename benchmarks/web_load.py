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
import http.client
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.web_server import free_port, kb_serve  # noqa: E402

PERSON = "/id/person/massimiliano-boggetti"
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
    """Send ``total`` requests from ``clients`` threads; (latencies, errors, seconds)."""
    counter = itertools.count()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        mine, failed = [], 0
        while (n := next(counter)) < total:
            method, path, headers, body = request(n)
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=60)
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - started


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
    parser.add_argument("--data", nargs="*", default=[], help="data files (default: bundled)")
    args = parser.parse_args()
    query = catalogue_query()
    csv = {"Accept": "text/csv"}
    results: list[Figures] = []
    memory: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory() as temp:
        nt = Path(temp) / "published.nt"
        published_ntriples(nt, args.data)
        person = a_person(nt)
        store = Path(temp) / "oxigraph"
        subprocess.run(
            ["oxigraph", "load", "--location", str(store), "--file", str(nt)],
            check=True,
            capture_output=True,
        )
        oxigraph_port = free_port()
        oxigraph = subprocess.Popen(
            [
                "oxigraph",
                "serve-read-only",
                "--location",
                str(store),
                "--bind",
                f"127.0.0.1:{oxigraph_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(oxigraph_port)
            with kb_serve(*args.data) as kb:
                kb_pid = _pid_on(kb.port)
                targets = {
                    "kb: resource page (HTML)": (
                        kb.port,
                        lambda n: ("GET", person, {"Accept": "text/html"}, None),
                    ),
                    "kb: resource Turtle": (
                        kb.port,
                        lambda n: ("GET", person, {"Accept": "text/turtle"}, None),
                    ),
                    "kb: catalogue query (cached)": (
                        kb.port,
                        lambda n: ("GET", "/sparql?query=" + urllib.parse.quote(query), csv, None),
                    ),
                    "kb: catalogue query (run each time)": (
                        kb.port,
                        lambda n: (
                            "GET",
                            "/sparql?query=" + urllib.parse.quote(f"{query}\n# {n}"),
                            csv,
                            None,
                        ),
                    ),
                    "oxigraph: catalogue query": (
                        oxigraph_port,
                        lambda n: (
                            "GET",
                            "/query?query=" + urllib.parse.quote(f"{query}\n# {n}"),
                            csv,
                            None,
                        ),
                    ),
                }
                for name, (port, request) in targets.items():
                    load("127.0.0.1", port, request, min(50, args.requests), args.clients)  # warm
                    latencies, errors, seconds = load(
                        "127.0.0.1", port, request, args.requests, args.clients
                    )
                    results.append(figures(name, latencies, errors, seconds))
                    print(_row(results[-1]), flush=True)
                memory["kb serve peak RSS MB"] = peak_rss_mb(kb_pid) if kb_pid else None
                memory["oxigraph peak RSS MB"] = peak_rss_mb(oxigraph.pid)
        finally:
            oxigraph.terminate()
            oxigraph.wait(15)
    print(json.dumps(memory))
    out = REPO / "benchmarks" / "results" / f"web-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {"clients": args.clients, "results": [asdict(r) for r in results], "memory": memory},
            indent=2,
        )
        + "\n"
    )
    print(f"written {out.relative_to(REPO)}")


def _row(f: Figures) -> str:
    return (
        f"{f.target:<38} {f.per_second:>8} req/s  p50 {f.p50_ms:>7} ms  p99 {f.p99_ms:>7} ms"
        f"  errors {f.errors}/{f.requests}"
    )


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("oxigraph did not start")


def _pid_on(port: int) -> int | None:
    """The pid of the process listening on ``port`` (the kb serve child)."""
    found = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True)
    marker = "pid="
    if marker in found.stdout:
        return int(found.stdout.split(marker, 1)[1].split(",", 1)[0])
    return None


if __name__ == "__main__":
    main()
