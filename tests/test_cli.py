"""The kb command through click's CliRunner: exact output on the mini fixture KB,
exit codes, one-line errors, safe bindings, lazy imports, and README drift."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from kb.cli import cli
from tests.helpers import MINI, REPO, kb

BAD = REPO / "tests" / "fixtures" / "bad-person.ttl"


def test_validate_text() -> None:
    result = kb("validate")
    assert result.exit_code == 0
    assert result.stdout == (
        "kbsh:OrganizationShape-location\n"
        "  Warning organization:example-cluster schema:location:"
        " An organisation should have a location.\n"
        "does not conform: 0 violations, 1 warning, 0 infos\n"
    )
    assert kb("validate", "--strict").exit_code == 1


def test_validate_given_files_with_violations() -> None:
    result = kb("validate", str(BAD), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["conforms"] is False
    assert report["counts"] == {"Violation": 2, "Warning": 0, "Info": 0}
    paths = sorted((r["focus"], r["path"]) for r in report["results"])
    assert paths == [
        (
            "<https://w3id.org/lifesci-news-kb/id/person/nameless>",
            "<https://schema.org/name>",
        ),
        (
            "<https://w3id.org/lifesci-news-kb/id/post/acme-chair>",
            "^<http://www.w3.org/ns/org#holds>",
        ),
    ]
    limited = kb("validate", str(BAD), "--max-results", "1")
    assert limited.stdout.splitlines()[-2:] == [
        "… 1 more results not shown (--max-results 1)",
        "does not conform: 2 violations, 0 warnings, 0 infos",
    ]


@pytest.mark.parametrize("fmt", ["json", "turtle", "text"])
def test_validate_engines_give_the_same_output(fmt: str) -> None:
    """The fast engine (default) and pySHACL print the same report, byte for byte."""
    fast = kb("validate", str(BAD), "--format", fmt)
    reference = kb("validate", str(BAD), "--format", fmt, "--engine", "pyshacl")
    assert (fast.exit_code, reference.exit_code) == (1, 1)
    assert fast.stdout == reference.stdout
    assert fast.stderr == reference.stderr == ""


def test_validate_says_when_pyshacl_takes_a_shape(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A shape the fast engine does not compile is validated by pySHACL, with a note."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        (MINI / "ontology" / "shapes.ttl").read_text()
        + "kbsh:ManyNames a sh:NodeShape ; sh:targetClass schema:Person ;\n"
        + "    sh:property kbsh:ManyNames-name .\n"
        + "kbsh:ManyNames-name sh:path schema:name ; sh:minCount 9 .\n"
    )
    fast = kb("validate", str(BAD), "--shapes", str(shapes), "--format", "json")
    reference = kb(
        "validate", str(BAD), "--shapes", str(shapes), "--format", "json", "--engine", "pyshacl"
    )
    assert fast.stdout == reference.stdout
    assert "ManyNames" in fast.stdout
    assert fast.stderr == (
        "note: validated by pySHACL (not supported by the fast engine): kbsh:ManyNames\n"
    )
    assert kb("-q", "validate", str(BAD), "--shapes", str(shapes)).stderr == ""


def test_query_formats() -> None:
    assert kb("query", "persons", "--format", "csv").stdout == (
        "person,name\nhttps://w3id.org/lifesci-news-kb/id/person/anna-rossi,Anna Rossi\n"
    )
    assert kb("query", "posts-of").stdout == (
        "post                    label                             org\n"
        "----------------------  --------------------------------  ----------------------------\n"
        "post:cluster-president  President of the Example Cluster  organization:example-cluster\n"
    )
    assert kb("query", "ASK { ?s a <https://schema.org/Person> }").stdout == "true\n"
    graph = kb("query", "CONSTRUCT WHERE { ?s a <https://schema.org/Person> }", "--format", "nt")
    assert graph.stdout == (
        "<https://w3id.org/lifesci-news-kb/id/person/anna-rossi> "
        "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/Person> .\n"
    )


def test_query_list() -> None:
    assert kb("query", "--list").stdout.splitlines()[2:] == [
        "persons   Who are the persons in the knowledge base, and what are their names?",
        "posts-of  Which posts does a person hold, in which organisation?"
        + " " * 16
        + "name=Anna Rossi",
    ]


@pytest.mark.parametrize(
    "value",
    ['x" } ; DROP ALL ; #', "<x> } INSERT {", "y" * 100_000, "Anna Rossi\\", "a'''b"],
)
def test_bind_values_cannot_escape(value: str) -> None:
    result = kb("query", "posts-of", "--bind", f"name={value}", "--format", "json")
    assert result.exit_code in (0, 2), result.stderr
    if result.exit_code == 0:
        assert json.loads(result.stdout)["results"]["bindings"] == []


def test_bind_prefixed_name_is_an_iri() -> None:
    query = "SELECT ?n WHERE { ?p <https://schema.org/name> ?n }"
    result = kb("query", query, "--bind", "p=person:anna-rossi", "--format", "tsv")
    assert result.stdout == '?n\n"Anna Rossi"\n'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "persns"], "unknown query 'persns'; did you mean persons?\n"),
        (["query", "persons", "--bind", "1x=2"], "malformed --bind '1x=2': expected NAME=VALUE\n"),
        (["query", "persons", "--bind", "name=a\x01"], "malformed --bind value: control"),
        (["query", "SELECT * WHERE { ?s ?p }"], "query: SPARQL syntax error: error at 1:"),
        (["query", "INSERT DATA { <a> <b> <c> }"], "updates are refused"),
        (["query", "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"], "--allow-service"),
        (["validate", "/nonexistent/x.ttl"], "/nonexistent/x.ttl: no such file\n"),
        (["explain", "e"], "resources; name one of them\n"),
        (["--bogus"], "kb: No such option '--bogus'.\n"),
    ],
)
def test_errors_are_one_line_exit_2(args: list[str], message: str) -> None:
    result = kb(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_bad_turtle_names_file_and_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://e/> .\nex:a ex:b .\n")
    result = kb("validate", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{bad}:2: ")
    assert len(result.stderr.splitlines()) == 1


def test_explain_marks_the_evidence() -> None:
    result = kb("explain", "Rossi")
    assert result.exit_code == 0
    assert result.stdout.endswith(
        "evidence:\n"
        "  event:visit schema:attendee person:anna-rossi  [concept:stated]\n"
        "    Anna Rossi, newly elected president of the Example Cluster, [[visited Kuwait]].\n"
        "  person:anna-rossi kb:president post:cluster-president  [concept:stated]\n"
        "    Anna Rossi, [[newly elected president of the Example Cluster]], visited Kuwait.\n"
    )
    assert kb("explain", "person:anna-rossi").stdout == result.stdout


def test_explain_links_are_not_the_statements_about_it() -> None:
    """The statement nodes about a resource are its evidence, listed once under
    "evidence:", not again as links to it; a statement node's own page keeps its links."""
    result = kb("explain", "person:anna-rossi")
    linked = result.stdout.split("linked from:\n")[1].split("\n\n")[0]
    assert linked == "  event:visit schema:attendee\n  post:cluster-president org:heldBy"
    statement = kb("explain", "statement:rossi-president").stdout
    assert "  rdf:subject person:anna-rossi\n" in statement


