"""Sampling ensembles with a trained model: the library behind ``dynafold predict``."""

from __future__ import annotations

from dynafold.predict.pipeline import Prediction, sample_ensemble

__all__ = ["Prediction", "sample_ensemble"]
