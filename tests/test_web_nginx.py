"""The nginx snippet ``kb site`` writes, served by a real nginx on a loopback port over a
``kb site`` directory: browsers get the page, RDF clients the file their ``Accept``
names first, anything else the page (static hosting has no 406), extensions always."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.resources import Layout
from kb.web.app import load_site
from kb.web.site import write_site
from tests.helpers import MINI, require_tool
from tests.test_web import JENA, RDFLIB_JSONLD, RDFLIB_NT, RDFLIB_TURTLE, RDFLIB_XML
from tests.web_server import Server, free_port, wait_until_serving

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "web"
CHROMIUM = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def _nginx() -> str:
    """nginx, also where Debian puts it (/usr/sbin, not on every user's PATH)."""
    found = shutil.which("nginx", path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin")
    return found or require_tool("nginx")


def _configuration(site: Path, work: Path, port: int) -> str:
    """A whole nginx.conf around the snippet: its map block in ``http``, the rest in the
    ``server`` whose root is the site (as docs/deployment.md says to place them)."""
    snippet = (site / "nginx.conf").read_text()
    found = re.search(r"^map \$http_accept .*?^\}\n", snippet, re.S | re.M)
    assert found, "the snippet has no map block"
    rest = snippet.replace(found.group(0), "")
    temp = " ".join(
        f"{kind}_temp_path {work / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    return f"""daemon off;
master_process off;
pid {work / "nginx.pid"};
error_log {work / "error.log"};
events {{}}
http {{
    access_log off;
    {temp}
    {found.group(0)}
    server {{
        listen 127.0.0.1:{port};
        root {site};
        {rest}
    }}
}}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kb-site") / "site"
    write_site(load_site(Layout(MINI), [FIXTURES / "statements.ttl"]), root)
    return root


@pytest.fixture(scope="module")
def nginx(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    binary = _nginx()
    work = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(_configuration(site, work, port))
    check = subprocess.run(
        [binary, "-t", "-p", str(work), "-c", str(conf), "-e", "stderr"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [binary, "-p", str(work), "-c", str(conf), "-e", "stderr"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Server("127.0.0.1", port)
    try:
        wait_until_serving(server, process, "nginx")
        yield server
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def resource(site: Path) -> str:
    """The path of a resource of the site (its page and its RDF files beside it)."""
    first = sorted(site.glob("id/*/*.ttl"))[0]
    return "/" + str(first.relative_to(site).with_suffix(""))


#: (Accept, the media type a static server answers with): shared with the Apache test
NEGOTIATION = [
    (CHROMIUM, "text/html"),
    ("*/*", "text/html"),
    (None, "text/html"),
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/n-triples", "application/n-triples"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("text/turtle;q=1.0, application/rdf+xml;q=0.5", "text/turtle"),
    ("application/ld+json, text/turtle;q=0.5", "application/ld+json"),
    ("application/rdf+xml, text/turtle", "application/rdf+xml"),
    ("text/turtle;q=0, text/html;q=0.5", "text/html"),
    ("image/png", "text/html"),
    # as real clients send them (tests/test_web.py): Jena's arq --data=URL, rdflib
    (JENA, "text/turtle"),
    (RDFLIB_TURTLE, "text/turtle"),
    (RDFLIB_JSONLD, "application/ld+json"),
    (RDFLIB_XML, "application/rdf+xml"),
    (RDFLIB_NT, "application/n-triples"),
    ("application/x-turtle", "text/turtle"),
    ("text/plain, text/turtle", "text/turtle"),
    ("text/plain;q=0, */*", "text/html"),
]


@pytest.mark.parametrize(("accept", "media_type"), NEGOTIATION)
def test_nginx_negotiates_over_the_site(
    nginx: Server, resource: str, accept: str | None, media_type: str
) -> None:
    reply = nginx.request(resource, {"Accept": accept} if accept else {})
    assert reply.status == 200
    assert reply.media_type == media_type, reply.headers
    assert reply.headers.get("vary") == "Accept"
    assert "default-src 'none'" in reply.headers.get("content-security-policy", "")


@pytest.mark.parametrize(
    ("extension", "media_type"), [(".ttl", "text/turtle"), (".html", "text/html")]
)
def test_nginx_serves_each_format_by_its_extension(
    nginx: Server, resource: str, extension: str, media_type: str
) -> None:
    reply = nginx.request(resource + extension, {"Accept": "application/rdf+xml"})
    assert reply.status == 200 and reply.media_type == media_type


def test_nginx_answers_an_unknown_resource_with_the_404_page(nginx: Server) -> None:
    reply = nginx.request("/id/person/nobody", {"Accept": "text/turtle"})
    assert reply.status == 404 and reply.media_type == "text/html"
