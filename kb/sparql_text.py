"""Just enough of SPARQL's lexical structure to bind values safely: find the query form,
the outermost WHERE group and any SERVICE keyword, skipping strings, IRIs and comments.
User text is never spliced into a query; values become escaped N-Triples terms.
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
_STRING = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                     r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'', re.S)  # fmt: skip
_IRIREF = re.compile(r'<[^\x00-\x20<>"{}|^`\\]*>')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_VAR = re.compile(r"[?$][A-Za-z0-9_]+")
_PREFIX_DECL = re.compile(r"\bPREFIX\s+([A-Za-z_][A-Za-z0-9_.-]*)\s*:", re.I)


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "{", "}", "other"
    text: str
    start: int


def tokens(query: str) -> Iterator[Token]:
    """Words and braces of ``query`` outside strings, IRIs, variables and comments."""
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch == "#":
            end = query.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if ch == "\\":  # a local-name escape such as ex:a\# (never a comment)
            i += 2
            continue
        for pattern in (_STRING, _IRIREF, _VAR):
            match = pattern.match(query, i)
            if match and ch in "\"'<?$":
                i = match.end()
                break
        else:
            match = _WORD.match(query, i)
            if match:
                yield Token("word", match.group(), i)
                i = match.end()
                continue
            if ch in "{}":
                yield Token(ch, ch, i)
            i += 1


def query_form(query: str) -> str:
    """SELECT, CONSTRUCT, ASK or DESCRIBE; updates and non-queries raise InputError."""
    for token in tokens(query):
        word = token.text.upper()
        if token.kind != "word" or word in ("PREFIX", "BASE"):
            continue
        if word in QUERY_FORMS:
            return word
        if word in UPDATE_FORMS:
            raise InputError(f"updates are refused: kb query runs read-only queries ({word})")
    raise InputError("not a SPARQL query (no SELECT, CONSTRUCT, ASK or DESCRIBE)")


def uses_service(query: str) -> bool:
    """True when the query may hold a SERVICE clause: a word outside strings, IRIs,
    comments and the local part of prefixed names that contains SERVICE in any case.
    A containing word, not an equal one: pyoxigraph reads ``trueSERVICE``,
    ``SERVICESILENT`` or ``1e5SERVICE`` as two tokens, the second a SERVICE keyword.

    >>> uses_service("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }")
    True
    >>> uses_service('SELECT * { ?s ?p "SERVICE" } # SERVICE in a comment')
    False
    """
    return any(
        t.kind == "word"
        and "SERVICE" in t.text.upper()
        and not (t.start > 0 and query[t.start - 1] == ":")
        for t in tokens(query)
    )


def undeclared_prefixes(query: str) -> list[str]:
    """The prefixes ``query`` uses in prefixed names without a PREFIX declaration."""
    declared = {m.group(1) for m in _PREFIX_DECL.finditer(query)}
    found: list[str] = []
    for token in tokens(query):
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


def bind_term(value: str) -> str:
    """A --bind VALUE as a SPARQL term: ``<iri>`` or a known prefixed name is an IRI,
    anything else a plain literal. Control characters are refused."""
    if _CONTROL.search(value):
        raise InputError("malformed --bind value: control characters are not allowed")
    if value.startswith("<") and value.endswith(">") and len(value) > 2:
        body = value[1:-1]
        if not _IRI_BODY.match(body):
            raise InputError(f"malformed --bind IRI {value[:80]!r}")
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
    return name, bind_term(value)


def add_values(query: str, bindings: Mapping[str, str]) -> str:
    """``query`` with ``VALUES (?n ...) { (term ...) }`` opening its WHERE group.
    ``bindings`` maps variable names to SPARQL terms made by ``bind_term``."""
    if not bindings:
        return query
    at = where_group_start(query)
    names = " ".join(f"?{n}" for n in bindings)
    terms = " ".join(bindings.values())
    return f"{query[:at]} VALUES ({names}) {{ ({terms}) }}{query[at:]}"
