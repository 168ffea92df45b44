"""The query catalogue: competency questions in queries/*.rq, and their expected answers.

Each query file starts with comment headers::

    # title: Holder of a post
    # question: Who holds a given post?
    # param: post = post:kuwait-minister-of-health

Expected answers live in ``queries/expected/NAME.csv`` (SPARQL 1.1 CSV results: IRIs and
literals by their lexical form, so every engine's answers compare the same way). Rows are
compared as a multiset unless the query has ORDER BY.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import InputError

HEADER = re.compile(r"^#\s*(title|question|param)\s*:\s*(.*?)\s*$")
PARAM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$")
ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)

#: A table of answers: the variable names, then rows of CSV-form values.
Table = tuple[tuple[str, ...], list[tuple[str, ...]]]


@dataclass(frozen=True)
class CatalogueQuery:
    """One competency question."""

    name: str
    path: Path
    title: str
    question: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def ordered(self) -> bool:
        return bool(ORDER_BY.search(strip_comments(self.text)))


def strip_comments(sparql: str) -> str:
    """The query without whole-line comments (enough to look for keywords)."""
    return "\n".join(line for line in sparql.splitlines() if not line.lstrip().startswith("#"))


def parse_headers(path: Path) -> CatalogueQuery:
    """Read the ``# title:``, ``# question:`` and ``# param:`` headers of one query file."""
    fields: dict[str, str] = {}
    params: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("#"):
            break
        match = HEADER.match(line)
        if not match:
            continue
        key, value = match.groups()
        if key == "param":
            param = PARAM.match(value)
            if not param:
                raise InputError(f"{path}:{number}: a param line reads 'NAME = DEFAULT'")
            params[param.group(1)] = param.group(2)
        else:
            fields[key] = value
    missing = [key for key in ("title", "question") if key not in fields]
    if missing:
        raise InputError(f"{path}:1: missing header(s): {', '.join(missing)}")
    return CatalogueQuery(path.stem, path, fields["title"], fields["question"], params)


def load_catalogue(queries_dir: Path) -> dict[str, CatalogueQuery]:
    """Every query of the catalogue, by name (the file name without ``.rq``)."""
    return {path.stem: parse_headers(path) for path in sorted(queries_dir.glob("*.rq"))}


def closest_names(name: str, catalogue: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(name, list(catalogue), n=3, cutoff=0.5)


def read_expected(path: Path) -> Table:
    """An expected-answers CSV file as a table."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [tuple(row) for row in csv.reader(handle)]
    if not rows:
        raise InputError(f"{path}:1: empty expected-answers file")
    return rows[0], rows[1:]


def table_to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table[0])
    writer.writerows(table[1])
    return out.getvalue()


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one catalogue query against its expected answers."""

    name: str
    passed: bool
    rows: int
    seconds: float
    diff: list[str] = field(default_factory=list)


def compare(expected: Table, actual: Table, ordered: bool) -> list[str]:
    """Lines of difference between two tables ('-' expected only, '+' actual only)."""
    if tuple(expected[0]) != tuple(actual[0]):
        return [f"- columns {', '.join(expected[0])}", f"+ columns {', '.join(actual[0])}"]
    if ordered:
        if expected[1] == actual[1]:
            return []
        return [
            line
            for line in difflib.unified_diff(
                [_row(r) for r in expected[1]], [_row(r) for r in actual[1]], lineterm="", n=0
            )
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
    missing = Counter(expected[1]) - Counter(actual[1])
    extra = Counter(actual[1]) - Counter(expected[1])
    return [f"- {_row(r)}" for r in sorted(missing.elements())] + [
        f"+ {_row(r)}" for r in sorted(extra.elements())
    ]


def _row(row: Sequence[str]) -> str:
    return " | ".join(row)


def check_catalogue(
    catalogue: dict[str, CatalogueQuery],
    expected_dir: Path,
    run: Callable[[CatalogueQuery], Table],
) -> list[CheckResult]:
    """Run every query with its default parameters and compare with its expected answers."""
    results = []
    for query in catalogue.values():
        expected_path = expected_dir / f"{query.name}.csv"
        if not expected_path.is_file():
            raise InputError(f"{expected_path}: no expected answers for query {query.name}")
        expected = read_expected(expected_path)
        started = time.perf_counter()
        actual = run(query)
        seconds = time.perf_counter() - started
        diff = compare(expected, actual, query.ordered)
        results.append(CheckResult(query.name, not diff, len(actual[1]), seconds, diff))
    return results
