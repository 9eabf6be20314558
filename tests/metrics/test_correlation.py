"""Correlation statistics against scipy.stats on real B-factor profiles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dynafold.errors import DynafoldInputError
from dynafold.io import load
from dynafold.metrics.correlation import correlation_summary, pearson, rmse, spearman
from dynafold.metrics.rmsf import bfactor_to_rmsf, residue_rmsf


@pytest.fixture(scope="module")
def profiles(shared_data):
    """(NMR RMSF, B-factor RMSF of the first model) per NMR entry: real, tied values included."""
    out = []
    for name in ("1l2y", "1gya", "nmr_neopetrosiamide"):
        ens = load(shared_data / "nmr" / f"{name}.pdb")
        out.append((residue_rmsf(ens), np.round(residue_rmsf(ens, "first"), 1)))
    return out


def test_single_statistics_match_scipy(profiles):
    for pred, ref in profiles:
        assert pearson(pred, ref) == pytest.approx(stats.pearsonr(pred, ref)[0], abs=1e-12)
        assert spearman(pred, ref) == pytest.approx(stats.spearmanr(pred, ref)[0], abs=1e-12)
        assert rmse(pred, ref) == pytest.approx(np.sqrt(np.mean((pred - ref) ** 2)), abs=1e-12)


def test_summary_global_and_per_target(profiles):
    preds = [p for p, _ in profiles]
    refs = [r for _, r in profiles]
    s = correlation_summary(preds, refs)
    pooled_p, pooled_r = np.concatenate(preds), np.concatenate(refs)
    assert s["n_targets"] == 3 and s["n_residues"] == len(pooled_p)
    assert s["global"]["pearson"] == pytest.approx(stats.pearsonr(pooled_p, pooled_r)[0], abs=1e-12)
    assert s["global"]["spearman"] == pytest.approx(stats.spearmanr(pooled_p, pooled_r)[0], abs=1e-12)
    per = [stats.spearmanr(p, r)[0] for p, r in profiles]
    assert s["per_target"]["spearman"]["mean"] == pytest.approx(np.mean(per), abs=1e-12)
    assert s["per_target"]["spearman"]["median"] == pytest.approx(np.median(per), abs=1e-12)
    assert s["per_target"]["pearson"]["values"] == pytest.approx(
        [stats.pearsonr(p, r)[0] for p, r in profiles], abs=1e-12)


def test_xray_bfactor_profile_correlates_with_itself_in_rmsf_units(shared_data):
    ens = load(shared_data / "xray" / "1aki.pdb").ca()
    b = ens.bfactors[0]
    r = bfactor_to_rmsf(b)
    assert spearman(b, r) == pytest.approx(1.0)
    assert pearson(b, r) < 1.0


def test_mismatched_lengths_raise():
    with pytest.raises(DynafoldInputError):
        pearson(np.zeros(3), np.zeros(4))
    with pytest.raises(DynafoldInputError):
        correlation_summary([np.zeros(3)], [])
