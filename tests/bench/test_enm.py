"""ANM/GNM against plain float64 loops and numpy.linalg.pinv on real structures."""

from __future__ import annotations

import numpy as np
import pytest

import dynafold.enm as network
from dynafold.bench import enm
from dynafold.io import load


@pytest.fixture(scope="module")
def ca_1gya(shared_data):
    return load(shared_data / "nmr" / "1gya.pdb").ca().coords[0].astype(np.float64)


def _loop_kirchhoff(x, cutoff):
    n = len(x)
    g = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j and np.sqrt(((x[i] - x[j]) ** 2).sum()) < cutoff:
                g[i, j] = -1.0
                g[i, i] += 1.0
    return g


def _loop_hessian(x, cutoff):
    n = len(x)
    h = np.zeros((3 * n, 3 * n))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            d = x[j] - x[i]
            r2 = float(d @ d)
            if r2 >= cutoff**2:
                continue
            block = -np.outer(d, d) / r2
            h[3 * i:3 * i + 3, 3 * j:3 * j + 3] = block
            h[3 * i:3 * i + 3, 3 * i:3 * i + 3] -= block
    return h


def test_gnm_matches_pinv_of_loop_kirchhoff(ca_1gya):
    g = _loop_kirchhoff(ca_1gya, 7.3)
    np.testing.assert_array_equal(network.gnm_kirchhoff(ca_1gya), g)
    expected = np.diag(np.linalg.pinv(g, rcond=1e-8, hermitian=True))
    np.testing.assert_allclose(enm.raw_msf(ca_1gya, "gnm"), expected, rtol=1e-8)
    assert len(network.nonzero_modes(g)[0]) == len(g) - 1


def test_anm_matches_pinv_of_loop_hessian(ca_1gya):
    x = ca_1gya[:60]
    h = _loop_hessian(x, 15.0)
    np.testing.assert_allclose(network.anm_hessian(x), h, atol=1e-12)
    inv = np.linalg.pinv(h, rcond=1e-8, hermitian=True)
    expected = np.array([np.trace(inv[3 * i:3 * i + 3, 3 * i:3 * i + 3]) for i in range(len(x))])
    np.testing.assert_allclose(enm.raw_msf(x, "anm"), expected, rtol=1e-7)
    assert len(network.nonzero_modes(h)[0]) == 3 * len(x) - 6  # six rigid-body modes


def test_enm_fluctuations_track_md_rmsf(shared_data):
    """The ENM profile follows the MD C-alpha RMSF of NTL9 (mdtraj superposition, 500 frames)."""
    import mdtraj

    folder = shared_data / "md" / "mdcath_2hbaA00"
    traj = mdtraj.load(str(folder / "2hbaA00_320_0.xtc"), top=str(folder / "2hbaA00.pdb"))
    traj = traj.atom_slice(traj.topology.select("protein and name CA"))
    traj.superpose(traj, 0)
    xyz = traj.xyz.astype(np.float64) * 10.0
    md_rmsf = np.sqrt(((xyz - xyz.mean(0)) ** 2).sum(-1).mean(0))
    for model in enm.MODELS:
        r = np.corrcoef(np.sqrt(enm.raw_msf(xyz[0], model)), md_rmsf)[0, 1]
        assert r > 0.75, (model, r)


@pytest.mark.parametrize("model", enm.MODELS)
def test_sampled_ensemble_has_the_model_fluctuations(shared_data, model):
    ens = load(shared_data / "nmr" / "1l2y.pdb").select_frames([0])
    samples = enm.sample_enm(ens, model, n_samples=4000, seed=3, scale=0.7)
    assert samples.coords.shape == (4000, 20, 3)
    msd = ((samples.coords.astype(np.float64) - ens.ca().coords[0]) ** 2).sum(-1).mean(0)
    expected = enm.enm_rmsf(ens.ca().coords[0], model, scale=0.7) ** 2
    np.testing.assert_allclose(msd, expected, rtol=0.1)
    again = enm.sample_enm(ens, model, n_samples=5, seed=3, scale=0.7)
    np.testing.assert_array_equal(again.coords, samples.coords[:5])


