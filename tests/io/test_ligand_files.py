"""User-supplied ligands: SDF/MOL and MOL2 files and dictionary codes give the Ligand type; bad ones one error line."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from dynafold.cli import main
from dynafold.errors import DynafoldInputError, LigandError
from dynafold.io import load, strip
from dynafold.io.ligand_files import ligand_from_code, read_ligand_file


def _write_sdf(path: Path, codes: list[str]) -> Path:
    """An SDF file of the dictionary entries ``codes`` (one record each), written by biotite."""
    import biotite.structure.io.mol as mol
    from biotite.structure import info

    sdf = mol.SDFile()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, code in enumerate(codes):
            record = mol.SDRecord()
            mol.set_structure(record, info.residue(code))
            sdf[f"{code}" if i == 0 else f"{code}_{i}"] = record
    sdf.write(str(path))
    return path


def _write_mol2(path: Path, code: str) -> Path:
    """A MOL2 file of one dictionary entry; aromatic bonds written as 'ar'."""
    ref = ligand_from_code(code)
    topo, (lig,) = ref.topology, ref.ligands
    lines = ["@<TRIPOS>MOLECULE", code, f"{ref.n_atoms} {len(lig.bonds)} 1 0 0", "SMALL", "NO_CHARGES", "",
             "@<TRIPOS>ATOM"]
    for i, (name, el, xyz) in enumerate(zip(topo.atom_names, topo.elements, ref.coords[0]), 1):
        lines.append(f"{i:6d} {name:<6s} {xyz[0]:10.4f} {xyz[1]:10.4f} {xyz[2]:10.4f} {el.capitalize()}.3 1 "
                     f"{code} 0.0000")
    lines.append("@<TRIPOS>BOND")
    for i, ((a, b), order, arom) in enumerate(zip(lig.bonds, lig.bond_orders, lig.aromatic), 1):
        lines.append(f"{i:6d} {a + 1:5d} {b + 1:5d} {'ar' if arom else order}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _heavy_reference(code: str):
    ref = strip(ligand_from_code(code))
    return ref, ref.ligands[0]


@pytest.mark.parametrize("code", ["ATP", "HEM", "LYS"])
def test_sdf_ligand_has_the_dictionary_chemistry(tmp_path, code) -> None:
    ens = load(_write_sdf(tmp_path / "lig.sdf", [code]))
    ref, ref_lig = _heavy_reference(code)
    (lig,) = ens.ligands
    assert lig.residue_name(ens.topology) == code and lig.source == "file"
    assert ens.n_atoms == ref.n_atoms and not ens.topology.is_hydrogen().any()
    assert ens.topology.elements.tolist() == ref.topology.elements.tolist()
    assert np.allclose(ens.coords, ref.coords, atol=1e-3)
    assert np.array_equal(lig.bonds, ref_lig.bonds)
    assert np.array_equal(lig.bond_orders, ref_lig.bond_orders)
    assert np.array_equal(lig.aromatic, ref_lig.aromatic)
    assert np.array_equal(lig.formal_charges, ref_lig.formal_charges)


def test_sdf_records_of_one_molecule_are_conformers(tmp_path) -> None:
    ens = load(_write_sdf(tmp_path / "two.sdf", ["ATP", "ATP"]))
    assert ens.n_conformers == 2 and len(ens.ligands) == 1


def test_mol2_ligand_keeps_bond_orders_and_aromatic_bonds(tmp_path) -> None:
    ens = load(_write_mol2(tmp_path / "atp.mol2", "ATP"))
    ref, ref_lig = _heavy_reference("ATP")
    (lig,) = ens.ligands
    assert lig.residue_name(ens.topology) == "ATP" and ens.n_atoms == ref.n_atoms == 31
    assert np.array_equal(lig.bonds, ref_lig.bonds)
    assert lig.aromatic.sum() == ref_lig.aromatic.sum() == 10
    assert np.array_equal(lig.bond_orders[~lig.aromatic], ref_lig.bond_orders[~ref_lig.aromatic])
    assert (lig.bond_orders[lig.aromatic] == 0).all()  # 'ar' bonds carry no order
    assert (lig.formal_charges == 0).all()


def test_dictionary_code_gives_ideal_coordinates_or_one_line_errors(monkeypatch) -> None:
    atp = ligand_from_code("atp")
    assert atp.n_conformers == 1 and atp.ligands[0].source == "ccd" and atp.topology.atom_names[0] == "PG"
    with pytest.raises(LigandError, match="not in the Chemical Component Dictionary"):
        ligand_from_code("QQ9Z7")
    from dynafold.io import ligands

    entry = ligands.ccd_component("ATP").copy()
    entry.coord[:] = np.nan
    monkeypatch.setattr(ligands, "ccd_component", lambda code: entry)
    with pytest.raises(LigandError, match="no coordinates") as err:
        ligand_from_code("ATP")
    assert "\n" not in str(err.value)


def _bad_files(tmp_path: Path) -> dict[str, bytes]:
    good = _write_sdf(tmp_path / "good.sdf", ["ATP"]).read_bytes()
    lines = good.decode().splitlines()
    atom_line = 4  # first atom line of the record
    nan = list(lines)
    nan[atom_line] = "       nan    1.0000    0.0000 P   0  0  0  0  0  0  0  0  0  0  0  0"
    far_bond = list(lines)
    first_bond = atom_line + int(lines[3][:3])
    far_bond[first_bond] = " 99  1  1  0  0  0  0"
    more_atoms = list(lines)
    more_atoms[3] = "999" + lines[3][3:]
    two = _write_sdf(tmp_path / "two.sdf", ["ATP", "HEM"]).read_bytes()
    mol2 = _write_mol2(tmp_path / "good.mol2", "ATP").read_text().splitlines()
    return {
        "empty.sdf": b"",
        "blank.sdf": b"\n\n\n\n$$$$\n",
        "garbage.sdf": b"this is not a molecule\n",
        "binary.sdf": bytes(range(256)) * 4,
        "truncated.sdf": good[: len(good) // 2],
        "nan.sdf": "\n".join(nan).encode(),
        "far_bond.sdf": "\n".join(far_bond).encode(),
        "more_atoms.sdf": "\n".join(more_atoms).encode(),
        "two_molecules.sdf": two,
        "empty.mol2": b"",
        "no_atoms.mol2": b"@<TRIPOS>MOLECULE\nX\n0 0\n",
        "short_atom.mol2": "\n".join(mol2[:8] + ["1 C1 0.0"]).encode(),
        "bad_bond.mol2": "\n".join(mol2 + ["99 1 77 1"]).encode(),
        "text_coords.mol2": "\n".join(mol2[:7] + [mol2[7].replace(mol2[7].split()[2], "x")] + mol2[8:]).encode(),
    }


def test_bad_ligand_files_raise_one_line_errors(tmp_path) -> None:
    for name, data in _bad_files(tmp_path).items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(DynafoldInputError) as err:
            read_ligand_file(path)
        assert "\n" not in str(err.value) and str(err.value.path) == str(path), name


def test_mutated_sdf_bytes_load_or_raise_input_errors(tmp_path) -> None:
    good = bytearray(_write_sdf(tmp_path / "good.sdf", ["HEM"]).read_bytes())
    rng = np.random.default_rng(0)
    raised = 0
    for i in range(60):
        data = bytearray(good)
        for pos in rng.integers(0, len(data), size=int(rng.integers(1, 6))):
            data[pos] = int(rng.integers(0, 256))
        path = tmp_path / f"m{i}.sdf"
        path.write_bytes(bytes(data))
        try:
            ens = read_ligand_file(path)
        except DynafoldInputError as err:
            raised += 1
            assert "\n" not in str(err)
        else:
            assert np.isfinite(ens.coords).all() and len(ens.ligands) == 1
    assert raised > 0


def test_cli_reports_a_broken_sdf_in_one_line(tmp_path, capfd) -> None:
    bad = tmp_path / "broken.sdf"
    bad.write_bytes(_bad_files(tmp_path)["truncated.sdf"])
    with pytest.raises(SystemExit) as exit_info:
        main(["info", str(bad)])
    out, err = capfd.readouterr()
    assert exit_info.value.code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith(f"dynafold: error: {bad}: cannot read SDF/MOL ligand")
    good = _write_sdf(tmp_path / "atp.sdf", ["ATP"])
    main(["info", str(good)])
    assert "ligand ATP, 1 conformer(s), 31 heavy atoms" in capfd.readouterr().out
