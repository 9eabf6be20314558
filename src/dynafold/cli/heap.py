"""Heap settings of the command line: memory freed by one sampling step is reused by the next.

Every denoiser call makes tensors of tens of megabytes (the atom-window biases and
keys of a batch of samples). glibc's malloc serves blocks that large from fresh
memory maps and unmaps them when they are freed, so every call paid the page faults
of mapping and zeroing them again (benchmarks/RESULTS.md). Serving them from the
heap and never trimming it lets the next call reuse the same pages. The sampling
workers (one thread each) share one heap (arena): with one arena per thread, each
kept its own freed blocks, which the other could not reuse, and peak memory grew
with every step (benchmarks/RESULTS.md). Only glibc has these settings; elsewhere
nothing changes.
"""

from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD = -1  # mallopt parameters (malloc.h)
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8
_TRIM_THRESHOLD_BYTES = 1 << 30  # never hand freed heap back to the system while running


def keep_freed_memory() -> bool:
    """Make glibc's malloc keep large freed blocks for reuse by any thread; True if the settings took.

    Call it before the process starts threads: threads that already have their own arena keep it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    except (OSError, AttributeError):  # no mallopt: not glibc
        return False
    settings = ((_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES), (_M_ARENA_MAX, 1))
    return all([bool(mallopt(param, value)) for param, value in settings])
