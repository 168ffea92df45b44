"""Run one bounded job in a forked worker process: ended after a time limit, its address
space capped, so that a query, a validation or an inference that explodes ends as one
line and exit 3 instead of running on. The same bounds for ``kb query`` and ``kb validate``.
"""

from __future__ import annotations

import faulthandler
import os
import resource
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from kb.errors import InputError, KBError, TimeLimitError, term_too_long
from kb.interrupts import die_with_parent, signals_blocked, signals_raise, worker_signals

T = TypeVar("T")

#: Memory a worker may take beyond what the parent process already holds (env
#: KB_MEMORY_LIMIT_MB overrides it): well past what the bundled knowledge base needs
#: (under 200 MB), well short of a laptop's memory.
MEMORY_LIMIT_MB = 4096
MEMORY_LIMIT_ENV = "KB_MEMORY_LIMIT_MB"


def memory_limit_mb() -> int:
    """The worker's memory allowance in MB (0: none)."""
    value = os.environ.get(MEMORY_LIMIT_ENV, "")
    try:
        return max(0, int(value)) if value else MEMORY_LIMIT_MB
    except ValueError:
        message = f"{MEMORY_LIMIT_ENV} must be a whole number of MB, not {value[:40]!r}"
        raise InputError(message) from None


def run_bounded(
    job: Callable[..., T], args: tuple[Any, ...], timeout: float | None, what: str
) -> T:
    """``job(*args)`` in a forked worker ended after ``timeout`` seconds (TimeLimitError:
    "WHAT ran longer than ..."), its memory capped (exit 3 past it). Without a timeout
    (or where fork is unavailable) it runs in this process, unbounded."""
    if not timeout:
        return job(*args)
    import multiprocessing  # (10 ms of start-up that an unbounded run does without)

    if "fork" not in multiprocessing.get_all_start_methods():
        return job(*args)
    limit = memory_limit_mb()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_work, args=(job, args, limit, sender, os.getpid(), what))
    # From before the fork: SIGTERM or SIGHUP (timeout, kill, systemd, a closed terminal)
    # raises instead of ending kb at once, so that `finally` ends the worker (not left at
    # 100% CPU under init); blocked across the fork itself (see signals_blocked).
    with signals_raise():
        try:
            with signals_blocked():
                worker.start()
            sender.close()
            return _answer(worker, receiver, timeout, limit, what)
        finally:
            if worker.pid is not None:
                if worker.is_alive():
                    worker.terminate()
                worker.join()
            receiver.close()


def _answer(worker: Any, receiver: Any, timeout: float, limit: int, what: str) -> Any:
    """The worker's answer within ``timeout`` seconds (its error raised here)."""
    try:
        if not receiver.poll(timeout):
            raise TimeLimitError(f"{what} ran longer than {timeout:g} s")
        ok, value = receiver.recv()
    except EOFError:
        worker.join()
        if limit and worker.exitcode == -6:  # SIGABRT: an allocation in Rust failed
            raise TimeLimitError(f"{what} needed more than {limit} MB of memory") from None
        raise InputError(f"{what}: the worker died") from None
    if not ok:
        raise value or TimeLimitError(f"{what} needed more than {limit} MB of memory")
    return value


def _work(
    job: Callable[..., Any],
    args: tuple[Any, ...],
    limit: int,
    sender: Any,
    parent: int,
    what: str,
) -> None:
    worker_signals()
    die_with_parent(parent)
    try:
        if limit:
            silence_native_stderr()
            cap_memory(limit)
        sender.send((True, job(*args)))
    except MemoryError as exc:  # a term past the parser's limit, else the memory cap
        sender.send((False, term_too_long(exc, what)))
    except KBError as exc:  # sent back and re-raised in the parent
        sender.send((False, exc))
    except Exception as exc:
        sender.send((False, InputError(str(exc))))
    finally:
        sender.close()


def silence_native_stderr() -> None:
    """Send what native code writes straight to file descriptor 2 (Rust's "memory
    allocation of N bytes failed" and its backtrace) nowhere; Python's ``sys.stderr``
    (progress bars) keeps writing where it did; Python's fault handler, if on, is turned
    off. The parent says what happened, in one line."""
    try:
        if sys.stderr.fileno() == 2:
            kept = os.dup(2)
            sys.stderr = open(kept, "w", encoding=sys.stderr.encoding, errors="replace")  # noqa: SIM115
    except (AttributeError, OSError, ValueError):
        pass  # a stream without a descriptor (a test runner's): nothing to keep
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    faulthandler.disable()  # (its dump of an abort would go to a copy of descriptor 2)


def cap_memory(limit_mb: int) -> None:
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
