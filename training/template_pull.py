"""Does the denoiser pull its estimate back to the template? One denoiser call per noise level.

For each store system, conformers spread over its ensemble (superposed on the
first, the template, as in training) get noise of level sigma and go through
the denoiser once, conditioned on the template and the method label. Printed
per sigma: the share of the conformers' mean-square C-alpha departure from the
template that the estimate keeps, <|D(x) - T|^2> / <|X - T|^2> (1: the estimate
keeps the conformer's departure, 0: it returns the template; a denoiser that
returned its noisy input would give 1 + 3 sigma^2 / <|X - T|^2>), and the
estimate's RMS error over the RMS departure.

Usage: python training/template_pull.py CHECKPOINT STORE SYSTEM[,SYSTEM...] [--sigmas 0.1,0.5,1,2,4]
       [--conformers 8] [--noise-draws 8] [--method md]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def kept_departure(estimate: np.ndarray, truth: np.ndarray, template: np.ndarray) -> float:
    """Mean-square distance of the estimates (..., N, 3) from the template (N, 3) over that of the
    conformer (N, 3) they came from, Angstrom^2 / Angstrom^2."""
    kept = np.mean(np.sum((estimate - template) ** 2, axis=-1))
    return float(kept / np.mean(np.sum((truth - template) ** 2, axis=-1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("store", type=Path)
    parser.add_argument("systems")
    parser.add_argument("--sigmas", default="0.05,0.1,0.25,0.5,1,2,4", help="noise levels, Angstrom")
    parser.add_argument("--conformers", type=int, default=8, help="conformers per system, evenly spaced")
    parser.add_argument("--noise-draws", type=int, default=8, help="noisy copies of each conformer")
    parser.add_argument("--method", default="md")
    args = parser.parse_args()

    import torch

    from dynafold.data.features import featurize, token_atom14
    from dynafold.data.store import load_manifest, read_system
    from dynafold.model import load_model
    from dynafold.model.dynafold import conformer_on_template

    torch.set_num_threads(1)
    model, _ = load_model(args.checkpoint)
    files = {e["name"]: e["file"] for e in load_manifest(args.store)["systems"]}
    sigmas = [float(s) for s in args.sigmas.split(",")]
    generator = torch.Generator().manual_seed(0)
    a, ca = model.cfg.atom_slots, 1
    print("| system | RMS departure (A) | " + " | ".join(f"sigma {s:g} A: kept / error" for s in sigmas) + " |")
    print("|---|---|" + "---|" * len(sigmas))
    for name in args.systems.split(","):
        ens = read_system(args.store / files[name]).ensemble.protein()
        batch = {k: v[None] for k, v in featurize(ens, method=args.method).items()}
        with torch.no_grad():
            cond = model.denoiser.prepare(model.condition(batch))
        template = batch["template_coords"][..., :a, :]
        weights = (batch["atom_mask"][..., :a] & batch["token_mask"][..., None]).float()
        r = weights.shape[1]
        has_ca = weights[0, :, ca] > 0
        coords14 = torch.from_numpy(token_atom14(ens)[0][..., :a, :])  # every conformer, as featurize lays it out
        frames = np.unique(np.linspace(1, ens.n_conformers - 1, args.conformers).astype(int))
        truths = [conformer_on_template(coords14[k][None], template, weights) for k in frames]
        tmpl_ca = template[0, has_ca, ca].numpy()
        departure = np.sqrt(np.mean([np.sum((t[0, has_ca, ca].numpy() - tmpl_ca) ** 2, -1).mean() for t in truths]))
        cells = []
        for sigma in sigmas:
            kept, error = [], []
            for truth in truths:
                x = truth[:, None].expand(1, args.noise_draws, r, a, 3)
                x = x + sigma * torch.randn(x.shape, generator=generator)
                with torch.no_grad():
                    est = model.denoiser(x, torch.full((1, args.noise_draws), sigma), cond)[0, :, has_ca, ca].numpy()
                true_ca = truth[0, has_ca, ca].numpy()
                kept.append(kept_departure(est, true_ca, tmpl_ca))
                error.append(np.mean(np.sum((est - true_ca) ** 2, -1)))
            cells.append(f"{np.mean(kept):.2f} / {np.sqrt(np.mean(error)) / departure:.2f}")
        print(f"| {name} | {departure:.2f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
