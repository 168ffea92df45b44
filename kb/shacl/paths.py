"""SHACL property paths (the RDF structures of SHACL section 2.3.1) as SPARQL paths."""

from __future__ import annotations

import pyoxigraph as ox

from kb.shacl.graph import RDF_FIRST, Term, TripleIndex, sh


class PathError(ValueError):
    """A malformed SHACL path."""


_UNARY = {
    "zeroOrMorePath": "*",
    "oneOrMorePath": "+",
    "zeroOrOnePath": "?",
}


def sparql_path(graph: TripleIndex, node: Term) -> str:
    """The SPARQL 1.1 property path for the SHACL path at ``node`` (IRIs in ``<>`` form).

    Sequences and alternatives are parenthesised, so the text is canonical: the same
    structure always gives the same string.
    """
    return _path(graph, node, 0)[0]


def _path(graph: TripleIndex, node: Term, depth: int) -> tuple[str, bool]:
    """(SPARQL text, whether the text is one path element) for the path at ``node``."""
    if depth > 50:
        raise PathError(f"path too deep at {node}")
    if isinstance(node, ox.NamedNode):
        return str(node), True
    if isinstance(node, ox.Literal):
        raise PathError(f"a literal is not a path: {node}")
    if graph.value(node, RDF_FIRST) is not None:
        return _list_path(graph, graph.items(node), "/", depth), True
    alternatives = graph.value(node, sh("alternativePath"))
    if alternatives is not None:
        return _list_path(graph, graph.items(alternatives), "|", depth), True
    inverse = graph.value(node, sh("inversePath"))
    if inverse is not None:
        return "^" + _element(graph, inverse, depth), False
    for name, operator in _UNARY.items():
        inner = graph.value(node, sh(name))
        if inner is not None:
            return _element(graph, inner, depth) + operator, False
    raise PathError(f"not a SHACL path: {node}")


def _list_path(graph: TripleIndex, members: list[Term], operator: str, depth: int) -> str:
    """A parenthesised sequence or alternative of ``members``."""
    if len(members) < 2:
        raise PathError("a sequence or alternative path needs two members at least")
    return "(" + operator.join(_path(graph, m, depth + 1)[0] for m in members) + ")"


def _element(graph: TripleIndex, node: Term, depth: int) -> str:
    """The path at ``node`` as one path element (parenthesised unless atomic)."""
    text, atomic = _path(graph, node, depth + 1)
    return text if atomic else "(" + text + ")"
