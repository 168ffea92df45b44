"""SHACL-SPARQL constraints (sh:sparql / sh:select) evaluated for all focus nodes at once.

Instead of running the query once per focus node with ``$this`` pre-bound, the query's
WHERE group is prefixed with the pattern binding ``?this`` to every focus node, so one
evaluation yields every (focus, value) row. The refusals of SHACL 5.3.1 (MINUS, VALUES,
SERVICE, re-binding pre-bound variables, nested SELECT without ``$this``) are applied as
pySHACL applies them. Every look at the query text goes through ``kb.sparql_text``, the
one SPARQL lexer (it reads comments, strings, IRIs and escapes as pyoxigraph does).
"""

from __future__ import annotations

import re
from itertools import pairwise

import pyoxigraph as ox

from kb.shacl.checks import Emit, Query
from kb.shacl.graph import Term, TripleIndex, sh
from kb.shacl.model import NotCompiled, Shape, ShapesFailure, is_true
from kb.shacl.rewrites import rewrite
from kb.sparql_text import (
    MAX_NESTING,
    MAX_OPERATORS,
    Token,
    nesting,
    operators,
    tokens,
    uses_keyword,
)

COMPONENT = sh("SPARQLConstraintComponent")
OWL_IMPORTS = ox.NamedNode("http://www.w3.org/2002/07/owl#imports")
PREBOUND = ("this", "shapesGraph", "currentShape")

#: Predicates whose objects are SPARQL text a SHACL engine runs (constraints, constraint
#: components, targets, functions, rules).
SPARQL_TEXTS = tuple(sh(p) for p in ("select", "ask", "construct", "update"))
_PREFIX = re.compile(r"^[A-Za-z](?:[\w.-]*[\w-])?$|^$")
_NAMESPACE = re.compile(r'^[^\x00-\x20<>"{}|^`\\]*$')
_SUBSTITUTE = re.compile(r"\{[$?]([A-Za-z_]\w*)\}")


class SparqlFailure(ShapesFailure):
    """A SHACL-SPARQL text the engines must not run; ``near`` is the line of it to show
    (the one holding the fault where known), to find it in the shapes file."""

    def __init__(self, message: str, text: str, word: str = "") -> None:
        super().__init__(message)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        marked = [line for line in lines if word and word.upper() in line.upper()]
        self.near = (marked or lines or [""])[0]


