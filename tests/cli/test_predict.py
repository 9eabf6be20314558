"""`dynafold predict`: output files parse back, bad input gives one line and exit 2."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from dynafold.cli import main
from dynafold.examples import example_path
from dynafold.io import load


def _run(args):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    return exit_.value.code


@pytest.mark.parametrize("fmt", ["pdb", "cif", "xtc"])
def test_outputs_parse_back(tiny_checkpoint, tmp_path, fmt, capsys):
    try:
        main(["predict", "--checkpoint", str(tiny_checkpoint), "--samples", "3", "--steps", "30",
              "--method", "md", "--format", fmt, "--out", str(tmp_path)])
    except SystemExit as err:  # click exits 0 after a successful command in some modes
        assert err.code in (0, None)
    name = example_path().stem
    summary = json.loads((tmp_path / f"{name}_summary.json").read_text())
    assert summary["method"] == "md" and summary["samples"] == 3 and summary["device"] == "cpu"
    if fmt == "xtc":
        ens = load(tmp_path / f"{name}_samples.xtc", tmp_path / f"{name}_topology.pdb")
    else:
        ens = load(tmp_path / f"{name}_ensemble.{fmt}")
    template = load(example_path()).protein()
    assert ens.n_conformers == 3
    assert ens.topology.residue_keys() == template.topology.residue_keys()
    assert np.isfinite(ens.coords).all()
    rows = (tmp_path / f"{name}_flexibility.csv").read_text().splitlines()
    assert len(rows) == template.n_residues + 1
    if fmt != "xtc":
        # the B-factor column holds the predicted B of each atom's residue
        b_pred = np.array([float(r.split(",")[5]) for r in rows[1:]])
        np.testing.assert_allclose(ens.bfactors[0], b_pred[ens.topology.residue_index()], atol=0.01)
    assert (tmp_path / f"{name}_flexibility.png").stat().st_size > 1000
    assert str(tmp_path) in capsys.readouterr().out


def test_unknown_method_one_line(tiny_checkpoint, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "dynafold", "predict", "--method", "crystal",
                           "--checkpoint", str(tiny_checkpoint), "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "valid: md, xray" in lines[0]
    assert not list(tmp_path.iterdir())


def test_no_protein_input(tiny_checkpoint, tmp_path):
    ligand = tmp_path / "ligand.pdb"
    ligand.write_text("HETATM    1  C1  LIG A   1       0.000   0.000   0.000  1.00  0.00           C\nEND\n")
    assert _run(["predict", str(ligand), "--checkpoint", str(tiny_checkpoint), "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_help_states_the_default_method_and_input(capsys):
    from dynafold.const import METHOD_DESCRIPTIONS

    main(["predict", "--help"])
    out = capsys.readouterr().out
    assert "Usage: dynafold predict [OPTIONS] [INPUT]" in out
    words = " ".join(out.split())
    assert "[default: md]" in words and "Without INPUT, the bundled example is used" in words
    for name, text in METHOD_DESCRIPTIONS.items():
        assert f"  {name:6s} {text}" in out


def test_plain_progress_and_unwrapped_summary_off_a_terminal(tiny_checkpoint, tmp_path, capsys):
    main_args = ["predict", "--checkpoint", str(tiny_checkpoint), "--samples", "3", "--steps", "4",
                 "--batch-size", "2", "--out", str(tmp_path), "--no-plot"]
    try:
        main(main_args)
    except SystemExit as err:
        assert err.code in (0, None)
    err = capsys.readouterr().err.splitlines()
    progress = [line for line in err if line.startswith("sampling 5a7u (md): ")]
    assert [line.split(": ")[1].split(" (")[0] for line in progress] == ["2/8 steps", "4/8 steps", "6/8 steps",
                                                                          "8/8 steps"]
    assert all(" left" in line for line in progress)
    summary = [line for line in err if re.match(r"device: cpu, \d+ threads?; ", line)]
    assert len(summary) == 1 and summary[0].endswith("of 3 samples pass the geometry check")


def test_thread_choice_and_override(tmp_path):
    from dynafold.cli.threads import busy_cores, choose_threads, running_elsewhere

    assert choose_threads(2, 1.0) == 1 and choose_threads(2, 0.1) == 2 and choose_threads(2, 3.5) == 1
    assert choose_threads(64, 0.0) == 8
    # a job that just ended still lifts the 1-minute average; nothing running now: both cores are idle
    assert choose_threads(2, busy_cores(1.1, 0)) == 2 and choose_threads(2, busy_cores(1.1, 1)) == 1
    assert busy_cores(0.2, 5) == 0.2 and busy_cores(1.5, None) == 1.5
    # a kernel thread that counts as running but uses no CPU (seen on virtual machines): the measured time decides
    assert choose_threads(2, busy_cores(1.0, 1, 0)) == 2 and choose_threads(2, busy_cores(1.9, 2, 1)) == 1
    assert busy_cores(0.2, None, 2) == 0.2
    now = running_elsewhere()
    assert now is None or now >= 0
    code = ("import sys; from dynafold.cli import main\n"
            "try: main(sys.argv[1:])\nexcept SystemExit: pass\n"
            "import torch, os; print(torch.get_num_threads(), os.environ['OMP_WAIT_POLICY'])")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "DYNAFOLD_THREADS")}
    for extra_args, extra_env, expected in ((["--threads", "1"], {}, "1 PASSIVE"),
                                            ([], {"DYNAFOLD_THREADS": "2"}, "2 PASSIVE")):
        proc = subprocess.run([sys.executable, "-c", code, *extra_args, "info", str(example_path())],
                              capture_output=True, text=True, env={**env, **extra_env})
        assert proc.stdout.strip().splitlines()[-1] == expected, proc.stderr


def test_busy_share_and_measured_cores():
    from dynafold.cli.threads import busy_share, cpu_times, measured_busy_cores

    assert busy_share((10, 100), (60, 200)) == 0.5 and busy_share((10, 100), (10, 100)) is None
    times = cpu_times()
    assert times is None or 0 <= times[0] <= times[1]
    cpus = os.cpu_count()
    measured = measured_busy_cores(cpus, 0.02)
    assert measured is None or 0 <= measured <= cpus


def test_threads_follow_the_measured_cpu_time_where_the_load_claims_busy_cores(monkeypatch):
    import torch

    from dynafold.cli import threads

    for name in ("MKL_NUM_THREADS", "OMP_WAIT_POLICY"):  # written by configure_threads; restored after the test
        monkeypatch.setenv(name, os.environ.get(name, ""))
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (1.0, 1.0, 1.0))
    monkeypatch.setattr(threads, "running_elsewhere", lambda: 1)
    for measured, expected in ((0, 2), (1, 1), (None, 1)):
        monkeypatch.setenv("OMP_NUM_THREADS", "")  # unset: the choice is the tool's
        monkeypatch.setattr(threads, "measured_busy_cores", lambda cpus, seconds=0.1, m=measured: m)
        assert threads.configure_threads(None) == expected


def _posed_sdf(path, shift_A: float):
    """An SDF of the dictionary's QNB, its centre moved onto the bundled example's centroid plus ``shift_A`` in x."""
    import warnings

    import biotite.structure.io.mol as mol
    from biotite.structure import info

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        qnb = info.residue("QNB")
    protein = load(example_path()).protein().coords[0]
    qnb.coord += protein.mean(axis=0) - qnb.coord.mean(axis=0) + np.array([shift_A, 0.0, 0.0])
    sdf, record = mol.SDFile(), mol.SDRecord()
    mol.set_structure(record, qnb)
    sdf["QNB"] = record
    sdf.write(str(path))
    return path


def test_ligand_file_is_sampled_with_the_protein(tiny_checkpoint, tmp_path):
    ligand = _posed_sdf(tmp_path / "qnb.sdf", 0.0)
    out = tmp_path / "out"
    try:
        main(["predict", "--checkpoint", str(tiny_checkpoint), "--samples", "2", "--steps", "3",
              "--ligand", str(ligand), "--out", str(out), "--no-plot"])
    except SystemExit as err:
        assert err.code in (0, None)
    name = example_path().stem
    summary = json.loads((out / f"{name}_summary.json").read_text())
    (residue,) = summary["ligands"]["residues"]
    assert residue["heavy_atoms"] == 25 and residue["chemistry"] == "file"
    assert summary["n_residues"] == load(example_path()).protein().n_residues
    ens = load(out / f"{name}_ensemble.pdb")
    assert ens.n_conformers == 2 and len(ens.ligands) == 1 and ens.ligands[0].n_atoms == 25


def test_ligand_far_from_the_protein_is_one_line(tiny_checkpoint, tmp_path):
    ligand = _posed_sdf(tmp_path / "far.sdf", 60.0)
    proc = subprocess.run([sys.executable, "-m", "dynafold", "predict", "--checkpoint", str(tiny_checkpoint),
                           "--ligand", str(ligand), "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "far.sdf" in lines[0] and "from the nearest protein atom" in lines[0]
    assert not (tmp_path / "out").exists()
