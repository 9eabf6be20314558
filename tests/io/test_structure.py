"""PDB/mmCIF reading and writing on the real NMR and X-ray files, checked against biotite."""

from __future__ import annotations

from pathlib import Path

import biotite.structure as struc
import biotite.structure.io.pdb as bpdb
import numpy as np
import pytest

from dynafold.ensemble import Ensemble
from dynafold.errors import NoProteinError, TruncatedFileError
from dynafold.io import load, save
import dynafold.io.structure as structure_module
from dynafold.io.structure import read_pdb_text, read_structure, to_gemmi

NMR_MODELS = {"1l2y": 38, "1gya": 18, "2axd": 12, "nmr_neopetrosiamide": 24}
RNA_ONLY = {"4gxy", "4p5j"}  # riboswitch / mRNA crystal structures: no protein
XRAY = ["1aki", "1dix", "1f2n", "1igy", "1k6p", "1o1z", "2d0f", "3o5r", "3wip", "4gxy",
        "4p5j", "5eil", "5h73", "5ugo", "5zng"]


def _biotite_ca(path: Path, model: int) -> dict[tuple, tuple[np.ndarray, float]]:
    """(chain, res_id, ins_code) -> (CA coordinates, B-factor) of one model, by biotite.

    Of alternate locations the first listed is kept (biotite's altloc='first'
    drops atoms whose altloc ids are digits, as in 1k6p).
    """
    atoms = bpdb.PDBFile.read(str(path)).get_structure(model=model, altloc="all",
                                                       extra_fields=["b_factor"])
    sel = atoms[(atoms.atom_name == "CA") & struc.filter_amino_acids(atoms) & ~atoms.hetero]
    out: dict[tuple, tuple[np.ndarray, float]] = {}
    for a in sel:
        out.setdefault((a.chain_id, int(a.res_id), a.ins_code), (a.coord, float(a.b_factor)))
    return out


def _our_ca(ens: Ensemble, k: int) -> dict[tuple, tuple[np.ndarray, float]]:
    ca = ens.ca()
    return {key: (ca.coords[k, i], float(ca.bfactors[k, i]))
            for i, key in enumerate(zip(ca.topology.chain_ids.tolist(), ca.topology.res_ids.tolist(),
                                        ca.topology.ins_codes.tolist()))}


def _assert_same_ca(ours: dict, theirs: dict, atol: float = 1e-3) -> None:
    assert ours.keys() == theirs.keys()
    a = np.array([ours[k][0] for k in theirs])
    b = np.array([theirs[k][0] for k in theirs])
    np.testing.assert_allclose(a, b, atol=atol)
    np.testing.assert_allclose([ours[k][1] for k in theirs], [theirs[k][1] for k in theirs], atol=1e-2)


