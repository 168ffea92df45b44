"""Signals that end ``kb`` turned into an exception, so that cleanup (a temporary file
removed, a query worker ended) runs before the process goes.

SIGTERM is what ``timeout``, ``kill`` and systemd send; SIGHUP what a closed terminal
sends. Left to their default action they end the process at once, and a forked query
worker would run on, re-parented to init.
"""

from __future__ import annotations

import contextlib
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


def worker_signals() -> None:
    """In a forked worker: SIGTERM and SIGHUP end it at once (its parent ends it with
    SIGTERM; it must die, not raise), and Ctrl-C is left to the parent, which ends it
    (the worker would print a traceback of its own)."""
    for signum in ENDING_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
