"""The ensemble store: one compressed ``.npz`` per system plus ``manifest.json``.

A system file holds the topology once (protein heavy atoms), the conformers
(K, N, 3) float32 Angstrom, the atom mask, optional B-factors (K, N), the
per-residue targets of :func:`dynafold.data.targets.residue_targets` and a
JSON ``meta`` record (name, source, method, counts, provenance, notes).

A system whose trajectory keeps ligands (see :mod:`dynafold.data.ligands`)
also holds, for the L ligand heavy atoms of its n ligands and their B bonds:

- ``ligand_coords`` (K, L, 3) float32, Angstrom, the same conformers as ``coords``;
- ``ligand_`` + each topology field (``ligand_res_names``, ``ligand_atom_names``,
  ``ligand_elements``, ``ligand_chain_ids``, ...), (L,);
- ``ligand_index`` (L,) int64, the ligand (0..n-1) of each atom;
- ``ligand_formal_charges`` (L,) int8;
- ``ligand_bonds`` (B, 2) int64, pairs of ligand atoms (0..L-1, i < j);
- ``ligand_bond_orders`` (B,) int8 (1, 2, 3; 0 unknown), ``ligand_bond_aromatic`` (B,) bool;
- ``ligand_sources`` (n,) str, where each ligand's bonds come from ("ccd", "coordinates").

Protein-only systems have none of these arrays (files written before ligands
were kept read as they did). Files are written atomically, so a file that exists is complete. The manifest is
updated under a file lock with read-merge-write, so several ``prepare`` calls
(or array-job shards) can add to one store; it can always be rebuilt from the
system files.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dynafold.ensemble import TOPOLOGY_FIELDS, Ensemble, Ligand, Topology
from dynafold.errors import DynafoldInputError, TruncatedFileError
from dynafold.io.atomic import atomic_path

MANIFEST = "manifest.json"
SYSTEM_SUFFIX = ".npz"
_TARGET_FIELDS = ("rmsf_A", "rmsf_mask", "bfactor_A2", "bfactor_mask")


@dataclass
class StoredSystem:
    """A system read back from the store."""

    ensemble: Ensemble
    targets: dict[str, np.ndarray]
    meta: dict
    ligands: Ensemble | None = None  # the kept ligands' heavy atoms, chemistry in ``ligands.ligands``


def system_path(store: str | os.PathLike, name: str) -> Path:
    return Path(store) / f"{name}{SYSTEM_SUFFIX}"


def system_files(store: str | os.PathLike) -> list[Path]:
    """Complete system files of a store (temporary files excluded), sorted by name."""
    return sorted(p for p in Path(store).glob(f"*{SYSTEM_SUFFIX}") if not p.name.startswith("."))


def write_system(store: str | os.PathLike, ensemble: Ensemble, targets: dict[str, np.ndarray],
                 meta: dict, ligands: Ensemble | None = None) -> dict:
    """Write one system file atomically; returns its manifest entry.

    ``ensemble`` should hold protein heavy atoms; ``meta`` needs at least
    ``name`` and ``source``. ``ligands``: heavy atoms of the kept ligands (same
    conformers), with their chemistry; the entry then lists them (``ligands``).
    """
    name = meta["name"]
    path = system_path(store, name)
    entry = {
        **meta,
        "method": ensemble.method,
        "n_conformers": ensemble.n_conformers,
        "n_residues": ensemble.n_residues,
        "n_atoms": ensemble.n_atoms,
        "file": path.name,
        "notes": list(ensemble.notes),
    }
    arrays = {f: getattr(ensemble.topology, f) for f in TOPOLOGY_FIELDS}
    arrays.update({k: np.asarray(targets[k]) for k in _TARGET_FIELDS})
    arrays["coords"] = ensemble.coords.astype(np.float32)
    arrays["mask"] = ensemble.mask
    if ensemble.bfactors is not None:
        arrays["bfactors"] = ensemble.bfactors.astype(np.float32)
    if ligands is not None:
        entry["ligands"] = ligand_summary(ligands)
        arrays.update(_ligand_arrays(ligands))
    arrays["meta"] = np.array(json.dumps(entry))
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, **arrays)
    return entry


@contextlib.contextmanager
def _opened(path: str | os.PathLike) -> Iterator:
    """The arrays of a system file; a truncated or foreign file (a cut zip raises BadZipFile) or a
    missing array, also while the caller reads, is a TruncatedFileError naming the file."""
    try:
        with np.load(path, allow_pickle=False) as z:
            yield z
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise TruncatedFileError(f"cannot read store file: {err}", path) from err


def read_system(path: str | os.PathLike) -> StoredSystem:
    """Read a system file written by :func:`write_system`."""
    with _opened(path) as z:
        meta = json.loads(str(z["meta"]))
        topology = Topology(**{f: z[f] for f in TOPOLOGY_FIELDS})
        ensemble = Ensemble(
            topology=topology, coords=z["coords"], method=meta["method"],
            bfactors=z["bfactors"] if "bfactors" in z.files else None, mask=z["mask"],
            name=meta["name"], notes=list(meta.get("notes", [])),
        )
        targets = {k: z[k] for k in _TARGET_FIELDS}
        ligands = _read_ligands(z, meta) if "ligand_coords" in z.files else None
    return StoredSystem(ensemble=ensemble, targets=targets, meta=meta, ligands=ligands)


def content_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a system file's arrays (name, dtype, shape, bytes), leaving out ``meta``.

    Equal for the same data written at another time or place (the zip container and the provenance
    paths in ``meta`` differ then), so two training runs can tell whether they saw the same data.
    """
    digest = hashlib.sha256()
    with _opened(path) as z:
        for key in sorted(k for k in z.files if k != "meta"):
            a = np.ascontiguousarray(z[key])
            digest.update(f"{key}:{a.dtype.str}:{a.shape};".encode())
            digest.update(a.tobytes())
    return digest.hexdigest()


