"""tests/helpers.py and scripts/jena: a missing tool skips with how to install it, and
fails when CI=true; the launcher says what is missing instead of a Java stack trace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests import helpers

JENA_INSTALL = "apt-get install default-jre-headless libapache-jena-java"


@pytest.fixture
def no_jena(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Jena's jar directory is empty."""
    monkeypatch.setattr(helpers, "JENA_JARS", tmp_path)
    return tmp_path


def test_without_jena_the_tests_skip_saying_how_to_install_it(
    no_jena: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=JENA_INSTALL):
        helpers.require_tool("jena")


@pytest.mark.parametrize("ci", ["true", "True", " TRUE "])
def test_under_ci_a_missing_tool_fails(
    no_jena: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI=true: required"):
        helpers.require_jena()
    with pytest.raises(pytest.fail.Exception, match="rapper is not installed"):
        monkeypatch.setenv("PATH", str(no_jena))
        helpers.require_tool("rapper")


@pytest.mark.parametrize("ci", ["", "false", "1"])
def test_only_ci_true_turns_a_skip_into_a_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.skip.Exception, match="apt-get install raptor2-utils"):
        helpers.require_tool("rapper")


def test_the_launcher_without_jars_says_what_to_install(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(helpers.JENA), "riot", "--version"],
        env={"JENA_JARS": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr == f"jena: no {tmp_path}/jena-core.jar: {JENA_INSTALL}\n"
