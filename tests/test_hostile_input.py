"""Hostile input through the kb command (issue 6): broken RDF files, things that are not
files, broken or hostile SPARQL, escaping --bind values, a query that runs too long, a
result too large for a table, and data with 10,000 distinct shape violations.

Every bad input ends in one line on stderr (``FILE:LINE: what is wrong`` where a line is
known), the exit code of its kind (2 input, 3 time limit) and no traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.helpers import KB_SCRIPT, MINI, kb

PREFIX = b"@prefix ex: <http://example.org/> .\n"


def assert_one_line_error(result: Result, code: int, pattern: str) -> str:
    """The command failed with ``code``, nothing on stdout, and one stderr line matching
    ``pattern`` (a regular expression searched from the start), without a traceback."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert re.match(pattern, lines[0]), lines[0]
    return lines[0]


def run_script(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the installed ``kb`` console script (its real stderr and exit code)."""
    return subprocess.run(
        [KB_SCRIPT, "--root", str(MINI), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# --- Broken RDF files ---------------------------------------------------------------------

#: name -> (file content, the line the error names or None, words the message contains)
BAD_FILES: dict[str, tuple[bytes, int | None, str]] = {
    "first-line.ttl": (b"<http://example.org/a> <http://example.org/b> .\n", 1, "object"),
    "middle-line.ttl": (
        PREFIX + b"ex:a ex:b ex:c .\nex:a ex:b .\nex:d ex:e ex:f .\nex:g ex:h ex:i .\n",
        3,
        "object",
    ),
    "last-line.ttl": (PREFIX + b"ex:a ex:b ex:c .\nex:d ex:e ex:f", 3, ""),
    "unterminated.ttl": (PREFIX + b'ex:a ex:b "never closed .\nex:d ex:e ex:f .\n', 2, ""),
    "bad-iri.ttl": (PREFIX + b"ex:a ex:b <http://example.org/a b> .\n", 2, "IRI"),
    "undefined-prefix.ttl": (PREFIX + b"ex:a ex:b ex:c .\nex:a nope:b ex:c .\n", 3, "nope"),
    "empty.ttl": (b"", None, "empty"),
    "blank.ttl": (b"\n  \n\t\n", None, "empty"),
    "binary.ttl": (bytes(range(256)) * 4, 1, "binary"),
    "latin1.ttl": (PREFIX + 'ex:a ex:b "café" .\n'.encode("latin-1"), 2, "UTF-8"),
    "rdfxml.ttl": (
        b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf='
        b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n',
        1,
        "RDF/XML",
    ),
    "jsonld.ttl": (b'{"@id": "http://example.org/a", "http://example.org/b": "c"}\n', 1, "JSON-LD"),
    "turtle.nt": (PREFIX + b"ex:a ex:b ex:c .\n", 1, "Turtle"),
    "turtle.rdf": (PREFIX + b"ex:a ex:b ex:c .\n", 1, "Turtle"),
    "unknown.csv": (b"a,b,c\n", None, "unknown RDF format"),
}


@pytest.mark.parametrize("command", ["validate", "export"])
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_rdf_file(tmp_path: Path, name: str, command: str) -> None:
    """Each broken file: ``FILE:LINE: message`` (``FILE: message`` without a line), exit 2."""
    content, line, words = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(content)
    where = re.escape(f"{path}:{line}: " if line else f"{path}: ")
    message = assert_one_line_error(kb(command, str(path)), 2, where)
    assert words.lower() in message.lower()


@pytest.mark.parametrize("command", ["validate", "export"])
def test_not_a_file(tmp_path: Path, command: str) -> None:
    """A directory, a missing file, and a URL where a file is expected."""
    folder = tmp_path / "folder.ttl"
    folder.mkdir()
    assert_one_line_error(kb(command, str(folder)), 2, re.escape(f"{folder}: ") + ".*directory")
    missing = tmp_path / "missing.ttl"
    assert_one_line_error(kb(command, str(missing)), 2, re.escape(f"{missing}: no such file"))
    url = "http://127.0.0.1:9/data.ttl"
    assert_one_line_error(kb(command, url), 2, re.escape(f"{url}: URLs are never fetched"))


def test_console_script_fifo_does_not_hang(tmp_path: Path) -> None:
    """A FIFO where a file is expected is refused at once (nobody ever writes to it)."""
    fifo = tmp_path / "pipe.ttl"
    os.mkfifo(fifo)
    for command in ("validate", "export"):
        done = run_script(command, str(fifo), timeout=30)
        assert done.returncode == 2
        assert done.stderr == f"{fifo}: not a regular file\n"
        assert done.stdout == ""


def test_console_script_syntax_error_is_one_line(tmp_path: Path) -> None:
    """The real console script: one stderr line, FILE:LINE:, exit 2, no traceback."""
    path = tmp_path / "broken.ttl"
    path.write_bytes(BAD_FILES["middle-line.ttl"][0])
    done = run_script("validate", str(path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"{path}:3: ")
    assert "Traceback" not in done.stderr and done.stdout == ""


# --- Broken and hostile SPARQL ------------------------------------------------------------

BAD_QUERIES: dict[str, tuple[str, str]] = {
    "syntax": ("SELECT * WHERE { ?s ?p }", r"query: SPARQL syntax error: error at 1:\d+: "),
    "prefix": (
        "SELECT * WHERE { ?s nope:name ?o }",
        r"query: SPARQL syntax error: error at 1:\d+: undeclared prefix nope:",
    ),
    "insert": ("INSERT DATA { <a:s> <a:p> <a:o> }", "updates are refused.*INSERT"),
    "delete": ("DELETE WHERE { ?s ?p ?o }", "updates are refused.*DELETE"),
    "drop": ("DROP ALL", "updates are refused.*DROP"),
    "load": ("LOAD <http://127.0.0.1:9/x.ttl>", "updates are refused.*LOAD"),
    "not-a-query": ("{ ?s ?p ?o }", "not a SPARQL query"),
}


@pytest.mark.parametrize("name", sorted(BAD_QUERIES))
def test_bad_query(name: str) -> None:
    """Syntax errors (with their position), unknown prefixes and updates: exit 2."""
    text, pattern = BAD_QUERIES[name]
    assert_one_line_error(kb("query", text), 2, pattern)


def _children() -> set[int]:
    """The process ids of this process's children (from /proc)."""
    me = str(os.getpid())
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] != "Z":
                found.add(int(entry.name))
    return found


EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o }"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_query_time_limit_ends_worker() -> None:
    """A cross join of five triple patterns under --timeout 1: exit 3, worker gone."""
    before = _children()
    result = kb("query", "--timeout", "1", EXPLOSIVE)
    assert_one_line_error(result, 3, r"query: query ran longer than 1 s")
    assert _children() <= before


def test_console_script_time_limit() -> None:
    """The real console script under --timeout 1: exit 3, one line, soon after the limit."""
    done = run_script("query", "--timeout", "1", EXPLOSIVE, timeout=30)
    assert done.returncode == 3
    assert done.stderr == "query: query ran longer than 1 s\n" and done.stdout == ""


def test_large_result_truncated_in_table_csv_complete() -> None:
    """More than 1000 rows: the table stops at 1000 with a note on stderr; CSV has all."""
    digits = "{ 0 1 2 3 4 5 6 7 8 9 }"
    query = f"SELECT * WHERE {{ VALUES ?k {{ 0 1 }} VALUES ?c {digits} VALUES ?d {digits}"
    query += f" VALUES ?u {digits} }}"
    table = kb("query", query)
    assert table.exit_code == 0
    assert table.stderr == "table truncated to 1000 rows\n"
    lines = table.stdout.splitlines()
    assert len(lines) == 2 + 1000 + 1
    assert lines[-1].startswith("… 1000 more rows not shown")
    csv = kb("query", "--format", "csv", query)
    assert csv.exit_code == 0 and csv.stderr == ""
    assert len(csv.stdout.splitlines()) == 1 + 2000


# --- --bind values that try to escape -------------------------------------------------------

HOSTILE_VALUES = [
    'x" } ; DROP ALL ; #',
    "<x> } INSERT {",
    '"} UNION { ?s ?p ?o } #',
    "x' } SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } #",
    '\\" } #',
    "A" * 100_000,
]
CONTROL_VALUES = ["a\x00b", "line\nbreak } #", "tab\there", "esc\x1b[31m", "del\x7f"]


