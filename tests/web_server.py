"""Start ``kb serve`` as a real process on a free loopback port for the web tests, and a
plain HTTP client for them (no framework test client: what a user's program sees)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import stop

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


@dataclass(frozen=True)
class Server:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def request(
        self,
        path: str,
        headers: dict[str, str] | None = None,
        method: str = "GET",
        body: bytes | None = None,
    ) -> Reply:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            found = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, found, data)
        finally:
            connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def kb_serve(*args: str, root: Path | None = None) -> Iterator[Server]:
    """``kb [--root ROOT] serve ARGS --port P`` until the block ends."""
    port = free_port()
    command = [sys.executable, "-c", "from kb.entry import main; main()"]
    if root is not None:
        command += ["--root", str(root)]
    command += ["serve", *args, "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    server = Server("127.0.0.1", port)
    try:
        wait_until_serving(server, process, "kb serve", "/static/style.css")
        yield server
    finally:
        stop(process)


def wait_until_serving(
    server: Server,
    process: subprocess.Popen[bytes],
    name: str,
    path: str = "/",
    log: Path | None = None,
    timeout: float = START_TIMEOUT,
) -> None:
    """Return once ``server`` answers ``path``; an error saying why (the process's stderr
    and ``log``) if ``process`` (``name``) ends first or does not answer in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = process.stderr.read().decode() if process.stderr else ""
            said += log.read_text() if log is not None and log.is_file() else ""
            raise RuntimeError(f"{name} ended: {said}")
        try:
            server.request(path)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer in time")
