"""Compile SHACL Core shapes into SPARQL: one query per shape for the constraints on single
value nodes (their failures as boolean columns), one per constraint on a focus node's
values together, and nested shapes (sh:node, sh:not, sh:and, ...) as EXISTS expressions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from itertools import combinations

import pyoxigraph as ox

from kb.shacl.checks import Emit, Expression, Focus, FocusCheck, Query, Rows, ValueCheck
from kb.shacl.graph import RDF_TYPE, RDFS, SH, XSD, Term, TripleIndex, sh
from kb.shacl.model import NotCompiled, Shape, ShapesFailure, ShapesGraph, is_true
from kb.shacl.sparql import SparqlConstraint

TYPE_PATH = f"{RDF_TYPE}/<{RDFS}subClassOf>*"
#: SHACL predicates that are not constraint parameters of their own.
IGNORED = {
    *(
        SH + name
        for name in [
            "targetNode",
            "targetClass",
            "targetSubjectsOf",
            "targetObjectsOf",
            "path",
            "severity",
            "message",
            "deactivated",
            "name",
            "description",
            "order",
            "group",
            "defaultValue",
            "flags",
            "ignoredProperties",
            "qualifiedMinCount",
            "qualifiedMaxCount",
            "qualifiedValueShapesDisjoint",
            "labelTemplate",
            "declare",
            "prefixes",
            "select",
        ]
    )
}
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
COMPARISONS = {
    "minInclusive": ">=",
    "maxInclusive": "<=",
    "minExclusive": ">",
    "maxExclusive": "<",
}
PAIR_COMPARISONS = {"lessThan": "<", "lessThanOrEquals": "<="}
#: The largest sh:minCount / sh:maxCount compiled (they become self-joins).
MAX_COUNT = 4


@functools.cache
def regex_understood(args: str) -> bool:
    """Whether pyoxigraph evaluates ``REGEX('', args)`` (``args``: pattern and flags as
    SPARQL literals); an empty store, made on first use, evaluates it once per pattern."""
    row = next(iter(ox.Store().query(f"SELECT (REGEX('', {args}) AS ?x) {{}}")))
    return row["x"] is not None


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


class Compiler:
    """Turns shapes into SPARQL queries and expressions."""

    def __init__(
        self, shapes: ShapesGraph, subclasses: Callable[[str], list[str] | None] | None = None
    ) -> None:
        self.shapes = shapes
        self.graph: TripleIndex = shapes.graph
        self._counter = 0
        self._stack: list[Term] = []
        #: class (SPARQL constant) -> itself and every subclass in the data graph, as IRIs
        #: (None: unknown, or a blank-node subclass); lets ``rdf:type/rdfs:subClassOf*``
        #: become plain ``rdf:type`` lookups
        self.subclasses = subclasses

    def instance_of(self, var: str, cls: str) -> str:
        """A pattern: ``var`` is an instance of the class ``cls`` (a SPARQL constant), i.e.
        ``var rdf:type/rdfs:subClassOf* cls`` with the subclasses read from the data once."""
        found = self.subclasses(cls) if self.subclasses is not None else None
        if found is None:
            return f"{var} {TYPE_PATH} {cls}"
        if found == [cls]:
            return f"{var} <{RDF_TYPE.value}> {cls}"
        t = self.fresh("t")
        return f"VALUES {t} {{ {' '.join(found)} }} {var} <{RDF_TYPE.value}> {t}"

    def fresh(self, stem: str = "v") -> str:
        """A new variable name no user query uses."""
        self._counter += 1
        return f"?_{stem}{self._counter}"

    # ----------------------------------------------------------------- top level

    def target_focus(self, node: Term) -> Focus:
        """The focus nodes of a targeted shape, as a pattern binding a variable."""
        graph = self.graph
        if graph.objects(node, sh("target")):
            raise NotCompiled("sh:target (SHACL-AF custom targets)")
        nodes = [constant(t) for t in graph.objects(node, sh("targetNode"))]
        classes = [constant(c) for c in graph.objects(node, sh("targetClass"))]
        if self.shapes.implicit_class(node):
            classes.append(constant(node))
        subjects_of = [constant(p) for p in graph.objects(node, sh("targetSubjectsOf"))]
        objects_of = [constant(p) for p in graph.objects(node, sh("targetObjectsOf"))]

        def focus(var: str, inner: str = "") -> str:
            """The focus nodes in ``var``; with ``inner`` (a pattern or filter on ``var``
            alone), only those meeting it, tested in each branch before any DISTINCT."""
            parts = [f"{{ VALUES {var} {{ {' '.join(nodes)} }} }}"] if nodes else []
            others = [f"{{ {var} {p} [] }}" for p in subjects_of]
            others += [f"{{ [] {p} {var} }}" for p in objects_of]
            if inner:
                branches = parts + self._class_branches(var, classes) + others
                # Each later branch skips, by one lookup per earlier branch, the nodes an
                # earlier one found: worth it when the test costs more lookups than that.
                if inner.count("EXISTS") > len(branches):
                    return _tested_once(branches, inner)
            parts += [f"{{ {self.instance_of(var, c)} }}" for c in classes] + others
            if inner:
                return " UNION ".join(f"{{ {part} {inner} }}" for part in parts)
            return f"{{ SELECT DISTINCT {var} WHERE {{ {' UNION '.join(parts)} }} }}"

        return focus

    def _class_branches(self, var: str, classes: list[str]) -> list[str]:
        """One pattern per class and per subclass of it, each binding its instances."""
        branches = []
        for cls in classes:
            found = self.subclasses(cls) if self.subclasses is not None else None
            if found is None:
                branches.append(f"{{ {var} {TYPE_PATH} {cls} }}")
            else:
                branches += [f"{{ {var} <{RDF_TYPE.value}> {c} }}" for c in found]
        return branches

    def queries(self, node: Term, only: list[Term] | None = None) -> list[Query]:
        """Every query reporting the results of the targeted shape at ``node`` (for the
        focus nodes in ``only`` when given: they must be focus nodes of the shape)."""
        self._stack = []
        focus = self.target_focus(node)
        if only is not None:
            members = " ".join(constant(t) for t in only)

            def focus(var: str) -> str:
                return f"{{ VALUES {var} {{ {members} }} }}"

        return self.shape_queries(self.shapes.shape(node), focus)

    def probe(self, node: Term) -> str | None:
        """A query for the focus nodes of the targeted shape at ``node`` that do not
        conform to it: one pass over the focus nodes instead of one per constraint. None
        when the shape cannot be tested as one expression (SHACL-SPARQL, recursion)."""
        focus = self.target_focus(node)
        self._stack = []
        try:
            test = self.conforms(node, "?this")
        except NotCompiled:
            return None
        finally:
            self._stack = []
        return f"SELECT DISTINCT ?this WHERE {{ {focus('?this', f'FILTER(!({test}))')} }}"

    def shape_queries(self, shape: Shape, focus: Focus) -> list[Query]:
        """The queries for ``shape`` evaluated on the focus nodes of ``focus``."""
        if shape.deactivated:
            return []
        if shape.node in self._stack:
            raise NotCompiled(f"recursive shape {shape.node}")
        self._stack.append(shape.node)
        queries = self._value_queries(shape, focus) + self._focus_queries(shape, focus)
        queries += self._sparql_queries(shape, focus)
        child_focus = focus if not shape.is_property else self._values_focus(shape, focus)
        for child in self.graph.objects(shape.node, sh("property")):
            queries += self.shape_queries(self.shapes.shape(child), child_focus)
        self._stack.pop()
        return queries

    def _values_focus(self, shape: Shape, focus: Focus) -> Focus:
        """The value nodes of ``shape`` (for its own sh:property shapes) as a focus."""

        def values(var: str) -> str:
            parent = self.fresh("p")
            inner = f"{focus(parent)} {parent} {shape.path} {var}"
            return f"{{ SELECT DISTINCT {var} WHERE {{ {inner} }} }}"

        return values

    def _value_queries(self, shape: Shape, focus: Focus) -> list[Query]:
        checks = self.value_checks(shape)
        if not checks:
            return []
        value = "?value" if shape.is_property else "?this"
        values = f"?this {shape.path} ?value ." if shape.is_property else ""
        binds = " ".join(
            f"BIND({check.expression(value)} AS ?k{i})" for i, check in enumerate(checks)
        )
        failed = " || ".join(f"!?k{i}" for i in range(len(checks)))
        flags = " ".join(f"?k{i}" for i in range(len(checks)))
        text = (
            f"SELECT DISTINCT ?this {value if shape.is_property else ''} {flags} "
            f"WHERE {{ {focus('?this')} {values} {binds} FILTER({failed}) }}"
        )
        emits = [
            Emit(
                c.component,
                c.message,
                flag=f"k{i}",
                value=value[1:] if c.reports_value else None,
                messages=_own(shape),
            )
            for i, c in enumerate(checks)
        ]
        return [Query(text, shape, emits)]

    def _focus_queries(self, shape: Shape, focus: Focus) -> list[Query]:
        queries = []
        for check in self.focus_checks(shape):
            for rows in check.rows("?this"):
                columns = " ".join(f"?{v}" for v in (rows.value, rows.path) if v and v != "focus")
                text = (
                    f"SELECT DISTINCT ?this {columns} WHERE {{ {focus('?this')} {rows.pattern} }}"
                )
                emit = Emit(check.component, check.message, value=rows.value, path=rows.path)
                queries.append(Query(text, shape, [_with_messages(emit, shape)]))
        return queries

    def _sparql_queries(self, shape: Shape, focus: Focus) -> list[Query]:
        queries = []
        for node in self.graph.objects(shape.node, sh("sparql")):
            constraint = SparqlConstraint(self.graph, shape, node)
            if constraint.deactivated:
                continue
            queries.append(constraint.query(focus("?this")))
        return queries

    # ----------------------------------------------------------------- constraints

    def parameters(self, shape: Shape) -> list[tuple[str, Term]]:
        """(local name, value) of every constraint parameter of ``shape``, checked."""
        found = []
        for predicate in self.graph.predicates(shape.node):
            iri = predicate.value
            if iri in IGNORED or not iri.startswith(SH):
                if not iri.startswith(SH) and self._is_custom_parameter(predicate):
                    raise NotCompiled(f"SPARQL-based constraint component parameter {predicate}")
                continue
            for value in self.graph.objects(shape.node, predicate):
                found.append((iri[len(SH) :], value))
        return found

    def _is_custom_parameter(self, predicate: ox.NamedNode) -> bool:
        """Whether ``predicate`` is the path of a parameter of a constraint component."""
        for parameter in self.graph.subjects(sh("path"), predicate):
            if self.graph.subjects(sh("parameter"), parameter):
                return True
        return False

    def value_checks(self, shape: Shape) -> list[ValueCheck]:
        """The checks of ``shape`` that look at one value node at a time."""
        checks = []
        for name, value in self.parameters(shape):
            make = VALUE_CHECKS.get(name)
            if make is None and name == "hasValue" and not shape.is_property:
                make = Compiler._node_has_value
            if make is not None:
                expression, message = make(self, shape, value)
                reports_value = name != "hasValue"  # SHACL 4.8.3: no sh:value
                checks.append(ValueCheck(component(name), expression, message, reports_value))
            elif name not in FOCUS_CHECKS and name not in NESTED:
                raise NotCompiled(f"sh:{name}")
        return checks

    def focus_checks(self, shape: Shape) -> list[FocusCheck]:
        """The checks of ``shape`` that look at a focus node's values together."""
        checks = []
        for name, value in self.parameters(shape):
            make = FOCUS_CHECKS.get(name)
            if make is None and name == "hasValue" and shape.is_property:
                make = Compiler._has_value
            if make is not None:
                rows, message = make(self, shape, value)
                checks.append(FocusCheck(component(name), rows, message))
            if name == "qualifiedValueShape":
                checks += self._qualified(shape, value)
        return checks

    def _qualified(self, shape: Shape, qualified: Term) -> list[FocusCheck]:
        """sh:qualifiedMinCount / sh:qualifiedMaxCount checks (SHACL 4.7.3)."""
        path = self._property_path(shape, "qualifiedValueShape")
        siblings = self._siblings(shape, qualified)
        self.conforms(qualified, "?_probe")
        for sibling in siblings:
            self.conforms(sibling, "?_probe")
        checks = []
        for name, extra in (("qualifiedMinCount", 0), ("qualifiedMaxCount", 1)):
            bound = self.graph.value(shape.node, sh(name))
            if bound is None:
                continue
            n = _integer(bound)
            if n + extra > MAX_COUNT:
                raise NotCompiled(f"sh:{name} {n} (counts need {n + extra} > {MAX_COUNT} joins)")
            rows = self._qualified_rows(path, qualified, siblings, n + extra, extra == 0)
            checks.append(FocusCheck(component(name), rows, f"sh:{name} {n} not met"))
        return checks

    def _siblings(self, shape: Shape, qualified: Term) -> list[Term]:
        """The sibling qualified value shapes when sh:qualifiedValueShapesDisjoint is true."""
        if not is_true(self.graph.value(shape.node, sh("qualifiedValueShapesDisjoint"))):
            return []
        found: dict[Term, None] = {}
        for parent in self.graph.subjects(sh("property"), shape.node):
            for other in self.graph.objects(parent, sh("property")):
                for sibling in self.graph.objects(other, sh("qualifiedValueShape")):
                    if sibling != qualified:
                        found[sibling] = None
        return list(found)

    def _qualified_rows(
        self, path: str, qualified: Term, siblings: list[Term], n: int, at_least: bool
    ) -> Callable[[str], list[Rows]]:
        """Rows for: fewer than ``n`` (``at_least``) or ``n`` or more conforming values."""

        def rows(f: str) -> list[Rows]:
            if at_least and n == 0:
                return []
            names = [self.fresh("q") for _ in range(n)]
            tests = []
            for name in names:
                tests.append(self.conforms(qualified, name))
                tests += [f"!({self.conforms(s, name)})" for s in siblings]
            test = " && ".join(f"({t})" for t in tests)
            pattern = f"{distinct_values(f, path, names)} FILTER({test})"
            return [Rows.missing(pattern) if at_least else Rows(pattern)]

        return rows

    # ----------------------------------------------------------------- conformance

    def conforms(self, node: Term, var: str) -> str:
        """A SPARQL expression: the node in ``var`` conforms to the shape at ``node``."""
        shape = self.shapes.shape(node)
        if shape.deactivated:
            return "true"
        if node in self._stack:
            raise NotCompiled(f"recursive shape {node}")
        if self.graph.objects(node, sh("sparql")):
            raise NotCompiled("sh:sparql in a shape used by sh:node, sh:not, ...")
        self._stack.append(node)
        parts = [_holds(rows) for rows in self._all_rows(shape, var)]
        children = self.graph.objects(node, sh("property"))
        checks = self.value_checks(shape)
        if shape.is_property:
            value = self.fresh()
            inner = [c.expression(value) for c in checks]
            inner += [self.conforms(child, value) for child in children]
            if inner:
                test = " && ".join(f"({e})" for e in inner)
                parts.append(f"NOT EXISTS {{ {var} {shape.path} {value} FILTER(!({test})) }}")
        else:
            parts += [c.expression(var) for c in checks]
            parts += [self.conforms(child, var) for child in children]
        self._stack.pop()
        return " && ".join(f"({p})" for p in parts) if parts else "true"

    def _all_rows(self, shape: Shape, var: str) -> list[Rows]:
        return [rows for check in self.focus_checks(shape) for rows in check.rows(var)]

    # ----------------------------------------------------------------- value checks

    def _class(self, shape: Shape, cls: Term) -> tuple[Expression, str]:
        c = constant(cls)
        return (
            lambda v: f"EXISTS {{ {self.instance_of(v, c)} }}",
            f"Value does not have class {c}",
        )

    def _datatype(self, shape: Shape, datatype: Term) -> tuple[Expression, str]:
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

    def _node_kind(self, shape: Shape, kind: Term) -> tuple[Expression, str]:
        iri = kind.value if isinstance(kind, ox.NamedNode) else ""
        local = iri[len(SH) :]
        template = NODE_KINDS.get(local) if iri.startswith(SH) else None
        if template is None:
            raise ShapesFailure(f"unknown sh:nodeKind {kind}")
        return (lambda v: template.format(v=v)), f"Value is not of Node Kind sh:{local}"

    @staticmethod
    def _comparison(operator: str) -> Callable[[Compiler, Shape, Term], tuple]:
        """A maker of sh:minInclusive-like checks for ``operator``."""

        def make(self: Compiler, shape: Shape, bound: Term) -> tuple[Expression, str]:
            b = constant(bound)
            return (lambda v: never_fails(f"{v} {operator} {b}")), f"Value is not {operator} {b}"

        return make

    def _min_length(self, shape: Shape, length: Term) -> tuple[Expression, str]:
        n = _integer(length)
        return (
            lambda v: never_fails(f"!isBlank({v}) && STRLEN(STR({v})) >= {n}"),
            f"String length not >= {n}",
        )

    def _max_length(self, shape: Shape, length: Term) -> tuple[Expression, str]:
        n = _integer(length)
        return (
            lambda v: never_fails(f"!isBlank({v}) && STRLEN(STR({v})) <= {n}"),
            f"String length not <= {n}",
        )

    def _pattern(self, shape: Shape, pattern: Term) -> tuple[Expression, str]:
        flags = self.graph.value(shape.node, sh("flags"))
        args = str(ox.Literal(pattern.value))
        if flags is not None:
            args += ", " + str(ox.Literal(flags.value))
        if not regex_understood(args):
            raise NotCompiled(f"regular expression {pattern} (not understood by pyoxigraph)")
        return (
            lambda v: never_fails(f"!isBlank({v}) && REGEX(STR({v}), {args})"),
            f"Value does not match pattern '{pattern.value}'",
        )

    def _language_in(self, shape: Shape, head: Term) -> tuple[Expression, str]:
        tags = [str(ox.Literal(t.value)) for t in self.graph.items(head)]

        def expression(v: str) -> str:
            tests = " || ".join(f"langMatches(lang({v}), {t})" for t in tags) or "false"
            return never_fails(f"isLiteral({v}) && ({tests})")

        return expression, f"String language is not in ({', '.join(tags)})"

    def _in(self, shape: Shape, head: Term) -> tuple[Expression, str]:
        members = [constant(m) for m in self.graph.items(head)]

        def expression(v: str) -> str:
            return " || ".join(f"sameTerm({v}, {m})" for m in members) or "false"

        return expression, f"Value not in list ({', '.join(members)})"

    def _node_has_value(self, shape: Shape, value: Term) -> tuple[Expression, str]:
        c = constant(value)
        return (lambda v: f"sameTerm({v}, {c})"), f"Node is not {c}"

    def _node(self, shape: Shape, node: Term) -> tuple[Expression, str]:
        self.conforms(node, "?_probe")  # refuse unsupported shapes now
        return (lambda v: self.conforms(node, v)), f"Value does not conform to Shape {node}"

    def _not(self, shape: Shape, node: Term) -> tuple[Expression, str]:
        self.conforms(node, "?_probe")
        return (lambda v: "!(" + self.conforms(node, v) + ")"), f"Value conforms to {node}"

    @staticmethod
    def _logical(join: str) -> Callable[[Compiler, Shape, Term], tuple]:
        """A maker of sh:and / sh:or / sh:xone checks."""

        def make(self: Compiler, shape: Shape, head: Term) -> tuple[Expression, str]:
            members = self.graph.items(head)
            for member in members:
                self.conforms(member, "?_probe")

            def expression(v: str) -> str:
                tests = [f"({self.conforms(m, v)})" for m in members]
                if join == "xone":
                    counted = " + ".join(f"IF({t}, 1, 0)" for t in tests) or "0"
                    return f"({counted}) = 1"
                default = "true" if join == "&&" else "false"
                return f" {join} ".join(tests) or default

            return expression, f"Value does not conform to the shapes of sh:{join}"

        return make

    # ----------------------------------------------------------------- focus checks

    def _property_path(self, shape: Shape, name: str) -> str:
        if not shape.is_property:
            raise NotCompiled(f"sh:{name} on a node shape")
        return str(shape.path)

    def _min_count(self, shape: Shape, count: Term) -> tuple[Callable, str]:
        path, n = self._property_path(shape, "minCount"), _integer(count)
        if n > MAX_COUNT:
            raise NotCompiled(f"sh:minCount {n} > {MAX_COUNT}")

        def rows(f: str) -> list[Rows]:
            if n == 0:
                return []
            names = [self.fresh("c") for _ in range(n)]
            return [Rows.missing(distinct_values(f, path, names))]

        return rows, f"Less than {n} values"

    def _max_count(self, shape: Shape, count: Term) -> tuple[Callable, str]:
        path, n = self._property_path(shape, "maxCount"), _integer(count)
        if n > MAX_COUNT:
            raise NotCompiled(f"sh:maxCount {n} > {MAX_COUNT}")

        def rows(f: str) -> list[Rows]:
            names = [self.fresh("c") for _ in range(n + 1)]
            return [Rows(distinct_values(f, path, names))]

        return rows, f"More than {n} values"

    def _has_value(self, shape: Shape, value: Term) -> tuple[Callable, str]:
        path, c = self._property_path(shape, "hasValue"), constant(value)
        return (
            lambda f: [Rows.missing(f"{f} {path} {c}")],
            f"Missing expected value {c}",
        )

    def _unique_lang(self, shape: Shape, flag: Term) -> tuple[Callable, str]:
        path = self._property_path(shape, "uniqueLang")

        def rows(f: str) -> list[Rows]:
            if not is_true(flag):
                return []
            a, b = self.fresh("l"), self.fresh("l")
            test = f"!sameTerm({a}, {b}) && lang({a}) != '' && LCASE(lang({a})) = LCASE(lang({b}))"
            return [Rows(f"{f} {path} {a} . {f} {path} {b} FILTER({test})")]

        return rows, "More than one String shares the same Language"

    def _equals(self, shape: Shape, other: Term) -> tuple[Callable, str]:
        q = constant(other)

        def rows(f: str) -> list[Rows]:
            v = self.fresh()
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

    def _disjoint(self, shape: Shape, other: Term) -> tuple[Callable, str]:
        q = constant(other)

        def rows(f: str) -> list[Rows]:
            if not shape.is_property:
                return [Rows(f"{f} {q} {f}", value="focus")]
            v = self.fresh()
            return [Rows(f"{f} {shape.path} {v} . {f} {q} {v}", value=v[1:])]

        return rows, f"Value of {q} is not disjoint"

    @staticmethod
    def _pair_comparison(name: str) -> Callable[[Compiler, Shape, Term], tuple]:
        """A maker of sh:lessThan / sh:lessThanOrEquals checks."""
        operator = PAIR_COMPARISONS[name]

        def make(self: Compiler, shape: Shape, other: Term) -> tuple[Callable, str]:
            path, q = self._property_path(shape, name), constant(other)

            def rows(f: str) -> list[Rows]:
                v, o = self.fresh(), self.fresh("o")
                test = never_fails(f"{v} {operator} {o}")
                return [Rows(f"{f} {path} {v} . {f} {q} {o} FILTER(!{test})", value=v[1:])]

            return rows, f"Value is not {operator} value of {q}"

        return make

    def _closed(self, shape: Shape, flag: Term) -> tuple[Callable, str]:
        if shape.is_property:
            raise NotCompiled("sh:closed on a property shape")
        allowed = set()
        for child in self.graph.objects(shape.node, sh("property")):
            path = self.graph.value(child, sh("path"))
            if isinstance(path, ox.NamedNode):
                allowed.add(str(path))
        for head in self.graph.objects(shape.node, sh("ignoredProperties")):
            allowed.update(constant(p) for p in self.graph.items(head))

        def rows(f: str) -> list[Rows]:
            if not is_true(flag):
                return []
            p, o = self.fresh("cp"), self.fresh("co")
            test = f"FILTER({p} NOT IN ({', '.join(sorted(allowed))}))" if allowed else ""
            return [Rows(f"{f} {p} {o} {test}", value=o[1:], path=p[1:])]

        return rows, "Node is closed and has a property it does not allow"


