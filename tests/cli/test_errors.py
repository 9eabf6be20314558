"""Bad input through `dynafold info`: one line `dynafold: error: ...` naming the file, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dynafold.cli import main


def _run_info(capfd, *args: str) -> str:
    """Run `dynafold info ARGS` in-process; return stderr (file-descriptor level)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["info", *args])
    assert exit_info.value.code == 2
    out, err = capfd.readouterr()
    assert out == ""
    return err


def _assert_one_error_line(err: str, path: Path, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("dynafold: error: ")
    assert str(path) in lines[0]
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0]


def test_unknown_format(tmp_path: Path, capfd) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    _assert_one_error_line(_run_info(capfd, str(path)), path, "unknown format '.txt'")


def test_missing_file(tmp_path: Path, capfd) -> None:
    path = tmp_path / "absent.pdb"
    _assert_one_error_line(_run_info(capfd, str(path)), path, "not found")


def test_truncated_xtc(tmp_path: Path, capfd, shared_data: Path) -> None:
    folder = shared_data / "md" / "mdcath_2hbaA00"
    data = (folder / "2hbaA00_320_0.xtc").read_bytes()
    path = tmp_path / "cut.xtc"
    path.write_bytes(data[: len(data) // 3 + 11])
    err = _run_info(capfd, str(path), "--topology", str(folder / "2hbaA00.pdb"))
    _assert_one_error_line(err, path, "truncated")


def test_truncated_dcd(tmp_path: Path, capfd, shared_data: Path) -> None:
    folder = shared_data / "md" / "atlas_3tvj_I"
    data = (folder / "3tvj_I_10frames.dcd").read_bytes()
    path = tmp_path / "cut.dcd"
    path.write_bytes(data[: len(data) - 1000])
    err = _run_info(capfd, str(path), "-t", str(folder / "3tvj_I.pdb"))
    _assert_one_error_line(err, path, "truncated", "10 frames")


def test_truncated_pdb(tmp_path: Path, capfd, shared_data: Path) -> None:
    text = (shared_data / "xray" / "1aki.pdb").read_text()
    path = tmp_path / "cut.pdb"
    path.write_text(text[: len(text) // 2] + "ATOM  123")
    err = _run_info(capfd, str(path))
    _assert_one_error_line(err, path)


def test_topology_mismatch(capfd, shared_data: Path) -> None:
    dcd = shared_data / "md" / "atlas_3tvj_I" / "3tvj_I_10frames.dcd"
    top = shared_data / "md" / "mdcath_2hbaA00" / "2hbaA00.pdb"
    err = _run_info(capfd, str(dcd), "--topology", str(top))
    _assert_one_error_line(err, dcd, str(top), "531", "834")


def test_empty_trajectory(tmp_path: Path, capfd, shared_data: Path) -> None:
    path = tmp_path / "empty.xtc"
    path.write_bytes(b"")
    err = _run_info(capfd, str(path), "-t", str(shared_data / "md" / "mdcath_2hbaA00" / "2hbaA00.pdb"))
    _assert_one_error_line(err, path, "empty")


def test_trajectory_without_topology(tmp_path: Path, capfd, shared_data: Path) -> None:
    path = shared_data / "md" / "mdcath_2hbaA00" / "2hbaA00_320_0.xtc"
    _assert_one_error_line(_run_info(capfd, str(path)), path, "topology")


def test_no_protein_atoms(tmp_path: Path, capfd, shared_data: Path) -> None:
    """A PDB holding only waters and a ligand, cut from a real entry."""
    lines = (shared_data / "xray" / "1aki.pdb").read_text().splitlines()
    path = tmp_path / "ligand_water.pdb"
    path.write_text("\n".join(line for line in lines if line.startswith("HETATM")) + "\nEND\n")
    _assert_one_error_line(_run_info(capfd, str(path)), path, "no protein")


def test_rna_only_crystal_structure(capfd, shared_data: Path) -> None:
    path = shared_data / "xray" / "4p5j.pdb"
    _assert_one_error_line(_run_info(capfd, str(path)), path, "no protein")


def test_entry_point_subprocess(tmp_path: Path) -> None:
    path = tmp_path / "x.mae"
    path.write_text("f_m_ct {\n")
    proc = subprocess.run([sys.executable, "-m", "dynafold", "info", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"dynafold: error: {path}: unknown format '.mae'; expected one of .pdb, .ent, .cif, "
        ".mmcif, .xtc, .dcd, .trr, .nc, .ncdf, .gro, .h5, .zip, .sdf, .mol2 or a folder"]
