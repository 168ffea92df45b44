"""``kb site``: the server's pages written as static files, each resource's RDF beside
its page in every format, with nginx and Apache snippets that negotiate over them.

The directory is built beside the target and renamed into place; a target that exists
must be an earlier ``kb site`` output (it holds ``.kb-site``), so nothing else is ever
replaced. The same input gives the same bytes: pages and RDF are sorted, and nothing
written depends on the time or the machine.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph

from kb.errors import InputError, KBError, OutputError
from kb.interrupts import signals_raise
from kb.web.app import CSP, Site
from kb.web.model import is_safe_path
from kb.web.negotiation import RESOURCE_FORMATS, Representation
from kb.web.pages import STATIC

MARKER = ".kb-site"
_MEDIA_TYPES = "\n".join(
    f"    {r.media_type} {r.extension[1:]};" for r in RESOURCE_FORMATS if r.name != "html"
)
_RDF = [r for r in RESOURCE_FORMATS if r.name != "html"]


def first_named(media_type: str) -> str:
    """A PCRE pattern (nginx ``map``, Apache ``RewriteCond``) matching an Accept header
    whose first RDF type named is ``media_type`` (or one of its aliases), not refused by
    ``q=0``: a static server cannot weigh q-values, but it can take the client's order.
    N-Triples is also what ``text/plain`` asks for when no RDF type is named (rdflib asks
    so), as kb serve reads it."""
    mine = next(r for r in _RDF if r.media_type == media_type)
    others = "|".join(_escaped(name) for r in _RDF if r is not mine for name in _names(r))
    own = "|".join(_escaped(name) for name in _names(mine))
    refused = r"(?![^,]*;\s*q=0(?:\.0*)?\s*(?:,|$))"
    pattern = f"(?:(?!{others}).)*(?:{own}){refused}"
    if mine.name == "nt":
        every = "|".join(_escaped(name) for r in _RDF for name in _names(r))
        pattern = f"(?:{pattern}|(?!.*(?:{every})).*text/plain{refused})"
    return "^" + pattern


def _names(representation: Representation) -> tuple[str, ...]:
    return (representation.media_type, *representation.aliases)


def _escaped(media_type: str) -> str:
    return media_type.replace("+", "\\+").replace(".", "\\.")


_NGINX_MAP = "\n".join(f'    "~{first_named(r.media_type)}" "{r.extension}";' for r in _RDF)
NGINX = f"""# nginx: serve a `kb site` directory with content negotiation.
# Put this inside the server block whose root is the site directory. A request for
# /id/person/x gets x.html, or the RDF file beside it when Accept asks for RDF
# (the first RDF type named wins, unless text/html comes first or it is refused with
# q=0: other q-values are not weighed; kb serve weighs them; text/plain alone means
# N-Triples). Anything else gets the page. Extensions (/id/person/x.ttl) always work.

map $http_accept $kb_extension {{
    default ".html";
    "~^text/html" ".html";
{_NGINX_MAP}
}}

types {{
    text/html html;
    text/css css;
{_MEDIA_TYPES}
}}
charset utf-8;
charset_types text/turtle application/n-triples application/ld+json;