def _tested_once(branches: list[str], inner: str) -> str:
    """The focus nodes of ``branches`` meeting a costly ``inner`` test, each tested once:
    a node found by several targets (or typed by a class and its subclass) is skipped by
    every branch after the first that finds it. A DISTINCT would come too late: Oxigraph
    pushes the filter into each UNION branch, before it."""
    tested = []
    for i, branch in enumerate(branches):
        skip = " ".join(f"FILTER NOT EXISTS {earlier}" for earlier in branches[:i])
        tested.append(f"{{ {branch} {skip} {inner} }}")
    return " UNION ".join(tested)


def _holds(rows: Rows) -> str:
    """An expression: ``rows`` gives no row (the check passes)."""
    if rows.required is not None:
        return f"EXISTS {{ {rows.required} }}"
    return f"NOT EXISTS {{ {rows.pattern} }}"


def _integer(term: Term) -> int:
    """The integer value of a literal parameter."""
    try:
        return int(term.value)
    except (AttributeError, ValueError):
        raise ShapesFailure(f"not an integer: {term}") from None


def _own(shape: Shape) -> tuple[ox.Literal, ...]:
    return tuple(shape.messages)


def _with_messages(emit: Emit, shape: Shape) -> Emit:
    return Emit(
        emit.component,
        emit.message,
        emit.flag,
        emit.value,
        emit.path,
        emit.source,
        tuple(shape.messages),
    )


