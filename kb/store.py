"""Parse RDF files into one in-memory ``pyoxigraph.Store`` (or straight into N-Triples);
every failure is a one-line ``FILE:LINE: message`` InputError. Nothing is ever fetched
over the network.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.errors import InputError, term_too_long
from kb.files import UTF8_BOM, max_file_size, open_regular, read_regular, require_size
from kb.formats import RDF_FORMATS

if TYPE_CHECKING:
    import pyoxigraph

#: File extension -> pyoxigraph RdfFormat attribute name.
EXTENSIONS: dict[str, str] = {ext: f.oxigraph_name for f in RDF_FORMATS for ext in f.extensions}
QUAD_FORMATS = {f.oxigraph_name for f in RDF_FORMATS if f.quads}

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_POSITION = re.compile(r"^Parser error (?:at|between) line \d+[^:]*: ")
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
#: How a file that fails to parse may reveal its real format: (start, format, extension).
_LOOKS_LIKE = (
    (re.compile(rb"^\s*<(?:\?xml|rdf:RDF)"), "RDF_XML", ".rdf"),
    (re.compile(rb"^\s*[{\[]\s*\""), "JSON_LD", ".jsonld"),
    (re.compile(rb"^\s*(?:@prefix|@base)\b"), "TURTLE", ".ttl"),
)
_FORMAT_NAMES = {f.oxigraph_name: f.label for f in RDF_FORMATS}


def format_name(path: str | Path) -> str:
    """The pyoxigraph RdfFormat name for ``path``'s extension, or InputError."""
    suffix = Path(path).suffix.lower()
    try:
        return EXTENSIONS[suffix]
    except KeyError:
        known = ", ".join(sorted(EXTENSIONS))
        raise InputError.at(path, None, f"unknown RDF format '{suffix}' (known: {known})") from None


def rdf_format(path: str | Path) -> pyoxigraph.RdfFormat:
    """The pyoxigraph RdfFormat for ``path``'s extension."""
    import pyoxigraph

    return getattr(pyoxigraph.RdfFormat, format_name(path))


def refuse_url(path: str | Path) -> None:
    """Raise InputError when ``path`` is a URL: nothing is ever fetched."""
    if isinstance(path, str) and _URL.match(path):
        raise InputError(f"{path}: URLs are never fetched; download the file and pass its path")


def _check_text(path: Path, data: bytes, fmt: str, check_utf8: bool = True) -> None:
    """Refuse empty, binary, non-UTF-8 and DOCTYPE-bearing RDF/XML content."""
    if not data or data.isspace():  # (no copy, unlike strip())
        raise InputError.at(path, None, "file is empty")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise InputError.at(path, line, "binary content (NUL byte), not an RDF text file")
    if check_utf8:
        _check_utf8(path, data)
    if fmt == "RDF_XML" and declares_entities(data):
        raise InputError.at(path, None, DOCTYPE_REFUSED)
    if fmt == "RDF_XML" and nested_too_deep(data):
        raise InputError.at(path, None, TOO_DEEP_REFUSED)


#: Why an XML document with a DOCTYPE is refused, wherever it comes from.
DOCTYPE_REFUSED = "RDF/XML with a DOCTYPE or entities is refused"


def declares_entities(xml: bytes) -> bool:
    """Whether XML text holds a DOCTYPE or an entity declaration (refused before parsing:
    no external entities, no entity expansion), in a file or in a server's answer."""
    return _DOCTYPE.search(xml) is not None


#: Deepest nesting of elements accepted in XML (RDF/XML, SPARQL XML results): the time
#: pyoxigraph's RDF/XML parser takes grows with the cube of the depth (10,000 nested
#: descriptions, 480 KB: 1.3 s; 20,000: 12 s; 200,000, under 10 MB: hours); real
#: documents nest a few dozen deep.
MAX_XML_DEPTH = 1000
TOO_DEEP_REFUSED = f"XML nested more than {MAX_XML_DEPTH} elements deep is refused"


class _TooDeep(Exception):
    pass


