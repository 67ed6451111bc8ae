"""A key's scheme held against the one its definition writes (marking/written.py): every part
of a band, an exact value and every value the trees read, edited in one place, is refused
naming the part; a key read on another machine, whose floating point differs in the last
digits, and the keys as built are read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from symbackprop.definitions.errors import DefinitionError
from symbackprop.marking import keys

from .conftest import WORKSHEETS
from .hostile import assert_refused, run

SHEETS = ("blog-2-2-2", "batch-of-two-2-2-2", "matrix-form-3-4-2", "postnetwork-softmax-3-2-2")
BAND = ("lo", "hi", "half", "from", "to", "carry", "near")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, dict]:
    """Each sheet's key.json as build writes it, read back as JSON."""
    out = tmp_path_factory.mktemp("written")
    found = {}
    for sheet in SHEETS:
        result = run(["build", str(WORKSHEETS / f"{sheet}.yaml"), "--format", "tex", "--out",
                      "k"], out, timeout=300)
        assert result.code == 0, result.stderr[-1500:]
        found[sheet] = json.loads((out / "k" / f"{sheet}-key.json").read_text(encoding="utf-8"))
    return found


def _refused_at(data: dict) -> str:
    """The key path keys.validate refuses an edited key at."""
    with pytest.raises(DefinitionError) as caught:
        keys.validate(json.loads(json.dumps(data)), "e.json")
    return caught.value.key


def _picked(data: dict) -> list[int]:
    count = len(data["answers"])
    return sorted({0, count // 2, count - 1})


@pytest.mark.parametrize("sheet", SHEETS)
def test_the_keys_as_built_are_read(sheet, built):
    keys.validate(json.loads(json.dumps(built[sheet])), "k.json")


@pytest.mark.parametrize("sheet", SHEETS)
@pytest.mark.parametrize("part", BAND)
def test_a_band_widened_in_any_part_is_refused(sheet, part, built):
    """One part of a blank's band moved by three of the sheet's units (a low end down, the
    others up), first, middle and last blank: refused at that blank's tolerance."""
    data = built[sheet]
    unit = 10.0 ** -data["definition"].get("decimals", 4)
    for i in _picked(data):
        edited = json.loads(json.dumps(data))
        tol = edited["scheme"]["blanks"][i]["tolerance"]
        tol[part] += -3 * unit if part in ("lo", "from") else 3 * unit
        assert _refused_at(edited) == f"scheme.blanks[{i}].tolerance", (i, part)


@pytest.mark.parametrize("sheet", SHEETS)
def test_every_value_the_trees_read_edited_is_refused(sheet, built):
    """Each entry of scheme.values (a given number, or a quantity the sheet does not ask for)
    moved by a tenth: refused naming it."""
    data = built[sheet]
    assert data["scheme"]["values"]
    for name, value in data["scheme"]["values"].items():
        edited = json.loads(json.dumps(data))
        edited["scheme"]["values"][name] = value + 0.1 * (1 + abs(value))
        assert _refused_at(edited) == f"scheme.values.{name}", name


@pytest.mark.parametrize("sheet", SHEETS)
def test_an_exact_value_edited_in_the_answers_and_scheme_alike_is_refused(sheet, built):
    """A blank's exact value a part in a million off, in both places: refused at the
    scheme's; a part in 10^13 off (another machine's floating point) is read."""
    data = built[sheet]
    for i in _picked(data):
        for factor, refused in ((1 + 1e-6, True), (1 + 1e-13, False)):
            edited = json.loads(json.dumps(data))
            a, b = edited["answers"][i], edited["scheme"]["blanks"][i]
            a["exact"] = b["exact"] = a["exact"] * factor or (1e-6 if refused else 0.0)
            if refused:
                assert _refused_at(edited) == f"scheme.blanks[{i}].exact", i
            else:
                keys.validate(edited, "e.json")


def test_check_refuses_a_widened_band_in_one_line(built, tmp_path: Path):
    """`check e.json a.txt` with blank (a)'s 'half' set to 1e6: one line naming the file,
    the blank and the part."""
    data = json.loads(json.dumps(built["blog-2-2-2"]))
    data["scheme"]["blanks"][0]["tolerance"]["half"] = 1e6
    (tmp_path / "e.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "a.txt").write_text("a = 0\n", encoding="utf-8")
    assert_refused(run(["check", "e.json", "a.txt"], tmp_path), "e.json",
                   "scheme.blanks[0].tolerance", "(a) net[1][1]", "'half'")
