"""A zero typed with a minus sign ("-0", "−0.0000", "-0.0") for a value that is 0 at the sheet's
decimals is right, in every interpreter alike: `check` (marking/scheme.py), the practice page's
script in Chromium (practice.js) and Moodle's numerical answers (formats/moodle_answers.py, read
with Moodle's own regexes and matched as Moodle matches them). Never "intermediates were
rounded too early": a zero is no early rounding of a value that rounds to zero. Run on the
bundled convolution key's zeros (a dead ReLU, a window's other entries), a confident softmax's
output 0.00002341 (printed with its significant digits), and a blank whose key value, worked
from rounded steps, is 0.0001 while its exact value 0.00004 rounds to 0."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET

import pytest

from symbackprop.cli import main
from symbackprop.formats import moodle_answers
from symbackprop.marking import check, scheme

from . import browser
from .conftest import WORKSHEETS
from .test_moodle import _moodle_grade, _subquestions

ZEROS = ("-0", "−0.0000", "-0.0", "−0", "0.0000")
CONFIDENT = """title: A confident softmax
network:
  layers: [1, 1, 2]
  activation: [tanh, softmax]
  loss: cross_entropy
  bias: none
values:
  inputs: [1.0]
  targets: [1.0, 0.0]
  weights: [[[1.0]], [[-8.0], [6.0]]]
learning_rate: 0.1
decimals: 4
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("zero")
    (out / "confident.yaml").write_text(CONFIDENT, encoding="utf-8")
    for source in (WORKSHEETS / "convolution-4x4-3x3-maxpool.yaml", out / "confident.yaml"):
        assert main(["build", str(source), "--format", "html", "--format", "moodle",
                     "--out", str(out)]) == 0
    return out


def _schemes(built) -> dict[str, dict]:
    """Each key's scheme, and one made from the softmax's: its out[2][1] as a key worked from
    rounded steps might have it, 0.0001, with an exact 0.00004 that rounds to 0, and the
    rounded-too-early mistake's value 0."""
    out = {stem: json.loads((built / f"{stem}-key.json").read_text())["scheme"]
           for stem in ("convolution-4x4-3x3-maxpool", "confident")}
    made = copy.deepcopy(out["confident"])
    b = next(b for b in made["blanks"] if b["name"] == "out[2][1]")
    b.update(value=0.0001, exact=0.00004, mistakes=[{"diagnosis": "rounded_too_early",
                                                    "candidates": [0.0]}])
    b["tolerance"].update({"lo": 0.0001, "hi": 0.0001, "from": 0.00006, "to": 0.00008})
    made["messages"]["rounded_too_early"] = check.MISTAKES["rounded_too_early"]
    out["made"] = made
    return out


def _zeros(sch: dict) -> list[dict]:
    d = sch["decimals"]
    zeros = [b for b in sch["blanks"] if round(b["exact"], d) == 0]
    assert zeros
    return zeros


def test_a_zero_of_either_sign_is_right_in_check(built):
    for name, sch in _schemes(built).items():
        for blank in _zeros(sch):
            for text in ZEROS:
                m = scheme.judge(sch, blank, check.parse_number(text), sch["values"].get)
                assert (m.verdict, m.diagnosis) == ("correct", None), (name, blank, text)


def test_the_page_marks_a_zero_as_check_does(built):
    driver = browser.start()
    try:
        browser.open_page(driver, built / "confident-practice.html")
        for name, sch in _schemes(built).items():
            for blank in _zeros(sch):
                for text in ZEROS:
                    got = driver.execute_script("""
                        const [scheme, label, text] = arguments;
                        const parsed = parseNumber(text);
                        const m = mark(scheme, {[label]: parsed.value}, {[label]: parsed.places})
                          .find(m => m.label === label);
                        return [m.verdict, m.diagnosis, m.message];""", sch, blank["label"], text)
                    assert got == ["correct", None, "correct"], (name, blank["name"], text)
        # and as a student does it: typed into the box, Check pressed
        key = json.loads((built / "confident-key.json").read_text())
        zero = next(b for b in key["scheme"]["blanks"] if b["name"] == "out[2][1]")
        browser.type_answers(driver, {zero["label"]: "−0.0000"})
        verdict, diagnosis, shown = browser.press_check(driver)["marks"][zero["label"]]
    finally:
        driver.quit()
    assert (verdict, diagnosis) == ("correct", None) and "early" not in shown


def test_moodle_grades_a_zero_full_marks(built):
    for stem in ("convolution-4x4-3x3-maxpool", "confident"):
        question = ET.parse(built / f"{stem}-moodle.xml").getroot()[1]
        sch = json.loads((built / f"{stem}-key.json").read_text())["scheme"]
        subs = _subquestions(question.findtext("questiontext/text"))
        for answers, blank in zip(subs, sch["blanks"]):
            if blank in _zeros(sch):
                for text in ZEROS:
                    assert _moodle_grade(answers, float(check.parse_number(text))) == (
                        100, "Correct"), (stem, blank["name"], text)
    made = _schemes(built)["made"]
    for blank in _zeros(made):
        answers, _, _ = moodle_answers.alternatives(blank, made["values"], made["decimals"],
                                                    made["messages"])
        assert _moodle_grade(answers, -0.0) == (100, "Correct")
        assert _moodle_grade(answers, 0.0001)[0] == 100  # the key's own value stays right


def test_an_exactly_zero_gradient_is_exact_zero_in_the_key(tmp_path):
    """A softmax layer's shared bias has ∂J/∂b = Σ(out − t) = 0 for any numbers: the key says
    "exact: 0", never the 9.860761315e-32 floating point leaves of the cancelled sum; the other
    final answers keep their ten significant digits."""
    assert main(["build", str(WORKSHEETS / "postnetwork-softmax-3-2-2.yaml"), "--format", "tex",
                 "--out", str(tmp_path)]) == 0
    key = (tmp_path / "postnetwork-softmax-3-2-2-key.tex").read_text(encoding="utf-8")
    pairs = re.findall(r"\$(-?[\d.]+)\$ \\quad \\mbox\{\\small \(exact: \$([^$]*)\$\)", key)
    assert ("0.0000", "0") in pairs and len(pairs) == 7  # J, 3 gradients, 3 new values
    for shown, exact in pairs:  # each a plain number near what the rounded working reaches
        assert "e" not in exact and abs(float(exact) - float(shown)) <= 1e-3
