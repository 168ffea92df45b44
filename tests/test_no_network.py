"""No network surprises (issue 6): SERVICE, FROM / FROM NAMED, owl:imports, remote JSON-LD
contexts, RDF/XML entities, SHACL-SPARQL and URLs given as files never reach the network.

A listener on 127.0.0.1 records every connection; each hostile input points at it, and it
must receive nothing. The positive control (``--allow-service``) shows that the listener
does see a request when one is made, so these tests can fail.
"""

from __future__ import annotations

import contextlib
import shutil
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import MINI, kb

RESULTS = (
    b'{"head":{"vars":["a"]},"results":{"bindings":'
    b'[{"a":{"type":"literal","value":"from the listener"}}]}}'
)


class Recorder(socketserver.BaseRequestHandler):
    """Records the first bytes of every connection and answers a SPARQL JSON result."""

    def handle(self) -> None:
        self.request.settimeout(2)
        try:
            data = self.request.recv(65536)
        except OSError:
            data = b""
        self.server.requests.append(data)  # type: ignore[attr-defined]
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
        head += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(RESULTS)
        with contextlib.suppress(OSError):
            self.request.sendall(head + RESULTS)


class Listener:
    """A threaded TCP listener on a free loopback port; ``requests`` lists what came in."""

    def __init__(self) -> None:
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Recorder)
        self.server.daemon_threads = True
        self.server.requests = []  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[bytes]:
        return self.server.requests  # type: ignore[attr-defined,no-any-return]


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    """One listener for the module, its record cleared before each test."""
    server = Listener()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def quiet(listener: Listener) -> Iterator[Listener]:
    """The listener, asserted to have received nothing during the test."""
    listener.requests.clear()
    yield listener
    assert listener.requests == [], listener.requests


def one_line(result: Result) -> str:
    """The only stderr line of a failed command (never a traceback)."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


# --- SERVICE ------------------------------------------------------------------------------


def service_queries(url: str) -> dict[str, str]:
    """SERVICE clauses, plain and disguised as pyoxigraph still reads them (each reaches
    the listener with --allow-service: see the positive control)."""
    clause = f"<{url}/sparql> {{ ?a ?b ?c }}"
    pre = "PREFIX ex: <http://example.org/> SELECT * WHERE { BIND(1 AS ?one) "
    return {
        "plain": f"SELECT * WHERE {{ SERVICE {clause} }}",
        "lower-case": f"select * where {{ service {clause} }}",
        "silent": f"SELECT * WHERE {{ SERVICE SILENT {clause} }}",
        "glued-silent": f"SELECT * WHERE {{ SERVICESILENT {clause} }}",
        "after-escape": f"{pre}?s ?p ex:a\\# . SERVICE {clause} }}",
        "after-true": f"{pre}?s ?p trueSERVICE {clause} }}",
        "after-double": f"{pre}?s ?p 1e5SERVICE {clause} }}",
        "in-optional": f"SELECT * WHERE {{ OPTIONAL {{ SERVICE {clause} }} }}",
        "in-subquery": f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE {clause} }} }} }}",
        "in-exists": f"SELECT * WHERE {{ BIND(1 AS ?x) FILTER EXISTS {{ SERVICE {clause} }} }}",
        "construct": f"CONSTRUCT {{ ?a ?b ?c }} WHERE {{ SERVICE {clause} }}",
        "ask": f"ASK {{ SERVICE {clause} }}",
        # a '#' inside an IRI or a string starts no comment
        "after-hash-iri": f"{pre}FILTER(?one != <http://example.org/a#b>) SERVICE {clause} }}",
        "after-escaped-hash-iri": (
            f"{pre}FILTER(?one != <http://example.org/\\u0061#b>) SERVICE {clause} }}"
        ),
        "after-hash-string": f"{pre}FILTER(?one != 'a#b') SERVICE {clause} }}",
        "after-long-string": f'{pre}FILTER(?one != """a\n#b""") SERVICE {clause} }}',
        # pyoxigraph ends a comment at \r as well as \n
        "after-cr-comment": f"SELECT * WHERE {{ # x\rSERVICE {clause} }}",
        # after an operand, '<' is less-than: no IRI hides what follows
        "behind-less-than": (
            f"PREFIX : <{url}/> SELECT * WHERE {{ BIND(1 AS ?one) "
            "FILTER(?one<2)SERVICE:sparql#>\n{ ?a ?b ?c } }"
        ),
        "behind-less-than-string": (
            "SELECT * WHERE { BIND('=' AS ?one) "
            f"FILTER(?one<'>')SERVICE <{url}/sparql> {{ ?a ?b ?c FILTER(?c != 'x') }} }}"
        ),
    }


