"""Hostile servers (issue 11): every answer is bounded in time (the whole request) and in
size, redirects never leave the origin the user named (so credentials never do either),
answers are parsed with the refusals applied to local files, proxy variables are ignored
by every remote command, and a URL that cannot be used is a usage error. Each case goes
through the ``kb`` command (query, check, push) and ends in one line on stderr with its
exit code, never a traceback. The servers are loopback listeners of this test module,
threaded, with bounded loops, stopped at its end."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kb import PASSWORD_ENV
from kb.cli import cli

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "fixtures" / "mini"
KB_SCRIPT = shutil.which("kb") or str(Path(sys.executable).parent / "kb")
PASSWORD = "s3cret-Pa55word"
ASK_TRUE = b'{"head":{},"boolean":true}'
RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
ROW = b'{"s":{"type":"uri","value":"http://example.org/a"}}'
#: A few nested entities (10^3 expansions: harmless, but proof that they were expanded);
#: the real attack nests 10 levels.
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY a "ha">\n'
    b' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
    b' <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n'
    b' <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">\n]>\n'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
    b' <rdf:Description rdf:about="http://example.org/s">\n'
    b"  <rdf:value>&d;</rdf:value>\n </rdf:Description>\n</rdf:RDF>\n"
)
XML_RESULTS = (
    b'<?xml version="1.0"?>\n{doctype}<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
    b'<head><variable name="s"/></head><results>'
    b'<result><binding name="s"><uri>http://example.org/a</uri></binding></result>'
    b'<result><binding name="s">{term}</binding></result></results></sparql>'
)
#: Path -> (content type, body) of the plain 200 answers.
ANSWERS: dict[str, tuple[str, bytes]] = {
    "ask": (RESULTS_JSON, ASK_TRUE),
    "cutjson": (
        RESULTS_JSON,
        b'{"head":{"vars":["s"]},"results":{"bindings":[' + ROW + b"," + ROW[:20],
    ),
    "nonutf8": (RESULTS_JSON, b'{"head":{"vars":["s"]},"results":{"bindings":[\xff\xfe]}}'),
    "xmlbadiri": (
        RESULTS_XML,
        XML_RESULTS.replace(b"{doctype}", b"").replace(b"{term}", b"<uri>not an iri</uri>"),
    ),
    "xmlentities": (
        RESULTS_XML,
        XML_RESULTS.replace(b"{doctype}", b'<!DOCTYPE sparql [<!ENTITY e "x">]>').replace(
            b"{term}", b"<literal>&e;</literal>"
        ),
    ),
    "laughs": ("application/rdf+xml", LAUGHS),
    "html200": ("text/html", b"<html><body><h1>Welcome</h1><p>Log in first</p></body></html>"),
}


@dataclass
class Seen:
    """What a listener received: (method, path, Authorization header) per request, and
    how many body bytes its endless and dripping answers managed to send."""

    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    sent: int = 0
    stop: threading.Event = field(default_factory=threading.Event)


class Hostile(BaseHTTPRequestHandler):
    """Answers by the first path segment (see ANSWERS and ``_handle``); a path starting
    with ``store-`` is a Graph Store whose PUT/POST succeed and whose GET answers the rest
    of the name (so ``store-laughs`` reads back entities)."""

    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr log."""

    def _head(self, status: int, content_type: str, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()

    def _answer(self, status: int, content_type: str, body: bytes, **extra: str) -> None:
        self._head(status, content_type, {"Content-Length": str(len(body)), **extra})
        if self.command != "HEAD":
            self.wfile.write(body)

    def _endless(self) -> None:
        """A chunked body that never ends (until the client goes or 256 MB were sent)."""
        self._head(200, RESULTS_JSON, {"Transfer-Encoding": "chunked"})
        block = b" " * 65536
        seen: Seen = self.server.seen
        for _ in range(4096):
            if seen.stop.is_set():
                return
            try:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
            except OSError:
                return
            seen.sent += len(block)

    def _drip(self) -> None:
        """A valid ASK answer sent one byte every half second."""
        self._head(200, RESULTS_JSON, {"Content-Length": str(len(ASK_TRUE))})
        seen: Seen = self.server.seen
        for byte in ASK_TRUE:
            if seen.stop.wait(0.5):
                return
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return
            seen.sent += 1

    def _redirect(self, kind: str) -> None:
        other = self.server.other
        here = f"127.0.0.1:{self.server.server_address[1]}"
        target = {
            "toport": f"{other}/ask",
            "tohttps": f"https://{here}/ask",
            "toftp": "ftp://127.0.0.1/ask",
            "samepath": "/ask",
            "loop": "/loop",
        }[kind]
        status = 307 if kind in ("samepath", "loop") and self.command == "POST" else 302
        self._answer(status, "text/plain", b"moved", Location=target)

    def _digest_then_redirect(self) -> None:
        if self.headers.get("Authorization", "").startswith("Digest "):
            self._answer(302, "text/plain", b"moved", Location=f"{self.server.other}/ask")
        else:
            challenge = 'Digest realm="kb", nonce="abc123", qop="auth", algorithm=MD5'
            self._answer(401, "text/plain", b"who are you", **{"WWW-Authenticate": challenge})

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.requests.append(
            (self.command, self.path, self.headers.get("Authorization"))
        )
        kind = self.path.lstrip("/").split("?")[0].split("/")[0]
        if kind.startswith("store-"):
            if self.command in ("PUT", "POST"):
                self._answer(204, "text/plain", b"")
                return
            kind = kind.removeprefix("store-")
        if kind == "endless":
            self._endless()
        elif kind == "drip":
            self._drip()
        elif kind == "liar":  # announces a terabyte
            self._head(200, RESULTS_JSON, {"Content-Length": str(10**12)})
            self.wfile.write(ASK_TRUE)
        elif kind == "short":  # announces more than it sends, then closes
            self._head(200, RESULTS_JSON, {"Content-Length": "1000"})
            self.wfile.write(ASK_TRUE)
        elif kind in ("toport", "tohttps", "toftp", "samepath", "loop"):
            self._redirect(kind)
        elif kind == "digest":
            self._digest_then_redirect()
        elif kind in ANSWERS:
            self._answer(200, *ANSWERS[kind])
        else:
            self._answer(404, "text/plain", b"no such path")

    do_GET = do_POST = do_PUT = do_HEAD = _handle


def _serve(other: str = "") -> tuple[ThreadingHTTPServer, threading.Thread]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    httpd.seen = Seen()  # type: ignore[attr-defined]
    httpd.other = other  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    return httpd, thread


def _stop(httpd: ThreadingHTTPServer, thread: threading.Thread) -> None:
    httpd.seen.stop.set()  # type: ignore[attr-defined]
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@dataclass
class Servers:
    """The hostile server and the other origin it redirects to."""

    url: str
    seen: Seen
    other: str
    other_seen: Seen


@pytest.fixture
def servers() -> Iterator[Servers]:
    """A hostile server, and a second one on another port (the place redirects point to:
    it answers a valid ASK, so following a redirect there would succeed). The second one
    must receive nothing."""
    other, other_thread = _serve()
    other_url = f"http://127.0.0.1:{other.server_address[1]}"
    hostile, thread = _serve(other_url)
    try:
        yield Servers(
            f"http://127.0.0.1:{hostile.server_address[1]}",
            hostile.seen,  # type: ignore[attr-defined]
            other_url,
            other.seen,  # type: ignore[attr-defined]
        )
    finally:
        _stop(hostile, thread)
        _stop(other, other_thread)


def kb(*args: str, env: dict[str, str | None] | None = None, root: Path = REPO) -> Result:
    """``kb --root ROOT ARGS`` in-process."""
    return CliRunner().invoke(cli, ["--root", str(root), *args], env=env)


def one_line(result: Result, code: int) -> str:
    """The only stderr line of a command that failed with exit ``code``."""
    lines = result.stderr.splitlines()
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert PASSWORD not in result.stderr
    return lines[0]


def ask(url: str, *options: str, env: dict[str, str | None] | None = None) -> Result:
    """``kb query 'ASK {…}' --endpoint URL --timeout 3 OPTIONS``."""
    return kb("query", "ASK { ?s ?p ?o }", "--endpoint", url, "--timeout", "3", *options, env=env)


def check(url: str, *options: str) -> Result:
    """``kb check --endpoint URL`` (stops at the first query the server fails)."""
    return kb("check", "--endpoint", url, "--timeout", "3", *options)


def push(store: str, *options: str, env: dict[str, str | None] | None = None) -> Result:
    """``kb push --store URL`` of the mini knowledge base."""
    return kb("push", "--store", store, "--timeout", "3", *options, env=env, root=MINI)


BASIC = ("--user", "alice")
DIGEST = ("--user", "alice", "--auth", "digest")
WITH_PASSWORD: dict[str, str | None] = {PASSWORD_ENV: PASSWORD, "NETRC": "/nonexistent"}


# --- redirects ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["toport", "tohttps", "toftp"])
def test_redirect_to_another_origin_is_not_followed(servers: Servers, kind: str) -> None:
    """Neither the query nor the Basic credentials go to a place the user did not name."""
    for result in (
        ask(f"{servers.url}/{kind}", *BASIC, env=WITH_PASSWORD),
        check(f"{servers.url}/{kind}"),
        push(f"{servers.url}/{kind}", *BASIC, env=WITH_PASSWORD),
    ):
        line = one_line(result, 3)
        assert "redirect to" in line and "not followed: another origin" in line, line
    assert servers.other_seen.requests == []
    assert all(auth is None or auth.startswith("Basic ") for _m, _p, auth in servers.seen.requests)


def test_digest_challenge_then_redirect_sends_nothing_elsewhere(servers: Servers) -> None:
    result = ask(f"{servers.url}/digest", *DIGEST, env=WITH_PASSWORD)
    assert "not followed: another origin" in one_line(result, 3)
    assert any(auth and auth.startswith("Digest ") for _m, _p, auth in servers.seen.requests)
    assert servers.other_seen.requests == []


def test_same_origin_redirect_is_followed(servers: Servers) -> None:
    """A 307 to another path of the same server is followed (the POST is resent)."""
    result = ask(f"{servers.url}/samepath", *BASIC, env=WITH_PASSWORD)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "true\n"
    assert [(m, p.split("?")[0]) for m, p, _a in servers.seen.requests] == [
        ("POST", "/samepath"),
        ("POST", "/ask"),
    ]
    assert "more than 5 redirects" in one_line(ask(f"{servers.url}/loop"), 3)


# --- unbounded answers --------------------------------------------------------------------


def test_endless_answer_is_cut_at_the_size_limit(servers: Servers) -> None:
    for result in (
        ask(f"{servers.url}/endless", "--max-response-size", "1"),
        push(f"{servers.url}/store-endless", "--max-response-size", "1"),
    ):
        assert "grew past the size limit of 1 MB" in one_line(result, 3)
    # What the server could write before kb hung up: the limit plus socket buffers, not
    # the 256 MB it would send to a reader without a limit.
    assert servers.seen.sent < 64 * 1024 * 1024


def test_dripping_answer_is_cut_at_the_deadline(servers: Servers) -> None:
    """A server sending one byte every half second: cut off at --timeout for the whole
    request (a per-read timeout never fires); the 13 s drip is far from complete. The
    query, the catalogue check and the push read-back alike."""
    drip, store = f"{servers.url}/drip", f"{servers.url}/store-drip"
    for args, root in (
        (["query", "ASK { ?s ?p ?o }", "--endpoint", drip], REPO),
        (["check", "--endpoint", drip], REPO),
        (["push", "--store", store], MINI),
    ):
        started = time.monotonic()
        result = kb(*args, "--timeout", "2", root=root)
        elapsed = time.monotonic() - started
        assert "no complete answer within 2 s (timeout)" in one_line(result, 3)
        assert elapsed < 10, elapsed
    assert servers.seen.sent < 3 * len(ASK_TRUE)


def test_announced_size_over_the_limit_is_refused_before_reading(servers: Servers) -> None:
    line = one_line(ask(f"{servers.url}/liar"), 3)
    assert f"announces {10**12} bytes, over the size limit of 512 MB" in line, line
    line = one_line(ask(f"{servers.url}/short"), 3)
    assert "ended before the length it announced" in line, line


# --- answers parsed like local files ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("cutjson", "not valid application/sparql-results+json"),
        ("nonutf8", "not valid application/sparql-results+json"),
        ("xmlbadiri", "not valid application/sparql-results+xml"),
        ("xmlentities", "with a DOCTYPE or entities is refused"),
        ("html200", "answered Content-Type text/html, not SPARQL results"),
    ],
)
def test_broken_results_are_one_line(servers: Servers, kind: str, expected: str) -> None:
    select = "SELECT ?s WHERE { ?s ?p ?o }"
    for result in (
        kb("query", select, "--endpoint", f"{servers.url}/{kind}", "--format", "csv"),
        kb("query", select, "--endpoint", f"{servers.url}/{kind}"),
        check(f"{servers.url}/{kind}"),
    ):
        assert expected in one_line(result, 3)


