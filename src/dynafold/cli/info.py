"""`dynafold info`: a short summary of a structure, trajectory or dataset file."""

from __future__ import annotations

import json

import click
import numpy as np


def summary(path: str, topology: str | None = None, **layout_options) -> dict:
    """Load ``path`` with :func:`dynafold.io.load` and describe it as a plain dict.

    ``atoms`` counts the atoms left after stripping hydrogens, waters and ions;
    ``atoms_read`` those read (after any reading notes).
    """
    from dynafold.cli.inputs import load_protein
    from dynafold.io import strip

    read = load_protein(path, topology, "--topology", keep_hydrogens=True, keep_waters=True,
                        **layout_options)
    ens = strip(read)
    topo = ens.topology
    starts = topo.residue_starts()
    chains = list(dict.fromkeys(topo.chain_ids[starts].tolist()))
    times = ens.times_ps
    return {
        "file": str(path),
        "name": ens.name,
        "method": ens.method,
        "conformers": ens.n_conformers,
        "atoms": ens.n_atoms,
        "atoms_read": read.n_atoms,
        "residues": ens.n_residues,
        "chains": chains,
        "sequence": topo.sequence(),
        "bfactors": ens.bfactors is not None,
        "time_ps": None if times is None else [float(times[0]), float(times[-1])],
        "notes": list(ens.notes),
    }


def ligand_summary(path: str) -> dict:
    """Describe an SDF/MOL/MOL2 ligand: residue name, conformers, heavy atoms, bonds, charges."""
    from dynafold.io import load

    ens = load(path)
    (lig,) = ens.ligands
    return {
        "file": str(path),
        "residue": lig.residue_name(ens.topology),
        "conformers": ens.n_conformers,
        "heavy_atoms": lig.n_atoms,
        "bonds": len(lig.bonds),
        "bond_orders": {str(o): int((lig.bond_orders == o).sum()) for o in np.unique(lig.bond_orders)},
        "aromatic_bonds": int(lig.aromatic.sum()),
        "formal_charge": int(lig.formal_charges.sum()),
    }


def store_summary(path: str) -> dict:
    """Describe a prepared store: systems, conformers and residues by source and method."""
    from dynafold.data.store import load_manifest, read_meta, system_files

    metas = [read_meta(p) for p in system_files(path)]
    groups: dict[tuple[str, str], dict] = {}
    for meta in metas:
        group = groups.setdefault((meta["source"], meta["method"]),
                                  {"source": meta["source"], "method": meta["method"],
                                   "systems": 0, "conformers": 0, "residues": 0})
        group["systems"] += 1
        group["conformers"] += meta["n_conformers"]
        group["residues"] += meta["n_residues"]
    manifest = load_manifest(path)
    return {
        "store": str(path),
        "systems": len(metas),
        "conformers": sum(g["conformers"] for g in groups.values()),
        "residues": sum(g["residues"] for g in groups.values()),
        "groups": [groups[k] for k in sorted(groups)],
        "rejected": len(manifest["rejected"]),
        "failed": len(manifest["failed"]),
    }


def is_store(path: str) -> bool:
    """Whether ``path`` is a folder written by ``dynafold prepare``."""
    from pathlib import Path

    from dynafold.data.store import MANIFEST, system_files

    folder = Path(path)
    return folder.is_dir() and ((folder / MANIFEST).exists() or bool(system_files(folder)))


@click.command()
@click.argument("file", type=click.Path())
@click.option("--topology", "-t", type=click.Path(), default=None,
              help="Topology (PDB, GRO, PSF or prmtop) for an XTC/TRR/DCD/NetCDF trajectory.")
@click.option("--temperature", default=None, help="mdCATH temperature group (default 320).")
@click.option("--replica", default=None, help="mdCATH replica (default 0) or ATLAS replica (1, 2, 3, all).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def info(file: str, topology: str | None, temperature: str | None, replica: str | None,
         as_json: bool) -> None:
    """Summarise FILE: conformers, atoms, residues, chains, sequence and reading notes.

    FILE is a structure (PDB/mmCIF/GRO), a trajectory (with --topology), an
    mdCATH HDF5 file, an ATLAS folder or zip, a ligand (SDF/MOL/MOL2), or a store
    made by `dynafold prepare`.
    """
    from dynafold.io.ligand_files import is_ligand_file

    if is_store(file):
        data, lines = store_summary(file), _store_lines
    elif is_ligand_file(file):
        data, lines = ligand_summary(file), _ligand_lines
    else:
        options = {k: v for k, v in (("temperature", temperature), ("replica", replica)) if v is not None}
        data, lines = summary(file, topology, **options), _file_lines
    click.echo(json.dumps(data, indent=2) if as_json else "\n".join(lines(data)))


def _store_lines(data: dict) -> list[str]:
    lines = [f"{data['store']}: store of {data['systems']} systems, {data['conformers']} conformers, "
             f"{data['residues']} residues"]
    lines += [f"  {g['source']:8s} {g['method']:6s} {g['systems']:6d} systems "
              f"{g['conformers']:8d} conformers {g['residues']:8d} residues" for g in data["groups"]]
    return lines + [f"  dropped by the rules: {data['rejected']}; failed: {data['failed']}"]


def _ligand_lines(data: dict) -> list[str]:
    return [f"{data['file']}: ligand {data['residue']}, {data['conformers']} conformer(s), {data['heavy_atoms']} "
            f"heavy atoms, {data['bonds']} bonds ({data['aromatic_bonds']} aromatic), "
            f"formal charge {data['formal_charge']:+d}"]


def _file_lines(data: dict) -> list[str]:
    time = "" if data["time_ps"] is None else f" ({data['time_ps'][0]:g}-{data['time_ps'][1]:g} ps)"
    stripped = data["atoms_read"] - data["atoms"]
    return [
        f"{data['file']}: {data['name']} ({data['method']})",
        f"  conformers: {data['conformers']}{time}",
        f"  atoms:      {data['atoms']} of the {data['atoms_read']} read ({stripped} hydrogens, "
        "waters and ions stripped)",
        f"  residues:   {data['residues']} in chain(s) {', '.join(c or '-' for c in data['chains'])}",
        f"  sequence:   {data['sequence']}",
        f"  B-factors:  {'yes' if data['bfactors'] else 'no'}",
    ] + [f"  note: {note}" for note in data["notes"]]
