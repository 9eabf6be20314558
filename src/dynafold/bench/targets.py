"""Benchmark target lists: a CSV ``name,reference,reference_topology,input``.

Paths in the CSV are relative to the CSV's folder. ``reference`` is anything
:func:`dynafold.io.load` reads (multi-model PDB/mmCIF, a trajectory with its
``reference_topology``, an ATLAS zip/folder, an mdCATH HDF5);
``reference_topology`` is empty when the reference needs none. ``input`` is the
structure generators start from; the list makers write it as
``inputs/{name}.pdb`` beside the CSV: the first reference conformer, protein
heavy atoms.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldInputError

COLUMNS = ("name", "reference", "reference_topology", "input")


@dataclass(frozen=True)
class Target:
    """One benchmark target; paths are absolute."""

    name: str
    reference: Path
    reference_topology: Path | None
    input: Path


def _csv_rows(path: Path, what: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a CSV file that must exist and hold ``columns``; ``what`` names it in errors."""
    if not path.is_file():
        raise DynafoldInputError(f"{what} not found", path)
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise DynafoldInputError(f"{what} lacks column(s) {', '.join(missing)}; "
                                     f"expected {','.join(columns)}", path)
        return list(reader)


def read_targets(path: str | os.PathLike) -> list[Target]:
    """Read a target list CSV; paths are resolved relative to its folder."""
    path = Path(path)
    rows = _csv_rows(path, "target list", COLUMNS)
    base = path.resolve().parent
    targets = []
    for row in rows:
        name = row["name"].strip()
        if not name:
            raise DynafoldInputError("a row has an empty name", path)
        top = row["reference_topology"].strip()
        targets.append(Target(name=name, reference=(base / row["reference"].strip()).resolve(),
                              reference_topology=(base / top).resolve() if top else None,
                              input=(base / row["input"].strip()).resolve()))
    names = [t.name for t in targets]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DynafoldInputError(f"duplicate target names: {', '.join(dup)}", path)
    if not targets:
        raise DynafoldInputError("the target list is empty", path)
    return targets


def check_target_files(targets: Iterable[Target], csv_path: str | os.PathLike) -> None:
    """Raise one DynafoldInputError listing every file of ``targets`` that does not exist.

    ``csv_path`` is the target list the targets came from; the message names it.
    """
    missing = [f"{t.name} {column} {path}" for t in targets
               for column, path in (("reference", t.reference), ("reference_topology", t.reference_topology),
                                    ("input", t.input))
               if path is not None and not path.exists()]
    if missing:
        raise DynafoldInputError(f"{len(missing)} file(s) not found (paths are relative to the CSV's "
                                 f"folder): {'; '.join(missing)}", csv_path)


def write_targets(targets: Iterable[Target], path: str | os.PathLike) -> Path:
    """Write a target list CSV with paths relative to its folder (atomically)."""
    from dynafold.io.atomic import atomic_path

    path = Path(path)
    base = path.resolve().parent

    def rel(p: Path | None) -> str:
        return "" if p is None else os.path.relpath(Path(p).resolve(), base)

    with atomic_path(path) as tmp, tmp.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for t in targets:
            writer.writerow([t.name, rel(t.reference), rel(t.reference_topology), rel(t.input)])
    return path


def load_reference(target: Target) -> Ensemble:
    """The reference ensemble of a target (hydrogens, waters and ions stripped)."""
    from dynafold.io import load

    ens = load(target.reference, target.reference_topology).require_conformers()
    ens.name = target.name
    return ens


def load_input(target: Target) -> Ensemble:
    """The input structure of a target (first conformer used by generators)."""
    from dynafold.io import load

    ens = load(target.input).require_conformers()
    ens.name = target.name
    return ens


def make_targets(references: Iterable[tuple[str, str | os.PathLike, str | os.PathLike | None]],
                 out_csv: str | os.PathLike) -> list[Target]:
    """Make a target list from ``(name, reference, topology or None)`` triples.

    Writes each input structure (first reference conformer, protein heavy
    atoms) to ``inputs/{name}.pdb`` beside ``out_csv``, then the CSV.
    """
    from dynafold.io import load, save

    out_csv = Path(out_csv)
    targets = []
    for name, ref, top in references:
        ref = Path(ref).resolve()
        top = None if top is None else Path(top).resolve()
        first = load(ref, top, stop=1).require_conformers().protein()
        input_path = save(first, out_csv.parent / "inputs" / f"{name}.pdb")
        targets.append(Target(name=name, reference=ref, reference_topology=top, input=input_path.resolve()))
    if not targets:
        raise DynafoldInputError("no targets found", out_csv)
    write_targets(targets, out_csv)
    return targets


