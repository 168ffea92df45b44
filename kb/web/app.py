"""The read-only web server (Starlette): every KB IRI dereferences at its own path, by
content negotiation, to a page or to its RDF; ``/sparql`` is a SPARQL 1.1 Protocol
endpoint; errors are pages. Starlette is a small, well-kept ASGI toolkit (no ORM, no
template engine of its own); uvicorn serves it.

Every response carries a strict Content-Security-Policy (nothing but our own stylesheet
loads, no script runs), ``X-Content-Type-Options: nosniff`` and ``Vary: Accept`` where the
answer depends on it. Requests are bounded: the query string, the body, the query text.
"""

from __future__ import annotations

import binascii
import contextlib
import functools
import hashlib
import logging
import re
import signal
import socket
import threading
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kb.errors import InputError, KBError, ServerError, TimeLimitError, UsageError
from kb.interrupts import Terminated, signals_raise
from kb.namespaces import BASE
from kb.resources import Layout
from kb.web import protocol
from kb.web.model import WebGraph, is_safe_path
from kb.web.negotiation import (
    BY_EXTENSION,
    FORMAT_NAMES,
    RESOURCE_FORMATS,
    Representation,
    choose,
)
from kb.web.pages import STATIC, Pages
from kb.web.sparql import (
    DEFAULT_TIMEOUT,
    MAX_QUERY_CHARS,
    RESULT_FORMATS,
    Answer,
    Endpoint,
    UnwritableAnswer,
)

#: How many IRIs known to exist a server keeps in memory, and how many bytes of answers.
MAX_REMEMBERED = 20_000
MAX_KEPT_BYTES = 64 * 1024 * 1024
#: Largest request body accepted (a POSTed query), in bytes.
MAX_BODY = 64 * 1024
#: Longest query string accepted (an encoded query may take three bytes a character).
MAX_QUERY_STRING = 3 * MAX_QUERY_CHARS
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
#: The query page alone runs scripts: the editor's, from this server, asking only it.
EDITOR_CSP = CSP.replace(
    "default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
STATIC_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
_EDITOR = {"content-security-policy": EDITOR_CSP}
_LOG = logging.getLogger("kb.web")
BUG = "the server failed to answer; this is a bug"


@dataclass(frozen=True)
class Body:
    """A response body kept with its ETag (hashed once, not on every request)."""

    data: bytes
    etag: str

    @classmethod
    def of(cls, data: bytes) -> Body:
        return cls(data, _etag(data))


@dataclass(eq=False)
class Site:
    """One knowledge base ready to serve: the graph, its endpoint and its pages."""

    graph: WebGraph
    endpoint: Endpoint
    pages: Pages

    def representation(self, iri: str, fmt: str) -> Body:
        """``iri`` in format ``fmt`` (a RESOURCE_FORMATS name), kept for the next
        request while the answers kept stay under MAX_KEPT_BYTES."""
        body = self._bodies.get((iri, fmt))
        if body is None:
            body = Body.of(self._make(iri, fmt))
            if self._kept + len(body.data) <= MAX_KEPT_BYTES:
                self._bodies[(iri, fmt)] = body
                self._kept += len(body.data)
        return body

    def _make(self, iri: str, fmt: str) -> bytes:
        from kb.export import serialize_sorted

        if iri == self.graph.iri_of("/ontology"):
            if fmt == "html":
                return self.pages.ontology().encode()
            return serialize_sorted(_store_ntriples(self.graph.ontology), fmt)
        if iri == self.graph.iri_of("/shapes") and self.graph.shapes is not None:
            if fmt == "html":
                return self.pages.shapes().encode()
            return serialize_sorted(_store_ntriples(self.graph.shapes), fmt)
        if fmt == "html":
            return self.pages.resource(iri).encode()
        return serialize_sorted(self.graph.description_ntriples(iri), fmt)

    def __post_init__(self) -> None:
        self._known: set[str] = set()
        self._bodies: dict[tuple[str, str], Body] = {}
        self._kept = 0

    async def known(self, iri: str) -> bool:
        """``has``, remembered when true (the graph never changes; the IRIs it knows are
        bounded, the ones it does not are not)."""
        if iri in self._known:
            return True
        found = await run_in_threadpool(self.has, iri)
        if found and len(self._known) < MAX_REMEMBERED:
            self._known.add(iri)
        return found

    def cached(self, iri: str, fmt: str) -> Body | None:
        """The bytes of ``iri`` in ``fmt`` if made already (without a thread hop)."""
        return self._bodies.get((iri, fmt))

    def has(self, iri: str) -> bool:
        special = (self.graph.iri_of("/ontology"), self.graph.iri_of("/shapes"))
        if iri == special[1]:
            return self.graph.shapes is not None
        return iri == special[0] or self.graph.exists(iri)


def _store_ntriples(store: pyoxigraph.Store) -> bytes:
    from kb.export import sorted_ntriples

    return sorted_ntriples(store)


def load_site(
    layout: Layout,
    data_files: Sequence[str | Path] | None = None,
    base: str = BASE,
    timeout: float | None = DEFAULT_TIMEOUT,
    pooled: bool = True,
) -> Site:
    """Load the published graph once (data + closure + ontology, as kb.published builds
    it), keeping the data as given beside it, so that pages can tell what was inferred.
    ``pooled``: queries run in a pool of workers kept ready (a server), else each in a
    worker of its own (a few queries, then the end)."""
    from kb.published import published_parts
    from kb.store import load_files

    data, ontology, store = published_parts(layout, data_files)
    shapes = load_files([layout.shapes]) if layout.shapes.is_file() else None
    graph = WebGraph(store, ontology, shapes, base, asserted=data)
    endpoint = Endpoint(store, timeout, pooled=pooled)
    return Site(graph, endpoint, Pages(graph, endpoint, layout))


# --- responses ---------------------------------------------------------------------------


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str | None, etag: str) -> bool:
    """Whether If-None-Match ``header`` names ``etag`` (weak comparison, ``*``)."""
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def respond(
    request: Request,
    body: bytes,
    media_type: str,
    status: int = 200,
    vary: bool = True,
    extra: dict[str, str] | None = None,
    etag: str | None = None,
) -> Response:
    """A response with our headers, an ETag (``etag`` if known; 304 when If-None-Match
    has it), and no body for HEAD."""
    headers = dict(SECURITY_HEADERS)
    if vary:
        headers["vary"] = "Accept"
    if extra:
        headers.update(extra)
    if status == 200:
        etag = etag or _etag(body)
        headers["etag"] = etag
        headers["cache-control"] = "public, max-age=300"
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        headers["content-length"] = str(len(body))
        return Response(b"", status_code=status, headers=headers, media_type=media_type)
    return Response(body, status_code=status, headers=headers, media_type=media_type)


