"""Writers of dataset layouts (ATLAS zip, mdCATH HDF5, MISATO HDF5) that build test files.

The readers live in dynafold; these write the same layouts from real
structures so the readers and ``dynafold prepare`` can be tested without the
full datasets.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldInputError, TopologyMismatchError
from dynafold.io.atomic import atomic_path
from dynafold.io.mdcath import COORDS_KEY, TOPOLOGY_KEY
from dynafold.io.misato import AMBER_HEAVY_ORDER, ELEMENT_CODE_NUMBERS, ELEMENTS_BY_NUMBER, MISATO_RESIDUES
from dynafold.io.structure import to_gemmi
from dynafold.io.trajectory import write_trajectory

NUMBER_BY_ELEMENT = {v: k for k, v in ELEMENTS_BY_NUMBER.items()}
MISATO_ELEMENT_CODE = {number: code for code, number in ELEMENT_CODE_NUMBERS.items()}
MISATO_NAME = {"HIS": "HIE"}  # the histidine form MISATO stores


def write_atlas_zip(replicas: Ensemble | Sequence[Ensemble], path: str | os.PathLike,
                    name: str | None = None) -> Path:
    """Write an ATLAS-layout zip: ``{name}.pdb`` and ``{name}_prod_R{i}_fit.xtc``.

    ``replicas`` is one ensemble (replica 1) or a sequence (replicas 1, 2, ...),
    all with the same atoms. ``name`` defaults to the first ensemble's name.
    The zip is written atomically. Returns ``path``.
    """
    path = Path(path)
    parts = [replicas] if isinstance(replicas, Ensemble) else list(replicas)
    if not parts:
        raise DynafoldInputError("no replica to write", path)
    if any(p.n_atoms != parts[0].n_atoms for p in parts):
        raise TopologyMismatchError("replicas hold different numbers of atoms", path)
    name = name or parts[0].name
    with tempfile.TemporaryDirectory() as tmp, atomic_path(path) as out:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
            for i, part in enumerate(parts, start=1):
                xtc = Path(tmp) / f"{name}_prod_R{i}_fit.xtc"
                pdb = Path(tmp) / f"R{i}.pdb"
                write_trajectory(part, xtc, pdb)
                if i == 1:
                    archive.write(pdb, f"{name}.pdb")
                archive.write(xtc, xtc.name)
    return path


def write_mdcath(ensemble: Ensemble, path: str | os.PathLike, domain: str | None = None,
                 temperature: str | int = "320", replica: str | int = "0") -> Path:
    """Write an ensemble as one run of an mdCATH-layout HDF5 file.

    A new file is written atomically. When ``path`` exists, the run is added to
    it (the domain's topology must have the same number of atoms). The topology
    is the PDB text of the first conformer; coords are float32 Angstrom.
    Returns ``path``.
    """
    import h5py

    path = Path(path)
    ensemble.require_conformers()
    domain = domain or ensemble.name
    if path.exists():
        with h5py.File(path, "a") as f:
            _write_run(f, ensemble, domain, str(temperature), str(replica), path)
        return path
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            _write_run(f, ensemble, domain, str(temperature), str(replica), path)
    return path


def _write_run(f, ensemble: Ensemble, domain: str, temperature: str, replica: str,
               path: Path) -> None:
    group = f.require_group(domain)
    if TOPOLOGY_KEY in group:
        n_atoms = group[TOPOLOGY_KEY].attrs.get("numAtoms")
        if n_atoms is not None and int(n_atoms) != ensemble.n_atoms:
            raise TopologyMismatchError(f"domain {domain!r} has {n_atoms} atoms, the ensemble "
                                        f"{ensemble.n_atoms}", path)
    else:
        pdb = to_gemmi(ensemble.select_frames(slice(0, 1))).make_pdb_string()
        group.create_dataset(TOPOLOGY_KEY, data=np.bytes_(pdb))
        group[TOPOLOGY_KEY].attrs["numAtoms"] = ensemble.n_atoms
        group.attrs["numProteinAtoms"] = ensemble.n_atoms
        group.attrs["numResidues"] = ensemble.n_residues
    run = group.require_group(temperature).require_group(replica)
    if COORDS_KEY in run:
        del run[COORDS_KEY]
    run.create_dataset(COORDS_KEY, data=ensemble.coords.astype(np.float32))
    run.attrs["numFrames"] = ensemble.n_conformers


def write_misato(path: str | os.PathLike, pdb_id: str, protein: Ensemble,
                 ligands: list[tuple[np.ndarray, np.ndarray, int]], one_molecule: bool = False,
                 atoms_number: bool = True) -> Path:
    """Append one system in the MISATO layout.

    protein: standard-residue protein heavy atoms (one molecule per chain, or
    all chains in one molecule with ``one_molecule``, as some MISATO systems
    have them), written in Amber atom order; ligands: molecules appended after
    it, each (coords (K, L, 3) Angstrom, atomic numbers (L,), residue code).
    ``atoms_element`` holds MISATO's element codes; ``atoms_number`` is left
    out when ``atoms_number`` is False. Atom types are written as -1 (not read
    by :func:`read_misato_system`).
    """
    import h5py

    topo = protein.topology
    starts = topo.residue_starts()
    ends = np.append(starts[1:], topo.n_atoms)
    order, codes, mol_starts = [], [], []
    for r, (s, e) in enumerate(zip(starts, ends)):
        if r == 0 or (topo.chain_ids[s] != topo.chain_ids[starts[r - 1]] and not one_molecule):
            mol_starts.append(len(order))
        name = MISATO_NAME.get(str(topo.res_names[s]), str(topo.res_names[s]))
        names = topo.atom_names[s:e].tolist()
        for atom in AMBER_HEAVY_ORDER[name] + ("OXT",):
            if atom in names:
                order.append(s + names.index(atom))
                codes.append(MISATO_RESIDUES.index(name))
    coords = [protein.coords[:, order]]
    numbers = [NUMBER_BY_ELEMENT[e] for e in topo.elements[order]]
    for lig_coords, lig_numbers, code in ligands:
        mol_starts.append(len(codes))
        coords.append(np.asarray(lig_coords, dtype=np.float32))
        numbers.extend(int(z) for z in lig_numbers)
        codes.extend([code] * len(lig_numbers))
    with h5py.File(path, "a") as f:
        g = f.create_group(pdb_id)
        g.create_dataset("trajectory_coordinates", data=np.concatenate(coords, axis=1), compression="gzip")
        if atoms_number:
            g.create_dataset("atoms_number", data=np.array(numbers, dtype=np.int64))
        g.create_dataset("atoms_element", data=np.array([MISATO_ELEMENT_CODE[z] for z in numbers], dtype=np.int64))
        g.create_dataset("atoms_residue", data=np.array(codes, dtype=np.int64))
        g.create_dataset("atoms_type", data=np.full(len(codes), -1, dtype=np.int64))
        g.create_dataset("molecules_begin_atom_index", data=np.array(mol_starts, dtype=np.int64))
    return Path(path)
