"""Model and sampler configurations: plain dataclasses that round-trip through JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from dynafold.const import METHOD_ENM_NOISE, METHOD_GAMMA_MIN_A, METHOD_STEP_SCALE, SAMPLING_STEPS, SIGMA_DATA
from dynafold.errors import ConfigError

TRIANGLE_LOGITS_PER_CHUNK = 1 << 21  # attention logits of triangle attention held at once (8 MiB in float32)


def triangle_rows_per_chunk(n_residues: int, heads: int) -> int:
    """Rows of triangle attention computed together so that rows x heads x R x R stays bounded."""
    return max(1, min(n_residues, TRIANGLE_LOGITS_PER_CHUNK // max(1, heads * n_residues**2)))


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of the network (Boltz-2 itself: token_s 384, token_z 128, 64 blocks)."""

    token_s: int = 64  # single representation width
    token_z: int = 32  # pair representation width
    pairformer_blocks: int = 2
    single_heads: int = 4  # heads of single attention with pair bias
    pair_heads: int = 2  # heads of triangle attention
    pair_head_dim: int = 16
    tri_mul_dim: int = 32  # hidden width of the triangle multiplicative updates
    transition_factor: int = 2
    recycling_steps: int = 1  # extra trunk passes (0 = one pass)
    r_max: int = 32  # relative position clip (B2)
    denoiser_dim: int = 64
    denoiser_layers: int = 2
    denoiser_heads: int = 4
    fourier_dim: int = 32  # noise-level embedding width
    atom_slots: int = 14  # atom slots per residue the denoiser places (>= 5: N, CA, C, O, CB)
    atom_dim: int = 32  # width of the per-atom activations of the atom encoder / decoder
    atom_pair_dim: int = 16  # width of the atom-pair features inside a window
    atom_heads: int = 2
    atom_encoder_layers: int = 1
    atom_decoder_layers: int = 1
    atom_window_queries: int = 32  # atoms per query block of windowed atom attention
    atom_window_keys: int = 128  # atoms each query block attends to
    sigma_data: float = SIGMA_DATA
    ligand_tokens: bool = False  # ligand heavy atoms as tokens with their chemistry (configs from before lack it)

    def __post_init__(self) -> None:
        q, k = self.atom_window_queries, self.atom_window_keys
        if q < 1 or k < q or (k - q) % 2:
            raise ConfigError(f"atom windows need 1 <= queries <= keys with an even difference, got {q} and {k}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class SamplerConfig:
    """EDM sampler settings (AlphaFold3 / Boltz-2 Table 7); sigmas in units of sigma_data."""

    steps: int = SAMPLING_STEPS
    sigma_max: float = 160.0
    sigma_min: float = 0.0001
    rho: float = 7.0
    gamma_0: float = 0.8
    gamma_min: float = 1.0  # Angstrom: steps to a lower noise level add no fresh noise
    noise_scale: float = 1.003
    step_scale: float = 1.5
    enm_noise: float = 0.0  # share of the fresh noise's variance drawn from the input's ANM (0: isotropic)


def method_sampler(method: str, **overrides: float | None) -> SamplerConfig:
    """Sampler settings of a method label (canonical name); ``overrides`` that are not None
    (SamplerConfig fields: step_scale, noise_scale, enm_noise, sigma_min, ...) replace the defaults."""
    base = SamplerConfig()
    base = replace(base, step_scale=METHOD_STEP_SCALE.get(method, base.step_scale),
                   gamma_min=METHOD_GAMMA_MIN_A.get(method, base.gamma_min),
                   enm_noise=METHOD_ENM_NOISE.get(method, base.enm_noise))
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


MODEL_PRESETS: dict[str, ModelConfig] = {
    "tiny": ModelConfig(ligand_tokens=True, token_s=16, token_z=8, pairformer_blocks=1, single_heads=2, pair_heads=1,
                        pair_head_dim=8, tri_mul_dim=8, recycling_steps=0, denoiser_dim=16,
                        denoiser_layers=1, denoiser_heads=2, fourier_dim=8, atom_dim=8, atom_pair_dim=4,
                        atom_heads=1, atom_window_queries=8, atom_window_keys=32),
    "small": ModelConfig(ligand_tokens=True, token_s=64, token_z=32, pairformer_blocks=2, single_heads=4, pair_heads=2,
                         pair_head_dim=16, tri_mul_dim=32, recycling_steps=0, denoiser_dim=64,
                         denoiser_layers=2, denoiser_heads=4, fourier_dim=32),
    "base": ModelConfig(ligand_tokens=True, token_s=256, token_z=96, pairformer_blocks=16, single_heads=8, pair_heads=4,
                        pair_head_dim=24, tri_mul_dim=96, recycling_steps=3, denoiser_dim=384,
                        denoiser_layers=12, denoiser_heads=8, fourier_dim=128, atom_dim=128, atom_pair_dim=16,
                        atom_heads=4, atom_encoder_layers=3, atom_decoder_layers=3),
}