def test_fit_scale_closed_form_equals_lstsq():
    rng = np.random.default_rng(0)
    raw = [rng.uniform(0.1, 2, 30), rng.uniform(0.1, 2, 12)]
    rmsf = [rng.uniform(0.3, 3, 30), rng.uniform(0.3, 3, 12)]
    a = enm.fit_scale(raw, rmsf)
    design = np.sqrt(np.concatenate(raw))[:, None]
    expected = np.linalg.lstsq(design, np.concatenate(rmsf), rcond=None)[0][0]
    assert a == pytest.approx(expected, rel=1e-12)


def test_unknown_model_is_a_clear_error(ca_1gya):
    from dynafold.errors import DynafoldInputError

    with pytest.raises(DynafoldInputError, match="valid: anm, gnm"):
        enm.raw_msf(ca_1gya, "foo")


def test_shipped_scales_are_fitted_on_training_md_only():
    """enm_scales.json comes from equilibrium MD of the training split, never from a validation system."""
    import csv
    import json
    from pathlib import Path

    training = Path(__file__).resolve().parents[2] / "training"
    record = json.loads(enm.SCALES_PATH.read_text())
    with open(training / "validation_split.csv", newline="") as f:
        held_out = {row["name"] for row in csv.DictReader(f)}
    fitted_on = set(record["fitted_on"])
    assert fitted_on and not fitted_on & held_out
    assert fitted_on <= set((training / "training_systems.txt").read_text().split())


def test_shipped_scales_are_reproduced_by_fit_scales(tmp_path):
    """With the training corpus at hand (DYNAFOLD_CORPUS_STORE), training/fit_enm_scales.py remakes the file."""
    import json
    import os
    from pathlib import Path

    store = os.environ.get("DYNAFOLD_CORPUS_STORE")
    if not store or not Path(store).is_dir():
        pytest.skip("set DYNAFOLD_CORPUS_STORE to the store of training/corpus.py to refit the ENM scales")
    from dynafold.bench.targets import make_targets_from

    record = json.loads(enm.SCALES_PATH.read_text())
    (tmp_path / "systems.csv").write_text("name\n" + "\n".join(record["fitted_on"]) + "\n")
    make_targets_from("store", store, tmp_path / "md.csv", tmp_path / "systems.csv")
    fitted = enm.fit_scales(tmp_path / "md.csv", out=None)
    for model in enm.MODELS:
        assert fitted[model] == pytest.approx(record[model], rel=1e-6)


@pytest.mark.parametrize("model", enm.MODELS)
def test_covariance_equals_pinv_and_features_normalise_it(ca_1gya, model):
    """Residue covariance = plain pinv of the loop-built matrix; features are its normalised log MSF and correlations."""
    from dynafold.enm import enm_features, residue_covariance

    x = ca_1gya[:60]
    n = len(x)
    if model == "gnm":
        expected = np.linalg.pinv(_loop_kirchhoff(x, 7.3), rcond=1e-8, hermitian=True)
    else:
        inv = np.linalg.pinv(_loop_hessian(x, 15.0), rcond=1e-8, hermitian=True)
        expected = np.array([[np.trace(inv[3 * i:3 * i + 3, 3 * j:3 * j + 3]) for j in range(n)] for i in range(n)])
    cov = residue_covariance(x, model)
    np.testing.assert_allclose(cov, expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max())
    mask = np.ones(n, dtype=bool)
    mask[5] = False  # a residue without C-alpha: zeros, and the others as without it
    single, pair = enm_features(x, mask)
    k = enm.MODELS.index(model)
    sub = residue_covariance(x[mask], model)
    log_msf = np.log(np.diag(sub))
    np.testing.assert_allclose(single[mask, k], log_msf - log_msf.mean(), atol=1e-5)
    np.testing.assert_allclose(single[mask, len(enm.MODELS) + k], log_msf, atol=1e-5)
    corr = sub / np.sqrt(np.outer(np.diag(sub), np.diag(sub)))
    np.testing.assert_allclose(pair[np.ix_(mask, mask, [k])][..., 0], corr, atol=1e-5)
    assert not single[5].any() and not pair[5].any() and not pair[:, 5].any()


