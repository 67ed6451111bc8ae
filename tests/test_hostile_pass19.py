"""What a nineteenth hostile pass found in the marking of pass 18's fixes: an honest slip whose
value a later blank copies lost its follow-through (the copy made "one number" twice); a
KEY.json's answers half copied from version 2 still carried 6 blanks forward in `check`; the
key with every sign flipped, or times 10, or times 2, earned follow-through where its steps
happen to be linear. Each is a guard now, in Python's check and mark and in the practice
page's own script under node (the same rule, marking/scheme.py no_work and practice.js
noWork), with a differential test of the two on many answer sets.

An honest student is simulated as the sheet's steps worked from the student's own rounded
answers (`_student`): every blank after a slip follows from it, as a careful student's would."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from symbackprop.marking import scheme

from .conftest import WORKSHEETS
from .test_hostile_pass15 import _commands

SHEETS = {"class": "class-set-2-2-2.yaml", "adam": "adam-two-steps-2-1.yaml",
          "conv": "convolution-4x4-3x3-maxpool.yaml", "matrix": "matrix-form-3-4-2.yaml",
          "softmax": "postnetwork-softmax-3-2-2.yaml"}


@pytest.fixture(scope="module")
def sheets(tmp_path_factory) -> Path:
    """Two versions of each sheet kind with their practice pages: root/<kind>/o/s-v01-key.json
    (a sheet of given numbers has one: root/<kind>/o/s-key.json)."""
    root = tmp_path_factory.mktemp("sheets19")
    built = _commands(root, {kind: ({"s.yaml": (WORKSHEETS / name).read_text(encoding="utf-8")},
                                    ["build", "s.yaml", "--format", "html", "--out", "o",
                                     *(["--versions", "2"] if kind != "softmax" else [])])
                             for kind, name in SHEETS.items()})
    for kind, result in built.items():
        assert result.code == 0, (kind, result.stderr[-1500:])
    return root


def _key(sheets: Path, kind: str, version: int = 1) -> Path:
    drawn = sheets / kind / "o" / f"s-v0{version}-key.json"
    return drawn if drawn.exists() else sheets / kind / "o" / "s-key.json"


def _scheme(sheets: Path, kind: str, version: int = 1) -> dict:
    return json.loads(_key(sheets, kind, version).read_text(encoding="utf-8"))["scheme"]


def _student(sch: dict, slips: dict) -> dict[str, float]:
    """An honest student's answers, by name: each blank worked from their own earlier answers
    by the sheet's step and rounded to its decimals, a slip (a function of the right value
    from their own answers) where `slips` names the blank."""
    d, given = sch["decimals"], {}

    def own(name):
        return given.get(name, sch["values"].get(name))
    for b in sch["blanks"]:
        v = None if b["recompute"] is None else scheme.evaluate(b["recompute"], own)
        v = b["value"] if v is None else v
        given[b["name"]] = round(slips[b["name"]](v) if b["name"] in slips else v, d)
    return given


def _by_label(sch: dict, by_name: dict[str, float]) -> list[tuple[str, str]]:
    d = sch["decimals"]
    return [(b["label"], f"{by_name[b['name']]:.{d}f}") for b in sch["blanks"]]


def _answers(pairs) -> str:
    return "".join(f"{label} = {value}\n" for label, value in pairs)


def _times(sch: dict, factor: float) -> dict[str, float]:
    return {b["name"]: round(b["value"] * factor, sch["decimals"]) for b in sch["blanks"]}


def _sign_roots(sch: dict) -> list[str]:
    """The blanks where the loss's sign is first written (a 'sign' mistake none of whose
    steps has one): a student who slips it there flips every step after it."""
    signed = {b["name"] for b in sch["blanks"]
              if any(r["diagnosis"] == "sign" for r in b["mistakes"])}
    return [b["name"] for b in sch["blanks"] if b["name"] in signed and not any(
        n in signed for n in scheme.refs(b["recompute"]))]


def _flip(v: float) -> float:
    return -v


def _slip(v: float) -> float:
    return v + 0.1


def _cases(sheets: Path) -> dict:
    cases = {}
    conv = _scheme(sheets, "conv")
    names = [b["name"] for b in conv["blanks"]]
    # z₁,₁ slipped, a₁,₁ = ReLU of it (a copy), and the loss slipped too: three wrong, two alike
    copied = _student(conv, {names[0]: _slip, "J": lambda v: v + 0.05})
    cases["conv_copied_slip"] = ({"a.txt": _answers(_by_label(conv, copied))},
                                 ["check", str(_key(sheets, "conv")), "a.txt"])
    for kind in ("class", "softmax"):
        sch = _scheme(sheets, kind)
        first = sch["blanks"][0]["name"]
        signed = _student(sch, {first: _slip, **dict.fromkeys(_sign_roots(sch), _flip)})
        cases[f"{kind}_sign_and_slip"] = ({"a.txt": _answers(_by_label(sch, signed))},
                                          ["check", str(_key(sheets, kind)), "a.txt"])
    for kind in ("class", "adam", "conv", "matrix"):
        sch = _scheme(sheets, kind)
        for case, factor in (("flipped", -1), ("times_ten", 10), ("doubled", 2)):
            cases[f"{kind}_{case}"] = ({"a.txt": _answers(_by_label(sch, _times(sch, factor)))},
                                       ["check", str(_key(sheets, kind)), "a.txt"])
    mine, theirs = _scheme(sheets, "class"), _scheme(sheets, "class", 2)
    half = len(mine["blanks"]) // 2
    for case, copied in (("first", range(half)), ("last", range(half, len(mine["blanks"])))):
        values = [b["value"] for b in mine["blanks"]]
        for i in copied:
            values[i] = theirs["blanks"][i]["value"]
        pairs = [(b["label"], repr(v)) for b, v in zip(mine["blanks"], values)]
        cases[f"half_{case}"] = ({"a.txt": _answers(pairs)},
                                 ["check", str(_key(sheets, "class")), "a.txt"])
        cases[f"mark_half_{case}"] = ({"a.csv": _class_row(pairs)},
                                      ["mark", str(sheets / "class" / "o"), "a.csv", "--out", "m"])
    return cases


def _class_row(pairs) -> str:
    return "name,version," + ",".join(label for label, _ in pairs) + "\nHalf,1," + \
        ",".join(v for _, v in pairs) + "\n"


@pytest.fixture(scope="module")
def runs(sheets, tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("fair19")
    return root, _commands(root, _cases(sheets))


def _carried(result) -> list[str]:
    assert result.code == 0, result.stderr[-1500:]
    assert re.search(r"blanks answered: .* carried forward", result.stdout), result.stdout[-600:]
    return re.findall(r"^\((\w+)\)[^\n]*  carried forward  \(", result.stdout, re.M)


def test_an_honest_slip_a_later_blank_copies_keeps_its_follow_through(runs, sheets):
    """Finding 1: on the convolution sheet, z₁,₁ slipped by 0.1, a₁,₁ = ReLU(z₁,₁) worked
    from it (the same number), and J slipped too: three wrong answers, two of them one number,
    so no_work's 'half of them one number' took every follow-through away. a₁,₁ is the
    student's own work: it is carried forward."""
    carried = _carried(runs[1]["conv_copied_slip"])
    conv = _scheme(sheets, "conv")
    label = {b["name"]: b["label"] for b in conv["blanks"]}
    assert label["a[1][1]"] in carried, runs[1]["conv_copied_slip"].stdout[-900:]


