"""The fast engine's report equals pySHACL's, as sets of (focus, path, value, severity,
shape, component): on the bundled knowledge base and on seeded synthetic data with defects
(benchmarks/generate.py), both seeing the same published graph."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kb.published import published_store
from kb.resources import default_layout
from kb.shacl import validate_store
from kb.shacl.fallback import pyshacl_results
from kb.shacl.graph import TripleIndex
from kb.shacl.model import ShapesGraph
from kb.store import load_files
from tests.helpers import REPO

GENERATE = REPO / "benchmarks" / "generate.py"


def reports(data: ox.Store) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """(fast engine's, pySHACL's) results on ``data`` as 6-tuples."""
    shapes = load_files([default_layout().require().shapes])
    fast = validate_store(data, shapes, fallback=False)
    assert not fast.unsupported, fast.unsupported
    every = set(ShapesGraph(TripleIndex.from_store(shapes)).targeted_shapes())
    reference = pyshacl_results(data, shapes, every)
    return {r.key() for r in fast.results}, {r.key() for r in reference}


def test_bundled_knowledge_base() -> None:
    fast, reference = reports(published_store(default_layout()))
    assert fast == reference


# 5,000 triples: the least that holds 35 defects now that every fact has its statement node
@pytest.mark.slow
@pytest.mark.skipif(not GENERATE.exists(), reason="benchmarks/generate.py not written yet")
@pytest.mark.parametrize("seed", [1, 2])
def test_synthetic_data_with_defects(tmp_path: Path, seed: int) -> None:
    """Seeded data with defects on every constraint: same results, and some of them."""
    data_file = tmp_path / "data.ttl"
    subprocess.run(
        [
            sys.executable,
            GENERATE,
            *("--triples", "5000", "--defects", "35"),
            "--seed",
            str(seed),
            "-o",
            str(data_file),
        ],
        check=True,
        capture_output=True,
    )
    fast, reference = reports(published_store(default_layout(), [data_file]))
    assert fast == reference
    assert len(fast) >= 30
