"""``kb validate`` is bounded as ``kb query`` is (issue 11, "No limit on validation"):
inputs that explode in the SHACL-SPARQL engine, in pySHACL's regular expressions or in the
RDFS closure end under ``--timeout`` (or past the memory allowed) with one line and exit
3; shapes pySHACL cannot use end with one line and exit 2, never a traceback."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kb.cli import cli
from tests.helpers import KB_SCRIPT, MINI, kb

SHAPES_HEAD = (
    "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
    "@prefix schema: <https://schema.org/> .\n"
    "<http://example.org/S> a sh:NodeShape ; sh:targetClass schema:Person ;\n"
)


def one_line(result: Result, code: int, pattern: str) -> None:
    """Exit ``code``, nothing on stdout, one stderr line matching ``pattern``."""
    assert result.exit_code == code, (result.exit_code, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert re.match(pattern, lines[0]), lines[0]
    assert result.stdout == ""


def shapes_file(path: Path, constraint: str) -> Path:
    path.write_text(SHAPES_HEAD + f"  {constraint} .\n", encoding="utf-8")
    return path


def test_cross_join_in_sparql_constraint_ends_at_timeout(tmp_path: Path) -> None:
    """A SHACL-SPARQL constraint joining four unrelated patterns (the fast engine)."""
    select = "SELECT $this WHERE { $this ?p ?o . ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    shapes = shapes_file(tmp_path / "join.ttl", f'sh:sparql [ sh:select """{select}""" ]')
    result = kb("validate", "--timeout", "1", "--shapes", str(shapes))
    one_line(result, 3, r"validation ran longer than 1 s$")


def test_catastrophic_pattern_under_pyshacl_ends_at_timeout(tmp_path: Path) -> None:
    """``sh:pattern "^(a+)+$"`` on 40 a's and a b: Python's regular expressions backtrack
    for ever."""
    data = tmp_path / "data.ttl"
    data.write_text(
        "@prefix schema: <https://schema.org/> .\n"
        f'<http://example.org/p> a schema:Person ; schema:name "{"a" * 40}b" .\n'
    )
    shapes = shapes_file(
        tmp_path / "pattern.ttl", 'sh:property [ sh:path schema:name ; sh:pattern "^(a+)+$" ]'
    )
    result = kb(
        "validate", "--engine", "pyshacl", "--timeout", "1", "--shapes", str(shapes), str(data)
    )
    one_line(result, 3, r"validation ran longer than 1 s$")


def subclass_chain(path: Path, classes: int = 3000) -> Path:
    """``C1 ⊑ C2 ⊑ ... ⊑ Cn``: its closure holds n²/2 subClassOf triples."""
    lines = ["@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> ."]
    lines += [
        f"<http://example.org/C{i}> rdfs:subClassOf <http://example.org/C{i + 1}> ."
        for i in range(classes)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_imported_subclass_chain_ends_at_timeout(tmp_path: Path) -> None:
    chain = subclass_chain(tmp_path / "chain.ttl")
    result = CliRunner().invoke(
        cli, ["--root", str(MINI), "--import", str(chain), "validate", "--timeout", "1"]
    )
    one_line(result, 3, r"validation ran longer than 1 s$")


def run_script(*args: str, memory_mb: int) -> subprocess.CompletedProcess[str]:
    """The real console script with a worker memory allowance of ``memory_mb`` (so that
    what native code writes to stderr is seen too)."""
    env = {**os.environ, "KB_MEMORY_LIMIT_MB": str(memory_mb)}
    command = [KB_SCRIPT, "--root", str(MINI), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_imported_subclass_chain_ends_past_the_memory_allowed(tmp_path: Path) -> None:
    """The same chain with time to spare but 300 MB of memory: exit 3, one line."""
    chain = subclass_chain(tmp_path / "chain.ttl")
    done = run_script("--import", str(chain), "validate", "--timeout", "120", memory_mb=300)
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr == "validation needed more than 300 MB of memory\n"


def test_query_ends_past_the_memory_allowed() -> None:
    """kb query's worker has the same allowance: a sorted cross join, one line, exit 3
    (not Rust's "memory allocation of N bytes failed" and its backtrace)."""
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?i"
    done = run_script("query", "--format", "csv", query, memory_mb=100)
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr == "query: query needed more than 100 MB of memory\n"


def test_check_ends_a_query_at_its_timeout(tmp_path: Path) -> None:
    """kb check on the published graph runs each catalogue query under --timeout, as kb
    query does (before, only --endpoint had a limit: a cross join ran forever)."""
    root = tmp_path / "root"
    shutil.copytree(MINI, root)
    for query in (root / "queries").glob("*.rq"):
        query.unlink()
    cross_join = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } ORDER BY ?a ?l"
    (root / "queries" / "explode.rq").write_text(cross_join + "\n")
    (root / "queries" / "expected").mkdir()
    (root / "queries" / "expected" / "explode.csv").write_text("a,b\n")
    done = subprocess.run(
        [str(KB_SCRIPT), "--root", str(root), "check", "--timeout", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr == "explode: query ran longer than 1 s\n"


BAD_SPARQL = {
    "syntax-error": "SELECT $this WHERE { $this ?p ?o . FILTER( }",
    "shapes-graph": "SELECT $this WHERE { $this ?p ?o . FILTER(bound($shapesGraph)) }",
}


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
@pytest.mark.parametrize("name", sorted(BAD_SPARQL))
def test_unusable_sparql_constraint_is_one_line(tmp_path: Path, name: str, engine: str) -> None:
    """A SHACL-SPARQL syntax error or $shapesGraph: exit 2, one line naming the file and
    the line of the constraint."""
    shapes = shapes_file(
        tmp_path / f"{name}.ttl", f'sh:sparql [ sh:select """{BAD_SPARQL[name]}""" ]'
    )
    result = kb("validate", "--engine", engine, "--shapes", str(shapes))
    one_line(result, 2, re.escape(f"{shapes}:4: "))


def _running_with(marker: str) -> list[int]:
    """Processes whose command line holds ``marker`` (a forked worker keeps its parent's)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "cmdline").read_text(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_sigterm_ends_the_validation_worker(tmp_path: Path) -> None:
    """SIGTERM (what `timeout` and systemd send) to kb validate: 'kb: terminated', 143,
    and its worker is gone too (not left running at 100% CPU)."""
    select = "SELECT $this WHERE { $this ?p ?o . ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    shapes = shapes_file(tmp_path / "join.ttl", f'sh:sparql [ sh:select """{select}""" ]')
    command = [KB_SCRIPT, "--root", str(MINI), "validate", "--timeout", "60", "--shapes"]
    process = subprocess.Popen(
        [*command, str(shapes)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while len(_running_with(str(shapes))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)  # until the worker runs
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert (process.returncode, stderr) == (143, "kb: terminated\n")
    time.sleep(0.5)
    assert _running_with(str(shapes)) == []


def test_web_home_page_validation_ends_at_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kb serve and kb site validate the graph for their home page under kb validate's
    limits: shapes that never end make the page say so, instead of hanging the server."""
    import kb
    from kb.resources import Layout
    from kb.web.app import load_site

    root = tmp_path / "root"
    shutil.copytree(MINI, root)
    select = "SELECT $this WHERE { $this ?p ?o . ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    shapes_file(root / "ontology" / "shapes.ttl", f'sh:sparql [ sh:select """{select}""" ]')
    monkeypatch.setattr(kb, "VALIDATE_TIMEOUT", 1.0)
    site = load_site(Layout(root), timeout=None)
    started = time.monotonic()
    page = site.pages.home()
    assert time.monotonic() - started < 30
    assert "Validation did not finish: validation ran longer than 1 s." in page
