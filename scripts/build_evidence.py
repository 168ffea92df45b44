"""Write data/article.ttl and data/evidence.ttl from the source article, data/kb.ttl and the
statement table below.

The facts (data/kb.ttl) are written by hand; their evidence is not, because character
offsets are easy to get wrong by hand. Every fact triple of data/kb.ttl (all but the
bookkeeping predicates of ``kb.statements``) gets one statement node (``rdf:Statement``)
with its basis, found in ``TABLE``: a row names a subject, a predicate (or every
predicate of the subject) and an object (or every object), the basis, the exact words of
the article (for stated and implied statements) and a note (for implied, external and
editorial ones). The most specific row wins; a fact triple without a row, or a row that
matches no fact triple, stops the script. For the words, the script computes the
``oa:TextPositionSelector`` offsets (Unicode code points, as Python ``str`` indexes them)
and adds ``oa:prefix``/``oa:suffix`` where the words occur more than once; annotations of
the same words share one target.

Run ``python scripts/build_evidence.py`` after changing data/kb.ttl or the table; a test
checks that the committed files are what this script writes.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rdflib import Graph, Literal  # noqa: E402

from kb.namespaces import PREFIXES  # noqa: E402
from kb.statements import fact_triples, statement_local  # noqa: E402

SOURCE = ROOT / "data" / "source" / "000_86b06078204c6c08.txt"
FACTS = ROOT / "data" / "kb.ttl"
ARTICLE = "article:86b06078204c6c08"
CONTEXT_CHARS = 32
NBSP = "\u00a0"
ANY = "*"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class Words:
    """Words of the article; ``occurrence`` picks one when they occur more than once."""

    exact: str
    occurrence: int = 0


@dataclass(frozen=True)
class Row:
    """The basis and evidence of the fact triples it matches (``ANY`` matches all)."""

    subject: str
    predicate: str
    obj: str
    basis: str
    words: tuple[Words, ...] = ()
    note: str | None = None
    source: str | None = None

    def specificity(self) -> int:
        return (self.predicate != ANY) + (self.obj != ANY)


def _words(words: tuple[str | Words, ...]) -> tuple[Words, ...]:
    return tuple(w if isinstance(w, Words) else Words(w) for w in words)


def stated(s: str, p: str, *words: str | Words, o: str = ANY, note: str | None = None) -> Row:
    """The words state it (a note may add a caveat)."""
    return Row(s, p, o, "stated", _words(words), note)


def implied(s: str, p: str, *words: str | Words, note: str, o: str = ANY) -> Row:
    """It follows from the words, for the reason in ``note``."""
    return Row(s, p, o, "implied", _words(words), note)


def external(s: str, p: str, note: str, o: str = ANY, source: str | None = None) -> Row:
    """Knowledge from outside the article (``source`` where there is one)."""
    return Row(s, p, o, "external", (), note, source)


def editorial(s: str, p: str, note: str, o: str = ANY) -> Row:
    """A modelling device of ours."""
    return Row(s, p, o, "editorial", (), note)


# ---------------------------------------------------------------------------------------
# Words used by several rows
# ---------------------------------------------------------------------------------------

BOGGETTI = Words("Massimiliano Boggetti", 0)
ALISEI = "Alisei National Life Sciences Technology Cluster"
BOGGETTI_INTRO = (
    "Massimiliano Boggetti, newly elected president of the Alisei National Life Sciences"
    " Technology Cluster"
)
BOTH_POSTS = BOGGETTI_INTRO + " – and current President of Confindustria Medical Devices"
CONFINDUSTRIA_POST = "current President of Confindustria Medical Devices"
LEADERS = "the institutional and business leaders of the area, including"
MEETINGS = (
    f"held a series of{NBSP} meetings with the institutional and business leaders of the area,"
    f" including the Minister of Health H.E. Dr. Khalid{NBSP} Al-Saeed"
)
MINISTER = f"the Minister of Health H.E. Dr. Khalid{NBSP} Al-Saeed"
CHAMBER_PRESIDENT = "the President of the Chamber of Commerce, Mohammed Jassem Al-Sager"
AMBASSADOR = "the Ambassador of Italy in H.E. Carlo Baldocci"
TOPICS = (
    "Among the topics discussed were the research and innovation of the Life Sciences system"
    " and technology transfer"
)
STEP_FORWARD = "A step forward for the Italian Life Sciences sector"
RESUME = "with a view to resuming a dialogue wisely created in past decades"
HOPE = "with the hope that these meetings can"
Q1_FIRST = "As the newly elected President of the Alisei Cluster"
Q1_SECOND = (
    "the visit represents the first of a long series of cross-border meetings that are part"
    " of a larger project that we intend to carry out during my term."
)
Q2_FIRST = (
    "My trip to Kuwait gives us not only a historic opportunity, but bases its success on the"
    " ability that our country will be able to demonstrate in creating a system."
)
Q2_SECOND = (
    "I see the Alisei Cluster as a ‘catalyst subject’ of the Life Sciences, counted among the"
    " excellences of the “Made in Italy”"
)
Q3_FIRST = "The extremely favourable dynamics of relations between Italy and Kuwait"
Q3_SECOND = (
    "suggested that we investigate the opportunities to develop important synergies in the"
    " research and innovation sectors, also verifying possible strategic collaborations for"
    " the promotion of the Life Sciences sector in Kuwait and in the entire Gulf region."
)
SAID_BOGGETTI = "Massimiliano Boggetti said"
CONCLUDES_BOGGETTI = "concludes Boggetti"
AFFIRMS_AMBASSADOR = "affirms the Ambassador of Italy in H.E. Carlo Baldocci"
EXCELLENT = "already linked by excellent diplomatic and commercial relations"
GULF_INTEREST = (
    "Kuwait – and more generally the Gulf countries – have always shown great interest in the"
    " Italian reality in Life Sciences, recognizing a strong connotation of excellence."
)
GULF_COUNTRIES = "Kuwait – and more generally the Gulf countries"
WILL = "The will is to be able to consolidate the exchange of know-how between the two countries"
CONTINUE = (
    "to continue uphill in the investment in Life Sciences, shedding light and shining the"
    " spotlight on the creation of strategic collaborations for the promotion of the sector."
)
INTERACTION = (
    "the interaction between the multidisciplinary research system, the"
    " pharmaceutical-biomedical industrial fabric and the public institutions in the health"
    " sector"
)
LEADING_PROMOTER = (
    "The Alisei National Life Sciences Technology Cluster confirms itself as a leading promoter"
    " in " + INTERACTION
)
IMPULSE = "with the aim of giving a concrete impulse to research and innovation in Italy"

# ---------------------------------------------------------------------------------------
# Notes used by several rows
# ---------------------------------------------------------------------------------------

OUR_SCHEME = "A concept scheme of ours, grouping the concepts of one kind the article names."
IN_OUR_SCHEME = "Which of our concept schemes the concept is in: a modelling device."
TWO_COUNTRIES = (
    "The article says 'the two countries'; they are read as Italy and Kuwait, named"
    " together in the ambassador's words before."
)
OUTSIDE_QUOTES = (
    "The words stand outside any quotation marks and nothing attributes them: the"
    " article's own voice."
)
SPEAKER = (
    "Whose claim this is is not stated: the ambassador's quotation opens at the start of"
    " the previous paragraph and never closes, so this paragraph may continue his words."
    " Attributed to the article's own voice, as no words attribute it to him."
)
ONE_MEETING_EACH = (
    "The article says Boggetti 'held a series of meetings with the institutional and"
    " business leaders of the area, including' the minister and the chamber's president."
    " It does not say there was one meeting per counterpart, nor which leader is"
    " institutional and which is business: a meeting per named counterpart, and its kind,"
    " are our reading."
)

# ---------------------------------------------------------------------------------------
# The table: one row per group of fact triples, in the order of data/kb.ttl
# ---------------------------------------------------------------------------------------

TABLE: tuple[Row, ...] = (
    # places
    implied(
        "place:italy",
        "a",
        "relations between Italy and Kuwait",
        "between the two countries",
        note="The article names Italy but does not call it a country in words: it is one of"
        " 'the two countries' the article speaks of, with Kuwait.",
    ),
    stated("place:italy", "schema:name", "relations between Italy and Kuwait"),
    external(
        "place:italy",
        "schema:sameAs",
        source="https://www.wikidata.org/wiki/Q38",
        note="The article gives no identifier: the link to Wikidata's item for Italy (Q38)"
        " is outside knowledge.",
    ),
    implied(
        "place:kuwait",
        "a",
        GULF_COUNTRIES,
        note="Kuwait is counted among 'the Gulf countries' ('more generally'), so it is a"
        " country; the article does not say so in words.",
    ),
    stated("place:kuwait", "schema:name", "visited Kuwait"),
    external(
        "place:kuwait",
        "schema:sameAs",
        source="https://www.wikidata.org/wiki/Q817",
        note="The article gives no identifier: the link to Wikidata's item for Kuwait (Q817)"
        " is outside knowledge.",
    ),
    implied(
        "place:kuwait",
        "schema:containedInPlace",
        "in Kuwait and in the entire Gulf region",
        note="'in Kuwait and in the entire Gulf region' reads Kuwait as part of the Gulf"
        " region; the article does not say that it is.",
    ),
    stated("place:gulf-countries", ANY, GULF_COUNTRIES),
    implied(
        "place:gulf-countries",
        "schema:containsPlace",
        GULF_COUNTRIES,
        note="'Kuwait – and more generally the Gulf countries' counts Kuwait among the Gulf"
        " countries without saying so.",
    ),
    stated("place:gulf-region", ANY, "the entire Gulf region"),
    # persons
    stated("person:massimiliano-boggetti", ANY, BOGGETTI),
    stated("person:khalid-al-saeed", ANY, f"H.E. Dr. Khalid{NBSP} Al-Saeed"),
    stated(
        "person:khalid-al-saeed",
        "schema:name",
        f"H.E. Dr. Khalid{NBSP} Al-Saeed",
        note="The article has a no-break space and a space between the names; the name has"
        " one space.",
    ),
    stated("person:mohammed-jassem-al-sager", ANY, "Mohammed Jassem Al-Sager"),
    stated("person:carlo-baldocci", ANY, "H.E. Carlo Baldocci"),
    # organisations
    stated("organization:alisei-cluster", ANY, Words(ALISEI, 0)),
    stated("organization:alisei-cluster", "schema:alternateName", Words("Alisei Cluster", 0)),
    implied(
        "organization:alisei-cluster",
        "schema:location",
        Words(ALISEI, 0),
        IMPULSE,
        "the Italian Life Sciences sector",
        note="The article calls the cluster national and gives its aim as research and"
        " innovation in Italy; that it is Italian is taken from that, not said.",
    ),
    stated("organization:alisei-cluster", "kb:leadingPromoterOf", LEADING_PROMOTER),
    stated("organization:alisei-cluster", "org:purpose", IMPULSE),
    external(
        "organization:confindustria-medical-devices",
        "a",
        note="The article only names 'Confindustria Medical Devices'; that it is an industry"
        " association is outside knowledge.",
    ),
    stated("organization:confindustria-medical-devices", "schema:name", CONFINDUSTRIA_POST),
    external(
        "organization:confindustria-medical-devices",
        "schema:location",
        note="The article does not say where it is: Italy comes from outside knowledge"
        " (Confindustria is the Italian industry confederation).",
    ),
    implied(
        "organization:ministry-of-health-kuwait",
        "a",
        "the Minister of Health",
        note="A Minister of Health heads a ministry of health; the article names no ministry.",
    ),
    editorial(
        "organization:ministry-of-health-kuwait",
        "schema:name",
        note="A name we wrote: the article names no ministry, only 'the Minister of Health';"
        " 'of Kuwait' is implied (see its schema:location), not said.",
    ),
    implied(
        "organization:ministry-of-health-kuwait",
        "schema:location",
        "visited Kuwait",
        LEADERS,
        note="The minister is among 'the leaders of the area' Boggetti met when he visited"
        " Kuwait; the article does not name his country.",
    ),
    stated("organization:chamber-of-commerce-kuwait", ANY, "the Chamber of Commerce"),
    implied(
        "organization:chamber-of-commerce-kuwait",
        "schema:location",
        "visited Kuwait",
        LEADERS,
        note="The chamber's president is among 'the leaders of the area' Boggetti met when"
        " he visited Kuwait; the article does not name its country, and 'the area' could"
        " also be read as the Gulf.",
    ),
    implied(
        "organization:embassy-of-italy-in-kuwait",
        "a",
        AMBASSADOR,
        note="An ambassador of Italy heads an embassy of Italy; the article names no embassy.",
    ),
    editorial(
        "organization:embassy-of-italy-in-kuwait",
        "schema:name",
        note="A name we wrote: the article names no embassy, and 'in Kuwait' is implied (see"
        " its schema:location), not said.",
    ),
    implied(
        "organization:embassy-of-italy-in-kuwait",
        "schema:location",
        AMBASSADOR,
        Q3_FIRST,
        note="The article reads 'the Ambassador of Italy in H.E. Carlo Baldocci': the word"
        " after 'in' is missing. Kuwait is implied: he speaks, at the visit to Kuwait, of"
        " relations between Italy and Kuwait.",
    ),
    implied(
        "organization:embassy-of-italy-in-kuwait",
        "kb:representsCountry",
        AMBASSADOR,
        note="An ambassador of Italy represents Italy, and so does the embassy he heads.",
    ),
    # roles and posts
    editorial("concept:roles", ANY, note=OUR_SCHEME),
    stated("role:president", ANY, Words("President", 0)),
    editorial("role:president", "skos:inScheme", note=IN_OUR_SCHEME),
    stated("role:minister", ANY, "Minister"),
    editorial("role:minister", "skos:inScheme", note=IN_OUR_SCHEME),
    stated("role:ambassador", ANY, "Ambassador"),
    editorial("role:ambassador", "skos:inScheme", note=IN_OUR_SCHEME),
    stated("post:alisei-cluster-president", ANY, BOGGETTI_INTRO),
    stated(
        "post:alisei-cluster-president",
        "rdfs:label",
        BOGGETTI_INTRO,
        note="The label is the article's 'president of the Alisei National Life Sciences"
        " Technology Cluster', capitalised.",
    ),
    stated("post:alisei-cluster-president", "kb:postStatus", "newly elected president"),
    stated("post:confindustria-medical-devices-president", ANY, CONFINDUSTRIA_POST),
    stated("post:confindustria-medical-devices-president", "org:heldBy", BOTH_POSTS),
    stated("post:confindustria-medical-devices-president", "kb:postStatus", "current President"),
    stated("post:kuwait-minister-of-health", ANY, MINISTER),
    editorial(
        "post:kuwait-minister-of-health",
        "rdfs:label",
        note="A label we wrote: the article says 'the Minister of Health'; 'of Kuwait' is"
        " implied (the leaders of the area of the visit to Kuwait), not said.",
    ),
    implied(
        "post:kuwait-minister-of-health",
        "org:postIn",
        "the Minister of Health",
        note="A Minister of Health holds his post in a ministry of health; the article names none.",
    ),
    stated("post:chamber-of-commerce-president", ANY, CHAMBER_PRESIDENT),
    stated("post:ambassador-of-italy-in-kuwait", ANY, AMBASSADOR),
    stated(
        "post:ambassador-of-italy-in-kuwait",
        "rdfs:label",
        AMBASSADOR,
        note="The article reads 'the Ambassador of Italy in H.E. Carlo Baldocci': a word is"
        " missing after 'in'. The label keeps the words the article has and does not fill"
        " the gap (Kuwait is implied; see org:postIn).",
    ),
    implied(
        "post:ambassador-of-italy-in-kuwait",
        "org:postIn",
        AMBASSADOR,
        note="The post is in an embassy of Italy the article does not name; its seat,"
        " Kuwait, is implied, as the word after 'in' is missing.",
    ),
    # the visit and its meetings
    stated("event:boggetti-visit-to-kuwait", ANY, "visited Kuwait"),
    editorial(
        "event:boggetti-visit-to-kuwait",
        "schema:name",
        note="A name we wrote for the visit the article describes ('visited Kuwait'); the"
        " article gives it none.",
    ),
    stated("event:boggetti-visit-to-kuwait", "kb:visitor", BOTH_POSTS + " – visited Kuwait"),
    stated("event:boggetti-visit-to-kuwait", "kb:topicDiscussed", TOPICS),
    implied(
        "event:boggetti-visit-to-kuwait",
        "kb:aim",
        STEP_FORWARD + ", " + RESUME,
        note="The sentence has no verb and no subject; it follows the paragraph on the"
        " visit and is read as the visit's aim ('with a view to').",
    ),
    implied(
        "event:boggetti-visit-to-kuwait",
        "kb:hope",
        HOPE,
        note="The hopes are of 'these meetings', the meetings held during the visit; they"
        " are linked from the visit the meetings make up. The article says 'hope', not"
        " 'aim'.",
    ),
    stated(
        "event:boggetti-visit-to-kuwait",
        "kb:opensSeries",
        "the visit represents the first of a long series of cross-border meetings",
    ),
    implied("event:meeting-with-minister-of-health", "a", MEETINGS, note=ONE_MEETING_EACH),
    editorial(
        "event:meeting-with-minister-of-health",
        "schema:name",
        note="A name we wrote: the article names no meeting, and 'of Kuwait' is implied.",
    ),
    stated("event:meeting-with-minister-of-health", "schema:superEvent", "visited Kuwait and held"),
    stated("event:meeting-with-minister-of-health", "schema:attendee", BOGGETTI, MEETINGS),
    stated("event:meeting-with-minister-of-health", "kb:counterpart", MEETINGS),
    implied(
        "event:meeting-with-chamber-of-commerce-president",
        "a",
        LEADERS,
        CHAMBER_PRESIDENT,
        note=ONE_MEETING_EACH,
    ),
    editorial(
        "event:meeting-with-chamber-of-commerce-president",
        "schema:name",
        note="A name we wrote: the article names no meeting.",
    ),
    stated(
        "event:meeting-with-chamber-of-commerce-president",
        "schema:superEvent",
        "visited Kuwait and held",
    ),
    stated(
        "event:meeting-with-chamber-of-commerce-president",
        "schema:attendee",
        BOGGETTI,
        "held a series of",
        CHAMBER_PRESIDENT,
    ),
    stated(
        "event:meeting-with-chamber-of-commerce-president",
        "kb:counterpart",
        LEADERS,
        CHAMBER_PRESIDENT,
    ),
    # the series and the project
    stated(
        "event:cross-border-meeting-series",
        ANY,
        "the first of a long series of cross-border meetings",
    ),
    editorial(
        "event:cross-border-meeting-series",
        "schema:name",
        note="A name we wrote from the article's 'a long series of cross-border meetings'.",
    ),
    stated(
        "event:cross-border-meeting-series",
        "kb:partOfProject",
        "cross-border meetings that are part of a larger project",
    ),
    stated(
        "project:boggetti-term-project",
        ANY,
        "a larger project that we intend to carry out during my term",
    ),
    editorial(
        "project:boggetti-term-project",
        "schema:name",
        note="A name we wrote. It reads 'my term' as Boggetti's term as President of the"
        " Alisei Cluster (see kb:duringTermOf).",
    ),
    implied(
        "project:boggetti-term-project",
        "kb:duringTermOf",
        Q1_FIRST,
        "during my term",
        note="The article says 'during my term', not which term. Boggetti speaks 'as the"
        " newly elected President of the Alisei Cluster', so it is read as that post's term.",
    ),
    # topics
    editorial("concept:topics", ANY, note=OUR_SCHEME),
    stated(
        "topic:life-sciences-research-and-innovation",
        ANY,
        "the research and innovation of the Life Sciences system",
    ),
    stated("topic:technology-transfer", ANY, "technology transfer"),
    stated("topic:life-sciences", ANY, "‘catalyst subject’ of the Life Sciences"),
    stated("topic:italian-life-sciences-sector", ANY, "the Italian Life Sciences sector"),
    implied(
        "topic:italian-life-sciences-sector",
        "skos:broader",
        "the Italian Life Sciences sector",
        note="The Italian Life Sciences sector is read as a narrower topic than the Life Sciences.",
    ),
    stated("topic:italy-kuwait-relations", ANY, "relations between Italy and Kuwait"),
    stated("topic:life-sciences-promotion", ANY, "the promotion of the Life Sciences sector"),
    stated("topic:know-how-exchange", ANY, "the exchange of know-how"),
    stated("topic:made-in-italy", ANY, "“Made in Italy”"),
    stated("topic:research-industry-institutions-interaction", ANY, INTERACTION),
    # aims and hopes
    editorial("concept:aims", ANY, note=OUR_SCHEME),
    editorial("concept:hopes", ANY, note=OUR_SCHEME),
    stated("aim:resume-dialogue", ANY, RESUME),
    stated(
        "aim:open-doors-to-strategic-projects",
        ANY,
        HOPE + " open the doors to future strategic projects for the sector",
    ),
    stated("aim:activate-synergies", ANY, HOPE, "activate synergies"),
    stated(
        "aim:long-term-collaboration",
        ANY,
        HOPE,
        "generate a long-term collaboration between the leaders of the two countries",
    ),
    stated("aim:impulse-to-research-and-innovation-in-italy", ANY, IMPULSE),
    *(
        editorial(concept, "skos:inScheme", note=IN_OUR_SCHEME)
        for concept in (
            "topic:life-sciences-research-and-innovation",
            "topic:technology-transfer",
            "topic:life-sciences",
            "topic:italian-life-sciences-sector",
            "topic:italy-kuwait-relations",
            "topic:life-sciences-promotion",
            "topic:know-how-exchange",
            "topic:made-in-italy",
            "topic:research-industry-institutions-interaction",
            "aim:resume-dialogue",
            "aim:open-doors-to-strategic-projects",
            "aim:activate-synergies",
            "aim:long-term-collaboration",
            "aim:impulse-to-research-and-innovation-in-italy",
        )
    ),
    # quotations: the words of each part; who said it, by the words that attribute it
    stated("quotation:boggetti-first-of-a-series", ANY, Q1_FIRST, Q1_SECOND),
    stated(
        "quotation:boggetti-first-of-a-series",
        "schema:text",
        Q1_FIRST,
        Q1_SECOND,
        note="The quotation is interrupted by ' – Massimiliano Boggetti said '; its parts are"
        " joined with ' … '. Its second part speaks of him in the third person ('the visit"
        " represents'), so it may be reported rather than direct speech; the quotation mark"
        " never closes.",
    ),
    stated("quotation:boggetti-first-of-a-series", "schema:creator", SAID_BOGGETTI),
    stated(
        "quotation:boggetti-first-of-a-series",
        "schema:about",
        "the visit represents",
        o="event:boggetti-visit-to-kuwait",
    ),
    stated(
        "quotation:boggetti-first-of-a-series",
        "schema:about",
        "the first of a long series of cross-border meetings",
        o="event:cross-border-meeting-series",
    ),
    stated(
        "quotation:boggetti-first-of-a-series",
        "schema:about",
        "a larger project that we intend to carry out during my term",
        o="project:boggetti-term-project",
    ),
    stated("quotation:boggetti-catalyst-subject", ANY, Q2_FIRST, Q2_SECOND),
    stated("quotation:boggetti-catalyst-subject", "schema:creator", CONCLUDES_BOGGETTI),
    stated(
        "quotation:boggetti-catalyst-subject",
        "schema:about",
        "My trip to Kuwait",
        o="event:boggetti-visit-to-kuwait",
    ),
    stated(
        "quotation:boggetti-catalyst-subject",
        "schema:about",
        "I see the Alisei Cluster",
        o="organization:alisei-cluster",
    ),
    stated(
        "quotation:boggetti-catalyst-subject",
        "schema:about",
        "‘catalyst subject’ of the Life Sciences",
        o="topic:life-sciences",
    ),
    stated(
        "quotation:boggetti-catalyst-subject",
        "schema:about",
        "“Made in Italy”",
        o="topic:made-in-italy",
    ),
    stated("quotation:baldocci-italy-kuwait-relations", ANY, Q3_FIRST, Q3_SECOND),
    stated("quotation:baldocci-italy-kuwait-relations", "schema:creator", AFFIRMS_AMBASSADOR),
    stated(
        "quotation:baldocci-italy-kuwait-relations",
        "schema:about",
        Q3_FIRST,
        o="topic:italy-kuwait-relations",
    ),
    implied(
        "quotation:baldocci-italy-kuwait-relations",
        "schema:about",
        "important synergies in the research and innovation sectors",
        o="topic:life-sciences-research-and-innovation",
        note="He says 'the research and innovation sectors', not 'the research and"
        " innovation of the Life Sciences system' (a topic discussed at the visit); read as"
        " the same topic.",
    ),
    stated(
        "quotation:baldocci-italy-kuwait-relations",
        "schema:about",
        "the promotion of the Life Sciences sector",
        o="topic:life-sciences-promotion",
    ),
    stated(
        "quotation:baldocci-italy-kuwait-relations",
        "schema:about",
        "in Kuwait and in the entire Gulf region",
        o="place:kuwait",
    ),
    stated(
        "quotation:baldocci-italy-kuwait-relations",
        "schema:about",
        "in Kuwait and in the entire Gulf region",
        o="place:gulf-region",
    ),
    # claims: the words; who makes each, by the words that attribute it (or why not)
    stated("claim:visit-is-a-step-forward", ANY, STEP_FORWARD),
    implied("claim:visit-is-a-step-forward", "kb:claimedBy", STEP_FORWARD, note=OUTSIDE_QUOTES),
    implied(
        "claim:visit-is-a-step-forward",
        "schema:about",
        STEP_FORWARD,
        o="event:boggetti-visit-to-kuwait",
        note="The sentence has no verb and no subject; it follows the paragraph on the visit"
        " and is read as about it.",
    ),
    stated("claim:visit-is-a-historic-opportunity", ANY, Q2_FIRST),
    stated("claim:visit-is-a-historic-opportunity", "kb:claimedBy", CONCLUDES_BOGGETTI),
    stated(
        "claim:visit-is-a-historic-opportunity",
        "schema:about",
        "My trip to Kuwait",
        o="event:boggetti-visit-to-kuwait",
    ),
    implied(
        "claim:visit-is-a-historic-opportunity",
        "schema:about",
        "our country",
        o="place:italy",
        note="The speaker says 'our country'; it is read as Italy, the country of the"
        " Italian organisations he presides. The article does not name it here.",
    ),
    stated("claim:alisei-cluster-is-a-catalyst-subject", ANY, Q2_SECOND),
    stated("claim:alisei-cluster-is-a-catalyst-subject", "kb:claimedBy", CONCLUDES_BOGGETTI),
    stated(
        "claim:alisei-cluster-is-a-catalyst-subject",
        "schema:about",
        "I see the Alisei Cluster",
        o="organization:alisei-cluster",
    ),
    stated(
        "claim:alisei-cluster-is-a-catalyst-subject",
        "schema:about",
        "‘catalyst subject’ of the Life Sciences",
        o="topic:life-sciences",
    ),
    stated(
        "claim:alisei-cluster-is-a-catalyst-subject",
        "schema:about",
        "“Made in Italy”",
        o="topic:made-in-italy",
    ),
    stated("claim:italy-kuwait-relations-are-favourable", ANY, Q3_FIRST),
    stated("claim:italy-kuwait-relations-are-favourable", "kb:claimedBy", AFFIRMS_AMBASSADOR),
    stated("claim:synergies-and-collaborations-to-investigate", ANY, Q3_SECOND),
    stated("claim:synergies-and-collaborations-to-investigate", "kb:claimedBy", AFFIRMS_AMBASSADOR),
    stated(
        "claim:synergies-and-collaborations-to-investigate",
        "schema:about",
        "the promotion of the Life Sciences sector in Kuwait and in the entire Gulf region",
    ),
    stated("claim:italy-kuwait-relations-are-excellent", ANY, EXCELLENT),
    editorial("claim:italy-kuwait-relations-are-excellent", "kb:claimedBy", note=SPEAKER),
    implied(
        "claim:italy-kuwait-relations-are-excellent",
        "schema:about",
        "between the two countries, " + EXCELLENT,
        note=TWO_COUNTRIES,
    ),
    stated("claim:gulf-interest-in-italian-life-sciences", ANY, GULF_INTEREST),
    editorial("claim:gulf-interest-in-italian-life-sciences", "kb:claimedBy", note=SPEAKER),
    stated(
        "claim:gulf-interest-in-italian-life-sciences",
        "schema:about",
        GULF_COUNTRIES,
        o="place:kuwait",
    ),
    stated(
        "claim:gulf-interest-in-italian-life-sciences",
        "schema:about",
        GULF_COUNTRIES,
        o="place:gulf-countries",
    ),
    stated(
        "claim:gulf-interest-in-italian-life-sciences",
        "schema:about",
        "the Italian reality in Life Sciences",
        o="topic:life-sciences",
    ),
    stated("claim:will-to-consolidate-know-how-exchange", ANY, WILL),
    editorial("claim:will-to-consolidate-know-how-exchange", "kb:claimedBy", note=SPEAKER),
    stated(
        "claim:will-to-consolidate-know-how-exchange",
        "schema:about",
        "the exchange of know-how",
        o="topic:know-how-exchange",
    ),
    implied(
        "claim:will-to-consolidate-know-how-exchange",
        "schema:about",
        "between the two countries",
        o="place:italy",
        note=TWO_COUNTRIES,
    ),
    implied(
        "claim:will-to-consolidate-know-how-exchange",
        "schema:about",
        "between the two countries",
        o="place:kuwait",
        note=TWO_COUNTRIES,
    ),
    stated("claim:will-to-continue-investing-in-life-sciences", ANY, CONTINUE),
    editorial("claim:will-to-continue-investing-in-life-sciences", "kb:claimedBy", note=SPEAKER),
    stated(
        "claim:will-to-continue-investing-in-life-sciences",
        "schema:about",
        "the investment in Life Sciences",
        o="topic:life-sciences",
    ),
    implied(
        "claim:will-to-continue-investing-in-life-sciences",
        "schema:about",
        "the promotion of the sector",
        o="topic:life-sciences-promotion",
        note="'the sector' is read as the Life Sciences sector, named earlier in the sentence.",
    ),
    stated("claim:alisei-cluster-is-a-leading-promoter", ANY, LEADING_PROMOTER),
    implied(
        "claim:alisei-cluster-is-a-leading-promoter",
        "kb:claimedBy",
        LEADING_PROMOTER,
        note=OUTSIDE_QUOTES,
    ),
)


# ---------------------------------------------------------------------------------------
# Matching the table to the facts
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One fact triple (Turtle terms) and the row that gives its basis and evidence."""

    subject: str
    predicate: str
    obj: str
    local: str
    row: Row


