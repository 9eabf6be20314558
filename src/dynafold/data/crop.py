"""Cropping long proteins to a fixed number of residues (tokens)."""

from __future__ import annotations

import numpy as np

from dynafold.errors import ConfigError

CROP_MODES = ("contiguous", "spatial")


def contiguous_crop(n_residues: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """A window of ``size`` consecutive residues at a random start; all when shorter."""
    if n_residues <= size:
        return np.arange(n_residues)
    start = int(rng.integers(n_residues - size + 1))
    return np.arange(start, start + size)


def spatial_crop(coords: np.ndarray, mask: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """The ``size`` residues nearest to a random valid centre residue, in sequence order.

    coords: (R, 3) Angstrom, one atom per residue; mask: (R,) bool, residues
    that have the atom (the others are never chosen before the valid ones).
    """
    n_res = len(coords)
    if n_res <= size:
        return np.arange(n_res)
    valid = np.nonzero(mask)[0]
    if len(valid) == 0:
        return contiguous_crop(n_res, size, rng)
    centre = coords[rng.choice(valid)]
    dist = np.linalg.norm(coords - centre, axis=-1)
    dist[~mask] = np.inf
    return np.sort(np.argsort(dist, kind="stable")[:size])


def crop_indices(mode: str, coords: np.ndarray, mask: np.ndarray, size: int | None,
                 rng: np.random.Generator) -> np.ndarray:
    """Residue indices kept by a crop ``mode`` ('contiguous' or 'spatial'); all when size is None."""
    if size is None:
        return np.arange(len(coords))
    if mode == "contiguous":
        return contiguous_crop(len(coords), size, rng)
    if mode == "spatial":
        return spatial_crop(coords, mask, size, rng)
    raise ConfigError(f"unknown crop mode {mode!r}; valid: {', '.join(CROP_MODES)}")


def pocket_crop(coords: np.ndarray, mask: np.ndarray, ligand: np.ndarray, size: int) -> np.ndarray:
    """Every ligand token, then the protein tokens nearest to any ligand atom, ``size`` in all
    (more when the ligands alone have more atoms), in token order.

    coords: (R, 3) Angstrom, one atom per token; mask: (R,) bool, tokens that
    have the atom; ligand: (R,) bool, the ligand atom tokens.
    """
    ligand = np.asarray(ligand, dtype=bool)
    if len(coords) <= size:
        return np.arange(len(coords))
    dist = np.full(len(coords), np.inf)
    protein, anchors = np.flatnonzero(~ligand & mask), coords[ligand & mask]
    if len(protein) and len(anchors):
        dist[protein] = np.min(np.linalg.norm(coords[protein, None] - anchors[None], axis=-1), axis=1)
    dist[ligand] = -np.inf
    return np.sort(np.argsort(dist, kind="stable")[:max(size, int(ligand.sum()))])
