"""`dynafold benchmark` end to end on every MD and NMR reference of the shared data."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dynafold.bench import benchmark
from dynafold.bench.generators import parse_generators
from dynafold.bench.report import ROWS
from dynafold.bench.targets import load_reference, read_targets

GENERATORS = ["anm", "gnm", "md-split"]
SETTINGS = {"samples": 12, "ref_frames": 40, "seed": 5, "atoms": "ca"}


@pytest.fixture(scope="module")
def progress_calls() -> list[tuple[int, int, str]]:
    """The (done, total, target) calls of the report's progress callback."""
    return []


@pytest.fixture(scope="module")
def report(shared_targets, tmp_path_factory, progress_calls):
    out = tmp_path_factory.mktemp("report")
    content = benchmark(shared_targets, GENERATORS, out, progress=lambda *call: progress_calls.append(call),
                        **SETTINGS)
    return out, content


def test_progress_is_reported_after_each_target(report, progress_calls, shared_targets):
    names = [t.name for t in read_targets(shared_targets)]
    assert progress_calls == [(i, len(names), name) for i, name in enumerate(names, 1)]


def test_report_files_and_table_layout(report, shared_targets):
    out, content = report
    assert content["failures"] == []
    rows = list(csv.reader((out / "table.csv").open()))
    assert rows[0] == ["metric", *GENERATORS]
    assert [r[0] for r in rows[1:]] == [key for key, _, _ in ROWS]
    md = (out / "table.md").read_text()
    assert "| Metric | anm | gnm | md-split |" in md and "**" in md
    names = [t.name for t in read_targets(shared_targets)]
    assert len(names) == 7
    for gen in GENERATORS:
        assert list(content["per_target"][gen]) == names
    prov = json.loads((out / "results.json").read_text())["provenance"]
    assert prov["settings"]["seed"] == 5 and prov["settings"]["atoms"] == "ca"
    assert len(prov["targets"]["adk"]["reference"]) == 64  # sha256 of each reference file
    html = (out / "index.html").read_text()
    assert "<table id='results'>" in html and html.count("<img") >= 3 * (1 + 7)


def test_each_number_equals_evaluate_ensembles(report, shared_targets):
    """Per-target numbers equal a direct evaluate_ensembles call on the same pair (what `evaluate` does)."""
    from dynafold.metrics.evaluate import evaluate_ensembles

    out, content = report
    targets = {t.name: t for t in read_targets(shared_targets)}
    for gen in parse_generators(GENERATORS):
        for name in ("2hbaA00", "1l2y"):
            ref = load_reference(targets[name])
            pred, ref = gen.ensembles(targets[name], ref, SETTINGS["samples"], SETTINGS["seed"])
            direct = evaluate_ensembles(pred, ref, atoms="ca", ref_frames=40, seed=5)
            got = content["per_target"][gen.label][name]
            assert got["rmsf"]["pearson"] == pytest.approx(direct["rmsf"]["pearson"], abs=1e-12)
            np.testing.assert_allclose(got["rmsf"]["pred_A"], direct["rmsf"]["pred_A"], atol=1e-12)
            for key in ("precision", "recall", "diversity"):
                assert got["lddt"][key] == pytest.approx(direct["lddt"][key], abs=1e-12)


def test_table_values_follow_from_the_per_target_numbers(report):
    from scipy.stats import pearsonr, spearmanr

    out, content = report
    for gen in GENERATORS:
        per = list(content["per_target"][gen].values())
        pred = np.concatenate([m["rmsf"]["pred_A"] for m in per])
        ref = np.concatenate([m["rmsf"]["ref_A"] for m in per])
        row = content["table"][gen]
        assert row["global_rmsf_r"] == pytest.approx(pearsonr(pred, ref)[0], abs=1e-9)
        assert row["global_rmsf_rho"] == pytest.approx(spearmanr(pred, ref)[0], abs=1e-9)
        assert row["global_rmsf_rmse_A"] == pytest.approx(np.sqrt(np.mean((pred - ref) ** 2)), abs=1e-9)
        assert row["precision_lddt"] == pytest.approx(np.mean([m["lddt"]["precision"] for m in per]), abs=1e-12)


def test_rerun_uses_the_cache_and_gives_the_same_numbers(report, shared_targets, tmp_path):
    out, content = report
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    again = benchmark(shared_targets, GENERATORS, copy, plots=False, **SETTINGS)
    assert again["per_target"] == content["per_target"]
    assert again["table"] == content["table"]
    # a changed setting invalidates the cached result of that target
    records = json.loads((copy / "targets" / "anm" / "1l2y.json").read_text())
    changed = benchmark(shared_targets, ["anm"], copy, plots=False, **(SETTINGS | {"seed": 6}))
    assert json.loads((copy / "targets" / "anm" / "1l2y.json").read_text())["key"] != records["key"]
    assert changed["per_target"]["anm"]["1l2y"] != content["per_target"]["anm"]["1l2y"]


