"""`dynafold info` on real files: the numbers it prints equal those of independent readers."""

from __future__ import annotations

import json
from pathlib import Path

import mdtraj
from click.testing import CliRunner

from dynafold.cli.info import info
from dynafold.examples import example_path


def _json(*args: str) -> dict:
    result = CliRunner().invoke(info, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_info_nmr_ensemble(shared_data: Path) -> None:
    data = _json(str(shared_data / "nmr" / "2axd.pdb"))
    assert data["method"] == "nmr" and data["conformers"] == 12 and data["residues"] == 76
    assert any("common to all 12 models" in note for note in data["notes"])


def test_info_trajectory_counts_match_mdtraj(shared_data: Path) -> None:
    folder = shared_data / "md" / "mdcath_2hbaA00"
    xtc, pdb = folder / "2hbaA00_320_0.xtc", folder / "2hbaA00.pdb"
    data = _json(str(xtc), "--topology", str(pdb))
    ref = mdtraj.load(str(xtc), top=str(pdb))
    heavy = ref.topology.select("protein and not element H")
    assert data["conformers"] == ref.n_frames == 500
    assert data["atoms"] == len(heavy)
    assert data["residues"] == ref.n_residues
    assert data["sequence"] == "".join(r.code for r in ref.topology.residues)
    assert data["time_ps"] == [float(ref.time[0]), float(ref.time[-1])]


def test_info_text_output_of_bundled_example() -> None:
    result = CliRunner().invoke(info, [str(example_path())], catch_exceptions=False)
    assert result.exit_code == 0
    assert "conformers: 1" in result.output
    assert "residues:   27 in chain(s) A" in result.output
    assert "KPYPCGLCNRCFTRRDLLIRHAQKIHS" in result.output