@pytest.mark.parametrize("kind", ["class", "softmax"])
def test_the_losss_sign_slipped_and_one_more_slip_keep_their_follow_through(kind, runs, sheets):
    """Guard: the loss's sign slipped where it is first written (every step after it
    flipped, worked from it) and the first net slipped: the steps worked from both are
    carried forward; neither the flipped steps (which are the key's values times −1) nor the
    softmax's two δ's (each the other's negative, so 'the key of another blank') count as no
    work."""
    carried = _carried(runs[1][f"{kind}_sign_and_slip"])
    assert len(carried) >= 5, runs[1][f"{kind}_sign_and_slip"].stdout[-1500:]


@pytest.mark.parametrize("kind", ["class", "adam", "conv", "matrix"])
@pytest.mark.parametrize("case", ["flipped", "times_ten", "doubled"])
def test_the_key_times_one_factor_earns_no_follow_through(case, kind, runs):
    """Findings 3 and 4: `check s-v01-key.json a.txt` of the key with every sign flipped
    carried 4 blanks forward on the class set (each step linear in the one before:
    ∂J/∂b₂ = Σ δ, ∂net/∂w = out); the key times 10 or times 2 likewise. Expected: none."""
    assert _carried(runs[1][f"{kind}_{case}"]) == [], runs[1][f"{kind}_{case}"].stdout[-900:]


