"""HTTP authorisation header values: Basic, and RFC 7616 Digest (qop=auth or none; MD5
or SHA-256, with or without -sess) from a server's ``WWW-Authenticate`` challenge."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Mapping

from kb.remote.credentials import Auth

_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def basic_token(auth: Auth) -> str:
    """The base64 ``user:password`` of a Basic ``Authorization`` header."""
    return base64.b64encode(f"{auth.user}:{auth.password}".encode()).decode()


def digest_challenge(header: str) -> dict[str, str] | None:
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
