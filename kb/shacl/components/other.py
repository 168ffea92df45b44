"""Other constraint components: sh:closed (with sh:ignoredProperties), sh:hasValue, sh:in.

https://www.w3.org/TR/shacl/#core-components-others
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox

from kb.shacl.checks import Expression, Rows
from kb.shacl.components.common import Compiling, Component, constant, property_path
from kb.shacl.graph import Term, sh
from kb.shacl.model import NotCompiled, Shape, is_true


def closed(compiler: Compiling, shape: Shape, flag: Term) -> tuple[Callable, str]:
    if shape.is_property:
        raise NotCompiled("sh:closed on a property shape")
    graph = compiler.graph
    allowed = set()
    for child in graph.objects(shape.node, sh("property")):
        path = graph.value(child, sh("path"))
        if isinstance(path, ox.NamedNode):
            allowed.add(str(path))
    for head in graph.objects(shape.node, sh("ignoredProperties")):
        allowed.update(constant(p) for p in graph.items(head))

    def rows(f: str) -> list[Rows]:
        if not is_true(flag):
            return []
        p, o = compiler.fresh("cp"), compiler.fresh("co")
        test = f"FILTER({p} NOT IN ({', '.join(sorted(allowed))}))" if allowed else ""
        return [Rows(f"{f} {p} {o} {test}", value=o[1:], path=p[1:])]

    return rows, "Node is closed and has a property it does not allow"


def node_has_value(compiler: Compiling, shape: Shape, value: Term) -> tuple[Expression, str] | None:
    """sh:hasValue on a node shape: a test on the focus node itself."""
    if shape.is_property:
        return None
    c = constant(value)
    return (lambda v: f"sameTerm({v}, {c})"), f"Node is not {c}"


def has_value(compiler: Compiling, shape: Shape, value: Term) -> tuple[Callable, str] | None:
    """sh:hasValue on a property shape: a test on the values together."""
    if not shape.is_property:
        return None
    path, c = property_path(shape, "hasValue"), constant(value)
    return (
        lambda f: [Rows.missing(f"{f} {path} {c}")],
        f"Missing expected value {c}",
    )


def in_(compiler: Compiling, shape: Shape, head: Term) -> tuple[Expression, str]:
    members = [constant(m) for m in compiler.graph.items(head)]

    def expression(v: str) -> str:
        return " || ".join(f"sameTerm({v}, {m})" for m in members) or "false"

    return expression, f"Value not in list ({', '.join(members)})"


COMPONENTS = {
    "closed": Component(focus=closed),
    "hasValue": Component(value=node_has_value, focus=has_value, reports_value=False),
    "in": Component(value=in_),
}
