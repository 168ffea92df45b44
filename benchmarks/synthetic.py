"""The synthetic news articles of the benchmarks, in the knowledge base's own model.

Each synthetic article mirrors ``data/kb.ttl``: places, persons, organisations with their
countries, posts (``org:heldBy`` / ``org:postIn``), a visit with its meetings, the series
and project it belongs to, topics, aims, quotations and claims; the article node carries
the generated text in ``schema:text``. As in ``data/evidence.ttl``, every fact triple has
one statement node (``rdf:Statement`` with a ``kb:basis``); a stated or implied one has
``oa:Annotation``s (body: the statement) whose ``oa:TextQuoteSelector`` words and
``oa:TextPositionSelector`` offsets (code points, end exclusive) are exact slices of that
text, the others a ``skos:editorialNote``.

IRIs live under the project's base (``kb.namespaces``) with a synthetic slug scheme,
``{ID}{kind}/syn{seed}-{article:06d}-{name}``, that never collides with the bundled data.
``generate.py`` writes these articles; ``defects.py`` damages them.
"""

from __future__ import annotations

import hashlib
import random
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kb.namespaces import ID, KB, STANDARD_PREFIXES  # noqa: E402
from kb.statements import is_fact_predicate, is_fact_subject  # noqa: E402
from kb.terms import nt_literal  # noqa: E402

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
BASIS = f"<{KB}basis>"
HAS_BODY = f"<{OA}hasBody>"
DEFECT_NOTE = "Added by an injected defect."
IMPLIED_NOTE = "Synthetic: the article implies where the organisation is, without saying it."
EXTERNAL_NOTE = "Synthetic: the kind of the association is outside knowledge."
EDITORIAL_NOTE = "Synthetic: a name we wrote; the article gives none."
SHARED_NOTE = "Synthetic: shared vocabulary of the synthetic articles."
EXTERNAL_SOURCE = "<https://example.org/registry>"

#: Context kept around repeated words in a TextQuoteSelector (as scripts/build_evidence.py).
CONTEXT = 32

FIRST_NAMES = (
    "Anna", "Marco", "Giulia", "Luca", "Sofia", "Matteo", "Chiara", "Paolo", "Elena", "Omar",
    "Fatima", "Yusuf", "Layla", "Hassan", "Noor", "Karim", "Ingrid", "Lars", "Maja", "Jonas",
    "Zoé", "José", "Łukasz", "Ana", "Björn", "Amélie", "Tomás", "Saoirse", "Mei", "Hiroshi",
    "Aiko", "Ravi", "Priya", "Chen", "Dmitri", "Olga", "Kwame", "Amara", "Nadia", "Felipe",
)  # fmt: skip
LAST_NAMES = (
    "Rossi", "Bianchi", "Conti", "Ferrari", "Esposito", "Al-Mutairi", "Al-Rashid", "Haddad",
    "Nassar", "Lindqvist", "Berg", "Müller", "Schäfer", "Novák", "Kowalski", "García", "Núñez",
    "O'Brien", "Dubois", "Lefèvre", "Tanaka", "Sato", "Sharma", "Iyer", "Wang", "Li", "Petrov",
    "Ivanova", "Mensah", "Okafor", "Silva", "Costa", "Jensen", "Virtanen", "Kaya", "Demir",
)  # fmt: skip
COUNTRIES = (
    "Italy", "Kuwait", "Qatar", "Oman", "Bahrain", "Jordan", "Egypt", "Morocco", "Tunisia",
    "France", "Spain", "Portugal", "Germany", "Austria", "Sweden", "Norway", "Finland",
    "Denmark", "Poland", "Czechia", "Greece", "Türkiye", "Japan", "Korea", "India", "Brazil",
    "Chile", "Peru", "Ghana", "Kenya", "Nigeria", "Canada", "Mexico", "Ireland", "Belgium",
)  # fmt: skip
REGIONS = (
    ("Gulf", "Gulf"), ("Nordic", "Nordic"), ("Mediterranean", "Mediterranean"),
    ("Baltic", "Baltic"), ("Andean", "Andean"), ("Sahel", "Sahel"), ("Balkan", "Balkan"),
    ("Levant", "Levantine"), ("Iberian", "Iberian"), ("Alpine", "Alpine"),
)  # fmt: skip
CLUSTER_STEMS = (
    "Alisei", "Helix", "Nucleo", "Vita", "Aurora", "Orbis", "Meridian", "Kairos", "Lumen",
    "Sirius", "Tessera", "Ardea", "Borealis", "Corvus", "Delta", "Ember", "Fulcrum", "Gaia",
)  # fmt: skip
SECTORS = (
    "Medical Devices", "Biotech", "Diagnostics", "Pharmaceuticals", "Digital Health",
    "Genomics", "Clinical Research", "Bioinformatics", "Nutraceuticals", "Medical Imaging",
)  # fmt: skip
TOPICS = (
    "research and innovation of the Life Sciences system", "technology transfer",
    "clinical trials", "medical device regulation", "vaccine production", "genomic medicine",
    "digital health records", "hospital procurement", "biotech start-ups", "rare diseases",
    "antimicrobial resistance", "precision oncology", "telemedicine", "health data sharing",
    "pharmaceutical supply chains", "academic spin-offs", "public-private partnerships",
)  # fmt: skip
AIMS = (
    "resuming a dialogue created in past decades", "open the doors to strategic projects",
    "activate synergies", "generate a long-term collaboration", "attract foreign investment",
    "train a new generation of researchers", "share clinical know-how",
    "build joint laboratories", "simplify market access", "strengthen export channels",
    "exchange visiting scientists", "co-fund early-stage companies",
)  # fmt: skip
HONORIFICS = ("H.E.", "Dr.", "Prof.")
ROLES = ("president", "minister", "ambassador")


