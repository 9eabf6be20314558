"""Ligand scores against a plain float64 numpy computation on a real GPCR-ligand MD excerpt (read with mdtraj)."""

from __future__ import annotations

import warnings
from pathlib import Path

import mdtraj
import numpy as np
import pytest

from dynafold.io import load
from dynafold.metrics.ligand import ligand_metrics, ligand_pairs

POCKET_DIR = Path(__file__).resolve().parents[1] / "data" / "prolif_pocket"
XTC, PDB = POCKET_DIR / "pocket.xtc", POCKET_DIR / "pocket.pdb"
PRED_FRAMES, REF_FRAMES = slice(1, None, 2), slice(0, None, 2)


def _fit(mobile: np.ndarray, target: np.ndarray, on: np.ndarray) -> np.ndarray:
    """One conformer (N, 3) superposed onto target (N, 3) by the atoms ``on`` (Kabsch, with reflection check)."""
    a, b = mobile[on].mean(0), target[on].mean(0)
    cov = (mobile[on] - a).T @ (target[on] - b)
    u, _, vt = np.linalg.svd(cov)
    flip = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    return (mobile - a) @ (u @ flip @ vt) + b


def _rmsf_about_mean(xyz: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Per-atom RMSF after fitting every frame to the converged mean structure by ``on``."""
    mean = xyz[0]
    for _ in range(200):
        fitted = np.stack([_fit(x, mean, on) for x in xyz])
        mean = fitted.mean(0)
    return np.sqrt(((fitted - mean) ** 2).sum(-1).mean(0))


@pytest.fixture(scope="module")
def oracle() -> dict:
    traj = mdtraj.load(str(XTC), top=str(PDB))
    top = traj.topology
    heavy = np.array([a.element.symbol != "H" for a in top.atoms])
    is_lig = np.array([a.residue.name == "LIG" for a in top.atoms])
    prot, lig = np.flatnonzero(heavy & ~is_lig), np.flatnonzero(heavy & is_lig)
    residue = np.array([top.atom(i).residue.index for i in prot])
    ca = np.array([top.atom(i).name == "CA" for i in prot])
    xyz = traj.xyz.astype(np.float64) * 10.0
    sides = {"pred": xyz[PRED_FRAMES], "ref": xyz[REF_FRAMES]}
    ref0_prot, ref0_lig = sides["ref"][0][prot], sides["ref"][0][lig]
    dist0 = np.sqrt(((ref0_prot[:, None] - ref0_lig[None]) ** 2).sum(-1))
    pocket = dist0.min(1) <= 6.0
    pocket_residues = np.unique(residue[pocket])
    out = {"n_pocket": int(pocket.sum()), "n_pocket_residues": len(pocket_residues), "n_lig": len(lig)}
    n_prot = len(prot)
    both_on = np.concatenate([pocket, np.zeros(len(lig), dtype=bool)])
    residues = np.unique(residue)
    for side, frames in sides.items():
        both = frames[:, np.concatenate([prot, lig])]
        target = np.concatenate([ref0_prot, ref0_lig])
        rmsd = np.array([np.sqrt(((_fit(x, target, both_on)[n_prot:] - ref0_lig) ** 2).sum(-1).mean())
                         for x in both])
        out[side] = {
            "rmsd": (rmsd.mean(), rmsd.std()),
            "lig_rmsf": _rmsf_about_mean(both, both_on)[n_prot:],
            "ca_rmsf": _rmsf_about_mean(frames[:, prot[ca]], np.ones(ca.sum(), dtype=bool)),
            "contacts": np.array([[(np.sqrt(((x[prot[residue == r]][:, None] - x[lig][None]) ** 2).sum(-1)) < 4.0).any()
                                   for r in residues] for x in frames]).mean(0),
        }
    out["pocket_ca"] = np.isin(residue[ca], pocket_residues)
    return out


@pytest.fixture(scope="module")
def scores() -> dict:
    ens = load(XTC, PDB)
    result = ligand_metrics(ens.select_frames(PRED_FRAMES), ens.select_frames(REF_FRAMES))
    assert len(result) == 1
    return result[0]


def test_pocket_and_ligand_rmsd_match_numpy(scores: dict, oracle: dict) -> None:
    assert scores["ligand"] == "LIG G1" and scores["atoms"] == oracle["n_lig"] == 43
    assert scores["pocket"] == {"atoms": oracle["n_pocket"], "residues": oracle["n_pocket_residues"]}
    assert 50 < oracle["n_pocket"] < 300
    for side in ("pred", "ref"):
        mean, std = oracle[side]["rmsd"]
        assert scores["rmsd_A"][side]["mean"] == pytest.approx(mean, abs=1e-4)
        assert scores["rmsd_A"][side]["std"] == pytest.approx(std, abs=1e-4)
    assert scores["rmsd_A"]["pred"]["mean"] > 0.3  # the ligand moves in this trajectory


def test_ligand_and_pocket_rmsf_match_numpy(scores: dict, oracle: dict) -> None:
    for side in ("pred", "ref"):
        np.testing.assert_allclose(scores["rmsf_A"][side], oracle[side]["lig_rmsf"], atol=2e-3)
    assert scores["rmsf_A"]["pearson"] == pytest.approx(
        np.corrcoef(oracle["pred"]["lig_rmsf"], oracle["ref"]["lig_rmsf"])[0, 1], abs=1e-3)
    pocket_ca = oracle["pocket_ca"]
    assert scores["pocket_rmsf"]["residues"] == pocket_ca.sum()
    assert scores["pocket_rmsf"]["pearson"] == pytest.approx(
        np.corrcoef(oracle["pred"]["ca_rmsf"][pocket_ca], oracle["ref"]["ca_rmsf"][pocket_ca])[0, 1], abs=1e-3)


def test_contact_persistence_matches_numpy(scores: dict, oracle: dict) -> None:
    pred, ref = oracle["pred"]["contacts"], oracle["ref"]["contacts"]
    touched = (pred > 0) | (ref > 0)
    assert len(scores["contacts"]["residues"]) == touched.sum() > 5
    np.testing.assert_allclose(scores["contacts"]["pred"], pred[touched], atol=1e-12)
    np.testing.assert_allclose(scores["contacts"]["ref"], ref[touched], atol=1e-12)
    assert scores["contacts"]["pearson"] == pytest.approx(np.corrcoef(pred[touched], ref[touched])[0, 1], abs=1e-9)
    assert max(scores["contacts"]["ref"]) == 1.0


def test_ligands_pair_only_when_both_hold_the_same_one() -> None:
    ens = load(XTC, PDB)
    assert ligand_pairs(ens, ens.protein()) == []
    assert ligand_metrics(ens.protein(), ens) == []
    lig = ens.ligands[0].atom_index
    assert ligand_pairs(ens, ens.select_atoms(np.setdiff1d(np.arange(ens.n_atoms), lig[:1]))) == []


def test_ligands_away_from_the_protein_are_left_out(shared_data: Path) -> None:
    ens = load(shared_data / "nmr" / "1gya.pdb")  # CD2 with its N-glycan: 9 sugar residues
    assert len(ens.ligands) == 9
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = ligand_metrics(ens.select_frames(slice(0, 9)), ens.select_frames(slice(9, None)))
    # six sugars have no protein heavy atom within 6 A: nothing to superpose them on
    assert [s["ligand"] for s in scores] == ["NAG B1", "NAG B2", "MAN B7"]
    assert all(s["pocket"]["atoms"] >= 3 for s in scores)
