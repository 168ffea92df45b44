"""Files and streams at the edges of the kb command (issue 11): what ``-o`` writes to and
with which mode, what kb agrees to read, stdout and stderr that are closed or full,
signals that end ``kb query``, and the values that used to end in a traceback.

Each bad case ends in one line on stderr and its documented exit code; nothing special
(a device, a FIFO, a directory) is ever replaced or read.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kb import files as kb_files
from kb.cli import cli
from kb.files import read_regular, write_atomic
from tests.helpers import KB_SCRIPT, MINI, kb

TTL = b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n"
BOM = b"\xef\xbb\xbf"
#: A query that runs for hours on the mini knowledge base (five-way cross join).
ENDLESS = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o }"


def run_script(
    *args: str, root: Path = MINI, timeout: float = 60, **kwargs: object
) -> subprocess.CompletedProcess[bytes]:
    """The installed ``kb`` console script, with its real streams and exit code."""
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [KB_SCRIPT, "--root", str(root), *args], timeout=timeout, check=False, **kwargs
    )


def assert_one_line(result: Result, code: int, pattern: str) -> None:
    """Exit ``code``, one stderr line matching ``pattern``, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert re.search(pattern, lines[0]), lines[0]


def only_file_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def mknod(path: Path, kind: int, device: tuple[int, int]) -> Path:
    """A device node at ``path`` (skip where this process may not make one)."""
    try:
        os.mknod(path, 0o666 | kind, os.makedev(*device))
    except PermissionError:
        pytest.skip("this process may not make device nodes")
    return path


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    """Set the process umask for one test, restored after it."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


# --- -o: modes ----------------------------------------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_new_output_file_gets_the_mode_open_would_give(
    tmp_path: Path, umask: Callable[[int], None], mask: int
) -> None:
    """Not the temporary file's 0600: an export meant for others is readable by them."""
    umask(mask)
    target = tmp_path / "kb.ttl"
    assert kb("export", "-o", str(target)).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o600, 0o755])
def test_replaced_output_file_keeps_its_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "kb.ttl"
    target.write_bytes(b"old\n")
    target.chmod(mode)
    assert kb("export", "-o", str(target)).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_bytes().startswith(b"@prefix")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another owner")
def test_replaced_output_file_keeps_its_owner(tmp_path: Path) -> None:
    target = tmp_path / "kb.ttl"
    target.write_bytes(b"old\n")
    os.chown(target, 4321, 4322)
    assert kb("export", "-o", str(target)).exit_code == 0
    assert (target.stat().st_uid, target.stat().st_gid) == (4321, 4322)


# --- -o: symlinks, devices and other special files ----------------------------------------


@pytest.mark.parametrize("chain", [1, 3], ids=["link", "chain-of-links"])
def test_output_through_a_symlink_replaces_the_target_and_keeps_the_link(
    tmp_path: Path, chain: int
) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real = real_dir / "kb.ttl"
    real.write_bytes(b"old\n")
    real.chmod(0o640)
    points_to = Path("real/kb.ttl")  # relative, as ln -s makes them
    links = []
    for index in range(chain):  # link{N} -> ... -> link0 -> real/kb.ttl
        links.append(tmp_path / f"link{index}.ttl")
        links[-1].symlink_to(points_to)
        points_to = Path(links[-1].name)
    before = [os.readlink(link) for link in links]
    assert kb("export", "-o", str(links[-1])).exit_code == 0
    assert [os.readlink(link) for link in links] == before
    assert real.read_bytes().startswith(b"@prefix")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert only_file_in(real_dir) == ["kb.ttl"]  # the temporary file was made beside it


