"""pySHACL, the reference engine: runs the shapes the fast engine does not support, and
reads any pySHACL report graph back as Result objects (also used by the parity tests)."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator
from typing import Any

import pyoxigraph as ox

from kb.shacl.graph import RDF_TYPE, Term, TripleIndex, sh, to_rdflib_term
from kb.shacl.model import TARGET_PREDICATES, ShapesGraph
from kb.shacl.paths import sparql_path


def to_rdflib_graph(source: Any) -> Any:
    """An rdflib graph of a pyoxigraph store's default graph, or of a TripleIndex."""
    import rdflib

    if isinstance(source, rdflib.Graph):
        return source
    graph = rdflib.Graph()
    cache: dict[Term, Any] = {}

    def convert(term: Term) -> Any:
        found = cache.get(term)
        if found is None:
            found = cache[term] = to_rdflib_term(term)
        return found

    if isinstance(source, ox.Store):
        triples = (
            (q.subject, q.predicate, q.object)
            for q in source.quads_for_pattern(None, None, None, ox.DefaultGraph())
        )
    else:
        triples = ((s, p, o) for p in source.all_predicates() for s, o in source.pairs(p))
    for s, p, o in triples:
        graph.add((convert(s), convert(p), convert(o)))
    return graph


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


def pyshacl_results(data: ox.Store, shapes: Any, keep: Collection[Term]) -> list[Any]:
    """pySHACL's results for the targeted shapes in ``keep`` only."""
    import pyshacl
    from pyshacl.errors import ValidationFailure

    from kb.shacl.model import ShapesFailure

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


def report_results(report: Any, report_node: Term | None = None) -> list[Any]:
    """The results of an ``sh:ValidationReport`` graph (rdflib or TripleIndex): those of
    ``report_node`` when given, else every sh:ValidationResult."""
    from kb.shacl.engine import Result

    index = TripleIndex.from_any(report)
    if report_node is not None:
        nodes = index.objects(report_node, sh("result"))
    else:
        nodes = index.subjects(RDF_TYPE, sh("ValidationResult"))
    results = []
    for node in nodes:
        path = index.value(node, sh("resultPath"))
        found = index.objects(node, sh("resultMessage"))
        messages = [m for m in found if isinstance(m, ox.Literal)]
        message = min(messages, key=_message_order) if messages else None
        results.append(
            Result(
                focus=index.value(node, sh("focusNode")),  # type: ignore[arg-type]
                path=sparql_path(index, path) if path is not None else None,
                value=index.value(node, sh("value")),
                severity=index.value(node, sh("resultSeverity")),  # type: ignore[arg-type]
                shape=index.value(node, sh("sourceShape")),  # type: ignore[arg-type]
                component=index.value(node, sh("sourceConstraintComponent")),  # type: ignore[arg-type]
                message=message.value if message is not None else "",
                source=index.value(node, sh("sourceConstraint")),
            )
        )
    return results


def _message_order(message: ox.Literal) -> tuple[bool, str]:
    """English (or untagged) messages first, then by text: the engine's own choice."""
    return (message.language not in (None, "en"), message.value)


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
