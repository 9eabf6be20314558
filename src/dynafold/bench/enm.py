"""Elastic network baselines: the anisotropic (ANM) and Gaussian (GNM) network models.

Both models act on C-alpha atoms of one structure (the benchmark's input);
the network math is :mod:`dynafold.enm`, shared with the model's input features.

The raw values carry an unknown factor kT / gamma. A scale ``a`` (Angstrom per
raw unit) is fitted by least squares on MD targets, ``rmsf_md ~ a * sqrt(raw)``
(closed form ``a = sum(r sqrt(raw)) / sum(raw)``, see :func:`fit_scale`), and
stored in ``enm_scales.json`` beside this module. :func:`fit_scales` remakes it
from a target list.

Ensembles are drawn so that their expected per-residue mean-square
displacement equals ``a^2 * raw``: ANM draws ``x = x0 + a F z`` with ``F F^T = pinv(H)``
(:func:`dynafold.enm.anm_factor`, the sampler's collective noise too); GNM draws each Cartesian
axis independently from ``N(0, a^2 / 3 * pinv(G))`` (its fluctuations are
isotropic by construction).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from dynafold.enm import MODELS, anm_factor, check_model, gnm_kirchhoff, nonzero_modes, raw_msf
from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldInputError

SCALES_PATH = Path(__file__).with_name("enm_scales.json")


def enm_rmsf(ca_A: np.ndarray, model: str, scale: float | None = None) -> np.ndarray:
    """Predicted per-residue RMSF (N,) in Angstrom: ``scale * sqrt(raw_msf)``.

    ``scale`` defaults to the fitted value of :func:`load_scales`.
    """
    scale = load_scales()[check_model(model)] if scale is None else scale
    return scale * np.sqrt(raw_msf(ca_A, model))


def sample_enm(ensemble: Ensemble, model: str, n_samples: int, seed: int | np.random.Generator,
               scale: float | None = None) -> Ensemble:
    """Draw ``n_samples`` C-alpha conformers around the first conformer of ``ensemble``.

    Returns an Ensemble of C-alpha atoms only, shape (n_samples, N_ca, 3) Angstrom;
    its expected per-residue mean-square displacement is ``enm_rmsf(...)**2``.
    """
    model = check_model(model)
    if n_samples < 1:
        raise DynafoldInputError(f"{model}: need at least one sample, got {n_samples}")
    scale = load_scales()[model] if scale is None else scale
    ca = ensemble.ca()
    x0 = ca.coords[0].astype(np.float64)
    n = len(x0)
    rng = np.random.default_rng(seed)
    if model == "anm":
        factor = anm_factor(x0)
        disp = rng.standard_normal((n_samples, factor.shape[1])) @ factor.T
        coords = x0 + scale * disp.reshape(n_samples, n, 3)
    else:
        values, vectors = nonzero_modes(gnm_kirchhoff(x0))
        z = rng.standard_normal((n_samples, len(values), 3))
        disp = np.einsum("nm,sma->sna", vectors / np.sqrt(values), z)
        coords = x0 + scale / np.sqrt(3.0) * disp
    return Ensemble(topology=ca.topology, coords=coords.astype(np.float32), method="other",
                    name=f"{ensemble.name}-{model}",
                    notes=[f"{model.upper()} ensemble of {n_samples} conformers, scale {scale:.4g} A"])


def fit_scale(raw_per_target: list[np.ndarray], rmsf_per_target: list[np.ndarray]) -> float:
    """Least-squares scale ``a`` minimising ``sum (rmsf - a sqrt(raw))^2`` over all residues."""
    raw = np.concatenate([np.asarray(r, dtype=np.float64) for r in raw_per_target])
    rmsf = np.concatenate([np.asarray(r, dtype=np.float64) for r in rmsf_per_target])
    if raw.shape != rmsf.shape or raw.size == 0:
        raise DynafoldInputError("fit_scale: need matching, non-empty per-residue arrays")
    return float((rmsf * np.sqrt(raw)).sum() / raw.sum())


def fit_scales(targets_csv: str | os.PathLike, out: str | os.PathLike | None = SCALES_PATH) -> dict:
    """Fit the ANM and GNM scales on the MD references of a target list.

    For every target: per-residue C-alpha RMSF of the whole reference
    (:func:`dynafold.metrics.rmsf.residue_rmsf`, as the benchmark scores it)
    against the raw fluctuations of the input structure. Writes the JSON (scales plus provenance) to ``out``
    unless it is None; returns the dict.
    """
    from dynafold.bench.targets import load_input, load_reference, read_targets
    from dynafold.io.atomic import atomic_path
    from dynafold.metrics.rmsf import residue_rmsf

    targets = read_targets(targets_csv)
    raw: dict[str, list[np.ndarray]] = {m: [] for m in MODELS}
    ref_rmsf: list[np.ndarray] = []
    for target in targets:
        profile = residue_rmsf(load_reference(target))
        ca_in = load_input(target).ca().coords[0]
        if len(ca_in) != len(profile):
            raise DynafoldInputError(f"{target.name}: input C-alpha and reference residue counts differ")
        ref_rmsf.append(profile)
        for m in MODELS:
            raw[m].append(raw_msf(ca_in, m))
    result = {m: fit_scale(raw[m], ref_rmsf) for m in MODELS}
    result["fitted_on"] = [t.name for t in targets]
    result["rule"] = ("least squares rmsf_md = a * sqrt(raw_msf) over all C-alpha of the listed "
                      "MD references (RMSF about the mean after superposition)")
    if out is not None:
        with atomic_path(out) as tmp:
            tmp.write_text(json.dumps(result, indent=2) + "\n")
    return result


def load_scales(path: str | os.PathLike = SCALES_PATH) -> dict[str, float]:
    """The fitted scales {'anm': a, 'gnm': a} in Angstrom per sqrt(raw unit)."""
    data = json.loads(Path(path).read_text())
    return {m: float(data[m]) for m in MODELS}
