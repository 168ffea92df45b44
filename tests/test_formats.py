"""The format registry agrees with the libraries it names: pyoxigraph's media types and
extensions, rdflib's plugins; and the CLI offers exactly the registry's formats."""

from __future__ import annotations

import rdflib.parser
import rdflib.plugin
import rdflib.serializer

from kb import formats
from kb.cli import cli


def test_rdf_formats_match_pyoxigraph_and_rdflib() -> None:
    for fmt in formats.RDF_FORMATS:
        oxigraph = fmt.oxigraph()
        assert oxigraph.media_type == fmt.media_type
        assert "." + oxigraph.file_extension == fmt.extensions[0]
        rdflib.plugin.get(fmt.rdflib, rdflib.parser.Parser)
        if fmt.exported:
            rdflib.plugin.get(fmt.rdflib, rdflib.serializer.Serializer)


def test_results_formats_match_pyoxigraph() -> None:
    for fmt in formats.RESULTS_FORMATS:
        oxigraph = fmt.oxigraph()
        assert oxigraph.media_type.split(";")[0] == fmt.media_type
        assert "." + oxigraph.file_extension == fmt.extension


def test_media_types_and_extensions_find_their_format() -> None:
    assert formats.by_media_type("Text/Turtle; charset=utf-8") == formats.rdf_format("turtle")
    assert formats.by_media_type("application/sparql-results+json").name == "json"
    assert formats.by_media_type("application/x-turtle") == formats.rdf_format("turtle")
    assert formats.by_media_type("text/html") is None
    assert formats.by_extension(".OWL") == formats.rdf_format("xml")
    assert formats.by_extension(".txt") is None


def test_cli_choices_come_from_the_registry() -> None:
    def choices(command: str) -> list[str]:
        option = next(p for p in cli.commands[command].params if p.name == "fmt")
        return list(option.type.choices)  # type: ignore[attr-defined]

    assert choices("export") == ["turtle", "nt", "nq", "trig", "jsonld", "xml"]
    assert choices("query") == ["table", "csv", "tsv", "json", "xml", "turtle", "nt", "jsonld"]
    assert choices("validate") == ["text", "json", "turtle"]
