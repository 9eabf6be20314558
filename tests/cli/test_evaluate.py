"""`dynafold evaluate` end to end on real files."""

from __future__ import annotations

import json

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
