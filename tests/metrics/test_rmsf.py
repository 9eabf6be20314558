"""RMSF against the MDAnalysis fixture and an mdtraj superposition."""

from __future__ import annotations

import mdtraj as md
import numpy as np
import pytest

from dynafold.const import DEBYE_WALLER_FACTOR
from dynafold.errors import DynafoldInputError
from dynafold.io import load
from dynafold.metrics.rmsf import bfactor_to_rmsf, residue_rmsf, rmsf, rmsf_to_bfactor
from dynafold.metrics.superpose import kabsch_fit, pairwise_rmsd


@pytest.fixture(scope="module")
def adk(shared_data):
    folder = shared_data / "md" / "adk_oplsaa"
    return folder, load(folder / "adk_oplsaa.xtc", folder / "adk_oplsaa.gro")


def test_unfitted_ca_rmsf_equals_mdanalysis_fixture(adk):
    folder, ens = adk
    expected = np.load(folder / "adk_oplsaa_CA_rmsf.npy")
    got = residue_rmsf(ens, superpose="none")
    assert got.shape == (214,)
    np.testing.assert_allclose(got, expected, atol=1e-3, rtol=0)


def _mdtraj_ca(ens) -> md.Trajectory:
    ca = ens.ca()
    top = md.Topology()
    chain = top.add_chain()
    for r in range(ca.n_atoms):
        res = top.add_residue("ALA", chain)
        top.add_atom("CA", md.element.carbon, res)
    return md.Trajectory(ca.coords / 10.0, top)


def test_fitted_rmsf_matches_mdtraj_superposition(adk):
    _, ens = adk
    traj = _mdtraj_ca(ens)
    traj.superpose(traj, 0)
    x = traj.xyz.astype(np.float64) * 10.0
    expected_first = np.sqrt(((x - x.mean(0)) ** 2).sum(-1).mean(0))
    np.testing.assert_allclose(residue_rmsf(ens, superpose="first"), expected_first, atol=1e-3)
    # a given structure: fit onto frame 3
    traj = _mdtraj_ca(ens)
    traj.superpose(traj, 3)
    x = traj.xyz.astype(np.float64) * 10.0
    expected_given = np.sqrt(((x - x.mean(0)) ** 2).sum(-1).mean(0))
    np.testing.assert_allclose(rmsf(ens.ca().coords, ens.ca().coords[3]), expected_given, atol=1e-3)
    # fitting to the mean: superposing onto the resulting mean with mdtraj changes nothing
    mean_fit = residue_rmsf(ens, superpose="mean")
    assert not np.allclose(mean_fit, expected_first, atol=1e-3)
    from dynafold.metrics.superpose import fit_to_mean

    fitted = fit_to_mean(ens.ca().coords)
    traj = _mdtraj_ca(ens)
    ref = md.Trajectory(fitted.mean(0)[None] / 10.0, traj.topology)
    traj.superpose(ref, 0)
    x = traj.xyz.astype(np.float64) * 10.0
    np.testing.assert_allclose(mean_fit, np.sqrt(((x - x.mean(0)) ** 2).sum(-1).mean(0)), atol=1e-3)


def test_pairwise_rmsd_matches_mdtraj(adk):
    _, ens = adk
    traj = _mdtraj_ca(ens)
    got = pairwise_rmsd(ens.ca().coords)
    np.testing.assert_array_equal(np.diag(got), 0.0)
    for a in range(3):
        off = np.arange(len(got)) != a  # mdtraj's float32 self-RMSD is not exactly 0
        np.testing.assert_allclose(got[a][off], md.rmsd(traj, traj, a)[off] * 10.0, atol=1e-3)


def test_pairwise_rmsd_in_blocks_equals_each_pairs_kabsch_fit(adk, monkeypatch):
    """Blocks of a few conformers give the RMSD of each pair's own Kabsch fit (float64), a mirror image
    included (no reflection allowed)."""
    from dynafold.metrics import superpose

    _, ens = adk
    x = ens.ca().coords[:9].astype(np.float64)
    x[8] = x[7] * np.array([1.0, 1.0, -1.0])
    want = np.zeros((9, 9))
    for a in range(9):
        want[a] = np.sqrt(((kabsch_fit(x, x[a]) - x[a]) ** 2).sum(-1).mean(-1))
    monkeypatch.setattr(superpose, "_PAIRS_PER_BLOCK", 20)  # blocks of 2 conformers
    got = pairwise_rmsd(x)
    np.testing.assert_allclose(got, want, atol=1e-9)
    assert got[7, 8] > 1.0 and (got == got.T).all()


def test_kabsch_recovers_a_rotation():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 3)) * 5
    angle = 0.7
    rot = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    moved = x @ rot.T + [3.0, -2.0, 8.0]
    np.testing.assert_allclose(kabsch_fit(moved[None], x)[0], x, atol=1e-9)


def test_bfactor_rmsf_round_trip():
    r = np.array([0.0, 0.5, 1.0, 2.3])
    b = rmsf_to_bfactor(r)
    np.testing.assert_allclose(b, 8 * np.pi**2 / 3 * r**2)
    assert DEBYE_WALLER_FACTOR == pytest.approx(26.3189, abs=1e-4)
    np.testing.assert_allclose(bfactor_to_rmsf(b), r)
    assert bfactor_to_rmsf(np.array([-1.0]))[0] == 0.0


def test_bad_superposition_mode_raises():
    with pytest.raises(DynafoldInputError):
        rmsf(np.zeros((2, 3, 3)), superpose="best")
