"""The query catalogue: well-formed entries, expected answers for each, `kb check` passing,
failing with a diff when an answer differs, and the key answers asserted literally."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.catalogue import catalogue, expected_path
from kb.cli import cli
from kb.resources import Layout
from tests.helpers import REPO

LAYOUT = Layout(REPO)
B = "https://w3id.org/lifesci-news-kb/id/"


@pytest.fixture(scope="module")
def answers() -> dict[str, list[dict[str, str]]]:
    """Each query's actual answers (default parameters), as dicts by variable."""
    from kb.check import prepared_entry, result_table
    from kb.published import published_store
    from kb.query import execute

    tables: dict[str, list[dict[str, str]]] = {}
    store = published_store(LAYOUT)
    for entry in catalogue(LAYOUT):
        header, rows = result_table(execute(store, prepared_entry(entry), "csv"))
        tables[entry.name] = [dict(zip(header, row, strict=True)) for row in rows]
    return tables


def test_the_catalogue_covers_the_competency_questions() -> None:
    entries = catalogue(LAYOUT)
    assert len(entries) >= 14
    for entry in entries:
        assert entry.title and entry.question, entry.name
        assert expected_path(LAYOUT, entry.name).is_file(), entry.name
        for name, default in entry.params.items():
            assert f"?{name}" in entry.text and default, (entry.name, name)


def test_queries_use_no_string_functions_on_literals() -> None:
    forbidden = ("REGEX(", "CONTAINS(", "STRSTARTS(", "SUBSTR(", "LCASE(", "UCASE(", "STR(")
    for entry in catalogue(LAYOUT):
        code = entry.text.upper()
        assert not [f for f in forbidden if f in code], entry.name


def test_kb_check_passes_on_the_bundled_knowledge_base() -> None:
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len([line for line in lines if line.startswith("PASS")]) == len(catalogue(LAYOUT))
    assert lines[-1] == f"{len(catalogue(LAYOUT))} passed, 0 failed"


def test_kb_check_fails_with_a_diff_when_an_answer_differs(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    for part in ("ontology", "data", "queries"):
        shutil.copytree(REPO / part, root / part)
    expected = root / "queries" / "expected" / "role-holders.csv"
    expected.write_text(
        expected.read_text(encoding="utf-8").replace("Carlo Baldocci", "Someone Else"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["--root", str(root), "check"])
    assert result.exit_code == 1
    assert "FAIL  role-holders" in result.output
    assert "- Someone Else | Ambassador of Italy |" in result.output
    assert "+ Carlo Baldocci | Ambassador of Italy |" in result.output
    assert result.output.splitlines()[-1].endswith("1 failed")


# The key answers, literally (issue: Carlo Baldocci; Boggetti's two posts; Khalid Al-Saeed
# and Mohammed Jassem Al-Sager; three quotations and their speakers).


def test_the_ambassador_is_carlo_baldocci(answers: dict) -> None:  # type: ignore[type-arg]
    assert [row["holderName"] for row in answers["role-holders"]] == ["Carlo Baldocci"]


def test_boggetti_holds_two_posts(answers: dict) -> None:  # type: ignore[type-arg]
    posts = {(row["organizationName"], row["status"]) for row in answers["posts-of-person"]}
    assert posts == {
        ("Alisei National Life Sciences Technology Cluster", "newly elected"),
        ("Confindustria Medical Devices", "current"),
    }


def test_the_leaders_met(answers: dict) -> None:  # type: ignore[type-arg]
    met = {row["counterpartName"] for row in answers["meetings-of-visit"]}
    assert met == {"Khalid Al-Saeed", "Mohammed Jassem Al-Sager"}
    kinds = {(row["kind"], row["leaderName"]) for row in answers["leaders-met-by-kind"]}
    assert kinds == {
        ("institutional", "Khalid Al-Saeed"),
        ("business", "Mohammed Jassem Al-Sager"),
    }


def test_the_minister_of_health(answers: dict) -> None:  # type: ignore[type-arg]
    assert [row["holderName"] for row in answers["post-holder"]] == ["Khalid Al-Saeed"]


def test_three_quotations_and_their_speakers(answers: dict) -> None:  # type: ignore[type-arg]
    by_boggetti = answers["quotations-by-person"]
    assert {row["quotation"] for row in by_boggetti} == {
        B + "quotation/boggetti-first-of-a-series",
        B + "quotation/boggetti-catalyst-subject",
    }
    about_relations = answers["quotations-about-topic"]
    assert [row["speakerName"] for row in about_relations] == ["Carlo Baldocci"]
    assert about_relations[0]["text"].startswith("The extremely favourable dynamics")
