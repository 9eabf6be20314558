"""Files written by ``dynafold predict``: ensemble, flexibility table, summary, plot."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from dynafold import __version__
from dynafold.ensemble import Ensemble
from dynafold.io import save
from dynafold.io.atomic import atomic_path
from dynafold.metrics.rmsf import bfactor_to_rmsf
from dynafold.predict.pipeline import Prediction

FORMATS = ("pdb", "cif", "xtc")


def residue_table(pred: Prediction) -> list[dict]:
    """One row per protein residue: chain, number, name, sampled RMSF, predicted B and its RMSF."""
    topo = pred.ensemble.topology
    starts = topo.residue_starts()[:len(pred.bfactor_A2)]  # the ligands follow the residues
    implied = bfactor_to_rmsf(pred.bfactor_A2)
    return [
        {"chain": str(topo.chain_ids[s]), "residue_number": int(topo.res_ids[s]) ,
         "insertion_code": str(topo.ins_codes[s]), "residue_name": str(topo.res_names[s]),
         "rmsf_A": round(float(pred.rmsf_A[r]), 4), "bfactor_A2": round(float(pred.bfactor_A2[r]), 3),
         "bfactor_rmsf_A": round(float(implied[r]), 4)}
        for r, s in enumerate(starts)
    ]


def diversity_lddt(ensemble: Ensemble) -> float:
    """Mean C-alpha lDDT between the ensemble's conformers (NaN for a single one)."""
    from dynafold.metrics.ensemble import lddt_diversity
    from dynafold.metrics.lddt import lddt_matrix

    ca = ensemble.ca().coords
    if len(ca) < 2:
        return float("nan")
    return lddt_diversity(lddt_matrix(ca, ca, np.arange(ca.shape[1])).global_)


def ligand_summary(pred: Prediction) -> dict:
    """The ligands of a prediction: names, heavy atoms, predicted B-factors and their geometry checks."""
    topo = pred.ensemble.topology
    return {
        "residues": [{"name": lig.residue_name(topo), "chain": str(topo.chain_ids[lig.atom_index[0]]),
                      "residue_number": int(topo.res_ids[lig.atom_index[0]]), "heavy_atoms": lig.n_atoms,
                      "bonds": len(lig.bonds), "chemistry": lig.source} for lig in pred.ensemble.ligands],
        "mean_bfactor_A2": float(np.mean(pred.ligand_bfactor_A2)),
        "samples_with_bonds_kept": int(pred.ligand_bonds_kept.sum()),
        "samples_without_clash": int((pred.ligand_clashes == 0).sum()),
    }


def summary(pred: Prediction, input_path: str) -> dict:
    """The JSON summary of a prediction."""
    return {
        "dynafold_version": __version__, "input": input_path, "method": pred.method,
        "samples": int(pred.ensemble.n_conformers), "steps": pred.steps, "step_scale": pred.step_scale,
        "noise_scale": pred.noise_scale, "enm_noise": pred.enm_noise, "seed": pred.seed,
        "model_version": pred.model_version, "device": pred.device,
        "n_residues": len(pred.bfactor_A2), "n_atoms": int(pred.ensemble.n_atoms),
        "mean_rmsf_A": float(np.mean(pred.rmsf_A)), "mean_bfactor_A2": float(np.mean(pred.bfactor_A2)),
        "diversity_lddt": diversity_lddt(pred.ensemble),
        "geometry": {"passed": int(pred.valid.sum()), "checked": int(len(pred.valid)),
                     "mean_ca_break_fraction": float(np.mean(pred.ca_break_fraction)),
                     "mean_clashes": float(np.mean(pred.clashes)),
                     "mean_bond_ok_fraction": float(np.mean(pred.bond_ok_fraction)),
                     "relaxed": pred.relaxed, "mean_relax_shift_A": float(np.mean(pred.relax_shift_A))},
        **({"ligands": ligand_summary(pred)} if pred.ensemble.ligands else {}),
        "timings_s": {k: round(v, 3) for k, v in pred.timings_s.items()},
        "warnings": pred.warnings,
    }


def write_outputs(pred: Prediction, out_dir: str | Path, name: str, input_path: str,
                  fmt: str = "pdb", plot: bool = True) -> dict[str, Path]:
    """Write every output file of one prediction into ``out_dir``; returns their paths.

    The ensemble's B-factor column holds the predicted B-factor (A^2) of each
    atom's residue, for every model.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ens = pred.ensemble
    n_protein = ens.n_atoms - len(pred.ligand_bfactor_A2)  # the ligand atoms come last, one B each
    per_atom_b = np.concatenate([pred.bfactor_A2[ens.topology.residue_index()[:n_protein]], pred.ligand_bfactor_A2])
    ens = replace(ens, bfactors=np.broadcast_to(per_atom_b, ens.coords.shape[:2]).copy())
    paths: dict[str, Path] = {}
    if fmt == "xtc":
        paths["topology"] = out / f"{name}_topology.pdb"
        paths["trajectory"] = save(ens, out / f"{name}_samples.xtc", paths["topology"])
    else:
        paths["ensemble"] = save(ens, out / f"{name}_ensemble.{fmt}")
    rows = residue_table(pred)
    paths["flexibility"] = out / f"{name}_flexibility.csv"
    with atomic_path(paths["flexibility"]) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    paths["summary"] = out / f"{name}_summary.json"
    with atomic_path(paths["summary"]) as tmp:
        Path(tmp).write_text(json.dumps(summary(pred, input_path), indent=1))
    if plot:
        from dynafold.plots import flexibility_profile

        paths["plot"] = flexibility_profile(rows, out / f"{name}_flexibility.png",
                                            title=f"{name}: {pred.method} ensemble, {ens.n_conformers} samples")
    return paths
