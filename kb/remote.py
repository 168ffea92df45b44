"""Talk to SPARQL 1.1 servers: push the published graph (Graph Store Protocol, optionally
staged and moved into place with one SPARQL Update) and ask queries (SPARQLWrapper).

Nothing here prints. Every failure of a server (refused connection, no answer within the
timeout, an HTTP error, a body that is not what its content type says, a query the server
rejects) raises :class:`kb.errors.ServerError` (exit 3) with one line naming the endpoint
without credentials. Credentials come from ``--user`` plus ``$KB_ENDPOINT_PASSWORD`` or a
netrc file and never appear in a message. Only the URLs the caller gives are contacted.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import http.client
import netrc
import os
import re
import socket
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kb import PASSWORD_ENV
from kb.errors import InputError, ServerError, UsageError
from kb.namespaces import DEFAULT_GRAPH

if TYPE_CHECKING:
    import pyoxigraph

    from kb.query import PreparedQuery, QueryResult
    from kb.resources import Layout

AuthScheme = Literal["basic", "digest"]
#: Called with (bytes sent, bytes in total) while a body is uploaded.
Progress = Callable[[int, int], None]

DEFAULT_TIMEOUT = 30.0
#: Upload block size: the progress callback is called once per block.
BLOCK = 64 * 1024
NTRIPLES = "application/n-triples"
SPARQL_JSON = "application/sparql-results+json"
SPARQL_UPDATE = "application/sparql-update"
FORM = "application/x-www-form-urlencoded"
USER_AGENT = "lifesci-news-kb (kb.remote)"
_TAGS = re.compile(
    r"<!DOCTYPE[^>]*>|</?(?:html|head|body|title|h[1-6]|p|pre|xmp|br|hr|div|span|b|i|a|code)"
    r"\b[^>]*>",
    re.IGNORECASE,
)
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


# --- credentials and URLs -----------------------------------------------------------------


@dataclass(frozen=True)
class Auth:
    """HTTP credentials; the password is never shown by ``repr``."""

    user: str
    password: str = field(repr=False)
    scheme: AuthScheme = "basic"


def check_url(url: str, what: str = "endpoint") -> str:
    """Return ``url`` when it is an http(s) URL without credentials, else UsageError."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{display_url(url)}: the {what} must be an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            f"{display_url(url)}: credentials in the URL are refused; use --user and "
            f"${PASSWORD_ENV} or a netrc file"
        )
    return url


def display_url(url: str) -> str:
    """``url`` with any user name and password removed, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _netrc_entry(host: str, path: str | None) -> tuple[str, str] | None:
    """(login, password) for ``host`` from ``path`` ($NETRC or ~/.netrc), if any."""
    file = Path(path).expanduser() if path else Path.home() / ".netrc"
    if not file.is_file():
        return None
    try:
        entry = netrc.netrc(str(file)).authenticators(host)
    except (netrc.NetrcParseError, OSError) as exc:
        line = getattr(exc, "lineno", None)
        where = f"{file}:{line}" if line else str(file)
        raise UsageError(f"{where}: unreadable netrc file") from None
    if not entry or entry[2] is None:
        return None
    return entry[0], entry[2]


def resolve_auth(
    url: str,
    user: str | None = None,
    scheme: AuthScheme = "basic",
    environ: Mapping[str, str] | None = None,
) -> Auth | None:
    """Credentials for ``url``: ``user`` (or the netrc login) with the password from
    ``$KB_ENDPOINT_PASSWORD`` or the netrc file ($NETRC, else ~/.netrc); None if neither
    a user nor a netrc entry is given. A user without a password is a UsageError."""
    env = os.environ if environ is None else environ
    host = urllib.parse.urlsplit(url).hostname or ""
    password = env.get(PASSWORD_ENV)
    entry = _netrc_entry(host, env.get("NETRC"))
    if user is None and entry is None:
        return None
    if user is None and entry is not None:
        user = entry[0]
    if password is None and entry is not None and entry[0] == user:
        password = entry[1]
    if password is None:
        raise UsageError(
            f"no password for user {user!r} at {host}: set ${PASSWORD_ENV} or add the host "
            "to a netrc file"
        )
    return Auth(str(user), password, scheme)


# --- HTTP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """One HTTP answer, read completely."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case ('' when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def _scrub(text: str, auth: Auth | None) -> str:
    """Remove the password (and its Basic encoding) from ``text``."""
    if auth and auth.password:
        token = base64.b64encode(f"{auth.user}:{auth.password}".encode()).decode()
        text = text.replace(token, "***").replace(auth.password, "***")
    return text


