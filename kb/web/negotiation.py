"""Content negotiation: the representations a resource has, and which one an ``Accept``
header (RFC 9110 §12.5.1: lists, q-values, ``type/*``, ``*/*``, parameters) asks for.

Pure functions, no I/O. On a tie the server's order decides, HTML first, so that a
client saying only ``*/*`` (curl) or nothing at all gets the page.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from kb.formats import rdf_format


@dataclass(frozen=True)
class Representation:
    """One format a resource is offered in."""

    name: str  # the ``?format=`` value and kb.export format name
    media_type: str
    extension: str
    label: str
    aliases: tuple[str, ...] = ()


def _rdf(name: str) -> Representation:
    """An RDF format as the registry (kb.formats) describes it."""
    found = rdf_format(name)
    extension = found.extensions[0]
    return Representation(found.name, found.media_type, extension, found.label, found.media_aliases)


HTML = Representation("html", "text/html", ".html", "HTML", ("application/xhtml+xml",))
TURTLE = _rdf("turtle")
JSONLD = _rdf("jsonld")
NTRIPLES = _rdf("nt")
RDFXML = _rdf("xml")
#: Every representation of a resource, in the server's order of preference.
RESOURCE_FORMATS = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML)
RDF_FORMATS = RESOURCE_FORMATS[1:]
#: Media types a few clients ask for that we answer with another's format, with the
#: q-value scaled down so that the proper type wins when both are asked for.
_LOOSE_ALIASES = {
    "text/plain": NTRIPLES,  # rdflib asks N-Triples as text/plain
    "application/json": JSONLD,
    "application/xml": RDFXML,
    "text/xml": RDFXML,
}
#: ``?format=`` values and their synonyms.
FORMAT_NAMES = {
    "html": HTML,
    "turtle": TURTLE,
    "ttl": TURTLE,
    "jsonld": JSONLD,
    "json-ld": JSONLD,
    "nt": NTRIPLES,
    "ntriples": NTRIPLES,
    "n-triples": NTRIPLES,
    "xml": RDFXML,
    "rdf": RDFXML,
    "rdfxml": RDFXML,
}
BY_EXTENSION = {r.extension: r for r in RESOURCE_FORMATS}

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_RANGE = re.compile(rf"^\s*({_TOKEN})/({_TOKEN})\s*$")
_MAX_RANGES = 64


@dataclass(frozen=True)
class MediaRange:
    """One element of an Accept header."""

    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """How exactly this range names ``media_type``: 2 exact, 1 ``type/*``, 0 ``*/*``,
        -1 not at all."""
        kind, sub = media_type.split("/", 1)
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed elements are skipped, and an
    absent or empty header means ``*/*``."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for element in header.split(",")[:_MAX_RANGES]:
        media, *params = element.split(";")
        match = _RANGE.match(media)
        if not match:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                q = _qvalue(value)
        ranges.append(MediaRange(match.group(1).lower(), match.group(2).lower(), q))
    return ranges


def _qvalue(text: str) -> float:
    try:
        value = float(text.strip().strip('"'))
    except ValueError:
        return 0.0
    return min(max(value, 0.0), 1.0)


def quality(ranges: list[MediaRange], *media_types: str) -> float:
    """The q-value ``ranges`` give something offered as any of ``media_types``: that of
    the most specific range that matches one of them (0 when none does)."""
    best, best_q = -1, 0.0
    for media_range in ranges:
        level = max(media_range.specificity(t) for t in media_types)
        if level > best or (level == best and level >= 0 and media_range.q > best_q):
            best, best_q = level, media_range.q
    return best_q if best >= 0 else 0.0


def _offer_quality(ranges: list[MediaRange], offer: Representation) -> float:
    score = quality(ranges, offer.media_type, *offer.aliases)
    for loose, target in _LOOSE_ALIASES.items():
        if target is offer:
            # only an explicit mention counts, and below the proper type
            explicit = [r.q * 0.9 for r in ranges if r.specificity(loose) == 2]
            score = max([score, *explicit])
    return score


@functools.lru_cache(maxsize=1024)  # clients send few distinct headers, each many times
def choose(header: str | None, offers: tuple[Representation, ...]) -> Representation | None:
    """The offer ``header`` prefers (ties go to the earlier offer), or None when it
    accepts none of them."""
    ranges = parse_accept(header)
    best: Representation | None = None
    best_q = 0.0
    for offer in offers:
        q = _offer_quality(ranges, offer)
        if q > best_q:
            best, best_q = offer, q
    return best
