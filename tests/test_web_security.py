"""kb serve against hostile data and hostile requests: every literal and IRI is shown as
text, a script IRI is never a link, no page loads anything from elsewhere or runs a
script, no path leaves its directory, and errors are pages, never tracebacks."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import MINI
from tests.web_server import Server, kb_serve

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "web"
PAGES = ["/", "/id/person/evil", "/id/article/evil", "/ontology", "/shapes", "/sparql"]
_HREF = re.compile(r'\b(?:href|src|action)="([^"]*)"', re.I)


@pytest.fixture(scope="module")
def hostile() -> Iterator[Server]:
    with kb_serve(str(FIXTURES / "hostile.ttl"), root=MINI) as server:
        yield server


@pytest.mark.parametrize("path", PAGES)
def test_no_markup_from_the_data_reaches_a_page(hostile: Server, path: str) -> None:
    reply = hostile.request(path)
    assert reply.status == 200
    page = _without_our_editor(reply.text) if path == "/sparql" else reply.text
    assert "<script" not in page.lower()
    assert "<img" not in page.lower() and not re.search(r"<[^>]*onerror=", page)
    assert "</textarea><" not in page


def _without_our_editor(page: str) -> str:
    """``page`` less the two script elements of the query editor (empty, from /static)."""
    return re.sub(r'<script src="\./static/yasgui(?:\.min|-kb)\.js"></script>', "", page)


def test_literals_are_shown_escaped(hostile: Server) -> None:
    page = hostile.request("/id/person/evil").text
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;&#34;&#39;&amp;amp; {{ 7*7 }}" in page
    assert "&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "49" not in page  # the template syntax in the data was not run


@pytest.mark.parametrize("path", PAGES)
def test_no_link_runs_code_or_leaves_the_server_unasked(hostile: Server, path: str) -> None:
    page = hostile.request(path).text
    for target in _HREF.findall(page):
        assert not target.lower().startswith(("javascript:", "data:", "vbscript:")), target
        assert "'" not in target or target.startswith("https://example.org/"), target


def test_script_iris_are_shown_as_text(hostile: Server) -> None:
    page = hostile.request("/id/person/evil").text
    assert "javascript:alert(1)" in page  # visible, as text
    assert 'href="javascript' not in page.lower()
    # a quote inside an IRI cannot close the attribute
    assert 'href="https://example.org/x&#39;onmouseover=&#39;alert(3)"' in page


@pytest.mark.parametrize("path", PAGES)
def test_every_page_forbids_scripts_and_foreign_assets(hostile: Server, path: str) -> None:
    reply = hostile.request(path)
    policy = reply.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    if path == "/sparql":  # the query editor's scripts, from this server only
        assert "script-src 'self';" in policy and "connect-src 'self';" in policy
        assert "unsafe" not in policy
        for target in re.findall(r"<script[^>]*>", reply.text):
            assert re.fullmatch(r'<script src="\./static/yasgui(\.min|-kb)\.js">', target), target
    else:
        assert "script-src" not in policy
    assert reply.headers["x-content-type-options"] == "nosniff"
    for target in re.findall(r'<link[^>]*href="([^"]*)"', reply.text):
        assert not re.match(r"^[a-z]+:", target), target


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/..%2fapp.py",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%5c..%5capp.py",
        "/static/style.css%00.py",
        "/static/",
        "/static/templates",
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/id/../../../../tmp/kb-escape",
    ],
)
def test_no_path_leaves_its_directory(hostile: Server, path: str) -> None:
    reply = hostile.request(path)
    assert reply.status in (400, 404), reply.status
    assert "root:" not in reply.text and "import " not in reply.text


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        ("GET", "/sparql?query=%FF%FE", {}, None),
        ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, b"\xff\xfe"),
        ("POST", "/sparql", {"Content-Type": "text/plain"}, b"SELECT * {}"),
        ("GET", "/sparql?query=a&query=b", {}, None),
        ("GET", "/queries/..%2f..%2fetc%2fpasswd", {}, None),
        ("GET", "/queries/%3Cscript%3E", {}, None),
        ("GET", "/id/person/evil?format=%3Cscript%3E", {}, None),
        ("GET", "/id/person/evil", {"Accept": "text/html;q=abc"}, None),
        ("GET", "/id/person/evil", {"If-None-Match": "\x7f" * 100}, None),
    ],
)
def test_odd_requests_get_pages_not_tracebacks(
    hostile: Server, method: str, path: str, headers: dict[str, str], body: bytes | None
) -> None:
    reply = hostile.request(path, headers, method, body)
    assert reply.status < 500, (reply.status, reply.text)
    assert "Traceback" not in reply.text and "<script" not in reply.text.lower()


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/id/" + "x" * 200_000, {}), ("/", {"Cookie": "y" * 200_000})],
)
def test_oversized_requests_are_refused(
    hostile: Server, path: str, headers: dict[str, str]
) -> None:
    try:
        reply = hostile.request(path, headers)
    except ConnectionError:
        return  # refused before any answer: bounded all the same
    assert reply.status in (400, 414, 431), reply.status
    assert hostile.request("/").status == 200  # and the server goes on


@pytest.mark.parametrize(
    "head",
    [b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: ", b"GET /" + b"x" * 100],
    ids=["a header that never ends", "a request line that never ends"],
)
def test_a_head_that_never_ends_is_cut_off(hostile: Server, head: bytes) -> None:
    """A megabyte of one head, never finished: a server that bounds heads answers (400 or
    414) and closes; one that does not waits for more, holding all of it, and says
    nothing."""
    with socket.create_connection((hostile.host, hostile.port), timeout=10) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head)
            for _ in range(64):
                sock.sendall(b"a" * 16_384)
        answer = b""
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            answer = sock.recv(200)
    assert answer.split(b" ")[1:2] in ([b"400"], [b"414"], [b"431"]), answer
    assert hostile.request("/").status == 200
