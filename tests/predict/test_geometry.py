import numpy as np

from dynafold.io import load
from dynafold.predict import geometry


def _loop_breaks(coords, topo):
    ca = np.nonzero(topo.ca())[0]
    out = []
    for x in coords:
        n = bad = 0
        for a, b in zip(ca[:-1], ca[1:]):
            if topo.chain_ids[a] == topo.chain_ids[b] and topo.res_ids[b] - topo.res_ids[a] == 1:
                n += 1
                bad += np.linalg.norm(x[a] - x[b]) > 4.2
        out.append(bad / n)
    return np.array(out)


def test_breaks_and_clashes_on_real_nmr(shared_data):
    ens = load(shared_data / "nmr" / "1gya.pdb").protein()
    assert np.all(geometry.ca_break_fraction(ens.coords, ens.topology) == 0)
    assert geometry.clash_counts(ens.coords[:3], ens.topology).max() == 0
    # stretch one link and squeeze two distant residues together
    x = ens.coords[:2].copy()
    res = ens.topology.residue_index()
    x[1, res >= 50] += np.array([10.0, 0.0, 0.0], dtype=np.float32)
    np.testing.assert_allclose(geometry.ca_break_fraction(x, ens.topology), _loop_breaks(x, ens.topology))
    assert geometry.ca_break_fraction(x, ens.topology)[1] > 0
    y = ens.coords[:1].copy()
    a = np.nonzero((res == 10) & (ens.topology.atom_names == "CA"))[0][0]
    b = np.nonzero((res == 80) & (ens.topology.atom_names == "CA"))[0][0]
    y[0, b] = y[0, a] + np.array([1.0, 0.0, 0.0], dtype=np.float32)
    assert geometry.clash_counts(y, ens.topology)[0] >= 1
    assert not geometry.passes(y, ens.topology)[0]
