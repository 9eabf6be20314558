"""The EDM denoiser: atom encoder, token transformer, atom decoder (AlphaFold3 / Boltz-2 layout).

Every heavy atom of a residue has a slot (atom-14 order: N, CA, C, O, CB, ...);
the real atoms (not the empty slots) are packed into one atom sequence per
item, residue by residue (:class:`AtomLayout`). The atom
encoder runs windowed attention over the atoms and pools them into residue
tokens; the token transformer attends over residues with the trunk's pair
bias; the atom decoder broadcasts the tokens back to their atoms and returns
per-atom updates.

All geometric inputs are expressed in the local backbone frame of a residue of
the template (the input structure, in the same global frame as the noisy
coordinates) and the updates are rotated back with that frame: given
(template, x) the denoiser is exactly SE(3)-equivariant. It always runs in float32.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import nn

from dynafold.const import ATOM_ELEMENTS, CA_SLOT, LIGAND_ATOM_FEATURES, NUM_RESIDUE_TYPES, slot_elements
from dynafold.model.atom_attention import AtomTransformer, key_windows, query_windows
from dynafold.model.config import ModelConfig
from dynafold.model.diffusion import edm_preconditioning, masked_centroid
from dynafold.model.frames import backbone_frames, borrow_frames, rotate_to_global, rotate_to_local, to_local, vector_length
from dynafold.model.layers import AttentionPairBias, Transition

_ATOM_NOISY_FEATURES = 9  # noisy position, displacement from the template, template position
_ATOM_PAIR_FEATURES = 5  # template offset (3), inverse squared distance, same residue
_ATOM_PAIR_NOISY_FEATURES = 4  # noisy offset (3), distance change from the template
_TOKEN_PAIR_NOISY_FEATURES = 5
_LOCAL_SCALE_A = 4.0  # length scale of local geometry features, Angstrom
_MASKED_KEY_BIAS = -1e9  # attention bias of keys that hold no atom
_PREPARED = "denoiser_atom"  # key of the prepared per-atom conditioning in cond (see Denoiser.prepare)


class _Geometry(NamedTuple):
    """Per-residue geometry of a batch: atom mask, template frames about the template centre."""

    atom_mask: torch.Tensor  # (B, R, A)
    rot: torch.Tensor  # (B, R, 3, 3)
    origin: torch.Tensor  # (B, R, 3)
    mu: torch.Tensor  # (B, 1, 1, 3) template centre
    tmpl: torch.Tensor  # (B, R, A, 3) template about mu
    layout: "AtomLayout"


class FourierEmbedding(nn.Module):
    """Fixed random Fourier features of c_noise: (...,) -> (..., dim)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.register_buffer("w", torch.randn(dim, generator=g))
        self.register_buffer("b", torch.rand(dim, generator=g))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return torch.cos(2 * math.pi * (t[..., None] * self.w + self.b))