# ---------------------------------------------------------------------------------------
# Terms and text
# ---------------------------------------------------------------------------------------


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


def integer(value: int) -> str:
    """An xsd:integer literal."""
    return f'"{value}"^^<{XSD}integer>'


def slugify(text: str) -> str:
    """Lower-case ASCII-ish slug of ``text`` (letters and digits joined by '-')."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = "".join(c.lower() if c.isalnum() else "-" for c in ascii_text)
    return "-".join(part for part in out.split("-") if part)


@dataclass
class TextBuilder:
    """Builds an article's text and remembers where each marked span starts and ends."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    _open: dict[str, int] = field(default_factory=dict)

    def add(self, text: str, key: str | None = None) -> None:
        """Append ``text``; with ``key``, mark it as one span of that key."""
        if key is not None:
            self.spans.setdefault(key, []).append((self.length, self.length + len(text)))
        self.parts.append(text)
        self.length += len(text)

    def start(self, key: str) -> None:
        """Open a span of ``key`` at the current position (closed by ``end``)."""
        self._open[key] = self.length

    def end(self, key: str) -> None:
        """Close the span of ``key`` opened by ``start``."""
        self.spans.setdefault(key, []).append((self._open.pop(key), self.length))

    @property
    def text(self) -> str:
        return "".join(self.parts)


