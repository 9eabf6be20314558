"""The learning-rate schedule: linear warm-up, flat, then an optional cosine decay to the last step."""

from __future__ import annotations

import json
import math

import pytest

from dynafold.train.config import TrainConfig


def test_without_decay_the_rate_warms_up_then_stays():
    cfg = TrainConfig(max_steps=1000, warmup_steps=100)
    assert [cfg.lr_factor(s) for s in (0, 49, 99, 100, 999)] == [0.01, 0.5, 1.0, 1.0, 1.0]
    assert TrainConfig(warmup_steps=0).lr_factor(0) == 1.0


def test_the_cosine_falls_from_one_to_the_final_fraction_at_the_last_step():
    cfg = TrainConfig(max_steps=1002, warmup_steps=10, lr_decay_from=601, final_lr=0.2)
    assert cfg.lr_factor(600) == 1.0 and cfg.lr_factor(601) == 1.0
    assert cfg.lr_factor(801) == pytest.approx(0.6)  # half way: (1 + 0.2) / 2
    assert cfg.lr_factor(1001) == pytest.approx(0.2)
    falling = [cfg.lr_factor(s) for s in range(601, 1002)]
    assert all(a > b for a, b in zip(falling, falling[1:]))
    assert cfg.lr_factor(700) == pytest.approx(0.2 + 0.8 * 0.5 * (1 + math.cos(math.pi * 99 / 400)))


def test_cli_decay_reaches_the_optimiser(nmr_store, tmp_path):
    from dynafold.cli import main

    out = tmp_path / "decay"
    main(["train", "--data", str(nmr_store), "--preset", "tiny", "--out", str(out), "--max-steps", "6",
          "--accelerator", "cpu", "--lr-decay-from", "2"])
    cfg = TrainConfig.from_dict(json.loads((out / "config.json").read_text())["train"])
    assert cfg.lr_decay_from == 2
    logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    lrs = {r["step"]: r["lr"] for r in logged if "lr" in r}
    assert sorted(lrs) == [1, 2, 3, 4, 5, 6]
    # the rate logged after step s is the one step s (counting from 0) runs with
    assert all(lrs[s] == pytest.approx(cfg.lr * cfg.lr_factor(s)) for s in lrs)
    assert lrs[2] == pytest.approx(cfg.lr) and lrs[5] == pytest.approx(cfg.lr * cfg.final_lr)
