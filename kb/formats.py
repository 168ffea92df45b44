"""The one format registry: each RDF and SPARQL results format by the name the CLI uses,
with its media type, file extensions, pyoxigraph format and rdflib name. Loading, export,
queries, the CLI's choices and content negotiation all read it (no I/O, no imports of
pyoxigraph until a format object is asked for).

>>> rdf_format("turtle").media_type, by_extension(".owl").name, by_media_type("text/csv").name
('text/turtle', 'xml', 'csv')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RdfFormat:
    """An RDF serialisation format."""

    #: the name ``--format`` takes
    name: str
    #: the name people know it by (in messages)
    label: str
    media_type: str
    #: file extensions read as this format (the first is the one to write)
    extensions: tuple[str, ...]
    #: the ``pyoxigraph.RdfFormat`` attribute
    oxigraph_name: str
    #: the rdflib parser/serializer name
    rdflib: str
    #: whether it can hold named graphs (a file of it may need its quads read)
    quads: bool = False
    #: whether our serialisation declares the common prefixes
    prefixed: bool = False
    #: whether ``kb export`` writes it
    exported: bool = True
    #: other media types that name exactly this format (registered or in common use)
    media_aliases: tuple[str, ...] = ()

    def oxigraph(self) -> Any:
        """The ``pyoxigraph.RdfFormat``."""
        import pyoxigraph

        return getattr(pyoxigraph.RdfFormat, self.oxigraph_name)


@dataclass(frozen=True)
class ResultsFormat:
    """A SPARQL query results format (SELECT and ASK answers)."""

    name: str
    media_type: str
    extension: str
    #: the ``pyoxigraph.QueryResultsFormat`` attribute
    oxigraph_name: str

    def oxigraph(self) -> Any:
        """The ``pyoxigraph.QueryResultsFormat``."""
        import pyoxigraph

        return getattr(pyoxigraph.QueryResultsFormat, self.oxigraph_name)


#: Every RDF format, in the order the CLI lists them.
RDF_FORMATS: tuple[RdfFormat, ...] = (
    RdfFormat(
        "turtle",
        "Turtle",
        "text/turtle",
        (".ttl", ".turtle"),
        "TURTLE",
        "turtle",
        prefixed=True,
        media_aliases=("application/x-turtle",),
    ),
    RdfFormat("nt", "N-Triples", "application/n-triples", (".nt", ".ntriples"), "N_TRIPLES", "nt"),
    RdfFormat(
        "nq", "N-Quads", "application/n-quads", (".nq", ".nquads"), "N_QUADS", "nquads", quads=True
    ),
    RdfFormat(
        "trig", "TriG", "application/trig", (".trig",), "TRIG", "trig", quads=True, prefixed=True
    ),
    RdfFormat(
        "jsonld",
        "JSON-LD",
        "application/ld+json",
        (".jsonld", ".json"),
        "JSON_LD",
        "json-ld",
        quads=True,
    ),
    RdfFormat(
        "xml",
        "RDF/XML",
        "application/rdf+xml",
        (".rdf", ".owl", ".xml"),
        "RDF_XML",
        "xml",
        prefixed=True,
    ),
    RdfFormat("n3", "N3", "text/n3", (".n3",), "N3", "n3", exported=False),
)
#: Every SPARQL results format.
RESULTS_FORMATS: tuple[ResultsFormat, ...] = (
    ResultsFormat("csv", "text/csv", ".csv", "CSV"),
    ResultsFormat("tsv", "text/tab-separated-values", ".tsv", "TSV"),
    ResultsFormat("json", "application/sparql-results+json", ".srj", "JSON"),
    ResultsFormat("xml", "application/sparql-results+xml", ".srx", "XML"),
)

#: ``kb export --format``
EXPORT_FORMATS = tuple(f.name for f in RDF_FORMATS if f.exported)
#: ``kb query --format`` for SELECT and ASK: a table for people, or a results format
SELECT_FORMATS = ("table", *(f.name for f in RESULTS_FORMATS))
#: ``kb query --format`` for CONSTRUCT and DESCRIBE: graph formats of triples
CONSTRUCT_FORMATS = ("turtle", "nt", "jsonld", "xml")
#: ``kb query --format``: either kind
QUERY_FORMATS = tuple(dict.fromkeys((*SELECT_FORMATS, *CONSTRUCT_FORMATS)))
#: ``kb validate --format``: text for people, the JSON summary, the report graph
REPORT_FORMATS = ("text", "json", "turtle")


def rdf_format(name: str) -> RdfFormat:
    """The RDF format called ``name`` (KeyError when there is none)."""
    return _RDF_BY_NAME[name]


def results_format(name: str) -> ResultsFormat:
    """The SPARQL results format called ``name`` (KeyError when there is none)."""
    return _RESULTS_BY_NAME[name]


def by_extension(suffix: str) -> RdfFormat | None:
    """The RDF format a file with extension ``suffix`` (``.ttl``, any case) is read as."""
    return _RDF_BY_EXTENSION.get(suffix.lower())


def by_media_type(media_type: str) -> RdfFormat | ResultsFormat | None:
    """The format of a media type (parameters such as ``; charset=utf-8`` ignored)."""
    return _BY_MEDIA_TYPE.get(media_type.split(";")[0].strip().lower())


_RDF_BY_NAME = {f.name: f for f in RDF_FORMATS}
_RESULTS_BY_NAME = {f.name: f for f in RESULTS_FORMATS}
_RDF_BY_EXTENSION = {ext: f for f in RDF_FORMATS for ext in f.extensions}
_BY_MEDIA_TYPE: dict[str, RdfFormat | ResultsFormat] = {
    **{alias: f for f in RDF_FORMATS for alias in f.media_aliases},
    **{f.media_type: f for f in (*RDF_FORMATS, *RESULTS_FORMATS)},
}
#: every file extension read as RDF
RDF_EXTENSIONS = tuple(_RDF_BY_EXTENSION)