def _media(representation: Representation) -> str:
    if representation.media_type.startswith("text/") or representation.name == "jsonld":
        return representation.media_type + "; charset=utf-8"
    return representation.media_type


def error_page(request: Request, status: int, message: str, site: Site) -> Response:
    body = site.pages.error(request.url.path, status, message).encode()
    extra = {"allow": "GET, HEAD, POST" if request.url.path == "/sparql" else "GET, HEAD"}
    return respond(
        request,
        body,
        "text/html; charset=utf-8",
        status,
        vary=False,
        extra=extra if status == 405 else None,
    )


# --- handlers ----------------------------------------------------------------------------


def _requested_format(request: Request, path: str) -> tuple[str, Representation | None, bool]:
    """(the resource path, the format asked for by ``?format=`` or an extension or None,
    whether one was asked for that way)."""
    names = request.query_params.getlist("format")
    if len(names) > 1:  # which one? as /sparql with several queries: ask for one
        raise HTTPException(400, "give one format, not several")
    name = names[0] if names else None
    if name is not None:
        fmt = FORMAT_NAMES.get(name.lower())
        if fmt is None:
            raise HTTPException(400, f"unknown format {name!r}; choose from {_names()}")
        return path, fmt, True
    for extension, fmt in BY_EXTENSION.items():
        if path.endswith(extension):
            return path[: -len(extension)], fmt, True
    return path, None, False


def _names() -> str:
    return ", ".join(r.name for r in RESOURCE_FORMATS)


def _not_acceptable(request: Request, site: Site, offers: Sequence[Representation]) -> Response:
    listed = ", ".join(r.media_type for r in offers)
    message = f"none of the formats asked for is available; available: {listed}"
    body = site.pages.error(request.url.path, 406, message).encode()
    return respond(request, body, "text/html; charset=utf-8", 406)


