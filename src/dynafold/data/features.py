"""Residue tokens, the atom14 layout and the model's input features.

Tokens are the protein residues of an ensemble. Each token has 14 atom slots
in the order of ``const.RESIDUE_HEAVY_ATOMS[res]`` (N, CA, C, O first, CB
fifth), padded to 14. Non-standard residues are mapped with
``const.canonical_residue``; unknown ones become UNK with backbone slots only.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dynafold.const import (
    ATOM14_SLOT,
    C_OXT_BOND_A,
    CA_SLOT,
    LIGAND_ATOM_FEATURES,
    LIGAND_BOND_FEATURES,
    METHOD_IDS,
    NUM_ATOM_SLOTS,
    RESIDUE_HEAVY_ATOMS,
    RESIDUE_TYPES,
    TERMINAL_OXYGEN,
    canonical_residue,
    check_method,
)
from dynafold.data.ligand_tokens import LigandTokens, ligand_atom14, ligand_targets, ligand_tokens
from dynafold.ensemble import Ensemble, Topology
from dynafold.errors import NoProteinError

UNK = "UNK"
_RES_TYPE_INDEX = {name: i for i, name in enumerate(RESIDUE_TYPES)}


def token_residue_names(topology: Topology) -> np.ndarray:
    """Residue type name of each protein residue ('UNK' when not standard), shape (R,)."""
    starts = topology.residue_starts()
    names = [canonical_residue(str(r)) for r in topology.res_names[starts]]
    return np.array([n if n in RESIDUE_HEAVY_ATOMS else UNK for n in names])


def atom14_index(topology: Topology) -> np.ndarray:
    """Atom index of each (residue, slot), -1 where the atom is absent.

    ``topology`` must hold protein atoms only (see :meth:`Ensemble.protein`).
    Returns (R, 14) int64.
    """
    res_idx = topology.residue_index()
    names = token_residue_names(topology)
    index = np.full((len(names), NUM_ATOM_SLOTS), -1, dtype=np.int64)
    for atom, (r, atom_name) in enumerate(zip(res_idx, topology.atom_names)):
        slot = ATOM14_SLOT[names[r]].get(str(atom_name))
        if slot is not None and index[r, slot] < 0:
            index[r, slot] = atom
    return index


def atom14_coords(ensemble: Ensemble) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in the atom14 layout.

    ``ensemble`` is reduced to its protein heavy atoms first. Returns
    coords (K, R, 14, 3) float32 Angstrom (zeros where absent) and
    atom_mask (R, 14) bool (atom present and resolved).
    """
    protein = ensemble.protein()
    index = atom14_index(protein.topology)
    mask = index >= 0
    mask[mask] &= protein.mask[index[mask]]
    coords = np.zeros((protein.n_conformers, *index.shape, 3), dtype=np.float32)
    coords[:, mask] = protein.coords[:, index[mask]]
    return coords, mask


def terminal_oxygen(ca: np.ndarray, c: np.ndarray, o: np.ndarray) -> np.ndarray:
    """Position of the terminal OXT from its residue's CA, C and O (..., 3), Angstrom.

    OXT lies in the CA-C-O plane at ``C_OXT_BOND_A`` from C, on the external
    bisector of the CA-C-O angle (about 120 degrees from both CA and O).
    """
    def unit(v: np.ndarray) -> np.ndarray:
        return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-6)

    return (c - C_OXT_BOND_A * unit(unit(ca - c) + unit(o - c))).astype(np.float32)


