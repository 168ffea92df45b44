"""pySHACL, the reference engine: validates with every shape (``kb validate --engine
pyshacl``), or with the shapes the fast engine does not compile."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection, Iterator
from typing import Any

import pyoxigraph as ox

from kb.shacl.graph import Term, TripleIndex, sh, to_rdflib_graph, to_rdflib_term
from kb.shacl.model import TARGET_PREDICATES, ShapesFailure, ShapesGraph
from kb.shacl.report import Report, Result, report_results


def reduced_shapes(shapes: Any, keep: Collection[Term]) -> Any:
    """A copy of the shapes graph (rdflib) where only the shapes in ``keep`` have targets."""
    from rdflib import RDF, RDFS

    source = TripleIndex.from_any(shapes) if isinstance(shapes, ox.Store) else shapes
    graph = to_rdflib_graph(source)
    copy = type(graph)()
    for prefix, namespace in graph.namespaces():
        copy.bind(prefix, namespace)
    index = ShapesGraph(TripleIndex.from_rdflib(graph))
    drop = {to_rdflib_term(n) for n in index.targeted_shapes() if n not in keep}
    targets = {to_rdflib_term(sh(name)) for name in (*TARGET_PREDICATES, "target")}
    for s, p, o in graph:
        if s in drop and (p in targets or (p == RDF.type and o == RDFS.Class)):
            continue
        copy.add((s, p, o))
    return copy


class PyshaclRefused(Exception):
    """pySHACL cannot use the shapes (a malformed constraint, SERVICE in SHACL-SPARQL)."""


def pyshacl_report(data: ox.Store, shapes: ox.Store) -> Report:
    """pySHACL's report on ``data`` (inference off, SHACL-SPARQL on), with its graph."""
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError

    quiet = logging.getLogger("pyshacl-validate")  # else it logs each error to stderr too
    was_disabled, quiet.disabled = quiet.disabled, True
    try:
        with cached_sparql_parsing():
            conforms, report_graph, _ = pyshacl.validate(
                to_rdflib_graph(data),
                shacl_graph=to_rdflib_graph(shapes),
                inference="none",
                advanced=True,
                abort_on_first=False,
                allow_warnings=False,
                do_owl_imports=False,
            )
    except ReportableRuntimeError as exc:
        raise PyshaclRefused(exc.message) from None
    finally:
        quiet.disabled = was_disabled
    if isinstance(report_graph, ReportableRuntimeError):  # e.g. SERVICE in a constraint
        raise PyshaclRefused(report_graph.message)
    return Report(
        conforms=bool(conforms),
        results=sorted(report_results(report_graph), key=Result.key),
        engine="pyshacl",
        report_ntriples=report_graph.serialize(format="nt", encoding="utf-8"),
    )


def pyshacl_results(data: ox.Store, shapes: Any, keep: Collection[Term]) -> list[Result]:
    """pySHACL's results for the targeted shapes in ``keep`` only."""
    import pyshacl
    from pyshacl.errors import ValidationFailure

    try:
        with cached_sparql_parsing():
            _, report, _ = pyshacl.validate(
                to_rdflib_graph(data),
                shacl_graph=reduced_shapes(shapes, keep),
                inference="none",
                advanced=True,
            )
    except ValidationFailure as exc:
        raise ShapesFailure(str(exc)) from None
    if isinstance(report, Exception):  # pySHACL returns some failures instead of raising
        raise ShapesFailure(str(report))
    return report_results(report)


_patch_depth = 0


@contextlib.contextmanager
def cached_sparql_parsing(cache: dict[Any, Any] | None = None) -> Iterator[None]:
    """Within the block, rdflib parses and translates each SPARQL text once.

    pySHACL hands rdflib the same SPARQL text (a SHACL-SPARQL constraint, the sh:class
    check, ...) once per focus node, with the focus pre-bound through ``initBindings``;
    rdflib re-parses it every time, which is most of pySHACL's time on our shapes. The
    translated query is the object rdflib would build anyway (keyed by text, base and
    namespaces; rdflib's own ``prepareQuery`` objects are reused the same way), so the
    results are unchanged. The cache lives only as long as the block, unless the caller
    passes its own ``cache`` dict to reuse across blocks (the tests run 133 fixtures)."""
    global _patch_depth
    from rdflib.plugins.sparql import processor

    if cache is None:
        cache = {}
    original = processor.SPARQLProcessor.query

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):  # type: ignore[no-untyped-def]
        if isinstance(strOrQuery, str):
            key = (strOrQuery, base, frozenset((initNs or {}).items()))
            found = cache.get(key)
            if found is None:
                tree = processor.parseQuery(strOrQuery)
                found = cache[key] = processor.translateQuery(tree, base, initNs)
            strOrQuery = found
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    if _patch_depth:  # already patched by an enclosing block
        yield
        return
    processor.SPARQLProcessor.query = query  # type: ignore[method-assign]
    _patch_depth += 1
    try:
        yield
    finally:
        _patch_depth -= 1
        processor.SPARQLProcessor.query = original  # type: ignore[method-assign]