def _snippet(body: bytes, limit: int = 160) -> str:
    """The first words of an error body, without HTML markup, on one line."""
    text = html.unescape(_TAGS.sub(" ", body[:4000].decode("utf-8", "replace")))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _network_failure(exc: BaseException, timeout: float) -> str:
    """What went wrong, in a few words, for a connection-level exception."""
    import ssl

    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s (timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError):
        return "the server closed the connection without answering"
    if isinstance(exc, http.client.HTTPException):
        return "the answer is not valid HTTP"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or 'handshake failed'})"
    return getattr(exc, "strerror", None) or type(exc).__name__


def _digest_challenge(header: str) -> dict[str, str] | None:
    """The parameters of a ``Digest`` challenge in a WWW-Authenticate header, if any."""
    start = header.lower().find("digest ")
    if start < 0:
        return None
    return {k.lower(): (q if q else v) for k, q, v in _PARAM.findall(header[start + 7 :])}


def _hash(algorithm: str, text: str) -> str:
    name = "sha256" if algorithm.upper().startswith("SHA-256") else "md5"
    return hashlib.new(name, text.encode()).hexdigest()


def digest_header(
    auth: Auth, challenge: Mapping[str, str], method: str, uri: str, count: int
) -> str:
    """An RFC 7616 ``Authorization: Digest`` value (qop=auth or none; MD5 or SHA-256)."""
    algorithm = challenge.get("algorithm", "MD5")
    realm, nonce = challenge.get("realm", ""), challenge.get("nonce", "")
    ha1 = _hash(algorithm, f"{auth.user}:{realm}:{auth.password}")
    cnonce = uuid.uuid4().hex[:16]
    if algorithm.upper().endswith("-SESS"):
        ha1 = _hash(algorithm, f"{ha1}:{nonce}:{cnonce}")
    ha2 = _hash(algorithm, f"{method}:{uri}")
    nc = f"{count:08x}"
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    fields = [f'username="{auth.user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "auth" in qops:
        response = _hash(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        fields += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
    else:
        response = _hash(algorithm, f"{ha1}:{nonce}:{ha2}")
    fields += [f'response="{response}"', f"algorithm={algorithm}"]
    if "opaque" in challenge:
        fields.append(f'opaque="{challenge["opaque"]}"')
    return "Digest " + ", ".join(fields)


def _blocks(data: bytes, progress: Progress | None) -> Iterator[bytes]:
    """``data`` in blocks, reporting progress after each one."""
    total = len(data)
    view = memoryview(data)
    for start in range(0, total, BLOCK):
        block = view[start : start + BLOCK]
        yield bytes(block)
        if progress:
            progress(min(start + BLOCK, total), total)


class HttpClient:
    """A small HTTP client: timeout on every request, Basic or Digest auth, streamed
    uploads with a Content-Length (some servers ignore chunked bodies), and one-line
    ServerErrors that name the URL but never the credentials."""

    def __init__(self, auth: Auth | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.auth = auth
        self.timeout = timeout
        self._challenge: dict[str, str] | None = None
        self._count = 0

    def fail(self, url: str, what: str) -> ServerError:
        """A ServerError naming ``url`` (without credentials) and ``what`` happened."""
        return ServerError(_scrub(f"{display_url(url)}: {what}", self.auth))

    def _auth_header(self, method: str, target: str) -> dict[str, str]:
        if self.auth is None:
            return {}
        if self.auth.scheme == "basic":
            token = base64.b64encode(f"{self.auth.user}:{self.auth.password}".encode())
            return {"Authorization": "Basic " + token.decode()}
        if self._challenge is None:
            return {}
        self._count += 1
        value = digest_header(self.auth, self._challenge, method, target, self._count)
        return {"Authorization": value}

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        progress: Progress | None,
    ) -> Response:
        parts = urllib.parse.urlsplit(url)
        target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        factory = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = factory(parts.hostname or "", parts.port, timeout=self.timeout)
        all_headers = {"User-Agent": USER_AGENT, **headers, **self._auth_header(method, target)}
        try:
            try:
                if body is None:
                    connection.request(method, target, headers=all_headers)
                else:
                    all_headers["Content-Length"] = str(len(body))
                    connection.request(method, target, _blocks(body, progress), all_headers)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered early (e.g. 401) and closed: read that answer
            answer = connection.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            raise self.fail(url, _network_failure(exc, self.timeout)) from None
        finally:
            connection.close()
        fields = {k.lower(): v for k, v in answer.getheaders()}
        return Response(answer.status, answer.reason, fields, data)

    def _learn_challenge(self, url: str) -> None:
        """Ask once without credentials (HEAD) to learn a Digest challenge before an upload."""
        answer = self._send("HEAD", url, None, {}, None)
        self._challenge = _digest_challenge(answer.headers.get("www-authenticate", ""))

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> Response:
        """Send one request (retrying once on a fresh Digest challenge); return the answer."""
        headers = dict(headers or {})
        digest = self.auth is not None and self.auth.scheme == "digest"
        if digest and self._challenge is None and body:
            self._learn_challenge(url)
        answer = self._send(method, url, body, headers, progress)
        if digest and answer.status == 401:
            challenge = _digest_challenge(answer.headers.get("www-authenticate", ""))
            if challenge:
                self._challenge = challenge
                answer = self._send(method, url, body, headers, progress)
        return answer

    def expect(self, answer: Response, url: str, ok: tuple[int, ...] = (200, 201, 204)) -> None:
        """Raise a one-line ServerError unless ``answer.status`` is in ``ok``."""
        if answer.status in ok:
            return
        what = f"HTTP {answer.status} {answer.reason}".strip()
        hint = {
            401: "check --user, --auth and the password",
            403: "forbidden: a read-only server, or no update rights for this user",
            404: "not found: check the URL",
        }.get(answer.status)
        detail = _snippet(answer.body)
        message = "; ".join(part for part in (what, hint, detail) if part)
        raise self.fail(url, message)


# --- Graph Store Protocol, SPARQL Update, counts ------------------------------------------


def graph_url(store_url: str, graph: str) -> str:
    """The Graph Store Protocol URL of ``graph`` (indirect identification: ``?graph=``)."""
    separator = "&" if urllib.parse.urlsplit(store_url).query else "?"
    return f"{store_url}{separator}graph={urllib.parse.quote(graph, safe='')}"


def check_graph(graph: str) -> str:
    """Return ``graph`` when it is an absolute IRI, else UsageError."""
    import pyoxigraph

    try:
        pyoxigraph.NamedNode(graph)
    except ValueError:
        raise UsageError(f"{graph!r}: the graph must be an absolute IRI") from None
    if not urllib.parse.urlsplit(graph).scheme or any(c in graph for c in '<>" {}|\\^`'):
        raise UsageError(f"{graph!r}: the graph must be an absolute IRI")
    return graph


def _parse_rdf(
    client: HttpClient, url: str, answer: Response, lenient: bool = False
) -> list[pyoxigraph.Triple]:
    """The triples of an RDF answer, checked against its content type (its syntax only,
    not each IRI, when ``lenient``: enough to count them, and 3 times faster)."""
    import pyoxigraph

    media = answer.content_type or "(none)"
    rdf_format = pyoxigraph.RdfFormat.from_media_type(media) if answer.content_type else None
    if rdf_format is None:
        raise client.fail(url, f"answered Content-Type {media}, not RDF")
    try:
        quads = pyoxigraph.parse(answer.body, format=rdf_format, lenient=lenient)
        return [pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads]
    except (SyntaxError, ValueError) as exc:
        raise client.fail(url, f"the body is not valid {media}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


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
    return len(set(_parse_rdf(client, url, answer, lenient=True)))


def _parse_select(client: HttpClient, url: str, answer: Response) -> Any:
    """SPARQL results (JSON or XML) of ``answer``, checked against its content type."""
    import pyoxigraph

    media = answer.content_type or "(none)"
    results_format = (
        pyoxigraph.QueryResultsFormat.from_media_type(media) if answer.content_type else None
    )
    if results_format is None:
        raise client.fail(url, f"answered Content-Type {media}, not SPARQL results")
    try:
        return pyoxigraph.parse_query_results(answer.body, format=results_format)
    except (SyntaxError, ValueError) as exc:
        raise client.fail(url, f"the body is not valid {media}: {_first_line(exc)}") from None


def count_at_endpoint(client: HttpClient, endpoint_url: str, graph: str) -> int:
    """Triples in ``graph``, by a SPARQL COUNT query (POST, form-encoded)."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    body = urllib.parse.urlencode({"query": query}).encode()
    headers = {"Content-Type": FORM, "Accept": SPARQL_JSON}
    answer = client.request("POST", endpoint_url, body, headers)
    client.expect(answer, endpoint_url, ok=(200,))
    try:
        rows = list(_parse_select(client, endpoint_url, answer))
        return int(rows[0]["n"].value)
    except (IndexError, KeyError, TypeError, ValueError, AttributeError):
        raise client.fail(endpoint_url, "the COUNT query gave no number") from None


def sparql_update(client: HttpClient, update_url: str, update: str) -> None:
    """Run one SPARQL Update (POST ``application/sparql-update``)."""
    headers = {"Content-Type": SPARQL_UPDATE, "Accept": f"{SPARQL_JSON}, */*;q=0.1"}
    answer = client.request("POST", update_url, update.encode(), headers)
    client.expect(answer, update_url, ok=(200, 201, 204))


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
        answer = client._send("HEAD", store_url, None, {}, None)
    except ServerError:
        return False
    return answer.headers.get("server", "").lower().startswith("oxigraph/")


# --- push ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PushResult:
    """What a push did: ``atomic`` is True when the graph was moved into place by one
    SPARQL Update (readers saw the old graph or the new one, never a mix or nothing)."""

    triples: int
    graph: str
    seconds: float
    atomic: bool
    staging: str | None = None


def count_triples(data: bytes) -> int:
    """Distinct triples in N-Triples ``data``; InputError when it does not parse."""
    import pyoxigraph

    try:
        return len(set(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_TRIPLES)))
    except SyntaxError as exc:
        line = f":{exc.lineno}" if exc.lineno else ""
        raise InputError(f"<push data>{line}: {_first_line(exc)}") from None


def staging_graph(graph: str) -> str:
    """A fresh, unique staging graph IRI next to ``graph``."""
    return f"{graph}{'-' if graph[-1:] not in '/#' else ''}staging-{uuid.uuid4().hex}"


def _counter(
    client: HttpClient, store_url: str, endpoint_url: str | None
) -> Callable[[str, int], int]:
    """A function counting a graph's triples (given how many are expected) through the
    endpoint if given, else the store."""
    if endpoint_url:
        return lambda graph, _expected: count_at_endpoint(client, endpoint_url, graph)
    return lambda graph, expected: count_in_store(client, store_url, graph, expected)


def _push_staged(
    client: HttpClient,
    data: bytes,
    triples: int,
    urls: tuple[str, str, str | None],
    graph: str,
    progress: Progress | None,
) -> str:
    """PUT into a staging graph, verify its count, MOVE it over ``graph``; return its IRI.
    On any failure the staging graph is dropped (best effort) and ``graph`` is untouched."""
    store_url, update_url, endpoint_url = urls
    staging = staging_graph(graph)
    count = _counter(client, store_url, endpoint_url)
    moved = False
    try:
        bulk = is_oxigraph(client, store_url)
        put_graph(client, store_url, staging, data, progress, bulk=bulk)
        held = count(staging, triples)
        if held != triples:
            raise client.fail(
                graph_url(store_url, staging),
                f"the staging graph holds {held} triples, {triples} were sent; "
                "the target graph was not changed",
            )
        sparql_update(client, update_url, f"MOVE <{staging}> TO <{graph}>")
        moved = True
    finally:
        if not moved:
            _drop_quietly(client, update_url, staging)
    return staging


def _drop_quietly(client: HttpClient, update_url: str, graph: str) -> None:
    """Best-effort ``DROP SILENT GRAPH`` (a short timeout; errors ignored)."""
    quick = HttpClient(client.auth, min(client.timeout, 5.0))
    quick._challenge = client._challenge
    quick._count = client._count
    with contextlib.suppress(ServerError):
        sparql_update(quick, update_url, f"DROP SILENT GRAPH <{graph}>")


def push(
    data: bytes,
    store_url: str,
    update_url: str | None = None,
    endpoint_url: str | None = None,
    graph: str = DEFAULT_GRAPH,
    auth: Auth | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress | None = None,
    expected_triples: int | None = None,
) -> PushResult:
    """Send N-Triples ``data`` (the published graph) to ``graph`` on a SPARQL 1.1 server.

    With ``update_url`` the data goes to a staging graph first, its triple count is
    verified, and one ``MOVE`` replaces the target, so readers see the old graph or the
    new one. Without it a Graph Store Protocol PUT replaces the target (not atomic on
    servers that clear the graph before loading). Either way the target's triple count is
    read back (through ``endpoint_url`` if given, else the store) and must match.

    ``expected_triples`` skips the local parse of ``data`` (the caller vouches for the
    count); otherwise data that does not parse raises InputError before anything is sent.
    """
    start = time.monotonic()
    check_url(store_url, "store")
    for url, what in ((update_url, "update endpoint"), (endpoint_url, "query endpoint")):
        if url:
            check_url(url, what)
    check_graph(graph)
    triples = count_triples(data) if expected_triples is None else expected_triples
    if triples == 0:
        raise UsageError("nothing to push: the graph is empty")
    client = HttpClient(auth, timeout)
    staging = None
    if update_url:
        urls = (store_url, update_url, endpoint_url)
        staging = _push_staged(client, data, triples, urls, graph, progress)
    else:
        put_graph(client, store_url, graph, data, progress)
    held = _counter(client, store_url, endpoint_url)(graph, triples)
    if held != triples:
        raise client.fail(
            endpoint_url or graph_url(store_url, graph),
            f"after the push the graph holds {held} triples, {triples} were sent",
        )
    seconds = time.monotonic() - start
    return PushResult(triples, graph, seconds, atomic=update_url is not None, staging=staging)


def fetch_graph(
    store_url: str, graph: str = DEFAULT_GRAPH, auth: Auth | None = None, timeout: float = 30.0
) -> list[pyoxigraph.Triple]:
    """The triples of ``graph`` by a Graph Store Protocol GET (for checks and tests)."""
    client = HttpClient(auth, timeout)
    url = graph_url(check_url(store_url, "store"), graph)
    answer = client.request("GET", url, headers={"Accept": NTRIPLES})
    client.expect(answer, url, ok=(200,))
    return _parse_rdf(client, url, answer)


# --- queries through SPARQLWrapper --------------------------------------------------------


def _wrapper(
    endpoint_url: str, query: str, graph: str | None, auth: Auth | None, timeout: float
) -> Any:
    """A configured SPARQLWrapper for one query (POST, graph addressed explicitly)."""
    from SPARQLWrapper import BASIC, DIGEST, JSON, POST, TURTLE, SPARQLWrapper

    wrapper = SPARQLWrapper(endpoint_url, agent=USER_AGENT)
    wrapper.setMethod(POST)
    wrapper.setTimeout(timeout)
    wrapper.setQuery(query)
    if graph:
        wrapper.addDefaultGraph(graph)
    construct = wrapper.queryType in ("CONSTRUCT", "DESCRIBE")
    wrapper.setReturnFormat(TURTLE if construct else JSON)
    if auth is not None:
        wrapper.setHTTPAuth(DIGEST if auth.scheme == "digest" else BASIC)
        realm = _digest_realm(endpoint_url, auth, timeout) if auth.scheme == "digest" else None
        wrapper.setCredentials(auth.user, auth.password, realm=realm or "SPARQL")
    return wrapper


def _digest_realm(endpoint_url: str, auth: Auth, timeout: float) -> str | None:
    """The realm of the endpoint's Digest challenge (SPARQLWrapper needs it up front)."""
    client = HttpClient(None, timeout)
    answer = client.request("HEAD", endpoint_url)
    challenge = _digest_challenge(answer.headers.get("www-authenticate", ""))
    return challenge.get("realm") if challenge else None


def _wrapper_failure(exc: BaseException, timeout: float) -> str:
    """What a SPARQLWrapper or urllib exception means, in a few words."""
    import urllib.error

    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    if isinstance(exc, SPARQLWrapperException):
        status = {
            "QueryBadFormed": "HTTP 400: the server rejected the query",
            "EndPointNotFound": "HTTP 404 not found: check the URL",
            "Unauthorized": "HTTP 401 Unauthorized; check --user, --auth and the password",
            "URITooLong": "HTTP 414: the query is too long",
            "EndPointInternalError": "HTTP 500: the server failed",
        }.get(type(exc).__name__, type(exc).__name__)
        detail = _snippet(_wrapper_body(exc))
        return f"{status}: {detail}" if detail else status
    if isinstance(exc, urllib.error.HTTPError):
        hint = (
            " forbidden: no rights for this user or a read-only server" if exc.code == 403 else ""
        )
        return f"HTTP {exc.code} {exc.reason};{hint}".rstrip(";")
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        return _network_failure(exc.reason, timeout)
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return _network_failure(exc, timeout)


def _wrapper_body(exc: BaseException) -> bytes:
    """The response body SPARQLWrapper keeps (as a bytes repr) in its exception text."""
    import ast

    marker = "Response:\n"
    text = str(exc).split(marker, 1)[1] if marker in str(exc) else ""
    try:
        body = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text.encode("utf-8", "replace")
    return body if isinstance(body, bytes) else str(body).encode("utf-8", "replace")


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
) -> RemoteAnswer:
    """Ask ``query`` of ``endpoint_url`` with ``graph`` as the default graph
    (``default-graph-uri``); None leaves the server's default graph (a union on Virtuoso).
    SELECT/ASK come back as SPARQL JSON, CONSTRUCT/DESCRIBE as Turtle; both are parsed
    and checked against their content type."""
    check_url(endpoint_url)
    if graph:
        check_graph(graph)
    client = HttpClient(auth, timeout)
    wrapper = _wrapper(endpoint_url, query, graph, auth, timeout)
    try:
        raw = wrapper.query()
        headers = {k.lower(): v for k, v in raw.response.getheaders()}
        body = raw.response.read()
    except Exception as exc:  # SPARQLWrapper and urllib raise many unrelated types
        raise client.fail(endpoint_url, _wrapper_failure(exc, timeout)) from None
    answer = Response(200, "OK", headers, body)
    if wrapper.queryType in ("CONSTRUCT", "DESCRIBE"):
        result: Any = _parse_rdf(client, endpoint_url, answer)
    else:
        result = _parse_select(client, endpoint_url, answer)
    return RemoteAnswer(answer.content_type, body, result)


def run_prepared(
    prepared: PreparedQuery,
    endpoint_url: str,
    graph: str | None = DEFAULT_GRAPH,
    auth: Auth | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    fmt: str | None = None,
) -> QueryResult:
    """Run a prepared query (bindings already in its VALUES block) on a server and return
    the same ``kb.query.QueryResult`` a local run gives, so the same formatters apply."""
    from kb.query import _collect, check_format, default_format

    fmt = check_format(prepared.form, fmt or default_format(prepared.form))
    answer = remote_query(prepared.text, endpoint_url, graph, auth, timeout)
    return _collect(answer.result, prepared.form, fmt)


@dataclass(frozen=True)
class Remote:
    """Where and how to ask: an endpoint, the graph to address, credentials, a timeout."""

    endpoint_url: str
    graph: str | None = DEFAULT_GRAPH
    auth: Auth | None = None
    timeout: float = DEFAULT_TIMEOUT

    def run(self, prepared: PreparedQuery, fmt: str | None = None) -> QueryResult:
        """Run ``prepared`` on this endpoint (the engine seam for ``kb query``/``kb check``)."""
        return run_prepared(prepared, self.endpoint_url, self.graph, self.auth, self.timeout, fmt)


def run_query_remote(
    layout: Layout,
    query: str,
    remote: Remote,
    bindings: Sequence[str] = (),
    fmt: str | None = None,
) -> QueryResult:
    """``kb query QUERY --endpoint URL``: resolve QUERY (catalogue name, ``.rq`` file or
    inline text), bind values exactly as locally, and run it on the server."""
    from kb.query import prepare, resolve

    text, entry = resolve(layout, query)
    source = entry.name if entry else ("query" if text is query else query)
    prepared = prepare(text, bindings, entry.params if entry else None, False, source)
    return remote.run(prepared, fmt)
