import numpy as np
import pytest

from dynafold.io import load
from dynafold.predict import bonds, geometry


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


XRAY = ["1aki", "1igy", "1dix", "5h73"]  # lysozyme (4 S-S), Fab with insertion codes, 1X..4X numbering


def _biotite_bonds(path, topo):
    """Heavy-atom bonds by biotite's residue-name templates, as dynafold atom index pairs."""
    import biotite.structure as struc
    from biotite.structure.io import pdb

    arr = pdb.PDBFile.read(str(path)).get_structure(model=1)
    arr = arr[struc.filter_amino_acids(arr) & ~arr.hetero & (arr.element != "H")]
    key = {k: n for n, k in enumerate(zip(topo.chain_ids.tolist(), topo.res_ids.tolist(),
                                          topo.ins_codes.tolist(), topo.atom_names.tolist()))}
    index = np.array([key[k] for k in zip(arr.chain_id.tolist(), arr.res_id.tolist(),
                                          arr.ins_code.tolist(), arr.atom_name.tolist())])
    pairs = struc.connect_via_residue_names(arr).as_array()[:, :2]
    return {frozenset(p) for p in index[pairs].tolist()}, set(index.tolist())


def _loop_fraction(x, pairs, ideal, tol=0.2):
    ok = [abs(np.sqrt(((x[a] - x[b]) ** 2).sum()) - ideal[frozenset((a, b))]) <= tol for a, b in pairs]
    return sum(ok) / len(ok)


@pytest.mark.parametrize("code", XRAY)
def test_bond_lengths_on_real_xray(shared_data, code):
    path = shared_data / "xray" / f"{code}.pdb"
    ens = load(path).protein()
    topo, x = ens.topology, ens.coords[0]
    i, j, ideal = bonds.bond_pairs(topo)
    mine = {frozenset(p) for p in zip(i.tolist(), j.tolist())}
    assert len(mine) == len(i)
    # biotite's templates give the same bonds (intra-residue and peptide) for the atoms it reads
    theirs, present = _biotite_bonds(path, topo)
    assert {p for p in mine if p <= present} == theirs
    # experimental structures: every bond within 0.2 A of Engh & Huber, with or without the reference
    frac = geometry.bond_length_fraction(ens.coords, topo)
    assert frac.shape == (1,) and frac[0] > 0.98
    assert geometry.bond_length_fraction(ens.coords, topo, reference=x)[0] > 0.98
    by_pair = {frozenset(p): d for p, d in zip(zip(i.tolist(), j.tolist()), ideal)}
    assert theirs == mine  # these files: no atom biotite skips, no disulfide without a reference
    np.testing.assert_allclose(frac[0], _loop_fraction(x, [tuple(p) for p in theirs], by_pair))
    # stretch every bond of one residue in ten by moving its side chain / carbonyl out
    y = ens.coords.copy()
    res = topo.residue_index()
    moved = (res % 10 == 0) & ~np.isin(topo.atom_names, ["N", "CA"])
    y[0, moved] += np.array([0.5, 0.0, 0.0], dtype=np.float32)
    low = geometry.bond_length_fraction(y, topo)[0]
    assert low < frac[0]
    np.testing.assert_allclose(low, _loop_fraction(y[0], list(zip(i.tolist(), j.tolist())), by_pair))
    noisy = ens.coords + np.random.default_rng(0).normal(0, 0.2, ens.coords.shape).astype(np.float32)
    assert geometry.bond_length_fraction(noisy, topo)[0] < 0.7  # about half the bonds leave the window


def test_disulfides_and_breaks_from_reference(shared_data):
    ens = load(shared_data / "xray" / "1aki.pdb").protein()
    topo = ens.topology
    i, j, ideal = bonds.bond_pairs(topo, reference=ens.coords[0])
    ss = (topo.atom_names[i] == "SG") & (topo.atom_names[j] == "SG")
    found = {tuple(sorted((int(topo.res_ids[a]), int(topo.res_ids[b])))) for a, b in zip(i[ss], j[ss])}
    assert found == {(6, 127), (30, 115), (64, 80), (76, 94)}  # the file's SSBOND records
    np.testing.assert_allclose(ideal[ss], 2.04)
    # a chain cut in the reference removes that peptide bond; pulling the halves apart then costs nothing
    res = topo.residue_index()
    cut = ens.coords.copy()
    cut[:, res >= 60] += np.array([8.0, 0.0, 0.0], dtype=np.float32)
    n_all = len(bonds.bond_pairs(topo)[0])
    assert len(bonds.bond_pairs(topo, reference=cut[0])[0]) == n_all - 1 + 2  # S-S 6-127 and 30-115 cross the cut
    assert geometry.bond_length_fraction(cut, topo, reference=cut[0])[0] == 1.0
    assert geometry.bond_length_fraction(cut, topo)[0] == pytest.approx(1 - 1 / n_all)


