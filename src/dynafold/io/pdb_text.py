"""Line checks of PDB text, for what gemmi reads without complaint.

gemmi reads a number prefix out of a damaged coordinate column (``3x.979``
becomes 3), accepts a file cut in the middle of an atom record, and keeps
non-ASCII bytes in names. These checks look at the atom records only; gemmi
still does the parsing.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from dynafold.errors import TruncatedFileError

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*|\s*[+-]?(nan|inf)\s*", re.IGNORECASE)
_COORD_COLUMNS = ((30, 38, "x"), (38, 46, "y"), (46, 54, "z"))


def read_pdb_bytes(path: Path) -> str:
    """The text of a PDB file (gzip or plain); bytes outside ASCII are kept as Latin-1."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            return fh.read().decode("latin-1")
    except (OSError, EOFError) as err:
        raise TruncatedFileError(f"cannot read file: {err}", path) from err


def check_pdb_text(text: str, source: object) -> bool:
    """Check the atom records of PDB text; return whether its last model is cut.

    Raises TruncatedFileError naming the line when an ATOM/HETATM record holds
    non-ASCII bytes, ends before its coordinates, or has a coordinate column
    that is not one number (garbage or misaligned columns), and when a file of
    one model ends inside an atom record. A file of several models whose last
    model has no ENDMDL while the others do (or that ends inside an atom
    record) has a cut last model. An ATOM record repeated within one model
    (models written without MODEL/ENDMDL records) is an error too.: True is returned, and the caller drops it.
    """
    lines = text.splitlines()
    n_model = n_endmdl = 0
    seen: set[str] = set()  # chain, residue number, insertion code, atom name, altloc of this model
    for number, line in enumerate(lines, start=1):
        record = line[:6]
        if record.startswith("MODEL"):
            n_model += 1
            seen.clear()
        elif record.startswith("ENDMDL"):
            n_endmdl += 1
        elif record == "ATOM  ":
            _check_atom_line(line, number, source)
            key = line[21:27] + line[12:17]
            if key in seen:
                raise TruncatedFileError(
                    f"line {number}: atom {line[12:16].strip()} of {line[17:20].strip()} "
                    f"{line[21]}{line[22:27].strip()} appears twice in one model (several models without "
                    "MODEL/ENDMDL records?)", source)
            seen.add(key)
        elif record == "HETATM":
            _check_atom_line(line, number, source)
    last = next((line for line in reversed(lines) if line.strip()), "")
    cut_mid_record = last[:6] in ("ATOM  ", "HETATM", "ANISOU") and not text.endswith(("\n", "\r"))
    if n_model > 1:
        return cut_mid_record or (n_endmdl == n_model - 1)
    if cut_mid_record:
        raise TruncatedFileError(f"truncated: the file ends inside an atom record (line {len(lines)})",
                                 source)
    return False


def _check_atom_line(line: str, number: int, source: object) -> None:
    if not line.isascii():
        raise TruncatedFileError(f"line {number}: non-ASCII bytes in an atom record", source)
    if len(line.rstrip()) < 54:
        raise TruncatedFileError(f"line {number}: the atom record ends before its coordinates "
                                 "(columns 31-54)", source)
    for start, stop, axis in _COORD_COLUMNS:
        if not _NUMBER.fullmatch(line[start:stop]):
            raise TruncatedFileError(f"line {number}: {axis} coordinate {line[start:stop].strip()!r} "
                                     f"(columns {start + 1}-{stop}) is not a number; the record is "
                                     "malformed or its columns are shifted", source)