@pytest.mark.parametrize("case", ["first", "last"])
def test_answers_half_copied_from_another_version_earn_no_follow_through(case, runs):
    """Finding 2: a.txt holds version 2's values for the first (or last) half of the blanks
    and version 1's right values for the rest: `check s-v01-key.json a.txt` carried 6 forward
    (not every answer is right for version 2, so check never looked at version 2). The key's
    recipe and seed draw the other versions; their values are no work of this sheet's.
    Expected: none carried forward, in check and in mark's gradebook."""
    assert _carried(runs[1][f"half_{case}"]) == [], runs[1][f"half_{case}"].stdout[-900:]
    result = runs[1][f"mark_half_{case}"]
    assert result.code == 0, result.stderr[-900:]
    with open(runs[0] / f"mark_half_{case}" / "m" / "gradebook.csv", encoding="utf-8-sig",
              newline="") as f:
        row = next(csv.DictReader(f))
    right = re.search(r"(\d+) correct", runs[1][f"half_{case}"].stdout).group(1)
    assert float(row["total"]) == float(right), row


# --- the page's script, under node ----------------------------------------------------------------

NO_WORK = r"""
const fs = require("fs");
const [file, sets] = process.argv.slice(-2);  // node -e SCRIPT PAGE ANSWER-SETS
const html = fs.readFileSync(file, "utf8");
const scheme = JSON.parse(html.match(/<script[^>]*id="scheme"[^>]*>([\s\S]*?)<\/script>/)[1]);
const code = [...html.matchAll(/<script(?![^>]*application\/json)[^>]*>([\s\S]*?)<\/script>/g)]
  .map(m => m[1]).join("\n") + "\n;module.exports = {mark, noWork};";
const m = new module.constructor();
m._compile(code, "page.js");
console.log(JSON.stringify(JSON.parse(fs.readFileSync(sets, "utf8")).map(byName => [
  m.exports.noWork(scheme, byName),
  m.exports.mark(scheme, byName).filter(x => x.verdict === "carried_forward").length])));
"""


def _answer_sets(sch: dict) -> list[dict[str, float]]:
    """Honest students (one slip at each blank, two slips, the loss's sign flipped), sheets of
    no work (the key times a factor, one number everywhere, the key shifted one blank), and
    the two mixed: each by name."""
    names = [b["name"] for b in sch["blanks"]]
    values = [b["value"] for b in sch["blanks"]]
    sets = []
    for i, n in enumerate(names):
        sets.append(_student(sch, {n: _slip}))
        sets.append(_student(sch, {n: lambda v: v * 1.3, names[(i + 3) % len(names)]: _slip}))
    sets.append(_student(sch, dict.fromkeys(_sign_roots(sch), _flip)))
    for factor in (-1, 10, 2, 0.5, -3):
        sets.append(_times(sch, factor))
    for typed in (2, 0.25, -1):
        sets.append(dict.fromkeys(names, typed))
    sets.append(dict(zip(names, [values[0]] + values[:-1])))
    half = len(names) // 2
    sets.append({**_times(sch, -1), **_student(sch, {names[0]: _slip})} | dict(
        zip(names[:half], [-v for v in values[:half]])))
    return sets


