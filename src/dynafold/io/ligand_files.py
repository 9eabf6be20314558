"""User-supplied ligands: an SDF/MOL file (biotite), a MOL2 file, or a Chemical Component Dictionary code.

Each gives an Ensemble of one ligand residue (all atoms, hydrogens included;
:func:`dynafold.io.load` strips them) whose chemistry comes from the file:
bonds with their orders and aromaticity, formal charges (SDF/MOL; MOL2 holds
partial charges only, so its formal charges are zero). Several records of one
file are conformers of one molecule: they must hold the same atoms. Atoms are
named element + position (C1, N2, ...); the residue name is the record's
title when that is a code of 1-5 letters and digits, else ``LIG``.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from dynafold.ensemble import Ensemble, Ligand, Topology
from dynafold.errors import DynafoldInputError, LigandError

LIGAND_SUFFIXES = (".sdf", ".sd", ".mol", ".mol2")
DEFAULT_RESIDUE = "LIG"
LIGAND_CHAIN = "L"
_CODE = re.compile(r"^[A-Za-z0-9]{1,5}$")
# MOL2 bond types -> (bond order, aromatic); amide bonds are single, dummy/unknown/unconnected 0
_MOL2_BONDS = {"1": (1, False), "2": (2, False), "3": (3, False), "am": (1, False), "ar": (0, True)}


def is_ligand_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` names an SDF, MOL or MOL2 file."""
    return Path(path).name.lower().endswith(LIGAND_SUFFIXES)


def _residue_name(title: str) -> str:
    title = title.strip()
    return title.upper() if _CODE.match(title) else DEFAULT_RESIDUE


def ligand_ensemble(res_name: str, elements: np.ndarray, coords: np.ndarray, bonds: np.ndarray,
                    bond_orders: np.ndarray, aromatic: np.ndarray, formal_charges: np.ndarray,
                    source: str, name: str = "ligand", atom_names: np.ndarray | None = None) -> Ensemble:
    """An Ensemble of one ligand residue from its chemistry.

    elements (n,) upper case; coords (K, n, 3) Angstrom; bonds (M, 2) atom
    positions; bond_orders (M,) 0-3; aromatic (M,) bool; formal_charges (n,);
    atom_names (n,), element + position when None. Bonds are stored i < j and sorted.
    """
    n = len(elements)
    bonds = np.sort(np.asarray(bonds, dtype=np.int64).reshape(-1, 2), axis=1)
    order = np.lexsort((bonds[:, 1], bonds[:, 0]))
    counters: dict[str, int] = {}
    names = []
    for el in elements:
        counters[el] = counters.get(el, 0) + 1
        names.append(f"{el.capitalize()}{counters[el]}"[:4])
    if atom_names is not None:
        names = [str(a) for a in atom_names]
    topology = Topology(chain_ids=np.full(n, LIGAND_CHAIN), res_ids=np.ones(n, dtype=np.int64),
                        ins_codes=np.full(n, ""), res_names=np.full(n, res_name), atom_names=np.array(names),
                        elements=np.asarray(elements), hetero=np.ones(n, dtype=bool))
    ligand = Ligand(atom_index=np.arange(n), bonds=bonds[order],
                    bond_orders=np.asarray(bond_orders, dtype=np.int8)[order],
                    aromatic=np.asarray(aromatic, dtype=bool)[order],
                    formal_charges=np.asarray(formal_charges, dtype=np.int8), source=source)
    return Ensemble(topology=topology, coords=coords, name=name, ligands=(ligand,))


def _check(elements: np.ndarray, coords: np.ndarray, bonds: np.ndarray, what: str) -> None:
    n = len(elements)
    if n == 0:
        raise ValueError(f"{what} holds no atoms")
    if not np.isfinite(coords).all():
        raise ValueError(f"{what} has coordinates that are not finite numbers")
    if len(bonds) and (bonds.min() < 0 or bonds.max() >= n or (bonds[:, 0] == bonds[:, 1]).any()):
        raise ValueError(f"{what} has a bond to an atom that does not exist")
    if any(not e.isalpha() for e in elements):
        raise ValueError(f"{what} has an atom without an element")


def _read_sdf(path: Path) -> tuple[str, dict]:
    import biotite.structure.io.mol as mol

    from dynafold.io.ligands import BOND_TYPES

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if path.suffix.lower() == ".mol":
            records = [("", mol.MOLFile.read(str(path)))]
        else:
            records = list(mol.SDFile.read(str(path)).items())
        if not records:
            raise ValueError("no molecule record")
        arrays = [mol.get_structure(record) for _, record in records]
    first = arrays[0]
    elements = np.array([str(e).upper() for e in first.element])
    for other in arrays[1:]:
        if [str(e).upper() for e in other.element] != elements.tolist():
            raise ValueError("its records hold different molecules (a file of several ligands)")
    table = first.bonds.as_array() if first.bonds is not None else np.zeros((0, 3), dtype=np.int64)
    kinds = [BOND_TYPES.get(int(t), (0, False)) for t in table[:, 2]]
    return records[0][0], {
        "elements": elements, "coords": np.stack([a.coord for a in arrays]).astype(np.float64),
        "bonds": table[:, :2].astype(np.int64), "bond_orders": np.array([k[0] for k in kinds], dtype=np.int8),
        "aromatic": np.array([k[1] for k in kinds], dtype=bool),
        "formal_charges": np.asarray(first.charge, dtype=np.int64),
    }