def test_bond_fraction_in_prediction_summary(tiny_checkpoint):
    from dynafold.examples import example_path
    from dynafold.predict import sample_ensemble
    from dynafold.predict.outputs import summary

    structure = load(example_path())
    pred = sample_ensemble(structure, method="md", n_samples=2, steps=3, checkpoint=tiny_checkpoint)
    assert pred.bond_ok_fraction.shape == (2,)
    assert np.all((pred.bond_ok_fraction >= 0) & (pred.bond_ok_fraction <= 1))
    # the reference used for disulfides is the input itself: the input scores like it does alone
    protein = structure.protein()
    assert geometry.bond_length_fraction(protein.coords[:1], protein.topology, protein.coords[0])[0] > 0.98
    out = summary(pred, "in.pdb")["geometry"]
    assert out["mean_bond_ok_fraction"] == pytest.approx(pred.bond_ok_fraction.mean())


def test_disulfides_are_bonds_not_clashes(shared_data):
    ens = load(shared_data / "xray" / "1aki.pdb").protein()
    topo, x = ens.topology, ens.coords
    # without the input's disulfides the four SG-SG bonds (1.97-2.02 A) read as clashes;
    # the fifth pair is the file's own Arg45 NH2 - Arg68 NH2 contact at 2.16 A
    assert geometry.clash_counts(x, topo)[0] == 5
    assert geometry.clash_counts(x, topo, reference=x[0])[0] == 1
    # a sample whose SG atoms were pushed onto a non-bonded atom still clashes
    y = x.copy()
    res = topo.residue_index()
    sg = np.nonzero((topo.res_ids == 6) & (topo.atom_names == "SG"))[0][0]
    far = np.nonzero((res == 100) & (topo.atom_names == "CA"))[0][0]
    y[0, sg] = y[0, far] + np.array([1.0, 0.0, 0.0], dtype=np.float32)
    assert geometry.clash_counts(y, topo, reference=x[0])[0] > 1


def test_insertion_codes_and_cis_prolines(shared_data):
    # 1igy: an antibody with insertion codes (52, 52A, ...), 9 cis-prolines and 17 disulfides
    ens = load(shared_data / "xray" / "1igy.pdb").protein()
    topo, x = ens.topology, ens.coords
    assert geometry.clash_counts(x, topo, reference=x[0])[0] == 0
    assert geometry.ca_break_fraction(x, topo)[0] == 0
    assert geometry.passes(x, topo, reference=x[0])[0]
    # links into and out of inserted residues are checked: moving one inserted residue breaks two links
    i, j = geometry.consecutive_ca_pairs(topo)
    inserted = np.nonzero(topo.ca() & (topo.ins_codes != ""))[0]
    assert np.isin(inserted, j).all() and np.isin(inserted, i).any()
    y = x.copy()
    res = topo.residue_index()
    y[0, res == res[inserted[0]]] += np.array([6.0, 0.0, 0.0], dtype=np.float32)
    assert geometry.ca_break_fraction(y, topo)[0] * len(i) == pytest.approx(2)
    # cis peptides (omega near 0, C-alpha pairs 2.8-3.0 A apart) are peptide bonds of ideal length
    b1, b2, ideal = bonds.bond_pairs(topo)
    pro = (topo.res_names[b2] == "PRO") & (topo.atom_names[b2] == "N") & (topo.atom_names[b1] == "C")
    d_ca = np.linalg.norm(x[0, i] - x[0, j], axis=-1)
    assert (d_ca[topo.res_names[j] == "PRO"] < 3.1).sum() >= 9
    np.testing.assert_allclose(np.linalg.norm(x[0, b1[pro]] - x[0, b2[pro]], axis=-1), ideal[pro], atol=0.2)
