"""Terms as text: the one N-Triples form of a term (and a literal's lexical form read
back from it), prefixed names for known namespaces, in terms and SPARQL paths (no I/O)."""

from __future__ import annotations

import re
from typing import Any

from kb.namespaces import PREFIXES

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPE = re.compile(r'[\\"\n\r\t]')
_LITERAL = re.compile(r'^"(.*)"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?$', re.S)
_UNESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)
_UNESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
#: namespaces, longest first, so the most specific prefix wins
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def escape_string(text: str) -> str:
    """Escape ``text`` for a double-quoted N-Triples/SPARQL string."""
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group()], text)


def nt_iri(iri: str) -> str:
    return f"<{iri}>"


def nt_literal(value: str, language: str | None = None, datatype: str | None = None) -> str:
    """A literal in N-Triples form; plain strings carry no datatype.

    >>> nt_literal("Roma", language="it")
    '"Roma"@it'
    >>> nt_literal("2", datatype="http://www.w3.org/2001/XMLSchema#integer")
    '"2"^^<http://www.w3.org/2001/XMLSchema#integer>'
    """
    text = f'"{escape_string(value)}"'
    if language:
        return f"{text}@{language}"
    if datatype and datatype not in (XSD_STRING, RDF_LANGSTRING):
        return f"{text}^^<{datatype}>"
    return text


def prefixed(iri: str) -> str | None:
    """``iri`` as a prefixed name with a known prefix, or None.

    >>> prefixed("https://schema.org/name"), prefixed("http://example.org/x")
    ('schema:name', None)
    """
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace):
            local = iri[len(namespace) :]
            if local == "" or _LOCAL.match(local):
                return f"{prefix}:{local}"
    return None


def expand(name: str) -> str | None:
    """A prefixed name with a known prefix as its IRI, or None.

    >>> expand("schema:name"), expand("nope:name")
    ('https://schema.org/name', None)
    """
    prefix, sep, local = name.partition(":")
    if not sep or prefix not in PREFIXES or not (local == "" or _LOCAL.match(local)):
        return None
    return PREFIXES[prefix] + local


def short(nt_term: str) -> str:
    """An N-Triples term (or SPARQL path) made readable: IRIs as prefixed names."""
    return re.sub(r"<([^<>\s]*)>", lambda m: prefixed(m.group(1)) or m.group(0), nt_term)


def nt(term: Any) -> str:
    """A pyoxigraph term in N-Triples form ('' for anything else), escaped as pySHACL and
    rdflib write it, so reports read the same whichever engine made them.

    >>> from pyoxigraph import Literal, NamedNode
    >>> nt(NamedNode("http://example.org/a")), nt(Literal("a\\tb", language="en"))
    ('<http://example.org/a>', '"a\\\\tb"@en')
    """
    import pyoxigraph

    if isinstance(term, pyoxigraph.NamedNode):
        return nt_iri(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, pyoxigraph.Literal):
        return nt_literal(term.value, term.language, term.datatype.value)
    return ""


def lexical(term: str) -> str:
    """The lexical form of a literal in N-Triples form (its escapes undone, its language
    or datatype dropped); any other term unchanged.

    >>> lexical('"a \\\\"quoted\\\\" word"@en'), lexical("<http://example.org/a>")
    ('a "quoted" word', '<http://example.org/a>')
    """
    match = _LITERAL.match(term)
    if not match:
        return term
    return _UNESCAPE.sub(_unescaped, match.group(1))


def _unescaped(match: re.Match[str]) -> str:
    code = match.group(1) or match.group(2)
    if code:
        return chr(int(code, 16))
    return _UNESCAPES.get(match.group(3), match.group(3))