@pytest.mark.parametrize("name", sorted(NMR_MODELS))
def test_nmr_models_and_ca_match_biotite(shared_data: Path, name: str) -> None:
    path = shared_data / "nmr" / f"{name}.pdb"
    ens = read_structure(path)
    assert ens.method == "nmr"
    assert ens.n_conformers == NMR_MODELS[name]
    assert ens.bfactors.shape == ens.coords.shape[:2]
    for model in (1, ens.n_conformers // 2 + 1, ens.n_conformers):
        _assert_same_ca(_our_ca(ens, model - 1), _biotite_ca(path, model))


def test_2axd_models_with_different_atoms_keep_common_atoms(shared_data: Path) -> None:
    path = shared_data / "nmr" / "2axd.pdb"
    ens = read_structure(path)
    pdb = bpdb.PDBFile.read(str(path))
    counts = [len(pdb.get_structure(model=m, altloc="all")) for m in range(1, 13)]
    assert len(set(counts)) > 1  # the models really hold different atoms
    assert ens.n_atoms <= min(counts)
    assert len(ens.notes) == 1 and "common to all 12 models" in ens.notes[0]


@pytest.mark.parametrize("name", XRAY)
def test_xray_one_conformer_bfactors_and_ca_match_biotite(shared_data: Path, name: str) -> None:
    path = shared_data / "xray" / f"{name}.pdb"
    ens = read_structure(path)
    assert ens.method == "xray"
    assert ens.n_conformers == 1
    assert ens.bfactors is not None and float(ens.bfactors.max()) > 0.0
    theirs = _biotite_ca(path, 1)
    if name in RNA_ONLY:
        assert not theirs
        with pytest.raises(NoProteinError):
            ens.ca()
        return
    _assert_same_ca(_our_ca(ens, 0), theirs)


@pytest.mark.parametrize("name", ["1l2y", "2axd", "nmr_neopetrosiamide"])
def test_nmr_roundtrip_pdb_and_cif(shared_data: Path, tmp_path: Path, name: str) -> None:
    ens = load(shared_data / "nmr" / f"{name}.pdb")
    for suffix in (".pdb", ".cif"):
        back = load(save(ens, tmp_path / f"out{suffix}"))
        assert back.n_conformers == ens.n_conformers
        assert back.topology.sequence() == ens.topology.sequence()
        np.testing.assert_array_equal(back.topology.atom_names, ens.topology.atom_names)
        np.testing.assert_array_equal(back.topology.elements, ens.topology.elements)
        np.testing.assert_allclose(back.coords, ens.coords, atol=1e-3)


@pytest.mark.parametrize("name", ["1aki", "3wip", "5eil"])
def test_xray_roundtrip_keeps_chains_ligands_and_bfactors(shared_data: Path, tmp_path: Path,
                                                          name: str) -> None:
    ens = load(shared_data / "xray" / f"{name}.pdb", keep_waters=True)
    back = load(save(ens, tmp_path / "out.pdb"), keep_waters=True)
    np.testing.assert_array_equal(back.topology.chain_ids, ens.topology.chain_ids)
    np.testing.assert_array_equal(back.topology.hetero, ens.topology.hetero)
    np.testing.assert_allclose(back.coords, ens.coords, atol=1e-3)
    np.testing.assert_allclose(back.bfactors, ens.bfactors, atol=1e-2)


def test_bfactors_survive_per_model(shared_data: Path, tmp_path: Path) -> None:
    ens = load(shared_data / "nmr" / "1l2y.pdb").select_frames(slice(0, 4))
    rng = np.random.default_rng(0)
    ens.bfactors = rng.uniform(0.0, 99.0, size=ens.coords.shape[:2]).astype(np.float32)
    assert not np.allclose(ens.bfactors[0], ens.bfactors[1])
    back = load(save(ens, tmp_path / "b.pdb"))
    np.testing.assert_allclose(back.bfactors, ens.bfactors, atol=6e-3)


def test_load_strips_hydrogens_waters_and_ions(shared_data: Path) -> None:
    path = shared_data / "xray" / "1aki.pdb"
    raw = read_structure(path)
    ens = load(path)
    topo = ens.topology
    assert not topo.is_hydrogen().any() and not topo.is_water().any() and not topo.is_ion().any()
    assert raw.topology.is_water().any() and ens.n_atoms < raw.n_atoms
    assert load(path, keep_waters=True).topology.is_water().sum() == raw.topology.is_water().sum()


def test_read_pdb_text_equals_file_reader(shared_data: Path) -> None:
    path = shared_data / "nmr" / "nmr_neopetrosiamide.pdb"
    from_file = read_structure(path)
    from_text = read_pdb_text(path.read_text(), "neo")
    np.testing.assert_array_equal(from_text.coords, from_file.coords)
    np.testing.assert_array_equal(from_text.topology.atom_names, from_file.topology.atom_names)
    assert to_gemmi(from_file).make_pdb_string().count("MODEL") == 24


def test_nmr_file_cut_inside_a_model_drops_that_model(tmp_path: Path, shared_data: Path) -> None:
    text = (shared_data / "nmr" / "1l2y.pdb").read_text()
    third = text.index("MODEL        3")
    for cut, name in ((text.index("\nATOM", third + 400) + 30, "mid_record.pdb"),
                      (text.index("\nATOM", third + 400) + 1, "at_line_end.pdb")):
        path = tmp_path / name
        path.write_text(text[:cut])
        ens = read_structure(path)
        assert ens.n_conformers == 2
        assert ens.notes == ["model 3 is cut (the file ends inside it); dropped"]


def test_single_model_file_cut_at_a_line_end_is_an_error(tmp_path: Path, shared_data: Path) -> None:
    text = (shared_data / "xray" / "1aki.pdb").read_text()
    path = tmp_path / "cut.pdb"
    path.write_text(text[: text.index("\nATOM", len(text) // 2) + 1])
    with pytest.raises(TruncatedFileError, match="no END record"):
        read_structure(path)


def test_shifted_coordinate_columns_are_an_error(tmp_path: Path, shared_data: Path) -> None:
    lines = (shared_data / "xray" / "1aki.pdb").read_text().splitlines(keepends=True)
    atom = next(i for i, line in enumerate(lines) if line.startswith("ATOM"))
    lines[atom + 10] = lines[atom + 10][:27] + " " + lines[atom + 10][27:]
    path = tmp_path / "shifted.pdb"
    path.write_text("".join(lines))
    with pytest.raises(TruncatedFileError, match=f"line {atom + 11}: .* coordinate .* is not a number"):
        read_structure(path)


def _per_atom_read(path: Path, monkeypatch) -> Ensemble:
    with monkeypatch.context() as patch:
        patch.setattr(structure_module, "_uniform_models", lambda st: None)
        return read_structure(path)


def _assert_same_ensemble(a: Ensemble, b: Ensemble) -> None:
    for name in ("chain_ids", "res_ids", "ins_codes", "res_names", "atom_names", "elements", "hetero"):
        x, y = getattr(a.topology, name), getattr(b.topology, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert a.coords.dtype == b.coords.dtype and np.array_equal(a.coords, b.coords)
    assert a.bfactors.dtype == b.bfactors.dtype and np.array_equal(a.bfactors, b.bfactors)
    assert (a.method, a.name, a.notes) == (b.method, b.name, b.notes)


@pytest.mark.parametrize("name", ["nmr/1gya.pdb", "nmr/2axd.pdb", "xray/1k6p.pdb", "xray/5ugo.pdb"])
def test_models_read_in_bulk_equal_the_per_atom_reader(shared_data: Path, monkeypatch, name: str) -> None:
    path = shared_data / name
    _assert_same_ensemble(read_structure(path), _per_atom_read(path, monkeypatch))


def test_models_with_atoms_in_another_order_are_matched_by_name(tmp_path: Path, monkeypatch) -> None:
    rows = ["ATOM      1  N   GLY A   1       1.000   2.000   3.000  1.00  5.00           N",
            "ATOM      2  CA  GLY A   1       4.000   5.000   6.000  1.00  6.00           C"]
    path = tmp_path / "swapped.pdb"
    path.write_text("\n".join(["MODEL        1", *rows, "ENDMDL", "MODEL        2", *rows[::-1], "ENDMDL", "END", ""]))
    ens = read_structure(path)
    assert structure_module._uniform_models(structure_module._read_gemmi(path)[0]) is None
    np.testing.assert_array_equal(ens.coords[0], ens.coords[1])
    _assert_same_ensemble(ens, _per_atom_read(path, monkeypatch))