def curie(iri: str) -> str:
    """``prefix:local`` for an IRI in a known namespace (``a`` for rdf:type), else ``<iri>``."""
    if iri == PREFIXES["rdf"] + "type":
        return "a"
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and re.fullmatch(r"[A-Za-z][\w-]*", local):
            return f"{prefix}:{local}"
    return f"<{iri}>"


def turtle_string(text: str) -> str:
    """A Turtle short string; no-break spaces escaped so they stay visible."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace(NBSP, "\\u00A0") + '"'


def turtle_long_string(text: str) -> str:
    """A Turtle long string keeping the article's line breaks."""
    assert '"""' not in text and "\\" not in text and not text.endswith('"')
    return '"""' + text.replace(NBSP, "\\u00A0") + '"""'


def turtle_term(term: object) -> str:
    """An rdflib IRI or literal as Turtle."""
    if isinstance(term, Literal):
        text = turtle_string(str(term))
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype and str(term.datatype) != XSD_STRING:
            return f"{text}^^{curie(str(term.datatype))}"
        return text
    return curie(str(term))


def match(rows: tuple[Row, ...], s: str, p: str, o: str) -> Row:
    candidates = [
        row
        for row in rows
        if row.subject == s and row.predicate in (p, ANY) and row.obj in (o, ANY)
    ]
    if not candidates:
        raise SystemExit(f"no row of the table for the fact {s} {p} {o}")
    best = max(row.specificity() for row in candidates)
    chosen = [row for row in candidates if row.specificity() == best]
    if len(chosen) > 1:
        raise SystemExit(f"several rows of the table for the fact {s} {p} {o}")
    return chosen[0]