async def resource(request: Request) -> Response:
    site: Site = request.app.state.site
    # the path as sent (still percent-encoded), since an IRI is compared as written
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = raw.decode("latin-1").split("?", 1)[0]
    if request.method not in ("GET", "HEAD"):
        return error_page(request, 405, f"{request.method} is not allowed here", site)
    if not is_safe_path(path):
        return error_page(request, 404, "no such page", site)
    bare, fmt, explicit = _requested_format(request, path)
    iri = await _find(site, bare)
    if iri is None and explicit:
        bare, fmt = path, None
        iri = await _find(site, bare)
    if iri is None:
        shown = site.graph.iri_of(urllib.parse.unquote(bare, errors="replace"))
        return error_page(request, 404, f"nothing is known about {shown}", site)
    if fmt is None:
        fmt = choose(request.headers.get("accept"), RESOURCE_FORMATS)
        if fmt is None:
            return _not_acceptable(request, site, RESOURCE_FORMATS)
    kept = site.cached(iri, fmt.name)
    if kept is None:
        try:
            kept = await run_in_threadpool(site.representation, iri, fmt.name)
        except KBError as exc:  # a format that cannot carry it (RDF/XML and U+0001)
            offers = [r for r in RESOURCE_FORMATS if r is not fmt]
            listed = ", ".join(r.media_type for r in offers)
            message = f"{exc}; available: {listed}"
            page = site.pages.error(request.url.path, 406, message).encode()
            return respond(request, page, "text/html; charset=utf-8", 406)
    # relative to the request (the last segment), so they hold behind a proxy's prefix
    name = bare.rsplit("/", 1)[-1]
    if ":" in name:  # "javascript:x.ttl" would read as a scheme, "./javascript:x.ttl" not
        name = "./" + name
    extra = {"link": _links(name)}
    if explicit:
        extra["content-location"] = name + fmt.extension
    return respond(request, kept.data, _media(fmt), vary=not explicit, extra=extra, etag=kept.etag)


@functools.lru_cache(maxsize=4096)
def _links(name: str) -> str:
    return ", ".join(
        f'<{name}{r.extension}>; rel="alternate"; type="{r.media_type}"' for r in RESOURCE_FORMATS
    )


async def _find(site: Site, path: str) -> str | None:
    """The KB IRI served at ``path``: as sent, or with its percent-escapes decoded (an
    IRI may hold any Unicode letter; a browser sends it UTF-8 encoded)."""
    candidates = [path]
    try:
        decoded = urllib.parse.unquote(path, errors="strict")
    except UnicodeDecodeError:
        decoded = path
    if decoded != path and is_safe_path(decoded):
        candidates.append(decoded)
    for candidate in candidates:
        iri = site.graph.iri_of(candidate)
        if await site.known(iri):
            return iri
    return None


async def home(request: Request) -> Response:
    site: Site = request.app.state.site
    page = await run_in_threadpool(_cached_page, site, "home", "")
    return respond(request, page.data, "text/html; charset=utf-8", vary=False, etag=page.etag)


@functools.lru_cache(maxsize=256)
def _cached_page(site: Site, kind: str, name: str) -> Body:
    if kind == "home":
        return Body.of(site.pages.home().encode())
    return Body.of(site.pages.question(name).encode())


async def question(request: Request) -> Response:
    site: Site = request.app.state.site
    name = request.path_params["name"]
    try:
        page = await run_in_threadpool(_cached_page, site, "question", name)
    except InputError as exc:
        return error_page(request, 404, str(exc), site)
    return respond(request, page.data, "text/html; charset=utf-8", vary=False, etag=page.etag)


async def static(request: Request) -> Response:
    site: Site = request.app.state.site
    name = request.path_params["name"]
    kept = _static_file(name)
    if kept is None:
        return error_page(request, 404, "no such file", site)
    media_type = STATIC_TYPES[Path(name).suffix]
    return respond(request, kept.data, media_type, vary=False, etag=kept.etag)


@functools.lru_cache(maxsize=64)
def _static_file(name: str) -> Body | None:
    """A file of STATIC by its exact name (listed, never joined to a path), read once."""
    allowed = {p.name: p for p in STATIC.iterdir() if p.is_file()}
    if name not in allowed or Path(name).suffix not in STATIC_TYPES:
        return None
    return Body.of(allowed[name].read_bytes())


async def sparql(request: Request) -> Response:
    site: Site = request.app.state.site
    query = await _query_text(request)
    if query is None:
        return _sparql_page(request, site, "", None, None)
    try:
        found = await site.endpoint.respond(query, request.headers.get("accept"))
    except TimeLimitError as exc:
        return _sparql_error(request, site, query, 503, str(exc))
    except UnwritableAnswer as exc:
        return _sparql_error(request, site, query, 406, str(exc))
    except KBError as exc:
        return _sparql_error(request, site, query, 400, str(exc))
    if found.fmt is None:
        return _not_acceptable(request, site, found.formats)
    if found.answer is not None:
        return _sparql_page(request, site, query, found.answer, None)
    return respond(request, found.body, _media(found.fmt))


