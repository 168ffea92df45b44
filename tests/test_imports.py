"""Imported ontologies come only from local files: ``kb --import FILE`` or
``ontology/imports/*.ttl``; an ``owl:imports`` statement alone brings nothing in."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from kb.cli import cli
from tests.helpers import REPO

EXT = "https://w3id.org/lifesci-news-kb/test-extension#"
PERSON_TYPE = (
    "<https://w3id.org/lifesci-news-kb/id/person/x> "
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/Person> ."
)


def write_files(folder: Path) -> tuple[Path, Path]:
    extension = folder / "extension.ttl"
    extension.write_text(
        f"@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f"<{EXT}Official> rdfs:subClassOf <https://schema.org/Person> .\n",
        encoding="utf-8",
    )
    data = folder / "data.ttl"
    data.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        f"<https://w3id.org/lifesci-news-kb/id/x> owl:imports <{EXT[:-1]}> .\n"
        f"<https://w3id.org/lifesci-news-kb/id/person/x> a <{EXT}Official> .\n",
        encoding="utf-8",
    )
    return extension, data


def export_nt(*args: str) -> str:
    result = CliRunner().invoke(
        cli, [*args[:-1], "export", args[-1], "--inference", "rdfs", "--format", "nt"]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_owl_imports_alone_brings_nothing_in(tmp_path: Path) -> None:
    _, data = write_files(tmp_path)
    assert PERSON_TYPE not in export_nt(str(data))


def test_import_option_loads_the_file_with_the_ontology(tmp_path: Path) -> None:
    extension, data = write_files(tmp_path)
    assert PERSON_TYPE in export_nt("--import", str(extension), str(data))


def test_ontology_imports_folder_is_loaded(tmp_path: Path) -> None:
    extension, data = write_files(tmp_path)
    root = tmp_path / "kb"
    shutil.copytree(REPO / "ontology", root / "ontology")
    shutil.copytree(REPO / "data", root / "data")
    (root / "ontology" / "imports").mkdir()
    shutil.copy(extension, root / "ontology" / "imports" / "extension.ttl")
    assert PERSON_TYPE in export_nt("--root", str(root), str(data))


def test_a_missing_import_file_is_an_input_error(tmp_path: Path) -> None:
    _, data = write_files(tmp_path)
    result = CliRunner().invoke(
        cli, ["--import", str(tmp_path / "nope.ttl"), "validate", str(data)]
    )
    assert result.exit_code == 2
    assert "nope.ttl" in result.output
