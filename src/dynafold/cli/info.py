"""`dynafold info`: a short summary of a structure, trajectory or dataset file."""

from __future__ import annotations

import json

import click

from dynafold.errors import NoProteinError


def summary(path: str, topology: str | None = None, **layout_options) -> dict:
    """Load ``path`` with :func:`dynafold.io.load` and describe it as a plain dict."""
    from dynafold.io import load

    ens = load(path, topology, **layout_options)
    if not ens.topology.is_protein().any():
        left = ", ".join(sorted(set(ens.topology.res_names.tolist()))[:8]) or "none"
        raise NoProteinError("no protein atoms (residues left after stripping hydrogens, "
                             f"waters and ions: {left})", path)
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
        "residues": ens.n_residues,
        "chains": chains,
        "sequence": topo.sequence(),
        "bfactors": ens.bfactors is not None,
        "time_ps": None if times is None else [float(times[0]), float(times[-1])],
        "notes": list(ens.notes),
    }


@click.command()
@click.argument("file", type=click.Path())
@click.option("--topology", "-t", type=click.Path(), default=None,
              help="Topology (PDB, GRO, PSF or prmtop) for an XTC/TRR/DCD/NetCDF trajectory.")
@click.option("--temperature", default=None, help="mdCATH temperature group (default 320).")
@click.option("--replica", default=None, help="mdCATH replica (default 0) or ATLAS replica (1, 2, 3, all).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def info(file: str, topology: str | None, temperature: str | None, replica: str | None,
         as_json: bool) -> None:
    """Summarise FILE: conformers, atoms, residues, chains, sequence and reading notes."""
    options = {k: v for k, v in (("temperature", temperature), ("replica", replica)) if v is not None}
    data = summary(file, topology, **options)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    time = "" if data["time_ps"] is None else f" ({data['time_ps'][0]:g}-{data['time_ps'][1]:g} ps)"
    click.echo(f"{data['file']}: {data['name']} ({data['method']})")
    click.echo(f"  conformers: {data['conformers']}{time}")
    click.echo(f"  atoms:      {data['atoms']} (hydrogens, waters and ions stripped)")
    click.echo(f"  residues:   {data['residues']} in chain(s) {', '.join(c or '-' for c in data['chains'])}")
    click.echo(f"  sequence:   {data['sequence']}")
    click.echo(f"  B-factors:  {'yes' if data['bfactors'] else 'no'}")
    for note in data["notes"]:
        click.echo(f"  note: {note}")
