"""GROMACS GRO files (first frame): a layout check, then mdtraj reads them.

mdtraj's GRO parser raises bare ``Exception``/``TypeError`` on a wrong atom
count or a missing box line, and reads a line whose columns are shifted by one
as a different residue. The check below finds these first and names the line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from dynafold.ensemble import Ensemble
from dynafold.errors import TruncatedFileError

NM_TO_A = 10.0
_FIRST_COORD_COLUMN = 20  # %5d%-5s%5s%5d: residue number, residue name, atom name, atom number
_TIME = re.compile(r"t= *\d+\.\d+")  # a frame time in the title, as mdtraj reads it


def check_gro(path: Path) -> None:
    """Check the first frame's layout: atom count, fixed coordinate columns, box line.

    Raises TruncatedFileError naming the line.
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        raise TruncatedFileError(f"cannot read file: {err}", path) from err
    try:
        text = data.decode("utf-8")  # mdtraj reads GRO files as UTF-8 text
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise TruncatedFileError(f"line {line}: bytes that are not UTF-8 text", path) from None
    lines = text.splitlines()
    if len(lines) < 2:
        raise TruncatedFileError("truncated GRO: no atom count line", path)
    try:
        n_atoms = int(lines[1])
    except ValueError:
        raise TruncatedFileError(f"line 2: atom count {lines[1].strip()[:20]!r} is not a number",
                                 path) from None
    if n_atoms < 1:
        raise TruncatedFileError(f"line 2: atom count {n_atoms} (no atoms)", path)
    if len(lines) < n_atoms + 3:
        raise TruncatedFileError(f"truncated GRO: line 2 states {n_atoms} atoms, the file has "
                                 f"{max(len(lines) - 2, 0)} lines after it (atoms and a box line)", path)
    first = lines[2]
    dots = [i for i, c in enumerate(first) if c == "." and i >= _FIRST_COORD_COLUMN][:3]
    if len(dots) < 3:
        raise TruncatedFileError("line 3: no x, y, z coordinates in columns 21 on", path)
    width = dots[1] - dots[0]
    fields = [(_FIRST_COORD_COLUMN + k * width, _FIRST_COORD_COLUMN + (k + 1) * width) for k in range(3)]
    if "t=" in lines[0] and not _TIME.search(lines[0]):
        raise TruncatedFileError("line 1: the title has 't=' without a time in ps", path)
    for number in range(3, n_atoms + 3):
        line = lines[number - 1]
        if not line.isascii():
            raise TruncatedFileError(f"line {number}: non-ASCII bytes in an atom line", path)
        if not (line[0:5].strip().isdigit() and line[15:20].strip().isdigit()):
            raise TruncatedFileError(f"line {number}: residue or atom number (columns 1-5, 16-20) is not "
                                     "an integer", path)
        for (start, stop), dot in zip(fields, dots):
            value = line[start:stop]
            if len(value) < width or value[dot - start] != "." or not _is_number(value):
                raise TruncatedFileError(f"line {number}: coordinates are not in the columns of line 3 "
                                         "(shifted or malformed line)", path)
    box = lines[n_atoms + 2].split()
    if len(box) not in (3, 9) or not all(_is_number(v) for v in box):
        raise TruncatedFileError(f"line {n_atoms + 3}: expected the box line (3 or 9 numbers) after "
                                 f"the {n_atoms} atoms stated on line 2", path)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return "_" not in text


def read_gro(path: str | os.PathLike) -> Ensemble:
    """Read the first frame of a GRO file: one conformer, coordinates in Angstrom."""
    path = Path(path)
    check_gro(path)
    import mdtraj

    from dynafold.io.mdtraj_topology import topology_from_mdtraj

    traj = mdtraj.load(str(path))[0]
    return Ensemble(topology=topology_from_mdtraj(traj.topology),
                    coords=traj.xyz.astype(np.float32) * np.float32(NM_TO_A), method="md",
                    name=path.stem)

