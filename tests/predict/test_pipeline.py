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
