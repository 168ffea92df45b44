"""Seeded generator of synthetic news articles in the knowledge base's own model.

``python benchmarks/generate.py --triples N [--defects K] [--seed S] -o FILE`` writes about
N triples of data (no ontology) in the format of FILE's extension (``.ttl`` or ``.nt``).
The articles and their model (statement nodes with their bases, annotations) are
``benchmarks/synthetic.py``'s.

With ``--defects K`` the generator injects K defects, cycling through every constraint of
``ontology/shapes.ttl`` (see ``benchmarks/defects.py``), spread over the file and never
touching the same triples twice, each producing exactly one validation result (except
where the shapes make that impossible; see ``defects.UNAVOIDABLE``); they are listed in
``FILE.defects.json`` (focus node, path, shape, constraint component, and ``also``). A
``FILE.meta.json`` records the counts and query parameters taken from the data (the
benchmark runner binds the catalogue queries with them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (ROOT, HERE):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from synthetic import Article, build_article, shared_triples  # noqa: E402

from kb.namespaces import ID, PREFIXES  # noqa: E402

if TYPE_CHECKING:
    from defects import Defect

# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------


def ntriples(triples: list[tuple[str, str, str]]) -> str:
    """N-Triples text of ``triples`` (terms already in N-Triples form)."""
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


def write(chunks: Iterator[str], path: Path) -> None:
    """Write N-Triples ``chunks`` to ``path`` as N-Triples or Turtle (by extension)."""
    import pyoxigraph

    suffix = path.suffix.lower()
    data = "".join(chunks).encode("utf-8")
    if suffix == ".nt":
        path.write_bytes(data)
        return
    if suffix not in (".ttl", ".turtle"):
        raise SystemExit(f"{path}: unsupported extension {suffix!r} (use .ttl or .nt)")
    triples = pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_TRIPLES)
    pyoxigraph.serialize(triples, str(path), format=pyoxigraph.RdfFormat.TURTLE, prefixes=PREFIXES)


def article_size(seed: int) -> int:
    """Triples in one synthetic article (they all have the same shape)."""
    return len(build_article(0, seed).triples)


@dataclass
class Generated:
    """The outcome of one generation."""

    articles: list[Article]
    shared: list[tuple[str, str, str]]
    defects: list[Defect]

    @property
    def triples(self) -> int:
        return len(self.shared) + sum(len(a.triples) for a in self.articles)


def generate(
    triples: int, seed: int = 0, defects: int = 0, shapes: Path | None = None
) -> Generated:
    """Build about ``triples`` triples of synthetic articles, with ``defects`` defects."""
    shared = shared_triples()
    per_article = article_size(seed)
    count = max(1, round((triples - len(shared)) / per_article))
    articles = [build_article(index, seed) for index in range(count)]
    injected: list[Defect] = []
    if defects:
        from defects import inject_defects, shape_constraints

        constraints = shape_constraints(shapes or ROOT / "ontology" / "shapes.ttl")
        injected = inject_defects(articles, defects, constraints)
    return Generated(articles, shared, injected)


def query_parameters(generated: Generated) -> dict[str, str]:
    """Catalogue query parameters (IRIs) taken from an undamaged article of the data."""
    damaged = {d.article for d in generated.defects}
    clean = [a for a in generated.articles if a.index not in damaged] or generated.articles
    nodes = clean[len(clean) // 2].nodes
    strip = lambda term: term[1:-1]  # noqa: E731
    return {
        "person": strip(nodes["person.visitor"]),
        "post": strip(nodes["post.minister"]),
        "role": f"{ID}role/syn-ambassador",
        "visit": strip(nodes["visit"]),
        "organization": strip(nodes["org.cluster"]),
        "topic": strip(nodes["topic.2"]),
        "fact": strip(nodes["post.association"]),
        "quotation": strip(nodes["quote.visitor"]),
        "basis": f"{ID}concept/external",
    }


def chunks(generated: Generated) -> Iterator[str]:
    yield ntriples(generated.shared)
    for article in generated.articles:
        yield ntriples(article.triples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, required=True, help="about how many triples")
    parser.add_argument("--defects", type=int, default=0, help="defects to inject (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--shapes", type=Path, default=None, help="shapes file (defects)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="FILE.ttl or FILE.nt")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        generated = generate(args.triples, args.seed, args.defects, args.shapes)
    except ValueError as exc:
        print(f"generate.py: {exc}", file=sys.stderr)
        return 2
    write(chunks(generated), args.output)
    meta = {
        "triples": generated.triples,
        "articles": len(generated.articles),
        "seed": args.seed,
        "defects": len(generated.defects),
        "parameters": query_parameters(generated),
    }
    Path(f"{args.output}.meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    if args.defects:
        listing = [d.as_dict() for d in generated.defects]
        Path(f"{args.output}.defects.json").write_text(json.dumps(listing, indent=2) + "\n")
    seconds = time.perf_counter() - started
    print(f"{args.output}: {generated.triples} triples, {len(generated.articles)} articles, "
          f"{len(generated.defects)} defects, {seconds:.1f} s", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
