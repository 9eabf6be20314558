"""The core type: topology fields, equality, residues, selections."""

from __future__ import annotations

import numpy as np
import pytest

from dynafold.ensemble import TOPOLOGY_FIELDS, Ensemble, Topology
from dynafold.errors import EmptyEnsembleError, NoProteinError, TopologyMismatchError

# ALA 1 (N CA C O CB), GLY 2 (N CA C O), insertion 2A (CA), a water and a zinc ion
ATOMS = [("A", 1, "", "ALA", n, n[0], False) for n in ("N", "CA", "C", "O", "CB")]
ATOMS += [("A", 2, "", "GLY", n, n[0], False) for n in ("N", "CA", "C", "O")]
ATOMS += [("A", 2, "A", "SER", "CA", "C", False), ("W", 10, "", "HOH", "O", "O", True),
          ("Z", 11, "", "ZN", "ZN", "ZN", True)]


def topology() -> Topology:
    cols = list(zip(*ATOMS))
    return Topology(chain_ids=np.array(cols[0]), res_ids=np.array(cols[1]), ins_codes=np.array(cols[2]),
                    res_names=np.array(cols[3]), atom_names=np.array(cols[4]), elements=np.array(cols[5]),
                    hetero=np.array(cols[6]))


def test_topology_fields_are_the_per_atom_arrays():
    assert TOPOLOGY_FIELDS == ("chain_ids", "res_ids", "ins_codes", "res_names", "atom_names", "elements",
                               "hetero")
    with pytest.raises(TopologyMismatchError, match="res_ids has length 2, expected 12"):
        Topology(**{k: getattr(topology(), k)[:2] if k == "res_ids" else getattr(topology(), k)
                    for k in TOPOLOGY_FIELDS})


def test_topologies_are_equal_when_every_field_is_equal():
    a, b = topology(), topology()
    assert a == b and not a != b
    assert a.subset(np.arange(5)) == b.subset(np.arange(5))
    assert a != a.subset(np.arange(5))  # other atom count
    b.res_names[0] = "GLY"
    assert a != b  # one value differs
    assert a != "topology"


def test_topologies_and_ensembles_are_not_value_hashed():
    with pytest.raises(TypeError, match="unhashable"):
        hash(topology())
    ens = Ensemble(topology(), np.zeros((2, 12, 3)))
    same = Ensemble(topology(), np.zeros((2, 12, 3)))
    assert ens == ens and ens != same  # identity: float coordinates are compared with numpy
    assert len({ens, same}) == 2


def test_residues_and_sequence():
    topo = topology()
    assert topo.n_atoms == 12 and topo.n_residues == 5
    assert topo.residue_keys() == [("A", 1, ""), ("A", 2, ""), ("A", 2, "A"), ("W", 10, ""), ("Z", 11, "")]
    np.testing.assert_array_equal(topo.residue_index(), [0] * 5 + [1] * 4 + [2, 3, 4])
    assert topo.sequence() == "AGSXX"
    np.testing.assert_array_equal(topo.representative_atoms(), [4, 6, 9, -1, -1])  # CB, CA of GLY, CA


def test_selections():
    topo = topology()
    np.testing.assert_array_equal(np.nonzero(topo.ca())[0], [1, 6, 9])
    np.testing.assert_array_equal(np.nonzero(topo.backbone())[0], [0, 1, 2, 3, 5, 6, 7, 8, 9])
    assert topo.is_water().sum() == 1 and topo.is_ion().sum() == 1 and not topo.is_ligand().any()
    assert topo.protein_heavy().sum() == 10


def test_ensemble_shapes_methods_and_selections():
    coords = np.arange(2 * 12 * 3, dtype=np.float64).reshape(2, 12, 3)
    ens = Ensemble(topology(), coords, method="X-ray", bfactors=np.ones((2, 12)))
    assert ens.coords.dtype == np.float32 and ens.method == "xray" and ens.mask.all()
    assert Ensemble(topology(), coords[0]).n_conformers == 1  # (N, 3) is one conformer
    prot = ens.protein()
    assert prot.n_atoms == 10 and prot.bfactors.shape == (2, 10)
    assert ens.ca().n_atoms == 3
    first = ens.select_frames([1])
    np.testing.assert_array_equal(first.coords[0], coords[1])
    with pytest.raises(TopologyMismatchError, match="11 atoms"):
        Ensemble(topology().subset(np.arange(11)), coords)
    with pytest.raises(NoProteinError):
        ens.select_atoms(np.array([10, 11])).protein()
    with pytest.raises(EmptyEnsembleError):
        ens.select_frames(slice(0, 0)).require_conformers()