def turtle_string(text: str) -> str:
    """``text`` as a Turtle string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'


@pytest.mark.parametrize("name", sorted(service_queries("http://x")))
def test_service_refused(quiet: Listener, name: str) -> None:
    """Every SERVICE form: exit 2, one line naming --allow-service, nothing sent."""
    result = kb("query", service_queries(quiet.url)[name])
    assert result.exit_code == 2
    assert "--allow-service" in one_line(result)


@pytest.mark.parametrize("name", sorted(service_queries("http://x")))
def test_service_refused_in_query_file(quiet: Listener, tmp_path: Path, name: str) -> None:
    """A .rq file with SERVICE is refused the same way."""
    path = tmp_path / "remote.rq"
    path.write_bytes(service_queries(quiet.url)[name].encode())
    result = kb("query", str(path))
    assert result.exit_code == 2 and "--allow-service" in one_line(result)


@pytest.mark.parametrize("name", sorted(service_queries("http://x")))
def test_service_refused_with_bind(quiet: Listener, name: str) -> None:
    """Binding a value first changes nothing: the query is refused before any binding."""
    result = kb("query", "--bind", "one=1", service_queries(quiet.url)[name])
    assert result.exit_code == 2 and "--allow-service" in one_line(result)


@pytest.mark.parametrize(
    "value",
    [
        "<{url}/sparql> }} SERVICE <{url}/sparql> {{ ?a ?b ?c }} {{",
        '" }} SERVICE <{url}/sparql> {{ ?a ?b ?c }} #',
        "x\r}} SERVICE <{url}/sparql> {{ ?a ?b ?c }} #",
        "ex:a }} SERVICE <{url}/sparql> {{ ?a ?b ?c }} #",
        "<{url}/sparql#> }} SERVICE <{url}/sparql> {{ ?a ?b ?c }}",
    ],
    ids=["iri", "string", "cr", "prefixed", "hash-iri"],
)
def test_bind_value_never_becomes_service(quiet: Listener, value: str) -> None:
    """A --bind value that tries to close the VALUES block and open a SERVICE is one term
    or refused: nothing is sent."""
    query = "SELECT ?x WHERE { BIND(1 AS ?one) }"
    result = kb("query", "--bind", "x=" + value.format(url=quiet.url), query)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        one_line(result)


def _catalogue_root(tmp_path: Path, text: str) -> Path:
    """A copy of the mini KB whose catalogue is one query, ``remote``, with its answers."""
    root = tmp_path / "kb"
    shutil.copytree(MINI, root, ignore=shutil.ignore_patterns("*.rq"))
    (root / "queries" / "remote.rq").write_bytes(f"# title: Remote\n{text}\n".encode())
    (root / "queries" / "expected").mkdir(exist_ok=True)
    (root / "queries" / "expected" / "remote.csv").write_text("a,b,c\n")
    return root


@pytest.mark.parametrize("name", sorted(service_queries("http://x")))
def test_service_refused_in_catalogue(quiet: Listener, tmp_path: Path, name: str) -> None:
    """A catalogue query with SERVICE: ``kb query NAME`` and ``kb check`` refuse it."""
    root = _catalogue_root(tmp_path, service_queries(quiet.url)[name])
    result = kb("query", "remote", root=root)
    assert result.exit_code == 2 and "--allow-service" in one_line(result)
    result = kb("check", root=root)  # kb check has no --allow-service: not offered
    assert result.exit_code == 2 and "SERVICE is refused" in one_line(result)
    assert "--allow-service" not in one_line(result)


#: Forms whose SERVICE follows a triple pattern the mini KB does not match: never evaluated.
UNMATCHED = {"after-escape", "after-true", "after-double"}


@pytest.mark.parametrize("name", sorted(set(service_queries("http://x")) - UNMATCHED))
def test_positive_control_allow_service_reaches_listener(listener: Listener, name: str) -> None:
    """With --allow-service the same query does reach the listener (the test can fail)."""
    listener.requests.clear()
    result = kb("query", "--allow-service", service_queries(listener.url)[name])
    assert result.exit_code == 0, result.stderr
    assert len(listener.requests) == 1
    assert listener.requests[0].startswith(b"POST /sparql ")


# --- FROM / FROM NAMED --------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM <{url}/graph.ttl> WHERE {{ ?s ?p ?o }}",
        "SELECT * FROM NAMED <{url}/graph.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "SELECT * FROM <{url}/a.ttl> FROM NAMED <{url}/b.ttl> WHERE {{ ?s ?p ?o }}",
        "CONSTRUCT {{ ?s ?p ?o }} FROM <{url}/graph.ttl> WHERE {{ ?s ?p ?o }}",
        "ASK FROM <{url}/graph.ttl> {{ ?s ?p ?o }}",
    ],
    ids=["from", "from-named", "both", "construct", "ask"],
)
def test_from_loads_nothing(quiet: Listener, query: str) -> None:
    """FROM / FROM NAMED select graphs of the local store; nothing is loaded."""
    result = kb("query", query.format(url=quiet.url))
    assert result.exit_code == 0, result.stderr


# --- owl:imports, JSON-LD contexts, RDF/XML entities ------------------------------------------


def _imports(path: Path, url: str) -> Path:
    path.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix schema: <https://schema.org/> .\n"
        f"<http://example.org/o> a owl:Ontology ; owl:imports <{url}/imported.ttl> .\n"
        '<http://example.org/p> a schema:Person ; schema:name "P" .\n'
    )
    return path


@pytest.mark.parametrize("command", ["validate", "export"])
def test_owl_imports_in_data_not_fetched(quiet: Listener, tmp_path: Path, command: str) -> None:
    """owl:imports in a data file stays a triple; nothing is fetched."""
    result = kb(command, str(_imports(tmp_path / "data.ttl", quiet.url)))
    assert result.exit_code == 0, result.stderr
    if command == "export":
        assert f"{quiet.url}/imported.ttl" in result.stdout


def test_owl_imports_in_shapes_not_fetched(quiet: Listener, tmp_path: Path) -> None:
    """owl:imports in a shapes file is not followed by the validator."""
    shapes = _imports(tmp_path / "shapes.ttl", quiet.url)
    with shapes.open("a") as handle:
        handle.write(
            "<http://example.org/S> a <http://www.w3.org/ns/shacl#NodeShape> ;\n"
            "  <http://www.w3.org/ns/shacl#targetClass> schema:Person .\n"
        )
    result = kb("validate", "--shapes", str(shapes))
    assert result.exit_code == 0, result.stderr


def jsonld_documents(url: str) -> dict[str, str]:
    """JSON-LD documents whose context lives on the listener."""
    ctx = f'"{url}/context.jsonld"'
    body = '"@id": "http://example.org/a", "name": "A"'
    return {
        "string": f'{{"@context": {ctx}, {body}}}',
        "array": f'{{"@context": [{ctx}], {body}}}',
        "import": f'{{"@context": {{"@import": {ctx}}}, {body}}}',
        "scoped": (
            '{"@context": {"knows": {"@id": "http://example.org/knows", '
            f'"@context": {ctx}}}}}, "@id": "http://example.org/a", '
            '"knows": {"@id": "http://example.org/b", "name": "B"}}'
        ),
        "graph": f'{{"@graph": [{{"@context": {ctx}, {body}}}]}}',
    }


@pytest.mark.parametrize("name", sorted(jsonld_documents("http://x")))
@pytest.mark.parametrize("command", ["validate", "export"])
def test_jsonld_remote_context_not_fetched(
    quiet: Listener, tmp_path: Path, name: str, command: str
) -> None:
    """A remote @context anywhere in the document: exit 2, one line, nothing fetched."""
    path = tmp_path / f"{name}.jsonld"
    path.write_text(jsonld_documents(quiet.url)[name])
    result = kb(command, str(path))
    assert result.exit_code == 2
    assert one_line(result) == f"{path}: remote JSON-LD contexts are never fetched"


RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'


def xml_documents(url: str) -> dict[str, str]:
    """RDF/XML with a DOCTYPE: external entities, parameter entities, entity expansion."""
    about = '<rdf:Description rdf:about="http://example.org/a"><rdf:value>&e;</rdf:value>'
    tail = f"<rdf:RDF {RDF}>{about}</rdf:Description></rdf:RDF>\n"
    laughs = '<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY e "&b;&b;&b;">'
    return {
        "external": f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "{url}/e">]>\n{tail}',
        "parameter": f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/p.dtd"> %p;]>\n{tail}',
        "dtd": f'<!DOCTYPE rdf:RDF SYSTEM "{url}/rdf.dtd">\n{tail}'.replace("&e;", "x"),
        "laughs": f"<!DOCTYPE r [{laughs}]>\n{tail}",
        "lower-case": f'<!doctype r [<!entity e SYSTEM "{url}/e">]>\n{tail}',
    }


@pytest.mark.parametrize("name", sorted(xml_documents("http://x")))
@pytest.mark.parametrize("command", ["validate", "export"])
def test_rdfxml_doctype_refused(quiet: Listener, tmp_path: Path, name: str, command: str) -> None:
    """RDF/XML with a DOCTYPE or entities is refused before parsing: exit 2, one line."""
    path = tmp_path / f"{name}.rdf"
    path.write_text(xml_documents(quiet.url)[name])
    result = kb(command, str(path))
    assert result.exit_code == 2
    assert one_line(result) == f"{path}: RDF/XML with a DOCTYPE or entities is refused"


# --- SHACL-SPARQL in shapes -----------------------------------------------------------------


def _sparql_shapes(path: Path, select: str) -> Path:
    path.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix schema: <https://schema.org/> .\n"
        "<http://example.org/S> a sh:NodeShape ; sh:targetClass schema:Person ;\n"
        f'  sh:sparql [ sh:select """{select}""" ] .\n'
    )
    return path


def test_shacl_sparql_service_refused(quiet: Listener, tmp_path: Path) -> None:
    """A SHACL-SPARQL constraint with SERVICE: exit 2, one line naming the file."""
    select = f"SELECT $this WHERE {{ SERVICE <{quiet.url}/sparql> {{ ?a ?b ?c }} }}"
    shapes = _sparql_shapes(tmp_path / "service.ttl", select)
    result = kb("validate", "--shapes", str(shapes))
    assert result.exit_code == 2
    assert one_line(result).startswith(f"{shapes}:4: ")


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
@pytest.mark.parametrize("name", sorted(service_queries("http://x")))
def test_shacl_sparql_disguised_service_refused(
    quiet: Listener, tmp_path: Path, name: str, engine: str
) -> None:
    """Every disguised SERVICE form in a SHACL-SPARQL constraint, under either engine:
    exit 2, one line naming the file, nothing sent."""
    shapes = tmp_path / "service.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix schema: <https://schema.org/> .\n"
        "<http://example.org/S> a sh:NodeShape ; sh:targetClass schema:Person ;\n"
        f"  sh:sparql [ sh:select {turtle_string(service_queries(quiet.url)[name])} ] .\n"
    )
    result = kb("validate", "--engine", engine, "--shapes", str(shapes))
    assert result.exit_code == 2
    assert one_line(result).startswith(f"{shapes}:4: ")


def test_shacl_sparql_from_loads_nothing(quiet: Listener, tmp_path: Path) -> None:
    """A SHACL-SPARQL constraint with FROM: validation runs, nothing is loaded."""
    select = f"SELECT $this FROM <{quiet.url}/graph.ttl> WHERE {{ $this ?p ?o }}"
    result = kb("validate", "--shapes", str(_sparql_shapes(tmp_path / "from.ttl", select)))
    assert result.exit_code in (0, 1), result.stderr


# --- URLs where files are expected ---------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "{url}/data.ttl"),
        ("export", "{url}/data.ttl"),
        ("validate", "--shapes", "{url}/shapes.ttl"),
        ("export", "-o", "{url}/out.ttl"),
        ("query", "{url}/query.rq"),
    ],
    ids=["validate", "export", "shapes", "output", "query-file"],
)
def test_url_as_file_refused(quiet: Listener, args: tuple[str, ...]) -> None:
    """A URL where a file is expected: exit 2, one line, nothing fetched."""
    result = kb(*(a.format(url=quiet.url) for a in args))
    assert result.exit_code == 2, result.stdout
    one_line(result)


# --- The SERVICE check against pyoxigraph itself ----------------------------------------------

GLUE = [
    "",
    " ",
    "\n",
    "#comment\n",
    "#comment\r",
    "#comment\r\n",
    "#comment\u2028",
    "?s ?p true",
    "?s ?p false",
    "?s ?p 1e5",
    "?s ?p 1E+5",
    "?s ?p .5e-3",
    "?s ?p 7",
    "?s ?p ex:a\\#",
    "?s ?p ex:a\\.",
    "?s ?p ex:a.",
    "?s ?p ex:",
    "?s ?p ex:a-",
    '?s ?p "x"@en',
    '?s ?p "x"',
    "?s ?p []",
    "?s ?p ?o .",
    "FILTER(true)",
    "OPTIONAL { ?s ?p ?o }",
    "?s ?p ?o ;",
    "FILTER(?one != <http://example.org/a#b>)",
    "FILTER(?one != <http://example.org/\\u0061#b>)",
    "FILTER(?one != 'a#b')",
    'FILTER(?one != "a\\"#b")',
    'FILTER(?one != """a\n#b""")',
    "FILTER(?one != '''a'#b''')",
    "FILTER(?one<2)",
    "FILTER(?one<=2)",
    "FILTER(?one <2)",
    "BIND('=' AS ?t) FILTER(?t<'>')",
]


