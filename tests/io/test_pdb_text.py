"""The table check of atom records equals the line-by-line check it shortcuts."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynafold.errors import TruncatedFileError
from dynafold.io.pdb_text import _scan, _scan_clean, check_pdb_text, read_pdb_bytes

FILES = ["nmr/1l2y.pdb", "nmr/1gya.pdb", "nmr/2axd.pdb", "xray/5ugo.pdb", "xray/1k6p.pdb", "xray/3o5r.pdb",
         "md/mdcath_2hbaA00/2hbaA00.pdb"]

# coordinates in the table's form (not all written as "%8.3f"); numbers written otherwise,
# which the line check accepts; damaged columns, which it rejects
TABLE_FORM = ["  -1.000", "1234.567", "-999.999", "     0.0", "    12.5"]
OTHER_NUMBERS = ["   1.0  ", "  1e+01 ", "   -.5  ", "   12.  ", "  +1.000", "   nan  ", "  .500  ",
                 "    1234", "12345678"]
DAMAGED = ["  3x.979", "  1.2.3 ", "  - 1.00", "   1-.00", "        ", "1.000-  ", "\u00e91.000  "]


@pytest.mark.parametrize("name", FILES)
def test_real_files_take_the_table_check_with_the_same_outcome(shared_data: Path, name: str) -> None:
    text = read_pdb_bytes(shared_data / name)
    lines = text.splitlines()
    assert _scan_clean(text) == _scan(lines, name)


def _model_text(x: str = "   1.000", atom_two: str = " CA ", chain_two: str = "A") -> str:
    rows = [f"ATOM      1  N   GLY A   1    {x}   2.000   3.000  1.00  0.00           N",
            f"ATOM      2 {atom_two} GLY {chain_two}   1       4.000   5.000   6.000  1.00  0.00           C",
            "HETATM    3  O   HOH A   2       7.000   8.000   9.000  1.00  0.00           O"]
    return "\n".join(["MODEL        1", *rows, "ENDMDL", "MODEL        2", *rows, "ENDMDL", "END", ""])


@pytest.mark.parametrize("x", TABLE_FORM)
def test_table_form_coordinates_pass_the_table_check(x: str) -> None:
    text = _model_text(x)
    lines = text.splitlines()
    assert _scan_clean(text) == _scan(lines, "t") == (2, False, True)


@pytest.mark.parametrize("x", OTHER_NUMBERS)
def test_numbers_written_otherwise_go_to_the_line_check(x: str) -> None:
    text = _model_text(x)
    lines = text.splitlines()
    assert _scan_clean(text) is None
    assert _scan(lines, "t") == (2, False, True)


@pytest.mark.parametrize("x", DAMAGED)
def test_damaged_coordinates_go_to_the_line_check(x: str) -> None:
    text = _model_text(x)
    assert _scan_clean(text) is None
    with pytest.raises(TruncatedFileError, match="line 2"):
        check_pdb_text(text, "t")


def test_an_atom_twice_in_a_model_goes_to_the_line_check() -> None:
    text = _model_text(atom_two=" N  ")
    assert _scan_clean(text) is None
    with pytest.raises(TruncatedFileError, match="line 3: atom N of GLY A1 appears twice"):
        check_pdb_text(text, "t")
    other_chain = _model_text(atom_two=" N  ", chain_two="B")  # the same name in another chain is fine
    assert _scan_clean(other_chain) == (2, False, True)


def test_open_last_model_and_missing_end_match_the_line_check() -> None:
    text = _model_text().replace("ENDMDL\nEND\n", "")
    lines = text.splitlines()
    assert _scan_clean(text) == _scan(lines, "t") == (2, True, False)


@pytest.mark.parametrize("ending", ["\r\n", "\n"])
def test_line_endings_and_bytes_outside_atom_records_match_the_line_check(ending: str) -> None:
    text = ("HEADER    caf\u00e9\n" + _model_text()).replace("\n", ending)
    lines = text.splitlines()
    assert _scan_clean(text) == _scan(lines, "t") == (2, False, True)
    assert _scan_clean(text.rstrip()) == _scan(lines, "t")  # no line break after END


@pytest.mark.parametrize("other", ["\r", "\x0c", "\x85"])
def test_other_line_breaks_go_to_the_line_check(other: str) -> None:
    text = _model_text().replace("ENDMDL\n", "ENDMDL" + other, 1)
    assert _scan_clean(text) is None
    assert check_pdb_text(text, "t").last_model_cut is False


def test_text_without_atom_records_goes_to_the_line_check() -> None:
    assert _scan_clean("HEADER\nEND\n") is None and _scan_clean("") is None
