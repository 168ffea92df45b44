"""Virtuoso 7.2's SPARQL dialect: the rewrites that make it give the standard answer to the
fast SHACL engine's queries (each found on Virtuoso 7.2.5; docs/servers.md lists them).

- ``CONTAINS``, ``STRSTARTS``, ``STRENDS`` with an empty second argument are false (the
  standard: true).
- ``SUBSTR`` from a start below 1 counts from 1 (the standard: positions below 1 take
  up part of the length).
- ``isIRI``/``isURI`` of a blank node is true (Virtuoso keeps blank nodes as
  ``nodeID://`` IRIs).
- ``sameTerm`` of IRIs is right only as a FILTER's whole condition (or its negation or a
  conjunct): inside ``||``, ``IF``, ``COALESCE`` or a comparison it is false (or unbound)
  where the terms are the same IRI. Sent as ``(isIRI(?x) && ?x = <iri>)`` against a
  constant (an IRI or a prefixed name), else as an ``IF`` that keeps ``sameTerm`` for
  literals only and compares IRIs and blank nodes by kind and string.
- Blank nodes come back as ``nodeID://b123`` (not a blank node label): ``bnode_labels``.
- Booleans come back as ``"1"``/``"0"`` integers (read by the engine as booleans), and a
  ``BIND(EXISTS {…} AS ?k)`` projects a value other than the one its FILTER saw: the
  engine splits value checks into one query each there (``split_checks``).
"""

from __future__ import annotations

import re

#: Strings, IRIs and comments (copied as they are) or a function call's name.
_TOKEN = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    r"|<[^<>\"{}|^`\\\s]*>|#[^\n]*"
    r"|(?<![\w:?$])(CONTAINS|STRSTARTS|STRENDS|isIRI|isURI|sameTerm|SUBSTR)\s*\(",
    re.I,
)
_NODE_ID = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')
_IRI = re.compile(r"^<[^<>\"{}|^`\\\s]*>$")
#: A prefixed name (``concept:stated``, ``:x``): an IRI written short.
_PREFIXED = re.compile(r"^(?:[A-Za-z][\w.-]*)?:(?:[\w:%.-]|\\.)*$")


def virtuoso(text: str) -> str:
    """``text`` rewritten so that Virtuoso 7.2 answers it as the standard says."""
    out: list[str] = []
    position = 0
    while True:
        match = _TOKEN.search(text, position)
        if match is None:
            out.append(text[position:])
            return "".join(out)
        if match.group(1) is None:
            out.append(text[position : match.end()])
            position = match.end()
            continue
        end, arguments = _arguments(text, match.end())
        if arguments is None:  # unbalanced: leave the rest as it is
            out.append(text[position:])
            return "".join(out)
        out.append(text[position : match.start()])
        out.append(_call(match.group(1), [virtuoso(a) for a in arguments]))
        position = end


def _call(name: str, arguments: list[str]) -> str:
    """One call, in the form Virtuoso answers right."""
    joined = ", ".join(arguments)
    upper = name.upper()
    if upper in ("CONTAINS", "STRSTARTS", "STRENDS") and len(arguments) == 2:
        return f"(STRLEN({arguments[1]}) = 0 || {name}({joined}))"
    if upper in ("ISIRI", "ISURI") and len(arguments) == 1:
        return f"({name}({joined}) && !isBlank({joined}))"
    if upper == "SAMETERM" and len(arguments) == 2:
        first, second = (a.strip() for a in arguments)
        if _constant_iri(first):
            first, second = second, first
        if _constant_iri(second):
            return f"(isIRI({first}) && {first} = {second})"
        # Blank nodes are nodeID:// IRIs there: their string names them.
        return (
            f"IF(isLiteral({first}) || isLiteral({second}), {name}({first}, {second}), "
            f"(isBlank({first}) = isBlank({second}) && STR({first}) = STR({second})))"
        )
    if upper == "SUBSTR" and len(arguments) == 3:
        text, start, length = arguments
        return (
            f"IF(({start}) < 1, IF(({start}) + ({length}) > 1, "
            f'SUBSTR({text}, 1, ({start}) + ({length}) - 1), ""), SUBSTR({joined}))'
        )
    return f"{name}({joined})"


def _constant_iri(argument: str) -> bool:
    """Whether ``argument`` is an IRI written in the query (in full or prefixed)."""
    return bool(_IRI.match(argument) or _PREFIXED.match(argument))


def _arguments(text: str, start: int) -> tuple[int, list[str] | None]:
    """(the index after the closing parenthesis, the arguments as text) of a call whose
    arguments begin at ``start``; None when the parentheses do not balance."""
    depth, current, arguments, i = 0, start, [], start
    skip = re.compile(
        r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
        r"|<[^<>\"{}|^`\\\s]*>"
    )
    while i < len(text):
        literal = skip.match(text, i) if text[i] in "\"'<" else None
        if literal:
            i = literal.end()
            continue
        char = text[i]
        if char in "({[":
            depth += 1
        elif char in ")}]":
            if depth == 0:
                arguments.append(text[current:i])
                return i + 1, arguments
            depth -= 1
        elif char == "," and depth == 0:
            arguments.append(text[current:i])
            current = i + 1
        i += 1
    return len(text), None


def bnode_labels(body: bytes) -> bytes:
    """A JSON results body with Virtuoso's ``nodeID://b123`` blank nodes as ``b123``."""
    return _NODE_ID.sub(rb"\1", body) if b"nodeID://" in body else body
