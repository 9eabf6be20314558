"""Targets on real ensembles, checked against plain float64 loops and mdtraj."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dynafold.const import DISTOGRAM_BOUNDARIES_A
from dynafold.data.targets import (
    aggregated_distogram,
    distogram_bins,
    representative_coords,
    residue_targets,
    sample_conformer,
    template_candidates,
)


@pytest.fixture(scope="module")
def nmr(shared_data):
    from dynafold.io import load

    return load(shared_data / "nmr/1gya.pdb").protein()


@pytest.fixture(scope="module")
def mdcath(shared_data):
    from dynafold.io import load

    md = shared_data / "md/mdcath_2hbaA00"
    return load(md / "2hbaA00_320_0.xtc", md / "2hbaA00.pdb", stride=10).protein()


def test_distogram_matches_loop_on_nmr_ensemble(nmr) -> None:
    coords, mask = representative_coords(nmr)
    got = aggregated_distogram(coords, mask)
    k_conf, n_res = coords.shape[:2]
    expected = np.zeros((n_res, n_res, 64))
    for k in range(k_conf):
        for i in range(n_res):
            for j in range(n_res):
                d = math.dist(coords[k, i].astype(np.float64), coords[k, j].astype(np.float64))
                expected[i, j, sum(1 for b in DISTOGRAM_BOUNDARIES_A if b < d)] += 1.0 / k_conf
    expected[~(mask[:, None] & mask[None, :])] = 0.0
    assert np.allclose(got, expected, atol=1e-6)
    assert np.allclose(got[mask][:, mask].sum(-1), 1.0, atol=1e-5)
    assert (got[mask][:, mask].max(-1) < 1).any()  # a real ensemble gives soft targets


def test_distogram_blocks_agree(nmr, monkeypatch) -> None:
    import dynafold.data.targets as targets

    coords, mask = representative_coords(nmr)
    whole = aggregated_distogram(coords, mask)
    monkeypatch.setattr(targets, "_ROW_BLOCK", 32)
    assert np.array_equal(aggregated_distogram(coords, mask), whole)


def test_distogram_bin_side() -> None:
    b = DISTOGRAM_BOUNDARIES_A
    assert distogram_bins(np.array([0.0, b[0], b[0] + 1e-6, b[-1], 100.0])).tolist() == [0, 0, 1, 62, 63]


def _mdtraj_rmsf(folder, selection: str) -> np.ndarray:
    """RMSF with mdtraj: fit to frame 0, then repeatedly to the mean structure."""
    import mdtraj as md

    traj = md.load(str(folder / "2hbaA00_320_0.xtc"), top=str(folder / "2hbaA00.pdb"), stride=10)
    traj = traj.atom_slice(traj.topology.select(selection))
    traj.superpose(traj, 0)
    for _ in range(30):
        traj.superpose(md.Trajectory(traj.xyz.mean(0, keepdims=True), traj.topology), 0)
    xyz = traj.xyz.astype(np.float64) * 10.0
    return np.sqrt(((xyz - xyz.mean(0)) ** 2).sum(-1).mean(0))


def test_md_rmsf_and_bfactor_targets_match_mdtraj(shared_data, mdcath) -> None:
    folder = shared_data / "md/mdcath_2hbaA00"
    targets = residue_targets(mdcath)
    assert targets["rmsf_mask"].all() and targets["bfactor_mask"].all()
    assert np.allclose(targets["rmsf_A"], _mdtraj_rmsf(folder, "name CA"), atol=2e-3)
    rep_rmsf = _mdtraj_rmsf(folder, "name CB or (resname GLY and name CA)")
    assert np.allclose(targets["bfactor_A2"], 8 * math.pi**2 / 3 * rep_rmsf**2, rtol=1e-3, atol=1e-3)
    assert (targets["rmsf_A"] > 0.1).all()


def test_xray_bfactor_from_file(shared_data) -> None:
    import gemmi

    from dynafold.io import load

    targets = residue_targets(load(shared_data / "xray/1aki.pdb").protein())
    st = gemmi.read_structure(str(shared_data / "xray/1aki.pdb"))
    expected = [next(a for a in res if a.name == ("CA" if res.name == "GLY" else "CB")).b_iso
                for res in st[0][0] if res.het_flag == "A"]
    assert np.allclose(targets["bfactor_A2"], expected, atol=1e-3)
    assert targets["bfactor_mask"].all() and not targets["rmsf_mask"].any()


def test_sample_conformer_uniform_and_seeded() -> None:
    draws = [sample_conformer(4, np.random.default_rng(s)) for s in range(4000)]
    counts = np.bincount(draws, minlength=4)
    assert counts.min() > 850 and counts.max() < 1150
    assert sample_conformer(7, np.random.default_rng(5)) == sample_conformer(7, np.random.default_rng(5))


def test_template_candidates_evenly_spaced_from_the_first() -> None:
    assert template_candidates(38, 8).tolist() == [0, 5, 11, 16, 21, 26, 32, 37]
    assert template_candidates(3, 8).tolist() == [0, 1, 2]
    assert template_candidates(1, 8).tolist() == [0]
    assert template_candidates(500, 1).tolist() == [0]
