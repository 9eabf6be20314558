"""CPU thread settings of the command line, chosen before torch is imported.

Torch's OpenMP threads spin while they wait for each other: on a machine whose
cores are busy with other jobs, two threads ran a training step five times
slower than one (benchmarks/RESULTS.md). So the command line uses the cores
that other jobs leave idle and lets waiting threads sleep. Busy cores are the
1-minute load average, or the processes running right now when fewer: the
average lags, so a job that ended a few seconds ago would still count as one.
Where these say some cores are busy, the CPU time used over a tenth of a second
decides when it is lower: on some virtual machines a kernel thread counts as
running without using the CPU, which made the load claim one of two idle cores.
``--threads N`` or ``DYNAFOLD_THREADS=N`` overrides the choice; an
``OMP_NUM_THREADS`` already set in the environment is kept.
"""

from __future__ import annotations

import math
import os
import sys
import time

THREADS_ENV = "DYNAFOLD_THREADS"
MAX_DEFAULT_THREADS = 8
CPU_SAMPLE_S = 0.1  # window over which the CPU time in use is measured


def choose_threads(cpus: int, load: float) -> int:
    """Threads for a run: the cores left idle by ``load`` busy cores (1 to 8)."""
    return max(1, min(MAX_DEFAULT_THREADS, cpus - math.ceil(load - 0.25)))


def busy_cores(load: float, running_elsewhere: int | None, measured: float | None = None) -> float:
    """Cores other jobs use: the 1-minute ``load`` average, or the processes running elsewhere
    right now, or the cores' worth of CPU time ``measured`` in use, whichever is fewest (None: unknown)."""
    return min([load] + [float(v) for v in (running_elsewhere, measured) if v is not None])


def cpu_times() -> tuple[int, int] | None:
    """(busy, total) CPU time of all cores since boot, in clock ticks (Linux /proc/stat: idle and
    I/O wait are not busy), None where unknown."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(ticks) < 5:
        return None
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    """Share of the CPU time between two :func:`cpu_times` readings that was busy, None if none passed."""
    total = after[1] - before[1]
    return None if total <= 0 else (after[0] - before[0]) / total


def measured_busy_cores(cpus: int, seconds: float = CPU_SAMPLE_S) -> int | None:
    """Whole cores' worth of CPU time in use (rounded: a core counts when more than half of it is used)
    over the next ``seconds`` on a machine of ``cpus`` cores (this process sleeps meanwhile), None where
    unknown."""
    before = cpu_times()
    if before is None:
        return None
    time.sleep(seconds)
    after = cpu_times()
    share = None if after is None else busy_share(before, after)
    return None if share is None else round(share * cpus)


def running_elsewhere() -> int | None:
    """Processes running right now other than this one (Linux /proc/loadavg), None where unknown."""
    try:
        with open("/proc/loadavg") as f:
            running = int(f.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(0, running - 1)


def configure_threads(threads: int | None) -> int:
    """Set this process's thread count (OpenMP, MKL, torch if loaded); returns it.

    ``threads`` None keeps ``OMP_NUM_THREADS`` when set, else uses
    :func:`choose_threads` for this machine.
    """
    if threads is None:
        preset = os.environ.get("OMP_NUM_THREADS", "")
        if preset.isdigit() and int(preset) > 0:
            threads = int(preset)
        else:
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
            busy = busy_cores(load, running_elsewhere())
            if choose_threads(cpus, busy) < min(cpus, MAX_DEFAULT_THREADS):  # some cores look busy: measure
                busy = busy_cores(busy, None, measured_busy_cores(os.cpu_count() or cpus))
            threads = choose_threads(cpus, busy)
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    return threads