def _sparql_page(
    request: Request, site: Site, query: str, answer: Answer | None, error: str | None
) -> Response:
    body = site.pages.sparql(query, answer, error).encode()
    return respond(request, body, "text/html; charset=utf-8", extra=_EDITOR)


def _sparql_error(request: Request, site: Site, query: str, status: int, message: str) -> Response:
    """A refused or failed query: the form with the message for a browser, the message as
    text for a program."""
    wanted = choose(request.headers.get("accept"), RESULT_FORMATS)
    if wanted is not None and wanted.name == "html":
        body = site.pages.sparql(query, None, message).encode()
        return respond(request, body, "text/html; charset=utf-8", status, extra=_EDITOR)
    return respond(request, (message + "\n").encode(), "text/plain; charset=utf-8", status)


async def _query_text(request: Request) -> str | None:
    """The query of a SPARQL 1.1 Protocol request: ``?query=`` (GET), a form (POST
    ``application/x-www-form-urlencoded``) or the body itself (POST
    ``application/sparql-query``); None when there is none."""
    if request.method == "GET" or request.method == "HEAD":
        raw = request.scope.get("query_string", b"")
        if (b"&" in raw or not raw.startswith(b"query=")) and "update" in QueryParams(raw):
            raise HTTPException(400, "updates are refused: this endpoint is read-only")
        return _one_query(query_values(raw))
    if request.method != "POST":
        raise HTTPException(405, f"{request.method} is not allowed here")
    body = await _bounded_body(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/sparql-query":
        return _decode(body)
    if kind == "application/x-www-form-urlencoded":
        form = urllib.parse.parse_qs(_decode(body), keep_blank_values=True)
        if "update" in form:
            raise HTTPException(400, "updates are refused: this endpoint is read-only")
        return _one_query(form.get("query", []))
    raise HTTPException(
        415, "POST a query as application/sparql-query or application/x-www-form-urlencoded"
    )


#: What the quick reading of a query string leaves to Starlette's: a ``%`` not followed
#: by two hex digits, and anything but printable ASCII.
_UNUSUAL = re.compile(rb"%(?![0-9A-Fa-f]{2})|[^\x21-\x7e]")


def query_values(raw: bytes) -> list[str]:
    """The ``query`` parameters of a raw query string, as Starlette reads them
    (``parse_qsl``: ``+`` is a space, ``%XX`` escapes are UTF-8). The usual form, a lone
    ``query=`` of printable ASCII whose escapes are all whole, is decoded in C, as
    quoted-printable once ``=`` is escaped and ``%`` and ``+`` made its escapes: Python's
    own percent-decoding took a tenth of the event loop's time for each query."""
    if raw.startswith(b"query=") and b"&" not in raw and not _UNUSUAL.search(raw, 6):
        quoted = raw[6:].replace(b"=", b"=3D").replace(b"%", b"=").replace(b"+", b"=20")
        return [binascii.a2b_qp(quoted).decode("utf-8", "replace")]
    return QueryParams(raw).getlist("query")


def _one_query(values: list[str]) -> str | None:
    if len(values) > 1:
        raise HTTPException(400, "give one query, not several")
    if not values or not values[0].strip():
        return None
    return values[0]


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "the request is not UTF-8") from None


