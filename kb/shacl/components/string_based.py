"""String-based constraint components: sh:minLength, sh:maxLength, sh:pattern,
sh:languageIn, sh:uniqueLang.

https://www.w3.org/TR/shacl/#core-components-string
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pyoxigraph as ox

from kb.shacl.checks import Expression, Rows
from kb.shacl.components.common import (
    Compiling,
    Component,
    integer,
    never_fails,
    property_path,
)
from kb.shacl.graph import Term, sh
from kb.shacl.model import NotCompiled, Shape, is_true


@functools.cache
def regex_understood(args: str) -> bool:
    """Whether pyoxigraph evaluates ``REGEX('', args)`` (``args``: pattern and flags as
    SPARQL literals); an empty store, made on first use, evaluates it once per pattern."""
    row = next(iter(ox.Store().query(f"SELECT (REGEX('', {args}) AS ?x) {{}}")))
    return row["x"] is not None


def min_length(compiler: Compiling, shape: Shape, length: Term) -> tuple[Expression, str]:
    n = integer(length)
    return (
        lambda v: never_fails(f"!isBlank({v}) && STRLEN(STR({v})) >= {n}"),
        f"String length not >= {n}",
    )


def max_length(compiler: Compiling, shape: Shape, length: Term) -> tuple[Expression, str]:
    n = integer(length)
    return (
        lambda v: never_fails(f"!isBlank({v}) && STRLEN(STR({v})) <= {n}"),
        f"String length not <= {n}",
    )


def pattern(compiler: Compiling, shape: Shape, pattern: Term) -> tuple[Expression, str]:
    flags = compiler.graph.value(shape.node, sh("flags"))
    args = str(ox.Literal(pattern.value))
    if flags is not None:
        args += ", " + str(ox.Literal(flags.value))
    if not regex_understood(args):
        raise NotCompiled(f"regular expression {pattern} (not understood by pyoxigraph)")
    return (
        lambda v: never_fails(f"!isBlank({v}) && REGEX(STR({v}), {args})"),
        f"Value does not match pattern '{pattern.value}'",
    )


def language_in(compiler: Compiling, shape: Shape, head: Term) -> tuple[Expression, str]:
    tags = [str(ox.Literal(t.value)) for t in compiler.graph.items(head)]

    def expression(v: str) -> str:
        tests = " || ".join(f"langMatches(lang({v}), {t})" for t in tags) or "false"
        return never_fails(f"isLiteral({v}) && ({tests})")

    return expression, f"String language is not in ({', '.join(tags)})"


def unique_lang(compiler: Compiling, shape: Shape, flag: Term) -> tuple[Callable, str]:
    path = property_path(shape, "uniqueLang")

    def rows(f: str) -> list[Rows]:
        if not is_true(flag):
            return []
        a, b = compiler.fresh("l"), compiler.fresh("l")
        test = f"!sameTerm({a}, {b}) && lang({a}) != '' && LCASE(lang({a})) = LCASE(lang({b}))"
        return [Rows(f"{f} {path} {a} . {f} {path} {b} FILTER({test})")]

    return rows, "More than one String shares the same Language"


COMPONENTS = {
    "minLength": Component(value=min_length),
    "maxLength": Component(value=max_length),
    "pattern": Component(value=pattern),
    "languageIn": Component(value=language_in),
    "uniqueLang": Component(focus=unique_lang),
}
