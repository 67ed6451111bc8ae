"""The gradient-descent lesson's valley bottoms w*₁, w*₂ (found by bisection) know the two
mistakes a pupil makes there: the other zero of C′, the top of the hill between the valleys
(for 4w³ − 6w + 1 about 0.1699), and the two valleys swapped. The roots are NumPy's, found
apart from the sheet; check and the page's own script (under node) name the same mistake, in
the sheet's language."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from symbackprop.cli import main

from .conftest import WORKSHEETS

PAGE = r"""
const fs = require("fs");
const [file, typed] = process.argv.slice(-2);
const html = fs.readFileSync(file, "utf8");
const scheme = JSON.parse(html.match(/<script[^>]*id="scheme"[^>]*>([\s\S]*?)<\/script>/)[1]);
const code = [...html.matchAll(/<script(?![^>]*application\/json)[^>]*>([\s\S]*?)<\/script>/g)]
  .map(m => m[1]).join("\n") + "\n;module.exports = {mark};";
const m = new module.constructor();
m._compile(code, "page.js");
console.log(JSON.stringify(m.exports.mark(scheme, JSON.parse(typed))
  .filter(x => x.verdict !== "missing").map(x => [x.name, x.diagnosis])));
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("bottoms")
    for name in ("gradient-descent", "french-gradient-descent"):
        assert main(["build", str(WORKSHEETS / f"{name}.yaml"), "--format", "html", "--out",
                     str(out)]) == 0
    return out


def _roots(key: dict) -> tuple[list[float], float]:
    """C′'s zeros by NumPy, for the bundled cost's slope C′(w) = 4w³ − 6w + 1:
    the two valleys' bottoms, checked against the key's, and the hilltop between them."""
    roots = sorted(np.roots([4, 0, -6, 1]).real.tolist())
    bottoms = [b["value"] for b in key["scheme"]["blanks"] if b["name"] in ("w*1", "w*2")]
    assert np.allclose([roots[0], roots[2]], bottoms, atol=5e-5)
    return bottoms, roots[1]


def test_the_hilltop_and_the_other_valley_are_named(built, capsys):
    key = json.loads((built / "gradient-descent-key.json").read_text(encoding="utf-8"))
    label = {b["name"]: b["label"] for b in key["scheme"]["blanks"]}
    (w1, w2), hill = _roots(key)
    answers = built / "a.txt"
    answers.write_text(f"{label['w*1']} = {hill:.4f}\n{label['w*2']} = {w1:.4f}\n",
                       encoding="utf-8")
    capsys.readouterr()
    assert main(["check", str(built / "gradient-descent-key.json"), str(answers), "--json"]) == 0
    marks = {m["name"]: m for m in json.loads(capsys.readouterr().out)["answers"]}
    assert marks["w*1"]["diagnosis"] == "hilltop_for_valley"
    assert "top of a hill" in marks["w*1"]["message"]
    assert marks["w*2"]["diagnosis"] == "other_valley"
    assert main(["check", str(built / "french-gradient-descent-key.json"), str(answers)]) == 0
    french = capsys.readouterr().out
    assert "au sommet d’une colline" in french and "l’autre vallée" in french, french
    if not shutil.which("node"):
        return
    typed = json.dumps({label["w*1"]: round(hill, 4), label["w*2"]: round(w1, 4)})
    out = subprocess.run(["node", "-e", PAGE, str(built / "gradient-descent-practice.html"),
                          typed], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-1500:]
    assert json.loads(out.stdout) == [["w*1", "hilltop_for_valley"], ["w*2", "other_valley"]]
