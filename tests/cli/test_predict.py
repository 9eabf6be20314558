"""`dynafold predict`: output files parse back, bad input gives one line and exit 2."""

import json
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
