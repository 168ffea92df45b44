"""End to end: build the wheel, install it outside the checkout, run the console script
from another directory on the bundled knowledge base."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("install")
    wheels = base / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run([*build, "-w", str(wheels), str(REPO)], check=True, capture_output=True)
    (wheel,) = wheels.glob("*.whl")
    site = base / "site"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site)]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k not in ("KB_ROOT", "NO_COLOR")}
    env["PYTHONPATH"] = str(site)
    return site / "bin" / "kb", env


def run(
    installed: tuple[Path, dict[str, str]], *args: str, cwd: Path
) -> subprocess.CompletedProcess:
    script, env = installed
    return subprocess.run([str(script), *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_installed_kb_uses_the_bundle(installed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    where = run(installed, "--version", cwd=tmp_path)
    assert where.returncode == 0 and where.stdout.startswith("kb, version ")
    result = run(installed, "validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("conforms")
    explained = run(installed, "explain", "Boggetti", cwd=tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert "[[" in explained.stdout
    code = "import kb.resources as r; print(r.default_layout().root)"
    _script, env = installed
    root = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert root.stdout.strip().endswith("kb/_bundle"), root.stdout + root.stderr


def test_installed_kb_errors(installed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = run(installed, "validate", "missing.ttl", cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (2, "missing.ttl: no such file\n")
    unknown = run(installed, "query", "no-such-query", cwd=tmp_path)
    assert unknown.returncode == 2 and len(unknown.stderr.splitlines()) == 1
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://e/> .\nex:a ex:b .\n")
    broken = run(installed, "export", "bad.ttl", cwd=tmp_path)
    assert broken.returncode == 2 and broken.stderr.startswith("bad.ttl:2: ")
    assert "Traceback" not in broken.stderr
