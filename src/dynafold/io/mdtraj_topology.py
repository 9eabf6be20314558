"""Convert an mdtraj topology (for example read from a GRO file) to our Topology."""

from __future__ import annotations

import string

import numpy as np

from dynafold.const import AMINO_ACIDS_3TO1, canonical_residue
from dynafold.ensemble import Topology


def protein_element(atom_name: str) -> str:
    """Element of a protein atom from its name: the first letter ('CA' -> 'C', '1HB' -> 'H').

    Selenium of selenomethionine ('SE') is the one two-letter case.
    """
    name = atom_name.strip().upper()
    if name == "SE":
        return "SE"
    letters = name.lstrip(string.digits)
    return letters[:1] or "X"


def _chain_label(chain, index: int) -> str:
    chain_id = getattr(chain, "chain_id", None)
    if chain_id:
        return str(chain_id)
    return string.ascii_uppercase[index % 26]


def topology_from_mdtraj(md_topology) -> Topology:
    """Build a Topology from an ``mdtraj.Topology``.

    Chain ids come from ``chain.chain_id`` when the file had them, else letters
    A, B, ... by chain order; residue numbers are ``resSeq``. Elements of protein
    atoms are taken from the atom name, because mdtraj guesses calcium for 'CA'
    in files without an element column. ``hetero`` marks residues that are
    neither amino acids nor nucleotides (waters, ions, ligands).
    """
    chain_ids, res_ids, res_names, atom_names, elements, hetero = [], [], [], [], [], []
    labels = [_chain_label(chain, i) for i, chain in enumerate(md_topology.chains)]
    for atom in md_topology.atoms:  # in atom-index order, the order of the coordinates
        res = atom.residue
        is_amino = res.is_protein or canonical_residue(res.name) in AMINO_ACIDS_3TO1
        chain_ids.append(labels[res.chain.index])
        res_ids.append(res.resSeq)
        res_names.append(res.name)
        atom_names.append(atom.name)
        if is_amino:
            elements.append(protein_element(atom.name))
        else:
            symbol = atom.element.symbol if atom.element is not None else ""
            elements.append(symbol.upper() or "X")
        hetero.append(not (is_amino or res.is_nucleic))
    n = len(atom_names)
    return Topology(
        chain_ids=np.array(chain_ids, dtype=str),
        res_ids=np.array(res_ids, dtype=np.int64),
        ins_codes=np.full(n, "", dtype=str),
        res_names=np.array(res_names, dtype=str),
        atom_names=np.array(atom_names, dtype=str),
        elements=np.array(elements, dtype=str),
        hetero=np.array(hetero, dtype=bool),
    )
