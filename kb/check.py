"""Run the whole query catalogue on one engine (the published graph or a SPARQL server)
and compare every answer with its expected answers (``kb check``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.catalogue import CatalogueQuery, CheckResult, Table, check_entries, csv_table
from kb.resources import Layout

if TYPE_CHECKING:
    from kb.query import Engine, PreparedQuery, QueryResult


def prepared_entry(entry: CatalogueQuery) -> PreparedQuery:
    """A catalogue query with its default parameters bound."""
    from kb.query import prepare

    return prepare(entry.text, (), entry.params, False, entry.name)


def result_table(result: QueryResult) -> Table:
    """A CSV-format query result as a table."""
    return csv_table((result.payload or b"").decode("utf-8"))


def check_catalogue(layout: Layout, engine: Engine) -> list[CheckResult]:
    """Every catalogue query run by ``engine`` (``kb.query.Local`` on the published graph,
    ``kb.remote.Remote`` on a server) and compared with its expected answers."""
    return check_entries(
        layout, lambda entry: result_table(engine.run(prepared_entry(entry), "csv"))
    )