# ---------------------------------------------------------------------------------------
# One synthetic article
# ---------------------------------------------------------------------------------------


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
    #: fact triple -> its statement node
    statements: dict[tuple[str, str, str], str] = field(default_factory=dict)
    #: once built, a fact triple added gets an editorial statement node and one removed
    #: loses its own, so that a defect in the facts stays one defect
    keep_statements: bool = False

    def add(self, s: str, p: str, o: str) -> None:
        self.triples.append((s, p, o))
        self.touched.add((s, p))
        if self.keep_statements and is_fact(s, p) and (s, p, o) not in self.statements:
            digest = hashlib.sha1(f"{s} {p} {o}".encode()).hexdigest()[:12]
            statement = node("statement", f"{self.slug}-defect-{digest}")
            self.statements[(s, p, o)] = statement
            self.triples += statement_triples(statement, (s, p, o), "editorial", DEFECT_NOTE)

    def drop(self, s: str, p: str, o: str | None = None) -> int:
        """Remove the triples ``s p o`` (any ``o`` when None); return how many."""
        gone = [t for t in self.triples if t[0] == s and t[1] == p and (o is None or t[2] == o)]
        self.triples = [
            t for t in self.triples if not (t[0] == s and t[1] == p and (o is None or t[2] == o))
        ]
        self.touched.add((s, p))
        if self.keep_statements:
            for triple in gone:
                statement = self.statements.pop(triple, None)
                if statement is not None:
                    self.triples = [t for t in self.triples if t[0] != statement]
        return len(gone)

    def statement_of(self, s: str, p: str, o: str | None = None) -> str:
        """The statement node of the fact ``s p o`` (the first object when None)."""
        for (ts, tp, to), statement in self.statements.items():
            if ts == s and tp == p and (o is None or to == o):
                return statement
        raise KeyError(f"no statement for {s} {p} {o}")

    def annotations_of_statement(self, statement: str) -> list[str]:
        """The annotations whose body is ``statement``."""
        return [t[0] for t in self.triples if t[1] == HAS_BODY and t[2] == statement]

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
            self.index,
            self.slug,
            self.text,
            list(self.triples),
            dict(self.nodes),
            set(),
            dict(self.statements),
            self.keep_statements,
        )


def is_fact(s: str, p: str) -> bool:
    """Whether the triple ``s p …`` (N-Triples terms) is a fact (see ``kb.statements``)."""
    return s.startswith("<") and is_fact_subject(s[1:-1]) and is_fact_predicate(p[1:-1])


def statement_triples(
    statement: str, triple: tuple[str, str, str], basis: str, note: str | None = None
) -> list[tuple[str, str, str]]:
    """The triples of the statement node of ``triple``."""
    s, p, o = triple
    out = [
        (statement, TYPE, iri(RDF, "Statement")),
        (statement, iri(RDF, "subject"), s),
        (statement, iri(RDF, "predicate"), p),
        (statement, iri(RDF, "object"), o),
        (statement, BASIS, node("concept", basis)),
    ]
    if note:
        out.append((statement, iri(SKOS, "editorialNote"), en(note)))
    return out


@dataclass(frozen=True)
class People:
    """The four persons of an article: visitor, minister, chamber president, ambassador."""

    visitor: str
    minister: str
    chamber: str
    ambassador: str


#: How many distinct person names there are (first name x surname x second surname).
NAME_SPACE = len(FIRST_NAMES) * len(LAST_NAMES) * len(LAST_NAMES)
#: A stride coprime with NAME_SPACE: person number g gets combination g * STRIDE.
NAME_STRIDE = 7919


def person_name(number: int, seed: int) -> str:
    """The name of person ``number``: distinct for every number below ``NAME_SPACE``.

    kbsh:UniquePersonNameShape forbids two persons with one name in the whole graph, so
    names are drawn by a bijection (not at random) from a double-barrelled name space.
    """
    if number >= NAME_SPACE:
        raise ValueError(f"more than {NAME_SPACE} persons: the name pools are too small")
    code = (number * NAME_STRIDE + seed) % NAME_SPACE
    code, first = divmod(code, len(FIRST_NAMES))
    second, last = divmod(code, len(LAST_NAMES))
    if second == last:
        return f"{FIRST_NAMES[first]} {LAST_NAMES[last]}"
    return f"{FIRST_NAMES[first]} {LAST_NAMES[last]}-{LAST_NAMES[second]}"


@dataclass(frozen=True)
class Setting:
    """Everything an article's text and triples are made of, drawn from the seed."""

    people: People
    home: str
    host: str
    region: tuple[str, str]
    cluster: str
    sector: str
    honorific: str
    topics: tuple[str, ...]
    aims: tuple[str, ...]

    @classmethod
    def draw(cls, rng: random.Random, index: int, seed: int) -> Setting:
        home, host = rng.sample(COUNTRIES, 2)
        return cls(
            people=People(*(person_name(4 * index + k, seed) for k in range(4))),
            home=home,
            host=host,
            region=rng.choice(REGIONS),
            cluster=rng.choice(CLUSTER_STEMS),
            sector=rng.choice(SECTORS),
            honorific=rng.choice(HONORIFICS),
            topics=tuple(rng.sample(TOPICS, 3)),
            aims=tuple(rng.sample(AIMS, 3)),
        )

    @property
    def cluster_name(self) -> str:
        return f"{self.cluster} National Life Sciences Technology Cluster"

    @property
    def association(self) -> str:
        return f"Confederation of {self.sector} Industries of {self.home}"


