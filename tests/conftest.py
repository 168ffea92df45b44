"""Shared test helpers: the repository root, the mini fixture KB, external tools."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "fixtures" / "mini"
JENA = REPO.parent / "shared" / "tools" / "jena"


def require_tool(name: str) -> str:
    """The path of an external tool; missing: skip, or fail when CI=true."""
    path = str(JENA) if name == "jena" and JENA.exists() else shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
