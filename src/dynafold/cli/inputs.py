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