def write_text(s: Setting) -> TextBuilder:
    """The article text, with a span for every fact the triples state."""
    p = s.people
    t = TextBuilder()
    t.start("visit")
    t.start("post.cluster")
    t.add(p.visitor, "person.visitor")
    t.add(", newly elected president of the ")
    t.add(s.cluster_name, "org.cluster")
    t.end("post.cluster")
    t.add(" – and ")
    t.start("post.association")
    t.add("current President of the ")
    t.add(s.association, "org.association")
    t.end("post.association")
    t.add(" – ")
    t.add(f"visited {s.host}", "place.host")
    t.end("visit")
    t.add(" and held a series of meetings with the institutional and business leaders of ")
    t.add("the area, including ")
    t.start("meeting.minister")
    t.start("post.minister")
    t.add("the Minister of Health", "org.ministry")
    t.add(f" {s.honorific} ")
    t.add(p.minister, "person.minister")
    t.end("post.minister")
    t.end("meeting.minister")
    t.add(" and ")
    t.start("meeting.chamber")
    t.start("post.chamber")
    t.add("the President of ")
    t.add("the Chamber of Commerce", "org.chamber")
    t.add(", ")
    t.add(p.chamber, "person.chamber")
    t.end("post.chamber")
    t.end("meeting.chamber")
    t.add(".\n\nAmong the topics discussed were ")
    t.add(s.topics[0], "topic.0")
    t.add(" and ")
    t.add(s.topics[1], "topic.1")
    t.add(". ")
    t.add(f"A step forward for the {s.home} Life Sciences sector", "claim.step")
    t.add(", with a view to ")
    for number, aim in enumerate(s.aims):
        t.add(aim, f"aim.{number}")
        t.add(", " if number < len(s.aims) - 2 else (" and " if number == len(s.aims) - 2 else ""))
    t.add(".\n\n“")
    t.add(f"As the newly elected President of the {s.cluster} Cluster", "quote.visitor")
    t.add(" – ")
    t.add(p.visitor)
    t.add(" said ")
    t.start("quote.visitor")
    t.add("the visit represents the first of ")
    t.add("a long series of cross-border meetings", "series")
    t.add(" that are part of ")
    t.add("a larger project that we intend to carry out during my term", "project")
    t.add(".")
    t.end("quote.visitor")
    t.add("\n\n“")
    t.start("quote.ambassador")
    t.start("claim.rel")
    t.add("The extremely favourable dynamics of ")
    t.add(f"relations between {s.home} and {s.host}", "place.home")
    t.end("claim.rel")
    t.end("quote.ambassador")
    t.add(" – affirms ")
    t.start("post.ambassador")
    t.add(f"the Ambassador of {s.home} in {s.host}", "org.embassy")
    t.add(f" {s.honorific} ")
    t.add(p.ambassador, "person.ambassador")
    t.end("post.ambassador")
    t.add(" – ")
    t.start("quote.ambassador")
    t.add("suggested that we investigate the opportunities to develop ")
    t.add(s.topics[2], "topic.2")
    t.add(" ")
    t.add(f"in {s.host} and in the entire {s.region[0]} region", "place.region")
    t.add(".")
    t.end("quote.ambassador")
    t.add("\n\n")
    t.add(f"{s.host} – and more generally the {s.region[1]} countries", "place.group")
    t.add(" – have always shown great interest in the Life Sciences of ")
    t.add(s.home)
    t.add(". ")
    t.add(
        f"The {s.cluster_name} confirms itself as a leading promoter of {s.topics[0]}",
        "claim.promoter",
    )
    return t


