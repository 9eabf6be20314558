"""Dataset over a prepared store: items, crops, distogram targets, collate."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dynafold.data.dataset import EnsembleDataset, collate
from dynafold.data.prepare import prepare_store
from dynafold.data.sources import SourceOptions
from dynafold.data.targets import aggregated_distogram, representative_coords


@pytest.fixture(scope="module")
def store(shared_data, tmp_path_factory):
    path = tmp_path_factory.mktemp("store")
    prepare_store("nmr", [shared_data / "nmr/1l2y.pdb", shared_data / "nmr/1gya.pdb"], path)
    prepare_store("xray", [shared_data / "xray/1aki.pdb"], path, SourceOptions())
    return path


def test_item_contract_and_targets(store) -> None:
    ds = EnsembleDataset(store)
    assert ds.names == ["1aki", "1gya", "1l2y"]
    item = ds[2]
    r = 20
    assert item["distogram_target"].shape == (r, r, 64) and item["coords"].shape == (r, 14, 3)
    from dynafold.data.store import read_system

    ens = read_system(store / "1l2y.npz").ensemble
    rep, mask = representative_coords(ens)
    assert torch.allclose(item["distogram_target"], torch.from_numpy(aggregated_distogram(rep, mask)))
    # the drawn conformer is one of the 38 models, the template is the first
    ca = ens.coords[:, ens.topology.ca()]
    assert torch.allclose(item["template_coords"][:, 1], torch.from_numpy(ca[0]))
    assert np.isclose(np.abs(ca - item["coords"][:, 1].numpy()[None]).max(axis=(1, 2)), 0).sum() == 1
    assert item["rmsf_mask"].all() and not ds[0]["rmsf_mask"].any()
    assert ds[0]["bfactor_mask"].any() and ds[0]["method"].item() == 1


def test_seeded_items_and_conformer_draws(store) -> None:
    ds = EnsembleDataset(store, systems=["1l2y"], seed=1)
    a, b = ds[0], ds[0]
    assert torch.equal(a["coords"], b["coords"])
    drawn = set()
    for epoch in range(20):
        ds.set_epoch(epoch)
        drawn.add(ds[0]["coords"][0, 1, 0].item())
    assert len(drawn) > 5


def test_template_drawn_among_candidates_with_its_own_elastic_network(store) -> None:
    from dynafold.data.features import template_enm_features, token_atom14
    from dynafold.data.store import read_system

    ens = read_system(store / "1l2y.npz").ensemble
    ca = ens.coords[:, ens.topology.ca()]
    coords14, atom_mask, _ = token_atom14(ens, False)
    ds = EnsembleDataset(store, systems=["1l2y"], template_frames=4)
    used = set()
    for epoch in range(30):
        ds.set_epoch(epoch)
        item = ds[0]
        ref = int(np.argmin(np.abs(ca - item["template_coords"][:, 1].numpy()[None]).max(axis=(1, 2))))
        assert np.allclose(ca[ref], item["template_coords"][:, 1].numpy())
        single, _ = template_enm_features(coords14[ref], atom_mask)
        assert np.allclose(item["enm_single"].numpy(), single, atol=1e-6)
        used.add(ref)
    assert used == {0, 12, 25, 37}
    assert EnsembleDataset(store, systems=["1aki"], template_frames=4)[0]["template_coords"].shape[0] == 129


@pytest.mark.parametrize("mode", ["contiguous", "spatial"])
def test_crop(store, mode) -> None:
    ds = EnsembleDataset(store, systems=["1gya"], crop_size=32, crop_mode=mode)
    item = ds[0]
    assert item["token_mask"].shape == (32,) and item["distogram_target"].shape == (32, 32, 64)
    idx = item["residue_index"]
    if mode == "contiguous":
        assert torch.equal(idx, torch.arange(idx[0], idx[0] + 32))
    else:
        ca = item["template_coords"][:, 1]
        assert torch.cdist(ca, ca).max() < 40.0  # a compact patch, not the whole 105 residues
    valid = item["distogram_target"].sum(-1)
    assert torch.allclose(valid[valid > 0], torch.ones(1))


def test_collate_pads(store) -> None:
    ds = EnsembleDataset(store, crop_size=64)
    batch = collate([ds[0], ds[2]])
    assert batch["res_type"].shape == (2, 64) and batch["method"].shape == (2,)
    assert batch["distogram_target"].shape == (2, 64, 64, 64)
    assert batch["token_mask"][1, :20].all() and not batch["token_mask"][1, 20:].any()
    assert not batch["atom_mask"][1, 20:].any() and batch["distogram_target"][1, 20:].abs().sum() == 0
    assert batch["coords"].dtype == torch.float32 and batch["atom_mask"].dtype == torch.bool


def test_unknown_crop_mode_is_a_config_error():
    from dynafold.data.crop import crop_indices
    from dynafold.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown crop mode 'round'; valid: contiguous, spatial"):
        crop_indices("round", np.zeros((5, 3)), np.ones(5, bool), 3, np.random.default_rng(0))