def test_export_to_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out.nt"
    result = kb("export", "--format", "nt", "--inference", "rdfs", "-o", str(target))
    assert result.exit_code == 0
    assert "schema:Organization" not in target.read_text()
    assert "<https://schema.org/Organization>" in target.read_text()
    assert kb("export", "--format", "nt", "--inference", "rdfs").stdout == target.read_text()


def test_help_imports_no_rdf_library() -> None:
    code = "import sys, kb.cli; sys.argv=['kb','--help']\n"
    code += "try: kb.cli.main()\nexcept SystemExit: pass\n"
    code += "print(sorted(m for m in ('rdflib','pyshacl','pyoxigraph') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip().endswith("[]"), out.stdout + out.stderr


HELP_TXT = REPO / "kb" / "help.txt"
RENDER_HELP = (
    "from click.testing import CliRunner; from kb.cli import cli; "
    "print(CliRunner().invoke(cli, ['--help']).output, end='')"
)


def test_prerendered_help_is_clicks_help() -> None:
    """kb/help.txt, what `kb --help` prints without importing click, is click's help."""
    rendered = CliRunner().invoke(cli, ["--help"]).output
    message = f'kb/help.txt drifted: python -c "{RENDER_HELP}" > kb/help.txt'
    assert HELP_TXT.read_text() == rendered, message


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_entry_point_answers_help_without_click(flag: str) -> None:
    code = f"import sys; sys.argv = ['kb', {flag!r}]; import kb.entry; kb.entry.main()\n"
    code += "print(sorted(m for m in ('click', 'kb.cli') if m in sys.modules), file=sys.stderr)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert (out.returncode, out.stderr) == (0, "[]\n")
    assert out.stdout == HELP_TXT.read_text()


def test_entry_point_hands_everything_else_to_click() -> None:
    code = "import sys; sys.argv = ['kb', '--root', sys.argv[1], 'query', '--list']\n"
    code += "import kb.entry; kb.entry.main()"
    out = subprocess.run(
        [sys.executable, "-c", code, str(MINI)], capture_output=True, text=True, cwd=REPO
    )
    assert out.returncode == 0 and out.stdout == kb("query", "--list").stdout


def test_readme_cli_reference_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "README.md"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 0, "README drifted: run `cog -r README.md`\n" + result.stderr


# --- the console script ends without freeing its stores (kb.store.retain_until_exit) ----

KB_MAIN = [sys.executable, "-c", "from kb.cli import main; main()"]


def test_console_script_flushes_everything_before_ending_without_teardown(
    tmp_path: pytest.TempPathFactory,
) -> None:
    """Output through pipes (stdout and stderr) is complete and the exit code kept,
    although the process ends without the interpreter's teardown."""
    written = tmp_path / "kb.nt"  # type: ignore[operator]
    args = ["--root", str(REPO), "export", "--inference", "rdfs", "--format", "nt"]
    wrote = subprocess.run([*KB_MAIN, *args, "-o", str(written)], capture_output=True, cwd=REPO)
    piped = subprocess.run([*KB_MAIN, *args], capture_output=True, cwd=REPO)
    assert piped.returncode == wrote.returncode == 0
    triples = piped.stdout.count(b"\n")
    assert piped.stdout == written.read_bytes() and triples > 900
    assert wrote.stderr == f"wrote {triples} triples to {written}\n".encode()
    failing = subprocess.run(
        [*KB_MAIN, "--root", str(MINI), "validate", str(BAD), "--format", "json"],
        capture_output=True,
        cwd=REPO,
    )
    assert failing.returncode == 1
    assert json.loads(failing.stdout)["counts"]["Violation"] == 2
