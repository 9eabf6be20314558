"""Readers of ensembles that other tools wrote, each in that tool's own output layout.

Each tool has a ``find_*`` function (the files of one target, so that the
benchmark can hash them) and :func:`read_files` that turns them into an Ensemble.

Layouts (DIR is the ARG of the generator):

* Boltz-2 (``boltz predict --diffusion_samples K --out_dir OUT``):
  ``predictions/{name}/{name}_model_{k}.cif`` (or ``.pdb``), one conformer per
  file, found in DIR itself or in one ``DIR/boltz_results_*/`` folder. Boltz
  lower-cases record ids, so names match case-insensitively.
* BioEmu (``python -m bioemu.sample --output_dir DIR/{name}``):
  ``DIR/{name}/samples.xtc`` with ``DIR/{name}/topology.pdb``.
* AlphaFlow (``predict.py --outpdb DIR``): a multi-model ``DIR/{name}.pdb``.
* files: ``DIR/{name}.pdb|.cif|...`` (multi-model), or ``DIR/{name}.xtc|.dcd|.trr``
  with the topology ``DIR/{name}.pdb`` or ``DIR/{name}.gro``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldInputError, TopologyMismatchError
from dynafold.io import STRUCTURE_SUFFIXES, TRAJECTORY_SUFFIXES

ADAPTERS = ("boltz2", "bioemu", "alphaflow", "files")


def find_boltz2(folder: Path, name: str) -> list[Path]:
    """The ``{name}_model_{k}`` files of a Boltz-2 output folder, in order of k."""
    roots = [folder] + sorted(p for p in folder.glob("boltz_results_*") if p.is_dir())
    for root in roots:
        pred = root / "predictions"
        if not pred.is_dir():
            continue
        for sub in pred.iterdir():
            if sub.is_dir() and sub.name.lower() == name.lower():
                pattern = re.compile(rf"^{re.escape(sub.name)}_model_(\d+)\.(cif|pdb)$", re.IGNORECASE)
                hits = [(int(m.group(1)), p) for p in sub.iterdir() if (m := pattern.match(p.name))]
                if hits:
                    return [p for _, p in sorted(hits)]
    raise DynafoldInputError(f"no Boltz-2 models predictions/{name}/{name}_model_*.cif found", folder)


def find_bioemu(folder: Path, name: str) -> list[Path]:
    """``[samples.xtc, topology.pdb]`` of a BioEmu output folder ``{folder}/{name}``."""
    sub = folder / name
    files = [sub / "samples.xtc", sub / "topology.pdb"]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise DynafoldInputError(f"BioEmu output lacks {', '.join(missing)}", sub)
    return files


def find_alphaflow(folder: Path, name: str) -> list[Path]:
    """The multi-model ``{folder}/{name}.pdb`` AlphaFlow writes."""
    path = folder / f"{name}.pdb"
    if not path.is_file():
        raise DynafoldInputError(f"no AlphaFlow ensemble {name}.pdb", folder)
    return [path]


def find_files(folder: Path, name: str) -> list[Path]:
    """A structure ``{name}.pdb|.cif|...``, or a trajectory ``{name}.xtc|...`` plus its topology."""
    for suffix in TRAJECTORY_SUFFIXES:
        traj = folder / f"{name}{suffix}"
        if traj.is_file():
            for top_suffix in (".pdb", ".gro", ".cif"):
                if (folder / f"{name}{top_suffix}").is_file():
                    return [traj, folder / f"{name}{top_suffix}"]
            raise DynafoldInputError(f"trajectory {traj.name} has no topology {name}.pdb or {name}.gro", folder)
    for suffix in STRUCTURE_SUFFIXES:
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return [path]
    raise DynafoldInputError(f"no ensemble file named {name}.* (structure or trajectory)", folder)


FINDERS = {"boltz2": find_boltz2, "bioemu": find_bioemu, "alphaflow": find_alphaflow, "files": find_files}


def find_prediction(tool: str, folder: str | Path, name: str) -> list[Path]:
    """Files holding the ensemble that ``tool`` predicted for target ``name``."""
    folder = Path(folder)
    if tool not in FINDERS:
        raise DynafoldInputError(f"unknown tool {tool!r}; valid: {', '.join(ADAPTERS)}")
    if not folder.is_dir():
        raise DynafoldInputError(f"{tool} output folder not found", folder)
    return FINDERS[tool](folder, name)


def read_files(files: list[Path], name: str) -> Ensemble:
    """One ensemble from the files a ``find_*`` function returned.

    A trajectory and its topology give one ensemble; several structure files
    (Boltz-2 models) are stacked, in order, into one ensemble and must hold the
    same atoms.
    """
    from dynafold.io import load

    if len(files) == 2 and files[0].suffix.lower() in TRAJECTORY_SUFFIXES:
        ens = load(files[0], files[1])
    else:
        ens = stack([load(f) for f in files])
    ens = ens.require_conformers()
    ens.name = name
    return ens


def stack(ensembles: list[Ensemble]) -> Ensemble:
    """Concatenate the conformers of ensembles with identical atoms."""
    first = ensembles[0]
    key = _atom_keys(first)
    for other in ensembles[1:]:
        if _atom_keys(other) != key:
            raise TopologyMismatchError(f"{other.name}: its atoms differ from those of {first.name}")
    bfac = None if any(e.bfactors is None for e in ensembles) else np.concatenate([e.bfactors for e in ensembles])
    return Ensemble(topology=first.topology, coords=np.concatenate([e.coords for e in ensembles]),
                    method=first.method, bfactors=bfac, name=first.name,
                    notes=[n for e in ensembles for n in e.notes])


def _atom_keys(ens: Ensemble) -> list[tuple]:
    t = ens.topology
    return list(zip(t.chain_ids.tolist(), t.res_ids.tolist(), t.ins_codes.tolist(), t.atom_names.tolist()))
