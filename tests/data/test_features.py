"""atom14 layout and featurize on real structures, checked against biotite."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dynafold.const import LIGAND_ATOM_FEATURES, LIGAND_BOND_FEATURES, RESIDUE_HEAVY_ATOMS, RESIDUE_TYPES
from dynafold.data.features import atom14_coords, ensemble_from_atom14, featurize


@pytest.fixture(scope="module")
def xray(shared_data):
    from dynafold.io import load

    return load(shared_data / "xray/1aki.pdb")


def test_atom14_against_biotite(shared_data, xray) -> None:
    import biotite.structure as struc
    import biotite.structure.io.pdb as pdb

    atoms = pdb.PDBFile.read(shared_data / "xray/1aki.pdb").get_structure(model=1, altloc="first")
    atoms = atoms[struc.filter_amino_acids(atoms) & (atoms.element != "H")]
    coords, mask = atom14_coords(xray)
    res_starts = struc.get_residue_starts(atoms)
    assert coords.shape == (1, len(res_starts), 14, 3)
    for r, start in enumerate(res_starts):
        res = atoms[start: (res_starts[r + 1] if r + 1 < len(res_starts) else len(atoms))]
        order = RESIDUE_HEAVY_ATOMS[res.res_name[0]]
        for slot, name in enumerate(order):
            hit = res[res.atom_name == name]
            assert mask[r, slot] == (len(hit) > 0)
            if len(hit):
                assert np.allclose(coords[0, r, slot], hit.coord[0], atol=1e-3)
        assert not mask[r, len(order):].any()


def test_ensemble_from_atom14_round_trip(shared_data) -> None:
    from dynafold.io import load

    ens = load(shared_data / "nmr/1l2y.pdb").protein()
    coords, mask = atom14_coords(ens)
    back = ensemble_from_atom14(coords + 1.0, ens, mask)
    known = np.isin(ens.topology.atom_names, sum(RESIDUE_HEAVY_ATOMS.values(), ()))
    oxt = ens.topology.atom_names == "OXT"
    assert oxt.sum() == 1 and int(mask.sum()) == int(known.sum())
    # every heavy atom of the input, in its order; the terminal OXT placed from CA, C and O
    assert back.n_atoms == ens.n_atoms and list(back.topology.atom_names) == list(ens.topology.atom_names)
    assert np.allclose(back.coords[:, known], ens.coords[:, known] + 1.0)
    assert list(back.topology.residue_keys()) == list(ens.topology.residue_keys())
    placed, real = back.coords[:, oxt][:, 0] - 1.0, ens.coords[:, oxt][:, 0]
    assert np.abs(np.linalg.norm(placed - real, axis=-1)).max() < 0.3  # the 38 NMR models' own OXT
    c = back.coords[:, (back.topology.atom_names == "C") & (back.topology.residue_index() == back.n_residues - 1)]
    assert np.allclose(np.linalg.norm(back.coords[:, oxt] - c, axis=-1), 1.249, atol=1e-4)


def test_featurize_contract(xray) -> None:
    item = featurize(xray)
    r = xray.protein().n_residues
    shapes = {"res_type": (r,), "residue_index": (r,), "chain_index": (r,), "token_mask": (r,),
              "method": (), "template_coords": (r, 14, 3), "coords": (r, 14, 3), "atom_mask": (r, 14),
              "enm_single": (r, 4), "enm_pair": (r, r, 2), "ligand_mask": (r,),
              "ligand_features": (r, LIGAND_ATOM_FEATURES), "ligand_bonds": (r, r, LIGAND_BOND_FEATURES),
              "bfactor_target": (r,), "bfactor_mask": (r,), "rmsf_target": (r,), "rmsf_mask": (r,)}
    assert {k: tuple(v.shape) for k, v in item.items()} == shapes
    assert item["res_type"].dtype == torch.long and item["template_coords"].dtype == torch.float32
    assert item["method"].item() == 1  # x-ray
    assert item["atom_mask"][:, :4].all() and not item["rmsf_mask"].any()
    topo = xray.protein().topology
    assert [RESIDUE_TYPES[t] for t in item["res_type"].tolist()] == topo.res_names[topo.residue_starts()].tolist()
    assert item["residue_index"].tolist() == topo.res_ids[topo.residue_starts()].tolist()
    assert featurize(xray, method="md")["method"].item() == 0
