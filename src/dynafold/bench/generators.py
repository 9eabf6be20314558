"""Ensemble generators compared by the benchmark: one column of the table each.

A generator is given on the command line as ``NAME`` or ``NAME:ARG``:

==================  =====================================================
``dynafold-md``     dynafold model, method md (ARG: checkpoint; default the shipped model)
``dynafold-xray``   dynafold model, method xray (ARG: checkpoint)
``anm``, ``gnm``    elastic network ensembles from the input structure (:mod:`.enm`)
``md-split``        upper bound: first half of the reference frames predicts the second half
``boltz2:DIR``      Boltz-2 output folder (:mod:`.adapters`)
``bioemu:DIR``      BioEmu output folders ``DIR/{name}``
``alphaflow:DIR``   AlphaFlow ``DIR/{name}.pdb``
``files:DIR``       any ``DIR/{name}.pdb|.cif`` or ``DIR/{name}.xtc`` + topology
==================  =====================================================

The dynafold generators call ``dynafold.predict.sample_ensemble(structure,
*, checkpoint, method, n_samples, steps, step_scale, noise_scale, seed)`` and
score its ``.ensemble``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

from dynafold.bench import adapters, enm
from dynafold.bench.targets import Target, load_input
from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldInputError

MODEL_GENERATORS = {"dynafold-md": "md", "dynafold-xray": "xray"}
GENERATORS = (*MODEL_GENERATORS, *enm.MODELS, "md-split", *adapters.ADAPTERS)
NEEDS_ARG = set(adapters.ADAPTERS)


@dataclass(frozen=True)
class Generator:
    """A parsed ``NAME[:ARG]``; ``label`` is its column title."""

    name: str
    arg: str | None = None
    label: str = ""

    def source_files(self, target: Target) -> list[Path]:
        """Files of other tools' outputs this generator reads for ``target`` (hashed to key the result cache)."""
        if self.name in adapters.ADAPTERS:
            return adapters.find_prediction(self.name, self.arg, target.name)
        return []

    def model_sha256(self) -> str | None:
        """SHA-256 of the checkpoint a model generator samples with (the shipped one by default), else None."""
        if self.name not in MODEL_GENERATORS:
            return None
        from dynafold.model.checkpoint import checkpoint_sha256, default_checkpoint

        return checkpoint_sha256(self.arg or default_checkpoint())

    def ensembles(self, target: Target, reference: Ensemble, n_samples: int, seed: int, *,
                  steps: int | None = None, step_scale: float | None = None,
                  noise_scale: float | None = None, enm_noise: float | None = None,
                  relax: bool = True) -> tuple[Ensemble, Ensemble]:
        """The (predicted, reference) pair to score for ``target``.

        ``steps``: diffusion steps of the dynafold generators.

        ``seed`` is the run's seed; generators that draw samples use a stream
        derived from it and the target name, so each target is reproducible alone.
        ``steps``, ``step_scale``, ``noise_scale`` and ``enm_noise`` set the model's sampler
        (None: the model's default) and ``relax`` its geometry restraints; other
        generators ignore them.
        """
        target_seed = [seed, zlib.crc32(target.name.encode())]
        if self.name == "md-split":
            half = reference.n_conformers // 2
            if half < 1:
                raise DynafoldInputError(f"{target.name}: md-split needs at least 2 reference frames")
            return reference.select_frames(slice(0, half)), reference.select_frames(slice(half, None))
        if self.name in enm.MODELS:
            return enm.sample_enm(load_input(target), self.name, n_samples, target_seed), reference
        if self.name in MODEL_GENERATORS:
            from dynafold.predict import sample_ensemble

            prediction = sample_ensemble(load_input(target), checkpoint=self.arg,
                                         method=MODEL_GENERATORS[self.name], n_samples=n_samples,
                                         steps=steps, step_scale=step_scale, noise_scale=noise_scale,
                                         enm_noise=enm_noise, relax=relax,
                                         seed=zlib.crc32(repr(target_seed).encode()))
            return prediction.ensemble, reference
        return adapters.read_files(self.source_files(target), target.name), reference


def parse_generators(specs: list[str]) -> list[Generator]:
    """Parse ``NAME[:ARG]`` strings; unknown names raise an error listing the valid ones."""
    parsed = []
    for spec in specs:
        name, _, arg = spec.partition(":")
        name = name.strip().lower()
        if name not in GENERATORS:
            raise DynafoldInputError(f"unknown generator {spec!r}; valid: {', '.join(GENERATORS)} "
                                     f"({', '.join(sorted(NEEDS_ARG))} take :DIR)")
        if name in NEEDS_ARG and not arg:
            raise DynafoldInputError(f"generator {name} needs a folder: {name}:DIR")
        if name in NEEDS_ARG and not Path(arg).is_dir():
            raise DynafoldInputError(f"{name} output folder not found", arg)
        if name not in NEEDS_ARG and name not in MODEL_GENERATORS and arg:
            raise DynafoldInputError(f"generator {name} takes no argument (got {arg!r})")
        parsed.append((name, arg or None))
    if not parsed:
        raise DynafoldInputError(f"give at least one --generator; valid: {', '.join(GENERATORS)}")
    names = [n for n, _ in parsed]
    generators = []
    for name, arg in parsed:
        label = name if names.count(name) == 1 else f"{name}:{Path(arg or '-').name}"
        generators.append(Generator(name=name, arg=None if arg is None else str(Path(arg).resolve()), label=label))
    labels = [g.label for g in generators]
    if len(set(labels)) != len(labels):
        raise DynafoldInputError(f"generators repeat: {', '.join(labels)}")
    return generators
