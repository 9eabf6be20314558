"""training/evaluate_shipped.py splits the global RMSF r into pattern and width per target."""

from __future__ import annotations

import numpy as np
from training_scripts import training_script


def test_width_rows_rescale_each_target_to_gnm_and_to_the_reference():
    rng = np.random.default_rng(0)
    ref = {"a": rng.uniform(0.3, 1.0, 12), "b": rng.uniform(1.0, 3.0, 20)}
    pred = {"a": ref["a"] * 4.0 + rng.normal(0, 0.05, 12), "b": ref["b"] * 0.3 + rng.normal(0, 0.05, 20)}
    gnm = {"a": rng.uniform(0.5, 1.5, 12), "b": rng.uniform(0.5, 1.5, 20)}

    def entry(p, name):
        return {"rmsf": {"pred_A": p[name].tolist(), "ref_A": ref[name].tolist()}}

    results = {"per_target": {"model": {n: entry(pred, n) for n in ref}, "gnm": {n: entry(gnm, n) for n in ref}}}
    with training_script("evaluate_shipped") as script:
        rows = script.width_rows(results["per_target"])
    model_row = [float(x) for x in rows[0].strip("| ").split(" | ")[1:]]
    truth = np.concatenate([ref["a"], ref["b"]])

    def r(parts):
        return np.corrcoef(np.concatenate(parts), truth)[0, 1]

    expected = [r([pred["a"], pred["b"]]),
                r([pred[n] * gnm[n].mean() / pred[n].mean() for n in ("a", "b")]),
                r([pred[n] * ref[n].mean() / pred[n].mean() for n in ("a", "b")])]
    np.testing.assert_allclose(model_row, expected, atol=6e-4)  # printed to 3 decimals
    assert model_row[2] > 0.9 > model_row[0]  # the pattern is right, the width per target is not
    assert rows[1].startswith("| gnm | ") and len(set(rows[1].split(" | ")[1:3])) == 1  # GNM as itself
