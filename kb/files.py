"""The user's files, read and written safely.

Reading: regular files only (a FIFO, a device, a directory or a symlink to one of them is
refused by ``stat`` before anything is opened or read), within a size limit checked
before reading and held while reading (``$KB_MAX_FILE_SIZE``, default 1 GiB).

Writing (``-o FILE``): a temporary file beside FILE renamed over it when complete, so
FILE is either the old one or the whole new one. A new FILE gets the mode ``open()``
would give it under the umask; a replaced FILE keeps its mode (and its owner where the
process may set it). A symlink is followed: the file it points to is replaced, the link
stays. A character device (``/dev/null``, a terminal) is written straight, which cannot
be atomic; a directory, FIFO, socket or block device is refused and never replaced.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from kb.errors import InputError, UsageError
from kb.interrupts import signals_raise

MAX_FILE_SIZE_ENV = "KB_MAX_FILE_SIZE"
DEFAULT_MAX_FILE_SIZE = 1 << 30
_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]i?B?|B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
#: Bytes asked of one read() call (Linux returns at most about 2 GiB from one).
_READ_PIECE = 1 << 30
UTF8_BOM = b"\xef\xbb\xbf"


def max_file_size() -> int:
    """The largest file kb reads, in bytes: ``$KB_MAX_FILE_SIZE`` (a number of bytes, or
    with a K, M or G suffix) when set, else 1 GiB."""
    text = os.environ.get(MAX_FILE_SIZE_ENV, "")
    if not text:
        return DEFAULT_MAX_FILE_SIZE
    match = _SIZE.match(text)
    if not match:
        raise UsageError(f"${MAX_FILE_SIZE_ENV}={text!r}: not a size (e.g. 2G, 500M, 1048576)")
    unit = (match.group(2) or "").lower()[:1]
    return int(match.group(1)) * _UNITS[unit]


def _kind(mode: int) -> str:
    """What a non-regular file is, for a message."""
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISFIFO(mode):
        return "is a FIFO"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device"
    return "is not a regular file"


def _refuse(path: Path, error: OSError) -> InputError:
    if isinstance(error, FileNotFoundError):
        return InputError.at(path, None, "no such file")
    return InputError.at(path, None, error.strerror or str(error))


def _require_regular(path: Path, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise InputError.at(path, None, "is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise InputError.at(path, None, "not a regular file")


def require_size(path: Path, size: int, limit: int) -> None:
    """InputError when ``size`` bytes of ``path`` pass ``limit``, the size kb reads."""
    if size > limit:
        raise InputError.at(
            path,
            None,
            f"larger than the {limit:,}-byte limit for files kb reads "
            f"(raise it with ${MAX_FILE_SIZE_ENV})",
        )


def read_regular(path: str | Path, limit: int | None = None) -> bytes:
    """The bytes of ``path``, a regular file of at most ``limit`` bytes (default
    ``max_file_size()``); anything else is an InputError before a byte is read."""
    path = Path(path)
    limit = max_file_size() if limit is None else limit
    with open_regular(path, limit) as (handle, size):
        try:
            return _read_at_most(handle, path, size, limit)
        except OSError as exc:
            raise _refuse(path, exc) from None


@contextlib.contextmanager
def open_regular(path: str | Path, limit: int | None = None) -> Iterator[tuple[io.FileIO, int]]:
    """(an unbuffered binary handle on ``path``, its size as ``stat`` gave it), once
    ``path`` has been checked to be a regular file of at most ``limit`` bytes (default
    ``max_file_size()``), as ``read_regular`` checks it; the reader holds the limit while
    reading (``require_size``)."""
    path = Path(path)
    limit = max_file_size() if limit is None else limit
    try:
        status = os.stat(path)
    except OSError as exc:
        raise _refuse(path, exc) from None
    _require_regular(path, status.st_mode)
    require_size(path, status.st_size, limit)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: a FIFO swapped in since stat never blocks
    except OSError as exc:
        raise _refuse(path, exc) from None
    with io.FileIO(fd, "rb", closefd=True) as handle:
        _require_regular(path, os.fstat(fd).st_mode)  # the file opened is the file checked
        yield handle, status.st_size


def _read_at_most(handle: io.FileIO, path: Path, expected: int, limit: int) -> bytes:
    """Up to ``limit`` bytes; InputError when there are more (the file grew since stat)."""
    pieces = []
    total = 0
    want = min(expected, limit) + 1  # one byte more than stat said, to see growth
    while True:
        piece = handle.read(min(want - total, _READ_PIECE) if want > total else 1 << 20)
        if not piece:
            break
        pieces.append(piece)
        total += len(piece)
        require_size(path, total, limit)
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def decode_utf8(path: str | Path, data: bytes) -> str:
    """``data`` (the bytes of ``path``) as text, a leading UTF-8 BOM dropped; bytes that
    are not UTF-8 are an InputError naming their line."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError.at(path, line, f"not UTF-8 (byte 0x{data[exc.start]:02x})") from None


