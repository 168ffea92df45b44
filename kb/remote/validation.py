"""The data graph of a SPARQL server as a source for the fast SHACL engine
(``kb.shacl.engine.Source``): the compiled SELECT queries go to the endpoint, scoped to
one named graph, and only their rows come back.

Each query is sent as the engine wrote it, with the graph named by ``default-graph-uri``
(Virtuoso's own default graph is the union of every graph). A server that cut the answer
short (Virtuoso's ``ResultSetMaxRows``: the ``X-SPARQL-MaxRows`` header; or exactly
``row_cap`` rows) is asked again page by page (``ORDER BY`` every projected variable,
``LIMIT``/``OFFSET``) until a page comes back short; a query that cannot be paged is a
ServerError (exit 3). Only queries are sent: never an update, never SERVICE.
"""

from __future__ import annotations

import functools
import re
import threading
import urllib.parse
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import kb.remote.answers as answers
from kb.namespaces import DEFAULT_GRAPH
from kb.remote.client import DEFAULT_MAX_RESPONSE_MB, DEFAULT_TIMEOUT, MB, HttpClient, snippet
from kb.remote.credentials import Auth
from kb.remote.dialect import bnode_labels, virtuoso
from kb.remote.gsp import FORM
from kb.remote.query import RESULTS_ACCEPT
from kb.remote.urls import check_graph, check_url
from kb.sparql_text import query_form, uses_service

if TYPE_CHECKING:
    from kb.shacl.graph import Term

#: Virtuoso's header on an answer it cut at ResultSetMaxRows.
MAX_ROWS_HEADER = "x-sparql-maxrows"
#: Rows per page once an answer was found cut short (lowered to the server's cap).
PAGE_ROWS = 10_000
#: The prologue of a query (kept in front when the query is paged as a sub-query).
_PROLOGUE = re.compile(r"\s*(?:(?:PREFIX\s+[\w.-]*:\s*|BASE\s*)<[^<>\s]*>\s*|#[^\n]*\n\s*)*", re.I)
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
#: ``rdf:type/rdfs:subClassOf*`` in its spellings (prefixed names only where declared so).
_TYPE_PATH = re.compile(
    r"(?:(?<![\w:?$])a|rdf:type|<http://www\.w3\.org/1999/02/22-rdf-syntax-ns#type>)"
    r"\s*/\s*(?:rdfs:subClassOf|<http://www\.w3\.org/2000/01/rdf-schema#subClassOf>)\s*\*"
)
_STANDARD_PREFIXES = re.compile(r"PREFIX\s+(rdfs?):\s*<([^>]*)>", re.I)
#: A property path operator (*, + or ?) after an IRI, a prefixed name or a group.
_TRANSITIVE = re.compile(r"[\w>)][*+]|[\w>)]\?(?=[\s<(])")
_STRINGS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
)
#: Whether the graph's types are closed under rdfs:subClassOf (kb push sends the closure).
_OPEN_TYPES = (
    "SELECT ?x WHERE { ?x <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ?c . "
    "?c <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?d . "
    "FILTER NOT EXISTS { ?x <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ?d } } LIMIT 1"
)
VIRTUOSO_PATHS = (
    "a property path with *, + or ? (Virtuoso 7.2 evaluates them wrongly once their "
    "start is bound by the rest of the query)"
)


