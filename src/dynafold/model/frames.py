"""Local backbone frames (N, CA, C) of residues, from atom-14 coordinates."""

from __future__ import annotations

import torch


def backbone_frames(coords: torch.Tensor, atom_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-handed orthonormal frame per residue by Gram-Schmidt on CA->C and CA->N.

    Parameters
    ----------
    coords : (..., R, A, 3) Angstrom, slots 0, 1, 2 = N, CA, C.
    atom_mask : (..., R, A) bool.

    Returns
    -------
    rot : (..., R, 3, 3), columns are the frame axes (global = rot @ local + origin);
        identity where the frame is missing.
    origin : (..., R, 3), the CA position.
    frame_mask : (..., R) bool, True where N, CA and C are all present.
    """
    n, ca, c = coords[..., 0, :], coords[..., 1, :], coords[..., 2, :]
    frame_mask = atom_mask[..., 0] & atom_mask[..., 1] & atom_mask[..., 2]
    e1 = torch.nn.functional.normalize(c - ca, dim=-1, eps=1e-6)
    u2 = n - ca
    e2 = torch.nn.functional.normalize(u2 - (u2 * e1).sum(-1, keepdim=True) * e1, dim=-1, eps=1e-6)
    e3 = torch.linalg.cross(e1, e2, dim=-1)
    rot = torch.stack([e1, e2, e3], dim=-1)
    eye = torch.eye(3, dtype=rot.dtype, device=rot.device).expand_as(rot)
    rot = torch.where(frame_mask[..., None, None], rot, eye)
    return rot, ca, frame_mask


def rotate_to_local(rot: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Vectors ``v`` (..., R, M, 3) expressed on the axes of the frames ``rot`` (..., R, 3, 3)."""
    return torch.einsum("...rji,...rmj->...rmi", rot, v)


def to_local(rot: torch.Tensor, origin: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Coordinates ``x`` (..., R, M, 3) expressed in the frames (rot (..., R, 3, 3), origin (..., R, 3))."""
    return rotate_to_local(rot, x - origin[..., None, :])


def rotate_to_global(rot: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Rotate local vectors ``v`` (..., R, M, 3) to the global frame (no translation)."""
    return torch.einsum("...rij,...rmj->...rmi", rot, v)


def vector_length(v: torch.Tensor) -> torch.Tensor:
    """Euclidean length over the last axis of size 3 (faster than ``norm`` on large many-axis tensors)."""
    x, y, z = v.unbind(-1)
    return torch.addcmul(torch.addcmul(x * x, y, y), z, z).sqrt_()


def borrow_frames(rot: torch.Tensor, origin: torch.Tensor, frame_mask: torch.Tensor,
                  borrow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Tokens in ``borrow`` (B, R) bool take the frame of the nearest token that has one.

    rot (B, R, 3, 3), origin (B, R, 3) and frame_mask (B, R) as from
    :func:`backbone_frames`; nearness is between origins. Ligand atom tokens have
    no backbone; with a residue's frame, their local features stay exactly
    rotation-invariant.
    """
    dist = torch.cdist(origin, origin).masked_fill(~frame_mask[:, None, :], float("inf"))
    nearest = dist.argmin(-1)  # (B, R)
    rot_near = rot.gather(1, nearest[..., None, None].expand(*nearest.shape, 3, 3))
    origin_near = origin.gather(1, nearest[..., None].expand(*nearest.shape, 3))
    use = borrow & frame_mask.any(-1, keepdim=True)
    return torch.where(use[..., None, None], rot_near, rot), torch.where(use[..., None], origin_near, origin)