def ensemble_from_atom14(coords: np.ndarray, template: Ensemble, atom_mask: np.ndarray,
                         method: str | None = None) -> Ensemble:
    """Write atom14 coordinates back into an Ensemble with the template's residues.

    coords: (K, R, 14, 3) Angstrom for the R protein residues of ``template``;
    atom_mask: (R, 14) bool, the slots to keep. Only template atoms whose slot
    is in the mask are written, plus the template's terminal OXT atoms, placed
    by :func:`terminal_oxygen`; B-factors are dropped. ``method`` labels the
    result (default: the template's).
    """
    protein = template.protein()
    index = atom14_index(protein.topology)
    coords = np.asarray(coords, dtype=np.float32)
    if coords.ndim == 3:
        coords = coords[None]
    if coords.shape[1:3] != index.shape:
        raise NoProteinError(f"{template.name}: atom14 coordinates have {coords.shape[1]} residues, "
                             f"the template has {index.shape[0]}")
    keep = (index >= 0) & np.asarray(atom_mask, dtype=bool)
    # terminal oxygens of the template, placed on residues whose CA, C and O are written
    oxt = np.flatnonzero(protein.topology.atom_names == TERMINAL_OXYGEN)
    oxt_res = protein.topology.residue_index()[oxt]
    placed = keep[oxt_res][:, 1:4].all(axis=1)
    oxt, oxt_res = oxt[placed], oxt_res[placed]
    atoms = np.concatenate([index[keep], oxt])
    xyz = np.concatenate([coords[:, keep], terminal_oxygen(*(coords[:, oxt_res, s] for s in (1, 2, 3)))], axis=1)
    order = np.argsort(atoms)
    sub = protein.select_atoms(atoms[order])
    return replace(sub, coords=xyz[:, order], bfactors=None, times_ps=None,
                   method=method or template.method,
                   mask=np.ones(len(atoms), dtype=bool), notes=list(template.notes))


def token_atom14(ensemble: Ensemble, ligands: bool = True) -> tuple[np.ndarray, np.ndarray, LigandTokens]:
    """Coordinates of every token in the atom14 layout: the protein residues, then (with ``ligands``)
    one token per ligand heavy atom (:mod:`dynafold.data.ligand_tokens`).

    Returns coords (K, T, 14, 3) float32 Angstrom, atom_mask (T, 14) bool and the ligand tokens.
    """
    coords, mask = atom14_coords(ensemble)
    tokens = ligand_tokens(ensemble if ligands else replace(ensemble, ligands=()))
    lig_coords, lig_mask = ligand_atom14(ensemble, tokens)
    return np.concatenate([coords, lig_coords], axis=1), np.concatenate([mask, lig_mask]), tokens


