"""Talk to SPARQL 1.1 servers: push the published graph (Graph Store Protocol, optionally
staged and moved into place with one SPARQL Update) and ask queries (SPARQL Protocol).

One job per module: ``urls`` (which URLs and graphs are acceptable), ``credentials``
(user and password), ``digest`` (Authorization values), ``client`` (the one HTTP client,
bounded in time and size, same-origin redirects only), ``answers`` (parsing what a server
sends with the refusals applied to local files), ``gsp`` (single graph operations),
``publish`` (``kb push``) and ``query`` (``kb query``/``kb check`` on an endpoint).

Nothing here prints. Every failure of a server raises :class:`kb.errors.ServerError`
(exit 3) with one line naming the URL without credentials; a URL that cannot be used is a
:class:`kb.errors.UsageError` (exit 2). Only the URLs the caller gives are contacted.
"""

from kb import PASSWORD_ENV
from kb.remote.client import (
    DEFAULT_MAX_RESPONSE_MB,
    DEFAULT_TIMEOUT,
    MB,
    HttpClient,
    Progress,
    Response,
)
from kb.remote.credentials import Auth, AuthScheme, resolve_auth
from kb.remote.gsp import ntriples_lines
from kb.remote.publish import PushResult, fetch_graph, push
from kb.remote.query import Remote, RemoteAnswer, remote_query
from kb.remote.urls import check_graph, check_url, display_url, graph_url

__all__ = [
    "DEFAULT_MAX_RESPONSE_MB",
    "DEFAULT_TIMEOUT",
    "MB",
    "PASSWORD_ENV",
    "Auth",
    "AuthScheme",
    "HttpClient",
    "Progress",
    "PushResult",
    "Remote",
    "RemoteAnswer",
    "Response",
    "check_graph",
    "check_url",
    "display_url",
    "fetch_graph",
    "graph_url",
    "ntriples_lines",
    "push",
    "remote_query",
    "resolve_auth",
]
