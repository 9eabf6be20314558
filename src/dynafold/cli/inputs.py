"""Load the user's input files for a command, with errors that name the option to fix."""

from __future__ import annotations

from pathlib import Path

from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldInputError, NoProteinError


def require_topology(path: str | Path, topology: str | Path | None, option: str) -> None:
    """Raise when ``path`` is a trajectory given without its topology ``option``."""
    from dynafold.io import is_trajectory

    if topology is None and is_trajectory(path):
        raise DynafoldInputError(f"a trajectory needs a topology file: add {option} TOPOLOGY.pdb "
                                 "(PDB, mmCIF or GRO)", path)


def load_protein(path: str | Path, topology: str | Path | None, option: str, **load_options) -> Ensemble:
    """Load ``path`` (with ``topology`` for a trajectory, given by ``option``) and check it holds protein.

    Raises NoProteinError naming the file and the residues that are left.
    """
    from dynafold.io import load

    require_topology(path, topology, option)
    ens = load(path, topology, **load_options)
    if not ens.topology.is_protein().any():
        left = ", ".join(sorted(set(ens.topology.res_names.tolist()))[:8]) or "none"
        raise NoProteinError("no protein atoms (residues left after stripping hydrogens, "
                             f"waters and ions: {left})", path)
    return ens


def add_ligand_files(structure: Ensemble, paths: tuple[str, ...]) -> Ensemble:
    """The first conformer of ``structure`` with the ligand of each SDF/MOL/MOL2 file in ``paths`` added.

    A file's coordinates are its ligand's pose in the frame of ``structure``
    (e.g. docked into its pocket); a ligand farther than
    ``MISATO_MAX_LIGAND_DISTANCE_A`` from every protein atom is refused, as the
    training data's curation refuses it.
    """
    from dynafold.data.curation import MISATO_MAX_LIGAND_DISTANCE_A, min_distance_per_frame
    from dynafold.ensemble import join_atoms
    from dynafold.io import load

    out = structure.select_frames(slice(0, 1))
    protein = out.coords[:, out.topology.protein_heavy()]
    for path in paths:
        ligand = load(path).select_frames(slice(0, 1))
        if not ligand.ligands:
            raise DynafoldInputError("holds no ligand", path)
        gap = float(min_distance_per_frame(protein, ligand.coords)[0])
        if gap > MISATO_MAX_LIGAND_DISTANCE_A:
            raise DynafoldInputError(f"the ligand is {gap:.1f} A from the nearest protein atom of {structure.name}; "
                                     "give its pose in the input's frame (e.g. docked into the pocket)", path)
        out = join_atoms(out, ligand)
    return out
