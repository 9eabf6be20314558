"""`dynafold prepare` on every real source, resumption after a kill, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dynafold.data.store import read_system, system_files

NMR_MODELS = {"1l2y": 38, "1gya": 18, "2axd": 12, "nmr_neopetrosiamide": 24}
XRAY_PROTEIN = ["1aki", "1dix", "1f2n", "1igy", "1k6p", "1o1z", "2d0f", "3o5r", "3wip", "5eil", "5h73",
                "5ugo", "5zng"]
XRAY_NUCLEIC = ["4gxy", "4p5j"]  # RNA entries: no protein, reported and skipped


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "dynafold", "prepare", *args, "--quiet"],
                          capture_output=True, text=True, env=env, timeout=300)


def manifest(store: Path) -> dict:
    return json.loads((store / "manifest.json").read_text())


def systems(store: Path) -> dict[str, dict]:
    return {s["name"]: s for s in manifest(store)["systems"]}


@pytest.fixture(scope="module")
def store(shared_data, tmp_path_factory) -> Path:
    """One store filled from every real source by several calls."""
    from dynafold.io import load
    from dataset_files import write_atlas_zip, write_mdcath

    tmp = tmp_path_factory.mktemp("sources")
    md = shared_data / "md"
    cath = load(md / "mdcath_2hbaA00/2hbaA00_320_0.xtc", md / "mdcath_2hbaA00/2hbaA00.pdb", keep_hydrogens=True)
    write_mdcath(cath, tmp / "mdcath_dataset_2hbaA00.h5", domain="2hbaA00", temperature="320", replica="0")
    write_mdcath(cath.select_frames(slice(0, 100)), tmp / "mdcath_dataset_2hbaA00.h5", domain="2hbaA00",
                 temperature="348", replica="0")
    atlas = load(md / "atlas_3tvj_I/3tvj_I_10frames.dcd", md / "atlas_3tvj_I/3tvj_I.pdb")
    write_atlas_zip([atlas, atlas.select_frames(slice(0, 6))], tmp / "3tvj_I_protein.zip", name="3tvj_I")
    out = tmp / "store"
    calls = [
        ("nmr", str(shared_data / "nmr")),
        ("xray", str(shared_data / "xray"), "--workers", "2"),
        ("mdcath", str(tmp / "mdcath_dataset_2hbaA00.h5")),
        ("atlas", str(tmp / "3tvj_I_protein.zip")),
        ("traj", str(md / "adk_oplsaa/adk_oplsaa.xtc"), "--topology", str(md / "adk_oplsaa/adk_oplsaa.gro"),
         "--method", "md"),
    ]
    for kind, *rest in calls:
        result = run(kind, *rest, "--out", str(out))
        assert result.returncode == 0, result.stderr
    return out


def test_nmr_models_become_conformers(store) -> None:
    got = systems(store)
    for name, models in NMR_MODELS.items():
        assert got[name]["n_conformers"] == models and got[name]["method"] == "nmr"
        assert got[name]["source"] == "nmr"


def test_xray_one_conformer_with_bfactors(store) -> None:
    got = systems(store)
    for name in XRAY_PROTEIN:
        assert got[name]["n_conformers"] == 1 and got[name]["method"] == "xray"
        stored = read_system(store / got[name]["file"])
        assert stored.ensemble.bfactors is not None and stored.targets["bfactor_mask"].mean() > 0.9
    failed = {Path(f["path"]).stem: f["error"] for f in manifest(store)["failed"]}
    assert sorted(failed) == XRAY_NUCLEIC and all("no protein" in e for e in failed.values())


def test_md_sources(store) -> None:
    got = systems(store)
    assert got["2hbaA00_320_0"]["n_conformers"] == 50  # last 10 % of 500
    assert got["2hbaA00_320_0"]["n_residues"] == 52
    assert "2hbaA00_348_0" not in got  # only 320 K by default
    assert got["3tvj_I_R1"]["n_conformers"] == 10 and got["3tvj_I_R2"]["n_conformers"] == 6
    assert any("all of them kept" in n for n in got["3tvj_I_R1"]["notes"])
    assert got["adk_oplsaa"]["n_conformers"] == 10 and got["adk_oplsaa"]["n_residues"] == 214
    assert got["adk_oplsaa"]["method"] == "md"
    counts = manifest(store)["counts"]
    assert counts["nmr"] == {"systems": 4, "conformers": sum(NMR_MODELS.values())}
    stored = read_system(store / got["2hbaA00_320_0"]["file"])
    assert stored.targets["rmsf_mask"].all() and stored.targets["bfactor_mask"].all()
    assert len(manifest(store)["calls"]) == 5


def test_temperatures_pooling_and_shards(shared_data, store, tmp_path) -> None:
    h5 = next(store.parent.glob("*.h5"))
    result = run("mdcath", str(h5), "--temperatures", "320,348", "--out", str(tmp_path / "t"))
    assert result.returncode == 0, result.stderr
    got = systems(tmp_path / "t")
    assert got["2hbaA00_348_0"]["n_conformers"] == 10 and got["2hbaA00_320_0"]["n_conformers"] == 50
    zip_path = store.parent / "3tvj_I_protein.zip"
    assert run("atlas", str(zip_path), "--pool-replicas", "--out", str(tmp_path / "p")).returncode == 0
    assert systems(tmp_path / "p")["3tvj_I"]["n_conformers"] == 16
    for shard in ("0/2", "1/2"):
        assert run("nmr", str(shared_data / "nmr"), "--shard", shard, "--out", str(tmp_path / "s")).returncode == 0
    assert sorted(systems(tmp_path / "s")) == sorted(NMR_MODELS)


def test_resume_after_kill(shared_data, tmp_path) -> None:
    out = tmp_path / "store"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "dynafold", "prepare", "xray", str(shared_data / "xray"),
                             "--out", str(out), "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not system_files(out) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(system_files(out))
    assert 1 <= done_before < len(XRAY_PROTEIN)
    result = run("xray", str(shared_data / "xray"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"{done_before} already there" in result.stdout
    assert sorted(systems(out)) == XRAY_PROTEIN
    assert [p.stem for p in system_files(out)] == XRAY_PROTEIN
    assert not list(out.glob(".*.tmp*"))
    for path in system_files(out):
        assert np.isfinite(read_system(path).ensemble.coords).all()


def test_malformed_file_reported_and_skipped(shared_data, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "1l2y.pdb").symlink_to(shared_data / "nmr/1l2y.pdb")
    (src / "broken.pdb").write_text("ATOM      1  N   ALA A   1      garbage\nEND\n")
    result = run("nmr", str(src), "--out", str(tmp_path / "store"))
    assert result.returncode == 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "broken.pdb" in lines[0] and lines[0].startswith("dynafold: warning:")
    assert "1 prepared" in result.stdout and list(systems(tmp_path / "store")) == ["1l2y"]


def test_progress_lines_outside_a_terminal(shared_data, tmp_path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-m", "dynafold", "prepare", "nmr", str(shared_data / "nmr/1l2y.pdb"),
                             "--out", str(tmp_path / "store")], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("prepare nmr: 1/1 systems (100%), ") and "left, 1l2y" in result.stderr
    assert result.stdout.startswith(f"{tmp_path / 'store'}: 1 prepared")


def test_bad_arguments_give_one_line_errors(tmp_path) -> None:
    result = run("traj", str(tmp_path), "--out", str(tmp_path / "s"))
    assert result.returncode == 2 and result.stderr.startswith("dynafold: error:") and "--topology" in result.stderr
    result = run("nmr", str(tmp_path), "--shard", "3/2", "--out", str(tmp_path / "s"))
    assert result.returncode == 2 and "shard" in result.stderr


def _processes_naming(path: Path) -> list[str]:
    """Live processes whose command line holds ``path`` (Linux /proc; none elsewhere)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if str(path) in cmdline and state != "Z":
            found.append(proc.name)
    return found