class SparqlConstraint:
    """One sh:sparql constraint of a shape."""

    def __init__(self, graph: TripleIndex, shape: Shape, node: Term) -> None:
        self.graph = graph
        self.shape = shape
        self.node = node
        select = graph.value(node, sh("select"))
        if not isinstance(select, ox.Literal):
            raise ShapesFailure(f"sh:sparql {node} has no sh:select")
        self.select = select.value
        self.deactivated = is_true(graph.value(node, sh("deactivated")))
        messages = [m for m in graph.objects(node, sh("message")) if isinstance(m, ox.Literal)]
        self.messages = tuple(messages or shape.messages)

    def prefixes(self) -> str:
        """PREFIX declarations from the sh:prefixes of the constraint (and owl:imports)."""
        lines = []
        sources = list(self.graph.objects(self.node, sh("prefixes")))
        seen: set[Term] = set()
        while sources:
            source = sources.pop()
            if source in seen:
                continue
            seen.add(source)
            sources += self.graph.objects(source, OWL_IMPORTS)
            for declaration in self.graph.objects(source, sh("declare")):
                prefix = self.graph.value(declaration, sh("prefix"))
                namespace = self.graph.value(declaration, sh("namespace"))
                if prefix is None or namespace is None:
                    raise ShapesFailure(f"incomplete sh:declare {declaration}")
                if not _PREFIX.match(prefix.value) or not _NAMESPACE.match(namespace.value):
                    raise ShapesFailure(f"malformed sh:declare {declaration}")
                lines.append(f"PREFIX {prefix.value}: <{namespace.value}>")
        return "\n".join(sorted(set(lines)))

    def check(self, text: str) -> None:
        """Refuse what SHACL-SPARQL forbids (as pySHACL does)."""
        for what in ("MINUS", "VALUES", "SERVICE"):
            if uses_keyword(text, what):
                raise SparqlFailure(f"a SPARQL constraint must not contain {what}", text, what)
        words = list(tokens(text))
        for before, token in pairwise(words):
            if _is_word(before, "AS") and token.kind == "var" and token.text[1:] in PREBOUND:
                message = f"a SPARQL constraint must not re-bind ${token.text[1:]}"
                raise SparqlFailure(message, text, token.text)
        selects = [i for i, token in enumerate(words) if _is_word(token, "SELECT")]
        if len(selects) > 1:
            names = [t.text[1:] for t in _projection(words[selects[1] :]) if t.kind == "var"]
            if "this" not in names:
                raise SparqlFailure("a nested SELECT must project $this", text, "SELECT")

    def substituted(self) -> str:
        """The query text with $currentShape and $PATH replaced, $this written ?this."""
        text = self.select
        names = {t.text[1:] for t in tokens(text) if t.kind == "var"}
        if "shapesGraph" in names:
            raise NotCompiled("$shapesGraph in a SPARQL constraint")
        values = {"$this": "?this"}
        if "currentShape" in names:
            if isinstance(self.shape.node, ox.BlankNode):
                raise NotCompiled("$currentShape of a blank-node shape")
            values["$currentShape"] = values["?currentShape"] = str(self.shape.node)
        if self.shape.path is not None:
            values["$PATH"] = self.shape.path
        return _replace_variables(text, values)

    def query(self, focus: str, rewrites: bool = False) -> Query:
        """The query giving every result of this constraint for the focus nodes of ``focus``
        (a pattern binding ``?this``): one query joining the focus pattern when that is
        the same as pre-binding $this, else the query to run once per focus node. With
        ``rewrites`` (pyoxigraph), a known faster equivalent (``kb.shacl.rewrites``)."""
        self.check(self.select)
        text = self.substituted()
        emit = Emit(
            COMPONENT,
            "SPARQL constraint not met",
            value="value" if self.shape.is_property else "value|focus",
            path="path",
            source=self.node,
            messages=self.messages,
        )
        faster = rewrite(self.prefixes(), self.select, focus) if rewrites else None
        if faster is not None:
            _parse(faster, self)
            return Query(faster, self.shape, [emit])
        if not join_is_prebinding(text):
            # pyoxigraph's substitutions leave bound($this) false in nested groups
            text = _bound_this_true(text)
            prefixes = self.prefixes()
            _parse(prefixes + "\n" + text, self)
            focus_query = f"SELECT DISTINCT ?this WHERE {{ {focus} }}"
            return Query(prefixes + "\n" + text, self.shape, [emit], per_focus=focus_query)
        words = list(tokens(text))
        select = next((i for i, t in enumerate(words) if _is_word(t, "SELECT")), None)
        if select is None:
            raise NotCompiled("a SPARQL constraint that is not a SELECT query")
        projection, at, group = _select_parts(words[select:])
        if group is None:
            raise SparqlFailure(f"SPARQL constraint {self.node}: no WHERE group", self.select)
        opens = group.start + 1
        if not _projects_this(projection):
            text = text[:at] + "?this " + text[at:]
            opens += len("?this ")
        text = text[:opens] + f" {focus} " + text[opens:]
        text = self.prefixes() + "\n" + text
        _parse(text, self)
        return Query(text, self.shape, [emit])


def refuse_service(shapes: ox.Store) -> None:
    """ShapesFailure when any SPARQL text of the shapes graph may hold SERVICE, read as
    pyoxigraph reads it, or nests brackets past MAX_NESTING: checked before either
    engine runs (pySHACL's own check is a regular expression, and rdflib would send the
    request; a parser would overflow its stack)."""
    for predicate in SPARQL_TEXTS:
        for quad in shapes.quads_for_pattern(None, predicate, None):
            text = quad.object
            if not isinstance(text, ox.Literal):
                continue
            if uses_keyword(text.value, "SERVICE"):
                message = f"{quad.subject}: SPARQL in shapes must not contain SERVICE"
                raise SparqlFailure(message, text.value, "SERVICE")
            if nesting(text.value) > MAX_NESTING:  # would crash either engine's parser
                message = f"{quad.subject}: SPARQL nests brackets more than {MAX_NESTING} deep"
                raise SparqlFailure(message, text.value)
            if operators(text.value) > MAX_OPERATORS:  # would crash pyoxigraph's too
                message = f"{quad.subject}: SPARQL holds more than {MAX_OPERATORS} operators"
                raise SparqlFailure(message, text.value)


