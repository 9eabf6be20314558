"""Conversion of mdtraj topologies: elements of protein atoms come from their names."""

from __future__ import annotations

from pathlib import Path

import mdtraj
import numpy as np
import pytest

from dynafold.io.mdtraj_topology import protein_element, topology_from_mdtraj
from dynafold.io.structure import read_structure


@pytest.mark.parametrize("name,element", [("CA", "C"), ("N", "N"), ("OXT", "O"), ("SD", "S"),
                                          ("1HB", "H"), ("HG21", "H"), ("SE", "SE")])
def test_protein_element(name: str, element: str) -> None:
    assert protein_element(name) == element


def test_mdtraj_conversion_equals_gemmi_reader(atlas_files) -> None:
    pdb = atlas_files[1]
    ours = read_structure(pdb).topology
    via_mdtraj = topology_from_mdtraj(mdtraj.load_topology(str(pdb), standard_names=False))
    for field in ("res_ids", "res_names", "atom_names", "elements", "hetero"):
        np.testing.assert_array_equal(getattr(via_mdtraj, field), getattr(ours, field), err_msg=field)


def test_calcium_guess_is_fixed_without_element_column(tmp_path: Path, atlas_files) -> None:
    lines = atlas_files[1].read_text().splitlines()
    stripped = tmp_path / "noelem.pdb"
    # drop the element column (77-78) and left-align atom names, as some MD tools write
    stripped.write_text("\n".join(
        (line[:12] + line[12:16].strip().ljust(4) + line[16:76]) if line.startswith("ATOM") else line
        for line in lines) + "\n")
    md_top = mdtraj.load_topology(str(stripped), standard_names=False)
    ca_guess = {a.element.symbol for a in md_top.atoms if a.name == "CA"}
    topo = topology_from_mdtraj(md_top)
    assert set(topo.elements[topo.atom_names == "CA"].tolist()) == {"C"}
    assert ca_guess == {"Ca"}  # mdtraj alone would call these calcium
    assert topo.ca().sum() == 38