def statements(facts: Graph, rows: tuple[Row, ...] = TABLE) -> list[Statement]:
    """Every fact triple with its row; every row must be used, every IRI unique."""
    found, used, names = [], set(), {}
    for s, p, o in fact_triples(facts):
        subject, predicate, obj = curie(str(s)), curie(str(p)), turtle_term(o)
        row = match(rows, subject, predicate, obj)
        used.add(row)
        local = statement_local(str(s), str(p), str(o), isinstance(o, Literal))
        if names.setdefault(local, (s, p, o)) != (s, p, o):
            raise SystemExit(f"two fact triples would share the statement {local}")
        found.append(Statement(subject, predicate, obj, local, row))
    unused = [row for row in rows if row not in used]
    if unused:
        raise SystemExit(f"rows of the table that match no fact: {unused}")
    return found


def subject_order(facts_text: str) -> dict[str, int]:
    """Each subject's position in data/kb.ttl, so the evidence follows its order."""
    return {m.group(1): m.start() for m in re.finditer(r"^([\w-]+:[\w-]+)$", facts_text, re.M)}


def sort_key(order: dict[str, int], st: Statement) -> tuple[int, str, str, str]:
    return order.get(st.subject, len(order)), st.subject, st.predicate != "a", st.local


# ---------------------------------------------------------------------------------------
# Writing the evidence
# ---------------------------------------------------------------------------------------


def occurrences(text: str, exact: str) -> list[int]:
    starts, at = [], text.find(exact)
    while at != -1:
        starts.append(at)
        at = text.find(exact, at + 1)
    return starts


def locate(text: str, words: Words, where: str) -> tuple[int, int, int]:
    """(start, end, how many times the words occur) of the chosen occurrence."""
    starts = occurrences(text, words.exact)
    if len(starts) <= words.occurrence:
        raise SystemExit(f"not in the article: {where}: {words.exact!r}")
    start = starts[words.occurrence]
    return start, start + len(words.exact), len(starts)


def target_block(text: str, start: int, end: int, count: int) -> str:
    """The shared target of every annotation of the words at [start, end)."""
    ident = f"annotation:words-{start}-{end}"
    exact = text[start:end]
    lines = [
        f"{ident}",
        "    a oa:SpecificResource ;",
        f"    oa:hasSource {ARTICLE} ;",
        f"    oa:hasSelector {ident}-quote , {ident}-position .",
        "",
        f"{ident}-quote",
        "    a oa:TextQuoteSelector ;",
        f"    oa:exact {turtle_string(exact)}" + (" ;" if count > 1 else " ."),
    ]
    if count > 1:
        context = [
            ("oa:prefix", text[max(0, start - CONTEXT_CHARS) : start]),
            ("oa:suffix", text[end : end + CONTEXT_CHARS]),
        ]
        context = [(name, words) for name, words in context if words]
        lines += [
            f"    {name} {turtle_string(words)}" + (" ." if i == len(context) - 1 else " ;")
            for i, (name, words) in enumerate(context)
        ]
    lines += [
        "",
        f"{ident}-position",
        "    a oa:TextPositionSelector ;",
        f"    oa:start {start} ;",
        f"    oa:end {end} .",
        "",
    ]
    return "\n".join(lines)


def statement_block(text: str, st: Statement, spans: dict[tuple[int, int], int]) -> str:
    """The statement node, then one annotation per piece of its words."""
    row = st.row
    lines = [
        f"statement:{st.local}",
        "    a rdf:Statement ;",
        f"    rdf:subject {st.subject} ;",
        f"    rdf:predicate {'rdf:type' if st.predicate == 'a' else st.predicate} ;",
        f"    rdf:object {st.obj} ;",
        f"    kb:basis concept:{row.basis}",
    ]
    if row.source:
        lines[-1] += " ;"
        lines.append(f"    prov:wasDerivedFrom <{row.source}>")
    if row.note:
        lines[-1] += " ;"
        lines.append(f"    skos:editorialNote {turtle_string(row.note)}@en")
    lines[-1] += " ."
    lines.append("")
    for number, words in enumerate(row.words, start=1):
        start, end, count = locate(text, words, f"{st.subject} {st.predicate} {st.obj}")
        spans[(start, end)] = count
        ident = f"annotation:{st.local}" + (f"-{number}" if len(row.words) > 1 else "")
        lines += [
            ident,
            "    a oa:Annotation ;",
            "    oa:motivatedBy oa:describing ;",
            f"    oa:hasBody statement:{st.local} ;",
            f"    oa:hasTarget annotation:words-{start}-{end} .",
            "",
        ]
    return "\n".join(lines)


def prefix_lines(names: tuple[str, ...]) -> str:
    width = max(len(n) for n in names) + 1
    return "\n".join(f"@prefix {(n + ':').ljust(width)} <{PREFIXES[n]}> ." for n in names)


BASE_DEFINITIONS = {
    "stated": "The article's words state it; its annotations give the words.",
    "implied": (
        "It follows from the article's words but is not said; its annotations give the"
        " words and its editorial note says why."
    ),
    "external": (
        "Knowledge from outside the article; its editorial note says what, and"
        " prov:wasDerivedFrom gives the source where there is one."
    ),
    "editorial": (
        "A modelling device of the knowledge base, such as a name or label we wrote or a"
        " concept scheme; its editorial note says why."
    ),
}


def bases_block() -> str:
    """The scheme of the four bases and its concepts."""
    lines = [
        "# The four bases a statement can have (kb:basis)",
        "concept:bases",
        "    a skos:ConceptScheme ;",
        '    skos:prefLabel "bases of statements"@en ;',
        '    skos:definition "What a statement of the knowledge base rests on."@en .',
        "",
    ]
    for name, definition in BASE_DEFINITIONS.items():
        lines += [
            f"concept:{name}",
            "    a skos:Concept ;",
            "    skos:inScheme concept:bases ;",
            f'    skos:prefLabel "{name}"@en ;',
            f"    skos:definition {turtle_string(definition)}@en .",
            "",
        ]
    return "\n".join(lines)


def evidence_ttl(text: str, facts_text: str | None = None) -> str:
    """data/evidence.ttl for the article ``text`` and the facts (data/kb.ttl by default)."""
    facts_text = FACTS.read_text(encoding="utf-8") if facts_text is None else facts_text
    facts = Graph().parse(data=facts_text, format="turtle")
    order = subject_order(facts_text)
    spans: dict[tuple[int, int], int] = {}
    blocks, current = [], None
    for st in sorted(statements(facts), key=lambda st: sort_key(order, st)):
        if st.subject != current:
            current = st.subject
            blocks.append(f"# {st.subject}")
        blocks.append(statement_block(text, st, spans))
    targets = [target_block(text, s, e, count) for (s, e), count in sorted(spans.items())]
    header = (
        "# Evidence: for each fact triple of data/kb.ttl, its statement node and basis, and\n"
        "# the words of the article behind it.\n"
        "#\n"
        "# Generated by scripts/build_evidence.py from data/kb.ttl and its table; edit those,\n"
        "# not this. Each rdf:Statement reifies one fact triple (rdf:subject, rdf:predicate,\n"
        "# rdf:object) and has one kb:basis: stated, implied, external or editorial (the\n"
        "# scheme concept:bases below), and a skos:editorialNote saying why unless stated.\n"
        "# Each oa:Annotation has a statement as its body (oa:hasBody) and targets the\n"
        "# article's words with two selectors: the exact words (oa:TextQuoteSelector, with\n"
        "# oa:prefix/oa:suffix where the words occur more than once) and their position in\n"
        "# code points (oa:TextPositionSelector, end exclusive); annotations of the same\n"
        "# words share that target, listed at the end.\n\n"
    )
    kinds = tuple(dict.fromkeys(name.split(":")[0] for name in order if ":" in name))
    prefixes = (
        "rdf", "rdfs", "schema", "org", "prov", "skos", "oa", "kb", "wd",
        "article", "annotation", "statement", "concept",
        *(k for k in kinds if k not in ("article", "annotation", "statement", "concept")),
    )  # fmt: skip
    return (
        header
        + prefix_lines(prefixes)
        + "\n\n"
        + bases_block()
        + "\n"
        + "\n".join(blocks)
        + "\n# The words: one target per span of the article, shared by its annotations\n\n"
        + "\n".join(targets)
    )


