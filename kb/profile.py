"""Where a command spends its time: named phases (parse, closure, engine, ...) and the
compiled queries the SHACL engine ran, each with its wall time. Filled by the library
when asked (``kb validate --profile``); formatted by ``kb.output.profile_text``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Phase:
    """A step of the command: its name and wall seconds."""

    name: str
    seconds: float


@dataclass(frozen=True)
class QueryTime:
    """One compiled query of one shape: what it checks, wall seconds, rows it gave."""

    shape: str
    query: str
    seconds: float
    rows: int


@dataclass
class Profile:
    """The phases in the order they ran, and every engine query (from any thread)."""

    phases: list[Phase] = field(default_factory=list)
    queries: list[QueryTime] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the ``with`` block as the phase ``name``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phases.append(Phase(name, time.perf_counter() - started))

    def query(self, shape: str, query: str, seconds: float, rows: int) -> None:
        """Record one engine query (thread-safe: the engine runs shapes side by side)."""
        with self._lock:
            self.queries.append(QueryTime(shape, query, seconds, rows))


@contextmanager
def maybe_phase(profile: Profile | None, name: str) -> Iterator[None]:
    """``profile.phase(name)``, or nothing when there is no profile."""
    if profile is None:
        yield
        return
    with profile.phase(name):
        yield
