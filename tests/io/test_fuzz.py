"""Property: no input file crashes dynafold, prints a traceback, or passes as data when it is not.

The real files of ../shared/data are mutated from a seed (deleted, duplicated
and shifted lines, flipped bytes, truncation, NaN/inf, non-UTF-8 bytes, wrong
header fields, mismatched topologies). Every reader runs in-process: it returns
a sane ensemble or raises DynafoldInputError with one line naming the file,
emits no warning, and leaves no file behind. A few CLI runs in a subprocess
check the exit code (2 with one line, or 0) and that ``prepare`` leaves no store.

The case count is bounded for CI. For a long run:

    DYNAFOLD_FUZZ_CASES=2000 DYNAFOLD_FUZZ_SEED=7 DYNAFOLD_FUZZ_REPORT=fuzz.json \
        python -m pytest -q tests/io/test_fuzz.py
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dynafold.errors import DynafoldInputError  # noqa: E402
from dynafold.io import load  # noqa: E402

CASES = int(os.environ.get("DYNAFOLD_FUZZ_CASES", "100"))
CLI_CASES = int(os.environ.get("DYNAFOLD_FUZZ_CLI_CASES", "5"))
SEED = int(os.environ.get("DYNAFOLD_FUZZ_SEED", "0"))
REPORT = os.environ.get("DYNAFOLD_FUZZ_REPORT")
OUTCOMES: collections.Counter = collections.Counter()

TEXT_MUTATIONS = ("flip", "truncate", "delete_lines", "duplicate_lines", "shift_line", "nonfinite",
                  "non_utf8", "header")
BINARY_MUTATIONS = ("flip", "truncate", "header_int", "nonfinite_float", "delete_chunk", "duplicate_chunk")
H5_MUTATIONS = ("flip", "truncate", "h5_int_coords", "h5_group", "h5_nonfinite", "h5_drop", "h5_topology_text")
SOURCES = {  # name -> (file in the corpus, topology in the corpus or None, mutation kinds)
    "xray_pdb": ("1aki.pdb", None, TEXT_MUTATIONS),
    "nmr_pdb": ("1l2y.pdb", None, TEXT_MUTATIONS),
    "mmcif": ("1l2y.cif", None, TEXT_MUTATIONS),
    "gro": ("adk_protein.gro", None, TEXT_MUTATIONS),
    "xtc": ("2hbaA00.xtc", "2hbaA00.pdb", BINARY_MUTATIONS),
    "dcd": ("3tvj_I.dcd", "3tvj_I.pdb", BINARY_MUTATIONS),
    "xtc_topology": ("2hbaA00.pdb", "2hbaA00.xtc", TEXT_MUTATIONS),  # the topology is mutated
    "dcd_topology": ("3tvj_I.pdb", "3tvj_I.dcd", TEXT_MUTATIONS),
    "mdcath_h5": ("2hbaA00.h5", None, H5_MUTATIONS),
    "xtc_wrong_topology": ("2hbaA00.xtc", "3tvj_I.pdb", BINARY_MUTATIONS),
}


@pytest.fixture(scope="module")
def corpus(shared_data: Path, tmp_path_factory) -> Path:
    """The real files, plus an mmCIF, a protein-only GRO and an mdCATH file made from them."""
    import gemmi

    from dataset_files import write_mdcath

    folder = tmp_path_factory.mktemp("corpus")
    md = shared_data / "md"
    shutil.copy(shared_data / "xray" / "1aki.pdb", folder / "1aki.pdb")
    shutil.copy(shared_data / "nmr" / "1l2y.pdb", folder / "1l2y.pdb")
    gemmi.read_structure(str(shared_data / "nmr" / "1l2y.pdb")).make_mmcif_document().write_file(
        str(folder / "1l2y.cif"))
    gro = (md / "adk_oplsaa" / "adk_oplsaa.gro").read_text().splitlines()
    n_protein = 3341
    (folder / "adk_protein.gro").write_text("\n".join([gro[0], f"{n_protein:5d}", *gro[2:2 + n_protein],
                                                       gro[-1]]) + "\n")
    shutil.copy(md / "mdcath_2hbaA00" / "2hbaA00_320_0.xtc", folder / "2hbaA00.xtc")
    shutil.copy(md / "mdcath_2hbaA00" / "2hbaA00.pdb", folder / "2hbaA00.pdb")
    shutil.copy(md / "atlas_3tvj_I" / "3tvj_I_10frames.dcd", folder / "3tvj_I.dcd")
    shutil.copy(md / "atlas_3tvj_I" / "3tvj_I.pdb", folder / "3tvj_I.pdb")
    cath = load(folder / "2hbaA00.xtc", folder / "2hbaA00.pdb", keep_hydrogens=True, stop=40)
    write_mdcath(cath, folder / "2hbaA00.h5", domain="2hbaA00")
    return folder


@pytest.fixture(scope="module")
def baseline(corpus: Path) -> dict[str, int]:
    """Atoms of each unmutated source as loaded (0 where the pair is meant to fail)."""
    counts = {}
    for source, (name, other, _) in SOURCES.items():
        if source == "xtc_wrong_topology":
            counts[source] = 0
        elif source.endswith("_topology"):
            counts[source] = load(corpus / other, corpus / name).n_atoms
        else:
            counts[source] = load(corpus / name, corpus / other if other else None).n_atoms
    return counts


@pytest.fixture(scope="module", autouse=True)
def _write_report():
    yield
    if REPORT:
        Path(REPORT).write_text(json.dumps({"seed": SEED, "cases": CASES, "cli_cases": CLI_CASES,
                                            "outcomes": dict(sorted(OUTCOMES.items()))}, indent=1) + "\n")


def mutation_lists(source: str, max_size: int = 3):
    """Mutations of a source, each (kind, position in [0, 1), an integer for values)."""
    mutation = st.tuples(st.sampled_from(SOURCES[source][2]), st.floats(0, 1, exclude_max=True),
                         st.integers(0, 2**32 - 1))
    return st.lists(mutation, min_size=1, max_size=max_size)


def _line_span(data: bytes, pos: int) -> tuple[int, int]:
    start = data.rfind(b"\n", 0, pos) + 1
    end = data.find(b"\n", pos)
    return start, len(data) if end < 0 else end + 1


def mutate_bytes(data: bytes, kind: str, where: float, value: int) -> bytes:
    """Apply one text or binary mutation; kinds that do not apply flip a byte instead."""
    if not data:
        return data
    pos = int(where * len(data))
    buf = bytearray(data)
    if kind == "truncate":
        return bytes(buf[:pos])
    if kind in ("delete_lines", "duplicate_lines", "shift_line"):
        start, end = _line_span(data, pos)
        stop = end
        for _ in range(value % 3):
            stop = _line_span(data, min(stop, len(data) - 1))[1]
        chunk = data[start:stop]
        if kind == "delete_lines":
            return data[:start] + data[stop:]
        if kind == "duplicate_lines":
            return data[:stop] + chunk + data[stop:]
        return data[:start] + b" " + data[start:]
    if kind == "nonfinite":
        token = (b"nan", b"inf", b"-inf", b"1e308", b"NaN")[value % 5]
        dot = data.find(b".", pos)
        if dot > 3:
            return data[:dot - 3] + token.rjust(7) + data[dot + 4:]
    if kind == "non_utf8":
        buf[pos] = 0x80 + value % 128
        return bytes(buf)
    if kind == "header":
        end = data.find(b"\n")
        return struct.pack(">I", value) + b"garbage" + data[end if end > 0 else 8:]
    if kind == "header_int":  # a 4-byte field of a frame header (atom count, sizes, ...)
        starts = [i for i in range(0, len(data) - 4, 4) if data[i:i + 4] == b"\x00\x00\x07\xcb"][:50] or [0]
        at = starts[value % len(starts)] + 4 * (value // 7 % 24)
        big = (value >> 8) % 4 == 0
        field = value if big else value % 4096
        buf[at:at + 4] = struct.pack(">I", field % 2**32)
        return bytes(buf)
    if kind == "nonfinite_float":
        at = pos - pos % 4
        buf[at:at + 4] = struct.pack(">f", (np.nan, np.inf, -np.inf, 3e38)[value % 4])
        return bytes(buf)
    if kind in ("delete_chunk", "duplicate_chunk"):
        size = 1 + value % 4096
        chunk = data[pos:pos + size]
        return data[:pos] + data[pos + size:] if kind == "delete_chunk" else data[:pos] + chunk + data[pos:]
    buf[pos] ^= 1 + value % 255
    return bytes(buf)


def mutate_h5(path: Path, kind: str, where: float, value: int) -> None:
    """Mutate an mdCATH file in place: its layout or its bytes."""
    import h5py

    structural = kind in ("h5_int_coords", "h5_group", "h5_nonfinite", "h5_drop", "h5_topology_text")
    handle = None
    if structural:
        try:
            handle = h5py.File(path, "r+")
            run = handle["2hbaA00"]["320"]["0"]
            coords = np.asarray(run["coords"][()], dtype=np.float32)
            if coords.ndim != 3 or 0 in coords.shape:
                raise KeyError("coords")
        except (OSError, KeyError, TypeError, AttributeError, ValueError):  # an earlier mutation broke it
            if handle is not None:
                handle.close()
            structural = False
    if not structural:
        path.write_bytes(mutate_bytes(path.read_bytes(), kind, where, value))
        return
    with handle as f, np.errstate(all="ignore"):
        if kind == "h5_int_coords":
            del run["coords"]
            run.create_dataset("coords", data=coords.astype(np.int32))
        elif kind == "h5_group":
            del run["coords"]
            run.create_group("coords")
        elif kind == "h5_nonfinite":
            frame = int(where * coords.shape[0])
            coords[frame, value % coords.shape[1], value % 3] = (np.nan, np.inf)[value % 2]
            del run["coords"]
            run.create_dataset("coords", data=coords)
        elif kind == "h5_drop":
            key = ("2hbaA00/320/0/coords", "2hbaA00/pdbProteinAtoms", "2hbaA00/320")[value % 3]
            if key in f:
                del f[key]
        elif "pdbProteinAtoms" in f["2hbaA00"]:
            text = bytes(f["2hbaA00"]["pdbProteinAtoms"][()])
            f["2hbaA00"]["pdbProteinAtoms"][...] = np.bytes_(mutate_bytes(text, TEXT_MUTATIONS[value % 8],
                                                                          where, value))


def make_case(corpus: Path, folder: Path, source: str, changes: list) -> tuple[Path, Path | None]:
    """Copy a source into ``folder`` and apply the mutations; returns (file, topology)."""
    name, other, _ = SOURCES[source]
    target = folder / name
    shutil.copy(corpus / name, target)
    for kind, where, value in changes:
        if source == "mdcath_h5":
            mutate_h5(target, kind, where, value)
        else:
            target.write_bytes(mutate_bytes(target.read_bytes(), kind, where, value))
    if other is None:
        return target, None
    shutil.copy(corpus / other, folder / other)
    if source.endswith("_topology") and not source.endswith("wrong_topology"):
        return folder / other, target  # the trajectory, with the mutated topology
    return target, folder / other


def check_load(path: Path, topology: Path | None, n_atoms: int) -> str:
    """Load in-process and check the promise; returns the outcome ('ok' or 'error').

    ``n_atoms`` is the atom count of the unmutated source: what loads must keep
    at least half of it (never a 3-atom system).
    """
    folder = path.parent
    before = sorted(os.listdir(folder))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ens = load(path, topology)
        except DynafoldInputError as err:
            message = str(err)
            assert "\n" not in message and message.strip()
            assert str(path) in message or str(topology) in message, message
            outcome = "error"
        else:
            assert ens.n_conformers >= 1 and ens.n_atoms >= n_atoms / 2, (ens.n_atoms, n_atoms, ens.notes)
            assert np.isfinite(ens.coords).all()
            assert ens.coords.shape == (ens.n_conformers, ens.n_atoms, 3)
            outcome = "ok"
    assert not caught, [str(w.message) for w in caught]
    assert sorted(os.listdir(folder)) == before  # no temporary left behind
    return outcome


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_mutated_file_loads_or_fails_cleanly(corpus: Path, baseline: dict[str, int], tmp_path_factory,
                                             source: str) -> None:
    @seed(SEED)
    @settings(max_examples=max(1, CASES // len(SOURCES)), deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(changes=mutation_lists(source))
    def check(changes: list) -> None:
        folder = tmp_path_factory.mktemp("case")
        path, topology = make_case(corpus, folder, source, changes)
        outcome = check_load(path, topology, baseline[source])
        OUTCOMES[f"{source}:{outcome}"] += 1
        shutil.rmtree(folder)

    check()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "dynafold", *args], capture_output=True, text=True,
                          env=env, timeout=300)


CLI_SOURCES = ("xray_pdb", "nmr_pdb", "xtc", "dcd_topology", "mdcath_h5")


@pytest.mark.parametrize("source", CLI_SOURCES)
def test_cli_on_mutated_file(corpus: Path, tmp_path_factory, source: str) -> None:
    @seed(SEED)
    @settings(max_examples=max(1, CLI_CASES // len(CLI_SOURCES)), deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(changes=mutation_lists(source, max_size=2))
    def check(changes: list) -> None:
        folder = tmp_path_factory.mktemp("cli")
        path, topology = make_case(corpus, folder, source, changes)
        check_cli(source, path, topology)
        shutil.rmtree(folder)

    check()


def check_cli(source: str, path: Path, topology: Path | None) -> None:
    """Run `info` and `prepare` on a case in a subprocess: exit 0, or 2 with one line and no store."""
    folder = path.parent
    top = ["--topology", str(topology)] if topology else []
    before = sorted(os.listdir(folder))
    kind = {"xray_pdb": "xray", "nmr_pdb": "nmr", "mdcath_h5": "mdcath"}.get(source, "traj")
    store = folder / "store"
    for args in (["info", str(path), *top], ["prepare", kind, str(path), *top, "--out", str(store), "--quiet"]):
        proc = run_cli(*args)
        assert proc.returncode in (0, 2), (args, proc.returncode, proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr
        if proc.returncode == 2:
            assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
            assert proc.stderr.startswith("dynafold: error: ")
            assert not store.exists()
        OUTCOMES[f"cli-{args[0]}:{'ok' if proc.returncode == 0 else 'error'}"] += 1
    assert sorted(p for p in os.listdir(folder) if p != "store") == before
