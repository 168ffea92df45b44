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
    """A step of the command: its name, wall seconds and CPU seconds (every thread of the
    process: on a shared machine the CPU time is the steadier figure)."""

    name: str
    seconds: float
    cpu: float = 0.0
    #: whether the step ran within a later one (its time is in that one's too)
    within: bool = False


@dataclass(frozen=True)
class QueryTime:
    """One compiled query of one shape: what it checks, wall seconds, rows it gave, and
    the CPU seconds of the thread that ran it."""

    shape: str
    query: str
    seconds: float
    rows: int
    cpu: float = 0.0


#: Guards Profile.queries (the engine's threads record side by side); module-level, so a
#: Profile stays picklable and can come back from a worker process.
_LOCK = threading.Lock()


@dataclass
class Profile:
    """The phases in the order they ran, and every engine query (from any thread)."""

    phases: list[Phase] = field(default_factory=list)
    queries: list[QueryTime] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str, within: bool = False) -> Iterator[None]:
        """Time the ``with`` block as the phase ``name`` (``within`` a later phase)."""
        started, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            wall = time.perf_counter() - started
            self.phases.append(Phase(name, wall, time.process_time() - cpu, within))

    def query(self, shape: str, query: str, seconds: float, rows: int, cpu: float = 0.0) -> None:
        """Record one engine query (thread-safe: the engine runs shapes side by side)."""
        with _LOCK:
            self.queries.append(QueryTime(shape, query, seconds, rows, cpu))


@contextmanager
def maybe_phase(profile: Profile | None, name: str, within: bool = False) -> Iterator[None]:
    """``profile.phase(name, within)``, or nothing when there is no profile."""
    if profile is None:
        yield
        return
    with profile.phase(name, within):
        yield
