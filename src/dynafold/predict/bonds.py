"""Covalent heavy-atom bonds of the standard amino acids with ideal lengths.

Lengths in Angstrom from Engh & Huber (1991), Acta Cryst. A47, 392-400. Each
residue's bonds are the backbone ones (``BACKBONE_BONDS``, with the residue's
own values in ``BACKBONE_OVERRIDES``) plus its side chain (``SIDE_CHAIN_BONDS``);
atom names are those of ``const.RESIDUE_HEAVY_ATOMS``, plus the terminal OXT.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from dynafold.const import C_OXT_BOND_A, RESIDUE_HEAVY_ATOMS, TERMINAL_OXYGEN, canonical_residue
from dynafold.ensemble import Topology

Bond = tuple[str, str, float]

BACKBONE_BONDS: tuple[Bond, ...] = (
    ("N", "CA", 1.458), ("CA", "C", 1.525), ("C", "O", 1.231), ("C", TERMINAL_OXYGEN, C_OXT_BOND_A),
    ("CA", "CB", 1.530),
)
BACKBONE_OVERRIDES: dict[str, tuple[Bond, ...]] = {
    "GLY": (("N", "CA", 1.451), ("CA", "C", 1.516)),
    "PRO": (("N", "CA", 1.466),),
    "ALA": (("CA", "CB", 1.521),),
    "ILE": (("CA", "CB", 1.540),),
    "THR": (("CA", "CB", 1.540),),
    "VAL": (("CA", "CB", 1.540),),
}
SIDE_CHAIN_BONDS: dict[str, tuple[Bond, ...]] = {
    "ALA": (),
    "ARG": (("CB", "CG", 1.520), ("CG", "CD", 1.520), ("CD", "NE", 1.460), ("NE", "CZ", 1.329),
            ("CZ", "NH1", 1.326), ("CZ", "NH2", 1.326)),
    "ASN": (("CB", "CG", 1.516), ("CG", "OD1", 1.231), ("CG", "ND2", 1.328)),
    "ASP": (("CB", "CG", 1.516), ("CG", "OD1", 1.249), ("CG", "OD2", 1.249)),
    "CYS": (("CB", "SG", 1.808),),
    "GLN": (("CB", "CG", 1.520), ("CG", "CD", 1.516), ("CD", "OE1", 1.231), ("CD", "NE2", 1.328)),
    "GLU": (("CB", "CG", 1.520), ("CG", "CD", 1.516), ("CD", "OE1", 1.249), ("CD", "OE2", 1.249)),
    "GLY": (),
    "HIS": (("CB", "CG", 1.497), ("CG", "ND1", 1.378), ("CG", "CD2", 1.354), ("ND1", "CE1", 1.321),
            ("CD2", "NE2", 1.374), ("CE1", "NE2", 1.321)),
    "ILE": (("CB", "CG1", 1.530), ("CB", "CG2", 1.521), ("CG1", "CD1", 1.513)),
    "LEU": (("CB", "CG", 1.530), ("CG", "CD1", 1.521), ("CG", "CD2", 1.521)),
    "LYS": (("CB", "CG", 1.520), ("CG", "CD", 1.520), ("CD", "CE", 1.520), ("CE", "NZ", 1.489)),
    "MET": (("CB", "CG", 1.520), ("CG", "SD", 1.803), ("SD", "CE", 1.791)),
    "PHE": (("CB", "CG", 1.502), ("CG", "CD1", 1.384), ("CG", "CD2", 1.384), ("CD1", "CE1", 1.382),
            ("CD2", "CE2", 1.382), ("CE1", "CZ", 1.382), ("CE2", "CZ", 1.382)),
    "PRO": (("CB", "CG", 1.492), ("CG", "CD", 1.503), ("CD", "N", 1.473)),
    "SER": (("CB", "OG", 1.417),),
    "THR": (("CB", "OG1", 1.433), ("CB", "CG2", 1.521)),
    "TRP": (("CB", "CG", 1.498), ("CG", "CD1", 1.365), ("CG", "CD2", 1.433), ("CD1", "NE1", 1.374),
            ("NE1", "CE2", 1.370), ("CD2", "CE2", 1.409), ("CD2", "CE3", 1.398), ("CE2", "CZ2", 1.394),
            ("CE3", "CZ3", 1.382), ("CZ2", "CH2", 1.368), ("CZ3", "CH2", 1.400)),
    "TYR": (("CB", "CG", 1.512), ("CG", "CD1", 1.389), ("CG", "CD2", 1.389), ("CD1", "CE1", 1.382),
            ("CD2", "CE2", 1.382), ("CE1", "CZ", 1.378), ("CE2", "CZ", 1.378), ("CZ", "OH", 1.376)),
    "VAL": (("CB", "CG1", 1.521), ("CB", "CG2", 1.521)),
}
PEPTIDE_C_N_A = 1.329
PEPTIDE_C_N_PRO_A = 1.341  # C(i)-N(i+1) when residue i+1 is proline
DISULFIDE_A = 2.04
MAX_DISULFIDE_A = 2.5  # SG-SG distance in a reference structure that counts as a disulfide
MAX_PEPTIDE_A = 2.0  # C-N distance in a reference structure above which the chain is broken


def follows_previous(topology: Topology) -> np.ndarray:
    """Boolean (R,): residue r follows residue r - 1 in its chain, so a peptide bond may join them.

    Same chain, next in atom order, and residue number +1 or either one with an
    insertion code, as in 52, 52A, 53 or antibody numbering 100, 100A, 100B, 101.
    """
    starts = topology.residue_starts()
    chain, number, ins = topology.chain_ids[starts], topology.res_ids[starts], topology.ins_codes[starts]
    out = np.zeros(len(starts), dtype=bool)
    out[1:] = (chain[1:] == chain[:-1]) & ((number[1:] - number[:-1] == 1) | (ins[1:] != "") | (ins[:-1] != ""))
    return out


@cache
def residue_bonds(res_name: str) -> tuple[Bond, ...]:
    """Intra-residue heavy-atom bonds of a standard residue (empty for others)."""
    name = canonical_residue(res_name)
    if name not in SIDE_CHAIN_BONDS:
        return ()
    lengths = {(a, b): d for a, b, d in BACKBONE_BONDS + BACKBONE_OVERRIDES.get(name, ())}
    names = set(RESIDUE_HEAVY_ATOMS[name]) | {TERMINAL_OXYGEN}
    backbone = tuple((a, b, d) for (a, b), d in lengths.items() if a in names and b in names)
    return backbone + SIDE_CHAIN_BONDS[name]


def bond_pairs(topology: Topology, reference: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covalent heavy-atom bonds of the protein residues of ``topology``.

    Intra-residue bonds of standard residues whose two atoms are present, and
    the peptide bond C(i)-N(i+1) of residues that follow each other in a chain
    (:func:`follows_previous`). With a ``reference`` (N, 3)
    Angstrom, peptide bonds longer than 2.0 A there are left out (a chain
    break) and cysteine pairs with SG-SG under 2.5 A are added as disulfides.

    Returns atom indices i, j (n_bonds,) and the ideal lengths (n_bonds,) Angstrom.
    """
    protein = topology.is_protein()
    starts = topology.residue_starts()
    ends = np.append(starts[1:], topology.n_atoms)
    linked = follows_previous(topology)
    i, j, ideal = [], [], []
    prev_c = -1
    for r, (s, e) in enumerate(zip(starts, ends)):
        if not protein[s]:
            prev_c = -1
            continue
        where = {str(n): s + k for k, n in enumerate(topology.atom_names[s:e])}
        for a, b, d in residue_bonds(str(topology.res_names[s])):
            if a in where and b in where:
                i.append(where[a])
                j.append(where[b])
                ideal.append(d)
        if prev_c >= 0 and "N" in where and linked[r]:
            i.append(prev_c)
            j.append(where["N"])
            pro = canonical_residue(str(topology.res_names[s])) == "PRO"
            ideal.append(PEPTIDE_C_N_PRO_A if pro else PEPTIDE_C_N_A)
        prev_c = where.get("C", -1)
    i, j, ideal = np.array(i, dtype=np.int64), np.array(j, dtype=np.int64), np.array(ideal)
    if reference is not None:
        ref = np.asarray(reference, dtype=np.float64)
        peptide = (topology.atom_names[i] == "C") & (topology.atom_names[j] == "N")
        keep = ~peptide | (np.linalg.norm(ref[i] - ref[j], axis=-1) <= MAX_PEPTIDE_A)
        sg = np.nonzero(protein & (topology.atom_names == "SG"))[0]
        d = np.linalg.norm(ref[sg, None] - ref[None, sg], axis=-1)
        a, b = np.nonzero(np.triu(d < MAX_DISULFIDE_A, k=1))
        i = np.concatenate([i[keep], sg[a]])
        j = np.concatenate([j[keep], sg[b]])
        ideal = np.concatenate([ideal[keep], np.full(len(a), DISULFIDE_A)])
    return i, j, ideal