def _digest(root: Path) -> str:
    """A hash of every file under ``root`` (to show nothing was changed)."""
    sha = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            sha.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def _persons_csv(root: Path) -> str:
    result = kb("query", "persons", "--format", "csv", root=root)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    """A private copy of the mini knowledge base."""
    root = tmp_path / "kb"
    shutil.copytree(MINI, root)
    return root


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=lambda v: v[:20])
def test_bind_value_is_a_plain_term(value: str, mini_copy: Path) -> None:
    """A hostile value is one literal: echoed back unchanged, matching nothing in a
    catalogue query, and the knowledge base (files and answers) stays as it was."""
    digest, persons = _digest(mini_copy), _persons_csv(mini_copy)
    echo = kb("query", "--format", "json", "SELECT ?x WHERE { }", "--bind", f"x={value}")
    assert echo.exit_code == 0, echo.stderr
    bindings = json.loads(echo.stdout)["results"]["bindings"]
    assert bindings == [{"x": {"type": "literal", "value": value}}]
    matched = kb("query", "posts-of", "--format", "csv", "--bind", f"name={value}", root=mini_copy)
    assert matched.exit_code == 0, matched.stderr
    assert len(matched.stdout.splitlines()) == 1  # the header only
    assert _digest(mini_copy) == digest and _persons_csv(mini_copy) == persons


def test_bind_positive_control() -> None:
    """The same binding with an honest value does match (so "matches nothing" means it)."""
    result = kb("query", "posts-of", "--format", "csv", "--bind", "name=Anna Rossi")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2


@pytest.mark.parametrize("value", CONTROL_VALUES, ids=repr)
def test_bind_control_characters_refused(value: str) -> None:
    """Control characters in a --bind value are refused with exit 2."""
    result = kb("query", "persons", "--bind", f"person={value}")
    assert_one_line_error(result, 2, "malformed --bind value: control characters")


@pytest.mark.parametrize(
    "binding", ["=x", "no-equals", "bad name=x", "x=<http://a b>", "x=<a>b>"], ids=repr
)
def test_bind_malformed_refused(binding: str) -> None:
    """Malformed NAME=VALUE or IRIs: exit 2, one line."""
    assert_one_line_error(kb("query", "persons", "--bind", binding), 2, "malformed --bind")


# --- Data with 10,000 distinct errors ---------------------------------------------------------

MANY = 10_000


def _nameless_persons(path: Path, count: int) -> Path:
    """A Turtle file of ``count`` persons, none with the name the shapes require."""
    lines = ["@prefix schema: <https://schema.org/> .", "@prefix ex: <http://example.org/p/> ."]
    lines += [f"ex:p{i:05d} a schema:Person ." for i in range(count)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def cached_validation() -> Callable[[], int]:
    """Validate through the CLI once: later calls of kb.validate.validate with the same
    arguments reuse the report, so the text and JSON renderings share one pySHACL run."""
    import kb.validate

    original = kb.validate.validate
    cache: dict[tuple[str, ...], kb.validate.Report] = {}
    calls = [0]

    def validate(layout, data_files=None, shapes=None, engine="pyshacl", *progress):  # type: ignore[no-untyped-def]
        key = (str(layout.root), *map(str, data_files or ()), str(shapes), engine)
        if key not in cache:
            calls[0] += 1
            cache[key] = original(layout, data_files, shapes, engine, *progress)
        return cache[key]

    kb.validate.validate = validate
    yield lambda: calls[0]
    kb.validate.validate = original


def test_ten_thousand_errors(tmp_path: Path, cached_validation: Callable[[], int]) -> None:
    """10,000 nameless persons: JSON has every result and complete counts; --max-results N
    prints N result lines, the remainder note and the complete summary."""
    data = str(_nameless_persons(tmp_path / "many.ttl", MANY))
    full = kb("validate", data, "--format", "json")
    assert full.exit_code == 1
    report = json.loads(full.stdout)
    assert report["conforms"] is False
    assert report["counts"]["Violation"] == MANY
    focuses = {r["focus"] for r in report["results"] if r["severity"] == "Violation"}
    assert len(focuses) == MANY
    text = kb("validate", data, "--max-results", "7")
    assert text.exit_code == 1
    lines = text.stdout.splitlines()
    assert sum(line.startswith("  Violation ") for line in lines) == 7
    assert lines[-2] == f"… {len(report['results']) - 7} more results not shown (--max-results 7)"
    assert lines[-1].startswith(f"does not conform: {MANY} violations")
    none = kb("validate", data, "--max-results", "0", "--format", "json")
    assert json.loads(none.stdout)["counts"] == report["counts"]
    assert cached_validation() == 1
