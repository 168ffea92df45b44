"""Run the whole query catalogue, on the published graph or on a SPARQL server, and
compare every answer with its expected answers (``kb check``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.catalogue import CatalogueQuery, CheckResult, Table, check_catalogue, csv_table
from kb.resources import Layout

if TYPE_CHECKING:
    import pyoxigraph

    from kb.query import PreparedQuery, QueryResult
    from kb.remote import Remote


def prepared_entry(entry: CatalogueQuery) -> PreparedQuery:
    """A catalogue query with its default parameters bound."""
    from kb.query import prepare

    return prepare(entry.text, (), entry.params, False, entry.name)


def result_table(result: QueryResult) -> Table:
    """A CSV-format query result as a table."""
    return csv_table((result.payload or b"").decode("utf-8"))


def check_local(layout: Layout, store: pyoxigraph.Store | None = None) -> list[CheckResult]:
    """Every catalogue query on the published graph (or ``store``)."""
    from kb.published import published_store
    from kb.query import execute

    store = store if store is not None else published_store(layout)
    return check_catalogue(
        layout, lambda entry: result_table(execute(store, prepared_entry(entry), "csv"))
    )


def check_remote(layout: Layout, remote: Remote) -> list[CheckResult]:
    """Every catalogue query on a SPARQL server, the graph addressed explicitly."""
    return check_catalogue(
        layout, lambda entry: result_table(remote.run(prepared_entry(entry), "csv"))
    )
