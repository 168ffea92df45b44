"""`kb validate --profile`: the time of each step and of each compiled query on stderr,
every shape listed, the report on stdout unchanged."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.shacl.graph import TripleIndex
from kb.shacl.model import ShapesGraph
from kb.store import load_files
from kb.terms import short
from tests.conftest import REPO

BAD = REPO / "tests" / "fixtures" / "bad-person.ttl"


def kb(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--root", str(REPO), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_profile_leaves_the_report_and_exit_code_as_they_were(fmt: str) -> None:
    plain = kb("validate", str(BAD), "--format", fmt)
    profiled = kb("validate", str(BAD), "--format", fmt, "--profile")
    assert plain[0] == profiled[0] == 1
    assert profiled[1] == plain[1]
    assert plain[2] == ""
    assert profiled[2].startswith("profile: seconds per step (wall, CPU of every thread)\n")


def test_profile_names_each_step_and_every_shape() -> None:
    _, _, stderr = kb("validate", str(BAD), "--profile")
    steps = [line.split(None, 2)[2] for line in stderr.split("\nengine:")[0].splitlines()[1:]]
    assert steps == [
        "parse the shapes",
        "parse and load the data",
        "parse the ontology",
        "add the ontology",
        "closure (kb.entail) (within the next step, so not added to the total)",
        "engine: compile and run every shape",
        "report graph and display order",
        "total of the steps",
    ]
    shapes = ShapesGraph(TripleIndex.from_any(load_files([REPO / "ontology" / "shapes.ttl"])))
    per_shape = stderr.split("engine: seconds per shape")[1].split("engine: each compiled")[0]
    listed = {line.split()[2] for line in per_shape.splitlines()[1:]}
    assert {short(str(node)) for node in shapes.targeted_shapes()} <= listed
    queries = stderr.split("engine: each compiled query (wall, CPU, rows), slowest first\n")[1]
    seconds = [float(line.split()[1]) for line in queries.splitlines()]
    assert seconds == sorted(seconds, reverse=True) and len(seconds) >= len(listed)
    assert "probe: focus nodes failing any constraint" in queries
    assert "sh:MinCountConstraintComponent on <https://schema.org/name>" in queries


def test_profile_of_the_reference_engine_is_its_one_step() -> None:
    _, _, stderr = kb("validate", str(BAD), "--profile", "--engine", "pyshacl")
    assert "pySHACL over every shape" in stderr
    assert "engine: seconds per shape" not in stderr


def test_the_total_leaves_out_the_step_made_within_another() -> None:
    """The closure is made within the engine's step: its time is in that step's already."""
    _, _, stderr = kb("validate", str(BAD), "--profile")
    lines = stderr.split("\nengine:")[0].splitlines()[1:]
    total = float(lines[-1].split()[0])
    steps = [float(line.split()[0]) for line in lines[:-1] if "within the next step" not in line]
    assert len(steps) == len(lines) - 2
    assert total == pytest.approx(sum(steps), abs=0.005)
