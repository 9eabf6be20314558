"""Line checks of PDB text, for what gemmi reads without complaint.

gemmi reads a number prefix out of a damaged coordinate column (``3x.979``
becomes 3), accepts a file cut in the middle of an atom record, and keeps
non-ASCII bytes in names. These checks look at the atom records only; gemmi
still does the parsing.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dynafold.errors import TruncatedFileError

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*|\s*[+-]?(nan|inf)\s*", re.IGNORECASE)
_COORD_COLUMNS = ((30, 38, "x"), (38, 46, "y"), (46, 54, "z"))
_ATOM, _HETATM, _ENDMDL = (np.frombuffer(r, dtype=np.uint8) for r in (b"ATOM  ", b"HETATM", b"ENDMDL"))
_MODEL, _END = np.frombuffer(b"MODEL", dtype=np.uint8), np.frombuffer(b"END", dtype=np.uint8)
# bytes by what they do to lines (str.splitlines of Latin-1 text): 0 nothing, then LF, CR, other breaks, non-ASCII
_LF, _CR, _OTHER_BREAK, _WIDE = 1, 2, 3, 4
_BYTE_CLASS = np.zeros(256, dtype=np.uint8)
_BYTE_CLASS[128:] = _WIDE
_BYTE_CLASS[[0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85]] = _OTHER_BREAK
_BYTE_CLASS[ord("\n")], _BYTE_CLASS[ord("\r")] = _LF, _CR


def read_pdb_bytes(path: Path) -> str:
    """The text of a PDB file (gzip or plain); bytes outside ASCII are kept as Latin-1."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            return fh.read().decode("latin-1")
    except (OSError, EOFError) as err:
        raise TruncatedFileError(f"cannot read file: {err}", path) from err


@dataclass
class PdbTextCheck:
    """What the line checks found that gemmi does not report."""

    text: str  # the text to parse: without a final record cut mid-line
    last_model_cut: bool = False  # the last of several models is cut: drop it
    notes: list[str] = field(default_factory=list)


def check_pdb_text(text: str, source: object) -> PdbTextCheck:
    """Check the atom records and the ending of PDB text.

    Raises TruncatedFileError naming the line when an ATOM/HETATM record holds
    non-ASCII bytes, ends before its coordinates, or has a coordinate column
    that is not one number (garbage or shifted columns), and when an ATOM
    record is repeated within one model (models written without MODEL/ENDMDL
    records). A file of one model is truncated, an error, when it ends inside
    an atom record, inside its MODEL without ENDMDL, or (for a file with a
    HEADER record) without an END record. In a file of several models, a cut
    last model is reported in ``last_model_cut`` (the caller drops it) and a
    missing END in ``notes``.
    """
    last = _last_line(text)
    cut_mid_record = last[:6] in ("ATOM  ", "HETATM", "ANISOU") and not text.endswith(("\n", "\r"))
    if cut_mid_record:  # its columns are cut, not malformed
        n_lines = len(text.splitlines())
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]
    n_model, open_model, has_end = _scan_clean(text) or _scan(text.splitlines(), source)
    no_end = text.startswith("HEADER") and not has_end
    if n_model > 1:
        if cut_mid_record or open_model:
            return PdbTextCheck(text, last_model_cut=True)
        return PdbTextCheck(text, notes=[f"no END record: the file may be cut after model {n_model}"]
                            if no_end else [])
    if cut_mid_record:
        raise TruncatedFileError(f"truncated: the file ends inside an atom record (line {n_lines})",
                                 source)
    if open_model:
        raise TruncatedFileError("truncated: the model has no ENDMDL record", source)
    if no_end:
        raise TruncatedFileError("truncated: no END record, though the file starts with HEADER", source)
    return PdbTextCheck(text)


def _last_line(text: str) -> str:
    """The last line of ``text`` as ``str.splitlines`` gives it ("" for none), read from the end."""
    tail = text[-4096:]
    lines = tail.splitlines()
    if len(lines) < 2 and len(tail) < len(text):  # the tail may start inside its only line
        lines = text.splitlines()
    return lines[-1] if lines else ""


def _scan(lines: list[str], source: object) -> tuple[int, bool, bool]:
    """Check every atom record, line by line; return (models, last model open, END seen)."""
    n_model = 0
    open_model = has_end = False
    seen: set[str] = set()  # chain, residue number, insertion code, atom name, altloc of this model
    for number, line in enumerate(lines, start=1):
        record = line[:6]
        if record.startswith("MODEL"):
            n_model += 1
            open_model = True
            seen.clear()
        elif record.startswith("ENDMDL"):
            open_model = False
        elif record.rstrip() == "END":
            has_end = True
        elif record == "ATOM  ":
            _check_atom_line(line, number, source)
            key = line[21:27] + line[12:17]
            if key in seen:
                raise TruncatedFileError(
                    f"line {number}: atom {line[12:16].strip()} of {line[17:20].strip()} "
                    f"{line[21]}{line[22:27].strip()} appears twice in one model (several models "
                    "without MODEL/ENDMDL records?)", source)
            seen.add(key)
        elif record == "HETATM":
            _check_atom_line(line, number, source)
    return n_model, open_model, has_end


