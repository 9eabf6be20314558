"""`dynafold evaluate` end to end on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynafold.cli import main
from dynafold.io import load, save


def test_nmr_halves_write_json_and_png(shared_data, tmp_path, capsys):
    nmr = load(shared_data / "nmr" / "1l2y.pdb")
    save(nmr.select_frames(slice(0, 19)), tmp_path / "pred.pdb")
    save(nmr.select_frames(slice(19, 38)), tmp_path / "ref.pdb")
    out_json, out_png = tmp_path / "out" / "scores.json", tmp_path / "fig.png"
    main(["evaluate", "--pred", str(tmp_path / "pred.pdb"), "--ref", str(tmp_path / "ref.pdb"),
          "--ref-frames", "10", "--seed", "1", "--json", str(out_json), "--plot", str(out_png)])
    text = capsys.readouterr().out
    assert "matched residues" in text and "20 / 20" in text
    data = json.loads(out_json.read_text())
    assert data["n_pred"] == 19 and data["n_ref"] == 10 and data["seed"] == 1
    assert len(data["ref_frame_indices"]) == 10 and data["atoms"] == "ca"
    assert len(data["rmsf"]["pred_A"]) == len(data["rmsf"]["ref_A"]) == 20
    for key in ("pearson", "spearman", "rmse_A"):
        assert key in data["rmsf"]
    for key in ("precision", "recall", "diversity"):
        assert 0 <= data["lddt"][key] <= 1
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("**/.*tmp*"))


def test_other_protein_fails_with_one_line(shared_data, capsys):
    md = shared_data / "md" / "mdcath_2hbaA00"
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--pred", str(shared_data / "nmr" / "1l2y.pdb"),
              "--ref", str(md / "2hbaA00_320_0.xtc"), "--ref-top", str(md / "2hbaA00.pdb")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("dynafold: error:") and "sequences disagree" in err
    assert len(err.splitlines()) == 1


def test_ligand_scores_appear_only_when_both_ensembles_hold_the_ligand(tmp_path, capsys):
    pocket = Path(__file__).resolve().parents[1] / "data" / "prolif_pocket"
    xtc, pdb = str(pocket / "pocket.xtc"), str(pocket / "pocket.pdb")
    out_json = tmp_path / "scores.json"
    main(["evaluate", "--pred", xtc, "--pred-top", pdb, "--ref", xtc, "--ref-top", pdb, "--json", str(out_json)])
    assert "LIG G1 contact persistence Pearson r" in capsys.readouterr().out
    (lig,) = json.loads(out_json.read_text())["ligands"]
    assert lig["ligand"] == "LIG G1" and lig["rmsd_A"]["pred"] == lig["rmsd_A"]["ref"]
    assert lig["rmsf_A"]["pearson"] == pytest.approx(1.0) and lig["contacts"]["pearson"] == pytest.approx(1.0)
    # a protein-only prediction: the scores of before, no ligand key
    save(load(pocket / "pocket.xtc", pocket / "pocket.pdb", keep_ligands=False), tmp_path / "pred.pdb")
    main(["evaluate", "--pred", str(tmp_path / "pred.pdb"), "--ref", xtc, "--ref-top", pdb, "--json", str(out_json)])
    assert "LIG" not in capsys.readouterr().out
    assert "ligands" not in json.loads(out_json.read_text())
