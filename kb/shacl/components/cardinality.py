"""Cardinality constraint components: sh:minCount, sh:maxCount.

https://www.w3.org/TR/shacl/#core-components-count
"""

from __future__ import annotations

from collections.abc import Callable

from kb.shacl.checks import Rows
from kb.shacl.components.common import (
    MAX_COUNT,
    Compiling,
    Component,
    distinct_values,
    integer,
    property_path,
)
from kb.shacl.graph import Term
from kb.shacl.model import NotCompiled, Shape


def min_count(compiler: Compiling, shape: Shape, count: Term) -> tuple[Callable, str]:
    path, n = property_path(shape, "minCount"), integer(count)
    if n > MAX_COUNT:
        raise NotCompiled(f"sh:minCount {n} > {MAX_COUNT}")

    def rows(f: str) -> list[Rows]:
        if n == 0:
            return []
        names = [compiler.fresh("c") for _ in range(n)]
        return [Rows.missing(distinct_values(f, path, names), count=("min", n))]

    return rows, f"Less than {n} values"


def max_count(compiler: Compiling, shape: Shape, count: Term) -> tuple[Callable, str]:
    path, n = property_path(shape, "maxCount"), integer(count)
    if n > MAX_COUNT:
        raise NotCompiled(f"sh:maxCount {n} > {MAX_COUNT}")

    def rows(f: str) -> list[Rows]:
        names = [compiler.fresh("c") for _ in range(n + 1)]
        return [Rows(distinct_values(f, path, names), count=("max", n))]

    return rows, f"More than {n} values"


COMPONENTS = {
    "minCount": Component(focus=min_count),
    "maxCount": Component(focus=max_count),
}
