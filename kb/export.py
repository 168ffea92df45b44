"""Deterministic serialisation of a graph (same bytes on every run); the atomic writer it
used to hold lives in ``kb.files`` (still importable from here).

Order: the graph is written as N-Triples (dumped from a pyoxigraph store, or parsed
straight from the files when nothing needs a store), blank nodes are given canonical
labels (``kb.canonical``: RDFC-1.0's where that is cheap, colour refinement where it is
not, so the cost stays near-linear whatever their shape), and the lines are sorted
bytewise, each triple once; every other format is serialised from that sorted stream, so
Turtle groups triples by subject, subjects sorted. RDF/XML that XML 1.0 cannot carry is
refused (InputError) before anything is written.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kb.canonical import Unsupported, relabel
from kb.errors import InputError
from kb.files import write_atomic  # noqa: F401 (kept importable from here)
from kb.formats import EXPORT_FORMATS, rdf_format
from kb.interrupts import Terminated  # noqa: F401 (kept importable from here)
from kb.namespaces import PREFIXES

if TYPE_CHECKING:
    import pyoxigraph

    from kb.published import Inference
    from kb.resources import Layout

#: export format name -> pyoxigraph RdfFormat attribute
FORMATS: dict[str, str] = {name: rdf_format(name).oxigraph_name for name in EXPORT_FORMATS}
PREFIXED_FORMATS = {name for name in EXPORT_FORMATS if rdf_format(name).prefixed}


def sorted_ntriples(store: pyoxigraph.Store) -> bytes:
    """The default graph as N-Triples, blank nodes canonically labelled, lines sorted."""
    import pyoxigraph

    nt = store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph())
    return sorted_unique(nt)


def sorted_unique(nt: bytes) -> bytes:
    """N-Triples ``nt`` with blank nodes canonically labelled and its lines sorted, each
    triple once."""
    if b"_:" not in nt:
        return _sorted_once(nt.splitlines(keepends=True))
    lines = list(dict.fromkeys(nt.splitlines()))  # first-appearance order kept for ties
    try:
        return _sorted_once([line + b"\n" for line in relabel(lines)])
    except Unsupported:
        return _sorted_once(_rdfc_blank_nodes(nt).splitlines(keepends=True))


def _sorted_once(lines: list[bytes]) -> bytes:
    lines.sort()
    return b"".join(_adjacent_once(lines))


def _adjacent_once(lines: list[bytes]) -> Iterator[bytes]:
    previous = None
    for line in lines:
        if line != previous:
            yield line
        previous = line


def graph_ntriples(
    layout: Layout,
    data_files: Sequence[str | Path] | None = None,
    inference: Inference = "none",
    with_ontology: bool = False,
) -> bytes:
    """What ``kb export`` writes, as sorted N-Triples (see ``build_store`` for the options).

    With neither inference nor the ontology no store is needed: each file is parsed
    straight into N-Triples (2.7 s a million triples here, against 7.7 s through a store),
    which also keeps every literal as written."""
    if inference == "none" and not with_ontology:
        from kb.store import file_ntriples

        files = list(data_files) if data_files else layout.require().data_files
        return sorted_unique(b"".join(file_ntriples(path) for path in files))
    from kb.published import build_store

    return sorted_ntriples(build_store(layout, data_files, inference, with_ontology))


def _rdfc_blank_nodes(nt: bytes) -> bytes:
    """pyoxigraph's RDFC-1.0 (exponential in the worst case): only for blank nodes inside
    RDF 1.2 triple terms, which ``kb.canonical`` does not read."""
    import pyoxigraph

    dataset = pyoxigraph.Dataset(pyoxigraph.parse(nt, format=pyoxigraph.RdfFormat.N_TRIPLES))
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0)
    return pyoxigraph.serialize(dataset, format=pyoxigraph.RdfFormat.N_QUADS)


def _prefix_header(prefixes: dict[str, str]) -> bytes:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items()).encode()


def _strip_prefix_lines(data: bytes, count: int) -> bytes:
    """Drop the serializer's own ``@prefix`` lines (its order is not ours)."""
    lines = data.split(b"\n", count)
    if len(lines) <= count or not all(x.startswith(b"@prefix ") for x in lines[:count]):
        return data
    return lines[count]


def serialize(store: pyoxigraph.Store, fmt: str = "turtle") -> bytes:
    """The store's default graph in ``fmt`` (see FORMATS), byte-for-byte reproducible."""
    check_format(fmt)
    return serialize_sorted(sorted_ntriples(store), fmt)