def template_enm_features(coords14: np.ndarray, atom_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`dynafold.enm.enm_features` of the C-alpha atoms of atom14 coords (R, 14, 3), mask (R, 14)."""
    from dynafold.enm import enm_features

    return enm_features(coords14[:, CA_SLOT, :], atom_mask[:, CA_SLOT])


def template_anm_noise(coords14: np.ndarray, atom_mask: np.ndarray, ligand_mask: np.ndarray) -> np.ndarray:
    """The sampler's ANM displacements per token, (T, 3, K) float32 (:func:`dynafold.enm.anm_factor`).

    Of the C-alpha atoms of the residues (atom14 coords (T, 14, 3) Angstrom, mask (T, 14); ligand tokens
    (T,) excluded), scaled so that the mean square displacement per residue is 3 on average, one per
    axis as with isotropic unit noise. Ligand tokens, residues without a C-alpha and structures with too
    few residues for a network get zeros.
    """
    from dynafold.enm import MIN_RESIDUES, anm_factor

    idx = np.flatnonzero(atom_mask[:, CA_SLOT] & ~np.asarray(ligand_mask, dtype=bool))
    out = np.zeros((len(coords14), 3, 3 * len(idx)), dtype=np.float32)
    if len(idx) < MIN_RESIDUES:
        return out
    factor = anm_factor(coords14[idx, CA_SLOT])
    msf = np.square(factor).sum(axis=1).reshape(-1, 3).sum(axis=1)
    if not (msf > 0).any():
        return out
    out[idx] = (factor * np.sqrt(3.0 / msf[msf > 0].mean())).reshape(len(idx), 3, -1)
    return out


def featurize(ensemble: Ensemble, method: str | None = None, reference_index: int = 0,
              *, residue_targets: dict[str, np.ndarray] | None = None,
              enm: tuple[np.ndarray, np.ndarray] | None = None, ligands: bool = True) -> dict:
    """Model input features of one ensemble (no batch dimension).

    Parameters
    ----------
    ensemble : any Ensemble; its protein heavy atoms are residue tokens, and
        (with ``ligands``) each heavy atom of its ligands a token after them
        (:mod:`dynafold.data.ligand_tokens`).
    method : canonical method label to condition on (default: the ensemble's own).
    reference_index : the conformer used as template and as "coords".
    residue_targets : precomputed per-residue targets of the protein (keys of
        :func:`dynafold.data.targets.residue_targets`); computed when None.
    enm : precomputed :func:`dynafold.enm.enm_features` of the template's
        protein C-alpha atoms; computed when None. Ligand tokens get zeros.
    ligands : whether ligand atoms become tokens (models trained without
        ligand tokens leave them out).

    Returns
    -------
    dict of torch tensors, R tokens: res_type (R,) long (UNK for ligand
    atoms), residue_index (R,) long (author numbers), chain_index (R,) long
    (one more per ligand), token_mask (R,) bool, method () long,
    template_coords and coords (R, 14, 3) float32 Angstrom, atom_mask (R, 14)
    bool, enm_single (R, 4) and enm_pair (R, R, 2) float32 (elastic-network
    fluctuations and correlations of the template), ligand_mask (R,) bool,
    ligand_features (R, LIGAND_ATOM_FEATURES) and ligand_bonds (R, R,
    LIGAND_BOND_FEATURES) float32 (zero on protein tokens), bfactor_target
    (R,) A^2 with bfactor_mask, rmsf_target (R,) Angstrom with rmsf_mask.
    """
    import torch

    from dynafold.data.targets import residue_targets as compute_targets

    protein = ensemble.protein()
    topo = protein.topology
    starts = topo.residue_starts()
    chains = topo.chain_ids[starts]
    # chains numbered in order of appearance
    first_seen = {c: i for i, c in enumerate(dict.fromkeys(chains.tolist()))}
    chain_index = np.array([first_seen[c] for c in chains.tolist()], dtype=np.int64)
    targets = residue_targets if residue_targets is not None else compute_targets(protein)
    label = check_method(method or protein.method)
    coords14, atom_mask, tokens = token_atom14(ensemble, ligands)
    n_res, n_lig = len(starts), tokens.n_atoms
    if enm is None:
        enm = template_enm_features(coords14[reference_index, :n_res], atom_mask[:n_res])
    enm_single, enm_pair = enm
    lig_targets = ligand_targets(ensemble, protein, tokens)
    template = torch.from_numpy(coords14[reference_index].copy())
    lig_bonds = np.zeros((n_res + n_lig, n_res + n_lig, LIGAND_BOND_FEATURES), dtype=np.float32)
    lig_bonds[n_res:, n_res:] = tokens.bonds
    res_names = [_RES_TYPE_INDEX[n] for n in token_residue_names(topo)] + [_RES_TYPE_INDEX[UNK]] * n_lig
    return {
        "res_type": torch.tensor(res_names, dtype=torch.long),
        "residue_index": torch.from_numpy(np.concatenate([
            topo.res_ids[starts], ensemble.topology.res_ids[tokens.atom_index]]).astype(np.int64)),
        "chain_index": torch.from_numpy(np.concatenate([chain_index, chain_index.max(initial=-1) + 1 + tokens.ligand])),
        "token_mask": torch.ones(n_res + n_lig, dtype=torch.bool),
        "method": torch.tensor(METHOD_IDS[label], dtype=torch.long),
        "template_coords": template,
        "coords": template.clone(),
        "atom_mask": torch.from_numpy(atom_mask),
        "enm_single": torch.from_numpy(_pad_tokens(enm_single, n_lig, 1)),
        "enm_pair": torch.from_numpy(_pad_tokens(enm_pair, n_lig, 2)),
        "ligand_mask": torch.from_numpy(np.arange(n_res + n_lig) >= n_res),
        "ligand_features": torch.from_numpy(np.concatenate([
            np.zeros((n_res, LIGAND_ATOM_FEATURES), dtype=np.float32), tokens.features])),
        "ligand_bonds": torch.from_numpy(lig_bonds),
        "bfactor_target": torch.from_numpy(np.concatenate([targets["bfactor_A2"], lig_targets["bfactor_A2"]])
                                           .astype(np.float32)),
        "bfactor_mask": torch.from_numpy(np.concatenate([targets["bfactor_mask"], lig_targets["bfactor_mask"]])
                                         .astype(bool)),
        "rmsf_target": torch.from_numpy(np.concatenate([targets["rmsf_A"], np.zeros(n_lig)]).astype(np.float32)),
        "rmsf_mask": torch.from_numpy(np.concatenate([targets["rmsf_mask"], np.zeros(n_lig, dtype=bool)])),
    }


def _pad_tokens(values: np.ndarray, n: int, axes: int) -> np.ndarray:
    """Zero rows (and, for pair arrays, columns) for ``n`` more tokens on the first ``axes`` axes."""
    return np.pad(values, [(0, n)] * axes + [(0, 0)] * (values.ndim - axes))