class ArticleWriter:
    """Turns a ``Setting`` into the triples of one article (data + evidence)."""

    def __init__(self, index: int, seed: int, setting: Setting) -> None:
        self.setting = setting
        self.slug = f"syn{seed}-{index:06d}"
        self.article = Article(index, self.slug)
        self.text_builder = write_text(setting)
        self.text = self.text_builder.text
        self.article.text = self.text
        self.source = node("article", self.slug)

    def n(self, kind: str, name: str) -> str:
        return node(kind, f"{self.slug}-{name}")

    def name(self, role: str, subject: str) -> str:
        """Register ``subject`` under ``role`` and return it."""
        self.article.nodes[role] = subject
        return subject

    def build(self) -> Article:
        self._article_node()
        self._places()
        self._persons()
        self._organisations()
        self._posts()
        self._events()
        self._concepts()
        self._quotations()
        self._claims()
        self._evidence()
        self._statements()
        self.article.keep_statements = True
        return self.article

    # -- data ----------------------------------------------------------------------------

    def _article_node(self) -> None:
        a, s = self.article.add, self.name("article", self.source)
        a(s, TYPE, iri(SCHEMA, "NewsArticle"))
        a(s, iri(SCHEMA, "inLanguage"), plain("en"))
        a(s, iri(DCTERMS, "identifier"), plain(self.slug))
        a(s, iri(SCHEMA, "text"), plain(self.text))

    def _places(self) -> None:
        st, a = self.setting, self.article.add
        region = self.name("place.region", self.n("place", slugify(st.region[0]) + "-region"))
        group = self.name("place.group", self.n("place", slugify(st.region[1]) + "-countries"))
        for role, country in (("place.home", st.home), ("place.host", st.host)):
            c = self.name(role, self.n("place", slugify(country)))
            a(c, TYPE, iri(SCHEMA, "Country"))
            a(c, iri(SCHEMA, "name"), en(country))
        host = self.article.nodes["place.host"]
        a(host, iri(SCHEMA, "containedInPlace"), region)
        a(group, TYPE, iri(KB, "CountryGroup"))
        a(group, iri(SCHEMA, "name"), en(f"{st.region[1]} countries"))
        a(group, iri(SCHEMA, "containsPlace"), host)
        a(region, TYPE, iri(KB, "GeographicRegion"))
        a(region, iri(SCHEMA, "name"), en(f"{st.region[0]} region"))

    def _persons(self) -> None:
        st, a = self.setting, self.article.add
        for role in ("visitor", "minister", "chamber", "ambassador"):
            name = getattr(st.people, role)
            p = self.name(f"person.{role}", self.n("person", slugify(name)))
            a(p, TYPE, iri(SCHEMA, "Person"))
            a(p, iri(SCHEMA, "name"), plain(name))
            if role in ("minister", "ambassador"):
                a(p, iri(SCHEMA, "honorificPrefix"), plain(st.honorific))

    def _organisations(self) -> None:
        st, a, nodes = self.setting, self.article.add, self.article.nodes
        home, host = nodes["place.home"], nodes["place.host"]
        orgs = (
            ("cluster", "TechnologyCluster", st.cluster_name, home),
            ("association", "IndustryAssociation", st.association, home),
            ("ministry", "Ministry", f"Ministry of Health of {st.host}", host),
            ("chamber", "ChamberOfCommerce", f"Chamber of Commerce of {st.host}", host),
            ("embassy", "Embassy", f"Embassy of {st.home} in {st.host}", host),
        )
        for role, cls, name, place in orgs:
            o = self.name(f"org.{role}", self.n("organization", slugify(name)))
            a(o, TYPE, iri(KB, cls))
            a(o, iri(SCHEMA, "name"), en(name))
            a(o, iri(SCHEMA, "location"), place)
        cluster = nodes["org.cluster"]
        a(cluster, iri(SCHEMA, "alternateName"), en(f"{st.cluster} Cluster"))
        a(cluster, iri(KB, "promotes"), self.n("topic", "0"))
        a(cluster, iri(ORG, "purpose"), self.n("aim", "0"))
        a(nodes["org.embassy"], iri(KB, "representsCountry"), home)

    def _posts(self) -> None:
        st, a, nodes = self.setting, self.article.add, self.article.nodes
        posts = (
            ("cluster", "president", f"President of the {st.cluster_name}", "NewlyElected"),
            ("association", "president", f"President of the {st.association}", "Current"),
            ("minister", "minister", f"Minister of Health of {st.host}", None),
            ("chamber", "president", f"President of the Chamber of Commerce of {st.host}", None),
            ("ambassador", "ambassador", f"Ambassador of {st.home} in {st.host}", None),
        )
        holders = {"cluster": "visitor", "association": "visitor"}
        orgs = {"minister": "ministry", "ambassador": "embassy"}
        for role, org_role, label, status in posts:
            p = self.name(f"post.{role}", self.n("post", role))
            a(p, TYPE, iri(ORG, "Post"))
            a(p, iri(RDFS, "label"), en(label))
            a(p, iri(ORG, "role"), node("role", f"syn-{org_role}"))
            a(p, iri(ORG, "postIn"), nodes[f"org.{orgs.get(role, role)}"])
            a(p, iri(ORG, "heldBy"), nodes[f"person.{holders.get(role, role)}"])
            if status:
                a(p, iri(KB, "postStatus"), iri(KB, status))
            a(p, iri(PROV, "wasDerivedFrom"), self.source)

    def _events(self) -> None:
        st, a, nodes = self.setting, self.article.add, self.article.nodes
        visit = self.name("visit", self.n("event", "visit"))
        visitor = nodes["person.visitor"]
        a(visit, TYPE, iri(KB, "Visit"))
        a(visit, iri(SCHEMA, "name"), en(f"{st.people.visitor}'s visit to {st.host}"))
        a(visit, iri(SCHEMA, "location"), nodes["place.host"])
        a(visit, iri(KB, "visitor"), visitor)
        for number in range(2):
            a(visit, iri(KB, "topicDiscussed"), self.n("topic", str(number)))
        for number in range(len(st.aims)):
            a(visit, iri(KB, "aim"), self.n("aim", str(number)))
        series = self.name("series", self.n("event", "series"))
        a(visit, iri(KB, "opensSeries"), series)
        a(visit, iri(PROV, "wasDerivedFrom"), self.source)
        meetings = (
            ("minister", "InstitutionalMeeting", "the Minister of Health"),
            ("chamber", "BusinessMeeting", "the President of the Chamber of Commerce"),
        )
        for role, cls, whom in meetings:
            m = self.name(f"meeting.{role}", self.n("event", f"meeting-{role}"))
            a(m, TYPE, iri(KB, cls))
            a(m, iri(SCHEMA, "name"), en(f"Meeting with {whom} of {st.host}"))
            a(m, iri(SCHEMA, "superEvent"), visit)
            a(m, iri(SCHEMA, "attendee"), visitor)
            a(m, iri(KB, "counterpart"), nodes[f"person.{role}"])
            a(m, iri(PROV, "wasDerivedFrom"), self.source)
        project = self.name("project", self.n("project", "term-project"))
        a(series, TYPE, iri(SCHEMA, "EventSeries"))
        a(series, iri(SCHEMA, "name"), en("Long series of cross-border meetings"))
        a(series, iri(KB, "partOfProject"), project)
        a(series, iri(PROV, "wasDerivedFrom"), self.source)
        a(project, TYPE, iri(SCHEMA, "Project"))
        a(project, iri(SCHEMA, "name"), en(f"Project for {st.people.visitor}'s term"))
        a(project, iri(KB, "duringTermOf"), nodes["post.cluster"])
        a(project, iri(PROV, "wasDerivedFrom"), self.source)

    def _concepts(self) -> None:
        st, a = self.setting, self.article.add
        for kind, cls, labels in (
            ("topic", iri(SKOS, "Concept"), st.topics),
            ("aim", iri(KB, "Aim"), st.aims),
        ):
            for number, label in enumerate(labels):
                c = self.name(f"{kind}.{number}", self.n(kind, str(number)))
                a(c, TYPE, cls)
                a(c, iri(SKOS, "prefLabel"), en(label))
                a(c, iri(SKOS, "inScheme"), node("concept", f"syn-{kind}s"))

    def _quotations(self) -> None:
        a, nodes = self.article.add, self.article.nodes
        quotes = (
            ("visitor", ("visit", "series", "project")),
            ("ambassador", ("place.home", "place.host", "topic.2", "place.region")),
        )
        for role, about in quotes:
            q = self.name(f"quote.{role}", self.n("quotation", role))
            parts = [self.text[b:e] for b, e in self.text_builder.spans[f"quote.{role}"]]
            a(q, TYPE, iri(SCHEMA, "Quotation"))
            a(q, iri(SCHEMA, "text"), plain(" … ".join(parts)))
            a(q, iri(SCHEMA, "creator"), nodes[f"person.{role}"])
            a(q, iri(SCHEMA, "isPartOf"), self.source)
            for key in about:
                a(q, iri(SCHEMA, "about"), nodes[key])
            a(q, iri(PROV, "wasDerivedFrom"), self.source)

    def _claims(self) -> None:
        a, nodes = self.article.add, self.article.nodes
        claims = (
            ("step", self.source, self.source, ("visit", "topic.0")),
            ("rel", "person.ambassador", "quote.ambassador", ("place.home", "place.host")),
            ("promoter", self.source, self.source, ("org.cluster", "topic.0")),
        )
        for role, by, appearance, about in claims:
            c = self.name(f"claim.{role}", self.n("claim", role))
            start, end = self.text_builder.spans[f"claim.{role}"][0]
            a(c, TYPE, iri(SCHEMA, "Claim"))
            a(c, iri(SCHEMA, "text"), plain(self.text[start:end]))
            a(c, iri(KB, "claimedBy"), nodes.get(by, by))
            a(c, iri(SCHEMA, "appearance"), nodes.get(appearance, appearance))
            for key in about:
                a(c, iri(SCHEMA, "about"), nodes[key])
            a(c, iri(PROV, "wasDerivedFrom"), self.source)

    # -- evidence ------------------------------------------------------------------------

    def _evidence(self) -> None:
        """A target (with its two selectors) for every span of the text."""
        for role, spans in self.text_builder.spans.items():
            for number, (start, end) in enumerate(spans, start=1):
                suffix = f"-part-{number}" if len(spans) > 1 else ""
                name = role.replace(".", "-") + suffix
                self._target(name, start, end)
                for kind in ("target", "quote", "position"):
                    slug = self.n("annotation", f"{name}-{kind}")
                    self.article.nodes[f"{kind}:{role}#{number}"] = slug

    def _target(self, name: str, start: int, end: int) -> None:
        a, text = self.article.add, self.text
        target = self.n("annotation", f"{name}-target")
        quote = self.n("annotation", f"{name}-quote")
        position = self.n("annotation", f"{name}-position")
        a(target, TYPE, iri(OA, "SpecificResource"))
        a(target, iri(OA, "hasSource"), self.source)
        a(target, iri(OA, "hasSelector"), quote)
        a(target, iri(OA, "hasSelector"), position)
        exact = text[start:end]
        a(quote, TYPE, iri(OA, "TextQuoteSelector"))
        a(quote, iri(OA, "exact"), plain(exact))
        if text.count(exact) > 1:
            if start:
                a(quote, iri(OA, "prefix"), plain(text[max(0, start - CONTEXT) : start]))
            if end < len(text):
                a(quote, iri(OA, "suffix"), plain(text[end : end + CONTEXT]))
        a(position, TYPE, iri(OA, "TextPositionSelector"))
        a(position, iri(OA, "start"), integer(start))
        a(position, iri(OA, "end"), integer(end))

    # -- statements ----------------------------------------------------------------------

    def _statements(self) -> None:
        """A statement node for every fact triple, annotated with its subject's spans."""
        roles = {subject: role for role, subject in self.article.nodes.items() if ":" not in role}
        facts = [t for t in self.article.triples if is_fact(t[0], t[1])]
        for number, triple in enumerate(facts, start=1):
            statement = self.n("statement", str(number))
            self.article.statements[triple] = statement
            role = roles.get(triple[0])
            basis, note = self._basis(role, triple)
            self.article.triples += statement_triples(statement, triple, basis, note)
            if basis == "external":
                self.article.add(statement, iri(PROV, "wasDerivedFrom"), EXTERNAL_SOURCE)
            if basis in ("stated", "implied"):
                self._annotations(role or "", statement, number, triple[1] == TYPE)

    def _basis(self, role: str | None, triple: tuple[str, str, str]) -> tuple[str, str | None]:
        _, p, _ = triple
        if role is None or role not in self.text_builder.spans:
            return "editorial", SHARED_NOTE
        if role.startswith("org.") and p == iri(SCHEMA, "location"):
            return "implied", IMPLIED_NOTE
        if role == "org.association" and p == TYPE:
            return "external", EXTERNAL_NOTE
        if role.startswith(("visit", "meeting.", "series", "project")) and p == iri(SCHEMA, "name"):
            return "editorial", EDITORIAL_NOTE
        return "stated", None

    def _annotations(self, role: str, statement: str, number: int, is_type: bool) -> None:
        """One annotation of ``statement`` per span of ``role``; those of the type
        statement are the node's registered annotations (``ann:ROLE#N``)."""
        a = self.article.add
        spans = self.text_builder.spans[role]
        for part in range(1, len(spans) + 1):
            suffix = f"-part-{part}" if len(spans) > 1 else ""
            ann = self.n("annotation", f"statement-{number}{suffix}")
            a(ann, TYPE, iri(OA, "Annotation"))
            a(ann, iri(OA, "motivatedBy"), iri(OA, "describing"))
            a(ann, HAS_BODY, statement)
            a(ann, iri(OA, "hasTarget"), self.article.nodes[f"target:{role}#{part}"])
            if is_type:
                self.article.nodes[f"ann:{role}#{part}"] = ann