def test_parallel_workers_give_the_same_numbers(report, shared_references, tmp_path):
    from dynafold.bench.targets import make_targets

    out, content = report
    small = tmp_path / "small.csv"
    make_targets([r for r in shared_references if r[0] in ("1l2y", "3tvj_I")], small)
    calls: list[tuple[int, int, str]] = []
    par = benchmark(small, ["anm", "md-split"], tmp_path / "par", workers=2, plots=False,
                    progress=lambda *call: calls.append(call), **SETTINGS)
    assert [c[:2] for c in calls] == [(1, 2), (2, 2)] and sorted(c[2] for c in calls) == ["1l2y", "3tvj_I"]
    for gen in ("anm", "md-split"):
        for name in ("1l2y", "3tvj_I"):
            assert par["per_target"][gen][name] == content["per_target"][gen][name]


def test_cli_runs_and_rejects_unknown_generators(report, shared_targets, tmp_path):
    from dynafold.cli import cli

    res = CliRunner().invoke(cli, ["benchmark", str(shared_targets), "-g", "gnm", "--out", str(tmp_path / "r"),
                                   "--samples", "12", "--ref-frames", "40", "--seed", "5"])
    assert res.exit_code == 0, res.output
    assert "Global RMSF r" in res.output
    out, content = report
    got = json.loads((tmp_path / "r" / "results.json").read_text())
    assert got["per_target"]["gnm"] == content["per_target"]["gnm"]
    bad = subprocess.run([sys.executable, "-m", "dynafold", "benchmark", str(shared_targets), "-g", "nope",
                          "--out", str(tmp_path / "x")], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.startswith("dynafold: error: unknown generator 'nope'; valid: dynafold-md")
    assert "Traceback" not in bad.stderr


def test_model_columns_with_the_shipped_model(shared_targets, tmp_path):
    """dynafold-md / dynafold-xray rows (shipped model) equal evaluate_ensembles on the same pair."""
    from dynafold.bench.targets import write_targets
    from dynafold.metrics.evaluate import evaluate_ensembles

    small = [t for t in read_targets(shared_targets) if t.name in ("1l2y", "3tvj_I")]
    csv_path = write_targets(small, tmp_path / "small.csv")
    sampler = {"steps": 4, "step_scale": 1.2, "noise_scale": 1.0}
    settings = {"samples": 4, "ref_frames": 10, "seed": 2, "atoms": "ca"}
    content = benchmark(csv_path, ["dynafold-md", "dynafold-xray"], tmp_path / "out", plots=False,
                        **settings, **sampler)
    assert content["failures"] == []
    assert content["provenance"]["settings"] | sampler == content["provenance"]["settings"]
    for gen in parse_generators(["dynafold-md", "dynafold-xray"]):
        target = small[0]
        ref = load_reference(target)
        pred, ref = gen.ensembles(target, ref, settings["samples"], settings["seed"], **sampler)
        direct = evaluate_ensembles(pred, ref, atoms="ca", ref_frames=10, seed=2)
        got = content["per_target"][gen.label][target.name]
        np.testing.assert_allclose(got["rmsf"]["pred_A"], direct["rmsf"]["pred_A"], atol=1e-12)
        assert got["lddt"]["precision"] == pytest.approx(direct["lddt"]["precision"], abs=1e-12)


def test_new_weights_miss_the_cache(shared_targets, tmp_path):
    """A rerun with the same checkpoint path but other weights samples again."""
    import torch

    from dynafold.bench.runner import Settings, run_target
    from dynafold.model import DynafoldModel, save_checkpoint
    from dynafold.model.config import MODEL_PRESETS

    target = next(t for t in read_targets(shared_targets) if t.name == "1l2y")
    weights = tmp_path / "model" / "m.safetensors"
    settings = Settings(samples=2, ref_frames=5, steps=2)

    def run() -> dict:
        [gen] = parse_generators([f"dynafold-md:{weights}"])
        record = run_target(target, [gen], settings, tmp_path / "out")[gen.label]
        assert "error" not in record
        return record

    torch.manual_seed(0)
    save_checkpoint(weights, DynafoldModel(MODEL_PRESETS["tiny"]))
    first = run()
    assert not first["cached"] and run()["cached"]
    torch.manual_seed(1)
    model = DynafoldModel(MODEL_PRESETS["tiny"])
    torch.nn.init.normal_(model.denoiser.out[1].weight, std=0.3)  # untrained models share a zero output layer
    save_checkpoint(weights, model)
    retrained = run()
    assert not retrained["cached"] and retrained["key"] != first["key"]
    assert retrained["metrics"] != first["metrics"]


def test_report_opens_in_headless_chromium(report, tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import report_check

    if report_check.chromium() is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    out, _ = report
    assert report_check.check(out / "index.html", tmp_path / "shot.png") == []
    assert not math.isnan(json.loads((out / "results.json").read_text())["table"]["anm"]["precision_lddt"])
