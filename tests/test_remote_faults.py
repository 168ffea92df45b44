"""Endpoints that fail (issue 6): a refused connection, a server that accepts and never
answers, HTTP 401/403/404/500, and bodies that are not what their content type says.
Each ends in one ServerError line (exit 3) naming the endpoint, within the timeout, and
the credentials never appear. All servers here are loopback listeners of this test."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kb import remote
from kb.errors import ServerError, UsageError
from kb.namespaces import DEFAULT_GRAPH
from tests.servers import free_port

PASSWORD = "s3cret-Pa55word"
USER = "alice"
TIMEOUT = 1.0
DATA = b"<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n"
TWO = DATA + b'_:b <https://example.org/p> "two\\nlines"@en .\n'
#: What the fake stores below answer to a GET of the graph (after any PUT): (content
#: type, body). /short lost a triple, /cut stops mid-line, /twice repeats one; /commented,
#: /turtle and /plain (the old N-Triples type) hold DATA in another shape; /binary is
#: not RDF.
STORED = {
    "short": ("application/n-triples", DATA),
    "cut": ("application/n-triples", TWO[:-12]),
    "twice": ("application/n-triples", DATA + DATA),
    "commented": ("application/n-triples", b"# the graph\n\n" + DATA.replace(b" .", b". # c")),
    "turtle": (
        "text/turtle",
        b"<https://example.org/s> <https://example.org/p>\n  <https://example.org/o> .",
    ),
    "plain": ("text/plain", DATA),
    "binary": ("application/octet-stream", DATA),
}


class FaultHandler(BaseHTTPRequestHandler):
    """Answers by the first path segment: /401, /403, /404, /500, /echo (500 that echoes
    the request headers), /html (200 text/html), /badjson and /badrdf (200 with a body that
    is not what the content type says), /ok (a
    store that holds DATA), and the stores of STORED."""

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr log."""

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="test"')
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def _handle(self) -> None:
        self._drain()
        kind = self.path.lstrip("/").split("?")[0].split("/")[0]
        html = b"<html><body><h1>Oops</h1><p>something failed</p></body></html>"
        if kind in ("401", "403", "404", "500"):
            self._answer(int(kind), "text/html", html)
        elif kind == "echo":
            self._answer(500, "text/plain", str(self.headers).encode())
        elif kind == "html":
            self._answer(200, "text/html", html)
        elif kind == "badjson":
            self._answer(200, "application/sparql-results+json", html)
        elif self.command in ("PUT", "POST") and kind in ("badrdf", "ok", *STORED):
            self._answer(204, "text/plain", b"")
        elif kind in STORED:
            self._answer(200, *STORED[kind])
        elif kind == "ok":
            self._answer(200, "application/n-triples", DATA)
        elif kind == "badrdf":
            self._answer(200, "application/n-triples", b"<s> <p> this is not N-Triples")
        else:
            self._answer(404, "text/plain", b"no such path")

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle


@pytest.fixture(scope="module")
def faulty() -> Iterator[str]:
    """Base URL of a loopback HTTP server that answers with the faults above."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FaultHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def silent() -> Iterator[str]:
    """Base URL of a listener that accepts connections and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


@pytest.fixture
def auth() -> remote.Auth:
    """Basic credentials resolved the way the CLI resolves them: user + env password."""
    found = remote.resolve_auth("http://127.0.0.1/", USER, "basic", {remote.PASSWORD_ENV: PASSWORD})
    assert found is not None
    return found


def expect_server_error(action: Callable[[], object], url: str) -> ServerError:
    """Run ``action``; it must raise one line of ServerError naming ``url`` in time."""
    start = time.monotonic()
    with pytest.raises(ServerError) as caught:
        action()
    elapsed = time.monotonic() - start
    message = str(caught.value)
    assert caught.value.exit_code == 3
    assert "\n" not in message
    assert message.startswith(url), message
    assert PASSWORD not in message
    assert base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode() not in message
    assert elapsed < 3 * TIMEOUT + 2, f"took {elapsed:.1f} s"
    return caught.value


def query(url: str, auth: remote.Auth | None) -> Callable[[], object]:
    return lambda: remote.remote_query("ASK { ?s ?p ?o }", url, auth=auth, timeout=TIMEOUT)


def push(store: str, auth: remote.Auth | None, **kw: str) -> Callable[[], object]:
    return lambda: remote.push(DATA, store, auth=auth, timeout=TIMEOUT, **kw)


