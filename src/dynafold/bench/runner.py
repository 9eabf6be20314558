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
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from dynafold import __version__
from dynafold.bench.generators import Generator
from dynafold.bench.targets import Target, file_sha256, load_reference
from dynafold.errors import DynafoldError, DynafoldInputError

ATOM_SELECTIONS = ("ca", "heavy")


@dataclass(frozen=True)
class Settings:
    """The settings every per-target result depends on."""

    samples: int = 100
    ref_frames: int = 200
    steps: int = 200  # diffusion steps of the dynafold generators
    seed: int = 0
    atoms: str = "ca"

    def __post_init__(self) -> None:
        if self.atoms not in ATOM_SELECTIONS:
            raise DynafoldInputError(f"unknown atom selection {self.atoms!r}; valid: {', '.join(ATOM_SELECTIONS)}")
        if self.samples < 1 or self.ref_frames < 1:
            raise DynafoldInputError("--samples and --ref-frames must be at least 1")
        if self.steps < 2:
            raise DynafoldInputError("--steps must be at least 2")


def target_files(target: Target) -> dict[str, str]:
    """sha256 of the reference, its topology and the input structure of a target."""
    files = {"reference": target.reference, "reference_topology": target.reference_topology,
             "input": target.input}
    return {k: file_sha256(p) for k, p in files.items() if p is not None}


def result_path(out: Path, generator: Generator, target: Target) -> Path:
    return out / "targets" / generator.label.replace("/", "_").replace(":", "_") / f"{target.name}.json"


def cache_key(settings: Settings, generator: Generator, target: Target, hashes: dict[str, str]) -> str:
    """sha256 of everything a per-target result depends on."""
    sources = {str(p): file_sha256(p) for p in generator.source_files(target)}
    blob = json.dumps({"version": __version__, "settings": asdict(settings), "generator": [generator.name, generator.arg],
                       "target": target.name, "files": hashes, "sources": sources}, sort_keys=True)
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
            pred, ref = gen.ensembles(target, reference, settings.samples, settings.seed,
                                      steps=settings.steps)
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
                  out: str | os.PathLike, workers: int = 1, progress: bool = True) -> dict[str, dict[str, dict]]:
    """Run all targets (``workers`` processes); returns ``{label: {target: record}}``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, dict]] = {g.label: {} for g in generators}

    def collect(records: dict[str, dict]) -> None:
        for label, rec in records.items():
            results[label][rec["target"]] = rec

    with _progress(progress) as bar:
        task = bar.add_task("benchmark", total=len(targets))
        if workers <= 1:
            for target in targets:
                bar.update(task, description=target.name)
                collect(run_target(target, generators, settings, out))
                bar.advance(task)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(run_target, t, generators, settings, out): t for t in targets}
                for fut in as_completed(futures):
                    collect(fut.result())
                    bar.update(task, description=futures[fut].name)
                    bar.advance(task)
    order = [t.name for t in targets]
    return {label: {n: recs[n] for n in order if n in recs} for label, recs in results.items()}


def _progress(enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description:>16}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), disable=not enabled, transient=False)
