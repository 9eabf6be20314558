"""`benchmark --steps` reaches the dynafold generators and the report's settings."""

from __future__ import annotations

import json
from types import SimpleNamespace

from click.testing import CliRunner


def test_steps_option_reaches_the_sampler(shared_data, tmp_path, monkeypatch):
    import dynafold.predict
    from dynafold.cli import cli

    nmr = shared_data / "nmr" / "1l2y.pdb"
    (tmp_path / "targets.csv").write_text(f"name,reference,reference_topology,input\n1l2y,{nmr},,{nmr}\n")
    calls = []

    def fake_sampler(structure, **kwargs):
        calls.append(kwargs)
        return SimpleNamespace(ensemble=structure.protein().select_frames(slice(0, kwargs["n_samples"])))

    monkeypatch.setattr(dynafold.predict, "sample_ensemble", fake_sampler)
    res = CliRunner().invoke(cli, ["benchmark", str(tmp_path / "targets.csv"), "-g", "dynafold-md", "--steps", "7",
                                   "--samples", "3", "--ref-frames", "5", "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert [c["steps"] for c in calls] == [7] and calls[0]["method"] == "md"
    settings = json.loads((tmp_path / "r" / "results.json").read_text())["provenance"]["settings"]
    assert settings["steps"] == 7


def test_readme_documents_the_targets_csv(tmp_path):
    """The README's example target list reads back with its paths resolved against the CSV's folder."""
    from pathlib import Path

    from dynafold.bench.targets import COLUMNS, read_targets

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    lines = readme.splitlines()
    start = lines.index("    " + ",".join(COLUMNS))
    rows = [line.strip() for line in lines[start:start + 3]]
    folder = tmp_path / "bench"
    for name in ("md/3tvj_I.xtc", "md/3tvj_I.pdb", "nmr/1l2y.pdb"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).touch()
    (folder / "targets.csv").write_text("\n".join(rows) + "\n")
    targets = read_targets(folder / "targets.csv")
    assert [t.name for t in targets] == ["3tvj_I", "1l2y"]
    assert targets[0].reference == folder / "md" / "3tvj_I.xtc" and targets[1].reference_topology is None