def nested_too_deep(document: bytes, limit: int = MAX_XML_DEPTH) -> bool:
    """Whether XML ``document`` nests elements more than ``limit`` deep (expat, in one
    linear pass; a document expat cannot read is left to the RDF parser to refuse)."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    depth = 0

    def start(name: str, attributes: object) -> None:
        nonlocal depth
        depth += 1
        if depth > limit:
            raise _TooDeep

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(document, True)
    except _TooDeep:
        return True
    except expat.ExpatError:
        return False
    return False


def read_rdf_bytes(path: str | Path, check_utf8: bool = True) -> bytes:
    """Read ``path`` once, after checking it is a local regular file within the size limit
    (``kb.files.read_regular``), then that it is non-empty UTF-8 text (UTF-8 left to the
    parser, which refuses it too, when ``check_utf8`` is false). A leading UTF-8 BOM is
    dropped, as Jena does."""
    refuse_url(path)
    path = Path(path)
    data = read_regular(path)
    fmt = format_name(path)
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    _check_text(path, data, fmt, check_utf8)
    return data


def _check_utf8(path: Path, data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError.at(path, line, f"not UTF-8 (byte 0x{data[exc.start]:02x})") from None


def syntax_error(path: str | Path, exc: SyntaxError) -> InputError:
    """Turn a pyoxigraph SyntaxError into ``FILE:LINE: message``."""
    message = str(exc.msg if exc.msg else exc)
    line = exc.lineno
    column = exc.offset
    message = _POSITION.sub("", message)
    if "LoadDocumentCallback" in message:
        message = "remote JSON-LD contexts are never fetched"
    if line and column:
        message = f"{message} (column {column})"
    return InputError.at(path, line, message)


def wrong_format(path: Path, data: bytes, fmt: str) -> InputError | None:
    """An InputError when ``data`` that failed to parse as ``fmt`` starts like another
    RDF format (RDF/XML, JSON-LD or Turtle behind the wrong extension), else None."""
    for pattern, other, extension in _LOOKS_LIKE:
        if other != fmt and pattern.match(data) and not (fmt == "TRIG" and other == "TURTLE"):
            name, ours = _FORMAT_NAMES[other], _FORMAT_NAMES[fmt]
            message = f"looks like {name}, but the extension {path.suffix} means {ours}"
            return InputError.at(path, 1, f"{message} (rename it to {extension})")
    return None


def _base_iri(path: Path) -> str:
    return path.resolve().as_uri()


#: ``progress(bytes_done, bytes_total)`` as a large input is being read.
Progress = Callable[[int, int], None]
#: Progress is reported each time about this many more bytes have been read.
PIECE = 8 * 1024 * 1024
#: Bytes read from the file at a time (and checked) for the parser.
_BUFFER = 1 << 20


class _Unreadable(Exception):
    """The stream met what ``read_rdf_bytes`` refuses (a NUL byte, nothing but blanks):
    the file is read again to word the refusal (with its line) exactly as it does."""


class _Checked(io.RawIOBase):
    """The file, checked block by block as it is read: the size limit held, NUL bytes
    refused, whether anything but blanks was seen, progress reported. Read through an
    ``io.BufferedReader`` of ``_BUFFER`` bytes, which serves the parser's small reads
    (about 2 KiB each) in C and comes here once a block."""

    def __init__(self, handle: io.FileIO, path: Path, size: int, progress: Progress | None) -> None:
        super().__init__()
        self._handle, self._path, self._size, self._limit = handle, path, size, max_file_size()
        self._progress, self._next_report, self._reported = progress, PIECE, -1
        self.done = 0
        self.blank = True

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._handle.read(len(buffer)) or b""
        count = len(data)
        buffer[:count] = data  # (bytes, unlike the buffer, have a memchr-fast ``in``)
        self.done += count
        if self.done > self._limit:
            require_size(self._path, self.done, self._limit)
        if b"\x00" in data:
            raise _Unreadable
        if self.blank:
            # (the leading BOM _stream drops is no content: a file of it alone is empty)
            if self.done == count and data.startswith(UTF8_BOM):
                data = data[len(UTF8_BOM) :]
            self.blank = not data or data.isspace()
        if self._progress is not None and (self.done >= self._next_report or not count):
            self._report(self._progress)
        return count

    def _report(self, progress: Progress) -> None:
        """Once each PIECE read, and once at the end (the parser may ask again there)."""
        if self.done != self._reported:
            self._reported, self._next_report = self.done, self.done + PIECE
            progress(self.done, max(self._size, self.done))


def _stream(checked: _Checked) -> io.BufferedReader:
    """``checked`` buffered for the parser, a leading UTF-8 BOM dropped (as Jena does)."""
    stream = io.BufferedReader(checked, _BUFFER)
    if stream.peek(len(UTF8_BOM))[: len(UTF8_BOM)] == UTF8_BOM:
        stream.read(len(UTF8_BOM))
    return stream


@contextlib.contextmanager
def _parsing(
    path: str | Path, progress: Progress | None = None
) -> Iterator[tuple[bytes | io.BufferedReader, Path, str]]:
    """(what to parse ``path`` from, its Path, its RdfFormat name): the file streamed (its
    bytes never all held beside the store being filled), except RDF/XML, read whole for
    the refusals it needs first. Within the block, a parser's failure becomes a one-line
    InputError; the file is then read again (``read_rdf_bytes``) to word it."""
    refuse_url(path)
    path = Path(path)
    with open_regular(path) as (handle, size):
        name = format_name(path)
        if name != "RDF_XML":
            with _parser_errors(path, name):
                checked = _Checked(handle, path, size, progress)
                yield _stream(checked), path, name
                if checked.blank:
                    raise _Unreadable
            return
    # UTF-8 is checked by the parser as it goes; the decode is only run on a syntax
    # error, for its clearer message.
    data = read_rdf_bytes(path, check_utf8=False)
    with _parser_errors(path, name):
        yield data, path, name


@contextlib.contextmanager
def _parser_errors(path: Path, name: str) -> Iterator[None]:
    """A parser's failure on ``path`` as a one-line InputError (FILE:LINE where known)."""
    try:
        yield
    except (SyntaxError, _Unreadable) as exc:
        data = read_rdf_bytes(path)  # raises the refusals: empty, NUL, not UTF-8
        if isinstance(exc, _Unreadable):
            raise InputError.at(path, None, "changed while being read") from None
        raise wrong_format(path, data, name) or syntax_error(path, exc) from None
    except (ValueError, OSError) as exc:
        raise InputError.at(path, None, str(exc)) from None
    except MemoryError as exc:
        raise term_too_long(exc, str(path)) or exc from None