VALUE_CHECKS: dict[str, Callable[[Compiler, Shape, Term], tuple[Expression, str]]] = {
    "class": Compiler._class,
    "datatype": Compiler._datatype,
    "nodeKind": Compiler._node_kind,
    "minLength": Compiler._min_length,
    "maxLength": Compiler._max_length,
    "pattern": Compiler._pattern,
    "languageIn": Compiler._language_in,
    "in": Compiler._in,
    "node": Compiler._node,
    "not": Compiler._not,
    "and": Compiler._logical("&&"),
    "or": Compiler._logical("||"),
    "xone": Compiler._logical("xone"),
    **{name: Compiler._comparison(op) for name, op in COMPARISONS.items()},
}
FOCUS_CHECKS: dict[str, Callable[[Compiler, Shape, Term], tuple[Callable, str]]] = {
    "minCount": Compiler._min_count,
    "maxCount": Compiler._max_count,
    "uniqueLang": Compiler._unique_lang,
    "equals": Compiler._equals,
    "disjoint": Compiler._disjoint,
    "closed": Compiler._closed,
    **{name: Compiler._pair_comparison(name) for name in PAIR_COMPARISONS},
}
NESTED = ("property", "sparql", "hasValue", "qualifiedValueShape")
SUPPORTED_COMPONENTS = sorted({*VALUE_CHECKS, *FOCUS_CHECKS, *NESTED})
