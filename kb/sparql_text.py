"""SPARQL's lexical structure as pyoxigraph reads it, for every check of SPARQL text (query
form, SERVICE / MINUS / VALUES, undeclared prefixes) and for binding values safely: user
text is never spliced into a query; values become escaped N-Triples terms.

What pyoxigraph 0.5 does, found by experiment (tests/test_properties.py and
tests/test_no_network.py hold the cases):
a comment runs from ``#`` to the next ``\\n`` or ``\\r`` (no other line terminator);
``\\uXXXX`` escapes count inside strings and IRIs only (never in keywords, names or to end
a string); a backslash elsewhere escapes one character of a local name (``ex:a\\#``);
keywords glue to what precedes them (``trueSERVICE``, ``1e5SERVICE``, ``SERVICESILENT``);
and inside an expression ``<`` after an operand is less-than, so ``FILTER(?x<2)SERVICE``
is no IRI: ``uses_keyword`` tries both readings of every such ``<``.

>>> [t.text for t in tokens("SELECT * WHERE { ?s ?p <http://x/a#b> } # SERVICE")]
['SELECT', '*', 'WHERE', '{', '?s', '?p', '<http://x/a#b>', '}']
>>> uses_service("SELECT * WHERE { # x\\rSERVICE <http://127.0.0.1/> { ?a ?b ?c } }")
True
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from kb.errors import InputError
from kb.terms import escape_string, expand

QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
UPDATE_FORMS = (
    "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH",
)  # fmt: skip
_VARNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IRI_BODY = re.compile(r'^[^\x00-\x20<>"{}|^`\\]*$')
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: SPARQL's PN_CHARS_U, the letters a name may start with, as code point ranges.
_LETTER = (
    (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x2FF),
    (0x370, 0x37D), (0x37F, 0x1FFF), (0x200C, 0x200D), (0x2070, 0x218F), (0x2C00, 0x2FEF),
    (0x3001, 0xD7FF), (0xF900, 0xFDCF), (0xFDF0, 0xFFFD), (0x10000, 0xEFFFF),
)  # fmt: skip
#: What SPARQL's PN_CHARS adds to them: digits, the middle dot, combining marks, ties.
_MORE = ((0x30, 0x39), (0xB7, 0xB7), (0x300, 0x36F), (0x203F, 0x2040))
_DIGITS, _DASH, _DOT_DASH = ((0x30, 0x39),), ((0x2D, 0x2D),), ((0x2D, 0x2E),)


def _char_class(*ranges: tuple[tuple[int, int], ...]) -> str:
    """A regular-expression class of the code points in ``ranges``, written as the
    negation of all the others: Python's re compiles a class by visiting every code point
    of its ranges below U+10000, which these letters cover most of (30 ms of every
    command's start-up for the classes below; 7 ms negated)."""
    others, start = [], 0
    for low, high in sorted(r for group in ranges for r in group):
        if low > start:
            others.append((start, low - 1))
        start = max(start, high + 1)
    if start <= 0x10FFFF:
        others.append((start, 0x10FFFF))
    return "[^" + "".join(rf"\U{a:08x}-\U{b:08x}" for a, b in others) + "]"


_STRING = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                     r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'', re.S)  # fmt: skip
#: An IRI as pyoxigraph reads one: \u and \U escapes allowed (``<http://x/\u0061#b>``).
_IRIREF = re.compile(r'<(?:[^\x00-\x20<>"{}|^`\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>')
#: Keywords, prefixes and local names: '.' inside, never last (``ex.a:b.c``).
_WORD = re.compile(
    f"{_char_class(_LETTER)}"
    f"(?:{_char_class(_LETTER, _MORE, _DOT_DASH)}*{_char_class(_LETTER, _MORE, _DASH)})?"
)
_VAR = re.compile(f"[?$]{_char_class(_LETTER, _DIGITS)}{_char_class(_LETTER, _MORE)}*")
_NUMBER = re.compile(r"\d+\.\d*[eE][+-]?\d+|\.?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
#: Kinds of token after which ``<`` inside an expression is the less-than operator.
_OPERANDS = frozenset({"word", "var", "iri", "string", "number", ")"})


@dataclass(frozen=True)
class Token:
    """One token outside comments: ``kind`` is word, var, iri, string, number, or the
    punctuation character itself (``{``, ``}``, ``(``, ``)``, ``<``, ``.``, ...)."""

    kind: str
    text: str
    start: int


def _next(query: str, i: int) -> tuple[Token | None, int]:
    """The token at offset ``i`` (None for white space or a comment) and the offset after
    it; a ``<`` that can open an IRI does."""
    ch = query[i]
    if ch == "#":  # pyoxigraph ends a comment at \r as well as \n, at nothing else
        ends = [e for e in (query.find("\n", i), query.find("\r", i)) if e >= 0]
        return None, min(ends) + 1 if ends else len(query)
    if ch in " \t\r\n":
        return None, i + 1
    if ch == "\\":  # a local-name escape such as ex:a\# (never a comment)
        return None, i + 2
    for kind, pattern, first in (
        ("string", _STRING, "\"'"),
        ("iri", _IRIREF, "<"),
        ("var", _VAR, "?$"),
        ("number", _NUMBER, "0123456789."),
    ):
        if ch in first:
            match = pattern.match(query, i)
            if match:
                return Token(kind, match.group(), i), match.end()
    match = _WORD.match(query, i)
    if match:
        return Token("word", match.group(), i), match.end()
    return Token(ch, ch, i), i + 1


def tokens(query: str) -> Iterator[Token]:
    """The tokens of ``query`` outside comments, reading every ``<`` that can open an IRI
    as an IRI (as the SPARQL grammar's longest-match rule does)."""
    for match in _SCAN.finditer(query):
        kind = match.lastgroup
        if kind != "skip":
            text = match.group()
            yield Token(text if kind == "punct" else kind or "", text, match.start())


#: ``_next``'s reading in one pattern, each alternative tried in its order (their first
#: characters differ): white space, a comment or a local-name escape (skipped), then a
#: string, an IRI, a variable, a number, a word, or any one character. The C regex
#: engine reads a query several times faster than ``_next``'s loop, for the checks every
#: query passes (tests/test_properties.py holds both readings equal).
_SCAN = re.compile(
    rf"(?P<skip>[ \t\r\n]+|#[^\n\r]*[\n\r]?|\\.?)"
    rf"|(?P<string>{_STRING.pattern})|(?P<iri>{_IRIREF.pattern})|(?P<var>{_VAR.pattern})"
    rf"|(?P<number>(?=[0-9.])(?:{_NUMBER.pattern}))|(?P<word>{_WORD.pattern})|(?P<punct>.)",
    re.S,
)


def normalised(query: str) -> str:
    """``query`` with each run of white space and comments between tokens made one space
    (strings, IRIs and escapes kept as written): two texts normalised alike are the same
    tokens, so mean the same.

    >>> normalised("SELECT  ?s  # a comment\\n { ?s ?p 'a  b' }")
    "SELECT ?s { ?s ?p 'a  b' }"
    """
    parts: list[str] = []
    gap = False
    for match in _SCAN.finditer(query):
        text = match.group()
        if match.lastgroup == "skip" and not text.startswith("\\"):
            gap = True
            continue
        if gap and parts:
            parts.append(" ")
        parts.append(text)
        gap = False
    return "".join(parts)


def uses_keyword(query: str, name: str) -> bool:
    """Whether pyoxigraph may read the keyword ``name`` in ``query``: a word holding it in
    any case, not the local part of a prefixed name, in any reading of ``query``.

    Holding, not equal to: pyoxigraph reads ``trueSERVICE``, ``SERVICESILENT`` or
    ``1e5SERVICE`` as two tokens, the second a keyword. Readings differ only where
    pyoxigraph could take a ``<`` for less-than: inside parentheses, after an operand
    (``FILTER(?x<2)SERVICE:s#>`` holds no IRI, and what the IRI reading calls a fragment
    is a comment hiding the ``>``). Both readings of each such ``<`` are followed; each
    (offset, open brackets, after an operand) state is visited once."""
    upper, n = name.upper(), len(query)
    if upper not in query.upper() and "\\" not in query:
        return False  # no reading can hold letters the text lacks (a quick answer)
    todo: list[tuple[int, str, bool]] = [(0, "", False)]
    seen: set[tuple[int, str, bool]] = set()
    while todo:
        state = todo.pop()
        i, brackets, operand = state
        while i < n and state not in seen:
            seen.add(state)
            if operand and query[i] == "<" and brackets[-1:] in ("(", "*"):
                todo.append((i + 1, brackets, False))  # the less-than reading
            token, i = _next(query, i)
            if token is not None:
                if _holds(token, query, upper):
                    return True
                brackets = _brackets(brackets, token.kind)
                operand = token.kind in _OPERANDS
            state = (i, brackets, operand)
    return False


def _holds(token: Token, query: str, upper: str) -> bool:
    """Whether ``token`` is a word holding the keyword ``upper``, outside a local name."""
    return (
        token.kind == "word"
        and upper in token.text.upper()
        and not (token.start > 0 and query[token.start - 1] == ":")
    )


def _brackets(open_: str, kind: str) -> str:
    """The open brackets after a token of ``kind``. Past 64, the oldest become one ``*``,
    taken for a parenthesis (where both readings are tried: never fewer than pyoxigraph's)."""
    if kind in ("(", "{"):
        opened = open_ + kind
        return "*" + opened[-64:] if len(opened) > 65 else opened
    if kind in (")", "}") and open_ not in ("", "*"):
        return open_[:-1]
    return open_


#: Deepest nesting of brackets (``{``, ``(``, ``[`` together) a SPARQL text may have.
#: pyoxigraph's parser recurses once or more per level and overflows its stack, killing
#: the process (SIGSEGV, no exception), past about 2,000 levels on an 8 MB stack; no
#: real query comes near 200.
MAX_NESTING = 200
_OPENING, _CLOSING = frozenset("{(["), frozenset("})]")


def nesting(query: str) -> int:
    """The deepest nesting of brackets in ``query``, outside strings, IRIs and comments.

    >>> nesting("SELECT * { { ?s ?p ?o FILTER((1)) } } # {{{{")
    4
    """
    depth = deepest = 0
    for match in _SCAN.finditer(query):
        if match.lastgroup != "punct":
            continue
        if (char := match.group()) in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _CLOSING and depth:
            depth -= 1
    return deepest


#: Operators and keywords a SPARQL text may hold in all. Each can add a level to the tree
#: pyoxigraph builds and walks recursively with no bracket nesting another: 12,000 ``!``,
#: 9,000 terms of ``1+1+…`` or 4,400 ``MINUS{}`` (all under the endpoint's length limit)
#: killed the process with SIGSEGV; no real query comes near 1,000.
MAX_OPERATORS = 1000
_OPERATOR_CHARS = "!+-*/|^&=<>"
_OPERATOR_WORDS = frozenset({"UNION", "MINUS", "OPTIONAL", "BIND", "FILTER", "GRAPH"})


def operators(query: str) -> int:
    """The operators (``!``, ``+``, ``||``'s two bars, ``<<``'s two angles, …) and the
    pattern keywords (UNION, MINUS, OPTIONAL, BIND, FILTER, GRAPH) in ``query``, outside
    strings, IRIs and comments.

    >>> operators("SELECT * { FILTER(!(1 + 2 > 0)) MINUS { } } # !!!")  # * too
    6
    """
    count = 0
    for match in _SCAN.finditer(query):
        kind = match.lastgroup
        if kind == "punct":
            count += match.group() in _OPERATOR_CHARS
        elif kind == "word":
            count += match.group().upper() in _OPERATOR_WORDS
    return count


def check_nesting(query: str, source: str = "query") -> None:
    """InputError when ``query`` nests brackets deeper than MAX_NESTING or holds more
    than MAX_OPERATORS operators: either would overflow pyoxigraph's stack."""
    # each level opens with a bracket character of its own, so a text holding no more
    # than MAX_NESTING of them cannot nest deeper (an exact, quick answer: no token pass)
    if _bracket_count(query) > MAX_NESTING and nesting(query) > MAX_NESTING:
        raise InputError(f"{source}: brackets nested more than {MAX_NESTING} deep")
    if _operator_bound(query) > MAX_OPERATORS and operators(query) > MAX_OPERATORS:
        raise InputError(
            f"{source}: more than {MAX_OPERATORS} operators and pattern keywords "
            "(the parser would overflow its stack)"
        )


def _operator_bound(query: str) -> int:
    """Never fewer than ``operators`` counts (strings and comments count too)."""
    if len(query) <= MAX_OPERATORS:
        return len(query)
    upper = query.upper()
    return sum(map(query.count, _OPERATOR_CHARS)) + sum(map(upper.count, _OPERATOR_WORDS))


def _bracket_count(query: str) -> int:
    """Opening brackets anywhere in ``query`` (strings and comments too): never fewer than
    ``nesting`` counts."""
    return query.count("{") + query.count("(") + query.count("[")


def query_form(query: str) -> str:
    """SELECT, CONSTRUCT, ASK or DESCRIBE; updates and non-queries raise InputError."""
    for match in _SCAN.finditer(query):  # tokens() without a Token made for each
        if match.lastgroup != "word":
            continue
        word = match.group().upper()
        if word in QUERY_FORMS:
            return word
        if word in UPDATE_FORMS:
            raise InputError(f"updates are refused: only read-only queries run here ({word})")
    raise InputError("not a SPARQL query (no SELECT, CONSTRUCT, ASK or DESCRIBE)")


def uses_service(query: str) -> bool:
    """True when pyoxigraph may read a SERVICE clause in ``query``, however disguised.

    >>> uses_service("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }")
    True
    >>> uses_service('SELECT * { ?s ?p "SERVICE" } # SERVICE in a comment')
    False
    """
    return uses_keyword(query, "SERVICE")


def undeclared_prefixes(query: str) -> list[str]:
    """The prefixes ``query`` uses in prefixed names without a PREFIX declaration."""
    words = list(tokens(query))
    declared = {
        name.text
        for keyword, name, colon in zip(words, words[1:], words[2:], strict=False)
        if keyword.kind == "word" and keyword.text.upper() == "PREFIX" and colon.kind == ":"
    }
    found: list[str] = []
    for token in words:
        end = token.start + len(token.text)
        if token.kind != "word" or query[end : end + 1] != ":":
            continue
        if token.start > 0 and query[token.start - 1] == ":":
            continue  # a local part such as ex:a:b
        if token.text not in declared and token.text not in found:
            found.append(token.text)
    return found


def where_group_start(query: str) -> int:
    """The offset just after the ``{`` that opens the query's outermost WHERE group."""
    form = query_form(query)
    depth = 0
    seen_where = False
    for token in tokens(query):
        if token.kind == "word" and depth == 0 and token.text.upper() == "WHERE":
            seen_where = True
        elif token.kind == "{":
            if depth == 0 and (seen_where or form != "CONSTRUCT"):
                return token.start + 1
            depth += 1
        elif token.kind == "}":
            depth -= 1
    raise InputError("cannot bind: the query has no WHERE clause")


def bind_term(value: str, what: str = "the value") -> str:
    """A value given as text (a --bind VALUE, a catalogue default, a name looked up) as a
    SPARQL term: ``<iri>`` or a known prefixed name is an IRI, anything else a plain
    literal. Control characters are refused; messages name the value as ``what``."""
    control = _CONTROL.search(value)
    if control:
        code = f"U+{ord(control.group()):04X}"
        raise InputError(f"{what}: control characters are not allowed ({code})")
    if value.startswith("<") and value.endswith(">") and len(value) > 2:
        body = value[1:-1]
        if not _IRI_BODY.match(body):
            raise InputError(f"{what}: {value[:80]!r} is not a valid IRI")
        return f"<{body}>"
    iri = expand(value)
    if iri is not None:
        return f"<{iri}>"
    return f'"{escape_string(value)}"'


def parse_binding(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` -> (NAME, SPARQL term).

    >>> parse_binding("role=role:minister")
    ('role', '<https://w3id.org/lifesci-news-kb/id/role/minister>')
    >>> parse_binding("name=Rome")
    ('name', '"Rome"')
    """
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("?$")
    if not sep or not _VARNAME.match(name):
        raise InputError(f"malformed --bind {text[:80]!r}: expected NAME=VALUE")
    return name, bind_term(value, "malformed --bind value")


def add_values(query: str, bindings: Mapping[str, str]) -> str:
    """``query`` with ``VALUES (?n ...) { (term ...) }`` opening its WHERE group.
    ``bindings`` maps variable names to SPARQL terms made by ``bind_term``."""
    if not bindings:
        return query
    at = where_group_start(query)
    names = " ".join(f"?{n}" for n in bindings)
    terms = " ".join(bindings.values())
    return f"{query[:at]} VALUES ({names}) {{ ({terms}) }}{query[at:]}"