location / {{
    add_header Vary Accept always;
    add_header Content-Security-Policy "{CSP}" always;
    add_header X-Content-Type-Options nosniff always;
    try_files $uri$kb_extension $uri $uri.html $uri/index.html =404;
    error_page 404 /404.html;
}}
"""
# (the map block belongs in the http context; the rest in the server block)

APACHE = f"""# Apache: content negotiation over a `kb site` directory (mod_rewrite, mod_headers).
# A request for /id/person/x gets x.html, or the RDF file beside it of the first RDF type
# Accept names (unless it starts with text/html, or refuses that type with q=0; other
# q-values are not weighed; text/plain alone means N-Triples). Extensions
# (/id/person/x.ttl) always work.
Options -MultiViews -Indexes
AddType text/html .html
AddType text/css .css
AddType text/turtle .ttl
AddType application/ld+json .jsonld
AddType application/n-triples .nt
AddType application/rdf+xml .rdf
AddCharset utf-8 .html .ttl .nt .jsonld
ErrorDocument 404 /404.html
Header always set Vary Accept
Header always set Content-Security-Policy "{CSP}"
Header always set X-Content-Type-Options nosniff
RewriteEngine On
"""
# Each rule only where the request names a file whole (no PATH_INFO): for
# /id/person/x/ Apache's REQUEST_FILENAME is .../x, whose x.html exists, and appending
# to the request looped until a 500 (found by tests/test_web_apache.py).
_APACHE_RULE = """RewriteCond %{{HTTP_ACCEPT}} !^text/html
RewriteCond %{{HTTP_ACCEPT}} "{pattern}"
RewriteCond %{{PATH_INFO}} ^$
RewriteCond %{{REQUEST_FILENAME}}{extension} -f
RewriteRule ^(.*)$ $1{extension} [L]
"""
_APACHE_HTML = """RewriteCond %{PATH_INFO} ^$
RewriteCond %{REQUEST_FILENAME}.html -f
RewriteRule ^(.*)$ $1.html [L]
"""


def apache_snippet() -> str:
    rules = [
        _APACHE_RULE.format(pattern=first_named(r.media_type), extension=r.extension) for r in _RDF
    ]
    return APACHE + "".join(rules) + _APACHE_HTML


def resource_iris(site: Site) -> list[str]:
    """Every IRI under the base that the graph mentions and that has a safe path."""
    found: set[str] = set()
    for quad in site.graph.store.quads_for_pattern(None, None, None, pyoxigraph.DefaultGraph()):
        for term in (quad.subject, quad.object):
            if isinstance(term, pyoxigraph.NamedNode) and term.value.startswith(site.graph.base):
                found.add(term.value)
    special = {site.graph.iri_of("/ontology"), site.graph.iri_of("/shapes")}
    return sorted(
        iri
        for iri in found - special
        if "#" not in iri and "?" not in iri and (path := site.graph.path_of(iri)) and path != "/"
    )


def pages(site: Site) -> Iterator[tuple[str, bytes]]:
    """(relative file path, bytes) of every file of the site, in a fixed order. The
    site's own files come first and keep their names: a resource whose files would
    replace one of them (an IRI ending in ``/index``, ``/sparql``, ``/404``,
    ``/queries/NAME``), clash with another resource's file or directory, or need a
    name longer than a file system allows, is left out, as the server's own routes
    win over a resource there too."""
    claims = _Claims()
    for relative, data in _own_files(site):
        claims.take([relative])
        yield relative, data
    specials = ["/ontology"] + (["/shapes"] if site.graph.shapes is not None else [])
    paths = specials + [site.graph.path_of(iri) or "" for iri in resource_iris(site)]
    for path in paths:
        if not is_safe_path(path) or path.endswith("/"):
            continue
        names = [path[1:] + fmt.extension for fmt in RESOURCE_FORMATS]
        if not claims.take(names):
            continue
        iri = site.graph.iri_of(path)
        for fmt, name in zip(RESOURCE_FORMATS, names, strict=True):
            try:
                yield name, site.representation(iri, fmt.name).data
            except KBError:  # a format that cannot carry it (RDF/XML and U+0001): left out
                continue


def _own_files(site: Site) -> Iterator[tuple[str, bytes]]:
    from kb.catalogue import catalogue

    yield "index.html", site.pages.home().encode()
    yield "static/style.css", (STATIC / "style.css").read_bytes()
    yield "404.html", site.pages.error("/404", 404, "There is no such page.").encode()
    note = "This copy of the site is static: it has no SPARQL endpoint. Run kb serve for one."
    yield "sparql.html", site.pages.error("/sparql", 200, note).encode()
    yield ".htaccess", apache_snippet().encode()
    yield "nginx.conf", NGINX.encode()
    yield MARKER, b"written by kb site\n"
    for entry in catalogue(site.pages.layout):
        # a query past its limit ends kb site (exit 3), never a page saying so
        yield f"queries/{entry.name}.html", site.pages.question(entry.name, strict=True).encode()


#: The longest file name (one path segment) common file systems allow, in bytes.
MAX_NAME_BYTES = 255


class _Claims:
    """The files and directories of the site so far: a new file may be neither."""

    def __init__(self) -> None:
        self.files: set[str] = set()
        self.directories: set[str] = set()

    def take(self, names: list[str]) -> bool:
        """Claim every one of ``names`` (relative paths), or none when one clashes."""
        wanted_directories: set[str] = set()
        for name in names:
            parts = name.split("/")
            if any(len(part.encode()) > MAX_NAME_BYTES for part in parts):
                return False
            above = {"/".join(parts[:i]) for i in range(1, len(parts))}
            if name in self.files or name in self.directories or above & self.files:
                return False
            wanted_directories |= above
        if wanted_directories & set(names):
            return False
        self.files.update(names)
        self.directories |= wanted_directories
        return True


def write_site(site: Site, target: str | Path) -> int:
    """Write every page of ``site`` into a new directory and rename it to ``target``;
    return how many files were written."""
    given = str(target)
    _check_target(Path(target))
    # "." or "x/.." name no entry of their own: the directory they mean is renamed
    target = Path(target).resolve()
    if Path.cwd().resolve().is_relative_to(target):
        raise OutputError(
            f"{given}: is the current directory or one above it, which kb site would "
            "replace as a whole; name a new directory (e.g. -o site)"
        )
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"{given}: no such directory {parent}")
    # SIGTERM / SIGHUP raise here, so the half-built directory is removed as on any failure
    with signals_raise():
        try:
            building = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".new"))
        except OSError as exc:
            raise OutputError(
                f"{given}: cannot create a directory in {parent}: {_why(exc)}"
            ) from None
        try:
            count = 0
            for relative, data in pages(site):
                _write(building, relative, data)
                count += 1
            os.chmod(building, 0o755)
            _swap(building, target)
        except OSError as exc:  # (the temporary names are ours: never the user's to see)
            shutil.rmtree(building, ignore_errors=True)
            raise OutputError(f"{given}: cannot write the site there: {_why(exc)}") from None
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return count


_WHY = {
    errno.EACCES: "permission denied",
    errno.EPERM: "not permitted there",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EBUSY: "it is in use (a mount point?)",
    errno.ENOENT: "that file system takes no new directories",
    errno.EXDEV: "it is on another file system than its parent",
}


def _why(exc: OSError) -> str:
    """Why ``exc`` happened, in words (not its errno name)."""
    return _WHY.get(exc.errno or 0, (exc.strerror or str(exc)).lower())


def _check_target(target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InputError(f"{target}: exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise InputError(
            f"{target}: exists and was not written by kb site (no {MARKER}); "
            "name a new or empty directory"
        )


def _write(root: Path, relative: str, data: bytes) -> None:
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):  # is_safe_path already refused these
        raise InputError(f"{relative}: would be written outside the site")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _swap(building: Path, target: Path) -> None:
    """Put ``building`` where ``target`` is: the old directory is renamed aside first
    and removed after, so ``target`` is always either the old site or the new one, but
    for the instant between the two renames."""
    if not target.exists():
        os.replace(building, target)
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
    os.rmdir(old)
    os.replace(target, old)
    try:
        os.replace(building, target)
    except BaseException:
        os.replace(old, target)
        raise
    with contextlib.suppress(OSError):
        shutil.rmtree(old)
