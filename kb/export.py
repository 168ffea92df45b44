"""Deterministic serialisation of a graph (same bytes on every run); the atomic writer it
used to hold lives in ``kb.files`` (still importable from here).

Order: the graph is written as N-Triples (dumped from a pyoxigraph store, or parsed
straight from the files when nothing needs a store), blank nodes are given canonical
(RDFC-1.0) labels, and the lines are sorted bytewise, each triple once; every other format is
serialised from that sorted stream, so Turtle groups triples by subject, subjects sorted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

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
    if b"_:" in nt:
        nt = _canonical_blank_nodes(nt)
    lines = nt.splitlines(keepends=True)
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


def _canonical_blank_nodes(nt: bytes) -> bytes:
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
    prefixes = PREFIXES if fmt in PREFIXED_FORMATS else None
    return pyoxigraph.serialize(triples, format=rdf_format, prefixes=prefixes)