@given(
    before=st.sampled_from(GLUE),
    keyword=st.sampled_from(["SERVICE", "service", "Service", "sErViCe"]),
    between=st.sampled_from([" ", "", "\n", " SILENT ", "SILENT", " silent", "#x\n", "#x\r"]),
    target=st.sampled_from(["<{url}/sparql>", ":sparql", "?endpoint"]),
    after=st.sampled_from(["", " ", "#>\n", "#x\r", "#>\u2028"]),
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_every_service_pyoxigraph_runs_is_detected(
    listener: Listener, before: str, keyword: str, between: str, target: str, after: str
) -> None:
    """Whatever glue surrounds the keyword: when pyoxigraph sends the query to the listener,
    every entry point's check refuses it (a query, a catalogue query or a query with
    --bind: ``kb.query.prepare``; a shapes file under either engine: ``kb.validate``)."""
    import pyoxigraph

    store = pyoxigraph.Store()
    ex = "http://example.org/"
    s, p = pyoxigraph.NamedNode(ex + "s"), pyoxigraph.NamedNode(ex + "p")
    store.add(pyoxigraph.Quad(s, p, pyoxigraph.Literal(True)))
    query = (
        f"PREFIX ex: <{ex}> PREFIX : <{listener.url}/> SELECT * WHERE {{ BIND(1 AS ?one) "
        f"BIND(<{listener.url}/sparql> AS ?endpoint) "
        f"{before}{keyword}{between}{target.format(url=listener.url)}{after}"
        "{ ?a ?b ?c } }"
    )
    listener.requests.clear()
    with contextlib.suppress(SyntaxError, OSError, RuntimeError):
        list(store.query(query))  # type: ignore[arg-type]
    sent = bool(listener.requests)
    listener.requests.clear()
    if sent:
        assert _refused_as_query(query), query
        assert _refused_in_shapes(query), query


def _refused_as_query(text: str) -> bool:
    """Whether ``kb query`` (text, file, catalogue, --bind) refuses ``text`` for SERVICE."""
    from kb.errors import InputError
    from kb.query import prepare

    try:
        prepare(text, ["one=1"])
    except InputError as exc:
        return "SERVICE" in str(exc)
    return False


def _refused_in_shapes(text: str) -> bool:
    """Whether ``kb validate`` refuses a shapes file with ``text`` in an sh:select."""
    import pyoxigraph

    from kb.validate import ShapesRefused, validate_store

    shapes = pyoxigraph.Store()
    select = pyoxigraph.NamedNode("http://www.w3.org/ns/shacl#select")
    shapes.add(pyoxigraph.Quad(pyoxigraph.BlankNode(), select, pyoxigraph.Literal(text)))
    try:
        validate_store(pyoxigraph.Store(), shapes, "pyshacl")
    except ShapesRefused as exc:
        return "SERVICE" in str(exc)
    return False
