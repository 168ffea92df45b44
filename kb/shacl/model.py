"""What the engine reads from a shapes graph: shapes, their targets and their parameters."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from kb.shacl.graph import RDF_TYPE, RDFS, ShapesFailure, Term, TripleIndex, sh
from kb.shacl.paths import sparql_path

VIOLATION = sh("Violation")
TARGET_PREDICATES = ("targetNode", "targetClass", "targetSubjectsOf", "targetObjectsOf")
RDFS_CLASS = ox.NamedNode(RDFS + "Class")
#: Objects of these predicates are shapes (SHACL 2.1: shape references).
SHAPE_REFERENCES = ("property", "node", "not", "qualifiedValueShape")
SHAPE_LISTS = ("and", "or", "xone")


class NotCompiled(Exception):
    """A shape uses something the fast engine does not compile; pySHACL takes it."""


@dataclass
class Shape:
    """One shape: its node, path (SPARQL text, None for node shapes) and common settings."""

    node: Term
    path: str | None
    severity: ox.NamedNode = VIOLATION
    messages: list[ox.Literal] = field(default_factory=list)
    deactivated: bool = False

    @property
    def is_property(self) -> bool:
        """Whether this is a property shape."""
        return self.path is not None


class ShapesGraph:
    """A shapes graph with cached Shape objects."""

    def __init__(self, graph: TripleIndex) -> None:
        self.graph = graph
        self._shapes: dict[Term, Shape] = {}

    def shape(self, node: Term) -> Shape:
        """The Shape at ``node``."""
        found = self._shapes.get(node)
        if found is None:
            found = self._shapes[node] = self._read_shape(node)
        return found

    def _read_shape(self, node: Term) -> Shape:
        graph = self.graph
        path_node = graph.value(node, sh("path"))
        try:
            path = sparql_path(graph, path_node) if path_node is not None else None
        except ValueError as exc:
            raise ShapesFailure(str(exc)) from None
        severity = graph.value(node, sh("severity"))
        deactivated = graph.value(node, sh("deactivated"))
        return Shape(
            node=node,
            path=path,
            severity=severity if isinstance(severity, ox.NamedNode) else VIOLATION,
            messages=[m for m in graph.objects(node, sh("message")) if isinstance(m, ox.Literal)],
            deactivated=is_true(deactivated),
        )

    def targeted_shapes(self) -> list[Term]:
        """Every shape with a target, in a stable order (explicit and implicit class targets)."""
        graph = self.graph
        found: dict[Term, None] = {}
        for name in (*TARGET_PREDICATES, "target"):
            for subject, _ in graph.pairs(sh(name)):
                found[subject] = None
        for kind in ("NodeShape", "PropertyShape"):
            for subject in graph.subjects(RDF_TYPE, sh(kind)):
                if RDFS_CLASS in graph.objects(subject, RDF_TYPE):
                    found[subject] = None
        return sorted(found, key=str)

    def implicit_class(self, node: Term) -> bool:
        """Whether ``node`` is a shape and an rdfs:Class (an implicit class target)."""
        types = self.graph.objects(node, RDF_TYPE)
        return RDFS_CLASS in types and (sh("NodeShape") in types or sh("PropertyShape") in types)


def is_true(term: Term | None) -> bool:
    """Whether ``term`` is the literal true."""
    return isinstance(term, ox.Literal) and term.value == "true"
