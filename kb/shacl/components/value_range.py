"""Value range constraint components: sh:minExclusive, sh:minInclusive, sh:maxExclusive,
sh:maxInclusive.

https://www.w3.org/TR/shacl/#core-components-range
"""

from __future__ import annotations

from kb.shacl.checks import Expression
from kb.shacl.components.common import Compiling, Component, ValueMaker, constant, never_fails
from kb.shacl.graph import Term
from kb.shacl.model import Shape

COMPARISONS = {
    "minInclusive": ">=",
    "maxInclusive": "<=",
    "minExclusive": ">",
    "maxExclusive": "<",
}


def comparison(operator: str) -> ValueMaker:
    """A maker of sh:minInclusive-like checks for ``operator``."""

    def make(compiler: Compiling, shape: Shape, bound: Term) -> tuple[Expression, str]:
        b = constant(bound)
        return (lambda v: never_fails(f"{v} {operator} {b}")), f"Value is not {operator} {b}"

    return make


COMPONENTS = {name: Component(value=comparison(op)) for name, op in COMPARISONS.items()}