def load_file(store: pyoxigraph.Store, path: str | Path, progress: Progress | None = None) -> None:
    """Parse ``path`` (format by extension) into ``store``'s default graph; ``progress``
    hears how far the reading of the file has got. A failed load adds nothing."""
    import pyoxigraph

    with _parsing(path, progress) as (source, path, name):
        fmt = getattr(pyoxigraph.RdfFormat, name)
        if name in QUAD_FORMATS:
            quads = pyoxigraph.parse(source, format=fmt, base_iri=_base_iri(path))
            store.extend(pyoxigraph.Quad(q.subject, q.predicate, q.object) for q in quads)
        else:
            # load, not bulk_load: into an in-memory store it is faster (5.9 s against
            # 8.4 s a million triples here) and peaks lower (0.6 GB against 0.8 GB)
            store.load(source, format=fmt, base_iri=_base_iri(path))


def file_ntriples(path: str | Path) -> bytes:
    """``path`` parsed straight into N-Triples, without a store: its graphs merged into
    one, blank nodes renamed apart from any other file's, duplicates kept, and literals
    exactly as written (a store canonicalises some, oxigraph#1413)."""
    import pyoxigraph

    with _parsing(path) as (source, path, name):
        fmt = getattr(pyoxigraph.RdfFormat, name)
        quads = pyoxigraph.parse(
            source, format=fmt, base_iri=_base_iri(path), rename_blank_nodes=True
        )
        if name in QUAD_FORMATS:
            quads = (pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads)
        return pyoxigraph.serialize(quads, format=pyoxigraph.RdfFormat.N_TRIPLES)


#: The stores ``load_files`` made since ``retain_until_exit()``; None: nothing is kept.
_retained: list[pyoxigraph.Store] | None = None


def retain_until_exit() -> None:
    """Keep every store ``load_files`` makes from now on alive until the process ends.

    For the ``kb`` command only, which then ends without freeing them: the teardown of a
    million-triple store took 0.7-1.6 s here, for memory the process gives back anyway.
    A long-running program must not call this: it would keep every store it loads."""
    global _retained
    if _retained is None:
        _retained = []


def retained() -> int:
    """How many stores are being kept until the process ends."""
    return len(_retained or ())


def release(store: pyoxigraph.Store) -> None:
    """Stop keeping ``store`` until the process ends, so that dropping it frees it."""
    if _retained is not None:
        _retained[:] = [kept for kept in _retained if kept is not store]


def load_files(
    paths: Iterable[str | Path],
    store: pyoxigraph.Store | None = None,
    progress: Progress | None = None,
) -> pyoxigraph.Store:
    """Parse every file in ``paths`` into ``store`` (a new in-memory store by default)."""
    import pyoxigraph

    if store is None:
        store = pyoxigraph.Store()
        if _retained is not None:
            _retained.append(store)
    for path in paths:
        load_file(store, path, progress)
    return store
