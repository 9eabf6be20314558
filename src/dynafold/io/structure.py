"""PDB and mmCIF structures (single and multi-model) read and written with gemmi."""

from __future__ import annotations

import os
from pathlib import Path

import gemmi
import numpy as np

from dynafold.const import AMINO_ACIDS_3TO1, canonical_residue
from dynafold.ensemble import Ensemble, Topology
from dynafold.errors import EmptyEnsembleError, TruncatedFileError
from dynafold.io.atomic import atomic_path
from dynafold.io.ligand_bonds import add_chem_comp_bond, add_conect, formal_charges
from dynafold.io.pdb_text import PdbTextCheck, check_pdb_text, read_pdb_bytes

AtomKey = tuple[str, int, str, str, str]  # chain, res_id, icode, res_name, atom_name
# A model holding fewer atoms than this fraction of the largest model is dropped, not
# allowed to shrink the atoms common to all models.
MIN_MODEL_ATOM_FRACTION = 0.9
_PDB_SUFFIXES = (".pdb", ".ent", ".pdb.gz", ".ent.gz")


def _read_gemmi(path: Path) -> tuple[gemmi.Structure, PdbTextCheck]:
    """The tidied structure, and what the line checks found (PDB files only)."""
    if path.name.lower().endswith(_PDB_SUFFIXES):
        text = read_pdb_bytes(path)
        check = check_pdb_text(text, path)
        return _parse_pdb_string(check.text, path), check
    try:
        st = gemmi.read_structure(str(path))
    except (RuntimeError, ValueError, IndexError) as err:
        raise TruncatedFileError(f"cannot parse structure: {_one_line(err)}", path) from err
    return _tidy(st), PdbTextCheck("")


def _parse_pdb_string(text: str, source: object) -> gemmi.Structure:
    try:
        st = gemmi.read_pdb_string(text)
    except (RuntimeError, ValueError, IndexError) as err:
        raise TruncatedFileError(f"cannot parse PDB text: {_one_line(err)}", source) from err
    return _tidy(st)


def _one_line(err: Exception) -> str:
    """gemmi messages quote the offending line after a newline; keep them on one line."""
    return " ".join(str(err).split())


def _tidy(st: gemmi.Structure) -> gemmi.Structure:
    st.remove_alternative_conformations()
    st.remove_empty_chains()
    return st


def _model_atoms(model: gemmi.Model) -> dict[AtomKey, tuple[gemmi.Atom, bool]]:
    atoms: dict[AtomKey, tuple[gemmi.Atom, bool]] = {}
    for chain in model:
        for res in chain:
            is_het = res.het_flag == "H" and canonical_residue(res.name) not in AMINO_ACIDS_3TO1
            for atom in res:
                key = (chain.name, res.seqid.num, res.seqid.icode.strip(), res.name, atom.name)
                atoms.setdefault(key, (atom, is_het))
    return atoms


