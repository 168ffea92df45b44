"""kb.store: every bad input is one InputError line with FILE:LINE where known."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
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


@pytest.mark.parametrize("name", ["big.nt", "big.ttl"])
def test_large_file_progress_and_a_failed_load_adds_nothing(tmp_path: Path, name: str) -> None:
    """Progress is heard up to the whole size, blank nodes or not, N-Triples or Turtle;
    a syntax error near the end of a large file names its own line and adds nothing to
    the store being filled."""
    from kb.store import PIECE, load_file

    line = b'<http://example.org/s%d> <http://example.org/p> "%s" .\n'
    count = PIECE // 60 + 1000
    body = b"_:b <http://example.org/p> _:c .\n"
    body += b"".join(line % (i, b"x" * 10) for i in range(count))
    good = tmp_path / name
    good.write_bytes(body)
    seen: list[tuple[int, int]] = []
    assert len(load_files([good], progress=lambda d, t: seen.append((d, t)))) == count + 1
    assert len(seen) >= 2 and seen[-1] == (len(body), len(body))
    assert len(set(seen)) == len(seen)
    bad = tmp_path / f"bad-{name}"
    bad.write_bytes(body + b"<http://example.org/s> <broken .\n")
    store = load_files([good])
    with pytest.raises(InputError) as caught:
        load_file(store, bad, progress=lambda d, t: None)
    assert str(caught.value).startswith(f"{bad}:{count + 2}: ")
    assert len(store) == count + 1


def test_file_streamed_not_read_whole(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A file that parses is streamed into the store, never held whole in memory beside
    it (the bytes are only read whole, after a parser's failure, to word the error)."""
    import kb.store

    def read_whole(*args: object) -> bytes:
        raise AssertionError("the file was read whole")

    monkeypatch.setattr(kb.store, "read_regular", read_whole)
    for name in ("a.nt", "a.ttl", "a.nq", "a.jsonld"):
        path = tmp_path / name
        text = '{"@id": "http://a", "http://b": "c"}' if name.endswith("ld") else GOOD_NT
        path.write_text(text, encoding="utf-8")
        assert len(load_files([path])) == 1
        assert kb.store.file_ntriples(path).count(b"\n") == 1


GOOD_NT = "<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b" \n\t\n  \n", "{path}: file is empty"),
        (b"\xef\xbb\xbf", "{path}: file is empty"),  # was an empty graph, no refusal
        (b"\xef\xbb\xbf \n\t\n", "{path}: file is empty"),
        (GOOD_NT.encode() * 2 + b'<http://a> <http://b> "x\x00y" .\n', "{path}:3: binary content"),
        (GOOD_NT.encode() + b'<http://a> <http://b> "caf\xe9" .\n', "{path}:2: not UTF-8"),
        (b"\xef\xbb\xbf" + GOOD_NT.encode() + b"<http://a> <broken .\n", "{path}:2: "),
        (b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n", "{path}:1: looks like Turtle"),
    ],
)
def test_streamed_file_refusals(tmp_path: Path, content: bytes, message: str) -> None:
    """What a streamed N-Triples file may hold that is refused, worded as before: blanks
    only, a NUL byte (even inside a literal, which the parser would take), bytes not UTF-8,
    the line of a syntax error after a BOM, the format it really has."""
    path = tmp_path / "x.nt"
    path.write_bytes(content)
    assert _error(path).startswith(message.format(path=path))


def test_bom_is_dropped_from_a_streamed_file(tmp_path: Path) -> None:
    path = tmp_path / "bom.nt"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_NT.encode())
    assert len(load_files([path])) == 1


def test_size_limit_held_while_streaming(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A file that grows past the size limit after it was checked is refused as it is
    read, and nothing of it is loaded."""
    import kb.store

    path = tmp_path / "grows.nt"
    path.write_text(GOOD_NT, encoding="utf-8")
    checked = kb.store.open_regular

    @contextlib.contextmanager
    def growing(name: Path, limit: int | None = None) -> Iterator[tuple[object, int]]:
        with checked(name, limit) as opened:
            with open(name, "ab") as handle:
                handle.write(GOOD_NT.encode() * 10)
            yield opened

    monkeypatch.setenv("KB_MAX_FILE_SIZE", "200")
    monkeypatch.setattr(kb.store, "open_regular", growing)
    store = load_files([])
    with pytest.raises(InputError, match="larger than the 200-byte limit"):
        kb.store.load_file(store, path)
    assert len(store) == 0


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
