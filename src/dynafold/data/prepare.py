"""Prepare a store: list the systems, curate each (in parallel), write, record.

Resumable: systems whose file exists are skipped; files are written
atomically so a killed run leaves no partial file (stale temporaries are
removed on the next run) and the manifest is reconciled with the files.
"""

from __future__ import annotations

import ctypes
import datetime
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dynafold.data.sources import Job, SourceOptions, curate, list_jobs
from dynafold.data.store import (
    reconcile_manifest,
    remove_stale_temporaries,
    system_path,
    update_manifest,
    write_system,
)
from dynafold.errors import DynafoldInputError


@dataclass
class PrepareReport:
    """What one ``prepare`` call did."""

    prepared: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)


def parse_shard(text: str) -> tuple[int, int]:
    """'i/n' -> (i, n) with 0 <= i < n."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError as err:
        raise DynafoldInputError(f"shard must look like i/n, got {text!r}") from err
    if n < 1 or not 0 <= i < n:
        raise DynafoldInputError(f"shard {text!r}: need 0 <= i < n")
    return i, n


def run_job(job: Job, store: str, options: SourceOptions) -> dict:
    """Curate and write one system; returns a result record (runs in workers).

    Any failure of the job becomes a "failed" record, so one bad input never
    stops the others.
    """
    from dynafold.data.targets import residue_targets

    try:
        system = curate(job, options)
        if system.ensemble is None:
            return {"status": "rejected", "name": job.name, "source": job.kind, "path": job.path,
                    "reason": system.reason}
        meta = {"name": job.name, "source": job.kind, "origin": job.path,
                "options": dict(job.options)}
        if system.dropped_ligands:
            meta["ligands_dropped"] = system.dropped_ligands
        ens = system.ensemble
        entry = write_system(store, ens, residue_targets(ens), meta, system.ligands)
        return {"status": "done", "entry": entry}
    except Exception as err:  # noqa: BLE001 - recorded as this job's failure
        message = " ".join(str(err).split()) or type(err).__name__
        if getattr(err, "path", None) is None:
            message = f"{job.path}: {message}"
        return {"status": "failed", "name": job.name, "path": job.path, "error": message}


def prepare_store(kind: str, paths: list[str | os.PathLike], store: str | os.PathLike,
                  options: SourceOptions | None = None, workers: int = 1, shard: tuple[int, int] = (0, 1),
                  on_event: Callable[[str, dict], None] | None = None,
                  progress: Callable[[int, int, str], None] | None = None) -> PrepareReport:
    """Add the systems of ``paths`` (a source ``kind``) to ``store``.

    ``shard=(i, n)`` keeps every n-th job starting at i (a cluster array job
    runs n calls on one store). ``on_event(kind, record)`` is called for each
    failure and rejection (the CLI prints them). ``progress(done, total, name)``
    is called after each system that had to be curated (the CLI draws a bar).

    The arguments are checked before the store is touched, and a store that
    does not exist yet is created only when a system is written: a call that
    prepares nothing leaves no folder behind.
    """
    options = options or SourceOptions()
    store = Path(store)
    if store.exists() and not store.is_dir():
        raise DynafoldInputError("the store must be a folder", store)
    jobs, failed = list_jobs(kind, paths, options)
    jobs = jobs[shard[0]::shard[1]]
    if store.is_dir():
        remove_stale_temporaries(store)
        reconcile_manifest(store)
    report = PrepareReport(failed=list(failed))
    for f in failed:
        _emit(on_event, "failed", f)
    todo = []
    for job in jobs:
        if system_path(store, job.name).exists():
            report.skipped.append(job.name)
        else:
            todo.append(job)

    def record(result: dict) -> None:
        if result["status"] == "done":
            report.prepared.append(result["entry"]["name"])
            update_manifest(store, systems=[result["entry"]])
        elif result["status"] == "rejected":
            rec = {k: result[k] for k in ("name", "source", "path", "reason")}
            report.rejected.append(rec)
            _emit(on_event, "rejected", rec)
        else:
            rec = {"path": result["path"], "name": result["name"], "error": result["error"]}
            report.failed.append(rec)
            _emit(on_event, "failed", rec)

    def advance(done: int, job: Job) -> None:
        if progress is not None:
            progress(done, len(todo), job.name)

    if workers <= 1:
        for done, job in enumerate(todo, 1):
            record(run_job(job, str(store), options))
            advance(done, job)
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(run_job, job, str(store), options): job for job in todo}
            for done, fut in enumerate(as_completed(futures), 1):
                record(fut.result())
                advance(done, futures[fut])
    if store.is_dir():
        update_manifest(store, rejected=report.rejected, failed=report.failed, call={
            "kind": kind, "paths": [str(p) for p in paths], "shard": f"{shard[0]}/{shard[1]}",
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "options": _jsonable(asdict(options)),
            "prepared": len(report.prepared), "skipped": len(report.skipped),
            "rejected": len(report.rejected), "failed": len(report.failed),
        })
    return report


_PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


def _exit_with_parent(parent: int) -> None:
    """Pool worker initializer: on Linux the worker gets SIGTERM when ``parent`` dies (killed by
    SIGTERM it cannot shut its pool down, and idle workers would wait on the task queue forever)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took
        os._exit(1)


def _emit(on_event: Callable[[str, dict], None] | None, kind: str, record: dict) -> None:
    if on_event is not None:
        on_event(kind, record)


def _jsonable(options: dict) -> dict:
    return {k: sorted(v) if isinstance(v, (set, frozenset, tuple)) else v for k, v in options.items()}
