"""What every constraint component module uses: the compiler as components see it, the
shape of a component's registration, and SPARQL text helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Protocol

import pyoxigraph as ox

from kb.shacl.checks import Expression, FocusCheck, Rows
from kb.shacl.graph import Term, TripleIndex, sh
from kb.shacl.model import NotCompiled, Shape, ShapesFailure

#: The largest count compiled (sh:minCount, sh:maxCount, sh:qualifiedMinCount, ... become
#: self-joins).
MAX_COUNT = 4


class Compiling(Protocol):
    """The compiler as constraint components use it."""

    graph: TripleIndex
    #: whether SHACL-SPARQL constraints of known text run as a faster equivalent
    rewrites: bool

    def fresh(self, stem: str = "v") -> str:
        """A new variable name no user query uses."""
        ...

    def instance_of(self, var: str, cls: str) -> str:
        """A pattern: ``var`` is an instance of the class ``cls`` (a SPARQL constant)."""
        ...

    def conforms(self, node: Term, var: str) -> str:
        """A SPARQL expression: the node in ``var`` conforms to the shape at ``node``."""
        ...


#: (compiler, shape, parameter value) -> (expression on a value node, message), or None
#: where the component is not a value check (e.g. sh:hasValue on a property shape).
ValueMaker = Callable[[Compiling, Shape, Term], "tuple[Expression, str] | None"]
#: (compiler, shape, parameter value) -> (rows for a focus variable, message), or None
#: where the component is not a focus check.
FocusMaker = Callable[[Compiling, Shape, Term], "tuple[Callable[[str], list[Rows]], str] | None"]
#: (compiler, shape, parameter value) -> focus checks of other components it drives.
ChecksMaker = Callable[[Compiling, Shape, Term], list[FocusCheck]]


@dataclass(frozen=True)
class Component:
    """How the constraint component keyed on one parameter compiles. A component with
    no maker is compiled elsewhere (sh:property, sh:sparql) but supported."""

    #: a test on each value node on its own
    value: ValueMaker | None = None
    #: a test on a focus node's value nodes together
    focus: FocusMaker | None = None
    #: focus checks reported under other components (sh:qualifiedMinCount, ...)
    checks: ChecksMaker | None = None
    #: whether a value check's results carry sh:value (SHACL 4.8.3: sh:hasValue has none)
    reports_value: bool = True


def component(name: str) -> ox.NamedNode:
    """The IRI of ``sh:{name}ConstraintComponent``."""
    return sh(name[0].upper() + name[1:] + "ConstraintComponent")


def never_fails(expression: str) -> str:
    """``expression`` with errors read as false (a failed check)."""
    return f"COALESCE({expression}, false)"


def constant(term: Term) -> str:
    """``term`` as a SPARQL constant; blank nodes cannot be one."""
    if isinstance(term, ox.BlankNode):
        raise NotCompiled(f"blank node {term} used as a constant")
    return str(term)


def distinct_values(focus: str, path: str, names: list[str]) -> str:
    """A pattern: ``focus`` has distinct values ``names`` along ``path``."""
    triples = " . ".join(f"{focus} {path} {name}" for name in names)
    tests = " && ".join(f"!sameTerm({a}, {b})" for a, b in combinations(names, 2))
    return triples + (f" FILTER({tests})" if tests else "")


def property_path(shape: Shape, name: str) -> str:
    """The path of ``shape``, which ``sh:{name}`` needs to be a property shape."""
    if not shape.is_property:
        raise NotCompiled(f"sh:{name} on a node shape")
    return str(shape.path)


def integer(term: Term) -> int:
    """The integer value of a literal parameter."""
    try:
        return int(term.value)
    except (AttributeError, ValueError):
        raise ShapesFailure(f"not an integer: {term}") from None
