"""Constants of the method (DESIGN.md). Values marked B2 are Boltz-2's defaults."""

from __future__ import annotations

import math

import numpy as np

from dynafold.errors import DynafoldInputError

# --- methods (B2 ids) -------------------------------------------------------
METHOD_IDS: dict[str, int] = {"md": 0, "xray": 1, "em": 2, "nmr": 3, "other": 4, "afdb": 5}
METHOD_ALIASES: dict[str, str] = {
    "x-ray": "xray", "x-ray diffraction": "xray", "xray diffraction": "xray",
    "electron microscopy": "em", "cryo-em": "em", "solution nmr": "nmr",
    "molecular dynamics": "md",
}
NUM_METHODS = len(METHOD_IDS)
# what each method label asks the model for, shown by `dynafold predict --help`
METHOD_DESCRIPTIONS: dict[str, str] = {
    "md": "molecular dynamics: conformers spread as in an MD simulation",
    "xray": "X-ray crystallography: conformers close to one crystal structure",
    "em": "cryo-electron microscopy models",
    "nmr": "solution NMR: the spread of an NMR bundle",
    "other": "other experimental methods",
    "afdb": "AlphaFold database predictions",
}
DEFAULT_METHOD = "md"  # an ensemble tool samples dynamics unless asked otherwise
# Sampler step scale per method label, validated with the shipped model (weights/MODEL_CARD.md); other
# labels take SamplerConfig's 1.5. A step scale above 1 sharpens samples towards the input (tighter ensembles).
METHOD_STEP_SCALE: dict[str, float] = {"md": 1.1, "nmr": 1.1, "xray": 1.5}
# Fresh noise of the sampler per method label (weights/MODEL_CARD.md), chosen like the step scale: the share of
# its variance drawn from the anisotropic network model of the input (collective motions, which the denoiser
# keeps, where isotropic noise per atom is removed), and the noise level (Angstrom) down to which it is added.
# Other labels take SamplerConfig's isotropic noise down to 1 A.
METHOD_ENM_NOISE: dict[str, float] = {"md": 0.25, "nmr": 0.25}
METHOD_GAMMA_MIN_A: dict[str, float] = {"md": 0.1, "nmr": 0.1}
# Denoising steps of a sampling run unless asked otherwise (predict, benchmark, SamplerConfig): at 80 the
# validation numbers of the shipped model (r, rho, lDDT) are within 0.02 of those at 100 and 200 steps, or
# better (weights/MODEL_CARD.md, "Fewer steps, measured"), in 80 % and 40 % of the time.
SAMPLING_STEPS = 80
# Samples per denoiser batch unless asked otherwise: per sample, a batch of 25 samples as fast as one of
# 50 (27 residues) or faster (150 residues), its tensors stay under the 32 MB above which glibc maps
# fresh memory for every block, and peak memory is lower (benchmarks/RESULTS.md).
DEFAULT_BATCH_SAMPLES = 25

# --- distogram (B2): 64 classes over 2-22 A ---------------------------------
DISTOGRAM_NUM_BINS = 64
DISTOGRAM_MIN_A = 2.0
DISTOGRAM_MAX_A = 22.0
DISTOGRAM_BOUNDARIES_A = np.linspace(DISTOGRAM_MIN_A, DISTOGRAM_MAX_A, DISTOGRAM_NUM_BINS - 1)

# --- B-factor head (B2): 64 bins over 0-100 A^2 ------------------------------
BFACTOR_NUM_BINS = 64
BFACTOR_MAX_A2 = 100.0
BFACTOR_BOUNDARIES_A2 = np.linspace(0.0, BFACTOR_MAX_A2, BFACTOR_NUM_BINS - 1)
BFACTOR_MIN_VALID_A2 = 1e-5

# Debye-Waller: B = DEBYE_WALLER_FACTOR * RMSF^2, RMSF the 3-D root-mean-square
# displacement. The text's value is 8 pi^2 / 3; released Boltz-2 code uses 8 pi^2.
DEBYE_WALLER_FACTOR = 8.0 * math.pi**2 / 3.0

# --- diffusion (EDM, AlphaFold3 / Boltz-2 Table 7) ---------------------------
SIGMA_DATA = 16.0