@pytest.mark.parametrize("kind", list(SHEETS))
def test_the_page_and_python_agree_on_no_work_and_follow_through(kind, sheets):
    """The page's noWork and Python's no_work give the same verdict on every answer set, and
    the page's mark carries as many blanks forward as Python's; the honest students keep
    their follow-through, the sheets of no work (the key times −1, 10, 2, ½, −3; one number;
    the key shifted) earn none."""
    if not shutil.which("node"):
        pytest.skip("needs node")
    sch = _scheme(sheets, kind)
    sets = _answer_sets(sch)
    path = sheets / kind / f"sets-{kind}.json"
    path.write_text(json.dumps(sets), encoding="utf-8")
    page = sheets / kind / "o" / _key(sheets, kind).name.replace("-key.json", "-practice.html")
    out = subprocess.run(["node", "-e", NO_WORK, str(page), str(path)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-1500:]
    page_says = json.loads(out.stdout)
    python_says = [[scheme.no_work(sch, s), sum(m.verdict == "carried_forward"
                                                for m in scheme.mark(sch, s))] for s in sets]
    assert page_says == python_says
    honest = 2 * len(sch["blanks"]) + 1
    assert not any(no for no, _ in python_says[:honest]), \
        [i for i, (no, _) in enumerate(python_says[:honest]) if no]
    assert all(no and carried == 0 for no, carried in python_says[honest:honest + 9]), \
        python_says[honest:]


def test_a_step_worked_from_a_tie_rounded_half_up_is_carried_forward():
    """A product of a student's 0.005 and a given 0.53 is 0.00265 exactly, which a student
    rounds to 0.0027; in floating point 0.0027 − 0.00265 is a hair over half a unit, and the
    carry test (|answer − own value| ≤ half a unit) marked it incorrect. Both interpreters
    allow the float epsilon, as for every other comparison with a tolerance."""
    band = {"half": 5e-5, "carry": 5e-5, "near": 5e-5}
    x = {"label": "a", "name": "x", "value": 0.0059, "exact": 0.0059, "recompute": None,
         "mistakes": [], "tolerance": band | {"lo": 0.0059, "hi": 0.0059, "from": 0.0059,
                                               "to": 0.0059}}
    y = {"label": "b", "name": "y", "value": 0.0031, "exact": 0.003127, "mistakes": [],
         "recompute": ["mul", ["ref", "x"], 0.53],
         "tolerance": band | {"lo": 0.0031, "hi": 0.0031, "from": 0.003127, "to": 0.003127}}
    sch = {"decimals": 4, "values": {"x": 0.0059, "y": 0.003127}, "blanks": [x, y],
           "messages": {"too_few_decimals": "too few", "cut_off": "cut off"}}
    assert abs(0.0027 - 0.005 * 0.53) > 5e-5  # the float is over the line
    assert math.isclose(0.005 * 0.53, 0.00265)
    marks = scheme.mark(sch, {"a": 0.005, "b": 0.0027})
    assert [m.verdict for m in marks] == ["incorrect", "carried_forward"]
    if not shutil.which("node"):
        return
    js = (Path(__file__).parent.parent / "templates" / "practice.js").read_text(encoding="utf-8")
    run = js + "\n;console.log(JSON.stringify(mark(" + json.dumps(sch) + \
        ", {a: 0.005, b: 0.0027}).map(m => m.verdict)));"
    out = subprocess.run(["node", "-e", run], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-1500:]
    assert json.loads(out.stdout) == ["incorrect", "carried_forward"]
