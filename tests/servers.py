"""Start and stop real SPARQL servers (Oxigraph, Virtuoso) on free loopback ports for tests.

No mocks: each server is the real binary, private to the test session, in its own temporary
directory. With ``CI=true`` a missing tool fails the test instead of skipping it.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import require_tool

#: How long a server may take to answer its first request.
START_TIMEOUT = 30.0
#: How long a server may take to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 15.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    """True when ``url`` gives any HTTP answer (even an error status)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_until_answers(url: str, process: subprocess.Popen[bytes], log: Path) -> float:
    """Poll ``url`` until it answers (bounded); return the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < START_TIMEOUT:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"server exited with {process.returncode}: {tail}")
        if _answers(url):
            return time.monotonic() - start
        time.sleep(0.05)
    raise RuntimeError(f"server did not answer {url} within {START_TIMEOUT} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, wait (bounded), then SIGKILL."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT)


@dataclass(frozen=True)
class Server:
    """The URLs of one running SPARQL server, and how to authenticate."""

    name: str
    query: str
    update: str
    store: str
    user: str | None = None
    password: str | None = None
    auth: str = "basic"
    directory: Path | None = None
    port: int = 0


def launch(
    argv: list[str], log: Path, ready: str, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ``argv`` (output to ``log``) and wait until ``ready`` answers; stopped on failure."""
    process = subprocess.Popen(argv, cwd=cwd, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        wait_until_answers(ready, process, log)
    except BaseException:
        stop(process)
        raise
    return process


@contextmanager
def running(start: Callable[[], tuple[subprocess.Popen[bytes], Server]]) -> Iterator[Server]:
    """The server that ``start()`` starts (e.g. ``partial(start_oxigraph, path)``), stopped
    with SIGTERM on exit."""
    process, server = start()
    try:
        yield server
    finally:
        stop(process)


# --- Oxigraph -----------------------------------------------------------------------------


def start_oxigraph(
    location: Path, port: int | None = None, read_only: bool = False
) -> tuple[subprocess.Popen[bytes], Server]:
    """Start ``oxigraph serve`` on ``location``; return the process and its URLs."""
    binary = require_tool("oxigraph")
    port = port or free_port()
    location.mkdir(parents=True, exist_ok=True)
    log = location.parent / f"{location.name}.log"
    command = "serve-read-only" if read_only else "serve"
    argv = [binary, command, "--bind", f"127.0.0.1:{port}", "--location", str(location)]
    base = f"http://127.0.0.1:{port}"
    process = launch(argv, log, f"{base}/query?query=ASK%7B%7D")
    server = Server(
        "oxigraph",
        f"{base}/query",
        f"{base}/update",
        f"{base}/store",
        directory=location,
        port=port,
    )
    return process, server


# --- Virtuoso -----------------------------------------------------------------------------

VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
CheckpointAuditTrail = 0
AllowOSCalls = 0
SchedulerInterval = 10
DirsAllowed = ., {dir}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
VADInstallDir = {dir}/vad
PrefixResultNames = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps = 64
MaxQueryMem = 500M
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}/vsp
MaxClientConnections = 10
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
TempASPXDir = 0
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = 1000000
DeferInferenceRulesInit = 0
"""
# No MaxQueryCostEstimationTime and no MaxQueryExecutionTime in [SPARQL]: the tests bound
# time themselves (kb --timeout, client timeouts). Virtuoso's cost model refused queries the
# tests ask (a 3-pattern join LIMIT 1, answered in 0.05 s, is "estimated" at 2877 s against
# a limit of 400), and an execution limit makes it return partial "anytime" results as if
# complete when a loaded 2-core machine is slow.


def write_virtuoso_ini(directory: Path, sql_port: int, http_port: int) -> Path:
    """Write a private ``virtuoso.ini`` (loopback ports, own files) into ``directory``."""
    for sub in ("vad", "vsp"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    ini = directory / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=directory, sql_port=sql_port, http_port=http_port))
    return ini


def start_virtuoso(directory: Path) -> tuple[subprocess.Popen[bytes], Server]:
    """Start a private ``virtuoso-t`` in ``directory``; return the process and its URLs."""
    binary = require_tool("virtuoso-t")
    directory.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    while http_port == sql_port:
        http_port = free_port()
    ini = write_virtuoso_ini(directory, sql_port, http_port)
    base = f"http://127.0.0.1:{http_port}"
    argv = [binary, "+foreground", "+configfile", str(ini)]
    process = launch(argv, directory / "stdout.log", f"{base}/sparql?query=ASK%7B%7D", directory)
    server = Server(
        "virtuoso",
        query=f"{base}/sparql",
        update=f"{base}/sparql-auth",
        store=f"{base}/sparql-graph-crud-auth",
        user="dba",
        password="dba",
        auth="digest",
        directory=directory,
        port=sql_port,
    )
    return process, server


def isql(server: Server, statements: str, timeout: float = 60) -> str:
    """Run SQL ``statements`` on a Virtuoso ``server`` through ``isql-vt``; return stdout."""
    binary = require_tool("isql-vt")
    result = subprocess.run(
        [binary, f"127.0.0.1:{server.port}", "dba", "dba", f"exec={statements}"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return result.stdout
