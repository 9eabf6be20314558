"""Curation rules: ATLAS frame draw, mdCATH tail, ligand distance."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from dynafold.data.curation import (
    atlas_frame_indices,
    last_fraction_start,
    ligand_is_multi_residue,
    ligand_is_peptide,
    ligand_leaves_protein,
    min_distance_per_frame,
)


def test_atlas_rule_draws_100_distinct_frames_from_last_10ns() -> None:
    times = np.arange(10_001) * 10.0  # 100 ns at 10 ps, like an ATLAS replica
    idx = atlas_frame_indices(times, seed=3)
    assert len(idx) == 100 and len(np.unique(idx)) == 100
    assert (times[idx] >= times[-1] - 10_000.0).all()
    assert np.array_equal(idx, atlas_frame_indices(times, seed=3))
    assert not np.array_equal(idx, atlas_frame_indices(times, seed=4))
    # uniform over the window: the draws cover its whole span
    assert times[idx].min() < 91_000 and times[idx].max() > 99_000


def test_atlas_rule_short_window_takes_all_frames() -> None:
    times = np.arange(101) * 1000.0  # 1 ns apart: 11 frames in the last 10 ns
    idx = atlas_frame_indices(times, seed=0)
    assert np.array_equal(idx, np.arange(90, 101))


def test_atlas_rule_on_real_trajectory_times(shared_data) -> None:
    from dynafold.io import load

    ens = load(shared_data / "md/adk_oplsaa/adk_oplsaa.xtc", shared_data / "md/adk_oplsaa/adk_oplsaa.gro")
    assert ens.times_ps is not None
    span = float(ens.times_ps[-1] - ens.times_ps[0])
    window = span / 2
    idx = atlas_frame_indices(ens.times_ps, n_frames=3, window_ps=window, seed=1)
    assert len(set(idx.tolist())) == 3
    assert (ens.times_ps[idx] >= ens.times_ps[-1] - window).all()


@pytest.mark.parametrize(("n", "start"), [(500, 450), (10, 9), (1, 0), (95, 85)])
def test_mdcath_last_ten_percent(n: int, start: int) -> None:
    assert last_fraction_start(n) == start


def test_min_distance_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 50, 3)) * 10
    b = rng.normal(size=(4, 7, 3)) * 10 + 5
    expected = [cdist(a[k], b[k]).min() for k in range(4)]
    assert np.allclose(min_distance_per_frame(a, b), expected)


def test_ligand_distance_rule_any_frame() -> None:
    protein = np.zeros((3, 1, 3))
    ligand = np.zeros((3, 1, 3))
    ligand[:, 0, 0] = [4.0, 11.9, 4.0]
    assert not ligand_leaves_protein(protein, ligand)
    ligand[1, 0, 0] = 12.1
    assert ligand_leaves_protein(protein, ligand)


def test_ligand_type_rules() -> None:
    assert ligand_is_multi_residue(2) and not ligand_is_multi_residue(1)
    assert ligand_is_peptide(["ALA", "MOL"], "1abc")
    assert ligand_is_peptide(["SEP"], "1abc")  # modified amino acid
    assert not ligand_is_peptide(["MOL"], "1abc")
    assert ligand_is_peptide(["MOL"], "3L6X", frozenset({"3l6x"}))
