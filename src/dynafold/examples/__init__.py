"""A small public structure shipped with dynafold, for examples and smoke tests."""

from __future__ import annotations

from pathlib import Path

EXAMPLE_PDB_ID = "5A7U"


def example_path() -> Path:
    """Path of the bundled example: PDB entry 5A7U chain A, the zinc-finger domain
    of the regulatory protein ADR1 (27 residues, 223 heavy atoms, one model)."""
    return Path(__file__).with_name("5a7u.pdb")
