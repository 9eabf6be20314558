"""The benchmark: score ensemble generators against MD/NMR references on a target list.

Python API::

    from dynafold.bench import benchmark
    from dynafold.bench.targets import make_targets, make_targets_from

    make_targets_from("atlas", "ATLAS_DIR", "targets.csv", split_csv="atlas_test.csv")
    benchmark("targets.csv", ["anm", "gnm", "md-split"], "report/")

Modules: :mod:`.targets` (target lists), :mod:`.generators` (the columns),
:mod:`.enm` (ANM/GNM baselines), :mod:`.adapters` (other tools' outputs),
:mod:`.runner` (parallel, cached per-target scoring), :mod:`.report` (tables,
plots, HTML).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

REFERENCE_FRAME_RULE = ("ref_frames reference conformers drawn without replacement with numpy "
                        "default_rng(seed) by dynafold.metrics.evaluate.evaluate_ensembles "
                        "(all frames when fewer); md-split: the first half of the frames predicts "
                        "the second half, which is the reference")


def benchmark(targets_csv: str | os.PathLike, generators: list[str], out: str | os.PathLike, *,
              samples: int = 100, ref_frames: int = 200, seed: int = 0, atoms: str = "ca",
              steps: int | None = None, step_scale: float | None = None, noise_scale: float | None = None,
              enm_noise: float | None = None, relax: bool = True, workers: int = 1,
              progress: Callable[[int, int, str], None] | None = None, plots: bool = True) -> dict:
    """Run the benchmark and write the report to ``out``; returns the results.json content.

    ``steps``, ``step_scale``, ``noise_scale`` and ``enm_noise`` set the sampler of the model
    generators (None: the model's default); ``relax`` False keeps their raw conformers
    (no geometry restraints). ``progress(done, total, target_name)``
    is called after each target.
    """
    from dynafold import __version__
    from dynafold.bench.generators import parse_generators
    from dynafold.bench.report import write_report
    from dynafold.bench.runner import Settings, run_benchmark, target_files
    from dynafold.bench.targets import check_target_files, read_targets

    settings = Settings(samples=samples, ref_frames=ref_frames, seed=seed, atoms=atoms, steps=steps,
                        step_scale=step_scale, noise_scale=noise_scale, enm_noise=enm_noise, relax=relax)
    gens = parse_generators(list(generators))
    targets = read_targets(targets_csv)
    check_target_files(targets, targets_csv)
    results = run_benchmark(targets, gens, settings, out, workers=workers, progress=progress)
    provenance = {
        "dynafold_version": __version__,
        "settings": {"samples_per_target": samples, "ref_frames": ref_frames, "seed": seed, "atoms": atoms,
                     **settings.sampler()},
        "reference_frame_rule": REFERENCE_FRAME_RULE,
        "sample_seed_rule": "per target: numpy default_rng([seed, crc32(target name)])",
        "generators": [{"label": g.label, "name": g.name, "arg": g.arg, "model_sha256": g.model_sha256()}
                       for g in gens],
        "targets_csv": str(Path(targets_csv).resolve()),
        "targets": {t.name: target_files(t) for t in targets},
    }
    return write_report(results, out, provenance, plots=plots)
