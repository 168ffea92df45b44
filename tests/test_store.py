"""kb.store: every bad input is one InputError line with FILE:LINE where known."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kb.errors import InputError
from kb.store import load_files

GOOD = "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n"


def _error(path: str | Path) -> str:
    with pytest.raises(InputError) as info:
        load_files([path])
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("ex:a ex:b ex:c .\n", 1),  # undefined prefix
        (GOOD + "ex:a ex:b ex:c ex:d .\n" + GOOD, 3),
        (GOOD + 'ex:a ex:b "unterminated .\n', 3),
        (GOOD + "<http://a b> ex:b ex:c .\n", 3),
        (GOOD + "ex:a ex:b ex:c", 3),
    ],
)
def test_turtle_syntax_errors_name_file_and_line(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "bad.ttl"
    path.write_text(text, encoding="utf-8")
    assert _error(path).startswith(f"{path}:{line}: ")


def test_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "good.ttl"
    path.write_text(GOOD, encoding="utf-8")
    assert len(load_files([path])) == 1


def test_refusals(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ttl"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.ttl"
    binary.write_bytes(b"\x00\x01\x02")
    latin = tmp_path / "latin.ttl"
    latin.write_bytes(GOOD.encode() + b'<http://a> <http://b> "caf\xe9" .\n')
    fifo = tmp_path / "fifo.ttl"
    os.mkfifo(fifo)
    doctype = tmp_path / "x.rdf"
    doctype.write_text('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY x "y">]>\n<r/>')
    assert _error(empty) == f"{empty}: file is empty"
    assert _error(binary).startswith(f"{binary}:1: binary content")
    assert _error(latin).startswith(f"{latin}:3: not UTF-8")
    assert _error(fifo) == f"{fifo}: not a regular file"
    assert _error(tmp_path) == f"{tmp_path}: is a directory, not a file"
    assert _error(tmp_path / "missing.ttl") == f"{tmp_path / 'missing.ttl'}: no such file"
    assert "never fetched" in _error("http://127.0.0.1:9/data.ttl")
    assert "DOCTYPE" in _error(doctype)


def test_wrong_extension_is_a_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "really-xml.ttl"
    path.write_text('<?xml version="1.0"?>\n<rdf:RDF/>\n')
    assert _error(path).startswith(f"{path}:1: ")


def test_remote_jsonld_context_is_not_fetched(tmp_path: Path) -> None:
    path = tmp_path / "remote.jsonld"
    path.write_text('{"@context": "http://127.0.0.1:9/ctx", "@id": "http://a", "p": "x"}')
    assert "never fetched" in _error(path)


def test_quad_formats_go_to_the_default_graph(tmp_path: Path) -> None:
    import pyoxigraph

    path = tmp_path / "g.trig"
    path.write_text("<http://g> { <http://a> <http://b> <http://c> . }\n")
    store = load_files([path])
    assert [q.graph_name for q in store] == [pyoxigraph.DefaultGraph()]


def test_large_ntriples_in_pieces_with_progress(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With a progress callback a large N-Triples file loads piece by piece: the same
    triples, progress up to the whole size, and a syntax error still names its own line."""
    from kb.errors import InputError
    from kb.store import PIECE, load_files

    line = b'<http://example.org/s%d> <http://example.org/p> "%s" .\n'
    count = PIECE // 60 + 1000
    body = b"".join(line % (i, b"x" * 10) for i in range(count))
    good = tmp_path / "big.nt"
    good.write_bytes(body)
    seen: list[tuple[int, int]] = []
    assert len(load_files([good], progress=lambda d, t: seen.append((d, t)))) == count
    assert len(seen) >= 2 and seen[-1] == (len(body), len(body))
    bad = tmp_path / "bad.nt"
    bad.write_bytes(body + b"<http://example.org/s> <broken .\n")
    with pytest.raises(InputError) as caught:
        load_files([bad], progress=lambda d, t: None)
    assert str(caught.value).startswith(f"{bad}:{count + 1}: ")


def test_stores_kept_until_exit_and_released(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Once the kb command asks, every store loaded is kept (its teardown is skipped at
    exit); a released one is no longer kept, so dropping it frees it. Nothing is kept
    before anyone asks."""
    import kb.store

    path = tmp_path / "a.ttl"
    path.write_text("<http://s> <http://p> <http://o> .\n")
    monkeypatch.setattr(kb.store, "_retained", None)
    kb.store.load_files([path])
    assert kb.store.retained() == 0
    kb.store.retain_until_exit()
    first, second = kb.store.load_files([path]), kb.store.load_files([path])
    assert kb.store.retained() == 2
    kb.store.release(first)
    assert kb.store.retained() == 1 and kb.store._retained == [second]