# --- lDDT -------------------------------------------------------------------
LDDT_INCLUSION_RADIUS_A = 15.0
LDDT_THRESHOLDS_A = (0.5, 1.0, 2.0, 4.0)
# training's local-geometry term: atom pairs of one residue or of sequence neighbours closer than
# this in the truth (bonds, bond angles, ring 1-4 pairs)
LOCAL_GEOMETRY_RADIUS_A = 3.0

# --- chemistry --------------------------------------------------------------
AMINO_ACIDS_3TO1: dict[str, str] = {
    "ALA": "A", "ARG": "R", "ASN": "N", "ASP": "D", "CYS": "C", "GLN": "Q", "GLU": "E",
    "GLY": "G", "HIS": "H", "ILE": "I", "LEU": "L", "LYS": "K", "MET": "M", "PHE": "F",
    "PRO": "P", "SER": "S", "THR": "T", "TRP": "W", "TYR": "Y", "VAL": "V",
}
# force-field and modified residue names mapped to their parent amino acid
RESIDUE_ALIASES: dict[str, str] = {
    "HID": "HIS", "HIE": "HIS", "HIP": "HIS", "HSD": "HIS", "HSE": "HIS", "HSP": "HIS",
    "HISA": "HIS", "HISB": "HIS", "HISH": "HIS", "CYX": "CYS", "CYM": "CYS", "CYS2": "CYS",
    "ASH": "ASP", "GLH": "GLU", "LYN": "LYS", "MSE": "MET", "SEP": "SER", "TPO": "THR",
    "PTR": "TYR", "NLE": "LEU",
}
RESIDUE_TYPES: tuple[str, ...] = tuple(AMINO_ACIDS_3TO1) + ("UNK",)
NUM_RESIDUE_TYPES = len(RESIDUE_TYPES)
WATER_NAMES = frozenset({"HOH", "WAT", "SOL", "TIP3", "TIP3P", "TIP4", "SPC", "DOD", "H2O"})
ION_NAMES = frozenset({
    "NA", "CL", "K", "MG", "CA", "ZN", "MN", "FE", "CU", "CO", "NI", "CD", "IOD", "BR",
    "SOD", "CLA", "POT", "CAL", "NA+", "CL-", "LI", "CS", "RB",
})
# polymer residues that are not amino acids: terminal caps and nucleotides (standard and Amber names);
# every other residue that is not protein, water or an ion is a ligand
POLYMER_CAPS = frozenset({"ACE", "NME", "NMA", "NH2", "NHE", "CT3", "FOR"})
NUCLEOTIDE_NAMES = frozenset({
    "A", "C", "G", "U", "I", "T", "DA", "DC", "DG", "DT", "DU", "DI", "RA", "RC", "RG", "RU",
    *(f"{base}{end}" for base in ("DA", "DC", "DG", "DT", "RA", "RC", "RG", "RU") for end in ("5", "3", "N")),
})
# the pocket: protein heavy atoms within this distance of a ligand heavy atom in the reference's first
# frame; a protein and a ligand heavy atom closer than the contact distance are in contact
POCKET_RADIUS_A = 6.0
CONTACT_DISTANCE_A = 4.0
BACKBONE_ATOMS = ("N", "CA", "C", "O")
TERMINAL_OXYGEN = "OXT"
C_OXT_BOND_A = 1.249  # Engh & Huber (1991)

