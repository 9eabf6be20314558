"""Sampling ensembles with a trained model: the library behind ``dynafold predict``."""

from __future__ import annotations

from dynafold.predict.pipeline import Prediction, default_checkpoint, sample_ensemble

__all__ = ["Prediction", "default_checkpoint", "sample_ensemble"]
