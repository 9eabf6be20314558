"""training/evaluate_shipped.py splits the global RMSF r into pattern and width per target."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "training" / "evaluate_shipped.py"


def _load_script():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        spec = importlib.util.spec_from_file_location("evaluate_shipped_script", SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look themselves up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SCRIPT.parent))
        sys.modules.pop("evaluate_shipped_script", None)


def test_width_rows_rescale_each_target_to_gnm_and_to_the_reference(tmp_path):
    rng = np.random.default_rng(0)
    ref = {"a": rng.uniform(0.3, 1.0, 12), "b": rng.uniform(1.0, 3.0, 20)}
    pred = {"a": ref["a"] * 4.0 + rng.normal(0, 0.05, 12), "b": ref["b"] * 0.3 + rng.normal(0, 0.05, 20)}
    gnm = {"a": rng.uniform(0.5, 1.5, 12), "b": rng.uniform(0.5, 1.5, 20)}

    def entry(p, name):
        return {"rmsf": {"pred_A": p[name].tolist(), "ref_A": ref[name].tolist()}}

    results = {"per_target": {"model": {n: entry(pred, n) for n in ref}, "gnm": {n: entry(gnm, n) for n in ref}}}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))

    rows = _load_script().width_rows(path)
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
