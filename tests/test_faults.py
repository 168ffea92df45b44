"""Faults on the way out (issue 6): ``kb export -o FILE`` interrupted by SIGINT or SIGTERM
in the middle of writing, or failing halfway (a full disk, a serializer error), leaves the
old FILE byte-for-byte as it was and no temporary file in its directory.

The signal tests run the real console script on a generated 200,000-triple file. A
``sitecustomize`` hook (on PYTHONPATH for that process only) makes the export's write to
its temporary file pause halfway and say so through a marker file, so the signal always
arrives mid-write, never before or after it.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import kb.export
from kb.cli import cli
from tests.helpers import KB_SCRIPT, MINI

TRIPLES = 200_000
OLD = b"# the previous export: it must survive every failure below\n"

HOOK = textwrap.dedent(
    '''
    """Test hook: the first write to kb's temporary export file stops halfway."""
    import os
    import signal
    import time

    # Ctrl-C as on a terminal, even when the tests run in a background job (whose
    # children start with SIGINT ignored, and Python then keeps it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)

    _real_fdopen = os.fdopen


    class _Paused:
        def __init__(self, handle):
            self._handle = handle

        def write(self, data):
            half = len(data) // 2
            self._handle.write(data[:half])
            self._handle.flush()
            # the mark appears whole (the test reads it as soon as it exists)
            with open(os.environ["KB_TEST_MARK"] + ".part", "w") as mark:
                mark.write(str(half))
            os.replace(os.environ["KB_TEST_MARK"] + ".part", os.environ["KB_TEST_MARK"])
            time.sleep(120)
            return self._handle.write(data[half:])

        def __getattr__(self, name):
            return getattr(self._handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._handle.__exit__(*exc)


    def _fdopen(fd, *args, **kwargs):
        handle = _real_fdopen(fd, *args, **kwargs)
        try:
            name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            return handle
        return _Paused(handle) if name.startswith(".") and name.endswith(".tmp") else handle


    os.fdopen = _fdopen
    '''
)


@pytest.fixture(scope="module")
def big_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated N-Triples file of 200,000 triples."""
    path = tmp_path_factory.mktemp("big") / "big.nt"
    ex = "https://w3id.org/lifesci-news-kb/id/"
    with path.open("w") as handle:
        for i in range(TRIPLES // 2):
            subject = f"<{ex}person/p{i}>"
            handle.write(f"{subject} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ")
            handle.write("<https://schema.org/Person> .\n")
            handle.write(f'{subject} <https://schema.org/name> "Person number {i}" .\n')
    return path


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """An existing export FILE, alone in its directory."""
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "export.nt"
    path.write_bytes(OLD)
    return path


def assert_untouched(path: Path) -> None:
    """The old FILE is intact and nothing else is in its directory."""
    assert path.read_bytes() == OLD
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def _wait_for(path: Path, process: subprocess.Popen[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, err = process.communicate()
            pytest.fail(f"the export never reached its write: {process.returncode} {err}")
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="the hook needs /proc")
@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [(signal.SIGINT, 130, "kb: interrupted"), (signal.SIGTERM, 143, "kb: terminated")],
    ids=["SIGINT", "SIGTERM"],
)
def test_signal_mid_write_keeps_old_file(
    tmp_path: Path, big_input: Path, target: Path, signum: int, code: int, message: str
) -> None:
    """The console script, stopped by a signal halfway through writing: one line on
    stderr, exit 128+N, the old FILE intact and no temporary file left."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK)
    mark = tmp_path / "mid-write"
    env = {**os.environ, "PYTHONPATH": str(hook), "KB_TEST_MARK": str(mark)}
    args = [KB_SCRIPT, "--root", str(MINI), "export", str(big_input), "--format", "nt"]
    process = subprocess.Popen(
        [*args, "-o", str(target)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(mark, process, 90)
    temporary = [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    assert len(temporary) == 1 and temporary[0].stat().st_size == int(mark.read_text()) > 0
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, err, out) == (code, message + "\n", "")
    assert_untouched(target)


class FullDisk:
    """A file object that accepts ``room`` bytes, then fails with ENOSPC."""

    def __init__(self, handle: Any, room: int) -> None:
        self._handle, self._room = handle, room

    def write(self, data: bytes) -> int:
        if len(data) > self._room:
            self._handle.write(data[: self._room])
            self._room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._handle.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.__exit__(*exc)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Temporary export files hold 256 bytes before the disk is full."""
    real = os.fdopen

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        handle = real(fd, *args, **kwargs)
        name = Path(os.readlink(f"/proc/self/fd/{fd}")).name
        return FullDisk(handle, 256) if name.endswith(".tmp") else handle

    monkeypatch.setattr(os, "fdopen", fdopen)
    yield


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_full_disk_keeps_old_file(target: Path, full_disk: None) -> None:
    """ENOSPC after 256 bytes: one line naming FILE, exit 2, old FILE intact."""
    result = CliRunner().invoke(cli, ["--root", str(MINI), "export", "-o", str(target)])
    assert result.exit_code == 2
    assert result.stderr == f"{target}: No space left on device\n"
    assert_untouched(target)


def _failing_serializer(data: bytes) -> Iterator[bytes]:
    """Half of ``data``, then the error a serializer might raise."""
    yield data[: len(data) // 2]
    raise ValueError("the serializer failed halfway")


def test_serializer_error_halfway_keeps_old_file(target: Path) -> None:
    """write_atomic fed by a serializer that fails halfway: the error propagates, the old
    FILE is intact and the temporary file is gone."""
    with pytest.raises(ValueError, match="halfway"):
        kb.export.write_atomic(target, _failing_serializer(b"<a:s> <a:p> <a:o> .\n" * 1000))
    assert_untouched(target)


def test_cli_serializer_error_keeps_old_file(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kb export -o with a serializer that fails halfway through the stream."""
    real = kb.export.serialize_sorted
    monkeypatch.setattr(kb.export, "serialize_sorted", lambda *a: _failing_serializer(real(*a)))
    result = CliRunner().invoke(cli, ["--root", str(MINI), "export", "-o", str(target)])
    assert result.exit_code != 0
    assert_untouched(target)


def test_missing_output_directory(tmp_path: Path) -> None:
    """-o into a directory that does not exist: one line, exit 2, nothing created."""
    out = tmp_path / "nowhere" / "export.ttl"
    result = CliRunner().invoke(cli, ["--root", str(MINI), "export", "-o", str(out)])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and "no such directory" in result.stderr
    assert not out.parent.exists()


def test_successful_export_replaces_file(target: Path) -> None:
    """The control: an export that succeeds does replace FILE, leaving nothing else."""
    result = CliRunner().invoke(cli, ["--root", str(MINI), "export", "-o", str(target)])
    assert result.exit_code == 0
    assert target.read_bytes() != OLD and target.read_bytes().startswith(b"@prefix")
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def test_a_reader_that_went_away_ends_kb_quietly() -> None:
    """``kb export | head`` once head has exited: nothing on stderr (no traceback, no
    BrokenPipeError report from the interpreter's last flush) and exit 141, as a process
    ended by SIGPIPE (not 1, which means the data falls short)."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before kb writes anything
    try:
        proc = subprocess.run(
            [KB_SCRIPT, "export", "--format", "nt"],
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr.decode()) == (141, "")