def _loop_wcn(x):
    return np.array([sum(1.0 / max(float(((x[i] - x[j]) ** 2).sum()), 1.0) for j in range(len(x)) if j != i)
                     for i in range(len(x))])


def test_weighted_contact_number_equals_loop_and_follows_gnm(ca_1gya):
    """Sum of 1 / d^2 as a plain loop; its inverse ranks residues like the GNM fluctuations (Lin et al. 2008)."""
    from dynafold.enm import raw_msf, weighted_contact_number

    x = ca_1gya
    wcn = weighted_contact_number(x)
    np.testing.assert_allclose(wcn, _loop_wcn(x), rtol=1e-12)
    assert np.corrcoef(1.0 / wcn, raw_msf(x, "gnm"))[0, 1] > 0.7
    twice = np.concatenate([x[:3], x[:1]])  # a coincident atom counts as 1 A away
    assert weighted_contact_number(twice)[0] == pytest.approx(_loop_wcn(twice)[0])


def test_disconnected_parts_are_inverted_apart(ca_1gya):
    """Two copies 100 A apart: each part's covariance equals the part alone, no cross terms."""
    from dynafold.enm import network_matrix, nonzero_modes, residue_covariance

    x = ca_1gya[:40]
    both = np.concatenate([x, x + 100.0])
    for model in enm.MODELS:
        cov = residue_covariance(both, model)
        alone = residue_covariance(x, model)
        np.testing.assert_allclose(cov[:40, :40], alone, rtol=1e-6, atol=1e-9)
        assert not cov[:40, 40:].any()
        values, vectors = nonzero_modes(network_matrix(both, model))  # eigen route on the whole matrix
        full = (vectors / values) @ vectors.T
        if model == "anm":
            full = np.einsum("iaja->ij", full.reshape(80, 3, 80, 3))
        np.testing.assert_allclose(cov, full, rtol=1e-5, atol=1e-8)


def test_anm_factor_gives_the_anm_covariance(ca_1gya):
    """F F^T = pinv(H) (plain pseudo-inverse of the loop-built Hessian), per connected part; a lone residue
    does not move."""
    from dynafold.enm import anm_factor

    x = ca_1gya[:40]
    expected = np.linalg.pinv(_loop_hessian(x, 15.0), rcond=1e-8, hermitian=True)
    factor = anm_factor(x)
    np.testing.assert_allclose(factor @ factor.T, expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max())
    both = np.concatenate([x, x + 100.0, [[300.0, 0.0, 0.0]]])
    factor = anm_factor(both)
    cov = factor @ factor.T
    np.testing.assert_allclose(cov[:120, :120], expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max())
    np.testing.assert_allclose(cov[120:240, 120:240], expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max())
    assert not cov[:120, 120:].any() and not factor[240:].any()


def test_template_anm_noise_scales_to_unit_noise_and_skips_ligands(ca_1gya):
    from dynafold.const import CA_SLOT
    from dynafold.data.features import template_anm_noise
    from dynafold.enm import anm_factor

    n = 30
    coords = np.zeros((n + 2, 14, 3))
    coords[:n, CA_SLOT] = ca_1gya[:n]
    coords[n:, CA_SLOT] = ca_1gya[:2] + 1.0  # two ligand atoms
    mask = np.zeros((n + 2, 14), dtype=bool)
    mask[:, CA_SLOT] = True
    mask[7, CA_SLOT] = False  # a residue without C-alpha
    ligand = np.arange(n + 2) >= n
    noise = template_anm_noise(coords, mask, ligand)
    keep = mask[:, CA_SLOT] & ~ligand
    assert noise.shape == (n + 2, 3, 3 * keep.sum()) and noise.dtype == np.float32
    assert not noise[~keep].any()
    msf = np.square(noise[keep]).sum(axis=(1, 2))
    assert msf.mean() == pytest.approx(3.0, rel=1e-5)
    raw = anm_factor(ca_1gya[:n][keep[:n]])
    raw_msf = np.square(raw).sum(axis=1).reshape(-1, 3).sum(axis=1)
    np.testing.assert_allclose(msf / msf.mean(), raw_msf / raw_msf.mean(), rtol=1e-4)
