"""SHACL-SPARQL constraints (sh:sparql / sh:select) evaluated for all focus nodes at once.

Instead of running the query once per focus node with ``$this`` pre-bound, the query's
WHERE group is prefixed with the pattern binding ``?this`` to every focus node, so one
evaluation yields every (focus, value) row. The refusals of SHACL 5.3.1 (MINUS, VALUES,
SERVICE, re-binding pre-bound variables, nested SELECT without ``$this``) are applied as
pySHACL applies them.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from kb.shacl.checks import Emit, Query
from kb.shacl.graph import Term, TripleIndex, sh
from kb.shacl.model import NotCompiled, Shape, ShapesFailure, is_true

COMPONENT = sh("SPARQLConstraintComponent")
OWL_IMPORTS = ox.NamedNode("http://www.w3.org/2002/07/owl#imports")
PREBOUND = ("this", "shapesGraph", "currentShape")

_COMMENT = re.compile(r"#[^\n]*")
_MINUS = re.compile(r"(?<![\w?$:])MINUS\s*\{", re.I)
_VALUES = re.compile(r"(?<![\w?$:\-])VALUES\s*(?:\(|[?$]\w+|\{)", re.I)
_SERVICE = re.compile(r"(?<![\w?$:])SERVICE\s*(?:<|SILENT|[?$]|\w+:)", re.I)
_AS_VAR = re.compile(r"\bAS\s+[?$](\w+)", re.I)
_SELECT = re.compile(r"\bSELECT\b", re.I)
_PROJECTION = re.compile(r"\bSELECT\s+((?:DISTINCT|REDUCED)\s+)?(.*?)(?=\bWHERE\b|\{)", re.I | re.S)
_VARIABLE = re.compile(r"[?$](\w+)")
_BOUND_THIS = re.compile(r"\bbound\s*\(\s*\?this\s*\)", re.I)
_SUBSTITUTE = re.compile(r"\{[$?]([A-Za-z_]\w*)\}")
#: Strings, IRIs and comments (skipped), braces, keywords and variables of a query.
_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*'
    r"|[{}]|[?$]\w+|[A-Za-z_]\w*"
)


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
                lines.append(f"PREFIX {prefix.value}: <{namespace.value}>")
        return "\n".join(sorted(set(lines)))

    def check(self, text: str) -> None:
        """Refuse what SHACL-SPARQL forbids (as pySHACL does)."""
        bare = _COMMENT.sub("", text)
        for pattern, what in ((_MINUS, "MINUS"), (_VALUES, "VALUES"), (_SERVICE, "SERVICE")):
            if pattern.search(bare):
                raise ShapesFailure(f"a SPARQL constraint must not contain {what}")
        for name in _AS_VAR.findall(bare):
            if name in PREBOUND:
                raise ShapesFailure(f"a SPARQL constraint must not re-bind ${name}")
        selects = list(_SELECT.finditer(bare))
        if len(selects) > 1:
            nested = _PROJECTION.match(bare, selects[1].start())
            names = _VARIABLE.findall(nested.group(2)) if nested else []
            if "this" not in names:
                raise ShapesFailure("a nested SELECT must project $this")

    def substituted(self) -> str:
        """The query text with $currentShape and $PATH replaced."""
        text = self.select
        if re.search(r"[$?]shapesGraph\b", text):
            raise NotCompiled("$shapesGraph in a SPARQL constraint")
        if re.search(r"[$?]currentShape\b", text):
            if isinstance(self.shape.node, ox.BlankNode):
                raise NotCompiled("$currentShape of a blank-node shape")
            text = re.sub(r"[$?]currentShape\b", str(self.shape.node), text)
        if self.shape.path is not None:
            text = re.sub(r"\$PATH\b", self.shape.path, text)
        return re.sub(r"\$this\b", "?this", text)

    def query(self, focus: str) -> Query:
        """The query giving every result of this constraint for the focus nodes of ``focus``
        (a pattern binding ``?this``): one query joining the focus pattern when that is
        the same as pre-binding $this, else the query to run once per focus node."""
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
        if not join_is_prebinding(text):
            # pyoxigraph's substitutions leave bound($this) false in nested groups
            text = _BOUND_THIS.sub("(true)", text)
            prefixes = self.prefixes()
            _parse(prefixes + "\n" + text, self.node)
            focus_query = f"SELECT DISTINCT ?this WHERE {{ {focus} }}"
            return Query(prefixes + "\n" + text, self.shape, [emit], per_focus=focus_query)
        match = _PROJECTION.search(text)
        if match is None:
            raise NotCompiled("a SPARQL constraint that is not a SELECT query")
        projection = match.group(2)
        if projection.strip() != "*" and "this" not in _VARIABLE.findall(projection):
            text = text[: match.start(2)] + "?this " + text[match.start(2) :]
            match = _PROJECTION.search(text)
            assert match is not None
        brace = text.index("{", match.end(2))
        text = text[: brace + 1] + f" {focus} " + text[brace + 1 :]
        text = self.prefixes() + "\n" + text
        _parse(text, self.node)
        return Query(text, self.shape, [emit])


def _parse(text: str, node: Term) -> None:
    """Refuse a query pyoxigraph cannot parse."""
    try:
        ox.Store().query(text)
    except SyntaxError as exc:
        raise ShapesFailure(f"SPARQL constraint {node}: {exc}") from None


def join_is_prebinding(text: str) -> bool:
    """Whether joining ``?this`` with the WHERE group gives the same rows as pre-binding.

    True when every ``$this`` sits in the WHERE group itself, or inside OPTIONAL blocks
    of it, or inside an EXISTS block (which sees the binding by substitution); false
    when one sits in a nested group, a UNION branch, a sub-query, a GRAPH block, ...
    """
    blocks: list[str] = []
    previous = ""
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token == "{":
            kind = previous.upper() if previous.upper() in ("EXISTS", "OPTIONAL") else "GROUP"
            blocks.append("WHERE" if not blocks else kind)
        elif token == "}":
            if blocks:
                blocks.pop()
        elif token[0] in "?$" and token[1:] == "this" and not _sees_binding(blocks):
            return False
        if token[0] not in "\"'<#":
            previous = token
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
