"""Value type constraint components: sh:class, sh:datatype, sh:nodeKind.

https://www.w3.org/TR/shacl/#core-components-value-type
"""

from __future__ import annotations

import pyoxigraph as ox

from kb.shacl.checks import Expression
from kb.shacl.components.common import Compiling, Component, constant, never_fails
from kb.shacl.graph import RDFS, SH, XSD, Term
from kb.shacl.model import Shape, ShapesFailure

#: Datatypes whose lexical forms pyoxigraph can check with a cast.
CASTABLE = {
    XSD + name
    for name in [
        "integer",
        "decimal",
        "double",
        "float",
        "boolean",
        "dateTime",
        "date",
        "time",
        "duration",
    ]
}
#: Integer datatypes derived from xsd:integer, with their bounds (None: unbounded).
INTEGER_RANGES: dict[str, tuple[int | None, int | None]] = {
    XSD + "long": (-(2**63), 2**63 - 1),
    XSD + "int": (-(2**31), 2**31 - 1),
    XSD + "short": (-(2**15), 2**15 - 1),
    XSD + "byte": (-(2**7), 2**7 - 1),
    XSD + "unsignedLong": (0, 2**64 - 1),
    XSD + "unsignedInt": (0, 2**32 - 1),
    XSD + "unsignedShort": (0, 2**16 - 1),
    XSD + "unsignedByte": (0, 2**8 - 1),
    XSD + "nonNegativeInteger": (0, None),
    XSD + "positiveInteger": (1, None),
    XSD + "nonPositiveInteger": (None, 0),
    XSD + "negativeInteger": (None, -1),
}
NODE_KINDS = {
    "IRI": "isIRI({v})",
    "BlankNode": "isBlank({v})",
    "Literal": "isLiteral({v})",
    "BlankNodeOrIRI": "!isLiteral({v})",
    "BlankNodeOrLiteral": "!isIRI({v})",
    "IRIOrLiteral": "!isBlank({v})",
}


def class_(compiler: Compiling, shape: Shape, cls: Term) -> tuple[Expression, str]:
    c = constant(cls)
    return (
        lambda v: f"EXISTS {{ {compiler.instance_of(v, c)} }}",
        f"Value does not have class {c}",
    )


def datatype(compiler: Compiling, shape: Shape, datatype: Term) -> tuple[Expression, str]:
    d = constant(datatype)
    message = f"Value is not Literal with datatype {d}"
    if d == f"<{RDFS}Literal>":
        return (lambda v: f"isLiteral({v})"), message
    if isinstance(datatype, ox.NamedNode) and datatype.value in INTEGER_RANGES:
        low, high = INTEGER_RANGES[datatype.value]
        tests = ["isLiteral(xsd:integer(STR({v})))"]
        tests += [f"xsd:integer(STR({{v}})) >= {low}"] if low is not None else []
        tests += [f"xsd:integer(STR({{v}})) <= {high}"] if high is not None else []
        well_formed = " && ".join(tests).replace("xsd:integer", f"<{XSD}integer>")
        return (
            lambda v: never_fails(
                f"isLiteral({v}) && datatype({v}) = {d} && " + well_formed.format(v=v)
            ),
            message,
        )
    if isinstance(datatype, ox.NamedNode) and datatype.value in CASTABLE:
        return (
            lambda v: never_fails(
                f"isLiteral({v}) && datatype({v}) = {d} && isLiteral({d}(STR({v})))"
            ),
            message,
        )
    return (lambda v: never_fails(f"isLiteral({v}) && datatype({v}) = {d}")), message


def node_kind(compiler: Compiling, shape: Shape, kind: Term) -> tuple[Expression, str]:
    iri = kind.value if isinstance(kind, ox.NamedNode) else ""
    local = iri[len(SH) :]
    template = NODE_KINDS.get(local) if iri.startswith(SH) else None
    if template is None:
        raise ShapesFailure(f"unknown sh:nodeKind {kind}")
    return (lambda v: template.format(v=v)), f"Value is not of Node Kind sh:{local}"


COMPONENTS = {
    "class": Component(value=class_),
    "datatype": Component(value=datatype),
    "nodeKind": Component(value=node_kind),
}
