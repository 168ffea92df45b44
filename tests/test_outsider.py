"""Defects found by trying the project as an outside attacker would (issue #11's classes,
on the entry points built since: kb serve, kb site), each class with a test that failed
before its fix. Web requests go to the ASGI application in-process (no port, no thread):
the request line reaches it as a client could send it, percent-escapes and all."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from kb.errors import InputError, TimeLimitError
from kb.resources import Layout
from kb.web.app import Site, create_app, load_site
from tests.helpers import KB_SCRIPT, MINI

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


# --- kb site: what the data names never replaces the site's own files ---

CLASHING = """@prefix schema: <https://schema.org/> .
@prefix base: <https://w3id.org/lifesci-news-kb/> .
base:index schema:name "NOT THE HOME PAGE" .
base:sparql schema:name "NOT THE SPARQL NOTE" .
base:404 schema:name "NOT THE 404 PAGE" .
<https://w3id.org/lifesci-news-kb/queries/persons> schema:name "NOT THE QUESTION" .
<https://w3id.org/lifesci-news-kb/id/x> schema:name "x" .
<https://w3id.org/lifesci-news-kb/id/x.html/y> schema:name "NOT A FILE UNDER A FILE" .
<https://w3id.org/lifesci-news-kb/id/%s> schema:name "NOT A NAME TOO LONG" .
""" % ("a" * 300)


def test_a_resource_never_replaces_the_sites_own_files(tmp_path: Path) -> None:
    from kb.web.site import write_site

    data = tmp_path / "clash.ttl"
    data.write_text(CLASHING)
    site = load_site(Layout(MINI), [data], timeout=None)
    target = tmp_path / "site"
    write_site(site, target)
    for name in ("index.html", "sparql.html", "404.html", "queries/persons.html"):
        assert b"NOT THE" not in (target / name).read_bytes(), name
    assert (target / "id/x.html").is_file() and (target / "id/x.ttl").is_file()
    # the clashing and the unnameable resources are left out, not the whole site
    assert not [p for p in target.rglob("*") if "aaaa" in p.name or p.name == "y.html"]


# --- SPARQL nested deep enough to overflow pyoxigraph's stack: refused, never a crash ---


def _nested(depth: int) -> str:
    return "SELECT * WHERE { " + "{" * depth + " ?s ?p ?o " + "}" * depth + " }"


def _query_in_process(query: Path) -> subprocess.CompletedProcess[str]:
    """kb query --timeout 0 (in kb's own process, no worker) of the file ``query``."""
    return subprocess.run(
        [KB_SCRIPT, "--root", str(MINI), "query", "--timeout", "0", str(query)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_deeply_nested_query_is_refused_not_a_crash(tmp_path: Path) -> None:
    query = tmp_path / "deep.rq"
    query.write_text(_nested(3000))
    # --timeout 0 runs in kb's own process: before, pyoxigraph's parser overflowed its
    # stack and the process died of SIGSEGV (the server too, under kb serve --timeout 0)
    done = _query_in_process(query)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "nested more than" in done.stderr and "Traceback" not in done.stderr


def test_a_deeply_nested_query_is_a_400_from_the_endpoint(hostile_site: Site) -> None:
    status, _, body = call(hostile_site, b"/sparql?query=" + quote(_nested(3000)).encode())
    assert status == 400 and b"nested more than" in body
    assert hostile_site.endpoint.answer(_nested(20)).form == "SELECT"  # shallow ones run


def test_the_nesting_limit_is_exact_with_brackets_in_strings_and_comments() -> None:
    """The quick answer (no more brackets than the limit) must not hide a deep one, and
    brackets that nest nothing (strings, comments, IRIs) must not refuse a shallow one."""
    from kb.sparql_text import MAX_NESTING, check_nesting

    check_nesting(_nested(MAX_NESTING - 1))  # with WHERE's group: the limit itself
    with pytest.raises(InputError, match="nested more than"):
        check_nesting(_nested(MAX_NESTING))
    noise = "# " + "{(" * MAX_NESTING + "\n"
    shallow = _nested(3).replace("?o", f"'{'[' * MAX_NESTING}' {noise}")
    check_nesting(shallow)
    with pytest.raises(InputError, match="nested more than"):  # deep, past the noise
        check_nesting(noise + _nested(MAX_NESTING))


def test_deeply_nested_sparql_in_shapes_is_refused_not_a_crash(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    select = _nested(3000).replace("SELECT *", "SELECT $this").replace("?s", "$this")
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/a> ;\n"
        f'  sh:sparql [ sh:select """{select}""" ] .\n'
    )
    done = subprocess.run(
        [KB_SCRIPT, "--root", str(MINI), "validate", "--timeout", "0", "--shapes", str(shapes)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "nests brackets more than" in done.stderr


# --- RDF/XML nested deep: refused at once, in a file or in a server's answer ---


def _deep_rdfxml(depth: int) -> bytes:
    open_, close = "<ex:p><rdf:Description>", "</rdf:Description></ex:p>"
    return (
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/a">'
        + open_ * depth
        + "<ex:p>1</ex:p>"
        + close * depth
        + "</rdf:Description></rdf:RDF>\n"
    ).encode()


def test_deeply_nested_rdfxml_is_refused_at_once(tmp_path: Path) -> None:
    data = tmp_path / "deep.rdf"
    data.write_bytes(_deep_rdfxml(40_000))  # 1.9 MB; before, pyoxigraph took minutes
    done = subprocess.run(
        [KB_SCRIPT, "export", str(data)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2, done.stderr
    assert "nested more than 1000 elements deep" in done.stderr


def test_deeply_nested_rdfxml_from_a_server_is_refused() -> None:
    from kb.errors import ServerError
    from kb.remote.answers import parse_rdf
    from kb.remote.client import HttpClient, Response

    headers = {"content-type": "application/rdf+xml"}
    answer = Response(200, "OK", headers, _deep_rdfxml(2000))
    with pytest.raises(ServerError, match="nested more than"):
        parse_rdf(HttpClient(), "http://127.0.0.1:9/store", answer)
    shallow = Response(200, "OK", headers, _deep_rdfxml(50))
    assert len(parse_rdf(HttpClient(), "http://127.0.0.1:9/store", shallow)) == 51


# --- a server's redirect Location passes the checks a user's URL passes ---


@pytest.fixture(scope="module")
def redirecting() -> Iterator[str]:
    """A server whose every answer is a 307 to the Location named in the query string
    (or, for ``500:BODY`` or ``200:BODY``, that status with that body as SPARQL JSON)."""
    import http.server
    import threading
    from urllib.parse import unquote_to_bytes

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            location = unquote_to_bytes(self.path.partition("?")[2]).decode("latin-1")
            if location[:4] in ("500:", "200:"):  # an answer whose body is the rest
                body = location[4:].encode("latin-1")
                self.send_response(int(location[:3]))
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(307)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "location",
    ["http://[::1/x", "/é", "/a b", "http://u:p@{host}/x", "http://{host}@127.0.0.2/x"],
)
def test_a_malformed_redirect_is_one_line_not_followed(redirecting: str, location: str) -> None:
    from kb.errors import ServerError
    from kb.remote.client import HttpClient

    host = redirecting.split("/")[2]
    url = redirecting + "?" + quote(location.format(host=host), safe="")
    with pytest.raises(ServerError, match="not followed"):
        HttpClient(timeout=10).request("GET", url)


def test_link_headers_never_read_as_a_scheme(tmp_path: Path) -> None:
    data = tmp_path / "colon.ttl"
    data.write_text(
        "<https://w3id.org/lifesci-news-kb/javascript:alert(1)> <https://schema.org/name> 'x' ."
    )
    site = load_site(Layout(MINI), [data], timeout=None)
    status, headers, _ = call(site, b"/javascript:alert(1)", headers={"Accept": "text/turtle"})
    assert status == 200
    links = [part.split(">")[0].lstrip(" <") for part in headers["link"].split(",")]
    assert links and all(link.startswith("./javascript:") for link in links), links
    status, headers, _ = call(site, b"/javascript:alert(1).ttl")
    assert headers["content-location"].startswith("./")


# --- kb site ended by SIGTERM / SIGHUP leaves no half-built directory ---


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_kb_site_ended_by_a_signal_leaves_nothing_half_built(
    tmp_path: Path, signum: signal.Signals
) -> None:
    process = subprocess.Popen(
        [KB_SCRIPT, "site", "-o", str(tmp_path / "site")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while not list(tmp_path.glob(".site.*.new/id")) and process.poll() is None:
            time.sleep(0.05)  # until it is writing pages
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 128 + signum, stderr
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())


# --- nothing from the data or a server acts on the terminal ---

ANSI_NAME = "Evil\\u001b]0;pwned\\u0007\\u001b[2J\\u202eTXT"


def test_query_tables_and_messages_never_carry_terminal_controls(tmp_path: Path) -> None:
    import shutil

    from tests.helpers import kb

    root = tmp_path / "root"
    shutil.copytree(MINI, root)
    person = "<https://w3id.org/lifesci-news-kb/id/person/ansi>"
    (root / "data" / "ansi.ttl").write_text(f'{person} <https://schema.org/name> "{ANSI_NAME}" .\n')
    result = kb("query", "SELECT ?n WHERE { ?p <https://schema.org/name> ?n }", root=root)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "Evil\\u001B]0;pwned\\u0007\\u001B[2J\\u202ETXT" in result.stdout


def test_an_error_quoting_a_server_never_carries_terminal_controls(redirecting: str) -> None:
    import os
    import pty

    url = redirecting + "?" + quote("500:<p>\x1b]0;pwned\x07\x1b[2J</p>", safe="")
    # stderr on a terminal: click strips some escapes from a pipe, none from a terminal
    reader, writer = pty.openpty()
    try:
        done = subprocess.run(
            [KB_SCRIPT, "query", "ASK {}", "--endpoint", url, "--timeout", "10"],
            stdout=subprocess.DEVNULL,
            stderr=writer,
            timeout=60,
        )
        said = os.read(reader, 65536)
    finally:
        os.close(reader)
        os.close(writer)
    assert done.returncode == 3, said
    assert b"HTTP 500" in said and b"pwned" in said
    assert b"\x1b" not in said and b"\x07" not in said, said


# --- kb serve --host: never every interface by accident ---


@pytest.mark.parametrize(("host", "said"), [("", "--host is empty"), ("no such host", "--host")])
def test_an_empty_or_unknown_host_is_a_usage_error(host: str, said: str) -> None:
    from kb.errors import UsageError
    from kb.web.app import _bind

    with pytest.raises(UsageError, match=said):
        _bind(host, 0).close()  # before: "" listened on 0.0.0.0, the whole network


# --- SPARQL XML results that XML 1.0 cannot carry: refused, never written broken ---

CONTROL_QUERY = 'SELECT ?x WHERE { BIND("a\\u0001b" AS ?x) }'


def test_xml_results_with_a_control_character_are_refused() -> None:
    from tests.helpers import kb

    result = kb("query", CONTROL_QUERY, "--format", "xml")
    assert result.exit_code == 2, result.output
    assert "U+0001" in result.stderr and "<sparql" not in result.stdout
    assert kb("query", CONTROL_QUERY, "--format", "json").exit_code == 0


def test_the_endpoint_never_sends_broken_xml(hostile_site: Site) -> None:
    import xml.dom.minidom

    xml_please = {"Accept": "application/sparql-results+xml"}
    target = b"/sparql?query=" + quote(CONTROL_QUERY).encode()
    status, _, body = call(hostile_site, target, headers=xml_please)
    assert status == 406 and b"U+0001" in body, (status, body[:200])
    plain = b"/sparql?query=" + quote('SELECT ?x WHERE { BIND("a<&b" AS ?x) }').encode()
    status, _, body = call(hostile_site, plain, headers=xml_please)
    assert status == 200
    xml.dom.minidom.parseString(body)


# --- --base-iri that no IRI could fall under: a usage error, not an empty site ---


@pytest.mark.parametrize(
    "base", ["", "not an iri", "javascript:x//", "https://w3id.org/lifesci-news-kb"]
)
def test_a_base_iri_that_maps_nothing_is_refused(tmp_path: Path, base: str) -> None:
    from tests.helpers import kb

    result = kb("site", "-o", str(tmp_path / "site"), "--base-iri", base)
    assert result.exit_code == 2, result.output
    assert "--base-iri" in result.stderr and not (tmp_path / "site").exists()


def test_several_formats_asked_at_once_are_a_400(hostile_site: Site) -> None:
    status, _, body = call(hostile_site, b"/id/person/evil?format=ttl&format=html")
    assert status == 400 and b"one format" in body  # before: the last one won, silently
    assert call(hostile_site, b"/id/person/evil?format=ttl")[0] == 200


def _validate_endpoint(url: str) -> subprocess.CompletedProcess[str]:
    """kb validate --endpoint ``url`` (the redirecting server's canned answer)."""
    return subprocess.run(
        [KB_SCRIPT, "validate", "--endpoint", url, "--timeout", "10"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_validate_endpoint_answering_other_variables_is_one_line(redirecting: str) -> None:
    rows = '{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"uri","value":"a:b"}}]}}'
    url = redirecting + "?" + quote("200:" + rows, safe="")
    done = _validate_endpoint(url)
    assert done.returncode == 3, done.stderr  # before: KeyError, a traceback, exit 1
    assert "without the variable" in done.stderr and "Traceback" not in done.stderr


def test_validate_endpoint_of_an_empty_graph_is_no_conforms(redirecting: str) -> None:
    nothing = '{"head":{"vars":["s"]},"results":{"bindings":[]}}'
    url = redirecting + "?" + quote("200:" + nothing, safe="")
    done = _validate_endpoint(url)
    assert done.returncode == 3, (done.stdout, done.stderr)  # before: "conforms", exit 0
    assert "holds no triple" in done.stderr and "conforms" not in done.stdout


# --- a resource RDF/XML cannot carry: the other formats still, never a 500 ---


def test_a_resource_rdfxml_cannot_carry_is_a_406_and_left_out_of_the_site(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from kb.web.site import write_site

    data = tmp_path / "control.nt"
    data.write_text(
        '<https://w3id.org/lifesci-news-kb/id/ctl> <https://schema.org/name> "a\\u0001b" .\n'
    )
    site = load_site(Layout(MINI), [data], timeout=None)
    with caplog.at_level(logging.ERROR, logger="kb.web"):
        status, _, body = call(site, b"/id/ctl", headers={"Accept": "application/rdf+xml"})
    assert status == 406 and b"U+0001" in body and not caplog.records
    assert call(site, b"/id/ctl", headers={"Accept": "text/turtle"})[0] == 200
    write_site(site, tmp_path / "site")
    assert (tmp_path / "site/id/ctl.ttl").is_file() and (tmp_path / "site/id/ctl.html").is_file()
    assert not (tmp_path / "site/id/ctl.rdf").exists()


# --- kb serve ended by SIGTERM / SIGHUP: its query workers ended and reaped, one line ---


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (read from /proc: Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize(
    ("signum", "said"), [(signal.SIGTERM, "terminated"), (signal.SIGHUP, "hung up")]
)
def test_kb_serve_ended_by_a_signal_ends_and_reaps_its_workers(
    signum: signal.Signals, said: str
) -> None:
    process = subprocess.Popen(
        [KB_SCRIPT, "--root", str(MINI), "serve", "--port", "0", "--timeout", "30"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        assert "serving on" in process.stderr.readline()
        workers = _children(process.pid)
        assert workers  # the query workers, forked before it listens
        process.send_signal(signum)
        stderr = process.stderr.read()
        process.wait(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 128 + signum, stderr
    assert f"kb: {said}" in stderr and "Traceback" not in stderr
    # before: left as zombies under init (which need not reap them), or running on
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


# --- kb site: the catalogue's queries under the same time limit as kb query ---


def test_kb_site_stops_a_catalogue_query_past_its_timeout(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "root"
    shutil.copytree(MINI, root)
    # blank nodes nested 150 deep: pyoxigraph takes exponential time (100: seconds)
    nested = "[ ?p " * 150 + "1" + " ]" * 150
    (root / "queries" / "slow.rq").write_text(f"SELECT * WHERE {{ ?s ?p {nested} }}\n")
    done = subprocess.run(
        [KB_SCRIPT, "--root", str(root), "site", "-o", str(tmp_path / "site"), "--timeout", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr  # before: no --timeout, and no end
    assert "slow" in done.stderr and "longer than 1 s" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "site").exists()


# --- the endpoint's messages speak of the endpoint, never of command-line options ---

_CLI_WORDS = re.compile(r"--[a-z]|\bkb [a-z]")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }",
        "DELETE WHERE { ?s ?p ?o }",
    ],
)
def test_endpoint_refusals_name_no_command_line_option(hostile_site: Site, query: str) -> None:
    for accept in ("text/plain", "text/html"):
        status, _, body = call(
            hostile_site, b"/sparql?query=" + quote(query).encode(), headers={"Accept": accept}
        )
        said = body.decode()
        assert status == 400 and "refused" in said, said[:300]
        assert not _CLI_WORDS.search(said.split("<textarea")[0]), said[
            :300
        ]  # before: --allow-service


def test_kb_query_still_names_its_option_for_service() -> None:
    from tests.helpers import kb

    result = kb("query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert result.exit_code == 2 and "--allow-service" in result.stderr


# --- kb explain's messages speak of its argument, never of --bind ---


@pytest.mark.parametrize("resource", ["x\x1b[31m", "<http://example.org/a b>", "a\x7fb"])
def test_explain_messages_speak_of_its_argument(resource: str) -> None:
    from tests.helpers import kb

    result = kb("explain", resource)
    assert result.exit_code == 2, result.output
    assert "--bind" not in result.stderr and "RESOURCE" in result.stderr, result.stderr
    assert "\x1b" not in result.stderr


# --- kb site -o: a target it cannot write is named as given, and why said in words ---


@pytest.mark.parametrize(
    ("target", "why"),
    [
        (".", "current directory"),
        ("../here", "current directory"),
        ("/proc/kb-site", "cannot create"),
        ("/sys/kb-site", "cannot create"),
    ],
)
def test_a_site_target_it_cannot_write_is_named_as_given(
    tmp_path: Path, target: str, why: str
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    done = subprocess.run(
        [KB_SCRIPT, "--root", str(MINI), "site", "-o", target],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=here,
    )
    assert done.returncode == 2, done.stderr
    # before: "kb: .: Device or resource busy", "kb: /proc/.kb-site.x1y2.new: No such file",
    # and ../here replaced the directory the user stood in
    assert done.stderr.startswith(f"{target}: ") and why in done.stderr, done.stderr
    assert ".new" not in done.stderr and len(done.stderr.splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["here"] and not list(here.iterdir())


# --- a server's Content-Length that is no length: refused at once, not read to the end ---


@pytest.fixture(scope="module")
def raw_headers() -> Iterator[str]:
    """A server that answers 200 with the header lines named in the query string (one
    per ``\\n``) and a 2-byte body, then holds the connection open without closing it."""
    import socket
    import threading
    from urllib.parse import unquote

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def answer(connection: socket.socket) -> None:
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                block = connection.recv(65536)
                if not block:
                    return
                request += block
            target = request.split(b" ")[1].decode()
            lines = unquote(target.partition("?")[2]).split("\n")
            head = "HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
            connection.sendall((head + "".join(f"{h}\r\n" for h in lines) + "\r\n").encode())
            connection.sendall(b"{}")
            stop.wait(30)  # never closes first: only the announced length ends the body

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    stop.set()
    listener.close()


@pytest.mark.parametrize(
    "headers",
    [
        "Content-Length: -5",
        "Content-Length: abc",
        "Content-Length: +2",
        "Content-Length: 2\nContent-Length: 7",
        "Content-Length: 2, 7",
        "Content-Length: \uff12",
    ],
)
def test_a_content_length_that_is_no_length_is_refused_at_once(
    raw_headers: str, headers: str
) -> None:
    from kb.errors import ServerError
    from kb.remote.client import HttpClient

    url = raw_headers + "?" + quote(headers)
    # before: read until the server closed, i.e. cut off only at the timeout
    with pytest.raises(ServerError, match=r"Content-Length .* is no length"):
        HttpClient(timeout=5).request("GET", url)


def test_a_repeated_equal_content_length_is_read(raw_headers: str) -> None:
    from kb.remote.client import HttpClient

    for headers in ("Content-Length: 2\nContent-Length: 2", "Content-Length: 2, 2"):
        answer = HttpClient(timeout=5).request("GET", raw_headers + "?" + quote(headers))
        assert answer.body == b"{}"


def test_kb_query_refuses_a_negative_content_length_in_one_line(raw_headers: str) -> None:
    url = raw_headers + "?" + quote("Content-Length: -5")
    done = subprocess.run(
        [KB_SCRIPT, "query", "ASK {}", "--endpoint", url, "--timeout", "5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    assert "is no length" in done.stderr and len(done.stderr.splitlines()) == 1


def test_an_unknown_question_page_names_no_command_line_option(hostile_site: Site) -> None:
    from tests.helpers import kb

    status, _, body = call(hostile_site, b"/queries/zzzzzz")
    assert status == 404 and b"unknown query" in body
    assert b"kb query" not in body and b"--list" not in body  # before: see kb query --list
    result = kb("query", "zzzzzz")
    assert result.exit_code == 2 and "see kb query --list" in result.stderr


# --- long operator chains: no bracket nests, yet pyoxigraph's tree overflows its stack ---

#: Texts under the endpoint's 32,000 characters whose parse tree is thousands deep without
#: one bracket nesting another: before, each killed the process with SIGSEGV in
#: pyoxigraph 0.5 (a web worker, ``kb query --timeout 0``, ``kb validate``'s engine).
_CHAINS = {
    "negations": "SELECT * { FILTER(" + "!" * 12000 + "true) }",
    "sums": "SELECT * { FILTER(" + "+".join(["1"] * 9000) + " > 0) }",
    "minus groups": "SELECT * { " + "MINUS{}" * 4400 + " }",
    "quoted triples": "SELECT * { "
    + "<< " * 3000
    + "<a:a> <a:b> <a:c>"
    + " >> <a:p> <a:o>" * 3000
    + " }",
}


@pytest.mark.parametrize("name", sorted(_CHAINS))
def test_a_long_operator_chain_is_refused_as_too_deep(name: str) -> None:
    from kb.sparql_text import check_nesting

    with pytest.raises(InputError, match="operators"):
        check_nesting(_CHAINS[name], "q.rq")
    check_nesting("SELECT * { FILTER(!!(1 + 2 - 3 * 4 / 5 > 0 || !true)) } # " + "!" * 5000)


def test_kb_query_refuses_a_long_negation_chain_in_one_line(tmp_path: Path) -> None:
    query = tmp_path / "chain.rq"
    query.write_text(_CHAINS["negations"])
    done = _query_in_process(query)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "operators" in done.stderr and "Traceback" not in done.stderr


def test_a_long_operator_chain_is_a_400_from_the_endpoint(hostile_site: Site) -> None:
    status, _, body = call(hostile_site, b"/sparql?query=" + quote(_CHAINS["sums"]).encode())
    assert status == 400 and b"operators" in body, (status, body[:300])


def test_a_long_operator_chain_in_shapes_is_refused_not_a_crash() -> None:
    import pyoxigraph as ox

    from kb.shacl.model import ShapesFailure
    from kb.shacl.sparql import refuse_service

    shapes = ox.Store()
    select = _CHAINS["negations"].replace("SELECT *", "SELECT $this")
    shapes.add(
        ox.Quad(
            ox.NamedNode("http://example.org/c"),
            ox.NamedNode("http://www.w3.org/ns/shacl#select"),
            ox.Literal(select),
        )
    )
    with pytest.raises(ShapesFailure, match="operators"):
        refuse_service(shapes)


# --- the endpoint's pooled workers: memory capped as kb query's worker is ---


#: What a query past the 150 MB memory cap fails with (as kb query says it).
PAST_MEMORY = "query: query needed more than 150 MB of memory"


def _doubling(times: int) -> str:
    """A short query whose one string doubles ``times`` times (2**(times+1) bytes)."""
    binds = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(times))
    return f'SELECT (STRLEN(?v{times}) AS ?n) {{ BIND("ab" AS ?v0) {binds} }}'


def test_a_pooled_query_past_the_memory_limit_fails_and_the_pool_serves_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before, the pool's workers had no cap: 40 doublings in 700 characters asked for a
    terabyte, and the machine's out-of-memory killer chose what to end."""
    import pyoxigraph as ox

    from kb.web.sparql import Endpoint

    monkeypatch.setenv("KB_MEMORY_LIMIT_MB", "150")
    endpoint = Endpoint(ox.Store(), timeout=60, workers=1)
    try:
        with pytest.raises(TimeLimitError, match=PAST_MEMORY):
            endpoint.answer(_doubling(28))  # 512 MB
        assert endpoint.answer(_doubling(3)).rows == (
            ('"16"^^<http://www.w3.org/2001/XMLSchema#integer>',),
        )

        async def pooled() -> None:
            with pytest.raises(TimeLimitError, match=PAST_MEMORY):
                await endpoint.respond(_doubling(28), "application/sparql-results+json")
            found = await endpoint.respond(_doubling(3), "application/sparql-results+json")
            assert b'"16"' in found.body

        asyncio.run(pooled())
    finally:
        endpoint.close()


def test_a_pooled_worker_past_the_memory_limit_leaves_one_log_line(
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before, the worker's abort wrote Rust's "memory allocation of N bytes failed" and,
    with RUST_BACKTRACE set, a backtrace of 60 lines to the server's stderr, once per
    query a client sent: now nothing from the worker, and one warning of the server's."""
    import pyoxigraph as ox

    from kb.web.sparql import Endpoint

    monkeypatch.setenv("KB_MEMORY_LIMIT_MB", "150")
    monkeypatch.setenv("RUST_BACKTRACE", "1")  # the most Rust would write
    endpoint = Endpoint(ox.Store(), timeout=60, workers=1)
    try:
        with caplog.at_level(logging.WARNING, logger="kb.web"):
            for _ in range(2):
                with pytest.raises(TimeLimitError, match=PAST_MEMORY):
                    endpoint.answer(_doubling(28))
    finally:
        endpoint.close()
    err = capfd.readouterr().err
    assert "memory allocation" not in err and "backtrace" not in err, err[:500]
    warned = [r.getMessage() for r in caplog.records if r.name == "kb.web"]
    line = "a query worker ran past its 150 MB memory allowance (KB_MEMORY_LIMIT_MB)"
    assert warned == [line + "; a new one is forked"] * 2


def test_a_pooled_answer_past_its_byte_limit_is_refused_in_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before, an answer of 10,000 rows of long strings went whole to the server's own
    process (whose memory no cap bounds), each concurrent one a copy more."""
    import pyoxigraph as ox

    from kb.web import sparql

    monkeypatch.setattr(sparql, "MAX_ANSWER_BYTES", 4000, raising=False)
    endpoint = sparql.Endpoint(ox.Store(), timeout=60, workers=1)
    big = _doubling(11).replace("(STRLEN(?v11) AS ?n)", "?v11")  # 4 KB
    try:
        with pytest.raises(InputError, match="larger than 4000 bytes"):
            endpoint.answer(big)

        async def pooled() -> None:
            with pytest.raises(InputError, match="larger than 4000 bytes"):
                await endpoint.respond(big, "text/csv")
            found = await endpoint.respond(_doubling(3), "text/csv")
            assert found.body == b"n\r\n16\r\n"

        asyncio.run(pooled())
    finally:
        endpoint.close()


# --- the fast engine's rewrites: only for a constraint meaning what ours means ---


def _written_constraints() -> list[tuple[str, str]]:
    """(prefixes, sh:select) of each SPARQL constraint of the project's shapes."""
    from kb.resources import default_layout
    from kb.shacl.graph import TripleIndex, sh
    from kb.shacl.model import ShapesGraph
    from kb.shacl.sparql import SparqlConstraint
    from kb.store import load_files

    shapes = ShapesGraph(TripleIndex.from_any(load_files([default_layout().shapes])))
    found = []
    for shape_node, node in shapes.graph.pairs(sh("sparql")):
        written = SparqlConstraint(shapes.graph, shapes.shape(shape_node), node)
        found.append((written.prefixes(), written.select))
    return found


def test_a_rewrite_is_not_used_for_a_constraint_whose_comment_swallows_a_pattern() -> None:
    """Runs of white space were made one before the key was taken, comments kept: a
    user's copy of kbsh:FactStatementShape-sparql with its statement OPTIONAL moved onto
    the comment line above (commented out: every fact triple is a result) had our key,
    and the fast engine ran our rewrite (only the triples without a statement node)."""
    from kb.shacl.rewrites import REWRITES, key, rewrite

    rewritten = [(p, s) for p, s in _written_constraints() if key(p, s) in REWRITES]
    assert len(rewritten) == len(REWRITES)
    prefixes, select = next((p, s) for p, s in rewritten if "# Its statement node." in s)
    swallowed = re.sub(r"(# Its statement node\.)\s*\n\s*", r"\1 ", select)
    assert swallowed != select and "node. OPTIONAL { ?statement" in swallowed
    assert rewrite(prefixes, swallowed, "?this a ?c .") is None
    spaced = select.replace("\n", "\n\t  \n")  # white space alone still matches
    assert rewrite(prefixes, spaced, "?this a ?c .") is not None
    in_string = select.replace('"https://w3id.org/lifesci-news-kb/id/"', '"https: //w3id"')
    assert rewrite(prefixes, in_string, "?this a ?c .") is None


def _validate_node_a(tmp_path: Path, constraint: str) -> subprocess.CompletedProcess[str]:
    """kb validate (no time limit) of the mini KB against one node shape on <a>."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/a> ;\n"
        f"  {constraint} .\n"
    )
    return subprocess.run(
        [KB_SCRIPT, "--root", str(MINI), "validate", "--timeout", "0", "--shapes", str(shapes)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_shape_with_a_long_sh_in_list_is_validated_not_a_crash(tmp_path: Path) -> None:
    """sh:in compiles to a chain of sameTerm(...) || ...: 20,000 values killed kb
    validate with SIGSEGV (pyoxigraph's parser); the fast engine now leaves such a shape
    to pySHACL, which reports it."""
    values = " ".join(f"<http://example.org/v{i}>" for i in range(20000))
    done = _validate_node_a(tmp_path, f"sh:in ( {values} )")
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    assert "validated by pySHACL" in done.stderr and "not in list" in done.stdout


def test_shapes_nested_past_the_recursion_limit_are_refused_in_one_line(tmp_path: Path) -> None:
    """5,000 sh:not one inside the other: before, a RecursionError's traceback (exit 1)."""
    nested = "[ sh:hasValue <http://example.org/a> ]"
    for _ in range(5000):
        nested = f"[ sh:not {nested} ]"
    done = _validate_node_a(tmp_path, f"sh:not {nested}")
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    assert "nest too deep" in done.stderr and "Traceback" not in done.stderr


#: RDF lists a shapes file can get wrong, each as the list of an sh:in: before, the first
#: was a traceback (exit 1) without a time limit and "malformed RDF list at _:..." with
#: no file name under one; the others were read as some list (one rdf:first picked, the
#: loop or the missing rdf:rest taken as its end), which no SHACL processor may do.
MALFORMED_LISTS = {
    "no rdf:first": ("[ rdf:rest rdf:nil ]", "0 rdf:first and 1 rdf:rest"),
    "no rdf:rest": ("[ rdf:first <http://example.org/a> ]", "1 rdf:first and 0 rdf:rest"),
    "two rdf:first": (
        "[ rdf:first <http://example.org/a> , <http://example.org/b> ; rdf:rest rdf:nil ]",
        "2 rdf:first and 1 rdf:rest",
    ),
    "a loop": ("_:l . _:l rdf:first <http://example.org/a> ; rdf:rest _:l", "comes back to"),
}


@pytest.mark.parametrize("limit", ["0", "60"], ids=["no worker", "worker"])
@pytest.mark.parametrize("case", MALFORMED_LISTS, ids=list(MALFORMED_LISTS))
def test_a_malformed_list_in_the_shapes_is_refused_in_one_line_naming_the_file(
    tmp_path: Path, case: str, limit: str
) -> None:
    head, expected = MALFORMED_LISTS[case]
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "<http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/a> ;\n"
        f"  sh:in {head} .\n"
    )
    done = subprocess.run(
        [KB_SCRIPT, "--root", str(MINI), "validate", "--timeout", limit, "--shapes", str(shapes)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{shapes}: "), done.stderr
    assert "malformed RDF list" in lines[0] and expected in lines[0]


@pytest.mark.parametrize(
    "raw",
    [
        b"/sparql?query=ASK+%7B%7D&update=INSERT+DATA+%7B%3Chttp://a%3E+%3Chttp://b%3E+1%7D",
        b"/sparql?%75pdate=INSERT+DATA+%7B%3Chttp://a%3E+%3Chttp://b%3E+1%7D",
        b"/sparql?update=DROP+ALL&query=ASK+%7B%7D",
    ],
)
def test_an_update_parameter_in_a_get_is_refused_as_in_a_form(
    hostile_site: Site, raw: bytes
) -> None:
    """A POSTed form naming ``update`` was refused; in a GET it was dropped and the query
    answered 200 (or the empty form shown), as if the update had been accepted."""
    status, _, body = call(hostile_site, raw, headers={"accept": "text/csv"})
    assert status == 400 and b"updates are refused" in body, (status, body[:200])