def bases_triples() -> list[tuple[str, str, str]]:
    """The scheme of the four bases (as in data/evidence.ttl)."""
    scheme = node("concept", "bases")
    out = [
        (scheme, TYPE, iri(SKOS, "ConceptScheme")),
        (scheme, iri(SKOS, "prefLabel"), en("bases of statements")),
    ]
    for name in ("stated", "implied", "external", "editorial"):
        concept = node("concept", name)
        out += [
            (concept, TYPE, iri(SKOS, "Concept")),
            (concept, iri(SKOS, "inScheme"), scheme),
            (concept, iri(SKOS, "prefLabel"), en(name)),
        ]
    return out


def shared_triples() -> list[tuple[str, str, str]]:
    """Roles and concept schemes every synthetic article refers to (written once), with
    their (editorial) statement nodes, and the scheme of bases."""
    out = []
    for kind in ("topics", "aims", "roles"):
        scheme = node("concept", f"syn-{kind}")
        out.append((scheme, TYPE, iri(SKOS, "ConceptScheme")))
        out.append((scheme, iri(SKOS, "prefLabel"), en(f"synthetic {kind}")))
    for role in ROLES:
        r = node("role", f"syn-{role}")
        out.append((r, TYPE, iri(ORG, "Role")))
        out.append((r, iri(SKOS, "prefLabel"), en(role.capitalize())))
        out.append((r, iri(SKOS, "inScheme"), node("concept", "syn-roles")))
    statements = []
    for number, triple in enumerate(out):
        statement = node("statement", f"syn-shared-{number}")
        statements += statement_triples(statement, triple, "editorial", SHARED_NOTE)
    return out + statements + bases_triples()


#: A statement node every synthetic file has (defects re-point annotations at it).
SHARED_STATEMENT = node("statement", "syn-shared-0")


def build_article(index: int, seed: int) -> Article:
    """Synthetic article number ``index`` (deterministic for a given seed)."""
    rng = random.Random(f"{seed}:{index}")
    return ArticleWriter(index, seed, Setting.draw(rng, index, seed)).build()