@dataclass
class EndpointSource:
    """A named graph on a SPARQL endpoint, asked the engine's SELECT queries.

    ``row_cap``: a row limit the server applies without saying so (None: unknown); an
    answer of exactly that many rows is taken as cut short. ``sent`` counts requests."""

    endpoint_url: str
    graph: str = DEFAULT_GRAPH
    auth: Auth | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_RESPONSE_MB * MB
    row_cap: int | None = None
    prebinding: bool = field(default=False, init=False)
    sent: int = field(default=0, init=False)
    #: pages fetched because the server cut an answer short
    pages: int = field(default=0, init=False)
    #: learnt from the first answer: the server is Virtuoso; the graph's types are closed
    virtuoso: bool = field(default=False, init=False)
    closed_types: bool = field(default=False, init=False)
    _ready: bool = field(default=False, init=False, repr=False)
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        check_url(self.endpoint_url)
        check_graph(self.graph)

    def select(self, text: str, this: Term | None = None) -> list[dict[str, Any]]:
        """Every row of the SELECT ``text`` on the graph, paged when the server cuts."""
        if this is not None:
            raise ValueError("a SPARQL server cannot pre-bind ?this")
        if query_form(text) != "SELECT" or uses_service(text):
            raise ValueError("only SELECT queries without SERVICE are sent")  # engine bug
        text = self.dialect(text)
        variables, rows, cut = self._ask(text)
        if not cut and (self.row_cap is None or len(rows) < self.row_cap):
            return rows
        return self._paged(text, variables, cut or self.row_cap or PAGE_ROWS)

    @property
    def probes(self) -> bool:
        """Whether the engine's one-pass probes pay here (not on Virtuoso, whose plans for
        their nested EXISTS take longer than the shape's own queries)."""
        self._learn()
        return not self.virtuoso

    @property
    def split_checks(self) -> bool:
        """Virtuoso: one query per value check (its projected booleans are unreliable)."""
        self._learn()
        return self.virtuoso

    def refusal(self, text: str) -> str | None:
        """Why the server would answer ``text`` wrongly (None: it answers it right)."""
        text = self.dialect(text)
        if self.virtuoso and _TRANSITIVE.search(_STRINGS.sub('""', text)):
            return VIRTUOSO_PATHS
        return None

    def dialect(self, text: str) -> str:
        """``text`` as this server answers it right: where the graph's types are closed
        under rdfs:subClassOf (the published graph holds the RDFS closure, which the
        local engine validates too), ``rdf:type/rdfs:subClassOf*`` is plain ``rdf:type``,
        which Virtuoso 7.2 gets wrong once the subject is bound."""
        self._learn()
        if self.virtuoso:
            text = virtuoso(text)
        if not self.closed_types:
            return text
        declared = {name: iri for name, iri in _STANDARD_PREFIXES.findall(text)}
        standard = (
            declared.get("rdf", RDF_TYPE[1:-5]) == RDF_TYPE[1:-5]
            and declared.get("rdfs", "http://www.w3.org/2000/01/rdf-schema#")
            == "http://www.w3.org/2000/01/rdf-schema#"
        )
        if not standard:
            return text
        return _TYPE_PATH.sub(RDF_TYPE, text)

    def _learn(self) -> None:
        """Ask once which server this is and whether the graph's types are closed."""
        with self._lock:
            if self._ready:
                return
            _, anything, _, _ = self._request("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
            if not anything:  # nothing to validate is no "conforms"
                raise self._client().fail(
                    self.endpoint_url,
                    f"the graph <{self.graph}> holds no triple there (not pushed yet? "
                    "another --graph?)",
                )
            _, rows, _, server = self._request(_OPEN_TYPES)
            self.virtuoso = "virtuoso" in server.lower()
            self.closed_types = not rows
            self._ready = True

    def _paged(self, text: str, variables: list[str], cap: int) -> list[dict[str, Any]]:
        """All rows of ``text``, a page of at most ``cap`` rows at a time: the query as a
        sub-query, in the order of every projected variable (a total order of distinct
        rows; equal rows are interchangeable), ``LIMIT``/``OFFSET``."""
        prologue = _PROLOGUE.match(text)
        head, body = text[: prologue.end()], text[prologue.end() :]
        if not variables or not body.lstrip().upper().startswith("SELECT"):
            raise self._client().fail(
                self.endpoint_url,
                f"the server cut an answer at {cap} rows and the query cannot be paged; "
                "raise the server's row limit (Virtuoso: ResultSetMaxRows)",
            )
        size = min(cap, PAGE_ROWS)
        order = " ".join(f"?{v}" for v in variables)
        rows: list[dict[str, Any]] = []
        while True:
            page = f"{head}SELECT * WHERE {{ {{ {body} }} }} ORDER BY {order} "
            _, found, cut = self._ask(f"{page}LIMIT {size} OFFSET {len(rows)}")
            if cut and cut < size:  # the server's cap is below our page: smaller pages
                size = cut
                continue
            with self._lock:
                self.pages += 1
            rows += found
            if len(found) < size:
                return rows

    def _client(self) -> HttpClient:
        """This thread's client (a Digest challenge and nonce count are per client)."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = HttpClient(self.auth, self.timeout, self.max_bytes)
        return client

    def _ask(self, text: str) -> tuple[list[str], list[dict[str, Any]], int]:
        """(variables, rows, the cap the server says it applied or 0) of one request."""
        variables, rows, cap, _ = self._request(text)
        return variables, rows, cap

    def _request(self, text: str) -> tuple[list[str], list[dict[str, Any]], int, str]:
        """(variables, rows, the announced row cap or 0, the Server header)."""
        import pyoxigraph

        client = self._client()
        url = self.endpoint_url
        body = urllib.parse.urlencode([("query", text), ("default-graph-uri", self.graph)])
        headers = {"Content-Type": FORM, "Accept": RESULTS_ACCEPT}
        self.sent += 1  # (an approximate count under threads: for messages only)
        answer = client.request("POST", url, body.encode(), headers)
        if answer.status == 400:
            detail = snippet(answer.body)
            raise client.fail(url, f"HTTP 400: the server rejected a validation query: {detail}")
        client.expect(answer, url, ok=(200,))
        answer = replace(answer, body=bnode_labels(answer.body))
        result = answers.parse_results(client, url, answer)
        if not isinstance(result, pyoxigraph.QuerySolutions):
            raise client.fail(url, "answered a boolean to a SELECT query")
        variables = [v.value for v in result.variables]
        missing = [name for name in _projected(text) if name not in variables]
        if missing:
            raise client.fail(
                url,
                f"answered without the variable{'s' if len(missing) > 1 else ''} asked for "
                f"(?{', ?'.join(missing)}); it answered ?{', ?'.join(variables) or '(none)'}",
            )
        rows = [{name: solution[name] for name in variables} for solution in result]
        cap = _cap(answer.headers.get(MAX_ROWS_HEADER, ""))
        return variables, rows, cap, answer.headers.get("server", "")


@functools.lru_cache(maxsize=4096)
def _projected(text: str) -> tuple[str, ...]:
    """The variables SELECT ``text`` projects, as pyoxigraph reads it (on an empty store:
    nothing is evaluated); () when pyoxigraph cannot read it (the server judges)."""
    import pyoxigraph

    try:
        return tuple(v.value for v in pyoxigraph.Store().query(text).variables)
    except (SyntaxError, ValueError, OSError, AttributeError):
        return ()


def _cap(header: str) -> int:
    """The row cap a server announced (0: none)."""
    header = header.strip()
    return int(header) if header.isdigit() else 0