async def _bounded_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(413, f"the request body is larger than {MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPException(413, f"the request body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


# --- the application ---------------------------------------------------------------------


def create_app(site: Site, started: Callable[[], None] | None = None) -> Starlette:
    """The ASGI application serving ``site``; ``started()`` is called once the server
    runs (its signal handlers in place), before the first request."""

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return error_page(request, status, str(detail), site)

    async def server_error(request: Request, exc: Exception) -> Response:
        _LOG.error("error serving %s", request.url.path, exc_info=exc)
        return error_page(request, 500, BUG, site)

    routes = [
        Route("/", home, methods=["GET", "HEAD"]),
        Route("/sparql", sparql, methods=["GET", "HEAD", "POST"]),
        Route("/queries/{name}", question, methods=["GET", "HEAD"]),
        Route("/static/{name}", static, methods=["GET", "HEAD"]),
        Route("/{path:path}", resource, methods=list(_RESOURCE_METHODS)),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if started is not None:
            started()
        yield

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.site = site
    return BoundedApp(app, site)


class BoundedApp:
    """Refuses over-long query strings before the application, and calls the handlers
    of the busy paths (resources, ``/sparql``, the home page) directly: Starlette's
    middleware and router took a third of a request's time under load; the same
    handlers and error pages answer either way."""

    def __init__(self, app: Starlette, site: Site) -> None:
        self.app = app
        self.site = site
        self.state = app.state

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] == "http" and len(scope.get("query_string", b"")) > MAX_QUERY_STRING:
            request = Request(scope, receive)
            response = error_page(request, 414, "the address is too long", self.site)
            await response(scope, receive, send)
            return
        handler = _direct_handler(scope) if scope["type"] == "http" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        scope["app"] = self.app  # where the handlers find the site, as under Starlette
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except HTTPException as exc:
            response = error_page(request, exc.status_code, str(exc.detail), self.site)
        except Exception as exc:
            _LOG.error("error serving %s", scope["path"], exc_info=exc)
            response = error_page(request, 500, BUG, self.site)
        await response(scope, receive, send)


_DIRECT = {"/": (home, ("GET", "HEAD")), "/sparql": (sparql, ("GET", "HEAD", "POST"))}
_RESOURCE_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")


def _direct_handler(scope: dict) -> Callable[[Request], Awaitable[Response]] | None:  # type: ignore[type-arg]
    """The handler the router would pick for ``scope`` where it is one of the busy
    paths' (None otherwise: the router decides, and answers 405 for other methods)."""
    path, method = scope["path"], scope["method"]
    if path in _DIRECT:
        handler, methods = _DIRECT[path]
        return handler if method in methods else None
    if path.startswith(("/queries/", "/static/")) or method not in _RESOURCE_METHODS:
        return None
    return resource


def serve(
    site: Site,
    host: str = "127.0.0.1",
    port: int = 8080,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``site`` until interrupted; ``ready(url)`` hears where, once the address is
    bound (ServerError when it cannot be: in use, not ours)."""
    import uvicorn

    listening = _bind(host, port)
    bound_host, bound_port = listening.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    url = f"http://{shown}:{bound_port}/"
    # said once uvicorn's signal handlers are in place: a signal sent on hearing it ends
    # the server as one line, never in the middle of its start
    config = uvicorn.Config(
        create_app(site, None if ready is None else functools.partial(ready, url)),
        log_level="warning",
        server_header=False,
        # httptools with a bound on the request head (kb.web.protocol), else h11's
        http=protocol.protocol(),
        loop=protocol.loop(),
        h11_max_incomplete_event_size=protocol.MAX_HEAD,
        timeout_keep_alive=5,
        limit_concurrency=200,
    )
    server = uvicorn.Server(config)
    try:
        with signals_raise(), _hang_up_stops(server) as hung_up:
            # uvicorn stops on SIGINT / SIGTERM, then raises it again: KeyboardInterrupt
            # or Terminated, after the requests in flight are answered
            server.run(sockets=[listening])
            if hung_up:
                raise Terminated(hung_up[0])
    finally:
        listening.close()
        site.endpoint.close()  # its workers ended and waited for: no zombie left behind


@contextlib.contextmanager
def _hang_up_stops(server: Any) -> Iterator[list[int]]:
    """Within the block, SIGHUP (a closed terminal) stops ``server`` as SIGTERM does
    (uvicorn leaves it to its default action, which would end the process at once,
    leaving the query workers behind); the list says whether it came. A SIGHUP ignored
    on entry (``nohup``) stays ignored."""
    came: list[int] = []

    def stop(signum: int, frame: object) -> None:
        came.append(signum)
        server.should_exit = True

    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    ):
        yield came
        return
    previous = signal.signal(signal.SIGHUP, stop)
    try:
        yield came
    finally:
        signal.signal(signal.SIGHUP, previous)


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host`` (``[::1]`` is read as ``::1``). An empty host or
    one that names no address is refused (UsageError): the socket API would read an
    empty one as every interface, putting the server on the network unasked."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host.strip():
        raise UsageError("--host is empty; give an address (127.0.0.1, or 0.0.0.0 for all)")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listening.bind((host, port))
        listening.listen(2048)
    except socket.gaierror as exc:
        listening.close()
        raise UsageError(f"--host {host}: not an address here ({exc.strerror or exc})") from None
    except OSError as exc:
        listening.close()
        raise ServerError(f"{host}:{port}: {exc.strerror or exc}") from None
    return listening
