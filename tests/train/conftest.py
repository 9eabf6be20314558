"""A small real store (three NMR ensembles) prepared once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynafold.data.prepare import prepare_store

NMR_FILES = ("1l2y.pdb", "nmr_neopetrosiamide.pdb", "2axd.pdb")


@pytest.fixture(scope="session")
def nmr_store(shared_data: Path, tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("store")
    report = prepare_store("nmr", [shared_data / "nmr" / f for f in NMR_FILES], store)
    assert sorted(report.prepared) == ["1l2y", "2axd", "nmr_neopetrosiamide"], report
    return store
