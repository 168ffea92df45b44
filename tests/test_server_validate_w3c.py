"""The W3C SHACL cases the fast engine compiles (tests/test_shacl_w3c.py), validated on
Oxigraph's server the way `kb validate --endpoint` does it: each case's data graph pushed
to a named graph, the compiled queries sent there. The report must equal the local
engine's on the same data, except the cases listed below with their reason."""

from __future__ import annotations

import uuid

import pyoxigraph as ox

from kb import remote
from kb.namespaces import DEFAULT_GRAPH
from kb.remote.validation import EndpointSource
from kb.shacl import Report, ShapesFailure, validate_source, validate_store
from kb.shacl.graph import TripleIndex
from tests.helpers import unavailable
from tests.servers import Server
from tests.test_shacl_w3c import CASES, MISSING, NOT_COMPILED, Case, load

#: Cases the server run reports as not checked (never silently skipped), and why.
NOT_CHECKED_ON_A_SERVER: dict[str, str] = {
    f"sparql/pre-binding/pre-binding-00{n}": (
        "$this inside a nested group, UNION, sub-query or the like: SHACL pre-binding, "
        "which the SPARQL Protocol cannot express (locally pyoxigraph substitutes it)"
    )
    for n in (2, 3, 5, 7)
}
#: Cases whose server report differs from the local one, and why.
SERVER_DIFFERENCES: dict[str, str] = {}


def keys(report: Report) -> set[tuple[str, ...]]:
    """Results as 6-tuples, blank nodes (labels differ between stores) as ``_:``."""

    def term(text: str) -> str:
        return "_:" if text.startswith("_:") else text

    return {tuple(term(part) for part in r.key()) for r in report.results}


def server_report(server: Server, case: Case, data: ox.Store, shapes: TripleIndex) -> Report:
    graph = f"{DEFAULT_GRAPH}/w3c-{uuid.uuid4().hex[:10]}"
    nt = ox.serialize(data, format=ox.RdfFormat.N_TRIPLES) if len(data) else b""
    if nt:
        remote.push(nt, server.store, endpoint_url=server.query, graph=graph, timeout=60)
    return validate_source(EndpointSource(server.query, graph, timeout=60), shapes)


def test_compiled_w3c_cases_on_oxigraph_server_equal_local(oxigraph: Server) -> None:
    if not CASES:
        unavailable(MISSING)
    not_checked, different = {}, {}
    compared = 0
    for case in CASES:
        if case.failure or case.name in NOT_COMPILED:
            continue
        data = load(case.data)
        shapes = TripleIndex.from_store(data if case.shapes == case.data else load(case.shapes))
        try:
            local = validate_store(data, shapes, fallback=False)
        except ShapesFailure:
            continue
        there = server_report(oxigraph, case, data, shapes)
        compared += 1
        if there.not_checked:
            not_checked[case.name] = "; ".join(u.reason for u in there.not_checked)
        elif keys(there) != keys(local) or len(there.results) != len(local.results):
            different[case.name] = f"{len(local.results)} local, {len(there.results)} server"
    assert compared > 80, compared
    assert set(not_checked) == set(NOT_CHECKED_ON_A_SERVER), not_checked
    assert set(different) == set(SERVER_DIFFERENCES), different
