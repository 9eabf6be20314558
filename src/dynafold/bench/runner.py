"""Run generators over a target list, one process per target, caching per-target results.

Every per-target number is :func:`dynafold.metrics.evaluate.evaluate_ensembles`
of the generator's (predicted, reference) pair with the run's ``atoms``,
``ref_frames`` and ``seed``: the same call ``dynafold evaluate`` makes.
Results are cached as ``OUT/targets/{generator label}/{target}.json`` with a
key (sha256 of the settings, the reference/input files and the generator's
own files); a rerun skips targets whose key is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from dynafold import __version__, const
from dynafold.bench.generators import Generator
from dynafold.bench.targets import Target, file_sha256, load_reference
from dynafold.errors import DynafoldError, DynafoldInputError
from dynafold.metrics.evaluate import ATOM_SELECTIONS


@dataclass(frozen=True)
class Settings:
    """The settings every per-target result depends on."""

    samples: int = 100
    ref_frames: int = 200
    seed: int = 0
    atoms: str = "ca"
    steps: int | None = None  # sampler settings of model generators; None: the model's default
    step_scale: float | None = None
    noise_scale: float | None = None
    enm_noise: float | None = None
    relax: bool = True  # geometry restraints on the model generators' conformers

    def __post_init__(self) -> None:
        if self.atoms not in ATOM_SELECTIONS:
            raise DynafoldInputError(f"unknown atom selection {self.atoms!r}; valid: {', '.join(ATOM_SELECTIONS)}")
        if self.samples < 1 or self.ref_frames < 1:
            raise DynafoldInputError("--samples and --ref-frames must be at least 1")
        if self.steps is not None and self.steps < 2:
            raise DynafoldInputError(f"--steps must be at least 2, got {self.steps}")
        for name, value in (("--step-scale", self.step_scale), ("--noise-scale", self.noise_scale)):
            if value is not None and not value > 0:
                raise DynafoldInputError(f"{name} must be positive, got {value}")
        if self.enm_noise is not None and not 0 <= self.enm_noise <= 1:
            raise DynafoldInputError(f"--enm-noise must be between 0 and 1, got {self.enm_noise}")

    def sampler(self) -> dict[str, int | float | bool | None]:
        """The sampler settings, as keyword arguments of ``Generator.ensembles``."""
        return {"steps": self.steps, "step_scale": self.step_scale, "noise_scale": self.noise_scale,
                "enm_noise": self.enm_noise, "relax": self.relax}


def target_files(target: Target) -> dict[str, str]:
    """sha256 of the reference, its topology and the input structure of a target."""
    files = {"reference": target.reference, "reference_topology": target.reference_topology,
             "input": target.input}
    return {k: file_sha256(p) for k, p in files.items() if p is not None}


def result_path(out: Path, generator: Generator, target: Target) -> Path:
    return out / "targets" / generator.label.replace("/", "_").replace(":", "_") / f"{target.name}.json"


def cache_key(settings: Settings, generator: Generator, target: Target, hashes: dict[str, str]) -> str:
    """sha256 of everything a per-target result depends on, the model's checkpoint included."""
    sources = {str(p): file_sha256(p) for p in generator.source_files(target)}
    defaults = [const.SAMPLING_STEPS, const.METHOD_STEP_SCALE, const.METHOD_ENM_NOISE, const.METHOD_GAMMA_MIN_A]
    blob = json.dumps({"version": __version__, "settings": asdict(settings), "sampler_defaults": defaults,
                       "generator": [generator.name, generator.arg],
                       "model_sha256": generator.model_sha256(), "target": target.name, "files": hashes,
                       "sources": sources}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def run_target(target: Target, generators: list[Generator], settings: Settings, out: Path) -> dict[str, dict]:
    """Score every generator on one target; returns ``{label: record}``.

    A record holds ``metrics`` (the evaluate_ensembles dict) or ``error`` (one
    line). Successful records are written to the cache; cached ones are reused.
    """
    from dynafold.io.atomic import atomic_path
    from dynafold.metrics.evaluate import evaluate_ensembles

    hashes = target_files(target)
    records: dict[str, dict] = {}
    reference = None
    for gen in generators:
        path = result_path(out, gen, target)
        try:
            key = cache_key(settings, gen, target, hashes)
            if path.is_file():
                cached = json.loads(path.read_text())
                if cached.get("key") == key:
                    records[gen.label] = cached | {"cached": True}
                    continue
            if reference is None:
                reference = load_reference(target)
            pred, ref = gen.ensembles(target, reference, settings.samples, settings.seed, **settings.sampler())
            metrics = evaluate_ensembles(pred, ref, atoms=settings.atoms,
                                         ref_frames=settings.ref_frames, seed=settings.seed)
        except DynafoldError as err:
            records[gen.label] = {"target": target.name, "generator": gen.label, "error": str(err)}
            continue
        except Exception as err:  # a crash in one target must not stop the run; keep its trace
            records[gen.label] = {"target": target.name, "generator": gen.label,
                                  "error": f"{type(err).__name__}: {err}",
                                  "traceback": traceback.format_exc()}
            continue
        record = {"target": target.name, "generator": gen.label, "key": key, "files_sha256": hashes,
                  "n_pred": pred.n_conformers, "n_ref_total": ref.n_conformers, "metrics": metrics}
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(record, indent=1) + "\n")
        records[gen.label] = record | {"cached": False}
    return records


def run_benchmark(targets: list[Target], generators: list[Generator], settings: Settings,
                  out: str | os.PathLike, workers: int = 1,
                  progress: Callable[[int, int, str], None] | None = None) -> dict[str, dict[str, dict]]:
    """Run all targets (``workers`` processes); returns ``{label: {target: record}}``.

    ``progress(done, total, target_name)`` is called after each target (the CLI draws a bar).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, dict]] = {g.label: {} for g in generators}

    def collect(done: int, target: Target, records: dict[str, dict]) -> None:
        for label, rec in records.items():
            results[label][rec["target"]] = rec
        if progress is not None:
            progress(done, len(targets), target.name)

    if workers <= 1:
        for done, target in enumerate(targets, 1):
            collect(done, target, run_target(target, generators, settings, out))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_target, t, generators, settings, out): t for t in targets}
            for done, fut in enumerate(as_completed(futures), 1):
                collect(done, futures[fut], fut.result())
    order = [t.name for t in targets]
    return {label: {n: recs[n] for n in order if n in recs} for label, recs in results.items()}
