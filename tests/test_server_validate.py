"""`kb validate --endpoint` and `kb stats --endpoint` (issue 15): the fast engine's queries
run on a real SPARQL server and the report equals the local one, as sets of (focus, path,
value, severity, shape, component), on Oxigraph's server and on Virtuoso 7.2, for the
bundled KB and a generated file of about 100,000 triples with defects of every constraint
of ontology/shapes.ttl. Virtuoso runs here with ResultSetMaxRows = 5, so answers it cuts
short are paged (and counted). A recording proxy proves validation sends only queries."""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

from kb import remote
from kb.cli import cli
from kb.export import serialize
from kb.namespaces import DEFAULT_GRAPH
from kb.published import published_store
from kb.remote.validation import EndpointSource
from kb.resources import Layout
from kb.shacl.report import Report
from kb.validate import validate, validate_endpoint
from tests import servers
from tests.helpers import REPO as ROOT
from tests.helpers import benchmark_module
from tests.servers import Server, free_port, start_virtuoso, stop

defects = benchmark_module("defects")
generate = benchmark_module("generate")

LAYOUT = Layout(ROOT)
BIG = f"{DEFAULT_GRAPH}/test-validate-100k"
#: Virtuoso's row cap in this module: low, so that paging happens on real answers.
CAP = 5
Key = tuple[str, str, str, str, str, str]


def keys(report: Report) -> set[Key]:
    """Results as 6-tuples; blank nodes (labels differ per store) as ``_:``."""

    def term(text: str) -> str:
        return "_:" if text.startswith("_:") else text

    return {(term(r.key()[0]), r.key()[1], term(r.key()[2]), *r.key()[3:]) for r in report.results}


def auth_of(server: Server) -> remote.Auth | None:
    return remote.Auth(server.user, server.password, server.auth) if server.user else None


def push_files(server: Server, graph: str, files: list[Path] | None) -> None:
    """Push the published graph of ``files`` (None: the bundled KB) as kb push does."""
    data = serialize(published_store(LAYOUT, files), "nt")
    remote.push(
        data, server.store, endpoint_url=server.query, graph=graph, auth=auth_of(server),
        timeout=120,
    )  # fmt: skip


def source(server: Server, graph: str = DEFAULT_GRAPH) -> EndpointSource:
    return EndpointSource(server.query, graph, auth_of(server), timeout=120)


@pytest.fixture(scope="module")
def capped_virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A private Virtuoso 7.2 whose ResultSetMaxRows is CAP."""
    template = servers.VIRTUOSO_INI
    servers.VIRTUOSO_INI = template.replace(
        "ResultSetMaxRows = 1000000", f"ResultSetMaxRows = {CAP}"
    )
    try:
        process, server = start_virtuoso(tmp_path_factory.mktemp("virtuoso-capped"))
    finally:
        servers.VIRTUOSO_INI = template
    try:
        yield server
    finally:
        stop(process)


@pytest.fixture(params=["oxigraph", "capped_virtuoso"])
def server(request: pytest.FixtureRequest) -> Server:
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 100,000 triples, two defects of every constraint of the shapes."""
    count = 2 * len(defects.shape_constraints(ROOT / "ontology" / "shapes.ttl"))
    out = tmp_path_factory.mktemp("g100k") / "g100k.nt"
    args = ["--triples", "100000", "--seed", "5", "-o", str(out), "--defects", str(count)]
    assert generate.main(args) == 0
    return out


@pytest.fixture(scope="module")
def local_big(generated: Path) -> Report:
    return validate(LAYOUT, [generated])


_PUSHED: set[tuple[str, str]] = set()


def big_on(server: Server, generated: Path) -> str:
    """The generated file's published graph on ``server`` (pushed once per module run)."""
    if (server.query, BIG) not in _PUSHED:
        push_files(server, BIG, [generated])
        _PUSHED.add((server.query, BIG))
    return BIG


@pytest.fixture(scope="module")
def bundled_on(oxigraph: Server, capped_virtuoso: Server) -> dict[str, Server]:
    """Both servers holding the bundled KB's published graph where kb push puts it."""
    for server in (oxigraph, capped_virtuoso):
        push_files(server, DEFAULT_GRAPH, None)
    return {"oxigraph": oxigraph, "capped_virtuoso": capped_virtuoso}


