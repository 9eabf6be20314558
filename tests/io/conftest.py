"""Fixtures of the I/O tests: the real trajectories and their topologies."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynafold.ensemble import Ensemble
from dynafold.io.trajectory import read_trajectory


@pytest.fixture(scope="session")
def md_dir(shared_data: Path) -> Path:
    return shared_data / "md"


@pytest.fixture(scope="session")
def mdcath_files(md_dir: Path) -> tuple[Path, Path]:
    """(XTC, PDB) of mdCATH domain 2hbaA00, 320 K, replica 0."""
    return md_dir / "mdcath_2hbaA00" / "2hbaA00_320_0.xtc", md_dir / "mdcath_2hbaA00" / "2hbaA00.pdb"


@pytest.fixture(scope="session")
def atlas_files(md_dir: Path) -> tuple[Path, Path]:
    """(DCD, PDB) of ATLAS chain 3tvj_I."""
    return md_dir / "atlas_3tvj_I" / "3tvj_I_10frames.dcd", md_dir / "atlas_3tvj_I" / "3tvj_I.pdb"


@pytest.fixture(scope="session")
def mdcath_traj(mdcath_files: tuple[Path, Path]) -> Ensemble:
    return read_trajectory(*mdcath_files)


@pytest.fixture(scope="session")
def atlas_traj(atlas_files: tuple[Path, Path]) -> Ensemble:
    return read_trajectory(*atlas_files)


@pytest.fixture(scope="session")
def adk_files(md_dir: Path) -> tuple[Path, Path]:
    """(XTC, GRO) of adenylate kinase in water."""
    return md_dir / "adk_oplsaa" / "adk_oplsaa.xtc", md_dir / "adk_oplsaa" / "adk_oplsaa.gro"


@pytest.fixture(scope="session")
def adk_traj(adk_files: tuple[Path, Path]) -> Ensemble:
    return read_trajectory(*adk_files)
