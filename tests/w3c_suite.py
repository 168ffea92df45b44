"""The W3C SHACL test suite, taken from the source distribution of the installed pySHACL.

pySHACL's sdist on PyPI ships the suite (``test/resources/sht_tests/``). On first use the
sdist of the installed version is fetched through the package index's Simple API, its
sha256 checked, and only that folder extracted into a cache directory:
``$KB_TEST_CACHE`` or ``${XDG_CACHE_HOME:-~/.cache}/lifesci-news-kb``. Later runs, and
the other xdist workers, read the cache. ``W3C_SHACL_TESTS=DIR`` names a local copy
instead; ``KB_PYPI_SIMPLE`` another index (default https://pypi.org/simple).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path, PurePosixPath

from tests.helpers import locked

PROJECT = "pyshacl"
INSIDE = PurePosixPath("test/resources/sht_tests")
#: The whole fetch (index page and archive) must end within this many seconds.
DEADLINE = 90.0
#: Refuse an archive larger than this (pySHACL 0.40's sdist is 1.4 MB).
MAX_BYTES = 64 * 1024 * 1024


class SuiteUnavailable(Exception):
    """The suite could not be had; the message says why and what to do."""


def cache_directory() -> Path:
    """Where fetched test data is kept between runs."""
    if os.environ.get("KB_TEST_CACHE"):
        return Path(os.environ["KB_TEST_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lifesci-news-kb"


def suite_directory(cache: Path | None = None, index: str | None = None) -> Path:
    """The suite's top folder (holding ``manifest.ttl``), fetched into ``cache`` once."""
    if os.environ.get("W3C_SHACL_TESTS"):
        local = Path(os.environ["W3C_SHACL_TESTS"])
        if not (local / "manifest.ttl").is_file():
            raise SuiteUnavailable(f"W3C_SHACL_TESTS={local} holds no manifest.ttl")
        return local
    cache = cache or cache_directory()
    index = index or os.environ.get("KB_PYPI_SIMPLE", "https://pypi.org/simple")
    version = importlib.metadata.version(PROJECT)
    target = cache / f"w3c-shacl-tests-{PROJECT}-{version}"
    if (target / "manifest.ttl").is_file():
        return target
    # After a failed fetch, the other xdist workers of the same run reuse its reason.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    failure = cache / f".w3c-shacl-tests-{PROJECT}-{version}.{run}.failed" if run else None
    with locked(cache / ".w3c-shacl-tests.lock"):
        if (target / "manifest.ttl").is_file():  # another worker fetched it meanwhile
            return target
        if failure is not None and failure.is_file():
            raise SuiteUnavailable(failure.read_text(encoding="utf-8"))
        try:
            archive = fetch_sdist(index, version)
            extract_suite(archive, target)
        except (OSError, ValueError, tarfile.TarError) as error:
            message = (
                f"W3C SHACL test suite unavailable: {PROJECT}-{version} sdist from {index}: "
                f"{error}. Connect once (it is cached in {cache}; KB_TEST_CACHE moves it) "
                "or set W3C_SHACL_TESTS=DIR to a copy of the suite"
            )
            if failure is not None:
                failure.write_text(message, encoding="utf-8")
            raise SuiteUnavailable(message) from error
    return target


def fetch_sdist(index: str, version: str) -> bytes:
    """The ``.tar.gz`` sdist of ``PROJECT==version`` from a PEP 691 index, sha256-checked."""
    deadline = time.monotonic() + DEADLINE
    page_url = f"{index.rstrip('/')}/{PROJECT}/"
    page = json.loads(
        _get(page_url, deadline, "application/vnd.pypi.simple.v1+json", limit=16 << 20)
    )
    wanted = f"{PROJECT}-{version}.tar.gz"
    for entry in page.get("files", []):
        if entry.get("filename") == wanted:
            url = urllib.parse.urljoin(page_url, entry["url"])
            expected = entry.get("hashes", {}).get("sha256")
            break
    else:
        raise ValueError(f"the index lists no {wanted}")
    if not expected:
        raise ValueError(f"the index gives no sha256 for {wanted}")
    archive = _get(url, deadline, "application/octet-stream", limit=MAX_BYTES)
    if hashlib.sha256(archive).hexdigest() != expected:
        raise ValueError(f"{wanted}: sha256 differs from the index's")
    return archive


def _get(url: str, deadline: float, accept: str, limit: int) -> bytes:
    """The body at ``url``, read before ``deadline`` and refused past ``limit`` bytes."""
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise ValueError(f"not an HTTP URL: {url}")
    request = urllib.request.Request(url, headers={"Accept": accept})
    remaining = deadline - time.monotonic()
    with urllib.request.urlopen(request, timeout=max(1.0, min(30.0, remaining))) as response:
        body = bytearray()
        while chunk := response.read(1 << 16):
            body += chunk
            if len(body) > limit:
                raise ValueError(f"{url}: more than {limit} bytes")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url}: not read within {DEADLINE:.0f} s")
    return bytes(body)


def extract_suite(archive: bytes, target: Path) -> None:
    """Write the regular files under ``*/test/resources/sht_tests/`` of a tar.gz archive to
    ``target``, atomically (a temporary sibling renamed); refuse any path that would land
    outside it, and any link or device."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        count = 0
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            for member in tar:
                relative = _inside_suite(member.name)
                if relative is None:
                    continue
                if not (member.isfile() or member.isdir()):
                    raise ValueError(f"{member.name}: a link or special file in the suite")
                if member.isfile():
                    destination = work.joinpath(*relative.parts)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    assert source is not None
                    destination.write_bytes(source.read())
                    count += 1
        if not (work / "manifest.ttl").is_file():
            raise ValueError(f"no {INSIDE}/manifest.ttl in the archive ({count} files)")
        try:
            work.rename(target)
        except OSError:
            if not (target / "manifest.ttl").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _inside_suite(name: str) -> PurePosixPath | None:
    """The path of archive member ``name`` inside the suite folder; None if outside it."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise ValueError(f"{name}: a path that escapes the archive")
    parts = path.parts[1:]  # below the sdist's top folder, pyshacl-VERSION/
    if tuple(parts[: len(INSIDE.parts)]) != INSIDE.parts:
        return None
    return PurePosixPath(*parts[len(INSIDE.parts) :]) if len(parts) > len(INSIDE.parts) else None