def test_output_through_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.ttl"
    link.symlink_to("made.ttl")
    assert kb("export", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and (tmp_path / "made.ttl").read_bytes().startswith(b"@prefix")


# These tests make their own device nodes (same numbers as /dev/null and /dev/full): run
# against a kb that replaces devices, they must not destroy the machine's.


def test_output_to_a_character_device_writes_to_it_and_never_replaces_it(tmp_path: Path) -> None:
    """``sudo kb export -o /dev/null`` must not turn /dev/null into a regular file: a
    character device is written straight (not atomic, as no device can be)."""
    null = mknod(tmp_path / "null", stat.S_IFCHR, (1, 3))
    link = tmp_path / "stdout"
    link.symlink_to(null)  # as /dev/stdout -> /proc/self/fd/1 -> a terminal
    for target in (null, link):
        result = kb("export", "-o", str(target))
        assert result.exit_code == 0, result.stderr
        assert stat.S_ISCHR(os.lstat(null).st_mode) and link.is_symlink()
    assert only_file_in(tmp_path) == ["null", "stdout"]


def test_output_to_a_full_device_is_one_line(tmp_path: Path) -> None:
    full = mknod(tmp_path / "full", stat.S_IFCHR, (1, 7))
    assert_one_line(kb("export", "-o", str(full)), 2, rf"^{full}: No space left on device$")
    assert stat.S_ISCHR(os.lstat(full).st_mode)
    assert only_file_in(tmp_path) == ["full"]


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _socket(path: Path) -> Path:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()
    return path


def _directory_link(path: Path) -> Path:
    (path.parent / "somedir").mkdir()
    path.symlink_to("somedir")
    return path


SPECIAL_TARGETS: dict[str, Callable[[Path], Path]] = {
    "fifo": _fifo,
    "socket": _socket,
    "block-device": lambda p: mknod(p, stat.S_IFBLK, (7, 0)),
    "link-to-fifo": lambda p: (p.symlink_to(_fifo(p.parent / "real-fifo")), p)[1],
    "link-to-directory": _directory_link,
}


@pytest.mark.parametrize("make", SPECIAL_TARGETS.values(), ids=SPECIAL_TARGETS.keys())
def test_special_output_targets_are_refused_in_one_line_and_kept(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    target = make(tmp_path / "target")
    kind = stat.S_IFMT(os.stat(target).st_mode)
    before = only_file_in(tmp_path)
    assert_one_line(kb("export", "-o", str(target)), 2, re.escape(str(target)))
    assert stat.S_IFMT(os.stat(target).st_mode) == kind
    assert only_file_in(tmp_path) == before  # nothing left beside it


@pytest.mark.parametrize("name", ["new-dir/", "", "existing.ttl/"])
def test_output_names_that_are_no_file_names_are_refused(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-o out/`` must not write a file called ``out`` (Path() drops the slash)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing.ttl").write_bytes(b"old\n")
    result = CliRunner().invoke(cli, ["--root", str(MINI), "export", "-o", name])
    assert_one_line(result, 2, "")
    assert only_file_in(tmp_path) == ["existing.ttl"]


@pytest.mark.parametrize(
    "args",
    [
        ["export", "-o", "/proc/kb-export.ttl"],
        ["export", "-o", "/proc/self/status"],
        ["site", "-o", "/proc/kb-site"],
    ],
    ids=str,
)
def test_output_under_proc_is_one_line(args: list[str]) -> None:
    if not Path("/proc/self").exists():
        pytest.skip("no /proc")
    assert_one_line(kb(*args), 2, r"/proc/.*: ")


def test_output_where_no_file_may_be_made_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only directory (as root, simulated: root may write anywhere)."""

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(kb_files.tempfile, "mkstemp", refused)
    target = tmp_path / "kb.ttl"
    assert_one_line(kb("export", "-o", str(target)), 2, r": cannot write in .*: Permission denied$")


@pytest.fixture
def traversable() -> Iterator[Path]:
    """A directory any user may enter (pytest's own are root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="kb-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, to act as another user")
def test_as_a_normal_user_read_only_directory_and_null_device(
    traversable: Path,
) -> None:
    """As nobody (effective ids only, restored after): -o into a read-only directory is
    one line, and -o to a null device (as /dev/null) works, where the temporary file beside
    it could not be made."""
    tmp_path = traversable
    read_only = tmp_path / "ro"
    read_only.mkdir(mode=0o555)
    read_only.chmod(0o555)
    null = mknod(tmp_path / "null", stat.S_IFCHR, (1, 3))
    null.chmod(0o666)
    assert kb("export", "-o", str(tmp_path / "warm.ttl")).exit_code == 0  # imports done
    os.setegid(65534)
    os.seteuid(65534)
    try:
        refused = kb("export", "-o", str(read_only / "kb.ttl"))
        written = kb("export", "-o", str(null))
    finally:
        os.seteuid(0)
        os.setegid(0)
    assert_one_line(refused, 2, rf"^{read_only}/kb.ttl: cannot write in .*Permission denied$")
    assert written.exit_code == 0, written.stderr
    assert stat.S_ISCHR(null.stat().st_mode) and only_file_in(read_only) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in a read-only directory")
def test_output_into_a_read_only_directory_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "kb.ttl").write_bytes(b"old\n")
    folder.chmod(0o555)
    try:
        assert_one_line(kb("export", "-o", str(folder / "kb.ttl")), 2, "Permission denied")
        assert (folder / "kb.ttl").read_bytes() == b"old\n"
    finally:
        folder.chmod(0o755)


# --- Reading: only regular files, within the size limit -----------------------------------


@pytest.fixture
def kb_root(tmp_path: Path) -> Path:
    """A copy of the mini knowledge base, with expected answers for its queries."""
    root = tmp_path / "root"
    shutil.copytree(MINI, root)
    expected = root / "queries" / "expected"
    expected.mkdir(exist_ok=True)
    for query in (root / "queries").glob("*.rq"):
        (expected / f"{query.stem}.csv").write_bytes(b"x\r\n")
    return root


def test_a_fifo_query_is_refused_at_once(tmp_path: Path, kb_root: Path) -> None:
    """A .rq FIFO, a FIFO path without .rq, a catalogue query that is a FIFO (--list, by
    name): refused by stat, never opened (which would block until someone writes)."""
    fifo = _fifo(tmp_path / "q.rq")
    bare = _fifo(tmp_path / "query-pipe")
    catalogued = _fifo(kb_root / "queries" / "zz-fifo.rq")
    cases = {str(fifo): fifo, str(bare): bare, "--list": catalogued, "zz-fifo": catalogued}
    for arg, named in cases.items():
        done = run_script("query", arg, root=kb_root, capture_output=True, timeout=30)
        assert (done.returncode, done.stderr.decode()) == (2, f"{named}: not a regular file\n")


@pytest.mark.parametrize("where", ["data", "shapes", "import", "query", "expected", "catalogue"])
def test_a_link_to_dev_zero_is_refused_wherever_kb_reads(
    tmp_path: Path, kb_root: Path, where: str
) -> None:
    """/dev/zero never ends: read, it grows kb without bound."""
    zero = tmp_path / f"zero.{'rq' if where == 'query' else 'ttl'}"
    zero.symlink_to("/dev/zero")
    commands = {
        "data": ["validate", str(zero)],
        "shapes": ["validate", "--shapes", str(zero)],
        "import": ["--import", str(zero), "validate"],
        "query": ["query", str(zero)],
        "expected": ["check"],
        "catalogue": ["query", "--list"],
    }
    if where == "expected":
        target = kb_root / "queries" / "expected" / "persons.csv"
    else:
        target = kb_root / "queries" / "persons.rq"
    if where in ("expected", "catalogue"):
        target.unlink()
        target.symlink_to("/dev/zero")
        zero = target
    args = commands[where]
    result = CliRunner().invoke(cli, ["--root", str(kb_root), *args])
    assert_one_line(result, 2, rf"^{re.escape(str(zero))}: not a regular file$")


def test_a_file_past_the_size_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 2 GB sparse file: refused by its size, not read (reading it would take 2 GB)."""
    sparse = tmp_path / "sparse.ttl"
    with sparse.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    reads: list[Path] = []
    real = kb_files._read_at_most

    def recorded(handle: object, path: Path, *rest: int) -> bytes:
        reads.append(path)
        return real(handle, path, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(kb_files, "_read_at_most", recorded)
    result = kb("validate", str(sparse))
    assert_one_line(result, 2, r"larger than the 1,073,741,824-byte limit .*KB_MAX_FILE_SIZE")
    assert sparse not in reads


def test_the_size_limit_can_be_set(tmp_path: Path) -> None:
    data = tmp_path / "data.ttl"
    data.write_bytes(TTL)
    small = {"KB_MAX_FILE_SIZE": "40"}
    assert_one_line(kb("export", str(data), env=small), 2, "larger than the 40-byte limit")
    assert kb("export", str(data), env={"KB_MAX_FILE_SIZE": "1K"}).exit_code == 0
    assert_one_line(kb("export", str(data), env={"KB_MAX_FILE_SIZE": "lots"}), 2, "not a size")


def test_read_regular_stops_at_the_limit_when_a_file_grows(tmp_path: Path) -> None:
    """The limit holds while reading, not only at stat: a file that grows after stat."""
    path = tmp_path / "growing.nt"
    path.write_bytes(b"x" * 10)
    real_stat = os.stat

    def stale_stat(p: object, *args: object, **kwargs: object) -> os.stat_result:
        result = real_stat(p, *args, **kwargs)  # type: ignore[arg-type]
        if str(p) == str(path):
            path.write_bytes(b"x" * 100)  # grows between stat and read
        return result

    os_stat = kb_files.os.stat
    kb_files.os.stat = stale_stat  # type: ignore[assignment]
    try:
        with pytest.raises(kb_files.InputError, match="larger than the 50-byte limit"):
            read_regular(path, limit=50)
    finally:
        kb_files.os.stat = os_stat


# --- A UTF-8 byte order mark is accepted (as Jena does) -----------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("data.ttl", TTL),
        ("data.nt", b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n"),
        ("data.trig", b"{ <http://example.org/a> <http://example.org/b> <http://example.org/c> }"),
    ],
)
def test_a_bom_before_rdf_data_is_accepted(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(BOM + content)
    result = kb("export", "--format", "nt", str(path))
    assert result.exit_code == 0, result.stderr
    assert (
        result.stdout == "<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n"
    )


def test_a_bom_before_shapes_a_query_and_expected_answers_is_accepted(kb_root: Path) -> None:
    shapes = kb_root / "ontology" / "shapes.ttl"
    shapes.write_bytes(BOM + shapes.read_bytes())
    assert kb("validate", "--shapes", str(shapes), root=kb_root).exit_code == 0
    query = kb_root / "queries" / "persons.rq"
    query.write_bytes(BOM + query.read_bytes())
    assert kb("query", str(query), root=kb_root).exit_code == 0
    assert kb("query", "--list", root=kb_root).exit_code == 0
    answers = kb("query", "persons", "--format", "csv", root=kb_root).stdout
    expected = kb_root / "queries" / "expected" / "persons.csv"
    expected.write_bytes(BOM + answers.encode())
    checked = kb("check", root=kb_root)
    assert "PASS  persons" in checked.stdout, checked.stdout


# --- Values that used to end in a traceback -----------------------------------------------

TIMEOUT_COMMANDS = {
    "query": ["query", "ASK {}"],
    "validate": ["validate"],
    "serve": ["serve", "--port", "0"],
    "check": ["check"],
    "push": ["push", "--store", "http://127.0.0.1:9/store"],
}


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "1e300", "", "NaN", "1e-400x"])
@pytest.mark.parametrize("command", TIMEOUT_COMMANDS.values(), ids=TIMEOUT_COMMANDS.keys())
def test_bad_timeouts_are_a_usage_error(command: list[str], value: str) -> None:
    assert_one_line(kb(*command, "--timeout", value), 2, r"^kb: Invalid value for '--timeout'")


def test_a_zero_timeout_means_none_except_for_push() -> None:
    assert kb("query", "--timeout", "0", "ASK {}").stdout == "true\n"
    assert_one_line(
        kb(*TIMEOUT_COMMANDS["push"], "--timeout", "0"), 2, "Invalid value for '--timeout'"
    )


@pytest.mark.parametrize("resource", ["<a>", "<>", "< >", "<:>", "<#x>"])
def test_explain_of_a_relative_or_empty_iri_is_one_line(resource: str) -> None:
    assert_one_line(kb("explain", resource), 2, "not an absolute IRI")


NOT_UTF8 = os.fsdecode(b"caf\xe9")
TEXT_VALUES = {
    "bind": ["query", "SELECT * { ?s ?p ?x } LIMIT 1", f"--bind=x={NOT_UTF8}"],
    "inline-query": ["query", f'SELECT * {{ ?s ?p "{NOT_UTF8}" }}'],
    "explain": ["explain", NOT_UTF8],
    "graph": ["query", "ASK {}", "--endpoint", "http://127.0.0.1:9/", "--graph", NOT_UTF8],
}


@pytest.mark.parametrize("args", TEXT_VALUES.values(), ids=TEXT_VALUES.keys())
def test_text_values_that_are_not_utf8_are_one_line(args: list[str]) -> None:
    assert_one_line(kb(*args), 2, r"not UTF-8 \(byte 0xe9\)$")


def test_non_utf8_query_and_answer_files_name_their_line(kb_root: Path) -> None:
    query = kb_root / "queries" / "persons.rq"
    query.write_bytes(b"# title: x\n# caf\xe9\nSELECT * {}\n")
    assert_one_line(kb("query", str(query), root=kb_root), 2, rf"^{query}:2: not UTF-8")
    query.write_bytes(b"SELECT ?x { ?x ?p ?o } LIMIT 1\n")
    expected = kb_root / "queries" / "expected" / "persons.csv"
    expected.write_bytes(b"x\r\nok\r\ncaf\xe9\r\n")
    assert_one_line(kb("check", root=kb_root), 2, rf"^{expected}:3: not UTF-8 \(byte 0xe9\)$")


@pytest.fixture(scope="module")
def big_literal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Turtle file holding one 20 MB literal (pyoxigraph parses at most 16 MiB a term)."""
    path = tmp_path_factory.mktemp("big") / "big.ttl"
    path.write_bytes(
        b'<http://example.org/a> <http://example.org/b> "' + b"x" * 20_000_000 + b'" .\n'
    )
    return path


@pytest.mark.parametrize(
    "args", [["validate"], ["export"], ["export", "--inference", "rdfs"]], ids=str
)
def test_a_20mb_literal_in_a_data_file_is_one_line(big_literal: Path, args: list[str]) -> None:
    assert_one_line(
        kb(*args, str(big_literal)), 2, rf"^{big_literal}: a literal or IRI longer than 16 MiB"
    )


#: CONSTRUCT a 20 MB literal (twenty characters, doubled by tens six times).
BIG_CONSTRUCT = (
    'CONSTRUCT { <http://e/a> <http://e/b> ?g } { BIND("xxxxxxxxxxxxxxxxxxxx" AS ?a) '
    + " ".join(
        f"BIND(CONCAT({', '.join([f'?{a}'] * 10)}) AS ?{b})"
        for a, b in zip("abcdef", "bcdefg", strict=True)
    )
    + " }"
)


@pytest.mark.parametrize("timeout", ["60", "0"], ids=["in-worker", "in-process"])
def test_a_20mb_literal_in_a_query_result_is_one_line(timeout: str) -> None:
    result = kb("query", "--timeout", timeout, BIG_CONSTRUCT)
    assert_one_line(result, 2, r"a literal or IRI longer than 16 MiB")


# --- stdout and stderr closed or full -----------------------------------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize(
    "args", [["export"], ["query", "persons"], ["validate"], ["query", "--list"]], ids=str
)
def test_stdout_on_a_full_disk_is_one_line(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        done = run_script(*args, stdout=full, stderr=subprocess.PIPE)
    assert (done.returncode, done.stderr.decode()) == (
        2,
        "kb: cannot write the results: No space left on device\n",
    )


def _close(fd: int) -> Callable[[], None]:
    return lambda: os.close(fd)


def test_closed_stdout_is_one_line_and_exit_2() -> None:
    """``kb query persons >&-``: the results cannot go anywhere. Exit 2 with a line, not
    141: nobody chose to stop reading (as ``| head`` does); the results are lost."""
    done = run_script("query", "persons", stderr=subprocess.PIPE, preexec_fn=_close(1))
    assert (done.returncode, done.stderr.decode()) == (
        2,
        "kb: cannot write the results: stdout is closed\n",
    )


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--root", str(MINI), "--help"], ["--version"], ["query", "--help"]],
    ids=str,
)
@pytest.mark.parametrize("how", ["closed", "full"])
def test_help_and_version_that_cannot_be_written_are_one_line(args: list[str], how: str) -> None:
    """Help and version are output too: as results are, stdout closed or full is one line
    and exit 2 (not a traceback, nor a silent 0 with nothing shown)."""
    if how == "full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    command = [KB_SCRIPT, *args]
    if how == "closed":
        done = subprocess.run(command, stderr=subprocess.PIPE, preexec_fn=_close(1), timeout=60)
    else:
        with open("/dev/full", "wb") as full:
            done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and re.search("stdout is closed|No space left", lines[0]), lines


def test_closed_stdout_does_not_matter_with_o(tmp_path: Path) -> None:
    target = tmp_path / "kb.ttl"
    done = run_script("export", "-o", str(target), stderr=subprocess.PIPE, preexec_fn=_close(1))
    assert done.returncode == 0, done.stderr
    assert target.read_bytes().startswith(b"@prefix")


@pytest.mark.parametrize("how", ["closed", "full"])
def test_a_usage_error_exits_2_whatever_stderr_is(how: str) -> None:
    if how == "full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    for args in (["query"], ["--bogus"], ["query", "--timeout", "nan", "x"]):
        if how == "closed":
            done = run_script(*args, stdout=subprocess.DEVNULL, preexec_fn=_close(2))
        else:
            with open("/dev/full", "wb") as full:
                done = run_script(*args, stdout=subprocess.DEVNULL, stderr=full)
        assert done.returncode == 2, args


# --- Signals end the query worker too -----------------------------------------------------


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(n) for n in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for init to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _start_endless_query() -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [KB_SCRIPT, "--root", str(MINI), "query", "--timeout", "600", ENDLESS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not _children(process.pid):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no query worker: {process.communicate()}")
        time.sleep(0.05)
    return process, _children(process.pid)[0]


def _gone_soon(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)  # (the test's own mess)
            return False
        time.sleep(0.05)
    return True


@pytest.mark.skipif(
    not Path(f"/proc/self/task/{os.getpid()}/children").exists(),
    reason="needs /proc/PID/task/TID/children (Linux)",
)
@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [
        (signal.SIGTERM, 143, "kb: terminated\n"),
        (signal.SIGHUP, 129, "kb: hung up\n"),
        (signal.SIGKILL, -9, ""),
    ],
    ids=["SIGTERM", "SIGHUP", "SIGKILL"],
)
def test_a_signal_to_kb_query_ends_its_worker(signum: int, code: int, message: str) -> None:
    """What ``timeout`` and systemd send (and a closed terminal, and kill -9): kb ends
    and its query worker with it, not left at 100% CPU under init."""
    process, worker = _start_endless_query()
    process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _gone_soon(worker, 0)
        raise
    assert (process.returncode, err.decode(), out) == (code, message, b"")
    assert _gone_soon(worker), "the query worker outlived kb"


# --- The library's writer ---------------------------------------------------------------


def test_write_atomic_to_a_new_file_has_no_temporary_left(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.nt", [b"<a:s> <a:p> <a:o> .\n"])
    assert only_file_in(tmp_path) == ["a.nt"]
