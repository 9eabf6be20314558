"""Header checks run before the C trajectory readers decode a file.

The XTC and DCD decoders trust the sizes a file states: a flipped byte in a
frame header makes them write past their buffers (the process dies with a
signal) or allocate what a corrupt atom count asks for. These checks read
only the headers, with ``struct``, and raise a typed error before mdtraj
decodes anything. They do not decode coordinates.
"""

from __future__ import annotations

import struct
from pathlib import Path

from dynafold.errors import TopologyMismatchError, TruncatedFileError

XTC_MAGIC = 1995
# magic, natoms, step, time, box (3x3), natoms again: the header of every frame.
_XTC_HEAD = struct.Struct(">iiif9fi")
# precision, minint (3), maxint (3), smallidx, compressed byte count: frames of > 9 atoms.
_XTC_COMPRESSED = struct.Struct(">f3i3iii")
# xdrfile's table of bit sizes has 73 entries, the first usable one at index 9.
_XTC_SMALLIDX = range(9, 73)
_XTC_MAX_RANGE = 2**30  # xdrfile refuses to write coordinates spanning more integers


def _xtc_buffer_bytes(n_atoms: int) -> int:
    """Bytes xdrfile allocates for one frame's compressed data (3 N x 1.2 ints, 3 reserved)."""
    return 4 * (int(3 * n_atoms * 1.2) - 3)


def check_xtc(path: Path, n_atoms: int, topology: object) -> None:
    """Walk every frame header of an XTC file.

    Each frame must start with the XTC magic number, state ``n_atoms`` atoms
    (the count of the file ``topology``) and, when compressed, a bit-size
    index, integer range and compressed size that the decoder can hold and
    that fit in the bytes left. Raises TopologyMismatchError or TruncatedFileError naming the
    frame.
    """
    size = path.stat().st_size
    offset = 0
    frame = 0
    with open(path, "rb") as fh:
        while offset < size:
            head = fh.read(_XTC_HEAD.size)
            if len(head) < _XTC_HEAD.size:
                raise TruncatedFileError(f"truncated XTC: frame {frame} is cut in its header", path)
            magic, natoms, *_, natoms_again = _XTC_HEAD.unpack(head)
            if magic != XTC_MAGIC:
                if frame == 0:
                    raise TruncatedFileError("not an XTC file (no XTC magic number at the start)", path)
                raise TruncatedFileError(f"XTC frame {frame - 1} is corrupt: frame {frame} does not "
                                         "start where its size says", path)
            if natoms != n_atoms or natoms_again != natoms:
                if frame == 0 and natoms == natoms_again:
                    raise TopologyMismatchError(f"{natoms} atoms per frame, but topology {topology} "
                                                f"has {n_atoms} atoms", path)
                raise TruncatedFileError(f"XTC frame {frame} is corrupt: its header states "
                                         f"{natoms} atoms, the topology has {n_atoms}", path)
            if natoms <= 9:
                length = _XTC_HEAD.size + 12 * natoms
            else:
                extra = fh.read(_XTC_COMPRESSED.size)
                if len(extra) < _XTC_COMPRESSED.size:
                    raise TruncatedFileError(f"truncated XTC: frame {frame} is cut in its header", path)
                _, *bounds, smallidx, n_bytes = _XTC_COMPRESSED.unpack(extra)
                spans = [hi - lo for lo, hi in zip(bounds[:3], bounds[3:])]
                if smallidx not in _XTC_SMALLIDX or not all(0 <= s < _XTC_MAX_RANGE for s in spans):
                    raise TruncatedFileError(f"XTC frame {frame} is corrupt: invalid compression "
                                             "header", path)
                if not 0 <= n_bytes <= _xtc_buffer_bytes(natoms):
                    raise TruncatedFileError(f"XTC frame {frame} is corrupt: its compressed size "
                                             f"({n_bytes} bytes) is impossible for {natoms} atoms", path)
                length = _XTC_HEAD.size + _XTC_COMPRESSED.size + (n_bytes + 3) // 4 * 4
            if offset + length > size:
                raise TruncatedFileError(f"truncated XTC: frame {frame} ends past the end of the "
                                         f"file ({offset + length} > {size} bytes)", path)
            offset += length
            frame += 1
            fh.seek(offset)


def check_dcd(path: Path, n_atoms: int, topology: object) -> None:
    """Check a DCD header: its record markers, and its atom count against ``topology``'s.

    Raises TopologyMismatchError or TruncatedFileError before the C reader runs.
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
    for order in "<>":
        if len(head) >= 8 and struct.unpack(order + "i", head[:4])[0] == 84 and head[4:8] == b"CORD":
            break
    else:
        raise TruncatedFileError("not a DCD file (no CORD header)", path)
    ints = struct.Struct(order + "i")
    try:
        if ints.unpack_from(head, 88)[0] != 84:
            raise TruncatedFileError("corrupt DCD header (first record)", path)
        title_len = ints.unpack_from(head, 92)[0]
        if title_len < 4 or (title_len - 4) % 80 or 96 + title_len + 16 > len(head):
            raise TruncatedFileError("corrupt DCD header (title record)", path)
        end = 96 + title_len
        if ints.unpack_from(head, end)[0] != title_len or ints.unpack_from(head, end + 4)[0] != 4 \
                or ints.unpack_from(head, end + 12)[0] != 4:
            raise TruncatedFileError("corrupt DCD header (atom count record)", path)
        natoms = ints.unpack_from(head, end + 8)[0]
    except struct.error as err:
        raise TruncatedFileError("truncated DCD header", path) from err
    if natoms != n_atoms:
        raise TopologyMismatchError(f"{natoms} atoms per frame, but topology {topology} has "
                                    f"{n_atoms} atoms", path)
