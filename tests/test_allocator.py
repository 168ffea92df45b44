"""kb.allocator: the C allocator's freed pages go back to the system when asked, and the
engine asks after each task (so its two threads' arenas do not add up their largest
queries: issue 16's peak-memory ratio)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from kb.resources import default_layout
from kb.shacl import engine
from kb.store import load_files

glibc_only = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's; elsewhere a no-op"
)

# In a thread (its own arena), 25,000 blocks of 4 KiB are written and freed but the last,
# which pins the arena's top so that free() cannot give the rest back by itself.
CHURN = """
import ctypes, os, threading
from kb.allocator import release_free_memory
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20
def churn():
    blocks = [libc.malloc(4096) for _ in range(25000)]
    for block in blocks:
        ctypes.memset(block, 1, 4096)
    for block in blocks[:-1]:
        libc.free(block)
thread = threading.Thread(target=churn)
thread.start()
thread.join()
held = rss_mb()
assert release_free_memory()
print(held, rss_mb())
"""


@glibc_only
def test_freed_memory_goes_back_to_the_system() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHURN], capture_output=True, text=True, check=True, timeout=60
    )
    held, after = map(int, done.stdout.split())
    assert held - after > 60, (held, after)


def test_the_engine_releases_memory_after_each_task(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []
    monkeypatch.setattr(engine, "release_free_memory", lambda: calls.append(None))
    layout = default_layout()
    store = load_files([*layout.ontology_files, *layout.data_files])
    shapes = load_files([layout.shapes])
    report = engine.validate_compiled(store, shapes)
    assert report.conforms
    assert len(calls) >= 20  # one a task: a probe, or a query of a shape without one
