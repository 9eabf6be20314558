"""A target list built from every MD and NMR reference in the shared data."""

from __future__ import annotations

import pytest

MD_TARGETS = ("2hbaA00", "3tvj_I", "adk")


@pytest.fixture(scope="session")
def shared_references(shared_data):
    """(name, reference, topology) of every MD and NMR reference in the shared data."""
    data = shared_data
    md = data / "md"
    refs = [
        ("2hbaA00", md / "mdcath_2hbaA00" / "2hbaA00_320_0.xtc", md / "mdcath_2hbaA00" / "2hbaA00.pdb"),
        ("3tvj_I", md / "atlas_3tvj_I" / "3tvj_I_10frames.dcd", md / "atlas_3tvj_I" / "3tvj_I.pdb"),
        ("adk", md / "adk_oplsaa" / "adk_oplsaa.xtc", md / "adk_oplsaa" / "adk_oplsaa.gro"),
    ]
    refs += [(p.stem, p, None) for p in sorted((data / "nmr").glob("*.pdb"))]
    return refs


@pytest.fixture(scope="session")
def shared_targets(shared_references, tmp_path_factory):
    """CSV path of the target list (3 MD trajectories, 4 NMR ensembles)."""
    from dynafold.bench.targets import make_targets

    out = tmp_path_factory.mktemp("targets") / "targets.csv"
    make_targets(shared_references, out)
    return out
