"""Defects found by trying the project as an outside attacker would (issue #11's classes,
on the entry points built since: kb serve, kb site), each class with a test that failed
before its fix. Web requests go to the ASGI application in-process (no port, no thread):
the request line reaches it as a client could send it, percent-escapes and all."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.resources import Layout
from kb.web.app import Site, create_app, load_site
from tests.helpers import MINI

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "web"


@pytest.fixture(scope="module")
def hostile_site() -> Iterator[Site]:
    site = load_site(Layout(MINI), [FIXTURES / "hostile.ttl"], timeout=None)
    yield site
    site.endpoint.close()


def call(
    site: Site, raw_path: bytes, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request to ``site``'s application."""
    path, _, query = raw_path.partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path.decode("latin-1"),
        "raw_path": path,
        "query_string": query,
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(create_app(site)(scope, receive, send))
    start = sent[0]
    answer_headers = {k.decode(): v.decode("latin-1") for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], answer_headers, body


# --- kb serve: a path that is no IRI is a page that does not exist, not a server bug ---


@pytest.mark.parametrize("raw_path", [b"/%", b"/id/%zz", b"/<script>", b"/id/{x}", b'/a"b'])
def test_a_path_that_is_no_iri_is_a_404(
    hostile_site: Site, raw_path: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="kb.web"):
        status, _, body = call(hostile_site, raw_path)
    assert status == 404, body[:300]
    assert not caplog.records  # no traceback logged as a bug
    assert b"<script>" not in body
