"""The code passes ``ruff check`` and ``ruff format --check`` (the settings in
pyproject.toml), so a style slip fails the suite, not only a reviewer's eye."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.helpers import REPO, unavailable

#: Python files ruff does not find by their name.
EXTRA = ["scripts/jena"]


def ruff(*args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("ruff") is None:
        unavailable("ruff is not installed: pip install '.[test]'")
    command = [sys.executable, "-m", "ruff", *args, ".", *EXTRA]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [("check",), ("format", "--check")], ids=["check", "format"])
def test_ruff(args: tuple[str, ...]) -> None:
    run = ruff(*args, "--no-cache")
    assert run.returncode == 0, run.stdout + run.stderr
