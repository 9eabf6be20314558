"""training/template_pull.py: the share of a conformer's departure from the template an estimate keeps."""

from __future__ import annotations

import numpy as np
import pytest
from training_scripts import training_script


def test_kept_departure_is_one_for_the_conformer_zero_for_the_template_and_c_squared_between():
    rng = np.random.default_rng(0)
    template = rng.normal(0.0, 5.0, (30, 3))
    truth = template + rng.normal(0.0, 1.0, (30, 3))
    with training_script("template_pull") as script:
        assert script.kept_departure(np.stack([truth, truth]), truth, template) == pytest.approx(1.0)
        assert script.kept_departure(template[None], truth, template) == 0.0
        assert script.kept_departure(template + 0.6 * (truth - template), truth, template) == pytest.approx(0.36)
        noisy = truth + rng.normal(0.0, 0.5, (4000, 30, 3))  # the noisy input itself: 1 + 3 sigma^2 / departure
        departure = np.mean(np.sum((truth - template) ** 2, -1))
        assert script.kept_departure(noisy, truth, template) == pytest.approx(1 + 3 * 0.25 / departure, rel=0.02)