# --- equal reports ------------------------------------------------------------------------


def test_bundled_kb_report_equals_local(bundled_on: dict[str, Server], server: Server) -> None:
    report = validate_endpoint(LAYOUT, source(server))
    assert keys(report) == keys(validate(LAYOUT)) == set()
    assert not report.not_checked


def test_100k_with_every_defect_equals_local(
    server: Server, generated: Path, local_big: Report
) -> None:
    endpoint = source(server, big_on(server, generated))
    report = validate_endpoint(LAYOUT, endpoint)
    assert not report.not_checked and not report.unsupported
    assert len(local_big.results) > 200
    assert keys(report) == keys(local_big)
    # every constraint's defect is found (the generator's listing names shape + component)
    listing = json.loads(Path(f"{generated}.defects.json").read_text())
    found = {(k[4], k[5]) for k in keys(report)}
    assert {(d["shape"], d["component"]) for d in listing} <= found
    if server.name == "virtuoso":  # answers over CAP rows were cut by the server, and paged
        assert endpoint.virtuoso and endpoint.pages > 0


SAME_TERM = """PREFIX kb: <https://w3id.org/lifesci-news-kb/ontology#>
PREFIX concept: <https://w3id.org/lifesci-news-kb/id/concept/>
SELECT ?s ?v WHERE { ?s kb:basis ?v . BIND (concept:implied AS ?w)
  FILTER (%s) }"""


@pytest.mark.parametrize(
    "condition",
    [
        "sameTerm(?v, concept:implied) || sameTerm(?v, concept:external)",
        "sameTerm(?v, ?w) || false",
        "IF(sameTerm(?w, ?v), true, false)",
        "sameTerm(STR(?v), STR(?w)) || sameTerm(?s, ?s) && false",
    ],
)
def test_same_term_inside_an_expression_as_local(
    bundled_on: dict[str, Server], server: Server, condition: str
) -> None:
    """Virtuoso's sameTerm of IRIs is false inside ||, IF, ... (docs/servers.md)."""
    text = SAME_TERM % condition
    local = {(str(r["s"]), str(r["v"])) for r in published_store(LAYOUT).query(text)}
    there = {(str(r["s"]), str(r["v"])) for r in source(server).select(text)}
    assert there == local
    assert local


def test_stats_on_the_server_equal_local(bundled_on: dict[str, Server], server: Server) -> None:
    from kb.stats import stats, stats_of

    local = stats(published_store(LAYOUT))
    there = stats_of(source(server).select)
    assert there == local
    assert there.classes and len(there.properties) > CAP  # Virtuoso: paged


# --- the command --------------------------------------------------------------------------


