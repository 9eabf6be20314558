import numpy as np
import pytest

from dynafold.errors import DynafoldInputError, MissingAtomsError
from dynafold.examples import example_path
from dynafold.io import load
from dynafold.predict import sample_ensemble
from dynafold.predict.memory import samples_per_batch
from dynafold.model.config import MODEL_PRESETS


def test_sample_shapes_numbering_and_seed(tiny_checkpoint):
    structure = load(example_path())
    a = sample_ensemble(structure, method="md", n_samples=3, steps=4, seed=7, checkpoint=tiny_checkpoint)
    b = sample_ensemble(structure, method="md", n_samples=3, steps=4, seed=7, checkpoint=tiny_checkpoint)
    c = sample_ensemble(structure, method="md", n_samples=3, steps=4, seed=8, checkpoint=tiny_checkpoint)
    protein = structure.protein()
    assert a.ensemble.n_conformers == 3
    assert a.ensemble.topology.residue_keys() == protein.topology.residue_keys()
    assert a.ensemble.n_atoms == protein.n_atoms  # every heavy atom of every residue
    assert np.isfinite(a.ensemble.coords).all()
    np.testing.assert_array_equal(a.ensemble.coords, b.ensemble.coords)
    assert not np.allclose(a.ensemble.coords, c.ensemble.coords)
    assert a.rmsf_A.shape == a.bfactor_A2.shape == (protein.n_residues,)
    assert a.device == "cpu"


def test_keep_valid_never_crashes(tiny_checkpoint):
    # an untrained model fails the geometry check: the run still returns N conformers
    pred = sample_ensemble(load(example_path()), n_samples=2, steps=3, checkpoint=tiny_checkpoint,
                           keep_valid=True, max_attempts=2)
    assert pred.ensemble.n_conformers == 2
    assert len(pred.valid) == 2
    if not pred.valid.all():
        assert any("geometry check" in w for w in pred.warnings)


def test_unknown_method_lists_valid_ones(tiny_checkpoint):
    with pytest.raises(DynafoldInputError, match="valid: md, xray"):
        sample_ensemble(load(example_path()), method="nmrx", n_samples=1, steps=2, checkpoint=tiny_checkpoint)


def test_missing_backbone_is_refused(tiny_checkpoint):
    structure = load(example_path())
    drop = structure.topology.atom_names == "N"
    with pytest.raises(MissingAtomsError, match="lack backbone atoms"):
        sample_ensemble(structure.select_atoms(~drop), n_samples=1, steps=2, checkpoint=tiny_checkpoint)


def test_memory_estimate_scales_with_length():
    cfg = MODEL_PRESETS["small"]
    budget = 8 * 1024**3
    assert samples_per_batch(150, cfg, budget, 100) == 100
    assert 0 < samples_per_batch(1000, cfg, budget, 100) < 100
    assert samples_per_batch(20000, cfg, budget, 100) == 0


def test_progress_counts_denoising_steps_over_batches(tiny_checkpoint):
    calls = []
    pred = sample_ensemble(load(example_path()), n_samples=3, steps=4, batch_size=2, checkpoint=tiny_checkpoint,
                           progress=lambda done, total: calls.append((done, total)))
    assert calls == [(k, 8) for k in range(1, 9)]  # 2 batches x 4 steps
    assert pred.method == "md"  # the default method


def test_multi_model_input_names_its_template(shared_data):
    from dynafold.predict.pipeline import prepare_input

    structure = load(shared_data / "nmr" / "1l2y.pdb")
    protein, warnings = prepare_input(structure)
    assert protein.n_conformers == 1
    np.testing.assert_array_equal(protein.coords[0], structure.protein().coords[0])
    assert warnings == [f"1l2y has {structure.n_conformers} models; the first one is the template"]
    assert prepare_input(structure.select_frames(slice(0, 1)))[1] == []


