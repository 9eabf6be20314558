"""Memory the network needs to sample, from the protein length and the model's configuration.

The counts of float32 values kept alive follow the layers of :mod:`dynafold.model`
(trunk, triangle updates, denoiser, atom windows); change them with the layers.
"""

from __future__ import annotations

from dynafold.model.config import ModelConfig, triangle_rows_per_chunk

BYTES_PER_FLOAT = 4
# float32 values kept alive per residue pair: trunk pair stack and triangle updates
_TRUNK_PAIR_FLOATS = 12
# per triangle-attention logit of one chunk of rows: bias + mask, logits, softmax
_TRIANGLE_LOGIT_FLOATS = 4
# per residue pair and sample in the denoiser: noisy-pair features, attention bias, logits
_DENOISER_PAIR_FLOATS = 24
# per atom pair of a window and sample: distances, attention bias and logits (an upper bound)
_ATOM_PAIR_FLOATS = 16
# per atom pair of a window, once per call: template features, pair representation and its MLP
_ATOM_PAIR_STATIC_FLOATS = 8


def window_atom_pairs(n_residues: int, cfg: ModelConfig) -> int:
    """Atom pairs (query, key) inside the attention windows of the atom encoder / decoder."""
    q = cfg.atom_window_queries
    n_atoms = -(-n_residues * cfg.atom_slots // q) * q
    return n_atoms * cfg.atom_window_keys


def fixed_bytes(n_residues: int, cfg: ModelConfig) -> int:
    """Peak bytes that do not grow with the number of samples: the trunk pass
    (inference, no gradients) and the template part of the atom-pair features."""
    per_pair = _TRUNK_PAIR_FLOATS * max(cfg.token_z, cfg.tri_mul_dim, cfg.pair_heads * cfg.pair_head_dim)
    rows = triangle_rows_per_chunk(n_residues, cfg.pair_heads)
    triangle = _TRIANGLE_LOGIT_FLOATS * rows * cfg.pair_heads * n_residues**2
    atom_static = _ATOM_PAIR_STATIC_FLOATS + 4 * cfg.atom_pair_dim
    atoms = window_atom_pairs(n_residues, cfg) * atom_static
    return (n_residues**2 * per_pair + triangle + atoms) * BYTES_PER_FLOAT


def denoiser_bytes_per_sample(n_residues: int, cfg: ModelConfig) -> int:
    """Peak bytes of one denoiser call per sample."""
    pair = n_residues**2 * (_DENOISER_PAIR_FLOATS + 2 * cfg.denoiser_layers * cfg.denoiser_heads)
    atom_layers = cfg.atom_encoder_layers + cfg.atom_decoder_layers
    atom_pair = window_atom_pairs(n_residues, cfg) * (_ATOM_PAIR_FLOATS + 3 * atom_layers * cfg.atom_heads)
    single = n_residues * (8 * cfg.denoiser_dim + cfg.atom_slots * (16 + 8 * cfg.atom_dim))
    return (pair + atom_pair + single) * BYTES_PER_FLOAT
