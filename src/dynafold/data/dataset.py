"""A torch Dataset over a prepared store, and the padding collate function."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from dynafold.data.crop import crop_indices, pocket_crop
from dynafold.data.features import featurize, template_enm_features, token_atom14
from dynafold.data.store import load_manifest, read_system
from dynafold.data.targets import aggregated_distogram, representative_coords, sample_conformer, template_candidates
from dynafold.ensemble import join_atoms
from dynafold.errors import EmptyEnsembleError

# keys whose first (and for the distogram also second) axis runs over residues
_PAIR_KEYS = ("distogram_target", "enm_pair", "ligand_bonds")
_SCALAR_KEYS = ("method",)


class EnsembleDataset(Dataset):
    """Items of a store: features of :func:`featurize` plus ensemble targets.

    Each item holds the batch-contract keys for one system: a reference
    conformer as ``template_coords`` (the first, or one drawn from
    ``template_frames`` evenly spaced conformers), one conformer drawn
    uniformly at random as ``coords``, the aggregated distogram over all K conformers
    (computed on the cropped residues) and the stored B-factor/RMSF targets.

    Parameters
    ----------
    store : folder written by ``dynafold prepare``.
    systems : names to use (default: all in the manifest).
    crop_size : residues kept per item (None: no crop).
    crop_mode : 'contiguous' or 'spatial' (nearest residues to a random centre).
    ligands : ligand heavy atoms as tokens after the residues (items with
        ligands are cropped around them, :func:`dynafold.data.crop.pocket_crop`).
    template_frames : how many evenly spaced conformers of an ensemble may
        serve as the template (:func:`dynafold.data.targets.template_candidates`;
        1: always the first).
    seed : randomness of item ``i`` in epoch ``e`` comes from
        ``np.random.default_rng([seed, e, i])``; call :meth:`get` with your
        own generator for other schemes.
    """

    def __init__(self, store: str | os.PathLike, systems: list[str] | None = None,
                 crop_size: int | None = None, crop_mode: str = "contiguous", seed: int = 0,
                 ligands: bool = True, template_frames: int = 1) -> None:
        self.store = Path(store)
        entries = load_manifest(self.store)["systems"]
        if systems is not None:
            wanted = set(systems)
            entries = [e for e in entries if e["name"] in wanted]
        if not entries:
            raise EmptyEnsembleError("no systems in store" + (" matching the selection" if systems else ""),
                                     self.store)
        self.entries = entries
        self.crop_size = crop_size
        self.crop_mode = crop_mode
        self.seed = seed
        self.ligands = ligands
        self.template_frames = template_frames
        self.epoch = 0
        # elastic-network features per (system, template conformer)
        self._enm: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def names(self) -> list[str]:
        return [e["name"] for e in self.entries]

    def path(self, index: int) -> Path:
        """The store file of system ``index``."""
        return self.store / self.entries[index]["file"]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.get(index, np.random.default_rng([self.seed, self.epoch, index]))

    def get(self, index: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """Item ``index`` with all randomness (conformer, crop) drawn from ``rng``."""
        stored = read_system(self.path(index))
        ens = stored.ensemble
        if self.ligands and stored.ligands is not None:
            ens = join_atoms(ens, stored.ligands)
        coords14, atom_mask, tokens = token_atom14(ens, self.ligands)
        n_res = coords14.shape[1] - tokens.n_atoms
        ref = 0  # with one template frame nothing is drawn, so the item's other draws stay as they were
        if self.template_frames > 1:
            ref = int(rng.choice(template_candidates(ens.n_conformers, self.template_frames)))
        if (index, ref) not in self._enm:
            self._enm[index, ref] = template_enm_features(coords14[ref, :n_res], atom_mask[:n_res])
        item = featurize(ens, reference_index=ref, residue_targets=stored.targets, enm=self._enm[index, ref],
                         ligands=self.ligands)
        item["coords"] = torch.from_numpy(coords14[sample_conformer(ens.n_conformers, rng)].copy())
        rep, rep_mask = representative_coords(ens.protein())
        rep = np.concatenate([rep, ens.coords[:, tokens.atom_index]], axis=1)
        rep_mask = np.concatenate([rep_mask, ens.mask[tokens.atom_index]])
        if tokens.n_atoms and self.crop_size is not None:
            keep = pocket_crop(rep[ref], rep_mask, item["ligand_mask"].numpy(), self.crop_size)
        else:
            keep = crop_indices(self.crop_mode, rep[ref], rep_mask, self.crop_size, rng)
        item = crop_item(item, torch.from_numpy(keep))
        item["distogram_target"] = torch.from_numpy(aggregated_distogram(rep[:, keep], rep_mask[keep]))
        return item


def crop_item(item: dict[str, torch.Tensor], keep: torch.Tensor) -> dict[str, torch.Tensor]:
    """Keep residues ``keep`` (1-D long) in every per-residue tensor of an item."""
    out = {}
    for key, value in item.items():
        if key in _SCALAR_KEYS:
            out[key] = value
        elif key in _PAIR_KEYS:
            out[key] = value[keep][:, keep]
        else:
            out[key] = value[keep]
    return out


def collate(items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Stack items into a batch, zero-padding the residue axes to the longest item.

    Padding has ``token_mask`` (and every other mask) False.
    """
    n_max = max(int(item["token_mask"].shape[0]) for item in items)
    batch = {}
    for key in items[0]:
        values = [item[key] for item in items]
        if key in _SCALAR_KEYS:
            batch[key] = torch.stack(values)
            continue
        n_axes = 2 if key in _PAIR_KEYS else 1
        out = values[0].new_zeros((len(values),) + (n_max,) * n_axes + tuple(values[0].shape[n_axes:]))
        for b, v in enumerate(values):
            n = v.shape[0]
            if n_axes == 2:
                out[b, :n, :n] = v
            else:
                out[b, :n] = v
        batch[key] = out
    return batch