def test_near_rigid_ensembles_are_flagged():
    from dynafold.const import DEBYE_WALLER_FACTOR
    from dynafold.predict.pipeline import rigidity_warning

    bfactor = np.full(10, DEBYE_WALLER_FACTOR * 1.0**2)  # implies 1 A RMSF
    assert rigidity_warning(np.full(10, 0.5), bfactor) is None
    warning = rigidity_warning(np.full(10, 0.1), bfactor)
    assert warning.startswith("near-rigid ensemble") and "0.10 A is 10% of the 1.00 A" in warning
    assert rigidity_warning(np.zeros(10), np.zeros(10)) is None


def test_workers_do_not_change_the_ensemble(tiny_checkpoint):
    import torch

    structure = load(example_path())
    threads = torch.get_num_threads()
    kw = dict(method="md", n_samples=5, steps=3, batch_size=2, seed=3, checkpoint=tiny_checkpoint)
    calls = []
    one = sample_ensemble(structure, workers=1, **kw)
    three = sample_ensemble(structure, workers=3, progress=lambda done, total: calls.append((done, total)), **kw)
    np.testing.assert_array_equal(one.ensemble.coords, three.ensemble.coords)
    assert not np.allclose(one.ensemble.coords[0], one.ensemble.coords[2])  # batches draw their own noise
    assert [done for done, _ in calls] == list(range(1, 10)) and calls[-1][1] == 9  # 3 batches x 3 steps
    assert torch.get_num_threads() == threads
    # drawing more batches until enough pass the check stops where one worker would stop
    kv = dict(kw, keep_valid=True, max_attempts=3)
    a, b = sample_ensemble(structure, workers=1, **kv), sample_ensemble(structure, workers=2, **kv)
    np.testing.assert_array_equal(a.ensemble.coords, b.ensemble.coords)
    np.testing.assert_array_equal(a.valid, b.valid)


def test_restraints_are_applied_and_can_be_left_out(tiny_checkpoint):
    """The same draws with and without the geometry restraints: the raw conformers are the denoiser's, the
    relaxed ones keep more bonds, and each records how far its atoms moved."""
    from dynafold.predict.outputs import summary

    kw = dict(method="md", n_samples=2, steps=3, seed=1, checkpoint=tiny_checkpoint)
    raw = sample_ensemble(load(example_path()), relax=False, **kw)
    relaxed = sample_ensemble(load(example_path()), **kw)
    assert not raw.relaxed and (raw.relax_shift_A == 0).all()
    assert relaxed.relaxed and (relaxed.relax_shift_A > 0).all()
    moved = np.sqrt(np.square(relaxed.ensemble.coords - raw.ensemble.coords).sum(-1).mean(-1))
    np.testing.assert_allclose(moved, relaxed.relax_shift_A, rtol=1e-4)
    assert (relaxed.bond_ok_fraction > raw.bond_ok_fraction).all()
    geometry = summary(relaxed, "x.pdb")["geometry"]
    assert geometry["relaxed"] and geometry["mean_relax_shift_A"] == pytest.approx(relaxed.relax_shift_A.mean())


def test_workers_run_the_restraints_on_one_blas_thread(tiny_checkpoint, monkeypatch):
    # two BLAS threads per worker spin against the other worker's sampling; the limit ends with the run
    from threadpoolctl import threadpool_info, threadpool_limits

    from dynafold.predict import relax

    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    seen = []
    original = relax.relax

    def spy(coords, restraints):
        seen.append(blas_threads())
        return original(coords, restraints)

    monkeypatch.setattr(relax, "relax", spy)
    with threadpool_limits(limits=2, user_api="blas"):
        assert set(blas_threads()) == {2}
        sample_ensemble(load(example_path()), n_samples=2, steps=2, batch_size=1, workers=2,
                        checkpoint=tiny_checkpoint)
        assert set(blas_threads()) == {2}
    assert len(seen) == 2 and all(threads and set(threads) == {1} for threads in seen)
