"""kb.export: same bytes every run, every format parses back, Jena and Raptor accept the
Turtle without warnings, and -o writes atomically."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

from kb.errors import InputError
from kb.export import FORMATS, graph_ntriples, serialize, sorted_ntriples, write_atomic
from kb.published import build_store
from kb.resources import Layout, default_layout
from tests.helpers import MINI, require_tool

RDFLIB_FORMATS = {
    "turtle": "turtle",
    "nt": "nt",
    "nq": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "xml": "xml",
}
LAYOUTS = [Layout(MINI), default_layout()]


def _published(layout: Layout):  # type: ignore[no-untyped-def]
    return build_store(layout, inference="rdfs", with_ontology=True)


@pytest.mark.parametrize("layout", LAYOUTS, ids=["mini", "bundled"])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_same_bytes_and_parses_back(layout: Layout, fmt: str) -> None:
    first = serialize(_published(layout), fmt)
    assert serialize(_published(layout), fmt) == first
    graph = rdflib.Dataset() if fmt in ("nq", "trig") else rdflib.Graph()
    graph.parse(data=first, format=RDFLIB_FORMATS[fmt])
    reference = rdflib.Graph().parse(data=serialize(_published(layout), "nt"), format="nt")
    parsed = rdflib.Graph()
    for triple in (
        graph.triples((None, None, None))
        if fmt not in ("nq", "trig")
        else ((s, p, o) for s, p, o, _ in graph.quads((None, None, None, None)))
    ):
        parsed.add(triple)
    assert isomorphic(parsed, reference)


def test_turtle_declares_the_project_prefixes() -> None:
    text = serialize(_published(Layout(MINI)), "turtle").decode()
    assert text.startswith("@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n")
    assert "@prefix person: <https://w3id.org/lifesci-news-kb/id/person/> .\n" in text
    assert "person:anna-rossi a schema:Person" in text


@pytest.mark.parametrize("layout", LAYOUTS, ids=["mini", "bundled"])
def test_jena_and_raptor_accept_turtle_silently(layout: Layout, tmp_path: Path) -> None:
    path = tmp_path / "published.ttl"
    path.write_bytes(serialize(_published(layout), "turtle"))
    jena = require_tool("jena")
    riot = subprocess.run([jena, "riot", "--validate", str(path)], capture_output=True, text=True)
    assert riot.returncode == 0, riot.stderr
    assert riot.stdout.strip() == "" and "WARN" not in riot.stderr, riot.stderr
    rapper = require_tool("rapper")
    raptor = subprocess.run(
        [rapper, "-i", "turtle", "-c", str(path)], capture_output=True, text=True
    )
    assert raptor.returncode == 0, raptor.stderr
    assert "warning" not in raptor.stderr.lower() and "error" not in raptor.stderr.lower()


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    target.write_bytes(b"old\n")

    def chunks():  # type: ignore[no-untyped-def]
        yield b"new, half"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, chunks())
    assert target.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ttl"]
    write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ttl"]


def test_atomic_write_into_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        write_atomic(tmp_path / "no" / "out.ttl", b"x")


def test_blank_nodes_are_labelled_canonically(tmp_path: Path) -> None:
    path = tmp_path / "b.ttl"
    path.write_text("<http://a> <http://p> [ <http://q> 1 ], [ <http://q> 2 ] .\n")
    outputs = {serialize(build_store(Layout(MINI), [path], "none", False), "nt") for _ in range(3)}
    assert len(outputs) == 1


# --- kb export with neither inference nor ontology: parsed straight into N-Triples ---------


@pytest.mark.parametrize("layout", LAYOUTS, ids=["mini", "bundled"])
def test_storeless_export_equals_the_store_dump(layout: Layout) -> None:
    """The path without a store writes the bytes a store's dump would have given."""
    through_store = sorted_ntriples(build_store(layout, None, "none", False))
    assert graph_ntriples(layout) == through_store


def test_storeless_export_merges_files_like_a_store(tmp_path: Path) -> None:
    """Blank nodes of two files stay apart, a triple in both is written once, a named
    graph is merged into the default graph, and the result equals the store's."""
    first, second, third = tmp_path / "1.ttl", tmp_path / "2.nt", tmp_path / "3.trig"
    first.write_text("_:b1 <http://p> <http://o> .\n<http://s> <http://p> <http://o> .\n")
    second.write_text("_:b1 <http://p> <http://o> .\n<http://s> <http://p> <http://o> .\n")
    third.write_text("<http://g> { <http://s> <http://q> _:b1 . }\n")
    files = [first, second, third]
    nt = graph_ntriples(Layout(MINI), files)
    assert nt == sorted_ntriples(build_store(Layout(MINI), files, "none", False))
    lines = nt.decode().splitlines()
    assert lines.count("<http://s> <http://p> <http://o> .") == 1
    assert len([x for x in lines if x.startswith("_:") and "<http://p>" in x]) == 2
    assert any(x.startswith("<http://s> <http://q> _:") for x in lines)


def test_storeless_export_keeps_literals_as_written(tmp_path: Path) -> None:
    """A store canonicalises integer literals (oxigraph#1413); parsed straight, they stay
    as written, so two different terms are two triples."""
    path = tmp_path / "n.ttl"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    path.write_text(f'<http://s> <http://p> "05"^^<{xsd}integer>, "5"^^<{xsd}long> .\n')
    assert graph_ntriples(Layout(MINI), [path]).decode().splitlines() == [
        f'<http://s> <http://p> "05"^^<{xsd}integer> .',
        f'<http://s> <http://p> "5"^^<{xsd}long> .',
    ]


def test_storeless_export_reports_file_and_line(tmp_path: Path) -> None:
    """A syntax error is one FILE:LINE line, as when loading into a store."""
    path = tmp_path / "bad.ttl"
    path.write_text("<http://s> <http://p> <http://o> .\n<http://s> <http://p> .\n")
    with pytest.raises(InputError) as caught:
        graph_ntriples(Layout(MINI), [path])
    assert str(caught.value).startswith(f"{path}:2: ")
