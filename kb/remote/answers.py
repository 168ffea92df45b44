"""Parse a server's answer (RDF or SPARQL results) with the same refusals as a local file:
the content type must name the syntax, XML with a DOCTYPE or entities is refused before
parsing, and a body that breaks anywhere (a JSON answer cut after a row, an invalid IRI in
the middle) is a one-line ServerError before any row is used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kb.remote.client import HttpClient, Response
from kb.store import DOCTYPE_REFUSED, TOO_DEEP_REFUSED, declares_entities, nested_too_deep

if TYPE_CHECKING:
    import pyoxigraph


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _refuse_entities(client: HttpClient, url: str, answer: Response) -> None:
    """A ServerError when an XML answer declares a DOCTYPE or entities, or nests
    elements past kb.store.MAX_XML_DEPTH."""
    if "xml" in answer.content_type and declares_entities(answer.body):
        refused = DOCTYPE_REFUSED.replace("RDF/XML", answer.content_type)
        raise client.fail(url, f"the answer is {refused}")
    if "xml" in answer.content_type and nested_too_deep(answer.body):
        raise client.fail(url, f"the answer is {TOO_DEEP_REFUSED}")


def parse_rdf(
    client: HttpClient, url: str, answer: Response, lenient: bool = False
) -> list[pyoxigraph.Triple]:
    """The triples of an RDF answer, checked against its content type (its syntax only,
    not each IRI, when ``lenient``: enough to count them, and 3 times faster)."""
    import pyoxigraph

    media = answer.content_type or "(none)"
    rdf_format = pyoxigraph.RdfFormat.from_media_type(media) if answer.content_type else None
    if rdf_format is None:
        raise client.fail(url, f"answered Content-Type {media}, not RDF")
    _refuse_entities(client, url, answer)
    try:
        quads = pyoxigraph.parse(answer.body, format=rdf_format, lenient=lenient)
        return [pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads]
    except (SyntaxError, ValueError, OSError) as exc:
        raise client.fail(url, f"the body is not valid {media}: {_first_line(exc)}") from None


def parse_results(client: HttpClient, url: str, answer: Response) -> Any:
    """SPARQL results (JSON or XML) of ``answer``, checked against its content type and
    read to the end once (pyoxigraph parses lazily: a body that breaks after its first
    rows would otherwise fail later, while the rows are formatted), then returned as a
    fresh QuerySolutions or QueryBoolean."""
    import pyoxigraph

    media = answer.content_type or "(none)"
    results_format = (
        pyoxigraph.QueryResultsFormat.from_media_type(media) if answer.content_type else None
    )
    if results_format is None:
        raise client.fail(url, f"answered Content-Type {media}, not SPARQL results")
    _refuse_entities(client, url, answer)
    broken = _first_error(answer.body, results_format)
    if broken:
        raise client.fail(url, f"the body is not valid {media}: {broken}")
    return pyoxigraph.parse_query_results(answer.body, format=results_format)


def _first_error(body: bytes, results_format: pyoxigraph.QueryResultsFormat) -> str | None:
    """The first line of the error that parsing all of ``body`` meets, or None. (Only the
    message leaves this function: a pyoxigraph object kept alive by an exception's
    traceback may be freed on another thread, which pyoxigraph refuses.)"""
    import pyoxigraph

    try:
        checked = pyoxigraph.parse_query_results(body, format=results_format)
        if isinstance(checked, pyoxigraph.QuerySolutions):
            for _solution in checked:
                pass
    except (SyntaxError, ValueError, OSError) as exc:
        return _first_line(exc)
    return None
