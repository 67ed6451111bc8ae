"""What the classroom review (issue 24) found on pages no test read: a key that gives a
softmax layer's shared bias as 0 without saying why, a lesson's feedback repeating its question
before the working, the full stop after a formula starting a line, a plot's ticks with a hyphen
for a minus. Each is checked here as a reader meets it: the key's text, the feedback page's
working, the page's SVG."""

import csv
import json
import re

import numpy as np

from symbackprop.cli import main
from symbackprop.formats.mathml import MathML
from symbackprop.sheets.forms import Prose, Symbol

from .conftest import WORKSHEETS


def test_the_key_says_why_a_softmax_layers_shared_bias_gets_no_gradient(tmp_path):
    """postnetwork-softmax-3-2-2: ∂J/∂b⁽²⁾ = Σ(out − t) is 0 (NumPy, from the key's own
    outputs and targets); the key says why, the worksheet does not give it away."""
    assert main(["build", str(WORKSHEETS / "postnetwork-softmax-3-2-2.yaml"), "--format",
                 "tex", "--out", str(tmp_path)]) == 0
    key = json.loads((tmp_path / "postnetwork-softmax-3-2-2-key.json").read_text("utf-8"))
    by = {a["name"]: a["exact"] for a in key["answers"]}
    outs = np.array([by[f"out[2][{j}]"] for j in (1, 2)])
    targets = np.ravel(key["definition"]["values"]["targets"])  # one example's two targets
    assert abs(outs.sum() - 1) < 1e-12 and abs((outs - targets).sum()) < 1e-12
    assert by["dJ/db[2]"] == 0
    said = "The paths add up to exactly 0"
    assert said in (tmp_path / "postnetwork-softmax-3-2-2-key.tex").read_text("utf-8")
    assert said not in (tmp_path / "postnetwork-softmax-3-2-2-worksheet.tex").read_text("utf-8")


def test_a_lessons_feedback_working_starts_from_the_quantity_not_the_question(tmp_path):
    """The gradient-descent lesson marked with (a) wrong: its feedback page's working is
    C′(−2) = 4·(−2)³ − 6·(−2) + 1 = −19 (by hand: −32 + 12 + 1), without the question's
    words, which the quantity column shows once."""
    out = tmp_path / "o"
    assert main(["build", str(WORKSHEETS / "gradient-descent.yaml"), "--format", "html",
                 "--out", str(out)]) == 0
    key = json.loads((out / "gradient-descent-key.json").read_text("utf-8"))
    (keys := tmp_path / "keys").mkdir()
    (keys / "gradient-descent-key.json").write_text(json.dumps(key), encoding="utf-8")
    answers = {a["label"]: f"{a['value']:.4f}" for a in key["answers"]}
    answers["a"] = "1.5"
    with open(tmp_path / "class.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["name", "version", *answers], ["Ana", "", *answers.values()]])
    assert main(["mark", str(keys), str(tmp_path / "class.csv"), "--out",
                 str(tmp_path / "m")]) == 0
    page = (tmp_path / "m" / "feedback-001-ana.html").read_text("utf-8")
    working = re.search(r'<tr class="working-row"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert "Slope of the tangent" not in working and "Slope of the tangent" in page
    numbers = re.sub(r"<[^>]+>", "", working)
    assert -32 + 12 + 1 == -19 and numbers.replace("\n", "").endswith("−19.0000"), numbers


def test_a_full_stop_after_mathematics_stays_on_its_line():
    printed = MathML().prose(Prose(("the curve ", Symbol("w"), ". Its slope")))
    assert re.search(r'<span class="nowrap"><math[^>]*>.*</math>\.</span> Its slope', printed)


def test_a_plots_ticks_print_the_minus_sign(tmp_path):
    assert main(["build", str(WORKSHEETS / "gradient-descent.yaml"), "--format", "html",
                 "--out", str(tmp_path)]) == 0
    page = (tmp_path / "gradient-descent-practice.html").read_text("utf-8")
    ticks = re.findall(r'<text[^>]*text-anchor="(?:middle|end)">([^<]*)</text>', page)
    assert any(t.startswith("−") for t in ticks), ticks
    assert not [t for t in ticks if re.match(r"-\d", t)], ticks


BCE = """title: A saturated output
network: {layers: [1, 1], activation: sigmoid, loss: binary_cross_entropy, bias: per_neuron}
values: {inputs: [2.0], targets: [1.0], weights: [[[-4.0]]], biases: [[-0.84]]}
learning_rate: 0.1
decimals: DECIMALS
"""


def test_a_sheet_whose_rounding_moves_an_answer_far_is_refused(tmp_path, capsys):
    """out = σ(2·(−4) − 0.84) = 0.000145 rounds to 0.0001 at 4 decimals, so −ln out worked from
    it is 9.2103 where J is 8.8401 (math.log below): refused in one line naming decimals and
    the blank; at 8 decimals the sheet is built and its J is the exact one to 4 decimals."""
    import math

    out = 1 / (1 + math.exp(8.84))
    assert round(-math.log(round(out, 4)), 4) == 9.2103 and round(-math.log(out), 4) == 8.8401
    (tmp_path / "s.yaml").write_text(BCE.replace("DECIMALS", "4"), encoding="utf-8")
    assert main(["build", str(tmp_path / "s.yaml"), "--format", "tex", "--out",
                 str(tmp_path / "o")]) == 2
    said = capsys.readouterr().err
    assert "decimals: (c) J comes to 9.2103" in said and "8.84014" in said
    assert not (tmp_path / "o").exists()
    (tmp_path / "s.yaml").write_text(BCE.replace("DECIMALS", "8"), encoding="utf-8")
    assert main(["build", str(tmp_path / "s.yaml"), "--format", "tex", "--out",
                 str(tmp_path / "o")]) == 0
    key = json.loads((tmp_path / "o" / "s-key.json").read_text("utf-8"))
    J = next(a for a in key["answers"] if a["name"] == "J")
    assert abs(J["value"] + math.log(out)) < 1e-4  # out has 5 figures there: J 4 decimals
