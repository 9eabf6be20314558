"""The command line's heap settings: large blocks come from the reusable heap, not fresh maps, and
every thread allocates from the same heap."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = r"""
import ctypes, sys

class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Mallinfo2
if sys.argv[1] == "keep":
    from dynafold.cli.heap import keep_freed_memory
    assert keep_freed_memory()
before = libc.mallinfo2().hblkhd
block = bytearray(64 << 20)
print(libc.mallinfo2().hblkhd - before)
"""


def _mapped_bytes(mode: str) -> int:
    """Bytes in memory maps added by allocating a 64 MiB block, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    return int(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings")
def test_large_blocks_come_from_the_heap():
    try:
        plain = _mapped_bytes("plain")
    except subprocess.CalledProcessError:
        pytest.skip("no mallinfo2 (not glibc 2.33+)")
    assert plain >= 64 << 20  # glibc maps a block this large by default
    assert _mapped_bytes("keep") == 0


ARENAS = r"""
import ctypes, sys, threading

libc = ctypes.CDLL(None)
if sys.argv[1] == "keep":
    from dynafold.cli.heap import keep_freed_memory
    assert keep_freed_memory()
worker = threading.Thread(target=lambda: bytearray(64 << 20))
worker.start()
worker.join()
libc.malloc_stats()  # one "Arena i:" paragraph per arena, on stderr
"""


def _arenas(mode: str) -> int:
    """glibc malloc arenas in a fresh process after a second thread allocated a 64 MiB block."""
    out = subprocess.run([sys.executable, "-c", ARENAS, mode], capture_output=True, text=True, check=True)
    return out.stderr.count("Arena ")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings")
def test_threads_share_one_heap():
    try:
        plain = _arenas("plain")
    except subprocess.CalledProcessError:
        pytest.skip("no malloc_stats (not glibc)")
    assert plain >= 2  # by default the thread gets an arena of its own
    assert _arenas("keep") == 1
