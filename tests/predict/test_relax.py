"""Geometry restraints after sampling: broken bonds, links and contacts are restored, sound geometry stays put."""

from pathlib import Path

import numpy as np
import pytest

from dynafold.io import load
from dynafold.predict import geometry
from dynafold.predict.relax import BOND_SLACK_A, DONE_A, _contacts, _Energy, _one_three, relax, restraints

POCKET = Path(__file__).resolve().parents[1] / "data" / "prolif_pocket"


def test_one_three_pairs_of_a_branched_chain():
    # 0-1-2-3 with a branch 1-4: angles at 1 (0-2, 0-4, 2-4) and at 2 (1-3)
    bonds = np.array([[0, 1], [1, 2], [2, 3], [1, 4]])
    assert _one_three(bonds, 5).tolist() == [[0, 2], [0, 4], [1, 3], [2, 4]]
    # a three-ring has no 1-3 pair that is not also bonded
    assert _one_three(np.array([[0, 1], [1, 2], [0, 2]]), 3).shape == (0, 2)


def test_damaged_nmr_conformers_are_repaired_and_sound_ones_kept(shared_data):
    """Real NMR 1gya: a stretched chain link, two residues pushed into each other and 0.3 A noise are all
    repaired; the deposited model, sound within ``DONE_A``, is left as it is."""
    ens = load(shared_data / "nmr" / "1gya.pdb").protein()
    topo = ens.topology
    heavy = ens.select_atoms(~topo.is_hydrogen())
    topo, ref = heavy.topology, heavy.coords[0]
    res = topo.residue_index()
    x = np.repeat(ref[None], 4, axis=0).copy()
    ca = np.flatnonzero(topo.atom_names == "CA")
    link = ref[ca[50]] - ref[ca[49]]
    x[1, res >= 50] += 2.0 * link / np.linalg.norm(link)  # the link between residues 49 and 50 stretched by 2 A
    a = np.flatnonzero((res == 10) & (topo.atom_names == "CA"))[0]
    b = np.flatnonzero((res == 80) & (topo.atom_names == "CA"))[0]
    x[2, res == 80] += x[2, a] + np.array([1.2, 0, 0], dtype=np.float32) - x[2, b]  # residue 80 onto residue 10
    x[3] += np.random.default_rng(0).normal(0, 0.3, x[3].shape).astype(np.float32)
    assert geometry.ca_break_fraction(x, topo)[1] > 0 and geometry.clash_counts(x, topo, ref)[2] > 0
    assert geometry.bond_length_fraction(x, topo, ref)[3] < 0.9

    out = relax(x, restraints(heavy, ref))

    assert (geometry.ca_break_fraction(out, topo) == 0).all()
    assert (geometry.clash_counts(out, topo, ref) == 0).all()
    assert (geometry.bond_length_fraction(out, topo, ref) == 1.0).all()
    # every restrained bond of the repaired conformers is inside its slack (plain numpy, float64)
    r = restraints(heavy, ref)
    d = np.linalg.norm(out[:, r.pairs[:, 0]].astype(np.float64) - out[:, r.pairs[:, 1]], axis=-1)
    n_bonds = int((r.slack_A == BOND_SLACK_A).sum())
    assert np.abs(d[1:, :n_bonds] - r.target_A[:n_bonds]).max() <= BOND_SLACK_A + 0.02
    # the deposited model violates no restraint by more than DONE_A, so it is left exactly as it is
    assert np.abs(d[0] - r.target_A).max() > BOND_SLACK_A + 0.02
    assert (np.abs(d[0] - r.target_A) - r.slack_A).max() <= DONE_A
    np.testing.assert_array_equal(out[0], x[0])
    shift = np.sqrt(np.square(out - x).sum(-1).mean(-1))
    assert (shift[1:] > 0).all()
    assert shift[3] < 0.3 * np.sqrt(3)  # less than the noise that was added


def test_disulfides_stay_bonded(shared_data):
    """Hen lysozyme 1aki, 4 disulfides: SG-SG pairs are bonds, not contacts to push apart."""
    ens = load(shared_data / "xray" / "1aki.pdb").protein()
    ens = ens.select_atoms(~ens.topology.is_hydrogen())
    ref = ens.coords[0]
    out = relax(ens.coords[:1], restraints(ens, ref))
    sg = np.flatnonzero(ens.topology.atom_names == "SG")
    d_in = np.linalg.norm(ref[sg, None] - ref[None, sg], axis=-1)
    d_out = np.linalg.norm(out[0][sg, None] - out[0][None, sg], axis=-1)
    pairs = np.triu(d_in < 2.5, k=1)
    assert pairs.sum() == 4
    assert np.abs(d_out[pairs] - 2.04).max() <= BOND_SLACK_A + 0.02


def test_ligand_bond_and_contact_are_repaired():
    """GPCR pocket + LIG (training complex excerpt): a stretched ligand bond and a ligand atom pushed into the
    protein are repaired to the checks of predict."""
    frame = load(POCKET / "pocket.xtc", POCKET / "pocket.pdb", method="md").select_frames(slice(0, 1))
    heavy_ligand = np.zeros(frame.n_atoms, dtype=bool)
    lig = frame.ligands[0]
    heavy_ligand[lig.atom_index[frame.topology.elements[lig.atom_index] != "H"]] = True
    ens = frame.select_atoms(frame.topology.protein_heavy() | heavy_ligand)
    ref = ens.coords[0]
    lig = ens.ligands[0]
    x = np.repeat(ref[None], 2, axis=0).copy()
    i, j = lig.atom_index[lig.bonds[0]]
    x[0, j] += 0.4 * (ref[j] - ref[i]) / np.linalg.norm(ref[j] - ref[i])
    protein_atom = np.flatnonzero(ens.topology.is_protein())[0]
    x[1, lig.atom_index[0]] = ref[protein_atom] + 0.8
    assert not geometry.ligand_bonds_kept(x, ens, ref)[0] and geometry.ligand_protein_clashes(x, ens, ref)[1] > 0

    out = relax(x, restraints(ens, ref))

    assert geometry.ligand_bonds_kept(out, ens, ref).all()
    assert (geometry.ligand_protein_clashes(out, ens, ref) == 0).all()


def test_energy_gradient_matches_finite_differences(shared_data):
    """Real NMR 1gya with 0.3 A noise (stretched bonds and contacts): the analytic gradient of the
    flat-bottom energy equals central differences along random directions (float64)."""
    heavy = load(shared_data / "nmr" / "1gya.pdb").protein()
    heavy = heavy.select_atoms(~heavy.topology.is_hydrogen())
    ref = heavy.coords[0].astype(np.float64)
    rng = np.random.default_rng(0)
    x = ref[None] + rng.normal(0, 0.3, (2, *ref.shape))
    r = restraints(heavy, ref)
    energy = _Energy.build(2, r, _contacts(x, r))
    assert (energy.violations(x.ravel()) > 0).sum() > 100
    value, grad = energy(x.ravel())
    assert value > 0
    for _ in range(3):
        d = rng.normal(size=x.size)
        numeric = (energy(x.ravel() + 1e-6 * d)[0] - energy(x.ravel() - 1e-6 * d)[0]) / 2e-6
        assert numeric == pytest.approx(grad @ d, rel=1e-5)
