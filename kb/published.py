"""The published graph: data + ontology + the closure of ``kb.entail``, built once per
command in a pyoxigraph store, and handed to library users as an ``rdflib.Graph``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kb.entail import Schema, add_closure, entailed_predicates
from kb.profile import Profile, maybe_phase
from kb.resources import Layout
from kb.store import Progress, load_files

if TYPE_CHECKING:
    import pyoxigraph
    import rdflib

Inference = Literal["none", "rdfs"]


def build_store(
    layout: Layout,
    data_files: Sequence[str | Path] | None = None,
    inference: Inference = "rdfs",
    with_ontology: bool = True,
    progress: Progress | None = None,
    profile: Profile | None = None,
) -> pyoxigraph.Store:
    """Load the data (the layout's, or exactly ``data_files``), then optionally close it
    under the ontology's schema and add the ontology itself. Each file is parsed once;
    ``progress`` hears how far the loading of a large file has got; ``profile`` records
    each step's time."""
    files = list(data_files) if data_files else layout.require().data_files
    with maybe_phase(profile, "parse and load the data"):
        store = load_files(files, progress=progress)
    if inference == "none" and not with_ontology:
        return store
    with maybe_phase(profile, "parse the ontology"):
        ontology = load_files(layout.require().ontology_files)
    if inference == "rdfs":
        with maybe_phase(profile, "closure (kb.entail)"):
            add_closure(store, Schema.from_store(ontology))
    if with_ontology:
        with maybe_phase(profile, "add the ontology"):
            store.bulk_extend(ontology)
    return store


def published_store(
    layout: Layout,
    data_files: Sequence[str | Path] | None = None,
    progress: Progress | None = None,
    profile: Profile | None = None,
) -> pyoxigraph.Store:
    """The published graph (data + ontology + closure) in a pyoxigraph store."""
    return build_store(layout, data_files, "rdfs", True, progress, profile)


@dataclass(frozen=True)
class Unclosed:
    """The published graph but for its closure: the data and the ontology in ``store``;
    ``close()`` adds the closure, triples whose predicates are among ``predicates`` and
    (when ``subclass_types``) rdf:type triples entailed by the ontology's
    rdfs:subClassOf, which ``store`` holds already. For a reader that starts on what the
    closure cannot change (``kb validate``'s engine) while it is being added."""

    store: pyoxigraph.Store
    close: Callable[[], None]
    predicates: frozenset[str]
    subclass_types: bool


def published_unclosed(
    layout: Layout,
    data_files: Sequence[str | Path] | None = None,
    progress: Progress | None = None,
    profile: Profile | None = None,
) -> Unclosed:
    """The published graph, its closure still to be added (``Unclosed.close``): the
    graph once closed is ``published_store``'s. The ontology goes in first, which gives
    the same graph only when the closure of the ontology's own triples adds nothing (each
    rule of the closure has one premise): otherwise the store comes closed already."""
    import pyoxigraph

    with maybe_phase(profile, "parse and load the data"):
        store = load_files(
            list(data_files) if data_files else layout.require().data_files, progress=progress
        )
    with maybe_phase(profile, "parse the ontology"):
        ontology = load_files(layout.require().ontology_files)
    schema = Schema.from_store(ontology)
    alone = pyoxigraph.Store()
    alone.bulk_extend(ontology)
    add_closure(alone, schema)
    if len(alone) != len(ontology):
        with maybe_phase(profile, "closure (kb.entail)"):
            add_closure(store, schema)
        store.bulk_extend(ontology)
        return Unclosed(store, lambda: None, frozenset(), False)
    with maybe_phase(profile, "add the ontology"):
        store.bulk_extend(ontology)

    def close() -> None:
        with maybe_phase(profile, "closure (kb.entail)", within=True):
            add_closure(store, schema)

    return Unclosed(store, close, entailed_predicates(schema), bool(schema.superclasses))


def published_parts(
    layout: Layout,
    data_files: Sequence[str | Path] | None = None,
    progress: Progress | None = None,
) -> tuple[pyoxigraph.Store, pyoxigraph.Store, pyoxigraph.Store]:
    """(the data as given, the ontology, the published graph), each file parsed once: for
    a reader that tells stated triples from those the closure added (``kb serve``). The
    data is kept as a second copy, so this takes twice the memory of ``published_store``."""
    import pyoxigraph

    files = list(data_files) if data_files else layout.require().data_files
    data = load_files(files, progress=progress)
    ontology = load_files(layout.require().ontology_files)
    published = pyoxigraph.Store()
    published.bulk_extend(data)
    add_closure(published, Schema.from_store(ontology))
    published.bulk_extend(ontology)
    return data, ontology, published


def to_rdflib(store: pyoxigraph.Store) -> rdflib.Graph:
    """Copy the default graph of ``store`` into a new ``rdflib.Graph``."""
    from kb.shacl.graph import to_rdflib_graph

    return to_rdflib_graph(store)


def published_graph(
    layout: Layout | None = None, data_files: Sequence[str | Path] | None = None
) -> rdflib.Graph:
    """The published graph as an ``rdflib.Graph`` (the API for library users)."""
    from kb.namespaces import PREFIXES
    from kb.resources import default_layout

    graph = to_rdflib(published_store(layout or default_layout(), data_files))
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph
