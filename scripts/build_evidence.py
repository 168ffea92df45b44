"""Write data/article.ttl and data/evidence.ttl from the source article and the span table.

The facts (data/kb.ttl) are written by hand; their evidence is not, because character
offsets are easy to get wrong by hand. Each row of ``EVIDENCE`` names a node and the
exact words of the article that state it; this script finds the words, computes the
``oa:TextPositionSelector`` offsets (Unicode code points, as Python ``str`` indexes them)
and adds ``oa:prefix``/``oa:suffix`` where the words occur more than once.

Run ``python scripts/build_evidence.py`` after changing the table; a test checks that the
committed files are what this script writes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.namespaces import PREFIXES  # noqa: E402

SOURCE = ROOT / "data" / "source" / "000_86b06078204c6c08.txt"
ARTICLE = "article:86b06078204c6c08"
CONTEXT_CHARS = 32
NBSP = "\u00a0"


@dataclass(frozen=True)
class Span:
    """Words of the article that state something about ``body``."""

    body: str
    exact: str
    occurrence: int = 0  # which occurrence, when the words occur more than once
    part: int = 0  # 1, 2, … for the parts of an interrupted quotation


BOGGETTI_INTRO = (
    "Massimiliano Boggetti, newly elected president of the Alisei National Life Sciences"
    " Technology Cluster"
)
BOTH_POSTS = BOGGETTI_INTRO + " – and current President of Confindustria Medical Devices"
MEETINGS = (
    f"held a series of{NBSP} meetings with the institutional and business leaders of the area,"
    f" including the Minister of Health H.E. Dr. Khalid{NBSP} Al-Saeed"
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

EVIDENCE: tuple[Span, ...] = (
    # places
    Span("place:italy", "relations between Italy and Kuwait"),
    Span("place:kuwait", "visited Kuwait"),
    Span("place:gulf-countries", "Kuwait – and more generally the Gulf countries"),
    Span("place:gulf-region", "in Kuwait and in the entire Gulf region"),
    # persons
    Span("person:massimiliano-boggetti", "Massimiliano Boggetti"),
    Span("person:khalid-al-saeed", f"H.E. Dr. Khalid{NBSP} Al-Saeed"),
    Span("person:mohammed-jassem-al-sager", "Mohammed Jassem Al-Sager"),
    Span("person:carlo-baldocci", "H.E. Carlo Baldocci"),
    # organisations (the implied ones cite the words that imply them)
    Span("organization:alisei-cluster", "Alisei National Life Sciences Technology Cluster"),
    Span("organization:confindustria-medical-devices", "Confindustria Medical Devices"),
    Span("organization:ministry-of-health-kuwait", "the Minister of Health"),
    Span("organization:chamber-of-commerce-kuwait", "the President of the Chamber of Commerce"),
    Span(
        "organization:embassy-of-italy-in-kuwait",
        "the Ambassador of Italy in H.E. Carlo Baldocci",
    ),
    # roles
    Span("role:president", "president"),
    Span("role:minister", "Minister"),
    Span("role:ambassador", "Ambassador"),
    # posts
    Span("post:alisei-cluster-president", BOGGETTI_INTRO),
    Span("post:confindustria-medical-devices-president", BOTH_POSTS),
    Span(
        "post:kuwait-minister-of-health", f"the Minister of Health H.E. Dr. Khalid{NBSP} Al-Saeed"
    ),
    Span(
        "post:chamber-of-commerce-president",
        "the President of the Chamber of Commerce, Mohammed Jassem Al-Sager",
    ),
    Span("post:ambassador-of-italy-in-kuwait", "the Ambassador of Italy in H.E. Carlo Baldocci"),
    # the visit, its meetings, the series and the project
    Span("event:boggetti-visit-to-kuwait", BOTH_POSTS + " – visited Kuwait"),
    Span("event:meeting-with-minister-of-health", MEETINGS),
    Span(
        "event:meeting-with-chamber-of-commerce-president",
        MEETINGS + " and the President of the Chamber of Commerce, Mohammed Jassem Al-Sager",
    ),
    Span(
        "event:cross-border-meeting-series",
        "the visit represents the first of a long series of cross-border meetings",
    ),
    Span(
        "project:boggetti-term-project",
        "part of a larger project that we intend to carry out during my term",
    ),
    # topics
    Span(
        "topic:life-sciences-research-and-innovation",
        "the research and innovation of the Life Sciences system",
    ),
    Span("topic:technology-transfer", "technology transfer"),
    Span("topic:life-sciences", "‘catalyst subject’ of the Life Sciences"),
    Span("topic:italy-kuwait-relations", "relations between Italy and Kuwait"),
    Span("topic:life-sciences-promotion", "the promotion of the Life Sciences sector"),
    Span("topic:know-how-exchange", "the exchange of know-how"),
    Span("topic:made-in-italy", "“Made in Italy”"),
    Span(
        "topic:research-industry-institutions-interaction",
        "the interaction between the multidisciplinary research system, the"
        " pharmaceutical-biomedical industrial fabric and the public institutions in the"
        " health sector",
    ),
    # aims
    Span(
        "aim:resume-dialogue", "with a view to resuming a dialogue wisely created in past decades"
    ),
    Span(
        "aim:open-doors-to-strategic-projects",
        "open the doors to future strategic projects for the sector",
    ),
    Span("aim:activate-synergies", "activate synergies"),
    Span(
        "aim:long-term-collaboration",
        "generate a long-term collaboration between the leaders of the two countries",
    ),
    Span(
        "aim:impulse-to-research-and-innovation-in-italy",
        "with the aim of giving a concrete impulse to research and innovation in Italy",
    ),
    # quotations, one span per part
    Span(
        "quotation:boggetti-first-of-a-series",
        "As the newly elected President of the Alisei Cluster",
        part=1,
    ),
    Span(
        "quotation:boggetti-first-of-a-series",
        "the visit represents the first of a long series of cross-border meetings that are part"
        " of a larger project that we intend to carry out during my term.",
        part=2,
    ),
    Span("quotation:boggetti-catalyst-subject", Q2_FIRST, part=1),
    Span("quotation:boggetti-catalyst-subject", Q2_SECOND, part=2),
    Span("quotation:baldocci-italy-kuwait-relations", Q3_FIRST, part=1),
    Span("quotation:baldocci-italy-kuwait-relations", Q3_SECOND, part=2),
    # claims
    Span("claim:visit-is-a-step-forward", "A step forward for the Italian Life Sciences sector"),
    Span("claim:visit-is-a-historic-opportunity", Q2_FIRST),
    Span("claim:alisei-cluster-is-a-catalyst-subject", Q2_SECOND),
    Span("claim:italy-kuwait-relations-are-favourable", Q3_FIRST),
    Span(
        "claim:italy-kuwait-relations-are-excellent",
        "already linked by excellent diplomatic and commercial relations",
    ),
    Span(
        "claim:gulf-interest-in-italian-life-sciences",
        "Kuwait – and more generally the Gulf countries – have always shown great interest in"
        " the Italian reality in Life Sciences, recognizing a strong connotation of excellence.",
    ),
    Span(
        "claim:will-to-consolidate-know-how-exchange",
        "The will is to be able to consolidate the exchange of know-how between the two countries",
    ),
    Span(
        "claim:alisei-cluster-is-a-leading-promoter",
        "The Alisei National Life Sciences Technology Cluster confirms itself as a leading"
        " promoter in the interaction between the multidisciplinary research system, the"
        " pharmaceutical-biomedical industrial fabric and the public institutions in the health"
        " sector",
    ),
)


def turtle_string(text: str) -> str:
    """A Turtle short string; no-break spaces escaped so they stay visible."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace(NBSP, "\\u00A0") + '"'


def turtle_long_string(text: str) -> str:
    """A Turtle long string keeping the article's line breaks."""
    assert '"""' not in text and "\\" not in text and not text.endswith('"')
    return '"""' + text.replace(NBSP, "\\u00A0") + '"""'


def occurrences(text: str, exact: str) -> list[int]:
    starts, at = [], text.find(exact)
    while at != -1:
        starts.append(at)
        at = text.find(exact, at + 1)
    return starts


def annotation_id(span: Span) -> str:
    kind, local = span.body.split(":", 1)
    suffix = f"-part-{span.part}" if span.part else ""
    return f"annotation:{kind}-{local}{suffix}"


def annotation_block(text: str, span: Span) -> str:
    starts = occurrences(text, span.exact)
    if len(starts) <= span.occurrence:
        raise SystemExit(f"not in the article: {span.body}: {span.exact!r}")
    start = starts[span.occurrence]
    end = start + len(span.exact)
    ident = annotation_id(span)
    lines = [
        f"# {span.body}" + (f" (part {span.part})" if span.part else ""),
        f"{ident}",
        "    a oa:Annotation ;",
        "    oa:motivatedBy oa:describing ;",
        f"    oa:hasBody {span.body} ;",
        f"    oa:hasTarget {ident}-target .",
        "",
        f"{ident}-target",
        "    a oa:SpecificResource ;",
        f"    oa:hasSource {ARTICLE} ;",
        f"    oa:hasSelector {ident}-quote , {ident}-position .",
        "",
        f"{ident}-quote",
        "    a oa:TextQuoteSelector ;",
        f"    oa:exact {turtle_string(span.exact)}" + (" ;" if len(starts) > 1 else " ."),
    ]
    if len(starts) > 1:
        prefix = text[max(0, start - CONTEXT_CHARS) : start]
        suffix = text[end : end + CONTEXT_CHARS]
        context = [("oa:prefix", prefix), ("oa:suffix", suffix)]
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


def prefix_lines(names: tuple[str, ...]) -> str:
    width = max(len(n) for n in names) + 1
    return "\n".join(f"@prefix {(n + ':').ljust(width)} <{PREFIXES[n]}> ." for n in names)


def evidence_ttl(text: str) -> str:
    header = (
        "# Evidence: for each node of data/kb.ttl, the words of the article that state it.\n"
        "#\n"
        "# Generated by scripts/build_evidence.py from its span table; edit that, not this.\n"
        "# Each oa:Annotation describes one node (oa:hasBody) and targets the article with\n"
        "# two selectors: the exact words (oa:TextQuoteSelector, with oa:prefix/oa:suffix\n"
        "# where the words occur more than once) and their position in code points\n"
        "# (oa:TextPositionSelector, end exclusive).\n\n"
    )
    blocks = [annotation_block(text, span) for span in EVIDENCE]
    body_kinds = tuple(dict.fromkeys(span.body.split(":", 1)[0] for span in EVIDENCE))
    prefixes = ("oa", "article", "annotation", *body_kinds)
    return header + prefix_lines(prefixes) + "\n\n" + "\n".join(blocks)


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
