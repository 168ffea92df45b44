"""Canonical blank-node labels for N-Triples, in time near-linear in the triples written.

The labels are RDFC-1.0's whenever every blank node has its own first-degree hash (its
triples, itself written ``_:a`` and other blank nodes ``_:z``): the usual case, and the
bytes the export wrote before. Where first-degree hashes tie (a list of equal items,
nested ``[ ... ]`` of one shape), RDFC-1.0's n-degree hashing explores paths between the
tied nodes and costs exponential time (400 list items: 12 s), so the ties are split
instead by colour refinement: a tied node's colour is re-hashed with its neighbours'
colours, only where a neighbour's colour has just changed, until nothing splits; a class
still tied then has one member singled out (the first to appear in the input) and the
refinement goes on. Colour refinement tells apart every pair of blank nodes that a
symmetry of the graph does not swap when they form trees (lists, nested blank nodes,
collections of them), so there the labels depend on the graph only, whatever the input's
labels and order; for blank nodes that only a cycle among them makes alike, the input's
order chooses.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator

_ME = b"_:a"
_OTHER = b"_:z"
#: refinement work (colours hashed) of the last ``relabel`` call, for tests of its growth
last_work = 0


class Unsupported(Exception):
    """The N-Triples hold a blank node inside an RDF 1.2 triple term."""


def relabel(lines: list[bytes]) -> list[bytes]:
    """``lines`` (N-Triples as pyoxigraph writes them: ``S P O .``, single spaces, no end
    of line, each once) with blank nodes canonically labelled ``_:c14nN``; lines without a
    blank node are returned as they are."""
    with _collector_paused():
        return _relabel(lines)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused: the labelling makes millions of lists
    and tuples, none of them in a cycle, and each full collection walks every one alive
    (on a blank-node-heavy file of 1M triples, 8 of the labelling's 24 CPU seconds, a
    share that grows with the file)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _relabel(lines: list[bytes]) -> list[bytes]:
    global last_work
    last_work = 0
    nodes: dict[bytes, int] = {}
    mentions: list[list[tuple[bytes, bytes, bytes]]] = []
    edges: list[list[tuple[bytes, int]]] = []
    found: list[tuple[int, bytes, bytes, bytes]] = []
    for index, line in enumerate(lines):
        if b"_:" not in line:
            continue
        # neither a blank node label nor an IRI holds a space
        subject, predicate, obj = line.split(b" ", 2)
        obj = obj[:-2]
        ends = []
        if subject[:2] == b"_:":
            ends.append(subject)
        if obj[:2] == b"_:":
            if obj != subject:
                ends.append(obj)
        elif obj[:2] == b"<<" and b"_:" in obj:
            raise Unsupported("a blank node inside a triple term")
        if not ends:
            continue
        found.append((index, subject, predicate, obj))
        ids = []
        for term in ends:
            node = nodes.get(term)
            if node is None:
                node = nodes[term] = len(mentions)
                mentions.append([])
                edges.append([])
            mentions[node].append((subject, predicate, obj))
            ids.append(node)
        if len(ids) == 2:
            edges[ids[0]].append((b">" + predicate, ids[1]))
            edges[ids[1]].append((b"<" + predicate, ids[0]))
        elif subject == obj:
            edges[ids[0]].append((b"=" + predicate, ids[0]))
    if not nodes:
        return lines
    labels = list(nodes)
    colours = [_first_degree(labels[n], mentions[n]) for n in range(len(labels))]
    if len(set(colours)) < len(colours):
        colours = _refined(colours, edges)
    order = sorted(range(len(labels)), key=colours.__getitem__)
    canonical = {labels[n]: b"_:c14n%d" % rank for rank, n in enumerate(order)}
    out = list(lines)
    for index, subject, predicate, obj in found:
        out[index] = b"%s %s %s ." % (
            canonical.get(subject, subject),
            predicate,
            canonical.get(obj, obj),
        )
    return out


def _first_degree(label: bytes, triples: list[tuple[bytes, bytes, bytes]]) -> bytes:
    """RDFC-1.0's first-degree hash of the blank node ``label``: its triples as N-Quads
    lines, itself written ``_:a`` and any other blank node ``_:z``, sorted."""
    quads = []
    for subject, predicate, obj in triples:
        if subject[:2] == b"_:":
            subject = _ME if subject == label else _OTHER
        if obj[:2] == b"_:":
            obj = _ME if obj == label else _OTHER
        quads.append(b"%s %s %s .\n" % (subject, predicate, obj))
    quads.sort()
    return hashlib.sha256(b"".join(quads)).hexdigest().encode()


def _refined(colours: list[bytes], edges: list[list[tuple[bytes, int]]]) -> list[bytes]:
    """Split ``colours`` until every node has its own (see the module's docstring)."""
    global last_work
    classes = _Classes(colours)
    work = [node for colour in classes.tied for node in sorted(classes.members[colour])]
    # every colour given is new (it names its step), so classes only ever split
    step = 0
    while True:
        while work:
            step += 1
            changed = _refine_once(classes, edges, work, b"%d" % step)
            last_work += len(work)
            work = _tied_neighbours(changed, classes, edges)
        colour = classes.first_tied()
        if colour is None:
            return classes.colours
        step += 1
        node = classes.first_member(colour)
        classes.recolour([node], _hash(colour, b"single", b"%d" % step))
        work = _tied_neighbours([node], classes, edges)


class _Classes:
    """Nodes grouped by colour; the colours two or more nodes share, smallest first; and,
    per colour, its nodes by first appearance (heaps kept lazily: stale entries skipped)."""

    def __init__(self, colours: list[bytes]) -> None:
        self.colours = list(colours)
        self.members: dict[bytes, set[int]] = defaultdict(set)
        for node, colour in enumerate(colours):
            self.members[colour].add(node)
        self.tied = sorted(c for c, nodes in self.members.items() if len(nodes) > 1)
        self.queue = {c: sorted(self.members[c]) for c in self.tied}

    def size(self, node: int) -> int:
        return len(self.members[self.colours[node]])

    def recolour(self, nodes: Iterable[int], colour: bytes) -> None:
        new = self.members[colour]
        for node in nodes:
            self.members[self.colours[node]].discard(node)
            self.colours[node] = colour
            new.add(node)
        if len(new) > 1:
            heapq.heappush(self.tied, colour)
            self.queue[colour] = sorted(new)

    def first_tied(self) -> bytes | None:
        """The smallest colour that two or more nodes still share, or None."""
        while self.tied and len(self.members[self.tied[0]]) < 2:
            heapq.heappop(self.tied)
        return self.tied[0] if self.tied else None

    def first_member(self, colour: bytes) -> int:
        """The node of ``colour`` that appeared first in the input."""
        queue = self.queue[colour]
        while self.colours[queue[0]] != colour:
            heapq.heappop(queue)
        return queue[0]


def _hash(*parts: bytes) -> bytes:
    return hashlib.blake2b(b"\x00".join(parts), digest_size=20).digest()


def _refine_once(
    classes: _Classes, edges: list[list[tuple[bytes, int]]], work: list[int], step: bytes
) -> list[int]:
    """Re-hash the colours of ``work`` from their neighbours' (all read before any is
    written). Where a class splits, its largest part keeps the colour (Hopcroft's rule: a
    node changes colour only into a part at most half its class, so O(log n) times) and
    the other parts take new ones. Returns the nodes whose colour changed."""
    colours = classes.colours
    signatures = {
        node: _hash(colours[node], *sorted(p + colours[n] for p, n in edges[node])) for node in work
    }
    by_class: dict[bytes, dict[bytes, list[int]]] = defaultdict(lambda: defaultdict(list))
    for node, signature in signatures.items():
        by_class[colours[node]][signature].append(node)
    changed: list[int] = []
    for colour, parts in sorted(by_class.items()):
        rest = len(classes.members[colour]) - sum(len(nodes) for nodes in parts.values())
        if rest == 0 and len(parts) == 1:
            continue
        # the part that keeps the colour: the largest; on a tie, the nodes not re-hashed,
        # then the smallest signature (all invariant under renaming the blank nodes)
        keeper = min(parts, key=lambda sig: (-len(parts[sig]), sig))
        if rest >= len(parts[keeper]):
            keeper = b""
        if keeper:
            untouched = classes.members[colour] - set(signatures)
            if untouched:
                classes.recolour(sorted(untouched), _hash(colour, b"rest", step))
                changed.extend(untouched)
        for signature, nodes in sorted(parts.items()):
            if signature != keeper:
                classes.recolour(nodes, _hash(signature, step))
                changed.extend(nodes)
    return changed


def _tied_neighbours(
    nodes: Iterable[int], classes: _Classes, edges: list[list[tuple[bytes, int]]]
) -> list[int]:
    """The neighbours of ``nodes`` that still share their colour (a lone colour cannot
    split), each once, in first-appearance order."""
    return sorted({n for node in nodes for _, n in edges[node] if classes.size(n) > 1})