def read_text(path: str | Path, limit: int | None = None) -> str:
    """The UTF-8 text of ``path`` (see ``read_regular`` and ``decode_utf8``)."""
    return decode_utf8(path, read_regular(path, limit))


# --- Writing ------------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, chunks: bytes | Iterable[bytes]) -> None:
    """Write ``chunks`` to ``path`` (see the module docstring for what is followed,
    written straight or refused).

    On any failure (including KeyboardInterrupt, SIGTERM and SIGHUP) the temporary file is
    removed and ``path`` is left as it was."""
    name = os.fspath(path)
    if not name:
        raise InputError("'': an empty file name")
    if name.endswith(("/", os.sep)):
        raise InputError(f"{name}: not a file name (a trailing / names a directory)")
    path = Path(path)
    if isinstance(chunks, bytes):
        chunks = [chunks]
    try:
        existing: os.stat_result | None = os.stat(path)  # follows a symlink
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise _refuse(path, exc) from None
    if existing is not None and stat.S_ISCHR(existing.st_mode):
        _write_device(path, chunks)
    elif existing is not None and not stat.S_ISREG(existing.st_mode):
        kind = _kind(existing.st_mode)
        raise InputError.at(path, None, f"{kind}, which cannot be written atomically; refused")
    else:
        _replace(path, Path(os.path.realpath(path)), existing, chunks)


def _replace(
    path: Path, real: Path, existing: os.stat_result | None, chunks: Iterable[bytes]
) -> None:
    """Write a temporary file beside ``real`` (what ``path`` names once links are
    followed), give it ``existing``'s mode and owner, and rename it over ``real``."""
    directory = real.parent
    if not directory.is_dir():
        raise InputError(f"{path}: no such directory {path.parent}")
    with signals_raise():
        try:
            fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{real.name}.", suffix=".tmp")
        except OSError as exc:
            where = f"cannot write in {directory}: {exc.strerror}"
            raise InputError.at(path, None, where) from None
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                _set_mode(handle.fileno(), existing)
                os.fsync(handle.fileno())
            os.replace(temp, real)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            if isinstance(exc, OSError):
                raise InputError.at(path, None, exc.strerror or str(exc)) from None
            raise
    _sync_directory(directory)


def _set_mode(fd: int, existing: os.stat_result | None) -> None:
    """The replaced file's owner and mode, or a new file's mode under the umask (mkstemp
    makes it 0600). The owner first: a change of owner clears set-user-ID bits."""
    if existing is None:
        os.fchmod(fd, 0o666 & ~_umask())
        return
    try:
        os.fchown(fd, existing.st_uid, existing.st_gid)
    except OSError:  # only root may give a file away; its group, any member may
        with contextlib.suppress(OSError):
            os.fchown(fd, -1, existing.st_gid)
    os.fchmod(fd, stat.S_IMODE(existing.st_mode))


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (best effort: not every file system can sync a directory)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_device(path: Path, chunks: Iterable[bytes]) -> None:
    """Write straight to a character device (``/dev/null``, a terminal): never created,
    truncated or replaced; not atomic, which a device cannot be."""
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _refuse(path, exc) from None
    try:
        if not stat.S_ISCHR(os.fstat(fd).st_mode):  # swapped since stat: write nothing
            raise InputError.at(path, None, "changed while being opened; nothing written")
        with signals_raise():
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
    except OSError as exc:
        raise _refuse(path, exc) from None
    finally:
        os.close(fd)
