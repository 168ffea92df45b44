"""Ask a SPARQL endpoint a query (the SPARQL 1.1 Protocol: POST, form-encoded, the graph
named by ``default-graph-uri``) and give back what a local run gives, so that
``kb query`` and ``kb check`` format a server's answer exactly like the store's."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import kb.remote.answers as answers
from kb.formats import rdf_format, results_format
from kb.namespaces import DEFAULT_GRAPH
from kb.remote.client import DEFAULT_MAX_RESPONSE_MB, DEFAULT_TIMEOUT, MB, HttpClient, snippet
from kb.remote.credentials import Auth
from kb.remote.gsp import FORM
from kb.remote.urls import check_graph, check_url

if TYPE_CHECKING:
    from kb.query import PreparedQuery, QueryResult

#: What each query form asks the server for: SPARQL results, or RDF (Turtle preferred).
RESULTS_ACCEPT = f"{results_format('json').media_type}, {results_format('xml').media_type};q=0.9"
GRAPH_ACCEPT = ", ".join(
    (
        rdf_format("turtle").media_type,
        f"{rdf_format('nt').media_type};q=0.9",
        f"{rdf_format('xml').media_type};q=0.5",
    )
)


@dataclass(frozen=True)
class RemoteAnswer:
    """A server's answer: the raw body, its media type, and the parsed result (the same
    pyoxigraph types a local query returns: QuerySolutions, QueryBoolean, or triples)."""

    media_type: str
    body: bytes
    result: Any


def remote_query(
    query: str,
    endpoint_url: str,
    graph: str | None = DEFAULT_GRAPH,
    auth: Auth | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_RESPONSE_MB * MB,
) -> RemoteAnswer:
    """Ask ``query`` of ``endpoint_url`` with ``graph`` as the default graph
    (``default-graph-uri``); None leaves the server's default graph (a union on Virtuoso).
    SELECT/ASK come back as SPARQL results, CONSTRUCT/DESCRIBE as RDF; both are parsed
    in full and checked against their content type."""
    from kb.sparql_text import query_form

    check_url(endpoint_url)
    if graph:
        check_graph(graph)
    form = query_form(query)
    fields = [("query", query)] + ([("default-graph-uri", graph)] if graph else [])
    headers = {
        "Content-Type": FORM,
        "Accept": GRAPH_ACCEPT if form in ("CONSTRUCT", "DESCRIBE") else RESULTS_ACCEPT,
    }
    client = HttpClient(auth, timeout, max_bytes)
    body = urllib.parse.urlencode(fields).encode()
    answer = client.request("POST", endpoint_url, body, headers)
    if answer.status == 400:
        detail = snippet(answer.body)
        raise client.fail(endpoint_url, f"HTTP 400: the server rejected the query: {detail}")
    client.expect(answer, endpoint_url, ok=(200,))
    if form in ("CONSTRUCT", "DESCRIBE"):
        result: Any = answers.parse_rdf(client, endpoint_url, answer)
    else:
        result = answers.parse_results(client, endpoint_url, answer)
    return RemoteAnswer(answer.content_type, answer.body, result)


@dataclass(frozen=True)
class Remote:
    """A SPARQL endpoint as a query engine (the seam ``kb.query.Local`` shares): where to
    ask, the graph to address, credentials, and the limits of every request."""

    endpoint_url: str
    graph: str | None = DEFAULT_GRAPH
    auth: Auth | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_RESPONSE_MB * MB

    def run(self, prepared: PreparedQuery, fmt: str | None = None) -> QueryResult:
        """Run ``prepared`` (bindings already in its VALUES block) on this endpoint and
        return the same ``QueryResult`` a local run gives."""
        from kb.query import check_format, collect, default_format

        fmt = check_format(prepared.form, fmt or default_format(prepared.form))
        answer = remote_query(
            prepared.text, self.endpoint_url, self.graph, self.auth, self.timeout, self.max_bytes
        )
        return collect(answer.result, prepared.form, fmt)
