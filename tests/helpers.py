"""What many test modules share: where things are, the in-process ``kb`` runner, and the
one rule for external tools (missing: skip with how to install it; ``CI=true``: fail).

Imported as ``tests.helpers`` (pyproject's ``pythonpath = ["."]``), never from conftest.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import os
import pickle
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import NoReturn, TypeVar

import pytest
from click.testing import CliRunner, Result

T = TypeVar("T")

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "fixtures" / "mini"
BENCHMARKS = REPO / "benchmarks"
#: The installed console script (a real process: its own stderr, exit code and signals).
KB_SCRIPT = shutil.which("kb") or str(Path(sys.executable).parent / "kb")
#: The repository's launcher for Debian's Jena jars (``scripts/jena riot|shacl|arq …``).
JENA = REPO / "scripts" / "jena"
#: Where Debian's libapache-jena-java puts its jars (the launcher reads the same variable).
JENA_JARS = Path(os.environ.get("JENA_JARS", "/usr/share/java"))

#: How to get each external tool the tests use.
INSTALL = {
    "java": "apt-get install default-jre-headless",
    "jena": "apt-get install default-jre-headless libapache-jena-java",
    "rapper": "apt-get install raptor2-utils",
    "virtuoso-t": "apt-get install virtuoso-opensource",
    "isql-vt": "apt-get install virtuoso-opensource",
    "oxigraph": "pip install '.[test]' (PyPI package oxigraph)",
    "nginx": "apt-get install nginx-light",
    "apache2": "apt-get install apache2",
}


def kb(*args: str, root: Path = MINI, env: dict[str, str] | None = None) -> Result:
    """Run ``kb --root ROOT ARGS`` in-process (click's CliRunner)."""
    from kb.cli import cli

    return CliRunner().invoke(cli, ["--root", str(root), *args], env=env)


def in_ci() -> bool:
    """True when a missing requirement must fail the run instead of skipping (``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() == "true"


def unavailable(message: str) -> NoReturn:
    """Skip the test with ``message`` (which says how to get what is missing); fail in CI."""
    if in_ci():
        pytest.fail(f"{message} (CI=true: required)", pytrace=False)
    pytest.skip(message)


def require_tool(name: str) -> str:
    """The path of external tool ``name`` (``jena``: the repository's launcher, checked to
    find Java and Jena's jars); missing: skip, or fail when ``CI=true``."""
    if name == "jena":
        return require_jena()
    # The venv's bin directory, even when pytest runs without the venv activated.
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        unavailable(f"{name} is not installed: {INSTALL.get(name, f'install {name}')}")
    return found


def jena_missing() -> str | None:
    """What Jena lacks on this machine (None: the launcher can run)."""
    if shutil.which("java") is None:
        return "java is not on PATH"
    if not (JENA_JARS / "jena-core.jar").is_file():
        return f"no {JENA_JARS / 'jena-core.jar'}"
    return None


def require_jena() -> str:
    """The Jena launcher (``scripts/jena``); skip (fail under CI) without Java or Jena."""
    missing = jena_missing()
    if missing:
        unavailable(f"Jena is not installed ({missing}): {INSTALL['jena']}")
    return str(JENA)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on file ``path`` (parallel xdist workers take turns)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def once_per_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, compute: Callable[[Path], T]
) -> T:
    """``compute(a fresh directory)``, once per test run even under xdist: the first worker
    to ask computes it under a lock and stores it (pickled) in the run's shared temporary
    directory; the other workers read it."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return compute(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent  # .../pytest-N, above popen-gwK
    stored = shared / f"{name}.pickle"
    with locked(shared / f"{name}.lock"):
        if stored.is_file():
            return pickle.loads(stored.read_bytes())  # type: ignore[no-any-return]
        result = compute(tmp_path_factory.mktemp(name))
        partial = stored.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(result))
        partial.replace(stored)
    return result


def benchmark_module(name: str) -> ModuleType:
    """Import ``benchmarks/NAME.py`` (the benchmark scripts import each other by bare name)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


def results_key(results: object) -> list[tuple[str, ...]]:
    """Validation results compared as a sorted list of (focus, path, value, shape,
    component), whichever engine or order produced them."""
    return sorted(
        (str(r.focus), str(r.path), str(r.value), str(r.shape), str(r.component))
        for r in results  # type: ignore[attr-defined]
    )