def test_entities_in_rdf_answers_are_refused(servers: Servers) -> None:
    """RDF/XML with nested entities, as a CONSTRUCT answer and as the push read-back."""
    construct = "CONSTRUCT WHERE { ?s ?p ?o }"
    result = kb("query", construct, "--endpoint", f"{servers.url}/laughs")
    assert "application/rdf+xml with a DOCTYPE or entities is refused" in one_line(result, 3)
    result = push(f"{servers.url}/store-laughs")
    assert "application/rdf+xml with a DOCTYPE or entities is refused" in one_line(result, 3)


# --- URLs, netrc, proxies -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:99999/sparql",
        "http://127.0.0.1:abc/sparql",
        "http://[::1/sparql",
        "http://[not-an-address]/sparql",
    ],
)
def test_unusable_url_is_a_usage_error(url: str) -> None:
    for result in (
        ask(url),
        check(url),
        push(url),
        push("http://127.0.0.1:9/store", "--update", url),
        push("http://127.0.0.1:9/store", "--endpoint", url),
    ):
        assert "URL has a malformed host or port" in one_line(result, 2)


def test_netrc_with_bytes_that_are_not_utf8(servers: Servers, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_bytes(b"machine 127.0.0.1 login alice password caf\xe9\n")
    netrc.chmod(0o600)
    env: dict[str, str | None] = {"NETRC": str(netrc), PASSWORD_ENV: None}
    line = one_line(ask(f"{servers.url}/ask", env=env), 2)
    assert line == f"{netrc}: unreadable netrc file (not UTF-8)"
    assert servers.seen.requests == []


def test_proxy_variables_are_ignored_by_every_remote_command(servers: Servers) -> None:
    """The 'other' server stands as the proxy: nothing reaches it, the endpoint answers.
    In a child process: proxy variables may be read once per process (urllib does)."""
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "all_proxy"):
        env[name] = servers.other
    query = ["query", "ASK { ?s ?p ?o }", "--endpoint", f"{servers.url}/ask"]
    store = ["push", "--store", f"{servers.url}/store-ask", "--timeout", "3"]
    asked, pushed = (
        subprocess.run(
            [KB_SCRIPT, "--root", str(root), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        for root, args in ((REPO, query), (MINI, store))
    )
    assert (asked.returncode, asked.stdout) == (0, "true\n"), asked.stderr
    assert pushed.returncode == 3  # the read-back is not RDF: an answer from the store itself
    assert "answered Content-Type application/sparql-results+json, not RDF" in pushed.stderr
    assert servers.other_seen.requests == []
    assert servers.other_seen.requests == []
    assert {p.split("?")[0] for _m, p, _a in servers.seen.requests} >= {"/ask", "/store-ask"}


def test_results_json_is_checked_before_any_row_is_printed(servers: Servers) -> None:
    """Nothing reaches stdout when the answer breaks after its first row."""
    result = kb("query", "SELECT ?s WHERE { ?s ?p ?o }", "--endpoint", f"{servers.url}/cutjson")
    assert result.stdout == ""
