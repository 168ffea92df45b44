"""The one HTTP client of ``kb``: every request bounded in time (one deadline for the whole
exchange, from connecting to the last byte) and every answer in size, Basic or Digest
auth, redirects followed only within the origin the user named, and one-line
ServerErrors that name the URL but never the credentials.

Proxy environment variables (``http_proxy``, ``https_proxy``, ``all_proxy``) are ignored:
``kb`` connects to the URL the user named and to nothing else.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from kb import MAX_RESPONSE_MB
from kb.errors import KBError, ServerError
from kb.remote.credentials import Auth
from kb.remote.digest import basic_token, digest_challenge, digest_header
from kb.remote.urls import check_url, display_url, request_target, same_origin
from kb.store import Progress  # (bytes sent, bytes in total), as for a file being loaded

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RESPONSE_MB = MAX_RESPONSE_MB
MB = 1024 * 1024
#: Upload and download block size: the progress callback is called once per block.
BLOCK = 64 * 1024
#: Same-origin redirects followed before giving up.
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "lifesci-news-kb (kb.remote)"
_TAGS = re.compile(
    r"<!DOCTYPE[^>]*>|</?(?:html|head|body|title|h[1-6]|p|pre|xmp|br|hr|div|span|b|i|a|code)"
    r"\b[^>]*>",
    re.IGNORECASE,
)


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


def snippet(body: bytes, limit: int = 160) -> str:
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
    if isinstance(exc, http.client.IncompleteRead):
        return "the answer ended before the length it announced"
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError):
        return "the server closed the connection without answering"
    if isinstance(exc, http.client.HTTPException):
        return "the answer is not valid HTTP"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or 'handshake failed'})"
    return getattr(exc, "strerror", None) or type(exc).__name__


def _blocks(data: bytes, progress: Progress | None) -> Iterator[bytes]:
    """``data`` in blocks, reporting progress after each one."""
    total = len(data)
    view = memoryview(data)
    for start in range(0, total, BLOCK):
        block = view[start : start + BLOCK]
        yield bytes(block)
        if progress:
            progress(min(start + BLOCK, total), total)


@dataclass(frozen=True)
class _Budget:
    """The time a request was given (for messages) and the moment it runs out."""

    seconds: float
    ends: float

    def remaining(self) -> float:
        """Seconds left (zero or less: none)."""
        return self.ends - time.monotonic()

    def exceeded(self) -> str:
        """What happened when the time ran out, in a few words."""
        return f"no complete answer within {self.seconds:g} s (timeout)"


class _Deadline:
    """Shuts a connection's socket down when the time is up, so that no read or write
    (a server that drips a byte every half second, or never reads an upload) outlives
    the deadline; socket timeouts alone restart with every byte."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.connection = connection
        self.sock: socket.socket | None = None
        self.expired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def hold(self, sock: socket.socket | None) -> None:
        """Cut this socket when the time is up (the connection forgets its socket once
        an answer that closes the connection is being read)."""
        self.sock = sock

    def _cut(self) -> None:
        self.expired = True
        sock = self.sock or self.connection.sock  # while connecting: the socket so far
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to cut
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        """Stop the timer (the exchange ended in time)."""
        self._timer.cancel()


