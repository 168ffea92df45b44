"""Shape-based constraint components: sh:node, sh:property, sh:qualifiedValueShape (with
sh:qualifiedMinCount and sh:qualifiedMaxCount). sh:property shapes are compiled by the
compiler itself, as queries of their own.

https://www.w3.org/TR/shacl/#core-components-shape
"""

from __future__ import annotations

from collections.abc import Callable

from kb.shacl.checks import Expression, FocusCheck, Rows
from kb.shacl.components.common import (
    MAX_COUNT,
    Compiling,
    Component,
    component,
    distinct_values,
    integer,
    property_path,
)
from kb.shacl.graph import Term, sh
from kb.shacl.model import NotCompiled, Shape, is_true


def node(compiler: Compiling, shape: Shape, node: Term) -> tuple[Expression, str]:
    compiler.conforms(node, "?_probe")  # refuse unsupported shapes now
    return (lambda v: compiler.conforms(node, v)), f"Value does not conform to Shape {node}"


def qualified(compiler: Compiling, shape: Shape, qualified: Term) -> list[FocusCheck]:
    """sh:qualifiedMinCount / sh:qualifiedMaxCount checks (SHACL 4.7.3)."""
    path = property_path(shape, "qualifiedValueShape")
    siblings = _siblings(compiler, shape, qualified)
    compiler.conforms(qualified, "?_probe")
    for sibling in siblings:
        compiler.conforms(sibling, "?_probe")
    checks = []
    for name, extra in (("qualifiedMinCount", 0), ("qualifiedMaxCount", 1)):
        bound = compiler.graph.value(shape.node, sh(name))
        if bound is None:
            continue
        n = integer(bound)
        if n + extra > MAX_COUNT:
            raise NotCompiled(f"sh:{name} {n} (counts need {n + extra} > {MAX_COUNT} joins)")
        rows = _qualified_rows(compiler, path, qualified, siblings, n + extra, extra == 0)
        checks.append(FocusCheck(component(name), rows, f"sh:{name} {n} not met"))
    return checks


def _siblings(compiler: Compiling, shape: Shape, qualified: Term) -> list[Term]:
    """The sibling qualified value shapes when sh:qualifiedValueShapesDisjoint is true."""
    graph = compiler.graph
    if not is_true(graph.value(shape.node, sh("qualifiedValueShapesDisjoint"))):
        return []
    found: dict[Term, None] = {}
    for parent in graph.subjects(sh("property"), shape.node):
        for other in graph.objects(parent, sh("property")):
            for sibling in graph.objects(other, sh("qualifiedValueShape")):
                if sibling != qualified:
                    found[sibling] = None
    return list(found)


def _qualified_rows(
    compiler: Compiling, path: str, qualified: Term, siblings: list[Term], n: int, at_least: bool
) -> Callable[[str], list[Rows]]:
    """Rows for: fewer than ``n`` (``at_least``) or ``n`` or more conforming values."""

    def rows(f: str) -> list[Rows]:
        if at_least and n == 0:
            return []
        names = [compiler.fresh("q") for _ in range(n)]
        tests = []
        for name in names:
            tests.append(compiler.conforms(qualified, name))
            tests += [f"!({compiler.conforms(s, name)})" for s in siblings]
        test = " && ".join(f"({t})" for t in tests)
        pattern = f"{distinct_values(f, path, names)} FILTER({test})"
        return [Rows.missing(pattern) if at_least else Rows(pattern)]

    return rows


COMPONENTS = {
    "node": Component(value=node),
    "property": Component(),
    "qualifiedValueShape": Component(checks=qualified),
}
