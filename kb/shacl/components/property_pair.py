"""Property pair constraint components: sh:equals, sh:disjoint, sh:lessThan,
sh:lessThanOrEquals.

https://www.w3.org/TR/shacl/#core-components-property-pairs
"""

from __future__ import annotations

from collections.abc import Callable

from kb.shacl.checks import Rows
from kb.shacl.components.common import (
    Compiling,
    Component,
    FocusMaker,
    constant,
    never_fails,
    property_path,
)
from kb.shacl.graph import Term
from kb.shacl.model import Shape

PAIR_COMPARISONS = {"lessThan": "<", "lessThanOrEquals": "<="}


def equals(compiler: Compiling, shape: Shape, other: Term) -> tuple[Callable, str]:
    q = constant(other)

    def rows(f: str) -> list[Rows]:
        v = compiler.fresh()
        if not shape.is_property:
            return [
                Rows.missing(f"{f} {q} {f}", value="focus"),
                Rows(f"{f} {q} {v} FILTER(!sameTerm({v}, {f}))", value=v[1:]),
            ]
        p = shape.path
        return [
            Rows(f"{f} {p} {v} FILTER NOT EXISTS {{ {f} {q} {v} }}", value=v[1:]),
            Rows(f"{f} {q} {v} FILTER NOT EXISTS {{ {f} {p} {v} }}", value=v[1:]),
        ]

    return rows, f"Value of {q} is not equal"


def disjoint(compiler: Compiling, shape: Shape, other: Term) -> tuple[Callable, str]:
    q = constant(other)

    def rows(f: str) -> list[Rows]:
        if not shape.is_property:
            return [Rows(f"{f} {q} {f}", value="focus")]
        v = compiler.fresh()
        return [Rows(f"{f} {shape.path} {v} . {f} {q} {v}", value=v[1:])]

    return rows, f"Value of {q} is not disjoint"


def pair_comparison(name: str) -> FocusMaker:
    """A maker of sh:lessThan / sh:lessThanOrEquals checks."""
    operator = PAIR_COMPARISONS[name]

    def make(compiler: Compiling, shape: Shape, other: Term) -> tuple[Callable, str]:
        path, q = property_path(shape, name), constant(other)

        def rows(f: str) -> list[Rows]:
            v, o = compiler.fresh(), compiler.fresh("o")
            test = never_fails(f"{v} {operator} {o}")
            return [Rows(f"{f} {path} {v} . {f} {q} {o} FILTER(!{test})", value=v[1:])]

        return rows, f"Value is not {operator} value of {q}"

    return make


COMPONENTS = {
    "equals": Component(focus=equals),
    "disjoint": Component(focus=disjoint),
    **{name: Component(focus=pair_comparison(name)) for name in PAIR_COMPARISONS},
}