def check_format(fmt: str) -> None:
    """InputError unless ``fmt`` is an export format (see FORMATS)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")


def serialize_sorted(nt: bytes, fmt: str = "turtle") -> bytes:
    """Sorted N-Triples ``nt`` (from ``sorted_ntriples``) in ``fmt``, in the same order."""
    import pyoxigraph

    check_format(fmt)
    if fmt in ("nt", "nq"):
        return nt
    rdf_format = getattr(pyoxigraph.RdfFormat, FORMATS[fmt])
    # Our own dump, valid already: parsed leniently (3x faster; no IRI re-validation), and
    # the default-graph quads go to the serializer as they are (no Python Triple objects).
    triples = pyoxigraph.parse(nt, format=pyoxigraph.RdfFormat.N_TRIPLES, lenient=True)
    if fmt in ("turtle", "trig"):
        body = pyoxigraph.serialize(triples, format=rdf_format, prefixes=PREFIXES)
        return _prefix_header(PREFIXES) + b"\n" + _strip_prefix_lines(body, len(PREFIXES))
    if fmt == "xml":
        return _rdf_xml(triples, nt)
    prefixes = PREFIXES if fmt in PREFIXED_FORMATS else None
    return pyoxigraph.serialize(triples, format=rdf_format, prefixes=prefixes)


# pyoxigraph writes an IRI it cannot split into namespace + XML name as a name with an
# empty local part: ``oxprefix:`` (with ``xmlns:oxprefix="IRI"``), or ``P:`` where P is a
# declared prefix whose namespace is the whole IRI; neither is XML.
_EMPTY_LOCAL = rb'<([A-Za-z_][\w.-]*):(?: xmlns:oxprefix="([^"]*)")?'
#: a node element so named (a type with no XML name): rdf:Description + rdf:type instead
_TYPED_NODE = re.compile(rb"^\t" + _EMPTY_LOCAL + rb" ([^>]*?)(/?)>$", re.MULTILINE)
_TYPED_NODE_END = re.compile(rb"^\t</[A-Za-z_][\w.-]*:>$", re.MULTILINE)
_PROPERTY = re.compile(rb"^\t\t" + _EMPTY_LOCAL + rb"[ />]", re.MULTILINE)
#: characters XML 1.0 cannot carry, not even as a character reference
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_XML_UTF8 = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: RDF/XML's own syntax names, which it cannot use as a property
_RESERVED = {
    f"<{RDF}{name}>".encode()
    for name in (
        *("RDF", "ID", "about", "parseType", "resource", "nodeID", "datatype", "li"),
        *("Description", "aboutEach", "aboutEachPrefix", "bagID"),
    )
}
_XML_ADVICE = "choose --format turtle, nt or jsonld"


def _rdf_xml(triples: Iterable[pyoxigraph.Triple], nt: bytes) -> bytes:
    """RDF/XML that an XML 1.0 parser reads back as the same graph, or InputError naming
    the term that RDF/XML cannot hold."""
    import pyoxigraph

    try:
        data = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.RDF_XML, prefixes=PREFIXES)
    except OSError:  # a property named by RDF/XML's own syntax (rdf:li, rdf:about, ...)
        reserved = sorted(_predicates(nt) & _RESERVED)
        if not reserved:
            raise
        name = reserved[0].decode()
        raise InputError(
            f"RDF/XML cannot hold the predicate {name} (a name of its own syntax); {_XML_ADVICE}"
        ) from None
    if re.search(rb":[ />]", data):
        data = _TYPED_NODE.sub(_described, data)
        data = _TYPED_NODE_END.sub(b"\t</rdf:Description>", data)
        unnamed = _PROPERTY.search(data)
        if unnamed:
            iri = html.unescape(_unnamed_iri(unnamed).decode())
            raise InputError(
                f"RDF/XML cannot hold the predicate <{iri}> (it does not end in an XML name,"
                f" as ex:p1 does); {_XML_ADVICE}"
            )
    if _NOT_XML_UTF8.search(data):
        raise InputError(f"RDF/XML cannot hold {_first_non_xml_literal(nt)}; {_XML_ADVICE}")
    # a raw carriage return would be read back as a line feed (XML end-of-line handling)
    return data.replace(b"\r", b"&#13;")


def _unnamed_iri(match: re.Match[bytes]) -> bytes:
    """The IRI behind a name with an empty local part (see ``_EMPTY_LOCAL``)."""
    if match.group(2) is not None:
        return match.group(2)
    return html.escape(PREFIXES[match.group(1).decode()]).encode()


def _described(match: re.Match[bytes]) -> bytes:
    """A typed node element with no XML name, as rdf:Description with its rdf:type."""
    iri, attributes, empty = _unnamed_iri(match), match.group(3), match.group(4)
    head = b'\t<rdf:Description %s>\n\t\t<rdf:type rdf:resource="%s"/>' % (attributes, iri)
    return head + b"\n\t</rdf:Description>" if empty else head


def _predicates(nt: bytes) -> set[bytes]:
    return {line.split(b" ", 2)[1] for line in nt.splitlines()}


def _first_non_xml_literal(nt: bytes) -> str:
    """Names the first literal of ``nt`` holding a character XML 1.0 cannot carry."""
    import pyoxigraph

    for triple in pyoxigraph.parse(nt, format=pyoxigraph.RdfFormat.N_TRIPLES):
        found = _NOT_XML.search(getattr(triple.object, "value", ""))
        if isinstance(triple.object, pyoxigraph.Literal) and found:
            shown = str(triple.object)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            return (
                f"the literal {shown} (object of {triple.subject} {triple.predicate}): "
                f"XML 1.0 does not allow U+{ord(found.group()):04X}"
            )
    return "a character that XML 1.0 does not allow"
