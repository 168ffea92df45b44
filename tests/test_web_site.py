"""kb site: the same pages as static files, each resource's RDF beside its page, written
atomically (a failure leaves the old site), deterministically (same input, same bytes),
never outside the target, and never over a directory it did not write."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib

import kb.web.site as site_module
from kb.errors import InputError
from kb.resources import Layout
from kb.web.app import Site, load_site
from kb.web.site import write_site
from tests.helpers import MINI, REPO

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "web"


@pytest.fixture(scope="module")
def statements_site() -> Site:
    return load_site(Layout(MINI), [FIXTURES / "statements.ttl"])


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_every_resource_has_its_page_and_its_rdf(statements_site: Site, tmp_path: Path) -> None:
    write_site(statements_site, tmp_path / "site")
    root = tmp_path / "site"
    for name in ("index.html", ".htaccess", "nginx.conf", "ontology.html", "static/style.css"):
        assert (root / name).is_file(), name
    for extension in (".html", ".ttl", ".jsonld", ".nt", ".rdf"):
        assert (root / f"id/person/anna-rossi{extension}").is_file()
    graph = rdflib.Graph().parse(root / "id/person/anna-rossi.ttl")
    assert len(graph) > 5
    page = (root / "id/person/anna-rossi.html").read_text()
    assert 'href="../../static/style.css"' in page and "<mark>Anna Rossi</mark>" in page


def test_same_input_same_bytes(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "from kb.entry import main; main()", "--root", str(MINI)]
    for name in ("one", "two"):
        subprocess.run([*command, "site", "-o", str(tmp_path / name)], check=True, cwd=REPO)
    one, two = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert one.keys() == two.keys() and len(one) > 20
    assert one == two


def test_hostile_iris_stay_inside(tmp_path: Path) -> None:
    hostile = load_site(Layout(MINI), [FIXTURES / "hostile.ttl"])
    target = tmp_path / "deep" / "site"
    target.parent.mkdir()
    write_site(hostile, target)
    assert not (tmp_path / "tmp").exists() and not list(tmp_path.rglob("kb-escape*"))
    assert [p.name for p in tmp_path.iterdir()] == ["deep"]
    assert (target / "id/person/evil.html").is_file()


def test_a_failure_leaves_the_old_site(statements_site: Site, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "site"
    write_site(statements_site, target)
    before = _files(target)

    def broken(site: Site) -> Iterator[tuple[str, bytes]]:
        yield "index.html", b"half"
        raise KeyboardInterrupt

    monkeypatch.setattr(site_module, "pages", broken)
    with pytest.raises(KeyboardInterrupt):
        write_site(statements_site, target)
    assert _files(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no temporary left behind


def test_rewriting_replaces_the_old_site(statements_site: Site, tmp_path: Path) -> None:
    target = tmp_path / "site"
    write_site(statements_site, target)
    (target / "stale.html").write_text("old")
    write_site(statements_site, target)
    assert not (target / "stale.html").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_a_directory_it_did_not_write_is_refused(statements_site: Site, tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(InputError, match="not written by kb site"):
        write_site(statements_site, tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_the_served_graph_is_the_published_graph() -> None:
    from kb.export import sorted_ntriples
    from kb.published import published_store
    from kb.resources import default_layout

    served = load_site(default_layout(), timeout=None)
    assert sorted_ntriples(served.graph.store) == sorted_ntriples(published_store(default_layout()))


def test_inferred_values_are_marked(statements_site: Site) -> None:
    page = statements_site.pages.resource("https://w3id.org/lifesci-news-kb/id/event/visit")
    # kb:Visit is a subclass of schema:Event: the second type is the closure's
    assert 'schema:Event</a> <small class="tag">(inferred)</small>' in page
    assert "kb:Visit</a> <small" not in page


def test_a_graph_that_does_not_conform_says_so_on_the_home_page() -> None:
    home = load_site(Layout(MINI), timeout=None).pages.home()
    assert "does not conform" in home
    assert "organization:example-cluster: An organisation should have a location." in home