def ligand_summary(ligands: Ensemble) -> list[dict]:
    """Per ligand: residue name, chain, number, heavy atoms, bonds, where its bonds come from."""
    topo = ligands.topology
    return [{"res_name": str(topo.res_names[lig.atom_index[0]]), "chain_id": str(topo.chain_ids[lig.atom_index[0]]),
             "res_id": int(topo.res_ids[lig.atom_index[0]]), "n_atoms": lig.n_atoms, "n_bonds": len(lig.bonds),
             "source": lig.source} for lig in ligands.ligands]


def _ligand_arrays(ligands: Ensemble) -> dict[str, np.ndarray]:
    """The ``ligand_*`` arrays of a system file (see the module docstring)."""
    n = ligands.n_atoms
    index = np.full(n, -1, dtype=np.int64)
    charges = np.zeros(n, dtype=np.int8)
    bonds, orders, aromatic = [], [], []
    for i, lig in enumerate(ligands.ligands):
        index[lig.atom_index] = i
        charges[lig.atom_index] = lig.formal_charges
        bonds.append(lig.atom_index[lig.bonds].reshape(-1, 2))
        orders.append(lig.bond_orders)
        aromatic.append(lig.aromatic)
    if (index < 0).any():
        raise ValueError("every ligand atom must belong to one of the ensemble's ligands")
    arrays = {f"ligand_{f}": getattr(ligands.topology, f) for f in TOPOLOGY_FIELDS}
    arrays.update({
        "ligand_coords": ligands.coords.astype(np.float32),
        "ligand_index": index,
        "ligand_formal_charges": charges,
        "ligand_bonds": np.sort(np.concatenate(bonds), axis=1).astype(np.int64),
        "ligand_bond_orders": np.concatenate(orders).astype(np.int8),
        "ligand_bond_aromatic": np.concatenate(aromatic).astype(bool),
        "ligand_sources": np.array([lig.source for lig in ligands.ligands]),
    })
    return arrays


