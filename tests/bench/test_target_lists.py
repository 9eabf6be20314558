"""Target lists: writing, reading back, relative paths, the input structure, ATLAS/mdCATH folders."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from dynafold.bench import targets as tg
from dynafold.errors import DynafoldInputError
from dynafold.io import load


def test_make_targets_from_nmr_files(tmp_path, shared_data):
    nmr = shared_data / "nmr"
    out = tmp_path / "list" / "targets.csv"
    tg.make_targets([("trp", nmr / "1l2y.pdb", None), ("neo", nmr / "nmr_neopetrosiamide.pdb", None)], out)
    rows = list(csv.DictReader(out.open()))
    assert [r["name"] for r in rows] == ["trp", "neo"]
    assert rows[0]["input"] == "inputs/trp.pdb" and rows[0]["reference_topology"] == ""
    assert not rows[0]["reference"].startswith("/")  # relative to the CSV
    read = tg.read_targets(out)
    assert read[0].reference == (nmr / "1l2y.pdb").resolve()
    # the input is the first reference conformer, protein heavy atoms
    first = load(nmr / "1l2y.pdb").select_frames([0]).protein()
    inp = tg.load_input(read[0])
    assert inp.n_conformers == 1 and inp.n_atoms == first.n_atoms
    np.testing.assert_allclose(inp.coords, first.coords, atol=1e-3)
    assert tg.load_reference(read[0]).n_conformers == 38


def test_read_targets_errors(tmp_path):
    bad = tmp_path / "t.csv"
    bad.write_text("name,reference\nx,a.pdb\n")
    with pytest.raises(DynafoldInputError, match="lacks column"):
        tg.read_targets(bad)
    bad.write_text("name,reference,reference_topology,input\nx,a,,b\nx,a,,b\n")
    with pytest.raises(DynafoldInputError, match="duplicate target names: x"):
        tg.read_targets(bad)
    with pytest.raises(DynafoldInputError, match="not found"):
        tg.read_targets(tmp_path / "missing.csv")


def test_atlas_and_mdcath_folders_with_split(tmp_path, shared_data):
    atlas = tmp_path / "atlas"
    names = tg.split_names(shared_data / "splits" / "atlas_test.csv")
    assert len(names) == 82
    atlas.mkdir()
    for name in names[:3]:
        (atlas / f"{name}_protein.zip").write_bytes(b"")
    (atlas / "1abc_A").mkdir()
    (atlas / "1abc_A" / "1abc_A.pdb").write_text("")
    found = tg.atlas_references(atlas)
    assert [n for n, _, _ in found] == sorted(names[:3] + ["1abc_A"])
    split = tmp_path / "split.csv"
    split.write_text("name,seqres\n" + "".join(f"{n},X\n" for n in names[:2]))
    assert [n for n, _, _ in tg.atlas_references(atlas, split)] == names[:2]
    with pytest.raises(DynafoldInputError, match="79 ATLAS entries of the split are missing"):
        tg.atlas_references(atlas, shared_data / "splits" / "atlas_test.csv")
    md = tmp_path / "mdcath"
    md.mkdir()
    (md / "mdcath_dataset_2hbaA00.h5").write_bytes(b"")
    assert tg.mdcath_references(md) == [("2hbaA00", md / "mdcath_dataset_2hbaA00.h5", None)]
    with pytest.raises(DynafoldInputError, match="no mdCATH entries"):
        tg.mdcath_references(tmp_path)


def test_file_sha256_of_file_and_folder(tmp_path):
    import hashlib

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a").write_bytes(b"hello")
    assert tg.file_sha256(tmp_path / "d" / "a") == hashlib.sha256(b"hello").hexdigest()
    before = tg.file_sha256(tmp_path / "d")
    (tmp_path / "d" / "a").write_bytes(b"hellO")
    assert tg.file_sha256(tmp_path / "d") != before


def test_targets_from_a_prepared_store(tmp_path, shared_data):
    from dynafold.data import store as store_mod
    from dynafold.data.targets import residue_targets

    store = tmp_path / "store"
    for name in ("1l2y", "nmr_neopetrosiamide"):
        ens = load(shared_data / "nmr" / f"{name}.pdb").protein()
        store_mod.write_system(store, ens, residue_targets(ens), {"name": name, "source": "nmr"})
    xray = load(shared_data / "xray" / "1aki.pdb").protein()
    store_mod.write_system(store, xray, residue_targets(xray), {"name": "1aki", "source": "xray"})
    made = tg.make_targets_from("store", store, tmp_path / "t.csv")
    assert [t.name for t in made] == ["1l2y", "nmr_neopetrosiamide"]  # the X-ray system is no reference
    ref = tg.load_reference(tg.read_targets(tmp_path / "t.csv")[0])
    expected = load(shared_data / "nmr" / "1l2y.pdb").protein()
    assert ref.n_conformers == 38
    np.testing.assert_allclose(ref.coords, expected.coords, atol=1e-3)


def test_cli_makes_targets_from_atlas_and_mdcath_layouts(tmp_path, shared_data):
    """ATLAS zip / mdCATH HDF5 built from the real trajectories, listed through the CLI."""
    from click.testing import CliRunner

    from dynafold.cli import cli

    from dataset_files import write_atlas_zip, write_mdcath
    md = shared_data / "md"
    atlas_ens = load(md / "atlas_3tvj_I" / "3tvj_I_10frames.dcd", md / "atlas_3tvj_I" / "3tvj_I.pdb")
    write_atlas_zip(atlas_ens, tmp_path / "atlas" / "3tvj_I_protein.zip", name="3tvj_I")
    ntl9 = load(md / "mdcath_2hbaA00" / "2hbaA00_320_0.xtc", md / "mdcath_2hbaA00" / "2hbaA00.pdb", stop=30)
    write_mdcath(ntl9, tmp_path / "mdcath" / "mdcath_dataset_2hbaA00.h5", domain="2hbaA00")
    split = tmp_path / "split.csv"
    split.write_text("name,seqres\n3tvj_I,X\n")
    for kind, name, frames, extra in (("atlas", "3tvj_I", 10, ["--split", str(split)]),
                                      ("mdcath", "2hbaA00", 30, [])):
        out = tmp_path / kind / "targets.csv"
        res = CliRunner().invoke(cli, ["benchmark", str(out), "--make-targets-from",
                                       f"{kind}:{tmp_path / kind}", *extra])
        assert res.exit_code == 0, res.output
        (target,) = tg.read_targets(out)
        assert target.name == name and target.reference_topology is None
        ref = tg.load_reference(target)
        assert ref.n_conformers == frames
        np.testing.assert_allclose(tg.load_input(target).coords[0], ref.protein().coords[0], atol=2e-3)
