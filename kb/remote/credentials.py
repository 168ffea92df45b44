"""Find the credentials for a server: ``--user`` plus ``$KB_ENDPOINT_PASSWORD``, or a netrc
file; the password is never shown by ``repr`` and never appears in a message."""

from __future__ import annotations

import netrc
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kb import PASSWORD_ENV
from kb.errors import UsageError

AuthScheme = Literal["basic", "digest"]


@dataclass(frozen=True)
class Auth:
    """HTTP credentials; the password is never shown by ``repr``."""

    user: str
    password: str = field(repr=False)
    scheme: AuthScheme = "basic"


def _netrc_entry(host: str, path: str | None) -> tuple[str, str] | None:
    """(login, password) for ``host`` from ``path`` ($NETRC or ~/.netrc), if any."""
    file = Path(path).expanduser() if path else Path.home() / ".netrc"
    if not file.is_file():
        return None
    try:
        entry = netrc.netrc(str(file)).authenticators(host)
    except UnicodeDecodeError:
        raise UsageError(f"{file}: unreadable netrc file (not UTF-8)") from None
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
