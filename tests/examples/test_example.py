"""The bundled example: present, readable, documented, and not one of the development files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import biotite.structure as struc
import biotite.structure.io.pdb as bpdb
import numpy as np

from dynafold.examples import example_path
from dynafold.io import load


def test_example_loads_and_matches_biotite() -> None:
    path = example_path()
    ens = load(path)
    atoms = bpdb.PDBFile.read(str(path)).get_structure(model=1)
    ca = atoms[(atoms.atom_name == "CA") & struc.filter_amino_acids(atoms)]
    np.testing.assert_allclose(ens.ca().coords[0], ca.coord, atol=1e-3)
    assert ens.topology.sequence() == "".join(
        struc.info.one_letter_code(r) for r in struc.get_residues(ca)[1])


def test_origin_documents_the_file() -> None:
    path = example_path()
    origin = (path.parent / "ORIGIN.md").read_text()
    assert hashlib.sha256(path.read_bytes()).hexdigest() in origin
    for word in ("MDAnalysisTests", "2.11.0", "5A7U", "Licence"):
        assert word in origin
    assert path.stat().st_size < 300_000


def test_example_is_not_a_development_file(shared_data: Path) -> None:
    digest = hashlib.sha256(example_path().read_bytes()).digest()
    for other in shared_data.rglob("*.pdb"):
        assert hashlib.sha256(other.read_bytes()).digest() != digest, other
