"""Single operations on a SPARQL 1.1 server's graphs: Graph Store Protocol PUT and GET,
one SPARQL Update, and the triple count of a graph (by a GET on the store or a COUNT
query on the endpoint)."""

from __future__ import annotations

import contextlib
import urllib.parse
from typing import TYPE_CHECKING

import kb.remote.answers as answers
from kb.errors import ServerError
from kb.formats import rdf_format, results_format
from kb.remote.client import HttpClient, Progress
from kb.remote.urls import graph_url

if TYPE_CHECKING:
    import pyoxigraph

NTRIPLES = rdf_format("nt").media_type
SPARQL_JSON = results_format("json").media_type
SPARQL_UPDATE = "application/sparql-update"
FORM = "application/x-www-form-urlencoded"
#: A best-effort clean-up gets at most this many seconds.
CLEANUP_TIMEOUT = 5.0


def ntriples_lines(body: bytes) -> int | None:
    """The number of lines of N-Triples ``body`` when each line plainly holds one triple
    (begins with ``<`` or ``_:``, ends with ``.``, LF line ends, no blank or comment line),
    else None. N-Triples puts exactly one triple on a line and a raw line feed occurs
    nowhere else, so this counts the triples with a few byte counts (no parse: 1M triples
    in about 0.25 s); it checks the lines' shape, not each term."""
    if not body:
        return 0
    if not body.endswith(b".\n") or not body.startswith((b"<", b"_:")):
        return None
    lines = body.count(b"\n")
    # Every line feed but the last must end a triple and begin the next one.
    joints = body.count(b".\n<")
    if joints != lines - 1:
        joints += body.count(b".\n_:")
    return lines if joints == lines - 1 else None


def count_in_store(
    client: HttpClient, store_url: str, graph: str, expected: int | None = None
) -> int:
    """Triples in ``graph``, by a Graph Store Protocol GET (404 counts as 0).

    An N-Triples answer whose lines each hold one triple counts by its lines: a store
    holds a graph's triples once each, and writes each on its own line. When that number
    is not ``expected`` (or the answer is another RDF syntax, or its lines look wrong) the
    body is parsed and its distinct triples counted, so a mismatch reported is an exact
    count and a body that is not what its content type says is a ServerError."""
    url = graph_url(store_url, graph)
    answer = client.request("GET", url, headers={"Accept": NTRIPLES})
    if answer.status == 404:
        return 0
    client.expect(answer, url, ok=(200,))
    if answer.content_type in (NTRIPLES, "text/plain"):  # text/plain: N-Triples before 2014
        lines = ntriples_lines(answer.body)
        if lines is not None and (expected is None or lines == expected):
            return lines
    return len(set(answers.parse_rdf(client, url, answer, lenient=True)))


def count_at_endpoint(client: HttpClient, endpoint_url: str, graph: str) -> int:
    """Triples in ``graph``, by a SPARQL COUNT query (POST, form-encoded)."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    body = urllib.parse.urlencode({"query": query}).encode()
    headers = {"Content-Type": FORM, "Accept": SPARQL_JSON}
    answer = client.request("POST", endpoint_url, body, headers)
    client.expect(answer, endpoint_url, ok=(200,))
    rows = list(answers.parse_results(client, endpoint_url, answer))
    try:
        return int(rows[0]["n"].value)
    except (IndexError, KeyError, TypeError, ValueError, AttributeError):
        raise client.fail(endpoint_url, "the COUNT query gave no number") from None


def sparql_update(
    client: HttpClient, update_url: str, update: str, timeout: float | None = None
) -> None:
    """Run one SPARQL Update (POST ``application/sparql-update``)."""
    headers = {"Content-Type": SPARQL_UPDATE, "Accept": f"{SPARQL_JSON}, */*;q=0.1"}
    answer = client.request("POST", update_url, update.encode(), headers, timeout=timeout)
    client.expect(answer, update_url, ok=(200, 201, 204))


def drop_quietly(client: HttpClient, update_url: str, graph: str) -> None:
    """Best-effort ``DROP SILENT GRAPH`` (a short timeout; errors ignored)."""
    with contextlib.suppress(ServerError):
        timeout = min(client.timeout, CLEANUP_TIMEOUT)
        sparql_update(client, update_url, f"DROP SILENT GRAPH <{graph}>", timeout)


def put_graph(
    client: HttpClient,
    store_url: str,
    graph: str,
    data: bytes,
    progress: Progress | None,
    bulk: bool = False,
) -> None:
    """Replace ``graph`` with ``data`` (N-Triples) by a Graph Store Protocol PUT; with
    ``bulk``, Oxigraph's ``no_transaction`` loader (for a staging graph only: it is not
    atomic, and an Oxigraph server loads about 4 times faster without the transaction)."""
    url = graph_url(store_url, graph)
    headers = {"Content-Type": NTRIPLES}
    answer = client.request(
        "PUT", url + ("&no_transaction" if bulk else ""), data, headers, progress
    )
    client.expect(answer, url, ok=(200, 201, 204))


def is_oxigraph(client: HttpClient, store_url: str) -> bool:
    """Whether the server names itself Oxigraph (``Server: Oxigraph/...``), by one HEAD."""
    try:
        answer = client.request("HEAD", store_url)
    except ServerError:
        return False
    return answer.headers.get("server", "").lower().startswith("oxigraph/")


def get_graph(client: HttpClient, store_url: str, graph: str) -> list[pyoxigraph.Triple]:
    """The triples of ``graph`` by a Graph Store Protocol GET."""
    url = graph_url(store_url, graph)
    answer = client.request("GET", url, headers={"Accept": NTRIPLES})
    client.expect(answer, url, ok=(200,))
    return answers.parse_rdf(client, url, answer)
