"""The model shared by the synthetic generator (``generate.py``) and its defect recipes
(``defects.py``): the namespaces, N-Triples term helpers and one synthetic ``Article``
(its triples as N-Triples terms, its named nodes and its text)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.namespaces import ID, STANDARD_PREFIXES
from kb.terms import nt_literal

RDF = STANDARD_PREFIXES["rdf"]
RDFS = STANDARD_PREFIXES["rdfs"]
XSD = STANDARD_PREFIXES["xsd"]
SCHEMA = STANDARD_PREFIXES["schema"]
ORG = STANDARD_PREFIXES["org"]
PROV = STANDARD_PREFIXES["prov"]
SKOS = STANDARD_PREFIXES["skos"]
OA = STANDARD_PREFIXES["oa"]
DCTERMS = STANDARD_PREFIXES["dcterms"]
SH = STANDARD_PREFIXES["sh"]
TYPE = f"<{RDF}type>"


def iri(namespace: str, local: str = "") -> str:
    """An IRI in N-Triples form."""
    return f"<{namespace}{local}>"


def node(kind: str, slug: str) -> str:
    """An instance IRI (N-Triples form) under the project's ``id/`` namespace."""
    return f"<{ID}{kind}/{slug}>"


def en(text: str) -> str:
    """An English language-tagged literal."""
    return nt_literal(text, "en")


def plain(text: str) -> str:
    """A plain (xsd:string) literal."""
    return nt_literal(text)


@dataclass
class Article:
    """The triples of one synthetic article (N-Triples terms), its named nodes and text.

    The mutators (``add``, ``drop``, ``replace``) record every (subject, predicate) they
    touch, so defects injected into one article can be kept from overlapping.
    """

    index: int
    slug: str
    text: str = ""
    triples: list[tuple[str, str, str]] = field(default_factory=list)
    #: role name in the article -> node (N-Triples form), e.g. "visit", "post.minister";
    #: evidence nodes as "ann:ROLE#N", "target:ROLE#N", "quote:ROLE#N", "position:ROLE#N"
    nodes: dict[str, str] = field(default_factory=dict)
    #: (subject, predicate) pairs changed or relied upon by injected defects
    touched: set[tuple[str, str]] = field(default_factory=set)

    def add(self, s: str, p: str, o: str) -> None:
        self.triples.append((s, p, o))
        self.touched.add((s, p))

    def drop(self, s: str, p: str, o: str | None = None) -> int:
        """Remove the triples ``s p o`` (any ``o`` when None); return how many."""
        before = len(self.triples)
        self.triples = [
            t for t in self.triples if not (t[0] == s and t[1] == p and (o is None or t[2] == o))
        ]
        self.touched.add((s, p))
        return before - len(self.triples)

    def objects(self, s: str, p: str) -> list[str]:
        return [t[2] for t in self.triples if t[0] == s and t[1] == p]

    def replace(self, s: str, p: str, new: str) -> None:
        """Replace every object of ``s p`` with the single object ``new``."""
        if not self.drop(s, p):
            raise KeyError(f"{s} has no {p}")
        self.add(s, p, new)

    def depend(self, s: str, p: str) -> None:
        """Record that a defect relies on ``s p`` staying as generated."""
        self.touched.add((s, p))

    def clone(self) -> Article:
        return Article(
            self.index, self.slug, self.text, list(self.triples), dict(self.nodes), set()
        )
