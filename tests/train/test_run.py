"""Training runs on real NMR ensembles: losses fall, resume replays exactly, DDP, validation, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import lightning as L
import pytest
import torch
from safetensors.torch import load_file

from dynafold.data.dataset import EnsembleDataset
from dynafold.errors import DynafoldInputError
from dynafold.model import load_model
from dynafold.model.config import MODEL_PRESETS
from dynafold.train.batches import step_batch
from dynafold.train.losses import total_loss
from dynafold.train.run import train
from dynafold.train.state import load_state, split_state

QUIET = {"accelerator": "cpu"}


def _fixed_loss(checkpoint, store) -> float:
    """Loss of a checkpoint on 8 fixed batches with fixed noise (not the training draws)."""
    model, cfg = load_model(checkpoint)
    ds = EnsembleDataset(store, crop_size=24)
    total = 0.0
    with torch.no_grad():
        for step in range(8):
            batch = step_batch(ds, 1, seed=99, step=step, rank=0)
            g = torch.Generator().manual_seed(step)
            out = model(batch, multiplicity=4, generator=g)
            weights = {"diffusion": 4.0, "smooth_lddt": 1.0, "distogram": 0.03, "bfactor": 1e-3}
            total += float(total_loss(out, batch, weights, cfg.sigma_data)["loss"])
    return total / 8


@pytest.mark.slow
def test_tiny_training_lowers_the_loss(nmr_store, tmp_path):
    final = train(nmr_store, "tiny", tmp_path, max_steps=60, seed=1, **QUIET)
    assert final.is_file() and (tmp_path / "config.json").is_file()
    assert not list(tmp_path.rglob("*.ckpt"))  # Lightning's own pickled checkpoints stay off
    log = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == list(range(1, 61))
    first, last = _fixed_loss(tmp_path / "step_0000005.safetensors", nmr_store), _fixed_loss(final, nmr_store)
    assert last < 0.95 * first, (first, last)
    dist = [r["distogram"] for r in log]
    assert sum(dist[-5:]) < sum(dist[:5])


class _Crash(L.Callback):
    """Simulates a killed job: fails after step ``at``."""

    def __init__(self, at: int) -> None:
        self.at = at

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if pl_module.current_step == self.at:
            raise RuntimeError("simulated crash")


def test_resume_replays_an_uninterrupted_run(nmr_store, tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    train(nmr_store, "tiny", whole, max_steps=12, seed=5, **QUIET)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(nmr_store, "tiny", broken, max_steps=12, seed=5, callbacks=[_Crash(8)], **QUIET)
    assert load_state(broken)[0]["step"] == 5  # last checkpoint before the crash
    train(nmr_store, "tiny", broken, resume=True, **QUIET)
    a, b = load_state(whole), load_state(broken)
    assert a[0]["step"] == b[0]["step"] == 12
    assert a[1].keys() == b[1].keys()
    for key in a[1]:  # model, EMA and optimizer tensors
        torch.testing.assert_close(a[1][key], b[1][key], atol=0, rtol=0, msg=key)
    torch.testing.assert_close(load_file(whole / "model.safetensors"), load_file(broken / "model.safetensors"),
                               atol=0, rtol=0)
    steps = [json.loads(line)["step"] for line in (broken / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 13))  # the crashed run's steps 6-8 were replaced


def test_validation_metrics_are_logged(nmr_store, tmp_path):
    train(nmr_store, "tiny", tmp_path, max_steps=4, val_systems=["nmr_neopetrosiamide"], val_every=4, **QUIET)
    val = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()
           if "val/distogram" in line]
    assert len(val) == 1 and val[0]["step"] == 4
    assert 0 < val[0]["val/distogram"] < 10
    # ensemble metrics of dynafold.metrics on the sampled conformers
    # (an untrained model's samples can share no pair within 15 A: diversity may be null)
    assert 0 <= val[0]["val/lddt_precision"] <= 1 and 0 <= val[0]["val/lddt_recall"] <= 1
    assert "val/rmsf_pearson" in val[0] and "val/lddt_diversity" in val[0]
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["val_systems"] == ["nmr_neopetrosiamide"] and config["preset"] == "tiny"


def test_train_systems_select_the_training_set(nmr_store, tmp_path):
    train(nmr_store, "tiny", tmp_path, max_steps=2, train_systems=["1l2y"], val_systems=["2axd"], **QUIET)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["train_systems"] == ["1l2y"] and config["val_systems"] == ["2axd"]
    with pytest.raises(DynafoldInputError, match="both trained on and held out: 2axd"):
        train(nmr_store, "tiny", tmp_path / "b", max_steps=2, train_systems=["2axd"], val_systems=["2axd"], **QUIET)
    with pytest.raises(DynafoldInputError, match="training systems not in the store: nope"):
        train(nmr_store, "tiny", tmp_path / "c", max_steps=2, train_systems=["nope"], **QUIET)


def _cli(*args, timeout=240):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "dynafold", "train", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def test_cli_errors_are_one_line(nmr_store, tmp_path, capsys):
    from dynafold.cli import main

    for args, words in (
        (["--out", str(tmp_path / "none"), "--resume"], "nothing to resume"),
        (["--out", str(tmp_path / "r"), "--val-systems", "nope"], "nope"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(["train", "--data", str(nmr_store), "--preset", "tiny", *args])
        err = capsys.readouterr().err.strip()
        assert exc.value.code == 2 and err.startswith("dynafold: error:") and words in err
        assert len(err.splitlines()) == 1


@pytest.mark.slow
def test_ddp_two_cpu_processes(nmr_store, tmp_path):
    out = tmp_path / "ddp"
    res = _cli("--data", str(nmr_store), "--preset", "tiny", "--out", str(out), "--max-steps", "4",
               "--devices", "2", "--strategy", "ddp", "--accelerator", "cpu", "--seed", "2")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "world_size: 2" in res.stderr or "distributed_backend=gloo" in res.stderr
    record, tensors = load_state(out)
    assert record["step"] == 4
    assert all(torch.isfinite(v).all() for v in tensors.values())
    # the exported model is the final EMA of the synchronised run, in the tiny preset
    model, cfg = load_model(out / "model.safetensors")
    assert cfg == MODEL_PRESETS["tiny"]
    ema = split_state(tensors, "ema")
    assert ema and ema.keys() <= model.state_dict().keys()
    for key, value in ema.items():
        torch.testing.assert_close(model.state_dict()[key], value, atol=0, rtol=0, msg=key)


@pytest.mark.slow
def test_sigkill_then_resume_matches_uninterrupted(nmr_store, tmp_path):
    import signal
    import time

    killed, whole = tmp_path / "killed", tmp_path / "whole"
    args = ["--data", str(nmr_store), "--preset", "tiny", "--max-steps", "60", "--seed", "3", "--accelerator", "cpu"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "dynafold", "train", *args, "--out", str(killed)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if (killed / "state.json").is_file():
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    stopped_at = load_state(killed)[0]["step"]
    assert 0 < stopped_at < 60
    res = _cli(*args, "--out", str(killed), "--resume")
    assert res.returncode == 0, res.stderr[-2000:]
    train(nmr_store, "tiny", whole, max_steps=60, seed=3, **QUIET)
    a, b = load_state(whole), load_state(killed)
    assert a[0]["step"] == b[0]["step"] == 60
    for key in a[1]:
        torch.testing.assert_close(a[1][key], b[1][key], atol=0, rtol=0, msg=key)


@pytest.mark.slow
@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_signal_saves_a_resumable_checkpoint(nmr_store, tmp_path, signum):
    import signal
    import time

    run = tmp_path / "run"
    args = ["--data", str(nmr_store), "--preset", "tiny", "--seed", "3", "--accelerator", "cpu", "--out", str(run)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "dynafold", "train", *args, "--max-steps", "100000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    log = run / "metrics.jsonl"
    try:
        while proc.poll() is None:
            if log.is_file() and len(log.read_text().splitlines()) >= 7:  # past the first regular checkpoint
                proc.send_signal(getattr(signal, signum))
                break
            time.sleep(0.05)
        _, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 128 + getattr(signal, signum), err[-2000:]
    step = load_state(run)[0]["step"]
    assert step >= 7
    assert f"stopped at step {step}; resumable checkpoint in {run}" in err
    assert f"dynafold train --data {nmr_store} --out {run} --resume" in err
    assert "Traceback" not in err and "graceful shutdown" not in err
    res = _cli(*args, "--resume", "--max-steps", str(step + 2))
    assert res.returncode == 0, res.stderr[-2000:]
    assert load_state(run)[0]["step"] == step + 2


def test_progress_lines_and_no_lightning_noise(nmr_store, tmp_path):
    res = _cli("--data", str(nmr_store), "--preset", "tiny", "--max-steps", "4", "--accelerator", "cpu",
               "--out", str(tmp_path / "run"))
    assert res.returncode == 0, res.stderr[-2000:]
    lines = res.stderr.strip().splitlines()
    assert [line.split(" (")[0] for line in lines] == [f"training: {k}/4 steps" for k in range(1, 5)]
    for line in lines:
        assert "/s, " in line and " left, loss " in line and "denoising " in line and "smooth_lddt " in line
    for noise in ("litlogger", "LeafSpec", "IterableDataset", "GPU available", "Trainer.fit"):
        assert noise not in res.stderr


def test_cli_template_frames_reach_the_run_config(nmr_store, tmp_path):
    from dynafold.cli import main

    out = tmp_path / "tf"
    main(["train", "--data", str(nmr_store), "--preset", "tiny", "--out", str(out), "--max-steps", "2",
          "--accelerator", "cpu", "--template-frames", "4"])
    assert json.loads((out / "config.json").read_text())["train"]["template_frames"] == 4


def test_cli_crop_single_conformer_step_and_weight_decay_reach_the_run_config(nmr_store, tmp_path):
    from dynafold.cli import main
    from dynafold.train.config import TRAIN_PRESETS

    tiny = TRAIN_PRESETS["tiny"]
    assert tiny.crop_size != 16 and tiny.crop_mode != "spatial" and tiny.single_conformer_from_step != 7
    assert tiny.weight_decay != 0.05
    out = tmp_path / "crop"
    main(["train", "--data", str(nmr_store), "--preset", "tiny", "--out", str(out), "--max-steps", "2",
          "--accelerator", "cpu", "--crop-size", "16", "--crop-mode", "spatial", "--single-conformer-from", "7",
          "--weight-decay", "0.05"])
    train = json.loads((out / "config.json").read_text())["train"]
    assert (train["crop_size"], train["crop_mode"], train["single_conformer_from_step"]) == (16, "spatial", 7)
    assert train["weight_decay"] == 0.05


def test_run_config_records_the_training_data(nmr_store, tmp_path):
    from dynafold.data.store import content_digest, load_manifest, system_path

    names = [e["name"] for e in load_manifest(nmr_store)["systems"]]
    train(nmr_store, "tiny", tmp_path / "run", max_steps=1, accelerator="cpu", val_systems=names[:1])
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["train_data"] == {n: content_digest(system_path(nmr_store, n)) for n in names[1:]}


def test_step_checkpoints_lists_the_saved_weights_in_step_order(nmr_store, tmp_path):
    from dynafold.train.state import step_checkpoint, step_checkpoints

    train(nmr_store, "tiny", tmp_path, max_steps=6, accelerator="cpu")  # tiny saves every 5 steps and the last
    assert step_checkpoints(tmp_path) == {5: step_checkpoint(tmp_path, 5), 6: step_checkpoint(tmp_path, 6)}
    assert all(p.is_file() for p in step_checkpoints(tmp_path).values())
