"""Helpers for tests that read pySHACL's rdflib report graphs: terms and paths in the
text form of ``kb.shacl.report.Result.as_dict``."""

from __future__ import annotations

import rdflib

from kb.shacl.graph import TripleIndex, from_rdflib_term
from kb.shacl.paths import sparql_path as render
from kb.terms import nt


def nt_term(term: rdflib.term.Node | None) -> str:
    """An rdflib term in N-Triples form (single-line, escaped)."""
    return nt(from_rdflib_term(term)) if term is not None else ""


def sparql_path(graph: rdflib.Graph, path: rdflib.term.Node) -> str:
    """A SHACL property path of an rdflib graph as a SPARQL property path, in the one
    rendering every report uses (``kb.shacl.paths.sparql_path``)."""
    triples, todo, seen = [], [path], set()
    while todo:  # the path's own triples: its blank nodes and lists
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in graph.predicate_objects(node):
            triples.append((node, p, o))
            todo.append(o)
    index = TripleIndex.from_rdflib(triples)
    return render(index, from_rdflib_term(path))
