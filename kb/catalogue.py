"""The competency-question catalogue: ``queries/*.rq`` with their header comments
(``# title:``, ``# question:``, ``# param: NAME = DEFAULT``) and expected answers.

Expected answers live in ``queries/expected/NAME.csv`` (SPARQL 1.1 CSV results: IRIs and
literals by their lexical form, so every engine's answers compare the same way). Rows are
compared as a multiset unless the query has ORDER BY, then in order.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import InputError
from kb.files import read_text
from kb.resources import Layout

_HEADER = re.compile(r"^#\s*(title|question|param)\s*:\s*(.*?)\s*$", re.I)
_PARAM = re.compile(r"^\??([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*(.*))?$")


@dataclass(frozen=True)
class CatalogueQuery:
    """One catalogue entry."""

    name: str
    path: Path
    text: str
    title: str = ""
    question: str = ""
    #: parameter name -> default value (``--bind`` syntax; None when there is none)
    params: dict[str, str | None] = field(default_factory=dict)


def parse_query_file(path: Path) -> CatalogueQuery:
    """Read one ``.rq`` file (a regular UTF-8 file, BOM allowed; see ``kb.files``) and
    its header comments."""
    text = read_text(path)
    headers: dict[str, str] = {}
    params: dict[str, str | None] = {}
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if not match:
            continue
        key, value = match.group(1).lower(), match.group(2)
        if key == "param":
            param = _PARAM.match(value)
            if param:
                params[param.group(1)] = _unquote(param.group(2))
        else:
            headers.setdefault(key, value)
    title, question = headers.get("title", ""), headers.get("question", "")
    return CatalogueQuery(path.stem, path, text, title, question, params)


def _unquote(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def catalogue(layout: Layout) -> list[CatalogueQuery]:
    """Every catalogue query, sorted by name."""
    return [parse_query_file(p) for p in sorted(layout.queries_dir.glob("*.rq"))]


def find(layout: Layout, name: str) -> CatalogueQuery:
    """The catalogue query called ``name``; unknown names suggest the closest ones."""
    path = layout.queries_dir / f"{name}.rq"
    # lexists, not is_file: a FIFO or device named NAME.rq is refused by the reader, not
    # passed over as an unknown name
    if re.fullmatch(r"[A-Za-z0-9_.-]+", name) and os.path.lexists(path):
        return parse_query_file(path)
    names = [p.stem for p in sorted(layout.queries_dir.glob("*.rq"))]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownQuery(f"unknown query {name!r}{hint}", bool(close))


class UnknownQuery(InputError):
    """No catalogue query has the name given; ``suggested``: the message names the
    closest ones (else a caller may say where the list is)."""

    def __init__(self, message: str, suggested: bool) -> None:
        super().__init__(message)
        self.suggested = suggested


def expected_path(layout: Layout, name: str) -> Path:
    """Where the expected answers of ``name`` live (``queries/expected/NAME.csv``)."""
    return layout.expected_dir / f"{name}.csv"


#: A table of answers: the variable names, then rows of CSV-form values.
Table = tuple[tuple[str, ...], list[tuple[str, ...]]]
_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)


def is_ordered(entry: CatalogueQuery) -> bool:
    """Whether the query fixes the order of its rows (ORDER BY outside comments)."""
    code = "\n".join(line.split("#", 1)[0] for line in entry.text.splitlines())
    return bool(_ORDER_BY.search(code))


def read_expected(path: Path) -> Table:
    """An expected-answers CSV file (a regular UTF-8 file, BOM allowed) as a table."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [tuple(row) for row in reader]
    except csv.Error as exc:
        raise InputError.at(path, reader.line_num, f"not CSV: {exc}") from None
    if not rows:
        raise InputError(f"{path}:1: empty expected-answers file")
    return rows[0], rows[1:]


def csv_table(csv_text: str) -> Table:
    """A SPARQL CSV result as a table."""
    rows = [tuple(row) for row in csv.reader(io.StringIO(csv_text))]
    return (rows[0], rows[1:]) if rows else ((), [])


def compare(expected: Table, actual: Table, ordered: bool) -> list[str]:
    """Lines of difference between two tables ('-' expected only, '+' actual only)."""
    if tuple(expected[0]) != tuple(actual[0]):
        return [f"- columns {', '.join(expected[0])}", f"+ columns {', '.join(actual[0])}"]
    if ordered:
        if expected[1] == actual[1]:
            return []
        diff = difflib.unified_diff(
            [_row(r) for r in expected[1]], [_row(r) for r in actual[1]], lineterm="", n=0
        )
        return [
            f"{line[0]} {line[1:]}"
            for line in diff
            if line[:1] in "+-" and line[1:3] != "--" and line[1:3] != "++"
        ]
    missing = Counter(expected[1]) - Counter(actual[1])
    extra = Counter(actual[1]) - Counter(expected[1])
    return [f"- {_row(r)}" for r in sorted(missing.elements())] + [
        f"+ {_row(r)}" for r in sorted(extra.elements())
    ]


def _row(row: Sequence[str]) -> str:
    return " | ".join(row)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one catalogue query against its expected answers."""

    name: str
    passed: bool
    rows: int
    seconds: float
    diff: list[str] = field(default_factory=list)


def check_entries(layout: Layout, run: Callable[[CatalogueQuery], Table]) -> list[CheckResult]:
    """Run every catalogue query with its default parameters (``run`` returns its answers
    as a table) and compare with its expected answers."""
    results = []
    for entry in catalogue(layout):
        expected = read_expected(expected_path(layout, entry.name))
        started = time.perf_counter()
        actual = run(entry)
        seconds = time.perf_counter() - started
        diff = compare(expected, actual, is_ordered(entry))
        results.append(CheckResult(entry.name, not diff, len(actual[1]), seconds, diff))
    return results
