"""Check and show the URLs and graph IRIs a user names for a server: http(s) only, a
valid host and port, no credentials inside, and the same origin for any redirect."""

from __future__ import annotations

import re
import urllib.parse
from typing import NamedTuple

from kb import PASSWORD_ENV
from kb.errors import UsageError

#: The ``user:password@`` part of a URL's authority.
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")


class Origin(NamedTuple):
    """Scheme, host and port of a URL: where a request (and any credential) goes."""

    scheme: str
    host: str
    port: int


def _split(url: str) -> urllib.parse.SplitResult | None:
    """``url`` split, or None when it cannot be (a malformed IPv6 host, a bad port)."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 -- parsing the port is what raises on 'abc' or 99999
    except ValueError:
        return None
    return parts


def display_url(url: str) -> str:
    """``url`` with any user name and password removed, for messages (also when the rest
    of it is malformed)."""
    return _USERINFO.sub(r"\1", url)


def check_url(url: str, what: str = "endpoint") -> str:
    """Return ``url`` when it is an http(s) URL with a host, a valid port and no
    credentials, else UsageError (exit 2)."""
    parts = _split(url)
    if parts is None:
        raise UsageError(f"{display_url(url)}: the {what} URL has a malformed host or port")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{display_url(url)}: the {what} must be an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            f"{display_url(url)}: credentials in the URL are refused; use --user and "
            f"${PASSWORD_ENV} or a netrc file"
        )
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise UsageError(f"{display_url(url)!r}: the {what} URL holds a space or control character")
    return url


def origin(url: str) -> Origin | None:
    """The origin of ``url`` (default port filled in), or None if it has none."""
    parts = _split(url)
    if parts is None or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower(), 0)
    return Origin(parts.scheme.lower(), parts.hostname.lower(), parts.port or default)


def same_origin(first: str, second: str) -> bool:
    """Whether both URLs go to the same scheme, host and port."""
    here = origin(first)
    return here is not None and here == origin(second)


def request_target(url: str) -> str:
    """The path and query of ``url``, as sent on the request line."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))


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
