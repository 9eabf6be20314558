"""Curation rules per source (DESIGN.md section 1), one small function each."""

from __future__ import annotations

import math

import numpy as np

from dynafold.const import AMINO_ACIDS_3TO1, canonical_residue

ATLAS_FRAMES = 100
ATLAS_WINDOW_PS = 10_000.0
MDCATH_FRACTION = 0.1
MISATO_MAX_LIGAND_DISTANCE_A = 12.0


def atlas_frame_indices(times_ps: np.ndarray, n_frames: int = ATLAS_FRAMES,
                        window_ps: float = ATLAS_WINDOW_PS, seed: int = 0) -> np.ndarray:
    """ATLAS rule: ``n_frames`` frames drawn uniformly at random from the last ``window_ps``.

    The window is ``t >= t_last - window_ps`` on the trajectory's own frame
    times. When the window holds ``n_frames`` frames or fewer, all of them are
    taken (no repeats). Draws are without replacement from
    ``np.random.default_rng(seed)``; returns sorted frame indices (int64).
    """
    times_ps = np.asarray(times_ps, dtype=np.float64)
    if times_ps.size == 0:
        return np.zeros(0, dtype=np.int64)
    window = np.nonzero(times_ps >= times_ps.max() - window_ps)[0]
    if len(window) <= n_frames:
        return window.astype(np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(window, size=n_frames, replace=False)).astype(np.int64)


def last_fraction_start(n_frames: int, fraction: float = MDCATH_FRACTION) -> int:
    """mdCATH rule: index of the first frame of the last ``fraction`` of a trajectory.

    Keeps ceil(fraction * n_frames) frames (at least one): 500 frames -> start 450.
    """
    keep = max(1, math.ceil(fraction * n_frames - 1e-9))
    return max(0, n_frames - keep)


def min_distance_per_frame(coords_a: np.ndarray, coords_b: np.ndarray) -> np.ndarray:
    """Minimum distance between two atom sets in each frame.

    coords_a: (K, Na, 3), coords_b: (K, Nb, 3) Angstrom. Returns (K,) Angstrom.
    """
    from scipy.spatial import cKDTree

    out = np.empty(coords_a.shape[0], dtype=np.float64)
    for k in range(coords_a.shape[0]):
        out[k] = cKDTree(coords_a[k]).query(coords_b[k], k=1)[0].min()
    return out


def ligand_leaves_protein(protein_coords: np.ndarray, ligand_coords: np.ndarray,
                          max_distance_A: float = MISATO_MAX_LIGAND_DISTANCE_A) -> bool:
    """MISATO rule: True when in ANY frame the ligand-protein minimum heavy-atom
    distance exceeds ``max_distance_A``.

    protein_coords (K, Np, 3) and ligand_coords (K, Nl, 3): heavy atoms, Angstrom.
    """
    return bool((min_distance_per_frame(protein_coords, ligand_coords) > max_distance_A).any())


def ligand_is_multi_residue(n_ligand_residues: int) -> bool:
    """MISATO rule: a ligand spanning several residues (e.g. a glycan) is dropped."""
    return n_ligand_residues > 1


def ligand_is_peptide(ligand_residue_names: list[str] | np.ndarray, pdb_id: str,
                      peptide_ids: frozenset[str] = frozenset()) -> bool:
    """MISATO rule: a ligand made of amino-acid residues (a peptide, modified or
    not), or whose PDB id is in MISATO's list of peptide ligands, is dropped."""
    names = {canonical_residue(str(n)) for n in ligand_residue_names}
    return bool(names & (set(AMINO_ACIDS_3TO1) | {"ACE", "NME", "NHE"})) or pdb_id.lower() in peptide_ids