def article_ttl(text: str) -> str:
    return (
        "# The source article: one schema:NewsArticle whose schema:text is the source file,\n"
        "# data/source/000_86b06078204c6c08.txt, code point for code point (the final\n"
        "# Telegram line is the publisher's page boilerplate, kept for exact offsets).\n"
        "# The article states no headline, date, author or publisher; none is recorded.\n"
        "#\n"
        "# Generated by scripts/build_evidence.py; edit the source file, not this.\n\n"
        + prefix_lines(("rdfs", "schema", "dcterms", "article"))
        + "\n\n"
        + f"{ARTICLE}\n"
        + "    a schema:NewsArticle ;\n"
        + '    schema:inLanguage "en" ;\n'
        + '    dcterms:identifier "000_86b06078204c6c08" ;\n'
        + '    rdfs:comment "Text copied from the seed file 000_86b06078204c6c08.txt'
        + ' given to the project as its source document."@en ;\n'
        + f"    schema:text {turtle_long_string(text)} .\n"
    )


def write_atomically(path: Path, content: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(content, encoding="utf-8")
    temporary.replace(path)


def main() -> None:
    text = SOURCE.read_text(encoding="utf-8")
    write_atomically(ROOT / "data" / "article.ttl", article_ttl(text))
    write_atomically(ROOT / "data" / "evidence.ttl", evidence_ttl(text))


if __name__ == "__main__":
    main()
