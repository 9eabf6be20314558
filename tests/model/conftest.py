"""Batches built from real NMR ensembles with the data package's featurizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dynafold.data.dataset import collate
from dynafold.data.features import atom14_coords, featurize
from dynafold.data.targets import aggregated_distogram
from dynafold.io import load
from dynafold.model.embedding import representative_coords


def real_item(path: Path, conformer: int = 1) -> dict[str, torch.Tensor]:
    """One training item: featurize + the aggregated distogram + a drawn conformer."""
    ens = load(path).protein()
    r = ens.n_residues
    try:
        item = featurize(ens)
    except ImportError:  # residue targets need dynafold.metrics
        item = featurize(ens, residue_targets={
            "bfactor_A2": np.linspace(5, 60, r), "bfactor_mask": np.ones(r, bool),
            "rmsf_A": np.ones(r), "rmsf_mask": np.zeros(r, bool)})
    c14, mask = atom14_coords(ens)
    rep, rep_mask = representative_coords(torch.from_numpy(c14), torch.from_numpy(mask))
    item["distogram_target"] = torch.from_numpy(aggregated_distogram(rep.numpy(), rep_mask.numpy()))
    item["coords"] = torch.from_numpy(c14[conformer % len(c14)])
    return item


@pytest.fixture(scope="session")
def trp_batch(shared_data: Path) -> dict[str, torch.Tensor]:
    """Trp-cage (20 residues) and CD2 (105 residues) NMR ensembles as one padded batch of 2."""
    return collate([real_item(shared_data / "nmr" / "1l2y.pdb", 3), real_item(shared_data / "nmr" / "1gya.pdb", 5)])