def read_structure(path: str | os.PathLike, method: str | None = None) -> Ensemble:
    """Read a PDB or mmCIF file; every model becomes one conformer.

    See :func:`structure_to_ensemble` for how models are joined.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise EmptyEnsembleError("no atoms (empty file)", path)
    st, check = _read_gemmi(path)
    return _with_file_bonds(structure_to_ensemble(st, path, method, check), st, path)


def _with_file_bonds(ensemble: Ensemble, st: gemmi.Structure, path: Path) -> Ensemble:
    """The ensemble with the ligand bonds the file states (PDB CONECT, mmCIF _chem_comp_bond), when any."""
    from dynafold.io.ligand_bonds import attach_file_bonds, chem_comp_bonds, conect_pairs

    if not ensemble.topology.is_ligand().any():
        return ensemble
    conect, chem_comp = {}, {}
    if path.name.lower().endswith(_PDB_SUFFIXES):
        conect = conect_pairs(st)
    else:
        try:
            chem_comp = chem_comp_bonds(gemmi.cif.read(str(path)).sole_block())
        except (RuntimeError, ValueError, IndexError) as err:
            raise TruncatedFileError(f"cannot parse mmCIF bonds: {_one_line(err)}", path) from err
    if not conect and not chem_comp:
        return ensemble
    charge = {key: atom.charge for key, (atom, _) in _model_atoms(st[0]).items()}
    topo = ensemble.topology
    charges = np.array([charge.get(k, 0) for k in zip(topo.chain_ids.tolist(), topo.res_ids.tolist(),
                                                       topo.ins_codes.tolist(), topo.res_names.tolist(),
                                                       topo.atom_names.tolist())], dtype=np.int64)
    return attach_file_bonds(ensemble, charges, conect, chem_comp)


def read_pdb_text(text: str, name: str, method: str | None = None) -> Ensemble:
    """Read PDB-format text (for example a topology stored inside an HDF5 file).

    ``name`` labels the ensemble and the errors.
    """
    check = check_pdb_text(text, name)
    return structure_to_ensemble(_parse_pdb_string(check.text, name), Path(name), method, check)


def structure_to_ensemble(st: gemmi.Structure, path: Path, method: str | None = None,
                          check: PdbTextCheck | None = None) -> Ensemble:
    """Turn a gemmi Structure into an Ensemble; every model becomes one conformer.

    ``check`` (from :func:`check_pdb_text`) marks a cut last model, which is
    dropped, and brings notes. A model holding
    fewer than ``MIN_MODEL_ATOM_FRACTION`` of the largest model's atoms is
    dropped too. The remaining models, when they hold different atoms (some NMR
    entries), are reduced to the atoms common to all of them. Each drop is
    recorded in ``Ensemble.notes``.
    Alternate locations keep the first conformer. Hydrogens, waters and ions are
    kept here; callers strip them (see :func:`dynafold.io.load`).
    The method defaults to the file's experimental method (X-ray when unknown
    and there is one model, NMR when there are several).
    """
    if len(st) == 0:
        raise EmptyEnsembleError("no models in file", path)
    check = check or PdbTextCheck("")
    uniform = None if check.last_model_cut else _uniform_models(st)
    if uniform is not None:
        first, coords, bfac = uniform
        return Ensemble(topology=_topology(first, list(first)), coords=coords,
                        method=method or _file_method(st, len(coords)), bfactors=bfac,
                        name=path.name.split(".")[0], notes=list(check.notes))
    per_model = [_model_atoms(model) for model in st]
    notes = list(check.notes)
    if check.last_model_cut and len(per_model) > 1:
        notes.append(f"model {len(per_model)} is cut (the file ends inside it); dropped")
        per_model.pop()
    largest = max(len(a) for a in per_model)
    small = [m for m, a in enumerate(per_model) if len(a) < MIN_MODEL_ATOM_FRACTION * largest]
    for m in small:
        notes.append(f"model {m + 1} holds {len(per_model[m])} of the {largest} atoms of the "
                     "largest model; dropped")
    per_model = [a for m, a in enumerate(per_model) if m not in small]
    keys = list(per_model[0])
    if len(per_model) > 1:
        common = set(keys)
        for atoms in per_model[1:]:
            common &= atoms.keys()
        if len(common) < max(len(a) for a in per_model):
            n_drop = sum(len(a) - len(common) for a in per_model)
            notes.append(f"kept the {len(common)} atoms common to all {len(per_model)} models; "
                         f"dropped {n_drop} atom records not present in every model")
        keys = [k for k in keys if k in common]
    if not keys:
        raise EmptyEnsembleError("no atoms in file", path)
    topology = _topology(per_model[0], keys)
    coords = np.empty((len(per_model), len(keys), 3), dtype=np.float32)
    bfac = np.empty((len(per_model), len(keys)), dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):  # out-of-range values become inf, checked on load
        for m, atoms in enumerate(per_model):
            for i, k in enumerate(keys):
                atom = atoms[k][0]
                coords[m, i] = (atom.pos.x, atom.pos.y, atom.pos.z)
                bfac[m, i] = atom.b_iso
    return Ensemble(
        topology=topology,
        coords=coords,
        method=method or _file_method(st, len(per_model)),
        bfactors=bfac,
        name=path.name.split(".")[0],
        notes=notes,
    )


def _topology(first: dict[AtomKey, tuple[gemmi.Atom, bool]], keys: list[AtomKey]) -> Topology:
    """The topology of atoms ``keys``, elements and hetero flags from the model ``first``."""
    return Topology(
        chain_ids=np.array([k[0] for k in keys]),
        res_ids=np.array([k[1] for k in keys], dtype=np.int64),
        ins_codes=np.array([k[2] for k in keys]),
        res_names=np.array([k[3] for k in keys]),
        atom_names=np.array([k[4] for k in keys]),
        elements=np.array([first[k][0].element.name.upper() for k in keys]),
        hetero=np.array([first[k][1] for k in keys], dtype=bool),
    )


def _uniform_models(st: gemmi.Structure) -> tuple[dict[AtomKey, tuple[gemmi.Atom, bool]], np.ndarray,
                                                  np.ndarray] | None:
    """Model 1's atoms, (K, N, 3) coordinates and (K, N) B-factors, read in bulk
    when every model holds the same atoms in the same order, none twice; else None.

    gemmi's flat table holds names in 8 bytes: names of 8 or more bytes go the
    per-atom way. Model 1's table rows are checked against its atoms, the other
    models' rows against model 1's.
    """
    first = _model_atoms(st[0])
    n, k = len(first), len(st)
    flat = gemmi.FlatStructure(st)
    if n == 0 or len(flat) != n * k:
        return None
    names = [(c.encode(), r.encode(), a.encode()) for c, _, _, r, a in first]
    if any(len(name) >= 8 for row in names for name in row):
        return None
    if not np.array_equal(flat.model_num.reshape(k, n), np.repeat([[m.num] for m in st], n, axis=1)):
        return None
    tables = [flat.chain_ids, flat.residue_names, flat.atom_names]
    for column, table in enumerate(tables):
        expected = np.array([row[column] for row in names], dtype="S8").view(np.uint8).reshape(n, 8)
        if not np.array_equal(table[:n].view(np.uint8), expected):
            return None
    tables += [flat.resnums, flat.icodes]
    if not np.array_equal(flat.resnums[:n], [key[1] for key in first]):
        return None
    for table in tables:
        rows = table.reshape(k, n, -1)
        if not (rows == rows[:1]).all():
            return None
    with np.errstate(over="ignore", invalid="ignore"):  # out-of-range values become inf, checked on load
        coords = flat.pos.reshape(k, n, 3).astype(np.float32)
    return first, coords, flat.b_iso.reshape(k, n).copy()


def _file_method(st: gemmi.Structure, n_models: int) -> str:
    text = (st.info["_exptl.method"] if "_exptl.method" in st.info else "").upper()
    if "NMR" in text:
        return "nmr"
    if "ELECTRON MICROSCOPY" in text or "CRYO" in text:
        return "em"
    if "X-RAY" in text or "DIFFRACTION" in text:
        return "xray"
    return "nmr" if n_models > 1 else "xray"


def _element(name: str) -> gemmi.Element:
    return gemmi.Element(name.capitalize() if name else "X")


def to_gemmi(ensemble: Ensemble) -> gemmi.Structure:
    """Build a gemmi Structure with one model per conformer (B-factors per model)."""
    topo = ensemble.topology
    st = gemmi.Structure()
    st.name = ensemble.name
    starts = topo.residue_starts()
    ends = np.append(starts[1:], topo.n_atoms)
    bfac = ensemble.bfactors if ensemble.bfactors is not None else np.zeros(ensemble.coords.shape[:2])
    elements = [_element(e) for e in topo.elements]
    charges = formal_charges(ensemble)
    for k in range(ensemble.n_conformers):
        model = gemmi.Model(str(k + 1))
        chain: gemmi.Chain | None = None
        for s, e in zip(starts, ends):
            if chain is None or chain.name != topo.chain_ids[s]:
                if chain is not None:
                    model.add_chain(chain)
                chain = gemmi.Chain(str(topo.chain_ids[s]))
            res = gemmi.Residue()
            res.name = str(topo.res_names[s])
            res.seqid = gemmi.SeqId(int(topo.res_ids[s]), (topo.ins_codes[s] or " ")[0])
            res.het_flag = "H" if topo.hetero[s] else "A"
            for i in range(s, e):
                atom = gemmi.Atom()
                atom.name = str(topo.atom_names[i])
                atom.element = elements[i]
                atom.pos = gemmi.Position(*map(float, ensemble.coords[k, i]))
                atom.b_iso = float(bfac[k, i])
                atom.occ = 1.0
                atom.charge = int(charges[i])
                res.add_atom(atom)
            chain.add_residue(res)
        if chain is not None:
            model.add_chain(chain)
        st.add_model(model)
    st.setup_entities()
    return st


def write_structure(ensemble: Ensemble, path: str | os.PathLike) -> Path:
    """Write a multi-model PDB (``.pdb``) or mmCIF (``.cif``/``.mmcif``) atomically.

    Ligand bonds go to CONECT records (PDB) or ``_chem_comp_bond`` (mmCIF), see
    :mod:`dynafold.io.ligand_bonds`.
    """
    path = Path(path)
    st = to_gemmi(ensemble)
    with atomic_path(path) as tmp:
        if path.suffix.lower() in (".cif", ".mmcif"):
            doc = st.make_mmcif_document()
            add_chem_comp_bond(doc.sole_block(), ensemble)
            doc.write_file(str(tmp))
        else:
            add_conect(st, ensemble)
            st.write_pdb(str(tmp), gemmi.PdbWriteOptions(minimal=False, numbered_ter=False,
                                                         conect_records=True))
    return path
