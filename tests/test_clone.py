"""A fresh clone of the repository, with nothing beside it, collects its own tests
(issue 11: the suite once needed ../shared next to the checkout)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, require_tool

#: What would point a clone at files outside it.
OUTSIDE = ["-e", "../shared", "-e", "/work/shared"]


@pytest.mark.slow
def test_a_clone_alone_collects_every_test(tmp_path: Path) -> None:
    git = require_tool("git")
    if not (REPO / ".git").exists():
        pytest.skip(f"{REPO} is not a git checkout")
    clone = tmp_path / "alone" / "repo"  # its parent holds nothing else
    subprocess.run([git, "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    pointers = subprocess.run(
        [git, "grep", "-l", *OUTSIDE, "--", "tests", "kb", ":!tests/test_clone.py"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
    )
    assert pointers.stdout == "", f"files that point outside the clone: {pointers.stdout}"
    env = {k: v for k, v in os.environ.items() if k not in ("W3C_SHACL_TESTS", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = str(clone)  # the clone's kb and tests, not this checkout's
    collect = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = collect.stdout + collect.stderr
    assert collect.returncode == 0, report
    summary = collect.stdout.rstrip().splitlines()[-1]
    assert re.fullmatch(r"\d+ tests collected in [\d.]+s", summary), report  # no "N errors"
    assert "ERROR collecting" not in report, report
    assert "tests/test_cli.py::" in report, report
    # The W3C cases, or (offline) the placeholder that skips with the reason; not NOTSET.
    w3c = "tests/test_shacl_w3c.py::test_w3c_case["
    assert f"{w3c}core/" in report or f"{w3c}suite-unavailable]" in report, report