def split_names(split_csv: str | os.PathLike) -> list[str]:
    """Names in the ``name`` column of a split file (e.g. the 82-chain atlas_test.csv)."""
    rows = _csv_rows(Path(split_csv), "split file", ("name",))
    return [row["name"].strip() for row in rows if row["name"].strip()]


def atlas_references(folder: str | os.PathLike, split_csv: str | os.PathLike | None = None
                     ) -> list[tuple[str, Path, None]]:
    """ATLAS chains in ``folder``: ``{name}_protein.zip`` files or ``{name}/`` folders.

    With ``split_csv`` only the split's names are kept (all must be present).
    """
    folder = Path(folder)
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()) if folder.is_dir() else []:
        if p.name.endswith("_protein.zip"):
            found[p.name[: -len("_protein.zip")]] = p
        elif p.is_dir() and (p / f"{p.name}.pdb").is_file():
            found.setdefault(p.name, p)
    return _select(found, split_csv, folder, "ATLAS")


def mdcath_references(folder: str | os.PathLike, split_csv: str | os.PathLike | None = None
                      ) -> list[tuple[str, Path, None]]:
    """mdCATH domains in ``folder``: ``mdcath_dataset_{domain}.h5`` files."""
    folder = Path(folder)
    found = {p.name[len("mdcath_dataset_"): -len(".h5")]: p
             for p in (sorted(folder.glob("mdcath_dataset_*.h5")) if folder.is_dir() else [])}
    return _select(found, split_csv, folder, "mdCATH")


def _select(found: dict[str, Path], split_csv: str | os.PathLike | None, folder: Path,
            kind: str) -> list[tuple[str, Path, None]]:
    if split_csv is not None:
        names = split_names(split_csv)
        missing = [n for n in names if n not in found]
        if missing:
            raise DynafoldInputError(f"{len(missing)} {kind} entries of the split are missing "
                                     f"(first: {', '.join(missing[:5])})", folder)
        found = {n: found[n] for n in names}
    if not found:
        raise DynafoldInputError(f"no {kind} entries found", folder)
    return [(name, path, None) for name, path in found.items()]


def store_references(store: str | os.PathLike, out_csv: str | os.PathLike,
                     split_csv: str | os.PathLike | None = None) -> list[tuple[str, Path, None]]:
    """Systems of a prepared store (``dynafold prepare``) with at least two conformers.

    Each is written as a multi-model PDB ``references/{name}.pdb`` beside
    ``out_csv`` (single-conformer X-ray systems are not references).
    """
    from dynafold.data.store import read_meta, read_system, system_files
    from dynafold.io import save

    files = system_files(store)
    keep = None if split_csv is None else set(split_names(split_csv))
    refs = []
    for path in files:
        meta = read_meta(path)
        if meta.get("n_conformers", 0) < 2 or (keep is not None and meta["name"] not in keep):
            continue
        ens = read_system(path).ensemble
        refs.append((ens.name, save(ens, Path(out_csv).parent / "references" / f"{ens.name}.pdb"), None))
    if not refs:
        raise DynafoldInputError(f"no multi-conformer systems selected among {len(files)} store files", store)
    return refs


SOURCES = ("atlas", "mdcath", "store")


def make_targets_from(kind: str, path: str | os.PathLike, out_csv: str | os.PathLike,
                      split_csv: str | os.PathLike | None = None) -> list[Target]:
    """Make a target list from an ATLAS folder, an mdCATH folder or a prepared store."""
    if kind == "atlas":
        refs = atlas_references(path, split_csv)
    elif kind == "mdcath":
        refs = mdcath_references(path, split_csv)
    elif kind == "store":
        refs = store_references(path, out_csv, split_csv)
    else:
        raise DynafoldInputError(f"unknown target source {kind!r}; valid: {', '.join(SOURCES)}")
    return make_targets(refs, out_csv)


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file, or of the sorted files of a folder (names and contents)."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            digest.update(str(f.relative_to(path)).encode())
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