def kb(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--root", str(ROOT), *args])
    return result.exit_code, result.stdout, result.stderr


def server_args(server: Server) -> list[str]:
    args = ["--endpoint", server.query, "--timeout", "120"]
    return args + (["--user", server.user, "--auth", server.auth] if server.user else [])


@pytest.mark.parametrize("fmt", ["text", "json", "turtle"])
def test_cli_formats_and_exit_codes_as_local(
    bundled_on: dict[str, Server], fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = bundled_on["capped_virtuoso"]
    monkeypatch.setenv("KB_ENDPOINT_PASSWORD", server.password or "")
    code, out, _ = kb("validate", "--format", fmt, *server_args(server))
    local_code, local_out, _ = kb("validate", "--format", fmt)
    assert (code, out) == (local_code, local_out) == (0, local_out)


def test_cli_violations_exit_1_and_max_results(
    oxigraph: Server, generated: Path, local_big: Report
) -> None:
    code, out, _ = kb(
        "validate",
        "--graph",
        big_on(oxigraph, generated),
        "--max-results",
        "3",
        *server_args(oxigraph),
    )
    assert code == 1
    assert f"{len(local_big.results) - 3} more results not shown" in out


NESTED_THIS = '''\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
ex:Nested a sh:NodeShape ;
    sh:targetNode <https://w3id.org/lifesci-news-kb/id/person/carlo-baldocci> ;
    sh:sparql [ sh:select """SELECT $this WHERE {
        { $this ?p ?o } UNION { ?o ?p $this } FILTER(false) }""" ] .
'''


def test_shapes_the_server_cannot_run_exit_2_unless_allow_partial(
    bundled_on: dict[str, Server], tmp_path: Path
) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(NESTED_THIS)
    args = ["validate", "--shapes", str(shapes), *server_args(bundled_on["oxigraph"])]
    code, out, err = kb(*args)
    assert code == 2 and out == ""
    assert "not checked on the server: ex:Nested" in err or "Nested" in err
    code, out, err = kb(*args, "--allow-partial")
    assert code == 0
    assert "not checked: " in out and "partial: 1 shape not checked" in out
    code, out, _ = kb(*args, "--allow-partial", "--format", "json")
    assert json.loads(out)["not_checked"][0]["shape"] == "<https://example.org/Nested>"


def test_options_that_do_not_fit_exit_2(oxigraph: Server) -> None:
    assert kb("validate", "--engine", "pyshacl", "--endpoint", oxigraph.query)[0] == 2
    assert kb("validate", str(ROOT / "data" / "kb.ttl"), "--endpoint", oxigraph.query)[0] == 2


# --- server failures and what is sent -----------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    """Forwards to the upstream server; records (method, path, form fields); ``/html``
    answers an HTML page instead of SPARQL results, ``/500`` an error."""

    upstream = ""
    seen: ClassVar[list[tuple[str, str, dict[str, list[str]]]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        self._handle(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def _handle(self, body: bytes) -> None:
        path = self.path
        query = urllib.parse.urlsplit(path).query
        fields = urllib.parse.parse_qs(body.decode() + "&" + query)
        type(self).seen.append((self.command, path, fields))
        if path.startswith("/html") or path.startswith("/500"):
            status = 200 if path.startswith("/html") else 500
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>not results</body></html>")
            return
        request = urllib.request.Request(self.upstream, data=body or None, method=self.command)
        for name in ("Content-Type", "Accept"):
            if self.headers.get(name):
                request.add_header(name, self.headers[name])
        with urllib.request.urlopen(request, timeout=120) as answer:
            data = answer.read()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.headers.get("Content-Type", ""))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)


@pytest.fixture
def recorder(bundled_on: dict[str, Server]) -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Recorder", (_Recorder,), {"upstream": bundled_on["oxigraph"].query, "seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_server_sees_only_queries_without_service(recorder: tuple[str, type]) -> None:
    base, handler = recorder
    code, _, _ = kb("validate", "--endpoint", f"{base}/query")
    assert code == 0
    assert len(handler.seen) > 20
    for method, path, fields in handler.seen:
        assert (method, path) == ("POST", "/query")
        assert set(fields) == {"query", "default-graph-uri"}
        assert fields["default-graph-uri"] == [DEFAULT_GRAPH]
        text = fields["query"][0]
        assert "SERVICE" not in text.upper() and text.lstrip().upper().startswith(
            ("SELECT", "PREFIX")
        )
        for word in ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP"):
            assert f"{word} " not in text.upper() or "NOT EXISTS" in text.upper()


@pytest.mark.parametrize("path", ["/html", "/500"])
def test_a_bad_answer_is_one_line_and_exit_3(recorder: tuple[str, type], path: str) -> None:
    base, _ = recorder
    code, out, err = kb("validate", "--endpoint", f"{base}{path}")
    assert code == 3 and out == ""
    assert len(err.strip().splitlines()) == 1 and base in err


def test_a_refused_connection_is_one_line_and_exit_3() -> None:
    code, _, err = kb("validate", "--endpoint", f"http://127.0.0.1:{free_port()}/query")
    assert code == 3 and "connection refused" in err and len(err.strip().splitlines()) == 1


def test_cli_stats_on_the_server_as_local(bundled_on: dict[str, Server]) -> None:
    code, out, _ = kb("stats", "--endpoint", bundled_on["oxigraph"].query)
    local_code, local_out, _ = kb("stats")
    assert code == local_code == 0
    # Locally two lines follow the counts: the share of fact triples with a statement node
    # (it needs the data before the closure, which a server's published graph is not) and
    # the conformance line (kb validate --endpoint checks that on a server).
    rest = local_out[len(out) :].lstrip("\n")
    assert local_out.startswith(out)
    assert re.match(r"fact triples with a statement node: .*\n\nshapes: ", rest)