def _read_ligands(z, meta: dict) -> Ensemble:
    """The ligand Ensemble of an open system file (arrays of :func:`_ligand_arrays`)."""
    topology = Topology(**{f: z[f"ligand_{f}"] for f in TOPOLOGY_FIELDS})
    index, bonds, charges = z["ligand_index"], z["ligand_bonds"], z["ligand_formal_charges"]
    orders, aromatic = z["ligand_bond_orders"], z["ligand_bond_aromatic"]
    position = np.zeros(len(index), dtype=np.int64)
    ligands = []
    for i, source in enumerate(z["ligand_sources"]):
        atoms = np.flatnonzero(index == i)
        position[atoms] = np.arange(len(atoms))
        own = (index[bonds] == i).all(axis=1) if len(bonds) else np.zeros(0, dtype=bool)
        ligands.append(Ligand(atom_index=atoms, bonds=position[bonds[own]].reshape(-1, 2),
                              bond_orders=orders[own], aromatic=aromatic[own], formal_charges=charges[atoms],
                              source=str(source)))
    return Ensemble(topology=topology, coords=z["ligand_coords"], method=meta["method"], name=meta["name"],
                    ligands=tuple(ligands))


def read_meta(path: str | os.PathLike) -> dict:
    """Only the ``meta`` record of a system file."""
    with _opened(path) as z:
        return json.loads(str(z["meta"]))


def load_manifest(store: str | os.PathLike) -> dict:
    """The manifest of a store (an empty one when absent)."""
    path = Path(store) / MANIFEST
    if not path.exists():
        return {"version": 1, "systems": [], "rejected": [], "failed": [], "calls": [], "counts": {}}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise DynafoldInputError(f"corrupt manifest: {err}", path) from err


@contextlib.contextmanager
def _locked(store: Path) -> Iterator[None]:
    store.mkdir(parents=True, exist_ok=True)
    with open(store / ".manifest.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _merge(items: list[dict], new: list[dict], key: str) -> list[dict]:
    merged = {item[key]: item for item in items}
    merged.update({item[key]: item for item in new})
    return sorted(merged.values(), key=lambda item: item[key])


def update_manifest(store: str | os.PathLike, systems: list[dict] = (), rejected: list[dict] = (),
                    failed: list[dict] = (), call: dict | None = None) -> dict:
    """Merge entries into the manifest under a lock and rewrite it atomically.

    Systems and rejections are keyed by name, failures by path; a newly
    prepared system removes an older rejection or failure of the same name.
    Counts are recomputed. Returns the new manifest.
    """
    store = Path(store)
    with _locked(store):
        manifest = load_manifest(store)
        done = {s["name"] for s in systems}
        manifest["systems"] = _merge(manifest["systems"], list(systems), "name")
        manifest["rejected"] = [r for r in _merge(manifest["rejected"], list(rejected), "name")
                                if r["name"] not in done]
        manifest["failed"] = [f for f in _merge(manifest["failed"], list(failed), "path")
                              if f.get("name") not in done]
        if call is not None:
            manifest["calls"].append(call)
        counts: dict[str, dict[str, int]] = {}
        for s in manifest["systems"]:
            c = counts.setdefault(s["source"], {"systems": 0, "conformers": 0})
            c["systems"] += 1
            c["conformers"] += s["n_conformers"]
        manifest["counts"] = counts
        with atomic_path(store / MANIFEST) as tmp:
            tmp.write_text(json.dumps(manifest, indent=1))
        return manifest


def reconcile_manifest(store: str | os.PathLike) -> dict:
    """Add to the manifest every complete system file it lacks (after a kill)."""
    store = Path(store)
    listed = {s["file"] for s in load_manifest(store)["systems"]}
    missing = [read_meta(p) for p in system_files(store) if p.name not in listed]
    return update_manifest(store, systems=missing)


def remove_stale_temporaries(store: str | os.PathLike) -> list[Path]:
    """Delete temporary files left by killed writers (their process is gone)."""
    removed = []
    for tmp in Path(store).glob(".*.tmp*"):
        parts = tmp.name.split(".")
        pid = int(parts[-3]) if len(parts) >= 4 and parts[-3].isdigit() else None
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` can still write: it exists and has not exited (a zombie has)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _exited(pid)


def _exited(pid: int) -> bool:
    """True for a process that has exited but is not yet reaped (Linux /proc; False where unknown).

    A worker killed with its parent stays a zombie until init reaps it, which a container's
    init may never do.
    """
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")
