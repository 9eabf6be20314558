"""Ligand bonds in structure files: PDB ``CONECT`` records and the mmCIF ``_chem_comp_bond`` category.

Written for every ligand of an Ensemble; read back for ligand residues that
the Chemical Component Dictionary does not describe (its chemistry wins where
it applies, see :mod:`dynafold.io.ligands`). A PDB file repeats a CONECT pair
once per bond order (unknown orders are written once) and cannot mark aromatic
bonds; mmCIF keeps orders (``SING``, ``DOUB``, ``TRIP``, ``AROM`` for an aromatic
bond of unknown order) and the aromatic flag. Formal charges travel in the
atom records (PDB columns 79-80, mmCIF ``pdbx_formal_charge``).
"""

from __future__ import annotations

from dataclasses import replace

import gemmi
import numpy as np

from dynafold.ensemble import Ensemble, Ligand

_CIF_ORDERS = {1: "SING", 2: "DOUB", 3: "TRIP", 4: "QUAD"}
_CIF_ORDER_VALUES = {v: k for k, v in _CIF_ORDERS.items()}
_CHEM_COMP_BOND = ("comp_id", "atom_id_1", "atom_id_2", "value_order", "pdbx_aromatic_flag", "pdbx_ordinal")


def formal_charges(ensemble: Ensemble) -> np.ndarray:
    """(N,) int, the ligands' formal charges on their atoms, zero elsewhere."""
    charges = np.zeros(ensemble.n_atoms, dtype=np.int64)
    for lig in ensemble.ligands:
        charges[lig.atom_index] = lig.formal_charges
    return charges


def add_conect(st: gemmi.Structure, ensemble: Ensemble) -> None:
    """Add a CONECT entry per ligand bond (repeated per bond order) to ``st`` built by ``to_gemmi``."""
    if not ensemble.ligands:
        return
    st.assign_serial_numbers()
    serials = [atom.serial for chain in st[0] for res in chain for atom in res]
    for lig in ensemble.ligands:
        for (a, b), order in zip(lig.atom_index[lig.bonds].reshape(-1, 2), lig.bond_orders):
            st.add_conect(serials[a], serials[b], max(1, int(order)))


def add_chem_comp_bond(block: gemmi.cif.Block, ensemble: Ensemble) -> None:
    """Add a ``_chem_comp_bond`` loop with the bonds of the first ligand of each residue name."""
    topo = ensemble.topology
    rows, done = [], set()
    for lig in ensemble.ligands:
        name = lig.residue_name(topo)
        if name in done or not len(lig.bonds):
            continue
        done.add(name)
        atoms = topo.atom_names[lig.atom_index]
        for (a, b), order, aromatic in zip(lig.bonds, lig.bond_orders, lig.aromatic):
            value = _CIF_ORDERS.get(int(order), "AROM" if aromatic else "?")
            rows.append([gemmi.cif.quote(name), gemmi.cif.quote(str(atoms[a])), gemmi.cif.quote(str(atoms[b])),
                         value, "Y" if aromatic else "N", str(len(rows) + 1)])
    if rows:
        loop = block.init_loop("_chem_comp_bond.", list(_CHEM_COMP_BOND))
        for row in rows:
            loop.add_row(row)


def conect_pairs(st: gemmi.Structure) -> dict[tuple, list[tuple[tuple, int]]]:
    """CONECT records of a PDB structure as {atom key: [(bonded atom key, order)]}, keys of model 1.

    Keys are (chain, residue number, insertion code, residue name, atom name).
    """
    if not st.conect_map or len(st) == 0:
        return {}
    key_of = {atom.serial: (chain.name, res.seqid.num, res.seqid.icode.strip(), res.name, atom.name)
              for chain in st[0] for res in chain for atom in res}
    out: dict[tuple, list[tuple[tuple, int]]] = {}
    for a, partners in st.conect_map.items():
        if a not in key_of:
            continue
        for b in set(partners):
            if b in key_of and b != a:
                out.setdefault(key_of[a], []).append((key_of[b], min(3, partners.count(b))))
    return out


def chem_comp_bonds(block: gemmi.cif.Block) -> dict[str, list[tuple[str, str, int, bool]]]:
    """The ``_chem_comp_bond`` rows of an mmCIF block: {residue name: [(atom 1, atom 2, order, aromatic)]}."""
    table = block.find("_chem_comp_bond.", ["comp_id", "atom_id_1", "atom_id_2", "?value_order",
                                            "?pdbx_aromatic_flag"])
    out: dict[str, list[tuple[str, str, int, bool]]] = {}
    for row in table:
        value = gemmi.cif.as_string(row[3]).upper() if row.has(3) else "?"
        aromatic = (row.has(4) and gemmi.cif.as_string(row[4]).upper() == "Y") or value == "AROM"
        out.setdefault(gemmi.cif.as_string(row[0]), []).append(
            (gemmi.cif.as_string(row[1]), gemmi.cif.as_string(row[2]), _CIF_ORDER_VALUES.get(value, 0), aromatic))
    return out


def attach_file_bonds(ensemble: Ensemble, charges: np.ndarray,
                      conect: dict[tuple, list[tuple[tuple, int]]] | None = None,
                      chem_comp: dict[str, list[tuple[str, str, int, bool]]] | None = None) -> Ensemble:
    """The ensemble with ``ligands`` for its ligand residues that the file gives bonds for.

    ``charges`` (N,) are the atoms' formal charges from the file. Residues that
    match their Chemical Component Dictionary entry are left to it, and so are
    residues the file gives no bond for.
    """
    from dynafold.io.ligands import in_dictionary, ligand_residues

    topo = ensemble.topology
    conect = conect or {}
    chem_comp = chem_comp or {}
    ligands = list(ensemble.ligands)
    for index in ligand_residues(topo):
        name = str(topo.res_names[index[0]])
        if in_dictionary(name, topo.atom_names[index], topo.elements[index]):
            continue
        position = {str(a): p for p, a in enumerate(topo.atom_names[index])}
        bonds: dict[tuple[int, int], tuple[int, bool]] = {}
        if conect:
            local = {(str(topo.chain_ids[i]), int(topo.res_ids[i]), str(topo.ins_codes[i]), name,
                      str(topo.atom_names[i])): p for p, i in enumerate(index)}
            for key, p in local.items():
                for other, order in conect.get(key, []):
                    if other in local and local[other] != p:
                        bonds[tuple(sorted((p, local[other])))] = (order, False)
        for a, b, order, aromatic in chem_comp.get(name, []):
            if a in position and b in position and a != b:
                bonds[tuple(sorted((position[a], position[b])))] = (order, aromatic)
        if not bonds:
            continue
        pairs = sorted(bonds)
        ligands.append(Ligand(atom_index=index, bonds=np.array(pairs, dtype=np.int64).reshape(-1, 2),
                              bond_orders=np.array([bonds[p][0] for p in pairs], dtype=np.int8),
                              aromatic=np.array([bonds[p][1] for p in pairs], dtype=bool),
                              formal_charges=charges[index].astype(np.int8), source="file"))
    if len(ligands) == len(ensemble.ligands):
        return ensemble
    ligands.sort(key=lambda lig: int(lig.atom_index[0]))
    return replace(ensemble, ligands=tuple(ligands), notes=list(ensemble.notes))
