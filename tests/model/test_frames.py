"""Backbone frames against a plain float64 Gram-Schmidt on real residues."""

from __future__ import annotations

import numpy as np
import torch

from dynafold.model.frames import backbone_frames, rotate_to_global, to_local


def test_frames_against_float64_loop(trp_batch):
    coords, mask = trp_batch["template_coords"][0], trp_batch["atom_mask"][0]
    rot, origin, ok = backbone_frames(coords, mask)
    assert ok[:20].all() and not ok[20:].any()  # padding has no frame
    c = coords.double().numpy()
    for r in range(20):
        n, ca, cc = c[r, 0], c[r, 1], c[r, 2]
        e1 = (cc - ca) / np.linalg.norm(cc - ca)
        u = n - ca - np.dot(n - ca, e1) * e1
        e2 = u / np.linalg.norm(u)
        ref = np.stack([e1, e2, np.cross(e1, e2)], axis=1)
        np.testing.assert_allclose(rot[r].double().numpy(), ref, atol=1e-5)
        np.testing.assert_allclose(origin[r].numpy(), c[r, 1], atol=1e-6)
    det = torch.linalg.det(rot[:20])
    torch.testing.assert_close(det, torch.ones(20), atol=1e-5, rtol=0)


def test_local_round_trip(trp_batch):
    coords, mask = trp_batch["template_coords"][0, :20], trp_batch["atom_mask"][0, :20]
    rot, origin, _ = backbone_frames(coords, mask)
    local = to_local(rot, origin, coords)
    back = rotate_to_global(rot, local) + origin[:, None]
    torch.testing.assert_close(back, coords, atol=1e-4, rtol=0)
    # in its own frame, CA sits at the origin and C on the +x axis
    torch.testing.assert_close(local[:, 1], torch.zeros(20, 3), atol=1e-5, rtol=0)
    assert (local[:, 2, 0] > 1.3).all() and local[:, 2, 1:].abs().max() < 1e-4
