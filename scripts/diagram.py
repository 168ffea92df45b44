"""Draw the ontology's main classes and their links as Graphviz DOT (and SVG/PNG).

Usage: python scripts/diagram.py [-o docs/ontology.svg]
Nodes are the classes of our namespace and the standard classes they specialise; edges
are rdfs:subClassOf (hollow arrows), our object properties from domain to range (dashed),
and the standard properties the bundled data uses between instances of two classes (solid,
grey; Web Annotation and SKOS bookkeeping, prov:wasDerivedFrom, schema:about and
schema:appearance left out), so the picture shows how a post, a
visit or a quotation links to persons, organisations and places.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.namespaces import KB  # noqa: E402
from kb.resources import default_layout  # noqa: E402
from kb.store import load_files  # noqa: E402
from kb.terms import prefixed  # noqa: E402

QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT ?kind ?a ?label ?b WHERE {
  { ?a rdfs:subClassOf ?b . BIND("sub" AS ?kind) BIND("" AS ?label)
    FILTER(STRSTARTS(STR(?a), "%(kb)s")) }
  UNION
  { ?p a owl:ObjectProperty ; rdfs:domain ?a ; rdfs:range ?b . BIND("prop" AS ?kind)
    BIND(?p AS ?label) FILTER(STRSTARTS(STR(?p), "%(kb)s")) }
  FILTER(isIRI(?a) && isIRI(?b))
} ORDER BY ?kind ?a ?b ?label
"""


USAGE_QUERY = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT DISTINCT ?a ?label ?b WHERE {
  ?s ?label ?o . ?s rdf:type ?a . ?o rdf:type ?b .
  FILTER(?label != rdf:type)
  FILTER(!STRSTARTS(STR(?label), "%(kb)s"))
  FILTER(!STRSTARTS(STR(?label), "http://www.w3.org/ns/oa#"))
  FILTER(!STRSTARTS(STR(?label), "http://www.w3.org/2004/02/skos/core#"))
  FILTER(!STRSTARTS(STR(?b), "http://www.w3.org/ns/oa#"))
  # every fact links to the article and to what it is about: left out to keep it legible
  FILTER(?label NOT IN (<http://www.w3.org/ns/prov#wasDerivedFrom>, <https://schema.org/about>,
                        <https://schema.org/appearance>))
} ORDER BY ?a ?b ?label
"""


def _name(iri: str) -> str:
    return prefixed(iri) or iri


def dot_source() -> str:
    """The DOT text of the diagram (sorted, so it is stable)."""
    store = load_files([default_layout().ontology])
    lines = [
        "digraph ontology {",
        '  rankdir=BT; node [shape=box, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for row in store.query(QUERY % {"kb": KB}):
        a, b = _name(row["a"].value), _name(row["b"].value)
        if row["kind"].value == "sub":
            lines.append(f'  "{a}" -> "{b}" [arrowhead=empty];')
        else:
            label = _name(row["label"].value)
            lines.append(f'  "{a}" -> "{b}" [label="{label}", style=dashed];')
    data = load_files(default_layout().data_files)
    for row in data.query(USAGE_QUERY % {"kb": KB}):
        a, b, label = (_name(row[v].value) for v in ("a", "b", "label"))
        lines.append(f'  "{a}" -> "{b}" [label="{label}", color=gray40, fontcolor=gray30];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "ontology.svg")
    args = parser.parse_args()
    source = dot_source()
    args.output.with_suffix(".dot").write_text(source, encoding="utf-8")
    fmt = args.output.suffix.lstrip(".") or "svg"
    subprocess.run(["dot", f"-T{fmt}", "-o", str(args.output)], input=source.encode(), check=True)


if __name__ == "__main__":
    main()
