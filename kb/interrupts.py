"""Signals that end ``kb`` turned into an exception, so that cleanup (a temporary file
removed, a query worker ended) runs before the process goes.

SIGTERM is what ``timeout``, ``kill`` and systemd send; SIGHUP what a closed terminal
sends. Left to their default action they end the process at once, and a forked query
worker would run on, re-parented to init.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

#: The signals that raise Terminated inside ``signals_raise()``.
ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Terminated(BaseException):
    """Raised in place of dying on SIGTERM or SIGHUP, so that cleanup runs."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"terminated by signal {signum}")


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise Terminated (main thread only; a signal
    ignored on entry, as under ``nohup``, stays ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in ENDING_SIGNALS:
        handler = signal.getsignal(signum)
        if handler is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, _raise_terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


#: Blocked across a fork, so that the child never runs its parent's handlers.
_FORK_BLOCKED = {*ENDING_SIGNALS, signal.SIGINT}


@contextlib.contextmanager
def signals_blocked() -> Iterator[None]:
    """Within the block (a fork), SIGTERM, SIGHUP and SIGINT wait; they are delivered
    when it ends. A child forked inside starts with them blocked until
    ``worker_signals()``: a signal sent to it at once is not taken by a copy of its
    parent's handler (which would raise in the middle of its start, not end it)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _FORK_BLOCKED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def worker_signals() -> None:
    """In a forked worker: SIGTERM and SIGHUP end it at once (its parent ends it with
    SIGTERM; it must die, not raise), and Ctrl-C is left to the parent, which ends it
    (the worker would print a traceback of its own). Then the signals blocked across
    the fork are let through."""
    for signum in ENDING_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _FORK_BLOCKED)


#: prctl(2) option: the signal this process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a forked worker: have the kernel end it when ``parent`` dies, however it dies
    (even by SIGKILL, which leaves the parent no time to end it); Linux only. A parent
    already gone (before the request could be made) ends it now."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
