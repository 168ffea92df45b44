"""The closure made beside the engine (``kb.shacl.engine.Pending``,
``kb.published.published_unclosed``): the report is the one of the closed graph; the
shapes the write cannot change run while it is made, the others only after it."""

from __future__ import annotations

import threading
import time

import pyoxigraph as ox
import pytest

from kb.published import published_store, published_unclosed
from kb.resources import default_layout
from kb.shacl import Addition, Pending, validate_store
from kb.shacl.engine import StoreSource, validate_compiled
from kb.store import load_files
from tests.helpers import REPO, results_key

EX = "http://example.org/"
SHAPES = f"""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <{EX}> .
ex:Plain sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .
ex:Added sh:targetClass ex:C ; sh:property [ sh:path ex:added ; sh:minCount 1 ] .
"""
DATA = f"<{EX}a> a <{EX}C> ; <{EX}p> 1 ."


class Recording(StoreSource):
    """A store that notes, for each query, whether the write was being made then."""

    def __init__(self, store: ox.Store) -> None:
        super().__init__(store)
        self.writing = False
        self.during: list[str] = []
        self.plain_seen = threading.Event()
        self.added_seen = threading.Event()

    def select(self, text: str, this: object = None) -> list:  # type: ignore[override]
        if self.writing:
            self.during.append(text)
            if f"<{EX}added>" in text:
                self.added_seen.set()
            elif f"<{EX}p>" in text:
                self.plain_seen.set()
        return super().select(text, this)


def recorded_run(workers: int = 2) -> tuple[Recording, object]:
    store = ox.Store()
    store.load(DATA, format=ox.RdfFormat.TURTLE)
    shapes = ox.Store()
    shapes.load(SHAPES, format=ox.RdfFormat.TURTLE)
    source = Recording(store)

    def write() -> None:
        source.writing = True
        if workers > 1:  # the shape it cannot change runs meanwhile...
            assert source.plain_seen.wait(10)
            source.added_seen.wait(1)  # ...and, were it let through, the other one
        store.add(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "added"), ox.Literal("1")))
        source.writing = False

    pending = Pending(write, Addition(frozenset({EX + "added"}), subclass_types=False))
    return source, validate_compiled(source, shapes, pending=pending, workers=workers)


def test_the_shapes_the_write_cannot_change_run_during_it_and_only_those() -> None:
    source, report = recorded_run()
    assert source.plain_seen.is_set()
    assert not source.added_seen.is_set()
    assert report.conforms and not report.results  # ex:Added saw the write's triple


def test_with_one_worker_the_write_comes_first() -> None:
    source, report = recorded_run(workers=1)
    assert source.during == []
    assert report.conforms


def test_a_failing_write_fails_the_validation_and_leaves_no_thread() -> None:
    shapes = load_files([default_layout().shapes])
    store = published_store(default_layout())
    before = threading.active_count()

    def write() -> None:
        time.sleep(0.05)
        raise OSError("the write failed")

    pending = Pending(write, Addition(frozenset(), subclass_types=False))
    with pytest.raises(OSError, match="the write failed"):
        validate_compiled(store, shapes, pending=pending)
    assert threading.active_count() == before


def test_the_unclosed_graph_closed_is_the_published_graph_and_validates_the_same() -> None:
    layout = default_layout()
    files = [*layout.data_files, REPO / "tests" / "fixtures" / "bad-person.ttl"]
    shapes = load_files([layout.shapes])
    published = published_store(layout, files)
    unclosed = published_unclosed(layout, files)
    assert len(unclosed.store) < len(published)
    addition = Addition(unclosed.predicates, unclosed.subclass_types)
    report = validate_store(unclosed.store, shapes, pending=Pending(unclosed.close, addition))
    assert set(unclosed.store) == set(published)
    expected = validate_store(published, shapes)
    assert report.results and results_key(report.results) == results_key(expected.results)


def test_an_ontology_its_own_closure_adds_to_comes_closed(tmp_path) -> None:
    """Adding the ontology before the closure gives the same graph only when the closure
    of the ontology's own triples adds nothing: otherwise the closure comes first."""
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f"<{EX}sub> rdfs:subPropertyOf <{EX}super> .\n<{EX}x> <{EX}sub> <{EX}y> .\n"
    )
    layout = default_layout()
    layout = type(layout)(layout.root, (extra,))
    unclosed = published_unclosed(layout)
    assert unclosed.predicates == frozenset() and not unclosed.subclass_types
    closed = set(unclosed.store)
    unclosed.close()
    assert set(unclosed.store) == closed == set(published_store(layout))
    inferred = ox.Quad(ox.NamedNode(EX + "x"), ox.NamedNode(EX + "super"), ox.NamedNode(EX + "y"))
    assert inferred not in closed  # the ontology's own triples are not closed
