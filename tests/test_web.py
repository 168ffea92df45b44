"""kb serve, as programs see it: content negotiation with the Accept headers real clients
send, status codes and headers, the RDF of a resource read back by rdflib and Jena, the
SPARQL 1.1 Protocol, request bounds, and the evidence of the statement model.

Every HTTP test talks to a real ``kb serve`` process on a free loopback port."""

from __future__ import annotations

import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib

from kb.web.negotiation import RESOURCE_FORMATS, choose
from tests.helpers import MINI, require_jena
from tests.web_server import Server, kb_serve

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "web"
PERSON = "/id/person/massimiliano-boggetti"
ARTICLE = "/id/article/86b06078204c6c08"
BASE = "https://w3id.org/lifesci-news-kb/"

#: Accept headers as real clients send them.
CURL = "*/*"
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
RDFLIB_TURTLE = "text/turtle, application/x-turtle, */*;q=0.1"
RDFLIB_NT = "text/plain, */*;q=0.1"
RDFLIB_JSONLD = "application/ld+json, application/json;q=0.9, */*;q=0.1"
RDFLIB_XML = "application/rdf+xml, */*;q=0.1"
#: captured from Jena 4.5's arq --data=URL (its HTTP client also asks to upgrade to h2c)
JENA = (
    "text/turtle,application/n-triples;q=0.9,application/rdf+xml;q=0.7,application/trig,"
    "application/n-quads;q=0.9,application/ld+json;q=0.8,*/*;q=0.5"
)
SPARQLWRAPPER_JSON = (
    "application/sparql-results+json,application/json,text/javascript,application/javascript"
)


@pytest.fixture(scope="module")
def bundled() -> Iterator[Server]:
    with kb_serve() as server:
        yield server


@pytest.fixture(scope="module")
def statements() -> Iterator[Server]:
    with kb_serve(str(FIXTURES / "statements.ttl"), root=MINI) as server:
        yield server


# --- negotiation, as a function -------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "html"),
        ("", "html"),
        (CURL, "html"),
        (FIREFOX, "html"),
        (CHROME, "html"),
        (RDFLIB_TURTLE, "turtle"),
        (RDFLIB_NT, "nt"),
        (RDFLIB_JSONLD, "jsonld"),
        (RDFLIB_XML, "xml"),
        (JENA, "turtle"),
        ('application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"', "jsonld"),
        ("text/*;q=0.5, application/n-triples", "nt"),
        ("text/*", "html"),
        ("text/turtle;q=0.2, text/html;q=0.1", "turtle"),
        ("TEXT/TURTLE", "turtle"),
        ("text/html;q=0, */*", "turtle"),
        ("application/rdf+xml;q=0.5, application/xml;q=0.9", "xml"),
        ("garbage, text/turtle", "turtle"),
    ],
)
def test_choose_follows_the_accept_header(accept: str | None, expected: str) -> None:
    chosen = choose(accept, RESOURCE_FORMATS)
    assert chosen is not None and chosen.name == expected


@pytest.mark.parametrize("accept", ["image/png", "text/html;q=0, text/turtle;q=0", "x"])
def test_choose_refuses_what_is_not_offered(accept: str) -> None:
    assert choose(accept, RESOURCE_FORMATS) is None


# --- dereferencing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (CURL, "text/html"),
        (FIREFOX, "text/html"),
        (CHROME, "text/html"),
        (RDFLIB_TURTLE, "text/turtle"),
        (RDFLIB_NT, "application/n-triples"),
        (RDFLIB_JSONLD, "application/ld+json"),
        (RDFLIB_XML, "application/rdf+xml"),
        (JENA, "text/turtle"),
    ],
)
def test_real_clients_get_what_they_ask_for(bundled: Server, accept: str, media_type: str) -> None:
    reply = bundled.request(PERSON, {"Accept": accept})
    assert reply.status == 200
    assert reply.media_type == media_type
    assert reply.headers["vary"] == "Accept"
    assert "default-src 'none'" in reply.headers["content-security-policy"]


@pytest.mark.parametrize("form", ["?format=ttl", ".ttl", "?format=turtle"])
def test_format_by_parameter_or_extension(bundled: Server, form: str) -> None:
    reply = bundled.request(PERSON + form, {"Accept": "text/html"})
    assert reply.status == 200 and reply.media_type == "text/turtle"
    assert reply.headers["content-location"] == "massimiliano-boggetti.ttl"
    assert '<massimiliano-boggetti.jsonld>; rel="alternate"' in reply.headers["link"]
    assert "person:massimiliano-boggetti" in reply.text


def test_an_unknown_format_is_a_400_page(bundled: Server) -> None:
    reply = bundled.request(PERSON + "?format=docx")
    assert reply.status == 400 and reply.media_type == "text/html"
    assert "docx" in reply.text and "turtle" in reply.text


