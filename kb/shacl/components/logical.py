"""Logical constraint components: sh:not, sh:and, sh:or, sh:xone.

https://www.w3.org/TR/shacl/#core-components-logical
"""

from __future__ import annotations

from kb.shacl.checks import Expression
from kb.shacl.components.common import Compiling, Component, ValueMaker
from kb.shacl.graph import Term
from kb.shacl.model import Shape


def not_(compiler: Compiling, shape: Shape, node: Term) -> tuple[Expression, str]:
    compiler.conforms(node, "?_probe")
    return (lambda v: "!(" + compiler.conforms(node, v) + ")"), f"Value conforms to {node}"


def logical(join: str) -> ValueMaker:
    """A maker of sh:and / sh:or / sh:xone checks."""

    def make(compiler: Compiling, shape: Shape, head: Term) -> tuple[Expression, str]:
        members = compiler.graph.items(head)
        for member in members:
            compiler.conforms(member, "?_probe")

        def expression(v: str) -> str:
            tests = [f"({compiler.conforms(m, v)})" for m in members]
            if join == "xone":
                counted = " + ".join(f"IF({t}, 1, 0)" for t in tests) or "0"
                return f"({counted}) = 1"
            default = "true" if join == "&&" else "false"
            return f" {join} ".join(tests) or default

        return expression, f"Value does not conform to the shapes of sh:{join}"

    return make


COMPONENTS = {
    "not": Component(value=not_),
    "and": Component(value=logical("&&")),
    "or": Component(value=logical("||")),
    "xone": Component(value=logical("xone")),
}
