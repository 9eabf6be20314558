"""Errors of every command: one line naming the file and the option to fix, exit 2, nothing left behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dynafold.cli import main


def run_cli(capfd, *args: str) -> tuple[int, str, str]:
    """Run ``dynafold ARGS`` in-process; (exit code, stdout, stderr) at file-descriptor level."""
    code = 0
    try:
        main(list(args))
    except SystemExit as exit_info:
        code = exit_info.code or 0
    out, err = capfd.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("dynafold: error: ")
    return lines[0]


def test_sequences_disagree_names_both_files(capfd, shared_data: Path) -> None:
    pred, ref = shared_data / "nmr" / "1l2y.pdb", shared_data / "nmr" / "2axd.pdb"
    code, _, err = run_cli(capfd, "evaluate", "--pred", str(pred), "--ref", str(ref))
    line = one_error_line(err)
    assert code == 2
    assert line.startswith(f"dynafold: error: {pred}: sequences disagree") and str(ref) in line


def test_trajectory_without_topology_names_the_option(capfd, shared_data: Path) -> None:
    xtc = shared_data / "md" / "adk_oplsaa" / "adk_oplsaa.xtc"
    nmr = shared_data / "nmr" / "1l2y.pdb"
    for args, option in ((["evaluate", "--pred", str(nmr), "--ref", str(xtc)], "--ref-top"),
                         (["evaluate", "--pred", str(xtc), "--ref", str(nmr)], "--pred-top"),
                         (["info", str(xtc)], "--topology")):
        code, _, err = run_cli(capfd, *args)
        assert code == 2
        assert one_error_line(err).startswith(f"dynafold: error: {xtc}: a trajectory needs a topology file: "
                                              f"add {option} ")


def test_predict_refuses_a_trajectory(capfd, shared_data: Path, tmp_path: Path) -> None:
    xtc = shared_data / "md" / "adk_oplsaa" / "adk_oplsaa.xtc"
    code, _, err = run_cli(capfd, "predict", str(xtc), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "predict takes a structure (PDB/mmCIF), not a trajectory" in one_error_line(err)
    assert not (tmp_path / "out").exists()


def test_no_protein_input_names_the_path_on_one_line(capfd, tmp_path: Path) -> None:
    ligand = tmp_path / "ligand.pdb"
    ligand.write_text("HETATM    1  C1  LIG A   1       1.000   2.000   3.000  1.00  0.00           C\nEND\n")
    for args in (["predict", str(ligand), "--out", str(tmp_path / "o")],
                 ["evaluate", "--pred", str(ligand), "--ref", str(ligand)]):
        code, out, err = run_cli(capfd, *args)
        assert code == 2 and out == ""
        assert one_error_line(err).startswith(f"dynafold: error: {ligand}: no protein atoms")


def test_missing_predict_input_is_reported_before_torch_is_imported(tmp_path: Path) -> None:
    script = ("import sys\nfrom dynafold.cli import main\ntry:\n    main(['predict', sys.argv[1]])\n"
              "except SystemExit as e:\n    print(e.code, 'torch' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "absent.pdb")],
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.split() == ["2", "False"]
    assert proc.stderr.strip() == f"dynafold: error: {tmp_path / 'absent.pdb'}: file not found"


def test_info_reads_a_gro_file(capfd, shared_data: Path) -> None:
    code, out, _ = run_cli(capfd, "info", "--json", str(shared_data / "md" / "adk_oplsaa" / "adk_oplsaa.gro"))
    data = json.loads(out)
    assert code == 0
    assert (data["conformers"], data["atoms"], data["atoms_read"], data["residues"]) == (1, 1656, 47681, 214)


def test_info_atom_counts_agree_with_the_notes(capfd, shared_data: Path) -> None:
    code, out, _ = run_cli(capfd, "info", str(shared_data / "nmr" / "2axd.pdb"))
    assert code == 0
    assert "atoms:      621 of the 1276 read (655 hydrogens, waters and ions stripped)" in out
    assert "kept the 1276 atoms common to all 12 models" in out


def test_info_summarises_a_store(capfd, shared_data: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, _, err = run_cli(capfd, "prepare", "nmr", str(shared_data / "nmr" / "1l2y.pdb"),
                           str(shared_data / "nmr" / "2axd.pdb"), "--out", str(store), "--quiet")
    assert code == 0, err
    code, _, err = run_cli(capfd, "prepare", "xray", str(shared_data / "xray" / "1aki.pdb"), "--out", str(store),
                           "--quiet")
    assert code == 0, err
    code, out, _ = run_cli(capfd, "info", "--json", str(store))
    data = json.loads(out)
    assert code == 0
    assert (data["systems"], data["conformers"], data["residues"]) == (3, 38 + 12 + 1, 20 + 76 + 129)
    assert [(g["source"], g["method"], g["systems"]) for g in data["groups"]] == [("nmr", "nmr", 2),
                                                                                 ("xray", "xray", 1)]


def test_prepare_validates_before_touching_the_store(capfd, shared_data: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    xtc = shared_data / "md" / "adk_oplsaa" / "adk_oplsaa.xtc"
    code, _, err = run_cli(capfd, "prepare", "traj", str(xtc), "--out", str(store), "--quiet")
    assert code == 2 and "--topology" in one_error_line(err)
    code, _, err = run_cli(capfd, "prepare", "xray", "/dev/null", "--out", str(store), "--quiet")
    assert code == 2 and one_error_line(err).startswith("dynafold: error: /dev/null: unknown format")
    assert not store.exists()


def test_prepare_where_every_file_fails_exits_2_and_leaves_nothing(capfd, shared_data: Path,
                                                                   tmp_path: Path) -> None:
    bad = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.pdb"
        path.write_text("HEADER    CUT\nATOM      1  N   LYS A   1      3.287  10.092  10.329  1.00")
        bad.append(str(path))
    store = tmp_path / "store"
    code, _, err = run_cli(capfd, "prepare", "xray", *bad, "--out", str(store), "--quiet")
    lines = err.splitlines()
    assert code == 2
    assert [line.split(": ")[1] for line in lines[:2]] == ["warning", "warning"]
    assert lines[-1].startswith("dynafold: error: nothing prepared: 2 failed")
    assert not store.exists()


def test_prepare_with_some_failures_keeps_the_good_systems(capfd, shared_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "cut.pdb"
    bad.write_text("HEADER    CUT\nATOM      1  N   LYS A   1      3.287  10.092  10.329  1.00")
    store = tmp_path / "store"
    code, out, err = run_cli(capfd, "prepare", "xray", str(bad), str(shared_data / "xray" / "1aki.pdb"),
                             "--out", str(store), "--quiet")
    assert code == 0
    assert f"dynafold: warning: {bad}: truncated" in err
    assert "1 prepared, 0 already there, 0 dropped by the rules, 1 failed" in out
    assert [f["path"] for f in json.loads((store / "manifest.json").read_text())["failed"]] == [str(bad)]


def test_benchmark_lists_every_missing_file(capfd, shared_data: Path, tmp_path: Path) -> None:
    csv = tmp_path / "targets.csv"
    nmr = shared_data / "nmr" / "1l2y.pdb"
    csv.write_text(f"name,reference,reference_topology,input\nt1,/nope.xtc,/nope.pdb,in.pdb\nt2,{nmr},,{nmr}\n")
    code, _, err = run_cli(capfd, "benchmark", str(csv), "-g", "anm", "--out", str(tmp_path / "report"))
    line = one_error_line(err)
    assert code == 2
    assert line.startswith(f"dynafold: error: {csv}: 3 file(s) not found")
    for part in ("t1 reference /nope.xtc", "t1 reference_topology /nope.pdb", f"t1 input {tmp_path / 'in.pdb'}"):
        assert part in line
    assert not (tmp_path / "report").exists()


def test_benchmark_with_failed_targets_writes_the_report_and_exits_3(capfd, shared_data: Path,
                                                                     tmp_path: Path) -> None:
    nmr = shared_data / "nmr"
    csv = tmp_path / "targets.csv"
    csv.write_text("name,reference,reference_topology,input\n"
                   f"ok,{nmr / '1l2y.pdb'},,{nmr / '1l2y.pdb'}\nother,{nmr / '2axd.pdb'},,{nmr / '1l2y.pdb'}\n")
    report = tmp_path / "report"
    code, _, err = run_cli(capfd, "benchmark", str(csv), "-g", "anm", "--samples", "4", "--ref-frames", "4",
                           "--out", str(report))
    assert code == 3
    assert "failed: anm / other: " in err
    assert "benchmark: 2/2 targets (100%)" in err  # the progress lines of a run outside a terminal
    assert "1 generator/target run(s) failed" in err.splitlines()[-1]
    assert (report / "index.html").exists()