def _mol2_sections(text: str) -> list[dict[str, list[str]]]:
    """The sections (MOLECULE, ATOM, BOND, ...) of each molecule of a MOL2 text, as lists of lines."""
    molecules: list[dict[str, list[str]]] = []
    section = None
    for line in text.splitlines():
        if line.startswith("@<TRIPOS>"):
            section = line[9:].strip().upper()
            if section == "MOLECULE":
                molecules.append({})
            if not molecules:
                raise ValueError("a section before the first @<TRIPOS>MOLECULE")
            molecules[-1].setdefault(section, [])
        elif section is not None and line.strip() and not line.lstrip().startswith("#"):
            molecules[-1][section].append(line)
    if not molecules:
        raise ValueError("no @<TRIPOS>MOLECULE record")
    return molecules


def _read_mol2(path: Path) -> tuple[str, dict]:
    molecules = _mol2_sections(path.read_text(errors="replace"))
    conformers, elements = [], None
    for mol in molecules:
        atoms = [line.split() for line in mol.get("ATOM", [])]
        if any(len(a) < 6 for a in atoms):
            raise ValueError("an ATOM line has fewer than 6 fields")
        these = np.array([a[5].split(".")[0].upper() for a in atoms])
        if elements is None:
            elements = these
        elif these.tolist() != elements.tolist():
            raise ValueError("its molecules differ (a file of several ligands)")
        conformers.append([[float(x) for x in a[2:5]] for a in atoms])
    lines = [line.split() for line in molecules[0].get("BOND", [])]
    if any(len(b) < 4 for b in lines):
        raise ValueError("a BOND line has fewer than 4 fields")
    kinds = [_MOL2_BONDS.get(b[3].lower(), (0, False)) for b in lines]
    title = molecules[0]["MOLECULE"][0] if molecules[0].get("MOLECULE") else ""
    return title, {
        "elements": elements, "coords": np.array(conformers, dtype=np.float64).reshape(len(conformers), -1, 3),
        "bonds": np.array([[int(b[1]) - 1, int(b[2]) - 1] for b in lines], dtype=np.int64).reshape(-1, 2),
        "bond_orders": np.array([k[0] for k in kinds], dtype=np.int8),
        "aromatic": np.array([k[1] for k in kinds], dtype=bool),
        "formal_charges": np.zeros(len(elements), dtype=np.int64),
    }


def read_ligand_file(path: str | os.PathLike) -> Ensemble:
    """Read an SDF/MOL or MOL2 ligand into an Ensemble of one ligand residue (all atoms).

    Raises LigandError naming the file, in one line, for anything unreadable.
    """
    path = Path(path)
    if not path.exists():
        raise DynafoldInputError("file not found", path)
    kind = "MOL2" if path.name.lower().endswith(".mol2") else "SDF/MOL"
    if path.stat().st_size == 0:
        raise LigandError(f"cannot read {kind} ligand: empty file", path)
    try:
        title, chem = _read_mol2(path) if kind == "MOL2" else _read_sdf(path)
        _check(chem["elements"], chem["coords"], chem["bonds"], "the molecule")
        if np.abs(chem["formal_charges"]).max(initial=0) > 8:
            raise ValueError("a formal charge beyond +-8")
    except (ValueError, IndexError, KeyError, TypeError, OverflowError, UnicodeDecodeError) as err:
        raise LigandError(f"cannot read {kind} ligand: {' '.join(str(err).split()) or type(err).__name__}",
                          path) from err
    except Exception as err:  # noqa: BLE001 - biotite raises its own InvalidFileError and others
        raise LigandError(f"cannot read {kind} ligand ({type(err).__name__}: "
                          f"{' '.join(str(err).split()) or 'no detail'})", path) from err
    return ligand_ensemble(_residue_name(title), chem["elements"], chem["coords"], chem["bonds"],
                           chem["bond_orders"], chem["aromatic"], chem["formal_charges"], source="file",
                           name=path.name.split(".")[0])


def ligand_from_code(code: str) -> Ensemble:
    """The ligand ``code`` of the Chemical Component Dictionary with its ideal coordinates (one conformer).

    Raises LigandError for a code that the dictionary does not hold, or whose
    entry has no coordinates.
    """
    from dynafold.io.ligands import BOND_TYPES, ccd_component

    component = ccd_component(code.upper())
    if component is None:
        raise LigandError(f"ligand code {code!r} is not in the Chemical Component Dictionary, and no coordinates "
                          "were given (pass an SDF or MOL2 file)")
    if not np.isfinite(component.coord).all():
        raise LigandError(f"ligand {code.upper()} has no coordinates in the Chemical Component Dictionary "
                          "(pass an SDF or MOL2 file)")
    table = component.bonds.as_array()
    kinds = [BOND_TYPES.get(int(t), (0, False)) for t in table[:, 2]]
    return ligand_ensemble(code.upper(), np.array([str(e).upper() for e in component.element]),
                           component.coord[None].astype(np.float64), table[:, :2],
                           np.array([k[0] for k in kinds]), np.array([k[1] for k in kinds]),
                           component.charge, source="ccd", name=code.upper(), atom_names=component.atom_name)
