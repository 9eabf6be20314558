"""Ligand atoms as tokens: features from real chemistry, protein-only inputs unchanged, equivariance,
and a training step on a real protein-ligand MD excerpt (tests/data/prolif_pocket)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from dynafold.const import CA_SLOT, LIGAND_ELEMENTS
from dynafold.data.crop import pocket_crop
from dynafold.data.dataset import collate
from dynafold.data.features import featurize
from dynafold.data.ligand_tokens import ligand_tokens
from dynafold.data.targets import aggregated_distogram
from dynafold.io import load
from dynafold.model.config import MODEL_PRESETS
from dynafold.model.dynafold import DynafoldModel
from dynafold.model.embedding import representative_coords
from dynafold.train.losses import ligand_geometry_loss, total_loss
from rigid_motion import random_rigid, transform

POCKET = Path(__file__).resolve().parents[1] / "data" / "prolif_pocket"


@pytest.fixture(scope="module")
def pocket():
    return load(POCKET / "pocket.xtc", POCKET / "pocket.pdb", method="md")


@pytest.fixture(scope="module")
def item(pocket):
    it = featurize(pocket)
    it["coords"] = it["template_coords"].clone()
    rep, rep_mask = representative_coords(it["template_coords"], it["atom_mask"])
    it["distogram_target"] = torch.from_numpy(aggregated_distogram(rep[None].numpy(), rep_mask.numpy()))
    return it


def test_ligand_heavy_atoms_become_tokens_with_their_chemistry(pocket, item):
    lig = pocket.ligands[0]
    heavy = lig.atom_index[pocket.topology.elements[lig.atom_index] != "H"]
    tokens = ligand_tokens(pocket)
    np.testing.assert_array_equal(tokens.atom_index, heavy)
    n_res = pocket.protein().n_residues
    assert item["res_type"].shape[0] == n_res + len(heavy)
    assert item["ligand_mask"][n_res:].all() and not item["ligand_mask"][:n_res].any()
    # the atom sits in the C-alpha slot of its token, at the ligand atom's coordinates
    np.testing.assert_allclose(item["template_coords"][n_res:, CA_SLOT].numpy(), pocket.coords[0, heavy])
    assert item["atom_mask"][n_res:].sum(1).eq(1).all() and item["atom_mask"][n_res:, CA_SLOT].all()
    # element classes, degree and bonds agree with a plain count over the ligand's bond list
    feats = item["ligand_features"][n_res:].numpy()
    elements = pocket.topology.elements[heavy]
    for e in ("C", "N", "O"):
        assert feats[:, LIGAND_ELEMENTS.index(e)].sum() == (elements == e).sum()
    heavy_pos = {a: i for i, a in enumerate(heavy.tolist())}
    pairs = [(heavy_pos[lig.atom_index[i]], heavy_pos[lig.atom_index[j]]) for i, j in lig.bonds.tolist()
             if lig.atom_index[i] in heavy_pos and lig.atom_index[j] in heavy_pos]
    bonded = item["ligand_bonds"][n_res:, n_res:, 0].numpy()
    assert bonded.sum() == 2 * len(pairs) and all(bonded[i, j] == 1 for i, j in pairs)
    assert not item["ligand_bonds"][:n_res].any() and not item["ligand_features"][:n_res].any()
    # MD ligand B-factors come from the atoms' RMSF: positive, masked nowhere
    assert item["bfactor_mask"][n_res:].all() and (item["bfactor_target"][n_res:] > 0).all()
    assert not item["enm_single"][n_res:].any() and not item["rmsf_mask"][n_res:].any()


def test_pocket_crop_keeps_the_ligand_and_its_nearest_residues():
    coords = np.array([[0.0, 0, 0], [10, 0, 0], [2, 0, 0], [30, 0, 0], [1, 0, 0]])
    ligand = np.array([False, False, False, False, True])
    mask = np.array([True, True, True, True, True])
    np.testing.assert_array_equal(pocket_crop(coords, mask, ligand, 3), [0, 2, 4])
    np.testing.assert_array_equal(pocket_crop(coords, mask, ligand, 10), np.arange(5))


def _pair(cfg_ligands: bool, seed: int = 0) -> DynafoldModel:
    torch.manual_seed(seed)
    m = DynafoldModel(replace(MODEL_PRESETS["tiny"], ligand_tokens=cfg_ligands)).eval()
    with torch.no_grad():
        torch.nn.init.normal_(m.denoiser.out[1].weight, std=0.3)
    return m


def test_protein_only_inputs_give_the_same_outputs_with_or_without_ligand_weights(pocket):
    with_lig = _pair(True)
    without = DynafoldModel(replace(with_lig.cfg, ligand_tokens=False)).eval()
    missing, unexpected = without.load_state_dict(with_lig.state_dict(), strict=False)
    assert not missing and unexpected and all("ligand" in k for k in unexpected)
    batch = collate([featurize(pocket.protein())])
    g = torch.Generator().manual_seed(3)
    x = batch["template_coords"][:, None] + 2.0 * torch.randn((1, 2, *batch["template_coords"].shape[1:]), generator=g)
    sigma = torch.tensor([[1.0, 8.0]])
    with torch.no_grad():
        a = with_lig.denoiser(x, sigma, with_lig.condition(batch))
        b = without.denoiser(x, sigma, without.condition(batch))
    torch.testing.assert_close(a, b, atol=0, rtol=0)


def test_denoiser_stays_se3_equivariant_with_ligand_tokens(item):
    model = _pair(True, seed=1)
    batch = collate([item])
    g = torch.Generator().manual_seed(0)
    x = batch["template_coords"][:, None] + 3.0 * torch.randn((1, 2, *batch["template_coords"].shape[1:]), generator=g)
    sigma = torch.tensor([[3.0, 40.0]])
    rot, shift = random_rigid(2)
    with torch.no_grad():
        cond = model.condition(batch)
        out = model.denoiser(x, sigma, cond)
        moved = dict(cond, template_coords=transform(cond["template_coords"], rot, shift))
        out_moved = model.denoiser(transform(x, rot, shift), sigma, moved)
    m = batch["atom_mask"][:, None].expand(-1, 2, -1, -1)
    lig = m & batch["ligand_mask"][:, None, :, None]
    assert (out - x)[lig].abs().max() > 0.1
    torch.testing.assert_close(out_moved[m], transform(out, rot, shift)[m], atol=2e-3, rtol=1e-4)


def test_training_step_on_a_protein_ligand_complex_covers_the_ligand(item):
    model = _pair(True).train()
    batch = collate([item])
    out = model(batch, multiplicity=2, generator=torch.Generator().manual_seed(0))
    weights = {"diffusion": 4.0, "smooth_lddt": 1.0, "local_geometry": 1.0, "distogram": 0.03, "bfactor": 0.05}
    terms = total_loss(out, batch, weights, model.cfg.sigma_data)
    assert float(terms["ligand_geometry"]) > 0 and torch.isfinite(terms["loss"])
    terms["loss"].backward()
    for name in ("trunk.embedder.ligand_atom.weight", "trunk.embedder.ligand_bond.weight", "denoiser.ligand_atom.weight"):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_ligand_geometry_loss_is_zero_for_the_truth_and_counts_bonds_and_angles():
    # a three-atom chain a-b-c: the a-c distance is an angle pair, counted; nothing else
    x = torch.zeros(1, 1, 3, 14, 3)
    x[0, 0, :, CA_SLOT] = torch.tensor([[0.0, 0, 0], [1.5, 0, 0], [2.25, 1.3, 0]])
    w = torch.zeros(1, 3, 14)
    w[..., CA_SLOT] = 1.0
    bonds = torch.zeros(1, 3, 3, 4)
    bonds[0, 0, 1, 0] = bonds[0, 1, 0, 0] = bonds[0, 1, 2, 0] = bonds[0, 2, 1, 0] = 1.0
    assert float(ligand_geometry_loss(x, x, w, bonds)) == 0.0
    moved = x.clone()
    moved[0, 0, 2, CA_SLOT, 0] += 0.4  # changes b-c (bond) and a-c (angle)
    true, pred = x[0, 0, :, CA_SLOT].double().numpy(), moved[0, 0, :, CA_SLOT].double().numpy()
    err = []
    for i, j in ((0, 1), (1, 2), (0, 2)):  # bond, bond, angle
        diff = abs(np.linalg.norm(pred[i] - pred[j]) - np.linalg.norm(true[i] - true[j]))
        err.append(0.5 * diff**2 if diff < 1.0 else diff - 0.5)
    expected = 2 * sum(err) / 6  # each pair twice (i, j and j, i) over 6 ordered pairs
    assert float(ligand_geometry_loss(moved, x, w, bonds)) == pytest.approx(expected, rel=1e-5)


def test_small_preset_trains_on_a_protein_ligand_store(tmp_path):
    """The dataset joins the stored ligands to their protein; a small-preset run trains on the complex."""
    from dynafold.data.dataset import EnsembleDataset
    from dynafold.data.prepare import prepare_store
    from dynafold.data.sources import SourceOptions
    from dynafold.model.checkpoint import load_model
    from dynafold.train.run import train

    store = tmp_path / "store"
    prepare_store("traj", [POCKET / "pocket.xtc"], store, SourceOptions(topology=str(POCKET / "pocket.pdb")))
    item = EnsembleDataset(store, crop_size=64).get(0, np.random.default_rng(0))
    lig = item["ligand_mask"]
    assert int(lig.sum()) == 43 and lig.shape == (64,)  # the whole ligand and its 21 nearest residues
    assert item["ligand_bonds"][lig][:, lig][..., 0].sum() == 100
    assert item["bfactor_mask"][lig].all()
    seen = []
    path = train(store, "small", tmp_path / "run", max_steps=2, seed=0, accelerator="cpu",
                 progress=lambda step, total, terms: seen.append(terms))
    assert len(seen) == 2 and all(t["ligand_geometry"] > 0 for t in seen)
    model, cfg = load_model(path)
    assert cfg.ligand_tokens and hasattr(model.denoiser, "ligand_atom")
    # validation on a complex scores the protein part of the sampled conformers
    from dynafold.train.config import TrainConfig
    from dynafold.train.validate import validate

    scores = validate(model, EnsembleDataset(store), TrainConfig(val_samples=2, val_sample_steps=2))
    assert np.isfinite(scores["val/distogram"]) and "val/rmsf_pearson" in scores
