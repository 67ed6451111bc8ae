"""A softmax layer's blanks in the order they can be worked (a review: the softmax sheets
asked net₁, out₁ = e^net₁/Σₖ e^netₖ, net₂, out₂, so that out₁ needed net₂, asked after it,
though the instructions say to work the blanks in order): every net of the layer, then its
outputs, in the worksheet, the key, the practice page and Moodle alike."""

import json
import re

import pytest

from symbackprop.cli import main
from symbackprop.marking.scheme import refs

from .conftest import WORKSHEETS


@pytest.mark.parametrize("sheet,extra,stem", [
    ("postnetwork-softmax-3-2-2", [], "postnetwork-softmax-3-2-2"),
    ("german-class-set-3-3-2", ["--versions", "1"], "german-class-set-3-3-2-v01")])
def test_a_softmax_layers_nets_are_all_asked_before_its_outputs(tmp_path, sheet, extra, stem):
    assert main(["build", str(WORKSHEETS / f"{sheet}.yaml"), "--format", "tex", "--format",
                 "html", "--format", "moodle", "--out", str(tmp_path), *extra]) == 0
    key = json.loads((tmp_path / f"{stem}-key.json").read_text(encoding="utf-8"))
    names = [a["name"] for a in key["answers"]]
    L = len(key["definition"]["network"]["layers"]) - 1
    outputs = key["definition"]["network"]["layers"][-1]
    nets = [names.index(f"net[{L}][{j}]") for j in range(1, outputs + 1)]
    outs = [names.index(f"out[{L}][{j}]") for j in range(1, outputs + 1)]
    assert max(nets) < min(outs) and nets == sorted(nets) and outs == sorted(outs)
    # each blank worked from blanks asked before it only, as the instructions say
    for i, blank in enumerate(key["scheme"]["blanks"]):
        later = set(refs(blank["recompute"])) & set(names[i:])
        assert not later, (blank["name"], later)
    # the sheet, the page and Moodle ask them in the key's order, by its labels
    label = {a["name"]: a["label"] for a in key["answers"]}
    tex = (tmp_path / f"{stem}-worksheet.tex").read_text(encoding="utf-8")
    asked = re.findall(r"\\textbf\{\((\w+)\)\}\\quad "
                       r"\$\\mathrm\{(net|out)\}\^\{\((\d)\)\}_\{(\d)\}", tex)
    assert [(lab, f"{q}[{l}][{j}]") for lab, q, l, j in asked] == [
        (label[n], n) for n in names if n.startswith(("net", "out"))]
    page = (tmp_path / f"{stem}-practice.html").read_text(encoding="utf-8")
    assert re.findall(r'data-label="(\w+)"', page)[:len(names)] == [label[n] for n in names]
    moodle = (tmp_path / f"{sheet}-moodle.xml").read_text(encoding="utf-8")
    shown = [m for m in re.findall(r"\((\w+)\)", moodle) if m in label.values()]
    assert list(dict.fromkeys(shown)) == [label[n] for n in names]
