"""The pieces a compiled shape is made of: checks on value nodes, checks on focus nodes,
and the SPARQL queries that report them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kb.shacl.graph import Term
from kb.shacl.model import Shape

#: A function of a variable (``"?v"``) giving a SPARQL boolean expression that never errors.
Expression = Callable[[str], str]
#: A function of a variable giving a SPARQL group pattern text that binds it.
Focus = Callable[[str], str]


@dataclass(frozen=True)
class Rows:
    """A pattern giving one row per validation result once the focus variable is bound.

    ``value`` and ``path`` name the variables holding sh:value and sh:resultPath;
    ``value == "focus"`` means the value is the focus node itself; None means no value
    (or the shape's own path).
    """

    pattern: str
    value: str | None = None
    path: str | None = None
    #: set when ``pattern`` is ``FILTER NOT EXISTS { required }``: a conformance test
    #: then reads ``EXISTS { required }`` (not a doubly negated, slower form)
    required: str | None = None
    #: ("min", n) or ("max", n): the rows of sh:minCount / sh:maxCount n on the shape's
    #: path (a conformance test may then test "exactly one" as one expression)
    count: tuple[str, int] | None = None

    @classmethod
    def missing(
        cls, required: str, value: str | None = None, count: tuple[str, int] | None = None
    ) -> Rows:
        """One row when the pattern ``required`` has no match."""
        return cls(f"FILTER NOT EXISTS {{ {required} }}", value, required=required, count=count)


@dataclass(frozen=True)
class ValueCheck:
    """A constraint every value node must meet on its own (sh:class, sh:datatype, ...)."""

    component: ox.NamedNode
    expression: Expression
    message: str
    reports_value: bool = True


@dataclass(frozen=True)
class FocusCheck:
    """A constraint on the value nodes of a focus node together (sh:minCount, ...).

    ``rows(focus_variable)`` gives alternative patterns, each yielding results.
    """

    component: ox.NamedNode
    rows: Callable[[str], list[Rows]]
    message: str


@dataclass(frozen=True)
class Emit:
    """How one query's rows become results: which flag marks a failure (None: every row),
    and where the value and the path are."""

    component: ox.NamedNode
    message: str
    flag: str | None = None
    value: str | None = None
    path: str | None = None
    source: Term | None = None
    messages: tuple[ox.Literal, ...] = ()


@dataclass
class Query:
    """One SPARQL SELECT and how to read its rows."""

    text: str
    shape: Shape
    emits: list[Emit] = field(default_factory=list)
    #: When set: the query for the focus nodes; ``text`` then runs once per focus node
    #: with ``?this`` substituted (SHACL pre-binding), instead of once for all of them.
    per_focus: str | None = None
    #: When set: ``text`` runs once per node of this list with ``?this`` bound to it (the
    #: failing blank nodes of a probe, which a query cannot name).
    bound: list[Term] | None = None
