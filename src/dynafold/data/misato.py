"""MISATO curation: the rules of :mod:`dynafold.data.curation` on a MISATO system.

Interpretation of the curation rules on this layout: the ligand is the last
molecule; it is *multi-residue* when several small-molecule (MOL) molecules
trail the protein (e.g. the sugars of a glycan); it is a *peptide* when its
atoms carry amino-acid residue codes or its PDB id is in MISATO's peptide list
(``data/peptides.txt`` of the MISATO repository, passed as ``peptide_ids``).
"""

from __future__ import annotations

import numpy as np

from dynafold.data.curation import (
    MISATO_MAX_LIGAND_DISTANCE_A,
    ligand_is_multi_residue,
    ligand_is_peptide,
    ligand_leaves_protein,
)
from dynafold.io.misato import MISATO_RESIDUES, MisatoSystem


def misato_rejection(system: MisatoSystem, peptide_ids: frozenset[str] = frozenset(),
                     max_distance_A: float = MISATO_MAX_LIGAND_DISTANCE_A) -> str | None:
    """The reason a system is dropped by the MISATO rules, or None when it is kept."""
    ligand = system.ligand_molecules()
    if ligand_is_multi_residue(len(ligand)):
        return f"ligand spans {len(ligand)} residues"
    s, e = ligand[-1]
    names = [MISATO_RESIDUES[c] for c in np.unique(system.residue_codes[s:e])]
    if ligand_is_peptide(names, system.pdb_id, peptide_ids):
        return "ligand is a peptide"
    heavy = system.heavy()
    prot = np.nonzero(heavy[: system.protein_end()])[0]
    lig = s + np.nonzero(heavy[s:e])[0]
    if ligand_leaves_protein(system.coords[:, prot], system.coords[:, lig], max_distance_A):
        return f"ligand farther than {max_distance_A:g} A from the protein in some frame"
    return None