class HttpClient:
    """A small HTTP client: one deadline per request, a cap on every answer, Basic or
    Digest auth, same-origin redirects only, streamed uploads with a Content-Length
    (some servers ignore chunked bodies), and one-line ServerErrors."""

    def __init__(
        self,
        auth: Auth | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_RESPONSE_MB * MB,
    ) -> None:
        self.auth = auth
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._challenge: dict[str, str] | None = None
        self._count = 0

    def fail(self, url: str, what: str) -> ServerError:
        """A ServerError naming ``url`` (without credentials) and ``what`` happened."""
        message = f"{display_url(url)}: {what}"
        if self.auth and self.auth.password:
            token = basic_token(self.auth)
            message = message.replace(token, "***").replace(self.auth.password, "***")
        return ServerError(message)

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        progress: Progress | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Send one request and return the answer, all within ``timeout`` (default: the
        client's): a fresh Digest challenge is answered once, and a redirect is followed
        only to the same origin (a 301/302/303 only for GET and HEAD); any other redirect
        is a ServerError that names where it pointed."""
        seconds = self.timeout if timeout is None else timeout
        budget = _Budget(seconds, time.monotonic() + seconds)
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            answer = self._authorised(method, current, body, dict(headers or {}), progress, budget)
            if answer.status not in REDIRECTS:
                return answer
            current = self._redirect_target(method, current, answer)
        raise self.fail(url, f"more than {MAX_REDIRECTS} redirects")

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
        detail = snippet(answer.body)
        message = "; ".join(part for part in (what, hint, detail) if part)
        raise self.fail(url, message)

    def _redirect_target(self, method: str, url: str, answer: Response) -> str:
        """Where a redirect may be followed, or a ServerError saying why not."""
        location = answer.headers.get("location", "").strip()
        status = f"HTTP {answer.status}"
        if not location:
            raise self.fail(url, f"{status} redirect without a Location")
        target = _joined(url, location)
        if target is not None and not same_origin(url, target):
            raise self.fail(
                url,
                f"{status} redirect to {display_url(target)} not followed: another origin "
                "(scheme, host or port); give that URL if you trust it",
            )
        if target is None or not _acceptable(target):
            raise self.fail(
                url,
                f"{status} redirect to {display_url(location)!r} not followed: not a valid "
                "http(s) URL (malformed, not ASCII, a space or control character, credentials)",
            )
        if answer.status in (301, 302, 303) and method not in ("GET", "HEAD"):
            raise self.fail(
                url,
                f"{status} redirect to {display_url(target)} not followed: a {method} is "
                "resent only on 307/308; give that URL instead",
            )
        return target

    def _authorised(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        progress: Progress | None,
        budget: _Budget,
    ) -> Response:
        """One exchange with ``url``, answering a fresh Digest challenge once."""
        digest = self.auth is not None and self.auth.scheme == "digest"
        if digest and self._challenge is None and body:
            # Learn the challenge before an upload, so the body is sent once, not twice.
            answer = self._send("HEAD", url, None, {}, None, budget)
            self._challenge = digest_challenge(answer.headers.get("www-authenticate", ""))
        answer = self._send(method, url, body, headers, progress, budget)
        if digest and answer.status == 401:
            challenge = digest_challenge(answer.headers.get("www-authenticate", ""))
            if challenge:
                self._challenge = challenge
                answer = self._send(method, url, body, headers, progress, budget)
        return answer

    def _auth_header(self, method: str, target: str) -> dict[str, str]:
        if self.auth is None:
            return {}
        if self.auth.scheme == "basic":
            return {"Authorization": "Basic " + basic_token(self.auth)}
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
        budget: _Budget,
    ) -> Response:
        """One HTTP exchange, cut off when ``budget`` runs out."""
        remaining = budget.remaining()
        if remaining <= 0:
            raise self.fail(url, budget.exceeded())
        parts = urllib.parse.urlsplit(url)
        target = request_target(url)
        factory = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = factory(parts.hostname or "", parts.port, timeout=remaining)
        all_headers = {"User-Agent": USER_AGENT, **headers, **self._auth_header(method, target)}
        watch = _Deadline(connection, remaining)
        try:
            connection.connect()
            watch.hold(connection.sock)
            answer = self._exchange(connection, method, target, body, all_headers, progress)
            data = self._read(answer, url) if method != "HEAD" else b""
        except (OSError, http.client.HTTPException) as exc:
            what = budget.exceeded() if watch.expired else _network_failure(exc, budget.seconds)
            raise self.fail(url, what) from None
        finally:
            watch.cancel()
            connection.close()
        if watch.expired:  # a socket shut down mid-body reads as a body that ended
            raise self.fail(url, budget.exceeded())
        fields = {k.lower(): v for k, v in answer.getheaders()}
        return Response(answer.status, answer.reason, fields, data)

    @staticmethod
    def _exchange(
        connection: http.client.HTTPConnection,
        method: str,
        target: str,
        body: bytes | None,
        headers: dict[str, str],
        progress: Progress | None,
    ) -> http.client.HTTPResponse:
        """Send the request and read the status line and headers."""
        try:
            if body is None:
                connection.request(method, target, headers=headers)
            else:
                headers["Content-Length"] = str(len(body))
                connection.request(method, target, _blocks(body, progress), headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (e.g. 401) and closed: read that answer
        return connection.getresponse()

    def _read(self, answer: http.client.HTTPResponse, url: str) -> bytes:
        """The body of ``answer``, refused as soon as it passes ``max_bytes``; a body
        with a Content-Length ends there (not when the server closes the connection)."""
        limit = self.max_bytes
        try:
            announced = _declared_length(answer)
        except ValueError as exc:
            raise self.fail(url, str(exc)) from None
        if answer.status in (204, 304):
            announced = None  # no body, whatever the length says
        if announced is not None and announced > limit:
            raise self.fail(url, f"the answer announces {announced} bytes, over {_over(limit)}")
        data = bytearray()
        while block := answer.read1(_next_read(len(data), announced)):
            data += block
            if len(data) > limit:
                raise self.fail(url, f"the answer grew past {_over(limit)}")
        if announced is not None and len(data) < announced:
            raise http.client.IncompleteRead(bytes(data[-16:]), announced - len(data))
        return bytes(data)


#: A Content-Length: digits only (RFC 9110, section 8.6).
_DIGITS = re.compile(r"[0-9]+")


def _declared_length(answer: http.client.HTTPResponse) -> int | None:
    """The body length ``answer``'s Content-Length declares; None when there is none or
    Transfer-Encoding governs the body. ValueError (in words) when it is no length:
    negative, not digits, or several that differ (a length given twice alike is one)."""
    values = answer.msg.get_all("content-length") or []
    if not values:
        return None
    lengths = {part.strip() for value in values for part in value.split(",")}
    if len(lengths) != 1 or not _DIGITS.fullmatch(next(iter(lengths))):
        shown = ", ".join(values)
        raise ValueError(
            f"the answer's Content-Length {shown[:60]!r} is no length in bytes "
            "(one number, the same each time it is given)"
        )
    if answer.getheader("transfer-encoding"):
        return None
    return int(lengths.pop())


def _next_read(read: int, announced: int | None) -> int:
    """How many bytes to ask for next: never past the announced end (a server may keep
    the connection open after it)."""
    return BLOCK if announced is None else min(BLOCK, announced - read)


def _over(limit: int) -> str:
    """The words that name the size limit and how to raise it."""
    return f"the size limit of {limit / MB:g} MB (raise --max-response-size)"


def _joined(url: str, location: str) -> str | None:
    """The absolute URL a redirect's ``location`` names from ``url`` (None: malformed)."""
    try:
        return urllib.parse.urljoin(url, location)
    except ValueError:
        return None


def _acceptable(target: str) -> bool:
    """Whether a redirect target passes the checks a URL given by the user passes
    (kb.remote.urls.check_url), in ASCII as HTTP wants it: a server's Location is as
    untrusted as the rest of its answer."""
    try:
        check_url(target, "redirect")
    except KBError:
        return False
    return target.isascii()
