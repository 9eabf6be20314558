"""The store: system files round trip, manifest merging and reconciliation."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from dynafold.data.store import (
    content_digest,
    load_manifest,
    read_system,
    reconcile_manifest,
    remove_stale_temporaries,
    update_manifest,
    write_system,
)
from dynafold.data.targets import residue_targets


@pytest.fixture(scope="module")
def nmr(shared_data):
    from dynafold.io import load

    return load(shared_data / "nmr/1l2y.pdb").protein()


def test_system_round_trip(nmr, tmp_path) -> None:
    targets = residue_targets(nmr)
    entry = write_system(tmp_path, nmr, targets, {"name": "1l2y", "source": "nmr"})
    assert entry["n_conformers"] == 38 and entry["n_residues"] == 20 and entry["file"] == "1l2y.npz"
    back = read_system(tmp_path / "1l2y.npz")
    assert np.array_equal(back.ensemble.coords, nmr.coords)
    assert back.ensemble.coords.dtype == np.float32
    assert back.ensemble.topology.residue_keys() == nmr.topology.residue_keys()
    assert back.ensemble.method == "nmr" and back.meta["source"] == "nmr"
    for key, value in targets.items():
        assert np.array_equal(back.targets[key], value)


def test_content_digest_follows_the_arrays_not_the_file(nmr, tmp_path) -> None:
    from dynafold.errors import TruncatedFileError

    targets = residue_targets(nmr)
    first = write_system(tmp_path / "a", nmr, targets, {"name": "1l2y", "source": "/here/1l2y.pdb"})
    again = write_system(tmp_path / "b", nmr, targets, {"name": "1l2y", "source": "/there/1l2y.pdb"})
    paths = [tmp_path / d / e["file"] for d, e in (("a", first), ("b", again))]
    assert paths[0].read_bytes() != paths[1].read_bytes()  # the provenance differs
    assert content_digest(paths[0]) == content_digest(paths[1])
    coords = nmr.coords.copy()
    coords[3, 5, 0] += 0.01
    moved = dataclasses.replace(nmr, coords=coords)
    write_system(tmp_path / "c", moved, targets, {"name": "1l2y", "source": "/here/1l2y.pdb"})
    assert content_digest(tmp_path / "c" / "1l2y.npz") != content_digest(paths[0])
    (tmp_path / "cut.npz").write_bytes(paths[0].read_bytes()[:500])
    with pytest.raises(TruncatedFileError):
        content_digest(tmp_path / "cut.npz")
    with pytest.raises(TruncatedFileError):
        read_system(tmp_path / "cut.npz")


def _add(args: tuple[str, int]) -> None:
    store, i = args
    update_manifest(store, systems=[{"name": f"s{i}", "source": "x", "n_conformers": i, "file": f"s{i}.npz"}])


def test_manifest_merges_concurrent_writers(tmp_path) -> None:
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_add, [(str(tmp_path), i) for i in range(12)]))
    manifest = load_manifest(tmp_path)
    assert sorted(s["name"] for s in manifest["systems"]) == sorted(f"s{i}" for i in range(12))
    assert manifest["counts"]["x"] == {"systems": 12, "conformers": sum(range(12))}
    json.loads((tmp_path / "manifest.json").read_text())


def test_reconcile_adds_files_missing_from_manifest(nmr, tmp_path) -> None:
    write_system(tmp_path, nmr, residue_targets(nmr), {"name": "a", "source": "nmr"})
    (tmp_path / ".b.999999999.tmp.npz").write_bytes(b"half written")
    assert remove_stale_temporaries(tmp_path)
    assert not list(tmp_path.glob(".*.tmp*"))
    manifest = reconcile_manifest(tmp_path)
    assert [s["name"] for s in manifest["systems"]] == ["a"]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_temporaries_of_an_exited_unreaped_writer_are_stale(tmp_path) -> None:
    """A writer killed with its parent can stay a zombie (not reaped): its temporary file is stale."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    stat = Path(f"/proc/{child.pid}/stat")
    deadline = time.monotonic() + 30
    while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        os.kill(child.pid, 0)  # the pid still exists: a signal test alone calls it alive
        left = tmp_path / f".a.{child.pid}.tmp.npz"
        left.write_bytes(b"half written")
        assert remove_stale_temporaries(tmp_path) == [left] and not left.exists()
    finally:
        child.wait()


def test_later_success_clears_failure_and_rejection(tmp_path) -> None:
    update_manifest(tmp_path, failed=[{"path": "x.pdb", "name": "x", "error": "bad"}],
                    rejected=[{"name": "y", "source": "misato", "path": "m.h5", "reason": "r"}])
    manifest = update_manifest(tmp_path, systems=[
        {"name": n, "source": "nmr", "n_conformers": 1, "file": f"{n}.npz"} for n in ("x", "y")])
    assert manifest["failed"] == [] and manifest["rejected"] == []
