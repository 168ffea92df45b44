"""Jena agrees: ``arq --data <kb export --inference rdfs --with-ontology> --query Q`` gives
the same rows as the embedded store for every catalogue query (with default bindings)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from kb.catalogue import CatalogueQuery, catalogue
from kb.query import PreparedQuery, QueryResult, collect, prepare, run_with_time_limit
from kb.resources import Layout
from tests.helpers import REPO, require_jena


def _rows(rows: list[list[str | None]] | None, text: str) -> object:
    if rows is None:
        return None
    ordered = re.search(r"\bORDER\s+BY\b", text, re.IGNORECASE) is not None
    return rows if ordered else sorted(rows, key=repr)


HARNESS = Path(__file__).resolve().parent / "jena" / "RunQueries.java"


def _jena(jena: Path, *args: str | Path) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(
        [str(jena), *map(str, args)], capture_output=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-1500:]
    return done


def _solutions(json_results: bytes, query: PreparedQuery) -> QueryResult:
    import pyoxigraph

    parsed = pyoxigraph.parse_query_results(json_results, format=pyoxigraph.QueryResultsFormat.JSON)
    return collect(parsed, query.form, "table")


def test_arq_answers_the_catalogue_like_the_embedded_store(tmp_path: Path) -> None:
    """All queries run in one JVM (tests/jena/RunQueries.java, Jena ARQ: one JVM start
    instead of ~1-5 s per query); one query also through the `arq` command itself, which
    must agree with the harness."""
    from kb.export import serialize
    from kb.published import build_store

    jena = require_jena()
    layout = Layout(REPO)
    store = build_store(layout, inference="rdfs", with_ontology=True)
    data = tmp_path / "published.ttl"
    data.write_bytes(serialize(store, "turtle"))  # = kb export --inference rdfs --with-ontology
    entries: list[CatalogueQuery] = catalogue(layout)
    assert len(entries) >= 14
    prepared = {e.name: prepare(e.text, (), e.params, False, e.name) for e in entries}
    files = []
    for name, query in prepared.items():
        files.append(tmp_path / f"{name}.rq")
        files[-1].write_text(query.text, encoding="utf-8")
    _jena(jena, HARNESS, data, tmp_path, *files)
    for entry in entries:
        query = prepared[entry.name]
        local = run_with_time_limit(store, query, "table", None)
        jena_result = _solutions((tmp_path / f"{entry.name}.srj").read_bytes(), query)
        assert jena_result.boolean == local.boolean, entry.name
        assert _rows(jena_result.rows, entry.text) == _rows(local.rows, entry.text), entry.name
    first = entries[0].name
    arq = _jena(jena, "arq", f"--data={data}", f"--query={files[0]}", "--results=JSON")
    by_arq = _solutions(arq.stdout, prepared[first])
    by_harness = _solutions((tmp_path / f"{first}.srj").read_bytes(), prepared[first])
    assert _rows(by_arq.rows, entries[0].text) == _rows(by_harness.rows, entries[0].text)
