"""Fixtures shared by the test modules: the bundled layout and its published forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.resources import Layout

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def layout() -> Layout:
    return Layout(ROOT)


@pytest.fixture(scope="session")
def entailed_export_nt(layout: Layout) -> bytes:
    """`kb export --inference rdfs --format nt`: data + closure, no ontology."""
    from kb.export import serialize
    from kb.published import build_store

    return serialize(build_store(layout, inference="rdfs", with_ontology=False), "nt")
