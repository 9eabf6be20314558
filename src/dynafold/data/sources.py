"""Sources of ensembles: find the systems in the user's paths, read and curate each.

A :class:`Job` names one system to prepare; it is small and picklable so that
worker processes can run it. ``list_jobs`` expands paths into jobs,
``curate`` turns one job into a :class:`Curated` system (or a rejection reason).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from dynafold.data import curation
from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldInputError, EmptyEnsembleError
from dynafold.io import HDF5_SUFFIXES as _HDF5
from dynafold.io import STRUCTURE_SUFFIXES as _STRUCTURE
from dynafold.io import TRAJECTORY_SUFFIXES as _TRAJECTORY
from dynafold.io.atlas import atlas_replicas, holds_atlas_replicas
from dynafold.io.mdcath import mdcath_runs

KINDS = ("atlas", "mdcath", "misato", "nmr", "xray", "traj")
LIGAND_KINDS = ("traj", "misato")  # MD sources whose ligands are kept; structures keep protein atoms only


@dataclass(frozen=True)
class Job:
    """One system to prepare: its source kind, file, name and reading options."""

    kind: str
    path: str
    name: str
    options: dict = field(default_factory=dict, hash=False)


@dataclass
class SourceOptions:
    """Options of ``dynafold prepare`` that shape the jobs."""

    method: str | None = None
    topology: str | None = None
    seed: int = 0
    temperatures: tuple[str, ...] = ("320",)
    atlas_pool: bool = False
    atlas_frames: int = curation.ATLAS_FRAMES
    atlas_window_ps: float = curation.ATLAS_WINDOW_PS
    mdcath_fraction: float = curation.MDCATH_FRACTION
    misato_peptide_ids: frozenset[str] = frozenset()
    misato_max_distance_A: float = curation.MISATO_MAX_LIGAND_DISTANCE_A


def _files(path: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes))
    if not path.exists():
        raise DynafoldInputError("file not found", path)
    return [path]


def _stem(path: Path) -> str:
    name = path.name
    for suf in _STRUCTURE + _TRAJECTORY + _HDF5 + (".zip",):
        if name.lower().endswith(suf):
            return name[: -len(suf)]
    return path.stem


def _atlas_inputs(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if holds_atlas_replicas(path):
        return [path]
    return sorted(p for p in path.iterdir() if p.suffix.lower() == ".zip" or p.is_dir())


def list_jobs(kind: str, paths: list[str | os.PathLike], options: SourceOptions) -> tuple[list[Job], list[dict]]:
    """Expand paths (files or folders) into jobs, in a stable order.

    Returns the jobs and the failures found while listing (``{"path", "error"}``).
    """
    if kind not in KINDS:
        raise DynafoldInputError(f"unknown source kind {kind!r}; valid: {', '.join(KINDS)}")
    if kind == "traj" and options.topology is None:
        raise DynafoldInputError("'traj' sources need --topology")
    jobs: list[Job] = []
    failed: list[dict] = []
    for raw in paths:
        path = Path(raw)
        try:
            if kind in ("nmr", "xray"):
                jobs += [Job(kind, str(p), _stem(p)) for p in _files(path, _STRUCTURE)]
            elif kind == "traj":
                jobs += [Job(kind, str(p), _stem(p)) for p in _files(path, _TRAJECTORY)]
            elif kind == "atlas":
                for item in _atlas_inputs(path):
                    try:
                        name, reps = atlas_replicas(item)
                    except (DynafoldInputError, OSError, ValueError) as err:
                        failed.append({"path": str(item), "error": str(err)})
                        continue
                    if options.atlas_pool:
                        jobs.append(Job(kind, str(item), name, {"replicas": reps}))
                    else:
                        jobs += [Job(kind, str(item), f"{name}_R{r}", {"replicas": [r]}) for r in reps]
            elif kind == "mdcath":
                for p in _files(path, _HDF5):
                    try:
                        runs = mdcath_runs(p, options.temperatures)
                    except DynafoldInputError as err:
                        failed.append({"path": str(p), "error": str(err)})
                        continue
                    jobs += [Job(kind, str(p), f"{d}_{t}_{r}", {"domain": d, "temperature": t, "replica": r})
                             for d, t, r in runs]
            else:  # misato
                from dynafold.io.misato import misato_ids

                for p in _files(path, _HDF5):
                    try:
                        ids = misato_ids(p)
                    except DynafoldInputError as err:
                        failed.append({"path": str(p), "error": str(err)})
                        continue
                    jobs += [Job(kind, str(p), pdb_id.lower(), {"pdb_id": pdb_id}) for pdb_id in ids]
        except DynafoldInputError as err:
            failed.append({"path": str(path), "error": str(err)})
    return jobs, failed


@dataclass
class Curated:
    """One job after curation: the protein heavy atoms and the kept ligands, or why the system is dropped."""

    ensemble: Ensemble | None = None
    ligands: Ensemble | None = None  # heavy atoms of the kept ligands, with their chemistry
    dropped_ligands: list[dict] = field(default_factory=list)  # {"ligand", "reason"}
    reason: str | None = None  # set when the whole system is dropped


def curate(job: Job, options: SourceOptions) -> Curated:
    """Read one job's source and apply its curation rules.

    MD trajectories (``LIGAND_KINDS``) keep their ligands under the rules of
    :mod:`dynafold.data.ligands`. Raises DynafoldInputError for unreadable input.
    """
    from dynafold.io import load

    path = Path(job.path)
    if job.kind in ("nmr", "xray"):
        ens = load(path, method=options.method)
    elif job.kind == "traj":
        ens = load(path, options.topology, method=options.method or "md")
    elif job.kind == "mdcath":
        o = job.options
        ens = load(path, domain=o["domain"], temperature=o["temperature"], replica=o["replica"])
        start = curation.last_fraction_start(ens.n_conformers, options.mdcath_fraction)
        ens = ens.select_frames(slice(start, None))
        ens.notes.append(f"mdCATH rule: last {ens.n_conformers} frames "
                         f"({options.mdcath_fraction:.0%}) of {start + ens.n_conformers}")
    elif job.kind == "atlas":
        ens = _curate_atlas(path, job, options)
    else:
        from dynafold.data.misato import misato_rejection
        from dynafold.io.misato import misato_ensemble, misato_ligand, read_misato_system

        system = read_misato_system(path, job.options["pdb_id"])
        reason = misato_rejection(system, options.misato_peptide_ids, options.misato_max_distance_A)
        if reason is not None:
            return Curated(reason=reason)
        ens = misato_ensemble(system, path)
        ens.name = job.name
        ligand = misato_ligand(system)
        ligand.name = job.name
        return Curated(ensemble=ens.require_conformers(), ligands=ligand)
    ens.name = job.name
    if job.kind in LIGAND_KINDS and ens.ligands:
        from dynafold.data.ligands import split_ligands

        protein, ligands, dropped = split_ligands(ens.require_conformers(), options.misato_max_distance_A)
        return Curated(ensemble=protein, ligands=ligands, dropped_ligands=dropped)
    return Curated(ensemble=ens.protein().require_conformers())


def _curate_atlas(path: Path, job: Job, options: SourceOptions) -> Ensemble:
    from dynafold.io import load

    parts: list[Ensemble] = []
    for r in job.options["replicas"]:
        ens = load(path, replica=r)
        if ens.times_ps is None:
            raise EmptyEnsembleError(f"replica {r} has no frame times", path)
        keep = curation.atlas_frame_indices(ens.times_ps, options.atlas_frames, options.atlas_window_ps,
                                            seed=options.seed + r)
        part = ens.select_frames(keep)
        if len(keep) < options.atlas_frames:
            part.notes.append(f"ATLAS rule: replica {r} has only {len(keep)} frames in the last "
                              f"{options.atlas_window_ps / 1000:g} ns; all of them kept")
        else:
            part.notes.append(f"ATLAS rule: replica {r}: {len(keep)} random frames of the last "
                              f"{options.atlas_window_ps / 1000:g} ns (seed {options.seed + r})")
        parts.append(part)
    if len(parts) == 1:
        return parts[0]
    return replace(parts[0], coords=np.concatenate([p.coords for p in parts]), bfactors=None,
                   times_ps=None, notes=[n for p in parts for n in p.notes]
                   + [f"replicas {job.options['replicas']} pooled"])