class Denoiser(nn.Module):
    """D(x; s) = c_skip x + c_out F(c_in x, c_noise), conditioned on the trunk.

    Inputs: x (B, S, R, A, 3) noisy coordinates, sigma (B, S); cond holds the
    trunk outputs s_inputs, s (B, R, Cs), z (B, R, R, Cz) and the batch's
    res_type (B, R), template_coords (B, R, 14, 3), atom_mask (B, R, 14),
    token_mask (B, R).
    Output: denoised coordinates (B, S, R, A, 3), float32, Angstrom.
    Residues whose template lacks N, CA or C have no frame (identity axes);
    equivariance holds exactly for all the others.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d, ca, cp = cfg.denoiser_dim, cfg.atom_dim, cfg.atom_pair_dim
        n_atom_layers = cfg.atom_encoder_layers + cfg.atom_decoder_layers
        self.register_buffer("slot_elements", torch.from_numpy(slot_elements()), persistent=False)
        self.fourier = FourierEmbedding(cfg.fourier_dim)
        # atom conditioning: atom name and residue type, element, template geometry, token
        self.atom_type = nn.Embedding(NUM_RESIDUE_TYPES * cfg.atom_slots, ca)
        self.element = nn.Embedding(len(ATOM_ELEMENTS) + 1, ca)
        self.atom_template = nn.Linear(4, ca, bias=False)
        if cfg.ligand_tokens:  # a ligand atom's chemistry, on its atom (the C-alpha slot of its token)
            self.ligand_atom = nn.Linear(LIGAND_ATOM_FEATURES, ca, bias=False)
        self.token_to_atom = nn.Sequential(nn.LayerNorm(2 * cfg.token_s), nn.Linear(2 * cfg.token_s, ca, bias=False))
        self.atom_noisy = nn.Linear(_ATOM_NOISY_FEATURES, ca, bias=False)
        self.atom_noise_level = nn.Sequential(nn.LayerNorm(cfg.fourier_dim), nn.Linear(cfg.fourier_dim, ca, bias=False))
        # atom pairs inside a window
        self.pair_features = nn.Linear(_ATOM_PAIR_FEATURES, cp, bias=False)
        self.pair_query = nn.Linear(ca, cp, bias=False)
        self.pair_key = nn.Linear(ca, cp, bias=False)
        self.pair_mlp = nn.Sequential(nn.ReLU(), nn.Linear(cp, cp, bias=False), nn.ReLU(), nn.Linear(cp, cp, bias=False))
        self.pair_to_bias = nn.Sequential(nn.LayerNorm(cp), nn.Linear(cp, n_atom_layers * cfg.atom_heads, bias=False))
        self.pair_noisy_to_bias = nn.Linear(_ATOM_PAIR_NOISY_FEATURES, n_atom_layers * cfg.atom_heads, bias=False)
        window = (cfg.atom_heads, cfg.atom_window_queries, cfg.atom_window_keys)
        self.encoder = AtomTransformer(ca, window[0], cfg.atom_encoder_layers, *window[1:], cfg.transition_factor)
        self.decoder = AtomTransformer(ca, window[0], cfg.atom_decoder_layers, *window[1:], cfg.transition_factor)
        # tokens
        self.atom_to_token = nn.Linear(ca, d, bias=False)
        self.cond_single = nn.Sequential(nn.LayerNorm(2 * cfg.token_s), nn.Linear(2 * cfg.token_s, d, bias=False))
        self.noise = nn.Sequential(nn.LayerNorm(cfg.fourier_dim), nn.Linear(cfg.fourier_dim, d, bias=False))
        n_bias = cfg.denoiser_layers * cfg.denoiser_heads
        self.pair_bias = nn.Sequential(nn.LayerNorm(cfg.token_z), nn.Linear(cfg.token_z, n_bias, bias=False))
        self.pair_noisy = nn.Linear(_TOKEN_PAIR_NOISY_FEATURES, n_bias, bias=False)
        self.attention = nn.ModuleList(AttentionPairBias(d, cfg.denoiser_heads) for _ in range(cfg.denoiser_layers))
        self.transition = nn.ModuleList(Transition(d, cfg.transition_factor) for _ in range(cfg.denoiser_layers))
        self.token_to_atom_out = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, ca, bias=False))
        self.out = nn.Sequential(nn.LayerNorm(ca), nn.Linear(ca, 3))
        nn.init.zeros_(self.out[1].weight)
        nn.init.zeros_(self.out[1].bias)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, cond: dict[str, torch.Tensor]) -> torch.Tensor:
        with torch.autocast(device_type=x.device.type, enabled=False):
            cond = self.prepare(cond)
            return self._forward(x.to(self._dtype), sigma.to(self._dtype), cond)

    @property
    def _dtype(self) -> torch.dtype:
        return self.out[1].weight.dtype  # float32 (float64 only if the model was made double)

    def prepare(self, cond: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``cond`` in the denoiser's dtype, with the terms that depend only on the template and
        the trunk (atom conditioning, the template part of the atom-pair bias, the trunk's pair
        bias): sampling prepares once and every step reuses them. Already prepared: returned as is."""
        if _PREPARED in cond:
            return cond
        with torch.autocast(device_type=cond["token_mask"].device.type, enabled=False):
            cond = {k: v.to(self._dtype) if v.is_floating_point() else v for k, v in cond.items()}
            geo = self._geometry(cond)
            token_cond = torch.cat([cond["s_inputs"], cond["s"]], dim=-1)
            static = geo.layout.pack(self.atom_conditioning(cond["res_type"], geo.rot, geo.origin, geo.tmpl,
                                                            geo.atom_mask, token_cond, cond.get("ligand_features")))
            atom_bias, tmpl_dist = self.atom_pair_bias_static(geo.layout.pack(geo.tmpl),
                                                              geo.layout.residue_rotations(geo.rot), geo.layout, static)
            b, r = cond["token_mask"].shape
            token_bias = self.pair_bias(cond["z"]).view(b, r, r, self.cfg.denoiser_layers, self.cfg.denoiser_heads)
            token_bias = token_bias.permute(0, 3, 4, 1, 2) + (~cond["token_mask"])[:, None, None, None] * _MASKED_KEY_BIAS
            ca = geo.tmpl[..., CA_SLOT, :]
            ca_pairs = _pair_mask(geo.atom_mask[..., CA_SLOT]).to(ca.dtype)
            return {**cond, _PREPARED: static, "denoiser_atom_bias": atom_bias, "denoiser_tmpl_dist": tmpl_dist,
                    "denoiser_token_single": self.cond_single(token_cond),
                    "denoiser_token_bias": token_bias.contiguous(),  # (B, layers, H, R, R), masked keys
                    "denoiser_token_tmpl_dist": torch.cdist(ca, ca) * ca_pairs}

    def _geometry(self, cond: dict[str, torch.Tensor]) -> "_Geometry":
        """Frames, template centre and atom layout of the batch (cheap: per residue)."""
        a = self.cfg.atom_slots
        atom_mask = cond["atom_mask"][..., :a] & cond["token_mask"][..., None]
        template = cond["template_coords"]
        rot, origin, frame_mask = backbone_frames(template, cond["atom_mask"])
        if "ligand_mask" in cond and bool(cond["ligand_mask"].any()):
            rot, origin = borrow_frames(rot, origin, frame_mask, cond["ligand_mask"])
        mu = masked_centroid(template[..., :a, :], atom_mask)  # (B, 1, 1, 3)
        return _Geometry(atom_mask, rot, origin - mu[:, 0], mu, template[..., :a, :] - mu,
                         AtomLayout.of(atom_mask, self.cfg.atom_window_queries))

    def _forward(self, x: torch.Tensor, sigma: torch.Tensor, cond: dict[str, torch.Tensor]) -> torch.Tensor:
        cfg = self.cfg
        b, n, r, a, _ = x.shape
        geo = self._geometry(cond)
        layout, rot, tmpl = geo.layout, geo.rot, geo.tmpl
        x = x - geo.mu[:, None]
        c_skip, c_out, c_in, c_noise = (t[..., None, None, None] for t in edm_preconditioning(sigma, cfg.sigma_data))
        dev_scale = torch.rsqrt(sigma**2 + 1.0)[..., None, None, None]  # displacements ~ sqrt(s^2 + 1 A^2)
        noise = self.fourier(c_noise[..., 0, 0, 0])  # (B, S, F)

        # atom encoder over the packed real atoms
        rot_s = rot[:, None]  # broadcast over samples
        feats = torch.cat([
            rotate_to_local(rot_s, x) * c_in,  # noisy atoms about the centre, local axes
            rotate_to_local(rot_s, x - tmpl[:, None]) * dev_scale,  # displacement from the template
            rotate_to_local(rot, tmpl)[:, None].expand(b, n, r, a, 3) / cfg.sigma_data,  # template placement
        ], dim=-1)
        q = cond[_PREPARED][:, None] + self.atom_noisy(layout.pack(feats, samples=True))
        q = (q + self.atom_noise_level(noise)[:, :, None]) * layout.valid[:, None, :, None]
        bias = self.atom_pair_bias(layout.pack(x, samples=True), layout.residue_rotations(rot), cond, sigma)
        q = q.reshape(b * n, layout.n_atoms, -1)
        n_enc = cfg.atom_encoder_layers
        q = self.encoder(q, bias)

        # token transformer
        h = self.atom_to_token(layout.pool(torch.relu(q), n))  # (B * S, R, D)
        h = h + (cond["denoiser_token_single"][:, None] + self.noise(noise)[:, :, None]).reshape(b * n, r, -1)
        pair = self.token_pair_terms(x[..., CA_SLOT, :], rot, geo.atom_mask[..., CA_SLOT], cond, sigma,
                                     c_in[..., 0, 0, 0])
        for layer, (attn, trans) in enumerate(zip(self.attention, self.transition)):
            pair_bias, query_extra, key_extra = pair(layer)
            h = h + attn(h, pair_bias, None, query_extra, key_extra)  # the key mask is in the bias
            h = h + trans(h)

        # atom decoder
        q = q + layout.broadcast(self.token_to_atom_out(h), n)
        q = self.decoder(q, lambda layer: bias(n_enc + layer))
        update = layout.unpack(self.out(q).view(b, n, layout.n_atoms, 3), r, a)
        return geo.mu[:, None] + c_skip * x + c_out * rotate_to_global(rot_s, update)

    def atom_conditioning(self, res_type: torch.Tensor, rot: torch.Tensor, origin: torch.Tensor,
                          tmpl: torch.Tensor, atom_mask: torch.Tensor, token_cond: torch.Tensor,
                          ligand_features: torch.Tensor | None = None) -> torch.Tensor:
        """Per-atom conditioning (B, R, A, Ca): atom name and residue type, element,
        template position in the residue's frame, the trunk's token state, and a
        ligand atom's chemistry (``ligand_features`` (B, R, F), zero on residues)."""
        a = tmpl.shape[-2]
        slots = torch.arange(a, device=res_type.device)
        c = self.atom_type(res_type[..., None] * a + slots) + self.element(self.slot_elements[res_type][..., :a])
        local = torch.cat([to_local(rot, origin, tmpl) / _LOCAL_SCALE_A, atom_mask[..., None].to(tmpl.dtype)], -1)
        c = c + self.atom_template(local) + self.token_to_atom(token_cond)[:, :, None]
        if self.cfg.ligand_tokens and ligand_features is not None:
            c = c + self.ligand_atom(ligand_features)[:, :, None] * (slots == CA_SLOT).to(c.dtype)[:, None]
        return c * atom_mask[..., None]

    def atom_pair_bias_static(self, tmpl: torch.Tensor, rot: torch.Tensor, layout: "AtomLayout",
                              static: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The template part of the atom transformers' attention bias, over packed atoms.

        tmpl (B, N, 3), rot (B, N, 3, 3) the frame of each atom's residue, static
        (B, N, Ca). Template pairs (offset in the query atom's residue frame,
        inverse squared distance, same residue) and the query and key conditioning
        make a pair representation per window; keys that are padding get
        ``_MASKED_KEY_BIAS``; masked pairs only meet masked keys or masked queries,
        whose outputs are not used. Returns the bias (B, layers, H, W, Q, K) and
        the template distances (B, W, Q, K).
        """
        cfg = self.cfg
        wq, wk = cfg.atom_window_queries, cfg.atom_window_keys

        def windows(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return query_windows(t, wq), key_windows(t, wq, wk)

        rot_q = query_windows(rot, wq)  # (B, W, Q, 3, 3)
        mask_q, mask_k = windows(layout.valid.to(tmpl.dtype))
        pair_mask = (mask_q[..., :, None] * mask_k[..., None, :])[..., None]  # (B, W, Q, K, 1)
        res_q, res_k = windows(layout.residue.to(tmpl.dtype))
        t_q, t_k = windows(tmpl)
        t_off = t_k[:, :, None] - t_q[:, :, :, None]  # (B, W, Q, K, 3)
        t_dist = vector_length(t_off)
        feats = torch.cat([
            torch.einsum("bwqji,bwqkj->bwqki", rot_q, t_off) / _LOCAL_SCALE_A,
            (1.0 / (1.0 + (t_dist / _LOCAL_SCALE_A) ** 2))[..., None],
            (res_q[..., :, None] == res_k[..., None, :]).to(tmpl.dtype)[..., None],
        ], dim=-1) * pair_mask
        c_q, c_k = windows(torch.relu(static))
        p = self.pair_features(feats) + self.pair_query(c_q)[:, :, :, None] + self.pair_key(c_k)[:, :, None]
        p = p + self.pair_mlp(p)
        bias = self.pair_to_bias(p) + (mask_k <= 0)[:, :, None, :, None] * _MASKED_KEY_BIAS  # (B, W, Q, K, L * H)
        bias = bias.view(*bias.shape[:4], cfg.atom_encoder_layers + cfg.atom_decoder_layers, cfg.atom_heads)
        return bias.permute(0, 4, 5, 1, 2, 3).contiguous(), t_dist

    def atom_pair_bias(self, x: torch.Tensor, rot: torch.Tensor, cond: dict[str, torch.Tensor],
                       sigma: torch.Tensor) -> Callable[[int], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Attention terms of the atom transformer layers for the noisy atoms x (B, S, N, 3)
        (packed, about the template centre); rot (B, N, 3, 3) is the frame of each atom's residue.

        Each sample's pairs add, to the template part of :meth:`prepare`, the change of
        their distance from the template's (a bias tensor) and their offset in the
        query atom's residue frame, w . R_q^T (x_k - x_q) (AlphaFold3's noisy pair
        features): its x_q part is the same for every key of a query and cancels in
        the softmax, and the rest, (R_q w) . x_k, is bilinear, so it travels as
        query and key channels instead of a (Q, K) tensor per head. Returns
        ``terms(layer)`` -> (bias (H, B * S, W, Q, K), query_extra (B * S, N, H, 3),
        key_extra (B * S, N, 3)) for layer ``layer`` (encoder layers first).
        """
        cfg = self.cfg
        b, n, na = x.shape[:3]
        wq, wk, heads = cfg.atom_window_queries, cfg.atom_window_keys, cfg.atom_heads
        flat = x.reshape(b * n, na, 3)
        x_q, x_k = query_windows(flat, wq), key_windows(flat, wq, wk)
        centre = x_q.mean(dim=-2, keepdim=True)  # distances of centred windows lose less to rounding
        dist = torch.cdist(x_q - centre, x_k - centre)  # (B * S, W, Q, K)
        dev = dist.view(b, n, *dist.shape[1:]).sub_(cond["denoiser_tmpl_dist"][:, None])  # (B, S, W, Q, K)
        weight = self.pair_noisy_to_bias.weight.view(-1, heads, _ATOM_PAIR_NOISY_FEATURES)  # offset (3), distance
        offset_scale = torch.rsqrt(sigma**2 + _LOCAL_SCALE_A**2)[..., None, None, None]  # (B, S, 1, 1, 1)
        dev_scale = torch.rsqrt(sigma**2 + 1.0)  # (B, S)

        def terms(layer: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            w = weight[layer]  # (H, 4)
            dev_w = (w[:, 3, None, None] * dev_scale)[..., None, None, None]  # (H, B, S, 1, 1, 1)
            # head-major (H, B, S, W, Q, K): each head's (W, Q, K) block is contiguous in all three terms
            bias = torch.addcmul(cond["denoiser_atom_bias"][:, layer].transpose(0, 1)[:, :, None], dev_w, dev)
            u = torch.einsum("bnji,hi->bnhj", rot, w[:, :3])[:, None] * offset_scale  # (B, S, N, H, 3): R_q w
            return bias.flatten(1, 2), u.reshape(b * n, na, heads, 3), flat

        return terms

    def token_pair_terms(self, ca: torch.Tensor, rot: torch.Tensor, ca_mask: torch.Tensor,
                         cond: dict[str, torch.Tensor], sigma: torch.Tensor,
                         c_in: torch.Tensor) -> Callable[[int], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Attention terms of the token transformer layers from the noisy C-alpha atoms ca (B, S, R, 3)
        (about the template centre); rot (B, R, 3, 3), ca_mask (B, R), sigma and c_in (B, S).

        Each pair of residues with C-alphas adds, to the trunk's pair bias, a linear map of its
        noisy offset in residue i's frame, R_i^T (x_j - x_i) c_in, its distance times c_in and
        the change of its distance from the template's, scaled by 1 / sqrt(sigma^2 + 1 A^2).
        The offset term is bilinear, (R_i w) . (x_j - x_i), and travels as query and key
        channels ([R_i w, -(R_i w) . x_i] . [x_j, 1] on pairs with both C-alphas); the
        distance terms make one (R, R) map per sample. Returns ``terms(layer)`` -> (bias
        (B * S, H, R, R), masked keys included; query_extra (B * S, R, H, 4); key_extra
        (B * S, R, 4)) for :class:`AttentionPairBias`.
        """
        cfg = self.cfg
        b, n, r = ca.shape[:3]
        m = ca_mask.to(ca.dtype)[:, None, :, None]  # (B, 1, R, 1)
        dist = torch.cdist(ca, ca) * _pair_mask(ca_mask).to(ca.dtype)[:, None]  # (B, S, R, R)
        dev_scale = torch.rsqrt(sigma**2 + 1.0)
        weight = self.pair_noisy.weight.view(cfg.denoiser_layers, cfg.denoiser_heads, _TOKEN_PAIR_NOISY_FEATURES)
        key_extra = torch.cat([ca * m, m.expand(b, n, r, 1)], dim=-1).reshape(b * n, r, 4)

        def terms(layer: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            w = weight[layer]  # (H, 5): offset (3), distance, distance change
            dist_w = (c_in[..., None] * w[:, 3] + dev_scale[..., None] * w[:, 4])[..., None, None]  # (B, S, H, 1, 1)
            tmpl_w = (-dev_scale[..., None] * w[:, 4])[..., None, None]
            bias = torch.addcmul(cond["denoiser_token_bias"][:, layer, None], dist_w, dist[:, :, None])
            bias.addcmul_(tmpl_w, cond["denoiser_token_tmpl_dist"][:, None, None])  # (B, S, H, R, R)
            u = torch.einsum("brji,hi->brhj", rot, w[:, :3])[:, None] * c_in[..., None, None, None]  # R_i w c_in
            u = u * m[..., None]  # (B, S, R, H, 3)
            query_extra = torch.cat([u, -(u * ca[:, :, :, None]).sum(-1, keepdim=True)], dim=-1)
            return bias.flatten(0, 1), query_extra.reshape(b * n, r, cfg.denoiser_heads, 4), key_extra

        return terms


def _pair_mask(mask: torch.Tensor) -> torch.Tensor:
    """(B, R) -> (B, R, R): both members valid."""
    return mask[:, :, None] & mask[:, None, :]


class AtomLayout:
    """The real atoms of a batch packed into one sequence per item (no empty atom-14 slots).

    Built from atom_mask (B, R, A): ``index`` (B, N) is each packed atom's flat
    slot r * A + a, ``residue`` (B, N) its residue, ``valid`` (B, N) False on the
    padding that makes N the longest item's atom count rounded up to a multiple
    of the query block. Atoms keep the residue-major order of the slots.
    """

    def __init__(self, index: torch.Tensor, residue: torch.Tensor, valid: torch.Tensor, n_residues: int) -> None:
        self.index, self.residue, self.valid, self.n_residues = index, residue, valid, n_residues

    @classmethod
    def of(cls, atom_mask: torch.Tensor, queries: int) -> "AtomLayout":
        b, r, a = atom_mask.shape
        flat = atom_mask.reshape(b, r * a)
        counts = flat.sum(1)
        n_atoms = max(queries, -(-int(counts.max()) // queries) * queries)
        # stable order: real slots first, in slot order, then the rest
        order = torch.argsort((~flat).to(torch.int8), dim=1, stable=True)[:, :n_atoms]
        if order.shape[1] < n_atoms:  # fewer slots than one query block
            order = torch.cat([order, order.new_zeros(b, n_atoms - order.shape[1])], dim=1)
        valid = torch.arange(n_atoms, device=flat.device)[None] < counts[:, None]
        index = torch.where(valid, order, torch.zeros_like(order))
        return cls(index, index // a, valid, r)

    @property
    def n_atoms(self) -> int:
        return self.index.shape[1]

    def pack(self, t: torch.Tensor, samples: bool = False) -> torch.Tensor:
        """(B, [S,] R, A, ...) -> (B, [S,] N, ...); padding holds slot 0's values."""
        lead = 2 if samples else 1
        flat = t.reshape(*t.shape[:lead], -1, *t.shape[lead + 2:])
        idx = self.index if not samples else self.index[:, None].expand(*t.shape[:2], -1)
        idx = idx.reshape(*idx.shape, *([1] * (flat.dim() - lead - 1))).expand(*idx.shape, *flat.shape[lead + 1:])
        return flat.gather(lead, idx)

    def unpack(self, t: torch.Tensor, r: int, a: int) -> torch.Tensor:
        """(B, S, N, C) -> (B, S, R, A, C), zeros in empty slots."""
        b, n, _, c = t.shape
        out = t.new_zeros(b, n, r * a, c)
        idx = self.index[:, None, :, None].expand(b, n, -1, c)
        out.scatter_add_(2, idx, t * self.valid[:, None, :, None].to(t.dtype))
        return out.view(b, n, r, a, c)

    def residue_rotations(self, rot: torch.Tensor) -> torch.Tensor:
        """Frame of each packed atom's residue: rot (B, R, 3, 3) -> (B, N, 3, 3)."""
        return rot.gather(1, self.residue[..., None, None].expand(*self.residue.shape, 3, 3))

    def pool(self, q: torch.Tensor, n_samples: int) -> torch.Tensor:
        """Mean over each residue's atoms: (B * S, N, C) -> (B * S, R, C)."""
        bs, _, c = q.shape
        res = self.residue.repeat_interleave(n_samples, dim=0)
        w = self.valid.repeat_interleave(n_samples, dim=0)[..., None].to(q.dtype)
        total = q.new_zeros(bs, self.n_residues, c).scatter_add_(1, res[..., None].expand(-1, -1, c), q * w)
        count = q.new_zeros(bs, self.n_residues, 1).scatter_add_(1, res[..., None], w)
        return total / count.clamp_min(1.0)

    def broadcast(self, h: torch.Tensor, n_samples: int) -> torch.Tensor:
        """Each packed atom takes its residue's row: (B * S, R, C) -> (B * S, N, C)."""
        res = self.residue.repeat_interleave(n_samples, dim=0)
        return h.gather(1, res[..., None].expand(-1, -1, h.shape[-1]))