def _slow_and_interruptible() -> None:
    """Child set-up: lowest priority, so the polling test wakes first on a busy machine, and Ctrl-C's
    default action, which a shell without job control sets to ignored in background jobs (and
    children inherit)."""
    os.nice(19)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "workers"), [("SIGINT", "1"), ("SIGTERM", "2")])
def test_signal_mid_way_then_rerun_completes(shared_data, tmp_path, signum, workers) -> None:
    out = tmp_path / "store"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "dynafold", "prepare", "xray", str(shared_data / "xray"),
                             "--out", str(out), "--workers", workers, "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_slow_and_interruptible)
    try:
        while len(system_files(out)) < 2 and proc.poll() is None:
            time.sleep(0.02)
        proc.send_signal(getattr(signal, signum))
        proc.wait(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode != 0, "the run ended before the signal"
    deadline = time.monotonic() + 10  # pool workers end with their parent, none waits on forever
    while _processes_naming(out) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _processes_naming(out)
    done_before = {p.stem for p in system_files(out)}
    assert 2 <= len(done_before) < len(XRAY_PROTEIN)
    for path in system_files(out):  # every file there is complete
        assert np.isfinite(read_system(path).ensemble.coords).all()
    result = run("xray", str(shared_data / "xray"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(systems(out)) == [p.stem for p in system_files(out)] == XRAY_PROTEIN
    assert not list(out.glob(".*.tmp*"))
    again = run("xray", str(shared_data / "xray"), "--out", str(out))
    assert again.returncode == 0
    assert f"nothing to do: {len(XRAY_PROTEIN)} systems already prepared; 0 dropped by the rules, 2 failed" \
        in again.stdout