def _scan_clean(text: str) -> tuple[int, bool, bool] | None:
    """What :func:`_scan` returns, for text whose atom records are all plainly well formed.

    The lines are found and the atom records checked at once, on the bytes:
    ASCII, coordinates written as ``[spaces][-]digits.digits`` in their 8
    columns, no ATOM record twice in a model. None when any record falls
    outside that, when there is none, or when a line ends otherwise than with
    LF or CR LF (then :func:`_scan` checks it and names the line).
    """
    found = _line_table(text)
    if found is None:
        return None
    data, starts, lengths, wide = found
    head = _prefixes(data, starts, lengths)
    is_atom = ((head == _ATOM).all(1) | (head == _HETATM).all(1)) & (lengths >= 6)
    if not is_atom.any() or (lengths[is_atom] < 54).any() or wide[is_atom].any():
        return None
    table = np.lib.stride_tricks.sliding_window_view(data, 54)[starts[is_atom]]  # rows copied whole
    column = table[:, 30:54].reshape(-1, 8).T.copy()  # (8, 3 fields per record): one row per column
    space, dot, minus = column == ord(" "), column == ord("."), column == ord("-")
    digit = (column >= ord("0")) & (column <= ord("9"))
    bad = ~(space | digit | dot | minus)
    bad[1:] |= space[1:] & ~space[:-1]  # a space after the number
    bad[1:] |= minus[1:] & ~space[:-1]  # a sign inside the number
    bad[:-1] |= minus[:-1] & ~digit[1:]  # a sign not before a digit
    bad[1:] |= dot[1:] & ~digit[:-1]  # a dot not after a digit
    if bad.any() or dot[0].any() or not digit[-1].all() or not (dot.sum(0) == 1).all():
        return None
    numbers = np.flatnonzero(is_atom)
    models = np.flatnonzero((head[:, :5] == _MODEL).all(1) & (lengths >= 5))
    ends = np.flatnonzero((head == _ENDMDL).all(1) & (lengths >= 6))
    end_like = np.flatnonzero((head[:, :3] == _END).all(1) & (lengths >= 3))
    has_end = any(text[starts[n]:starts[n] + min(lengths[n], 6)].rstrip() == "END" for n in end_like.tolist())
    open_model = len(models) > 0 and (len(ends) == 0 or models[-1] > ends[-1])
    # ATOM records twice in one model: chain, residue number, insertion code, atom name, altloc
    atom = (table[:, :6] == _ATOM).all(1)
    keys = np.zeros((int(atom.sum()), 16), dtype=np.uint8)
    keys[:, :6], keys[:, 6:11] = table[atom, 21:27], table[atom, 12:17]
    keys[:, 12:] = np.searchsorted(models, numbers[atom]).astype("<u4")[:, None].view(np.uint8)
    keys = keys.view(np.uint64)
    keys = keys[np.lexsort(keys.T[::-1])]
    if (keys[1:] == keys[:-1]).all(1).any():
        return None
    return len(models), open_model, has_end


def _line_table(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The bytes of ``text`` and, per line as ``str.splitlines`` splits it, its start, its length and
    whether it holds a byte outside ASCII; None for line breaks other than LF and CR LF."""
    data = np.frombuffer(text.encode("latin-1"), dtype=np.uint8)
    special = np.flatnonzero(data - np.uint8(32) >= 96)  # control bytes and bytes outside ASCII
    kind = _BYTE_CLASS[data[special]]
    if (kind == _OTHER_BREAK).any():
        return None
    returns = special[kind == _CR]
    if (data[np.minimum(returns + 1, len(data) - 1)] != ord("\n")).any() or (returns == len(data) - 1).any():
        return None  # a CR alone ends a line as well: the line check handles it
    breaks = special[kind == _LF]
    starts = np.concatenate([[0], breaks + 1])
    ends = np.append(breaks, len(data))
    if starts[-1] == len(data):  # text ending with a line break: no empty last line
        starts, ends = starts[:-1], ends[:-1]
    ends = ends - (data[np.maximum(ends - 1, 0)] == ord("\r")) * (ends > starts)
    wide = np.zeros(len(starts), dtype=bool)
    wide[np.searchsorted(starts, special[kind == _WIDE], side="right") - 1] = True
    return data, starts, ends - starts, wide


def _prefixes(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(lines, 6) first six bytes of each line, spaces past its end."""
    cols = np.arange(6)
    inside = cols < lengths[:, None]
    head = np.full((len(starts), 6), ord(" "), dtype=np.uint8)
    head[inside] = data[(starts[:, None] + cols)[inside]]
    return head


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