def test_refused_connection(auth: remote.Auth) -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    assert "connection refused" in str(expect_server_error(query(url, auth), url))
    assert "connection refused" in str(expect_server_error(push(url, auth), url))


def test_server_that_never_answers(silent: str, auth: remote.Auth) -> None:
    url = f"{silent}/sparql"
    assert "timeout" in str(expect_server_error(query(url, auth), url))
    assert "timeout" in str(expect_server_error(push(url, auth), url))


@pytest.mark.parametrize("status", [401, 403, 404, 500])
def test_http_errors(faulty: str, auth: remote.Auth, status: int) -> None:
    url = f"{faulty}/{status}"
    for action in (query(url, auth), push(url, auth), push(f"{faulty}/ok", auth, update_url=url)):
        error = expect_server_error(action, url)
        assert str(status) in str(error)


def test_error_body_echoing_credentials_is_scrubbed(faulty: str, auth: remote.Auth) -> None:
    url = f"{faulty}/echo"
    expect_server_error(push(url, auth), url)


def test_body_not_what_content_type_says(faulty: str, auth: remote.Auth) -> None:
    url = f"{faulty}/badjson"
    assert "not valid" in str(expect_server_error(query(url, auth), url))
    url = f"{faulty}/html"
    assert "text/html" in str(expect_server_error(query(url, auth), url))
    url = f"{faulty}/badrdf"
    assert "not valid" in str(expect_server_error(push(url, auth), url))
    endpoint = f"{faulty}/badjson"
    expect_server_error(push(f"{faulty}/ok", auth, endpoint_url=endpoint), endpoint)


def test_line_count_of_ntriples() -> None:
    assert remote.ntriples_lines(b"") == 0
    assert remote.ntriples_lines(DATA) == 1
    assert remote.ntriples_lines(TWO) == 2
    assert remote.ntriples_lines(TWO + DATA) == 3
    for body in (
        TWO[:-1],  # no final line feed
        TWO[:-12],  # cut mid-line
        b"# comment\n" + DATA,
        DATA + b"\n" + DATA,  # a blank line
        DATA.replace(b"\n", b"\r\n"),
        DATA.replace(b" .", b". # c"),
        b"<s> <p> this is not N-Triples\n",
        DATA + b"garbage .\n",
    ):
        assert remote.ntriples_lines(body) is None, body


def test_count_read_back_from_the_store(faulty: str, auth: remote.Auth) -> None:
    url = f"{faulty}/short"
    graph = remote.graph_url(url, DEFAULT_GRAPH)
    error = expect_server_error(lambda: remote.push(TWO, url, auth=auth, timeout=TIMEOUT), graph)
    assert "holds 1 triples, 2 were sent" in str(error)
    url = f"{faulty}/cut"
    graph = remote.graph_url(url, DEFAULT_GRAPH)
    error = expect_server_error(lambda: remote.push(TWO, url, auth=auth, timeout=TIMEOUT), graph)
    assert "not valid application/n-triples" in str(error)
    url = f"{faulty}/binary"
    graph = remote.graph_url(url, DEFAULT_GRAPH)
    error = expect_server_error(push(url, auth), graph)
    assert "answered Content-Type application/octet-stream, not RDF" in str(error)
    for kind in ("twice", "commented", "turtle", "plain"):  # parsed: the distinct triples count
        assert remote.push(DATA, f"{faulty}/{kind}", auth=auth, timeout=TIMEOUT).triples == 1


def test_password_from_netrc(tmp_path: pytest.TempPathFactory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    netrc = tmp_path / "netrc"  # type: ignore[operator]
    netrc.write_text(f"machine db.example.org login {USER} password {PASSWORD}\n")
    netrc.chmod(0o600)
    env = {"NETRC": str(netrc)}
    found = remote.resolve_auth("https://db.example.org/sparql", None, "digest", env)
    assert found == remote.Auth(USER, PASSWORD, "digest")
    assert PASSWORD not in repr(found)
    assert remote.resolve_auth("https://other.example.org/", None, "basic", env) is None
    with pytest.raises(UsageError) as caught:
        remote.resolve_auth("https://other.example.org/", "bob", "basic", env)
    assert caught.value.exit_code == 2


def test_credentials_in_url_refused_without_echo() -> None:
    with pytest.raises(UsageError) as caught:
        remote.remote_query("ASK {}", f"http://{USER}:{PASSWORD}@127.0.0.1:9/sparql")
    assert PASSWORD not in str(caught.value)
    assert caught.value.exit_code == 2
