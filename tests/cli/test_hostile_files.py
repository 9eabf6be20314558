"""Every file of ../shared/fuzz behaves as its README's "want" column says.

Each one used to crash a C reader, print a traceback, or pass as data. The
promise: one line ``dynafold: error: FILE: problem`` and exit 2, or success
with a note; nothing left behind.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from dynafold.cli import main

MDCATH_TOP = ("md", "mdcath_2hbaA00", "2hbaA00.pdb")
ADK_GRO = ("md", "adk_oplsaa", "adk_oplsaa.gro")
ADK_XTC = ("md", "adk_oplsaa", "adk_oplsaa.xtc")
DCD = ("md", "atlas_3tvj_I", "3tvj_I_10frames.dcd")


def run_cli(capfd, *args: str) -> tuple[int, str, str]:
    """Run ``dynafold ARGS`` in-process; (exit code, stdout, stderr) at file-descriptor level."""
    code = 0
    try:
        main(list(args))
    except SystemExit as exit_info:
        code = exit_info.code
    out, err = capfd.readouterr()
    return code, out, err


def assert_one_error(capfd, names: Path, words: tuple[str, ...], *args: str) -> str:
    code, out, err = run_cli(capfd, *args)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert out == ""
    assert len(lines) == 1, err
    assert lines[0].startswith(f"dynafold: error: {names}: "), lines[0]
    for word in words:
        assert word in lines[0]
    return lines[0]


XTC_CASES = [  # (file, topology, words in the message)
    ("xtc_onebyte_heapcorrupt.xtc", MDCATH_TOP, ("frame 151", "corrupt")),
    ("xtc_natoms100_heapcorrupt.xtc", MDCATH_TOP, ("100 atoms",)),
    ("adk_xtc_natoms100.xtc", ADK_GRO, ("100 atoms",)),
    ("adk_xtc_natoms_2e31.xtc", ADK_GRO, ("2147483647 atoms",)),
]


@pytest.mark.parametrize("name,topology,words", XTC_CASES, ids=[c[0] for c in XTC_CASES])
def test_corrupt_xtc_header_is_refused_before_decoding(capfd, shared_data: Path, shared_fuzz: Path,
                                                        name: str, topology: tuple, words: tuple) -> None:
    path = shared_fuzz / name
    assert_one_error(capfd, path, words, "info", str(path), "--topology", str(shared_data.joinpath(*topology)))


def test_huge_atom_count_fails_before_allocating(capfd, shared_data: Path, shared_fuzz: Path) -> None:
    """The 2^31-atom header asked numpy for 240 GiB; now the header check refuses it first."""
    path = shared_fuzz / "adk_xtc_natoms_2e31.xtc"
    tracemalloc.start()
    try:
        assert_one_error(capfd, path, ("2147483647 atoms",), "info", str(path), "--topology",
                         str(shared_data.joinpath(*ADK_GRO)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 500 * 2**20


def test_corrupt_xtc_in_prepare_leaves_no_store(capfd, tmp_path: Path, shared_data: Path,
                                               shared_fuzz: Path) -> None:
    path = shared_fuzz / "xtc_onebyte_heapcorrupt.xtc"
    store = tmp_path / "store"
    assert_one_error(capfd, path, ("frame 151",), "prepare", "traj", str(path), "--topology",
                     str(shared_data.joinpath(*MDCATH_TOP)), "--out", str(store), "--quiet")
    assert not store.exists()


@pytest.mark.parametrize("name", ["gro_count_minus1.gro", "gro_no_box.gro", "gro_title_only.gro",
                                  "gro_shifted_columns.gro"])
def test_broken_gro_topology(capfd, shared_data: Path, shared_fuzz: Path, name: str) -> None:
    top = shared_fuzz / name
    assert_one_error(capfd, top, (), "info", str(shared_data.joinpath(*ADK_XTC)), "--topology", str(top))


def test_shifted_gro_line_is_named(capfd, shared_data: Path, shared_fuzz: Path) -> None:
    top = shared_fuzz / "gro_shifted_columns.gro"
    assert_one_error(capfd, top, ("line 12288", "shifted"), "info", str(shared_data.joinpath(*ADK_XTC)),
                     "--topology", str(top))


@pytest.mark.parametrize("name", ["pdb_chain_nonutf8.pdb", "pdb_resname_nonutf8.pdb",
                                  "pdb_atomname_nonutf8.pdb", "pdb_coord_nonutf8_silent.pdb"])
def test_non_ascii_atom_record(capfd, shared_fuzz: Path, name: str) -> None:
    path = shared_fuzz / name
    assert_one_error(capfd, path, ("line 348", "non-ASCII"), "info", str(path))


def test_non_ascii_dcd_topology(capfd, shared_data: Path, shared_fuzz: Path) -> None:
    top = shared_fuzz / "dcd_top_nonutf8.pdb"
    assert_one_error(capfd, top, ("non-ASCII",), "info", str(shared_data.joinpath(*DCD)), "--topology", str(top))


def test_empty_cif(capfd, shared_fuzz: Path) -> None:
    path = shared_fuzz / "empty.cif"
    assert_one_error(capfd, path, ("no atoms",), "info", str(path))


H5_CASES = [
    ("h5_coords_is_group.h5", ("2hbaA00/320/0/coords", "not a dataset")),
    ("h5_topology_nonutf8.h5", ("pdbProteinAtoms", "non-ASCII")),
    ("h5_atoms_mismatch_None_in_msg.h5", ("2hbaA00/320/0/coords has 827 atoms",)),
    ("h5_int_coords.h5", ("int32", "floating-point")),
]


@pytest.mark.parametrize("name,words", H5_CASES, ids=[c[0] for c in H5_CASES])
def test_broken_mdcath_file(capfd, shared_fuzz: Path, name: str, words: tuple) -> None:
    path = shared_fuzz / name
    line = assert_one_error(capfd, path, words, "info", str(path))
    assert "None/" not in line


def test_overflowing_coordinate_prints_the_error_alone(capfd, shared_fuzz: Path) -> None:
    path = shared_fuzz / "nmr_1e308_warning.pdb"
    assert_one_error(capfd, path, ("first frame is invalid",), "info", str(path))


def test_truncated_xray_file(capfd, tmp_path: Path, shared_fuzz: Path) -> None:
    path = shared_fuzz / "xray_truncated_accepted.pdb"
    assert_one_error(capfd, path, ("truncated", "line 1008"), "info", str(path))
    store = tmp_path / "store"
    assert_one_error(capfd, path, ("truncated",), "prepare", "xray", str(path), "--out", str(store), "--quiet")
    assert not store.exists()


def test_models_without_model_records(capfd, shared_fuzz: Path) -> None:
    path = shared_fuzz / "nmr_no_MODEL_ENDMDL_merged.pdb"
    assert_one_error(capfd, path, ("twice", "MODEL/ENDMDL"), "info", str(path))


def test_nmr_model_of_three_atoms_is_dropped(capfd, tmp_path: Path, shared_fuzz: Path) -> None:
    store = tmp_path / "store"
    code, _, err = run_cli(capfd, "prepare", "nmr", str(shared_fuzz / "nmr_model4_3atoms.pdb"),
                           "--out", str(store), "--quiet")
    assert code in (0, None), err
    (system,) = json.loads((store / "manifest.json").read_text())["systems"]
    assert system["n_conformers"] == 37
    assert system["n_residues"] == 20
    assert any("model 4 holds 3 of the 304 atoms" in note for note in system["notes"])


def test_nan_model_is_noted_and_json_is_strict(capfd, tmp_path: Path, shared_data: Path,
                                               shared_fuzz: Path) -> None:
    pred = shared_fuzz / "nmr_model2_nan_pred.pdb"
    out = tmp_path / "out.json"
    code, _, err = run_cli(capfd, "evaluate", "--pred", str(pred), "--ref", str(shared_data / "nmr" / "1l2y.pdb"),
                           "--json", str(out))
    assert code in (0, None), err
    assert f"dynafold: note: {pred}: cut at frame 1 of 38" in err

    def refuse(token: str) -> None:
        raise AssertionError(f"invalid JSON token {token}")

    result = json.loads(out.read_text(), parse_constant=refuse)
    assert result["n_pred"] == 1
    assert result["notes"]["pred"]
