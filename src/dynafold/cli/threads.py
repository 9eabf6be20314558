"""CPU thread settings of the command line, chosen before torch is imported.

Torch's OpenMP threads spin while they wait for each other: on a machine whose
cores are busy with other jobs, two threads ran a training step five times
slower than one (benchmarks/RESULTS.md). So the command line uses the cores
that other jobs leave idle and lets waiting threads sleep. Busy cores are the
1-minute load average, or the processes running right now when fewer: the
average lags, so a job that ended a few seconds ago would still count as one. ``--threads N`` or
``DYNAFOLD_THREADS=N`` overrides the choice; an ``OMP_NUM_THREADS`` already
set in the environment is kept.
"""

from __future__ import annotations

import math
import os
import sys

THREADS_ENV = "DYNAFOLD_THREADS"
MAX_DEFAULT_THREADS = 8


def choose_threads(cpus: int, load: float) -> int:
    """Threads for a run: the cores left idle by ``load`` busy cores (1 to 8)."""
    return max(1, min(MAX_DEFAULT_THREADS, cpus - math.ceil(load - 0.25)))


def busy_cores(load: float, running_elsewhere: int | None) -> float:
    """Cores other jobs use: the 1-minute ``load`` average, or the processes running elsewhere
    right now (None: unknown) when fewer."""
    return load if running_elsewhere is None else min(load, float(running_elsewhere))


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
            threads = choose_threads(cpus, busy_cores(load, running_elsewhere()))
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    return threads
