"""Run one bounded job in a forked worker process: ended after a time limit, its address
space capped, so that a query, a validation or an inference that explodes ends as one
line and exit 3 instead of running on. The same bounds for ``kb query`` and ``kb validate``.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from kb.errors import InputError, KBError, TimeLimitError
from kb.export import _sigterm_raises

T = TypeVar("T")

#: Memory a worker may take beyond what the parent process already holds (env
#: KB_MEMORY_LIMIT_MB overrides it): well past what the bundled knowledge base needs
#: (under 200 MB), well short of a laptop's memory.
MEMORY_LIMIT_MB = 4096
_ENV = "KB_MEMORY_LIMIT_MB"


def memory_limit_mb() -> int:
    """The worker's memory allowance in MB (0: none)."""
    value = os.environ.get(_ENV, "")
    try:
        return max(0, int(value)) if value else MEMORY_LIMIT_MB
    except ValueError:
        raise InputError(f"{_ENV} must be a whole number of MB, not {value[:40]!r}") from None


def run_bounded(
    job: Callable[..., T], args: tuple[Any, ...], timeout: float | None, what: str
) -> T:
    """``job(*args)`` in a forked worker ended after ``timeout`` seconds (TimeLimitError:
    "WHAT ran longer than ..."), its memory capped (exit 3 past it). Without a timeout
    (or where fork is unavailable) it runs in this process, unbounded."""
    if not timeout or "fork" not in multiprocessing.get_all_start_methods():
        return job(*args)
    limit = memory_limit_mb()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_work, args=(job, args, limit, sender))
    worker.start()
    sender.close()
    try:
        with _sigterm_raises():  # so that `finally` ends the worker (not left at 100% CPU)
            ready = receiver.poll(timeout)
        if not ready:
            raise TimeLimitError(f"{what} ran longer than {timeout:g} s")
        ok, value = receiver.recv()
    except EOFError:
        worker.join()
        if limit and worker.exitcode == -6:  # SIGABRT: an allocation in Rust failed
            raise TimeLimitError(f"{what} needed more than {limit} MB of memory") from None
        raise InputError(f"{what}: the worker died") from None
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
        receiver.close()
    if not ok:
        raise value or TimeLimitError(f"{what} needed more than {limit} MB of memory")
    return value  # type: ignore[no-any-return]


def _work(job: Callable[..., Any], args: tuple[Any, ...], limit: int, sender: Any) -> None:
    try:
        if limit:
            _silence_native_stderr()
            _cap_memory(limit)
        sender.send((True, job(*args)))
    except MemoryError:
        sender.send((False, None))
    except KBError as exc:  # sent back and re-raised in the parent
        sender.send((False, exc))
    except Exception as exc:
        sender.send((False, InputError(str(exc))))
    finally:
        sender.close()


def _silence_native_stderr() -> None:
    """Send what native code writes straight to file descriptor 2 (Rust's "memory
    allocation of N bytes failed" and its backtrace) nowhere; Python's ``sys.stderr``
    (progress bars) keeps writing where it did. The parent says what happened, in one line."""
    try:
        if sys.stderr.fileno() == 2:
            kept = os.dup(2)
            sys.stderr = open(kept, "w", encoding=sys.stderr.encoding, errors="replace")  # noqa: SIM115
    except (AttributeError, OSError, ValueError):
        pass  # a stream without a descriptor (a test runner's): nothing to keep
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _cap_memory(limit_mb: int) -> None:
    """Cap this process's address space at what it holds now plus ``limit_mb``."""
    try:
        with open("/proc/self/statm") as statm:
            held = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:  # not Linux: no cap
        return
    cap = held + limit_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
