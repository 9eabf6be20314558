"""Ligand chemistry (bonds, bond orders, formal charges) from the Chemical Component Dictionary or coordinates.

The dictionary is the copy that ships with biotite (``biotite.structure.info``):
nothing is downloaded. A residue takes the dictionary's chemistry when its code
is there and every heavy atom matches an atom of the entry by name and element;
hydrogens named otherwise (force fields rename them) are bonded by distance.
Other residues (unknown codes, renamed atoms) are bonded by distance
(biotite's ``connect_via_distances``: element-pair bond lengths of Allen et
al. 1987, widened for force-field hydrogens), with unknown bond orders and zero charges.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import replace

import numpy as np

from dynafold.ensemble import Ensemble, Ligand, Topology
from dynafold.errors import LigandError

# biotite BondType value -> (bond order, aromatic); absent types (ANY, COORDINATION) are (0, False)
BOND_TYPES: dict[int, tuple[int, bool]] = {1: (1, False), 2: (2, False), 3: (3, False), 4: (4, False),
                                           5: (1, True), 6: (2, True), 7: (3, True), 9: (0, True)}
_HYDROGENS = ("H", "D")
# bond lengths to hydrogen (Angstrom) that distance bonding accepts beyond biotite's crystal-derived ranges:
# force fields hold C-H at up to 1.12 A
_HYDROGEN_BOND_RANGES_A = {("C", "H"): (0.95, 1.16), ("N", "H"): (0.95, 1.10), ("O", "H"): (0.90, 1.05)}


@functools.lru_cache(maxsize=None)
def ccd_component(code: str):
    """The Chemical Component Dictionary entry of ``code`` as a biotite AtomArray, or None when unknown."""
    from biotite.structure import info

    with warnings.catch_warnings():  # entries without model coordinates warn; only the chemistry is used
        warnings.simplefilter("ignore")
        try:
            return info.residue(code)
        except KeyError:
            return None


def ligand_residues(topology: Topology) -> list[np.ndarray]:
    """Atom indices of each ligand residue (see :meth:`Topology.is_ligand`), in topology order."""
    ligand = topology.is_ligand()
    if not ligand.any():
        return []
    residue = topology.residue_index()
    return [np.flatnonzero(ligand & (residue == r)) for r in np.unique(residue[ligand])]


def _distance_bonds(elements: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """(M, 2) atom pairs (i < j, sorted) whose distance is a bond length for their elements."""
    import biotite.structure as struc

    atoms = struc.AtomArray(len(elements))
    atoms.coord = coords
    atoms.element = elements
    atoms.res_name[:] = "LIG"
    bonds = struc.connect_via_distances(atoms, distance_range=_HYDROGEN_BOND_RANGES_A,
                                        inter_residue=False).as_array()[:, :2]
    bonds = np.sort(bonds.astype(np.int64), axis=1).reshape(-1, 2)
    return bonds[np.lexsort((bonds[:, 1], bonds[:, 0]))]


def distance_chemistry(elements: np.ndarray, coords: np.ndarray) -> Ligand:
    """Bonds of one residue found from its coordinates (n, 3) Angstrom: unknown orders, zero charges.

    ``atom_index`` is 0..n-1; ``source`` is "coordinates".
    """
    n = len(elements)
    bonds = _distance_bonds(np.asarray(elements), np.asarray(coords, dtype=np.float64))
    return Ligand(atom_index=np.arange(n), bonds=bonds, bond_orders=np.zeros(len(bonds), dtype=np.int8),
                  aromatic=np.zeros(len(bonds), dtype=bool), formal_charges=np.zeros(n, dtype=np.int8),
                  source="coordinates")


def is_amino_acid_code(code: str) -> bool:
    """Whether the Chemical Component Dictionary links ``code`` as an amino acid (a peptide linking type)."""
    if ccd_component(code) is None:
        return False
    from biotite.structure import info

    return "PEPTIDE" in (info.link_type(code) or "").upper()


def _dictionary_match(res_name: str, atom_names: np.ndarray, elements: np.ndarray):
    """The dictionary entry of ``res_name`` (or None) and the entry index of each atom (-1 when absent)."""
    component = ccd_component(res_name)
    matched = np.full(len(atom_names), -1, dtype=np.int64)
    if component is not None:
        lookup = {(str(a), str(e)): i for i, (a, e) in enumerate(zip(component.atom_name, component.element))}
        matched = np.array([lookup.get((str(a), str(e)), -1) for a, e in zip(atom_names, elements)],
                           dtype=np.int64).reshape(-1)
    return component, matched


def in_dictionary(res_name: str, atom_names: np.ndarray, elements: np.ndarray) -> bool:
    """Whether the dictionary holds ``res_name`` with every heavy atom (by name and element)."""
    component, matched = _dictionary_match(res_name, atom_names, elements)
    heavy = ~np.isin(elements, _HYDROGENS)
    return component is not None and bool((matched[heavy] >= 0).all())


def ligand_chemistry(res_name: str, atom_names: np.ndarray, elements: np.ndarray,
                     coords: np.ndarray | None) -> Ligand:
    """The chemistry of one ligand residue, with ``atom_index`` 0..n-1 (positions in the arguments).

    Parameters
    ----------
    res_name : the residue's code (a CCD code when known).
    atom_names, elements : (n,) str, elements upper case.
    coords : (n, 3) Angstrom, or None when there are none.

    Raises LigandError when the residue is not in the dictionary (or its atom
    names differ from the entry's) and there are no finite coordinates to find
    its bonds from.
    """
    n = len(atom_names)
    component, matched = _dictionary_match(res_name, atom_names, elements)
    from_ccd = in_dictionary(res_name, atom_names, elements)
    has_coords = coords is not None and bool(np.isfinite(coords).all())
    if not from_ccd:
        if not has_coords:
            reason = ("is not in the Chemical Component Dictionary" if component is None
                      else "has atom names that differ from its Chemical Component Dictionary entry")
            raise LigandError(f"ligand {res_name} {reason}, and there are no coordinates to find its bonds from")
        return distance_chemistry(elements, coords)
    position = {int(c): p for p, c in enumerate(matched) if c >= 0}
    entry = component.bonds.as_array()
    keep = np.array([int(a) in position and int(b) in position for a, b, _ in entry], dtype=bool)
    pairs = [sorted((position[int(a)], position[int(b)])) for a, b, _ in entry[keep]]
    kinds = [BOND_TYPES.get(int(t), (0, False)) for t in entry[keep, 2]]
    unmatched = matched < 0
    if unmatched.any():  # renamed hydrogens: bonded by distance
        if not has_coords:
            raise LigandError(f"ligand {res_name}: atoms {', '.join(map(str, atom_names[unmatched]))} are not in "
                              "its Chemical Component Dictionary entry, and there are no coordinates to bond them")
        for a, b in _distance_bonds(elements, coords):
            if unmatched[a] or unmatched[b]:
                pairs.append([int(a), int(b)])
                kinds.append((1, False))
    order = np.argsort([a * n + b for a, b in pairs], kind="stable")
    return Ligand(atom_index=np.arange(n), bonds=np.array(pairs, dtype=np.int64).reshape(-1, 2)[order],
                  bond_orders=np.array([k[0] for k in kinds], dtype=np.int8)[order],
                  aromatic=np.array([k[1] for k in kinds], dtype=bool)[order],
                  formal_charges=np.where(unmatched, 0, component.charge[np.maximum(matched, 0)]).astype(np.int8),
                  source="ccd")


def attach_ligands(ensemble: Ensemble, source: object = None) -> Ensemble:
    """The ensemble with the chemistry of each ligand residue in ``ligands``, from its first conformer.

    Residues whose chemistry the file gave (already in ``ligands``) keep it.
    Protein-only ensembles are returned as they are. ``source`` names the file in errors.
    """
    covered = {int(i) for lig in ensemble.ligands for i in lig.atom_index}
    residues = [index for index in ligand_residues(ensemble.topology) if int(index[0]) not in covered]
    if not residues:
        return ensemble
    topo = ensemble.topology
    ligands = list(ensemble.ligands)
    for index in residues:
        coords = ensemble.coords[0, index].astype(np.float64) if ensemble.n_conformers else None
        try:
            chem = ligand_chemistry(str(topo.res_names[index[0]]), topo.atom_names[index], topo.elements[index],
                                    coords)
        except LigandError as err:
            raise LigandError(str(err), source) from err
        ligands.append(replace(chem, atom_index=index))
    ligands.sort(key=lambda lig: int(lig.atom_index[0]))
    return replace(ensemble, ligands=tuple(ligands), notes=list(ensemble.notes))
