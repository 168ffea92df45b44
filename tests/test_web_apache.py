"""The ``.htaccess`` ``kb site`` writes, served by a real Apache on a loopback port over a
``kb site`` directory (``AllowOverride All``, so the file applies as on a user's host):
the same negotiation as the nginx snippet, extensions, the 404 page, and no way out of
the site's directory."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.resources import Layout
from kb.web.app import load_site
from kb.web.site import write_site
from tests.helpers import MINI, require_tool, unavailable
from tests.servers import stop
from tests.test_web_nginx import FIXTURES, NEGOTIATION
from tests.web_server import Server, free_port, wait_until_serving

#: What the snippet needs (mod_rewrite, mod_headers, mod_mime; mod_dir for index.html),
#: beside an MPM and authorization, which every configuration has.
MODULES = ("mpm_prefork", "authz_core", "dir", "mime", "rewrite", "headers", "unixd")
#: Where distributions put Apache's modules (Debian first).
MODULE_DIRECTORIES = (
    "/usr/lib/apache2/modules",
    "/usr/lib64/httpd/modules",
    "/usr/lib/httpd/modules",
)
INSTALL = "apt-get install apache2"
SECRET = "a file beside the site, never to be served"


def _apache() -> str:
    """Apache's binary, also where Debian puts it (/usr/sbin, not on every user's PATH)."""
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin"
    for name in ("apache2", "httpd"):
        if found := shutil.which(name, path=path):
            return found
    return require_tool("apache2")


def _load_modules(binary: str) -> str:
    """LoadModule lines for each of MODULES that the binary was not built with."""
    built_in = subprocess.run([binary, "-l"], capture_output=True, text=True).stdout
    found = next((Path(d) for d in MODULE_DIRECTORIES if Path(d, "mod_rewrite.so").is_file()), None)
    if found is None:
        unavailable(f"Apache's mod_rewrite.so is in none of {MODULE_DIRECTORIES}: {INSTALL}")
    lines = []
    for module in MODULES:
        if f"mod_{module}.c" not in built_in and (found / f"mod_{module}.so").is_file():
            lines.append(f"LoadModule {module}_module {found / f'mod_{module}.so'}")
    return "\n".join(lines)


def _configuration(binary: str, site: Path, work: Path, port: int) -> str:
    """A whole server configuration of its own (nothing of the system's is read)."""
    # as root, Apache serves as another user: one with no rights beyond reading the site
    user = ""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        user = f"User #{nobody.pw_uid}\nGroup #{nobody.pw_gid}"
    return f"""ServerRoot {work}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {work / "apache.pid"}
ErrorLog {work / "error.log"}
DefaultRuntimeDir {work}
LogLevel warn
{user}
{_load_modules(binary)}
# no system media types: the snippet must name every type the site serves
TypesConfig /dev/null
DirectoryIndex index.html
DocumentRoot {site}
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory {site}>
    AllowOverride All
    Require all granted
</Directory>
"""


@pytest.fixture(scope="module")
def apache() -> Iterator[tuple[Server, Path]]:
    """Apache in one foreground process (``-X``) over a fresh ``kb site`` directory;
    (the server, the site's directory)."""
    binary = _apache()
    # not pytest's tmp_path: its directories are the tester's alone, and Apache started
    # as root reads the site as the user it switches to
    top = Path(tempfile.mkdtemp(prefix="kb-apache-"))
    try:
        os.chmod(top, 0o755)
        site, work = top / "site", top / "apache"
        write_site(load_site(Layout(MINI), [FIXTURES / "statements.ttl"], pooled=False), site)
        (top / "secret.txt").write_text(SECRET)
        work.mkdir(mode=0o755)
        port = free_port()
        conf = work / "apache.conf"
        conf.write_text(_configuration(binary, site, work, port))
        check = subprocess.run([binary, "-t", "-f", str(conf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        process = subprocess.Popen(
            [binary, "-X", "-f", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            server = Server("127.0.0.1", port)
            wait_until_serving(server, process, "Apache", log=work / "error.log")
            yield server, site
        finally:
            stop(process)
            assert process.poll() is not None  # nothing left running
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module")
def resource(apache: tuple[Server, Path]) -> str:
    """The path of a resource of the site (its page and its RDF files beside it)."""
    site = apache[1]
    first = sorted(site.glob("id/*/*.ttl"))[0]
    return "/" + str(first.relative_to(site).with_suffix(""))


@pytest.mark.parametrize(("accept", "media_type"), NEGOTIATION)
def test_apache_negotiates_over_the_site(
    apache: tuple[Server, Path], resource: str, accept: str | None, media_type: str
) -> None:
    reply = apache[0].request(resource, {"Accept": accept} if accept else {})
    assert reply.status == 200
    assert reply.media_type == media_type, reply.headers
    assert reply.headers.get("vary") == "Accept"
    assert "default-src 'none'" in reply.headers.get("content-security-policy", "")
    assert reply.body == (apache[1] / (resource[1:] + _EXTENSIONS[media_type])).read_bytes()


_EXTENSIONS = {
    "text/html": ".html",
    "text/turtle": ".ttl",
    "application/ld+json": ".jsonld",
    "application/n-triples": ".nt",
    "application/rdf+xml": ".rdf",
}


@pytest.mark.parametrize(("extension", "media_type"), [(e, m) for m, e in _EXTENSIONS.items()])
def test_apache_serves_each_format_by_its_extension(
    apache: tuple[Server, Path], resource: str, extension: str, media_type: str
) -> None:
    reply = apache[0].request(resource + extension, {"Accept": "application/rdf+xml;q=0.1"})
    assert reply.status == 200 and reply.media_type == media_type


@pytest.mark.parametrize("suffix", ["", "/", "/more", ".ttl/more"])
def test_apache_answers_what_is_not_there_with_the_404_page(
    apache: tuple[Server, Path], resource: str, suffix: str
) -> None:
    """An unknown IRI, and a known one with more after it (once a 500: the rewrite
    appended .html to /x/ again and again, as x.html exists)."""
    path = "/id/person/nobody" if not suffix else resource + suffix
    for accept in ("text/turtle", "text/html"):
        reply = apache[0].request(path, {"Accept": accept})
        assert reply.status == 404 and reply.media_type == "text/html", (path, accept)
        assert reply.body == (apache[1] / "404.html").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/id/..%2f..%2fsecret.txt",
        "/static/%2e%2e/%2e%2e/secret.txt",
        "/static/..%5c..%5csecret.txt",
        "/..%00/secret.txt",
    ],
)
def test_apache_serves_nothing_outside_the_site(apache: tuple[Server, Path], path: str) -> None:
    for accept in ("text/turtle", "text/html"):
        reply = apache[0].request(path, {"Accept": accept})
        assert reply.status in (400, 403, 404), (path, reply.status)
        assert SECRET.encode() not in reply.body
