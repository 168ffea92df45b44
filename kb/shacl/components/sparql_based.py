"""SPARQL-based constraints: sh:sparql (SHACL-SPARQL constraints, one query each, run
per focus node when the query needs pre-binding). SPARQL-based constraint components
(sh:ConstraintComponent with validators) are not compiled: pySHACL takes those shapes.

https://www.w3.org/TR/shacl/#sparql-constraints
"""

from __future__ import annotations

from kb.shacl.checks import Focus, Query
from kb.shacl.components.common import Compiling, Component
from kb.shacl.graph import sh
from kb.shacl.model import Shape
from kb.shacl.sparql import SparqlConstraint


def sparql_queries(compiler: Compiling, shape: Shape, focus: Focus) -> list[Query]:
    """One query per active sh:sparql constraint of ``shape``, on the nodes of ``focus``."""
    queries = []
    for node in compiler.graph.objects(shape.node, sh("sparql")):
        constraint = SparqlConstraint(compiler.graph, shape, node)
        if constraint.deactivated:
            continue
        queries.append(constraint.query(focus("?this"), compiler.rewrites))
    return queries


COMPONENTS = {"sparql": Component()}