def test_406_names_what_is_available(bundled: Server) -> None:
    reply = bundled.request(PERSON, {"Accept": "image/png"})
    assert reply.status == 406
    for media_type in ("text/html", "text/turtle", "application/ld+json", "application/rdf+xml"):
        assert media_type in reply.text


def test_etag_and_304(bundled: Server) -> None:
    first = bundled.request(PERSON, {"Accept": "text/turtle"})
    etag = first.headers["etag"]
    again = bundled.request(PERSON, {"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    listed = bundled.request(PERSON, {"Accept": "text/turtle", "If-None-Match": f'"x", W/{etag}'})
    assert listed.status == 304
    other = bundled.request(PERSON, {"Accept": "text/html", "If-None-Match": etag})
    assert other.status == 200 and other.headers["etag"] != etag


def test_head_has_the_headers_and_no_body(bundled: Server) -> None:
    get = bundled.request(PERSON, {"Accept": "text/turtle"})
    head = bundled.request(PERSON, {"Accept": "text/turtle"}, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == str(len(get.body))


def test_404_is_a_page(bundled: Server) -> None:
    reply = bundled.request("/id/person/nobody", {"Accept": CHROME})
    assert reply.status == 404 and reply.media_type == "text/html"
    assert "<h1>Not found</h1>" in reply.text and "Traceback" not in reply.text


def test_writes_are_not_allowed(bundled: Server) -> None:
    reply = bundled.request(PERSON, method="DELETE")
    assert reply.status == 405 and "GET" in reply.headers["allow"]


def test_every_page_links_every_format_and_each_link_answers(bundled: Server) -> None:
    page = bundled.request(PERSON).text
    alternate = (
        '<link rel="alternate" type="text/turtle" href="../../id/person/massimiliano-boggetti.ttl"'
    )
    assert alternate in page
    for extension in (".ttl", ".jsonld", ".nt", ".rdf"):
        assert f'href="../../id/person/massimiliano-boggetti{extension}"' in page
        assert bundled.request(PERSON + extension).status == 200


def test_ontology_terms_dereference_to_anchors(bundled: Server) -> None:
    page = bundled.request("/ontology", {"Accept": FIREFOX})
    assert page.status == 200 and 'id="Visit"' in page.text
    turtle = bundled.request("/ontology", {"Accept": "text/turtle"})
    assert "kb:Visit" in turtle.text
    assert bundled.request("/shapes").status == 200


@pytest.mark.parametrize("fmt", ["turtle", "nt", "jsonld", "xml"])
def test_rdflib_reads_each_format_and_gets_the_same_graph(bundled: Server, fmt: str) -> None:
    names = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml"}
    graphs = []
    for name in (fmt, "nt"):
        reply = bundled.request(PERSON + f"?format={name}")
        graphs.append(rdflib.Graph().parse(data=reply.body, format=names[name]))
    assert len(graphs[0]) == len(graphs[1]) > 5
    subject = rdflib.URIRef(BASE + PERSON[1:])
    assert (subject, rdflib.URIRef("https://schema.org/name"), None) in graphs[0]


def test_rdflib_dereferences_the_iri_itself(bundled: Server) -> None:
    graph = rdflib.Graph().parse(bundled.url + PERSON, format="turtle")
    assert (rdflib.URIRef(BASE + PERSON[1:]), None, None) in graph


@pytest.mark.parametrize(
    ("fmt", "syntax"),
    [("turtle", "turtle"), ("nt", "ntriples"), ("jsonld", "jsonld10"), ("xml", "rdfxml")],
)
def test_jena_reads_every_rdf_answer_without_warning(
    bundled: Server, tmp_path: Path, fmt: str, syntax: str
) -> None:
    jena = require_jena()
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s a <https://schema.org/Person> ; ?p ?o }"
    media_type = {"turtle": "text/turtle", "nt": "application/n-triples"}
    media_type |= {"jsonld": "application/ld+json", "xml": "application/rdf+xml"}
    answers = [bundled.request(p + f"?format={fmt}").body for p in (PERSON, ARTICLE, "/ontology")]
    query = "/sparql?query=" + urllib.parse.quote(construct)
    answers.append(bundled.request(query, {"Accept": media_type[fmt]}).body)
    files = []
    for number, answer in enumerate(answers):
        files.append(tmp_path / f"answer{number}")
        files[-1].write_bytes(answer)
    # one Java start for the four answers
    riot = subprocess.run(
        [jena, "riot", "--validate", f"--syntax={syntax}", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert riot.returncode == 0, riot.stderr
    assert "WARN" not in riot.stderr and "ERROR" not in riot.stderr, riot.stderr


def test_jena_arq_dereferences_the_iri_with_its_own_accept_header(bundled: Server) -> None:
    jena = require_jena()
    query = "SELECT ?name { ?s <https://schema.org/name> ?name }"
    arq = subprocess.run(
        [jena, "arq", f"--data={bundled.url}{PERSON}", "--results=csv", query],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert arq.returncode == 0, arq.stderr
    assert arq.stdout.splitlines() == ["name", "Massimiliano Boggetti"], arq.stderr


# --- the RDF of a resource, and its evidence in the statement model ------------------------


def test_description_holds_statements_and_their_annotations(statements: Server) -> None:
    turtle = statements.request("/id/person/anna-rossi.nt").text
    assert "<https://w3id.org/lifesci-news-kb/id/statement/anna-rossi-name>" in turtle
    assert "<https://w3id.org/lifesci-news-kb/id/annotation/anna-rossi-name>" in turtle
    # the target and its selectors come along, so the words can be found from this alone
    assert '<http://www.w3.org/ns/oa#exact> "Anna Rossi"' in turtle
    assert "<http://www.w3.org/ns/oa#start>" in turtle
    # another resource's statements do not
    assert "visit-location" not in turtle


def test_resource_page_shows_basis_words_and_notes(statements: Server) -> None:
    page = statements.request("/id/person/anna-rossi").text
    assert "Basis: <strong>stated</strong>" in page
    assert "<mark>Anna Rossi</mark>, newly elected president" in page
    assert "Basis: <strong>implied</strong>" in page
    assert "Newly elected president implies she holds the post now." in page
    kuwait = statements.request("/id/place/kuwait").text
    assert "Basis: <strong>external</strong>" in kuwait
    # the evidence of a statement whose object it is comes under the incoming link
    assert "<mark>visited Kuwait</mark>" in kuwait
    assert 'href="https://www.wikidata.org/wiki/Q817"' in kuwait


def test_article_page_marks_each_span_and_links_its_statements(statements: Server) -> None:
    from kb.web.model import statement_anchor

    page = statements.request("/id/article/mini").text
    assert '<mark class="span"><a href="#span-1"' in page
    anchor = statement_anchor(f"<{BASE}id/statement/visit-location>")
    assert f'href="../../id/event/visit#{anchor}"' in page
    visit = statements.request("/id/event/visit").text
    assert f'id="{anchor}"' in visit


# --- SPARQL 1.1 Protocol -----------------------------------------------------------------------

SELECT = "SELECT ?name WHERE { ?p a <https://schema.org/Person> ; <https://schema.org/name> ?name }"


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (SPARQLWRAPPER_JSON, "application/sparql-results+json"),
        (CURL, "application/sparql-results+json"),
        ("", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        (CHROME, "text/html"),
    ],
)
def test_select_results_by_accept(bundled: Server, accept: str, media_type: str) -> None:
    reply = bundled.request("/sparql?query=" + urllib.parse.quote(SELECT), {"Accept": accept})
    assert reply.status == 200 and reply.media_type == media_type
    assert "Massimiliano Boggetti" in reply.text


def test_post_form_and_post_direct(bundled: Server) -> None:
    form = urllib.parse.urlencode({"query": SELECT}).encode()
    by_form = bundled.request(
        "/sparql",
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"},
        "POST",
        form,
    )
    direct = bundled.request(
        "/sparql",
        {"Content-Type": "application/sparql-query", "Accept": "text/csv"},
        "POST",
        SELECT.encode(),
    )
    assert by_form.status == direct.status == 200
    assert by_form.body == direct.body


def test_sparqlwrapper_reads_the_endpoint(bundled: Server) -> None:
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    client = SPARQLWrapper(bundled.url + "/sparql")
    client.setQuery(SELECT)
    client.setReturnFormat(JSON)
    names = [b["name"]["value"] for b in client.queryAndConvert()["results"]["bindings"]]
    assert "Massimiliano Boggetti" in names
    client.setQuery(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ BIND(<{BASE}{PERSON[1:]}> AS ?s) ?s ?p ?o }}"
    )
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.queryAndConvert(), format="turtle")
    assert len(graph) > 2


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { service<http://example.org/sparql> { ?s ?p ?o } }",
        "INSERT DATA { <a:b> <a:c> <a:d> }",
        "SELECT WHERE {",
    ],
)
def test_refused_queries_are_400(bundled: Server, query: str) -> None:
    reply = bundled.request("/sparql?query=" + urllib.parse.quote(query), {"Accept": CURL})
    assert reply.status == 400 and reply.media_type == "text/plain"
    page = bundled.request("/sparql?query=" + urllib.parse.quote(query), {"Accept": CHROME})
    assert page.status == 400 and 'role="alert"' in page.text


def test_updates_by_form_are_refused(bundled: Server) -> None:
    body = urllib.parse.urlencode({"update": "CLEAR ALL"}).encode()
    reply = bundled.request(
        "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, "POST", body
    )
    assert reply.status == 400


def test_requests_are_bounded(bundled: Server) -> None:
    long_query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 40_000
    reply = bundled.request("/sparql?query=" + urllib.parse.quote(long_query))
    assert reply.status == 400 and "longer than 32000 characters" in reply.text
    longer = "/sparql?query=" + "x" * 100_000
    assert bundled.request(longer).status == 414
    big = b"query=" + b"x" * (70 * 1024)
    reply = bundled.request(
        "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, "POST", big
    )
    assert reply.status == 413 and "Traceback" not in reply.text


def test_construct_answers_in_rdf(bundled: Server) -> None:
    query = "CONSTRUCT { ?s a ?k } WHERE { ?s a ?k } LIMIT 3"
    reply = bundled.request("/sparql?query=" + urllib.parse.quote(query), {"Accept": JENA})
    assert reply.status == 200 and reply.media_type == "text/turtle"
    assert len(rdflib.Graph().parse(data=reply.body, format="turtle")) == 3


def test_a_query_past_the_time_limit_is_503_and_the_endpoint_goes_on() -> None:
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with kb_serve("--timeout", "1") as server:
        reply = server.request("/sparql?query=" + urllib.parse.quote(slow), {"Accept": "text/csv"})
        assert reply.status == 503 and "longer than 1 s" in reply.text
        after = server.request(
            "/sparql?query=" + urllib.parse.quote(SELECT), {"Accept": "text/csv"}
        )
        assert after.status == 200 and "Massimiliano Boggetti" in after.text


def test_no_query_worker_outlives_the_server() -> None:
    import time

    with kb_serve() as server:
        assert server.request("/sparql?query=" + urllib.parse.quote(SELECT)).status == 200
        marker = f"--port {server.port}"
    deadline = time.monotonic() + 10
    left = ["?"]
    while left and time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-f", "--", marker], capture_output=True, text=True)
        left = found.stdout.split()
        time.sleep(0.2)
    assert not left, f"processes left behind: {left}"


def test_another_base_and_unicode_iris(tmp_path: Path) -> None:
    data = tmp_path / "other.ttl"
    data.write_text(
        '<https://example.org/kb/id/person/jos\u00e9> <https://schema.org/name> "Jos\u00e9" ;\n'
        "    <https://schema.org/knows> <https://example.org/kb/id/person/ann> .\n",
        encoding="utf-8",
    )
    with kb_serve(str(data), "--base-iri", "https://example.org/kb/", root=MINI) as server:
        page = server.request("/id/person/jos%C3%A9", {"Accept": CHROME})
        assert page.status == 200 and "<h1>Jos\u00e9</h1>" in page.text
        assert 'href="../../id/person/ann"' in page.text
        turtle = server.request("/id/person/jos%C3%A9.ttl").text
        assert "<https://example.org/kb/id/person/jos\u00e9>" in turtle
        assert server.request("/id/person/jos%FF").status == 404
        assert server.request("/id/person/massimiliano-boggetti").status == 404


def test_home_ontology_shapes_and_questions_pages(bundled: Server) -> None:
    from kb.catalogue import catalogue
    from kb.resources import default_layout

    home = bundled.request("/").text
    names = [entry.name for entry in catalogue(default_layout())]
    for name in names:
        assert f'href="./queries/{name}"' in home
    assert "The graph conforms to its" in home and "schema:Person" in home
    for name in names:
        page = bundled.request(f"/queries/{name}").text
        assert "Matches the expected answer." in page, name
        assert "<h2>Expected answer</h2>" in page
    ontology = bundled.request("/ontology").text
    assert 'id="TechnologyCluster"' in ontology and ">schema:Organization</a>" in ontology
    shapes = bundled.request("/shapes").text
    assert "A concept scheme must have a label" in shapes
    assert "(skos:prefLabel|rdfs:label)" in shapes
    assert bundled.request("/queries/no-such-question").status == 404


def _kb(*args: str) -> subprocess.CompletedProcess[str]:
    import sys

    command = [sys.executable, "-c", "from kb.entry import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_serve_reports_a_busy_port_in_one_line() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = _kb("serve", "--port", str(port))
    assert result.returncode == 3
    assert result.stderr == f"127.0.0.1:{port}: Address already in use\n"


def test_serve_refuses_a_missing_data_file_before_listening(tmp_path: Path) -> None:
    result = _kb("serve", str(tmp_path / "missing.ttl"), "--port", "0")
    assert result.returncode == 2 and result.stderr.strip().endswith("missing.ttl: no such file")
