"""Compile SHACL shapes into SPARQL: one query per shape for the constraints on single
value nodes (their failures as boolean columns), one per constraint on a focus node's
values together, and nested shapes (sh:node, sh:not, sh:and, ...) as EXISTS expressions.

This module assembles the queries (targets, the one-pass probe, shape queries,
conformance expressions); each constraint component is compiled by its section's module
in ``kb.shacl.components``.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox

from kb.shacl.checks import Emit, Focus, FocusCheck, Query, Rows, ValueCheck
from kb.shacl.components import COMPONENTS
from kb.shacl.components.common import component, constant
from kb.shacl.components.sparql_based import sparql_queries
from kb.shacl.graph import RDF_TYPE, RDFS, SH, Term, TripleIndex, sh
from kb.shacl.model import NotCompiled, Shape, ShapesGraph

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


class Compiler:
    """Turns shapes into SPARQL queries and expressions."""

    def __init__(
        self,
        shapes: ShapesGraph,
        subclasses: Callable[[str], list[str] | None] | None = None,
        split_checks: bool = False,
        rewrites: bool = False,
    ) -> None:
        self.shapes = shapes
        self.graph: TripleIndex = shapes.graph
        self._counter = 0
        self._stack: list[Term] = []
        #: class (SPARQL constant) -> itself and every subclass in the data graph, as IRIs
        #: (None: unknown, or a blank-node subclass); lets ``rdf:type/rdfs:subClassOf*``
        #: become plain ``rdf:type`` lookups
        self.subclasses = subclasses
        #: one query per value check, its failure as the FILTER (no boolean columns): for
        #: servers whose projected booleans differ from the ones they filtered on
        self.split_checks = split_checks
        #: SHACL-SPARQL constraints of known text run as a faster equivalent
        #: (``kb.shacl.rewrites``, written for and tested on pyoxigraph)
        self.rewrites = rewrites

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
                return " UNION ".join(f"{{ {part} {_given(part, inner)} }}" for part in parts)
            if len(parts) == 1 and _one_type_pattern(parts[0], var):
                return parts[0]  # a triple pattern gives each subject once: no DISTINCT
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
        queries += sparql_queries(self, shape, focus)
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
        if self.split_checks:
            return [self._value_query(shape, focus, value, values, check) for check in checks]
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

    def _value_query(
        self, shape: Shape, focus: Focus, value: str, values: str, check: ValueCheck
    ) -> Query:
        """One value check as its own query: a row per value node failing it."""
        column = value if shape.is_property else ""
        text = (
            f"SELECT DISTINCT ?this {column} "
            f"WHERE {{ {focus('?this')} {values} FILTER(!({check.expression(value)})) }}"
        )
        emit = Emit(
            check.component,
            check.message,
            value=value[1:] if check.reports_value else None,
            messages=_own(shape),
        )
        return Query(text, shape, [emit])

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
            found = COMPONENTS.get(name)
            if found is None:
                raise NotCompiled(f"sh:{name}")
            made = found.value(self, shape, value) if found.value is not None else None
            if made is not None:
                expression, message = made
                checks.append(ValueCheck(component(name), expression, message, found.reports_value))
        return checks

    def focus_checks(self, shape: Shape) -> list[FocusCheck]:
        """The checks of ``shape`` that look at a focus node's values together."""
        checks = []
        for name, value in self.parameters(shape):
            found = COMPONENTS.get(name)
            if found is None:
                continue
            made = found.focus(self, shape, value) if found.focus is not None else None
            if made is not None:
                rows, message = made
                checks.append(FocusCheck(component(name), rows, message))
            if found.checks is not None:
                checks += found.checks(self, shape, value)
        return checks

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
        rows, parts = self._exactly_one(shape, var, self._all_rows(shape, var))
        parts += [_holds(r) for r in rows]
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

    def _exactly_one(
        self, shape: Shape, var: str, rows: list[Rows]
    ) -> tuple[list[Rows], list[str]]:
        """``rows`` without the sh:minCount 1 and sh:maxCount 1 of a property shape having
        both, and those two as one test: a value with no other (two lookups per focus node
        instead of three). Only on pyoxigraph (``rewrites``), where it was measured."""
        least = [r for r in rows if r.count == ("min", 1)]
        most = [r for r in rows if r.count == ("max", 1)]
        if not (self.rewrites and shape.is_property and least and most):
            return rows, []
        a, b = self.fresh("c"), self.fresh("c")
        path = shape.path
        other = f"{var} {path} {b} FILTER(!sameTerm({a}, {b}))"
        test = f"EXISTS {{ {var} {path} {a} FILTER NOT EXISTS {{ {other} }} }}"
        return [r for r in rows if r is not least[0] and r is not most[0]], [test]

    def _all_rows(self, shape: Shape, var: str) -> list[Rows]:
        return [rows for check in self.focus_checks(shape) for rows in check.rows(var)]


def _one_type_pattern(part: str, var: str) -> bool:
    """Whether ``part`` is ``{ var rdf:type C }`` alone (the focus of one class with no
    subclass to add): one triple pattern, so each node comes once."""
    head = f"{{ {var} <{RDF_TYPE.value}> "
    return part.startswith(head) and part.count(" ") == head.count(" ") + 1


def _tested_once(branches: list[str], inner: str) -> str:
    """The focus nodes of ``branches`` meeting a costly ``inner`` test, each tested once:
    a node found by several targets (or typed by a class and its subclass) is skipped by
    every branch after the first that finds it. A DISTINCT would come too late: Oxigraph
    pushes the filter into each UNION branch, before it."""
    tested = []
    for i, branch in enumerate(branches):
        skip = " ".join(f"FILTER NOT EXISTS {earlier}" for earlier in branches[:i])
        tested.append(f"{{ {branch} {skip} {_given(branch, inner)} }}")
    return " UNION ".join(tested)


def _given(branch: str, inner: str) -> str:
    """``inner`` as tested in ``branch`` (``{ pattern }``): there, ``EXISTS { pattern }``
    is true (a shape's sh:class test on the nodes of its own target class), so it is
    written ``true`` rather than looked up once per focus node."""
    test = f"EXISTS {branch}"
    pieces = inner.split(test)
    given = pieces[0]
    for piece in pieces[1:]:  # a NOT EXISTS of it stays (false there, and no `NOT true`)
        given += (test if given.endswith("NOT ") else "true") + piece
    return given


def _holds(rows: Rows) -> str:
    """An expression: ``rows`` gives no row (the check passes)."""
    if rows.required is not None:
        return f"EXISTS {{ {rows.required} }}"
    return f"NOT EXISTS {{ {rows.pattern} }}"


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