def _is_word(token: Token, word: str) -> bool:
    return token.kind == "word" and token.text.upper() == word


def _select_parts(words: list[Token]) -> tuple[list[Token], int, Token | None]:
    """For the tokens from a SELECT on: its projection (up to WHERE or ``{``; FROM
    clauses included), the offset the projection starts at, and the ``{`` of its group."""
    i = 1
    while i < len(words) and (_is_word(words[i], "DISTINCT") or _is_word(words[i], "REDUCED")):
        i += 1
    start = i
    while i < len(words) and not (_is_word(words[i], "WHERE") or words[i].kind == "{"):
        i += 1
    group = next((t for t in words[i:] if t.kind == "{"), None)
    at = words[start].start if group else 0  # with a group, a token follows SELECT
    return words[start:i], at, group


def _projection(words: list[Token]) -> list[Token]:
    """The projection of the SELECT the tokens ``words`` start with."""
    return _select_parts(words)[0]


def _projects_this(projection: list[Token]) -> bool:
    """``SELECT *`` or a projection naming ?this."""
    if [t.text for t in projection[:1]] == ["*"]:
        return True
    return any(t.kind == "var" and t.text[1:] == "this" for t in projection)


def _replace_variables(text: str, values: dict[str, str]) -> str:
    """``text`` with each variable token named in ``values`` (``$this``, ...) replaced."""
    parts, done = [], 0
    for token in tokens(text):
        if token.kind == "var" and token.text in values:
            parts += [text[done : token.start], values[token.text]]
            done = token.start + len(token.text)
    return "".join(parts) + text[done:]


def _bound_this_true(text: str) -> str:
    """``text`` with each ``bound(?this)`` written ``(true)``."""
    words = list(tokens(text))
    parts, done = [], 0
    for i, token in enumerate(words[:-3]):
        call = [t.text for t in words[i + 1 : i + 4]]
        if token.kind == "word" and token.text.lower() == "bound" and call == ["(", "?this", ")"]:
            parts += [text[done : token.start], "(true)"]
            done = words[i + 3].start + 1
    return "".join(parts) + text[done:]


def _parse(text: str, constraint: SparqlConstraint) -> None:
    """Refuse a query pyoxigraph cannot parse."""
    try:
        ox.Store().query(text)
    except SyntaxError as exc:
        message = f"SPARQL constraint {constraint.node}: {exc}"
        raise SparqlFailure(message, constraint.select) from None


def join_is_prebinding(text: str) -> bool:
    """Whether joining ``?this`` with the WHERE group gives the same rows as pre-binding.

    True when every ``$this`` sits in the WHERE group itself, or inside OPTIONAL blocks
    of it, or inside an EXISTS block (which sees the binding by substitution); false
    when one sits in a nested group, a UNION branch, a sub-query, a GRAPH block, ...
    """
    blocks: list[str] = []
    previous = ""
    for token in tokens(text):
        if token.kind == "{":
            kind = previous.upper() if previous.upper() in ("EXISTS", "OPTIONAL") else "GROUP"
            blocks.append("WHERE" if not blocks else kind)
        elif token.kind == "}":
            if blocks:
                blocks.pop()
        elif token.kind == "var" and token.text[1:] == "this" and not _sees_binding(blocks):
            return False
        if token.kind not in ("string", "iri"):
            previous = token.text
    return True


def _sees_binding(blocks: list[str]) -> bool:
    """Whether a variable inside ``blocks`` (outermost first) sees the joined binding."""
    for kind in reversed(blocks):
        if kind in ("EXISTS", "WHERE"):
            return True
        if kind != "OPTIONAL":
            return False
    return True


def fill_message(template: str, row: dict[str, Term | None]) -> str:
    """Replace ``{?name}`` / ``{$name}`` in a message with the row's values."""

    def value(match: re.Match[str]) -> str:
        term = row.get(match.group(1))
        if term is None:
            return match.group(0)
        return term.value if not isinstance(term, ox.BlankNode) else str(term)

    return _SUBSTITUTE.sub(value, template)
