"""Sample an ensemble and per-residue flexibility for one input structure."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from dynafold.const import BACKBONE_ATOMS, DEFAULT_BATCH_SAMPLES, DEFAULT_METHOD, check_method
from dynafold.ensemble import Ensemble
from dynafold.errors import MissingAtomsError, ResourceError
from dynafold.predict import geometry
from dynafold.predict.memory import available_bytes, samples_per_batch

MAX_MISSING_BACKBONE_FRACTION = 0.1
NEAR_RIGID_RATIO = 0.25  # sampled mean RMSF under this fraction of the B-factor head's: near-rigid

@dataclass
class Prediction:
    """A sampled ensemble with its flexibility profile.

    ensemble : S conformers of the input's protein residues (heavy atoms), then the
        heavy atoms of its ligands (L) when the model has ligand tokens.
    bfactor_A2 : (R,) B-factor head prediction per residue.
    ligand_bfactor_A2 : (L,) B-factor head prediction per ligand heavy atom.
    ligand_bonds_kept : (S,) every ligand bond within 0.1 A of its length in the input.
    ligand_clashes : (S,) ligand-protein heavy-atom pairs closer than 2.2 A.
    rmsf_A : (R,) C-alpha RMSF of the sampled ensemble (fit to its mean).
    valid : (S,) conformers passing the geometry check (ligands: bonds kept, no clash).
    bond_ok_fraction : (S,) fraction of heavy-atom bonds within 0.2 A of ideal
        (reported, not part of the check).
    relaxed : the geometry restraints of :mod:`dynafold.predict.relax` were applied.
    relax_shift_A : (S,) RMS displacement of each conformer's atoms by them (0 when not applied).
    """

    ensemble: Ensemble
    bfactor_A2: np.ndarray
    rmsf_A: np.ndarray
    valid: np.ndarray
    ca_break_fraction: np.ndarray
    clashes: np.ndarray
    bond_ok_fraction: np.ndarray
    ligand_bfactor_A2: np.ndarray
    ligand_bonds_kept: np.ndarray
    ligand_clashes: np.ndarray
    relaxed: bool
    relax_shift_A: np.ndarray
    method: str
    seed: int
    steps: int
    step_scale: float
    noise_scale: float
    enm_noise: float
    device: str
    workers: int  # sampling threads side by side (1 off the CPU)
    model_version: str
    timings_s: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def prepare_input(structure: Ensemble) -> tuple[Ensemble, list[str]]:
    """First conformer (the template): protein heavy atoms of the residues with a complete N-CA-C
    backbone, then the heavy atoms of its ligands (with their chemistry in ``Ensemble.ligands``).

    Residues lacking N, CA or C are dropped with a warning; more than 10 % of
    such residues raise MissingAtomsError.
    """
    first = structure.select_frames(slice(0, 1))
    protein = first.protein()
    topo = protein.topology
    res_idx = topo.residue_index()
    has = np.zeros((topo.n_residues, 3), dtype=bool)
    for j, name in enumerate(BACKBONE_ATOMS[:3]):
        has[res_idx[topo.atom_names == name], j] = True
    complete = has.all(axis=1)
    warnings = []
    if structure.n_conformers > 1:
        warnings.append(f"{structure.name} has {structure.n_conformers} models; the first one is the template")
    if not complete.all():
        keys = [f"{c}{n}{i}" for (c, n, i), ok in zip(topo.residue_keys(), complete) if not ok]
        frac = 1.0 - complete.mean()
        if frac > MAX_MISSING_BACKBONE_FRACTION:
            raise MissingAtomsError(f"{len(keys)} of {len(complete)} residues lack backbone atoms "
                                    f"(N, CA or C), more than {MAX_MISSING_BACKBONE_FRACTION:.0%}", structure.name)
        warnings.append(f"dropped {len(keys)} residues with missing backbone atoms: {', '.join(keys[:10])}")
    keep = first.topology.protein_heavy()
    keep[np.flatnonzero(keep)[~complete[res_idx]]] = False
    for lig in first.ligands:
        keep[lig.atom_index] = ~first.topology.is_hydrogen()[lig.atom_index]
    return first.select_atoms(keep), warnings


def rigidity_warning(rmsf_A: np.ndarray, bfactor_A2: np.ndarray) -> str | None:
    """A warning when the sampled RMSF (R,) Angstrom is far below the RMSF implied by
    the predicted B-factors (R,) Angstrom^2 (mean under ``NEAR_RIGID_RATIO`` of it), else None."""
    from dynafold.metrics.rmsf import bfactor_to_rmsf

    sampled, implied = float(np.mean(rmsf_A)), float(np.mean(bfactor_to_rmsf(bfactor_A2)))
    if implied <= 0 or sampled >= NEAR_RIGID_RATIO * implied:
        return None
    return (f"near-rigid ensemble: mean C-alpha RMSF {sampled:.2f} A is {sampled / implied:.0%} of the "
            f"{implied:.2f} A that the predicted B-factors imply; the sampled spread underestimates "
            "this protein's flexibility")


def _round_sizes(n_done: int, n_samples: int, limit: int, batch_size: int, workers: int) -> list[int]:
    """Batch sizes of the next sampling round: every batch still needed for ``n_samples``, or, past
    it (drawing more until enough pass the geometry check), one per worker; none beyond ``limit``."""
    count = -(-(n_samples - n_done) // batch_size) if n_done < n_samples else workers
    sizes: list[int] = []
    for _ in range(count):
        left = limit - n_done - sum(sizes)
        if left <= 0:
            break
        sizes.append(min(batch_size, left))
    return sizes


def batch_seed(seed: int, number: int) -> int:
    """Seed of the noise generator of batch ``number`` of a run seeded with ``seed``."""
    return int(np.random.SeedSequence([seed, number]).generate_state(1, np.uint64)[0] >> 1)


def resolve_device(device: str | None) -> str:
    """'cuda' when a GPU is present and none was asked for, else the request or 'cpu'."""
    import torch

    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ResourceError("--device cuda was asked for but no CUDA GPU is available")
    return device


def sample_ensemble(structure: Ensemble, *, method: str = DEFAULT_METHOD, n_samples: int = 100,
                    steps: int | None = None, step_scale: float | None = None,
                    noise_scale: float | None = None, enm_noise: float | None = None, sigma_min: float | None = None,
                    gamma_min: float | None = None, seed: int = 0, checkpoint: str | Path | None = None,
                    device: str | None = None, batch_size: int | None = None,
                    keep_valid: bool = False, max_attempts: int = 5, workers: int | None = None,
                    relax: bool = True, progress: Callable[[int, int], None] | None = None) -> Prediction:
    """Sample ``n_samples`` conformers around ``structure`` with a trained model.

    Batches of at most ``batch_size`` samples (default ``DEFAULT_BATCH_SAMPLES``,
    fewer when memory is short) each draw their noise from their own generator,
    seeded by (seed, batch number): the same inputs, seed and batch size give the
    same ensemble, whatever the number of ``workers``. On the CPU, ``workers``
    threads (default: torch's thread count) sample batches side by side, with
    one torch thread and one BLAS thread each (the previous counts come back
    after the run). With
    ``keep_valid`` more batches are drawn (at most ``max_attempts`` times
    ``n_samples`` in all) until ``n_samples`` conformers pass the geometry
    check; when too few pass, the best of the others fill the ensemble and a
    warning says so. ``progress(done, total)`` is called after every denoising
    step, counted over all batches (``total`` = steps x batches; it grows when
    ``keep_valid`` draws more batches).
    ``steps``, ``step_scale``, ``noise_scale``, ``enm_noise``, ``sigma_min`` (the last noise
    level, in units of sigma_data) and ``gamma_min`` (the last noise level with fresh noise,
    Angstrom) override the sampler's settings of the method
    (:func:`dynafold.model.config.method_sampler`); None keeps its default.
    With ``relax`` every conformer goes through the geometry restraints of
    :mod:`dynafold.predict.relax` (bonds, angles, contacts) before it is checked.
    """
    import torch
    from threadpoolctl import threadpool_limits

    from dynafold.const import CA_SLOT, NUM_ATOM_SLOTS
    from dynafold.data.features import ensemble_from_atom14, featurize, template_anm_noise
    from dynafold.data.ligand_tokens import ligand_tokens, with_ligand_atoms
    from dynafold.metrics.rmsf import residue_rmsf
    from dynafold.model.checkpoint import default_checkpoint, load_checkpoint, model_version
    from dynafold.model.config import method_sampler
    from dynafold.predict import relax as relaxation

    t0 = time.perf_counter()
    check_method(method)  # a canonical label: user spellings are resolved at the CLI
    checkpoint = Path(checkpoint) if checkpoint else default_checkpoint()
    device = resolve_device(device)
    template, warnings = prepare_input(structure)
    model, cfg, checkpoint_sha256 = load_checkpoint(checkpoint, device=device)
    if template.ligands and not cfg.ligand_tokens:
        names = ", ".join(dict.fromkeys(lig.residue_name(template.topology) for lig in template.ligands))
        warnings.append(f"this model has no ligand tokens; the ligands ({names}) are left out")
        template = template.protein()
    protein = template.protein()
    n_res = protein.n_residues
    tokens = ligand_tokens(template)
    n_tokens = n_res + tokens.n_atoms  # the ligand heavy atoms follow the residues
    workers = 1 if device != "cpu" else max(1, torch.get_num_threads() if workers is None else workers)
    fit = samples_per_batch(n_tokens, cfg, available_bytes(device) // workers, n_samples)
    if fit < 1:
        raise ResourceError(f"{structure.name}: {n_tokens} tokens do not fit in the memory of {device}; "
                            "use a GPU (--device cuda) or a smaller protein/domain")
    batch_size = min(batch_size or DEFAULT_BATCH_SAMPLES, fit)
    feats = featurize(template, method=method, ligands=cfg.ligand_tokens)
    batch = {k: v[None].to(device) for k, v in feats.items()}
    sampler = method_sampler(method, step_scale=step_scale, noise_scale=noise_scale, enm_noise=enm_noise,
                             sigma_min=sigma_min, gamma_min=gamma_min)
    sampler = sampler if steps is None else replace(sampler, steps=steps)
    if sampler.enm_noise > 0:
        anm = template_anm_noise(feats["template_coords"].numpy(), feats["atom_mask"].numpy(),
                                 feats["ligand_mask"].numpy())
        batch["anm_noise"] = torch.from_numpy(anm)[None].to(device)
    atom_mask = feats["atom_mask"].numpy().copy()
    atom_mask[:, cfg.atom_slots:] = False  # slots the model does not place
    t1 = time.perf_counter()
    with torch.no_grad():
        cond = model.condition(batch)  # the trunk once, shared by every batch
    bfactor = model.predict_bfactor(batch, cond)[0].float().cpu().numpy()
    # the input in the sampled atom order: peptide links broken there and its disulfides
    input_part = ensemble_from_atom14(feats["template_coords"].numpy()[None, :n_res], protein, atom_mask[:n_res],
                                      method)
    reference = input_part.coords[0]
    complex_reference = with_ligand_atoms(input_part, template, tokens, template.coords[:1, tokens.atom_index])
    complex_input = complex_reference.coords[0]
    restraints = relaxation.restraints(complex_reference, complex_input) if relax else None
    limit = n_samples * (max_attempts if keep_valid else 1)
    # per batch: conformers, RMS shifts, C-alpha breaks, clashes, ligand bonds kept, ligand-protein clashes
    parts: list[tuple[np.ndarray, ...]] = []

    def checked(coords: np.ndarray, shift: np.ndarray) -> tuple[np.ndarray, ...]:
        """A batch's conformers (S, N, 3) and shifts with the geometry checks of each conformer."""
        protein_coords = coords[:, :input_part.n_atoms]
        return (coords, shift, geometry.ca_break_fraction(protein_coords, input_part.topology),
                geometry.clash_counts(protein_coords, input_part.topology, reference),
                geometry.ligand_bonds_kept(coords, complex_reference, complex_input),
                geometry.ligand_protein_clashes(coords, complex_reference, complex_input))

    def is_valid(breaks: np.ndarray, clashes: np.ndarray, bonds_kept: np.ndarray,
                 ligand_clashes: np.ndarray) -> np.ndarray:
        return geometry.is_valid(breaks, clashes) & bonds_kept & (ligand_clashes == 0)
    n_done = n_valid = n_batches = 0
    planned = -(-n_samples // batch_size)  # batches; --keep-valid may add more
    steps_done = 0
    relax_s = 0.0  # summed over batches (they run side by side)
    lock = threading.Lock()

    def on_step(_done: int, _steps: int) -> None:
        nonlocal steps_done
        with lock:
            steps_done += 1
            if progress:
                progress(steps_done, max(planned, n_batches) * sampler.steps)

    def run_batch(number: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(size, N, 3) conformers of the complex, relaxed when asked, and (size,) RMS shifts by relaxing."""
        generator = torch.Generator().manual_seed(batch_seed(seed, number))
        xyz = np.zeros((size, n_tokens, NUM_ATOM_SLOTS, 3), dtype=np.float32)
        xyz[..., : cfg.atom_slots, :] = model.sample(batch, size, generator=generator, sampler=sampler,
                                                     on_step=on_step, cond=cond)[0].cpu()
        part = ensemble_from_atom14(xyz[:, :n_res], protein, atom_mask[:n_res], method)
        coords = np.concatenate([part.coords, xyz[:, n_res:, CA_SLOT]], axis=1)
        if restraints is None:
            return coords, np.zeros(size)
        start = time.perf_counter()
        relaxed = relaxation.relax(coords, restraints)
        nonlocal relax_s
        with lock:
            relax_s += time.perf_counter() - start
        return relaxed, np.sqrt(np.square(relaxed - coords).sum(axis=-1).mean(axis=-1))

    def wanted() -> bool:
        return n_done < limit and (n_done < n_samples or (keep_valid and n_valid < n_samples))

    threads = torch.get_num_threads()
    if device == "cpu":
        torch.set_num_threads(1)  # one torch thread per worker: the same numbers for any worker count
    # and one BLAS thread (numpy's, scipy's): the restraints' L-BFGS with two would spin against the workers
    try:
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(max_workers=workers) as pool:
            while wanted():
                # results are taken in batch order and stop where one batch at a time would stop
                sizes = _round_sizes(n_done, n_samples, limit, batch_size, workers)
                first = n_batches
                n_batches += len(sizes)
                for size, result in zip(sizes, pool.map(run_batch, range(first, first + len(sizes)), sizes)):
                    if not wanted():
                        break
                    parts.append(checked(*result))
                    n_valid += int(is_valid(*parts[-1][2:]).sum())
                    n_done += size
    finally:
        torch.set_num_threads(threads)
    t2 = time.perf_counter()
    coords, shifts, breaks, clashes, bonds_kept, ligand_clashes = (np.concatenate(p) for p in zip(*parts))
    sampled = replace(complex_reference, coords=coords, name=structure.name, notes=[])
    valid = is_valid(breaks, clashes, bonds_kept, ligand_clashes)
    bonds_ok = geometry.bond_length_fraction(sampled.coords[:, :input_part.n_atoms], input_part.topology, reference)
    order = np.arange(n_samples)
    if keep_valid:
        # valid conformers first (in sampling order), then the least clashing others
        order = np.lexsort((clashes + 1000 * breaks, ~valid))[:n_samples]
        if valid.sum() < n_samples:
            warnings.append(f"only {int(valid.sum())} of {sampled.n_conformers} sampled conformers passed "
                            f"the geometry check; {n_samples - int(valid.sum())} failing ones are kept")
    sampled = sampled.select_frames(order)
    rmsf = residue_rmsf(sampled) if sampled.n_conformers > 1 else np.zeros(n_res)
    if sampled.n_conformers > 1 and (rigid := rigidity_warning(rmsf, bfactor[:n_res])):
        warnings.append(rigid)
    return Prediction(
        ensemble=sampled, bfactor_A2=bfactor[:n_res], rmsf_A=rmsf, valid=valid[order],
        ligand_bfactor_A2=bfactor[n_res:], ligand_bonds_kept=bonds_kept[order], ligand_clashes=ligand_clashes[order],
        ca_break_fraction=breaks[order], clashes=clashes[order], bond_ok_fraction=bonds_ok[order],
        relaxed=relax, relax_shift_A=shifts[order],
        method=method, seed=seed, steps=sampler.steps, step_scale=sampler.step_scale,
        noise_scale=sampler.noise_scale, enm_noise=sampler.enm_noise, device=device, workers=workers,
        model_version=model_version(checkpoint, checkpoint_sha256),
        timings_s={"setup": t1 - t0, "sampling": t2 - t1, "relax_in_batches": relax_s,
                   "total": time.perf_counter() - t0},
        warnings=warnings,
    )

