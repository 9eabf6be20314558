"""ATLAS folders and zips built from the real 3tvj_I trajectory."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from dataset_files import write_atlas_zip

from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldInputError, TruncatedFileError
from dynafold.io import load
from dynafold.io.atlas import holds_atlas_replicas, read_atlas


@pytest.fixture()
def replicas(atlas_traj: Ensemble) -> list[Ensemble]:
    """Three distinct replicas made from the real frames (forward, reversed, shuffled)."""
    order = np.random.default_rng(1).permutation(10)
    return [atlas_traj, atlas_traj.select_frames(slice(None, None, -1)), atlas_traj.select_frames(order)]


@pytest.fixture()
def atlas_zip(tmp_path: Path, replicas: list[Ensemble]) -> Path:
    return write_atlas_zip(replicas, tmp_path / "3tvj_I_protein.zip", name="3tvj_I")


def test_zip_layout(atlas_zip: Path) -> None:
    names = sorted(zipfile.ZipFile(atlas_zip).namelist())
    assert names == ["3tvj_I.pdb", "3tvj_I_prod_R1_fit.xtc", "3tvj_I_prod_R2_fit.xtc",
                     "3tvj_I_prod_R3_fit.xtc"]


@pytest.mark.parametrize("replica", [1, 2, 3])
def test_each_replica_within_xtc_precision(atlas_zip: Path, replicas: list[Ensemble], replica: int) -> None:
    ens = read_atlas(atlas_zip, replica=replica)
    assert ens.method == "md" and ens.name == f"3tvj_I_R{replica}"
    assert ens.coords.shape == (10, 531, 3)
    np.testing.assert_allclose(ens.coords, replicas[replica - 1].coords, atol=1e-2)
    assert not np.allclose(ens.coords, replicas[replica % 3].coords, atol=1e-2)


def test_all_replicas_sliced_and_concatenated(atlas_zip: Path, replicas: list[Ensemble]) -> None:
    ens = read_atlas(atlas_zip, replica="all", start=1, stride=3)
    expected = np.concatenate([r.coords[1::3] for r in replicas])
    np.testing.assert_allclose(ens.coords, expected, atol=1e-2)
    assert ens.notes == ["replicas 1, 2, 3 concatenated"]


def test_folder_equals_zip(tmp_path: Path, atlas_zip: Path) -> None:
    folder = tmp_path / "3tvj_I"
    zipfile.ZipFile(atlas_zip).extractall(folder)
    np.testing.assert_array_equal(read_atlas(folder, replica=2).coords,
                                  read_atlas(atlas_zip, replica=2).coords)
    loaded = load(folder, replica=2, stop=4)
    assert loaded.coords.shape == (4, 275, 3)  # hydrogens stripped
    assert holds_atlas_replicas(folder) and not holds_atlas_replicas(tmp_path)  # a chain, a folder of chains


def test_bad_replica_and_bad_zip(tmp_path: Path, atlas_zip: Path) -> None:
    with pytest.raises(DynafoldInputError, match="no replica 4; available: 1, 2, 3"):
        read_atlas(atlas_zip, replica=4)
    with pytest.raises(DynafoldInputError, match="replica must be"):
        read_atlas(atlas_zip, replica="first")
    broken = tmp_path / "broken_protein.zip"
    broken.write_bytes(atlas_zip.read_bytes()[:2000])
    with pytest.raises(TruncatedFileError, match="broken_protein.zip"):
        load(broken)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DynafoldInputError, match="no ATLAS trajectory"):
        read_atlas(empty)


def test_corrupt_member_error_names_the_zip_and_member(tmp_path: Path, atlas_zip: Path) -> None:
    broken = tmp_path / "broken_protein.zip"
    with zipfile.ZipFile(atlas_zip) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            # cut inside a frame (a cut between frames is a valid shorter XTC)
            dst.writestr(name, data[: len(data) // 2 + 100] if name.endswith("R2_fit.xtc") else data)
    assert read_atlas(broken, replica=1).n_conformers == 10
    with pytest.raises(TruncatedFileError) as err:
        read_atlas(broken, replica=2)
    message = str(err.value)
    assert message.startswith(f"{broken}: 3tvj_I_prod_R2_fit.xtc: ")
    assert "truncated" in message