# Heavy atoms of each standard residue (PDB names), in a fixed order.
RESIDUE_HEAVY_ATOMS: dict[str, tuple[str, ...]] = {
    "ALA": ("N", "CA", "C", "O", "CB"),
    "ARG": ("N", "CA", "C", "O", "CB", "CG", "CD", "NE", "CZ", "NH1", "NH2"),
    "ASN": ("N", "CA", "C", "O", "CB", "CG", "OD1", "ND2"),
    "ASP": ("N", "CA", "C", "O", "CB", "CG", "OD1", "OD2"),
    "CYS": ("N", "CA", "C", "O", "CB", "SG"),
    "GLN": ("N", "CA", "C", "O", "CB", "CG", "CD", "OE1", "NE2"),
    "GLU": ("N", "CA", "C", "O", "CB", "CG", "CD", "OE1", "OE2"),
    "GLY": ("N", "CA", "C", "O"),
    "HIS": ("N", "CA", "C", "O", "CB", "CG", "ND1", "CD2", "CE1", "NE2"),
    "ILE": ("N", "CA", "C", "O", "CB", "CG1", "CG2", "CD1"),
    "LEU": ("N", "CA", "C", "O", "CB", "CG", "CD1", "CD2"),
    "LYS": ("N", "CA", "C", "O", "CB", "CG", "CD", "CE", "NZ"),
    "MET": ("N", "CA", "C", "O", "CB", "CG", "SD", "CE"),
    "PHE": ("N", "CA", "C", "O", "CB", "CG", "CD1", "CD2", "CE1", "CE2", "CZ"),
    "PRO": ("N", "CA", "C", "O", "CB", "CG", "CD"),
    "SER": ("N", "CA", "C", "O", "CB", "OG"),
    "THR": ("N", "CA", "C", "O", "CB", "OG1", "CG2"),
    "TRP": ("N", "CA", "C", "O", "CB", "CG", "CD1", "CD2", "NE1", "CE2", "CE3", "CZ2", "CZ3", "CH2"),
    "TYR": ("N", "CA", "C", "O", "CB", "CG", "CD1", "CD2", "CE1", "CE2", "CZ", "OH"),
    "VAL": ("N", "CA", "C", "O", "CB", "CG1", "CG2"),
}

# The atom-14 layout: one slot per heavy atom of a residue, in the order of RESIDUE_HEAVY_ATOMS
# (N, CA, C, O, CB, ...); unknown residues ("UNK") keep their backbone.
NUM_ATOM_SLOTS = 14
ATOM14_SLOT: dict[str, dict[str, int]] = {
    **{res: {atom: i for i, atom in enumerate(atoms)} for res, atoms in RESIDUE_HEAVY_ATOMS.items()},
    "UNK": {atom: i for i, atom in enumerate(BACKBONE_ATOMS)},
}
CA_SLOT = BACKBONE_ATOMS.index("CA")
CB_SLOT = len(BACKBONE_ATOMS)
ATOM_ELEMENTS = ("C", "N", "O", "S")  # element classes of protein heavy atoms; len() marks an empty slot
# Ligand heavy atoms are tokens of their own (one atom each, in the C-alpha slot). Their features:
# element class (the last class: any other element), clipped formal charge, aromaticity, heavy-atom degree.
LIGAND_ELEMENTS = ("C", "N", "O", "S", "P", "F", "CL", "BR", "I", "B", "SE")
LIGAND_CHARGES = (-1, 0, 1)
LIGAND_MAX_DEGREE = 4  # higher degrees count as this
LIGAND_ATOM_FEATURES = len(LIGAND_ELEMENTS) + 1 + len(LIGAND_CHARGES) + 1 + LIGAND_MAX_DEGREE + 1
LIGAND_BOND_FEATURES = 4  # per ligand atom pair: bonded, double, triple, aromatic


def slot_elements() -> np.ndarray:
    """Element class (index into ATOM_ELEMENTS, len(ATOM_ELEMENTS) for an empty slot) of each (residue type, slot).

    Returns (NUM_RESIDUE_TYPES, NUM_ATOM_SLOTS) int64, rows in the order of ``RESIDUE_TYPES``.
    """
    table = np.full((len(RESIDUE_TYPES), NUM_ATOM_SLOTS), len(ATOM_ELEMENTS), dtype=np.int64)
    for r, name in enumerate(RESIDUE_TYPES):
        for atom, slot in ATOM14_SLOT[name].items():
            table[r, slot] = ATOM_ELEMENTS.index(atom[0])
    return table


def canonical_method(method: str) -> str:
    """Return the canonical method label ('md', 'xray', ...) of a label as a user spells it; unknown labels raise.

    Called where labels enter: the CLI options and :class:`dynafold.ensemble.Ensemble`
    construction. Functions further in take canonical labels and only check them
    (:func:`check_method`).
    """
    key = method.strip().lower()
    key = METHOD_ALIASES.get(key, key)
    return key if key in METHOD_IDS else check_method(method)


def check_method(method: str) -> str:
    """Return ``method`` when it is a canonical label (a key of ``METHOD_IDS``); anything else raises."""
    if method not in METHOD_IDS:
        raise DynafoldInputError(f"unknown method {method!r}; valid: {', '.join(METHOD_IDS)}")
    return method


def canonical_residue(res_name: str) -> str:
    """Map a residue name to its standard amino acid name (or itself)."""
    return RESIDUE_ALIASES.get(res_name, res_name)
