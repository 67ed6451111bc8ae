"""Seed 000's pages: f(Wx + b) on a digit, gradient descent, squared error or cross-entropy."""

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import DefinitionError, Lesson, load, parse
from symbackprop.engine.numeric import sigmoid
from symbackprop.formats import pdf
from symbackprop.sheets import lessons

from .conftest import WORKSHEETS


def test_digit_forward_pass_matches_numpy():
    lesson = load(WORKSHEETS / "digits-forward.yaml")
    assert isinstance(lesson, Lesson) and len(lesson.image) == 64 and lesson.digit == 4
    sheet = lessons.build(lesson)
    W = np.array(sheet.figures["given"]["weights"])
    b = np.array(sheet.figures["given"]["biases"])
    assert W.shape == (8, 64) and b.shape == (8,)
    x = np.array(lesson.image) / 16
    net = W @ x + b  # 8x64 · 64x1 + 8x1
    answers = {a.name: a for a in sheet.answers}
    row = next(n for n in answers if n.startswith("net[1][1] row"))
    r = int(row.rsplit(" ", 1)[1]) - 1
    part = W[0, 8 * r:8 * r + 8] @ x[8 * r:8 * r + 8]
    assert answers[row].exact == pytest.approx(part)
    # net is worked from what the sheet prints: the row's sum, the other 56 products' sum to
    # 4 decimals (a half away from zero) and the bias; that is the network's net to 4 decimals
    four = Decimal("0.0001")
    shown = float(Decimal(repr(float(net[0] - part - b[0]))).quantize(four, ROUND_HALF_UP))
    assert answers["net[1][1]"].exact == pytest.approx(part + shown + b[0], rel=1e-12)
    assert abs(answers["net[1][1]"].exact - net[0]) <= 0.5e-4
    assert answers["out[1][1]"].exact == pytest.approx(sigmoid(part + shown + b[0]), rel=1e-12)
    # the key's out is σ of the key's net as printed, as a student works it
    assert answers["out[1][1]"].value == float(Decimal(repr(float(sigmoid(
        answers["net[1][1]"].value)))).quantize(four, ROUND_HALF_UP))
    assert [j for j, _, _ in sheet.figures["table"]] == list(range(1, 9))


def test_gradient_descent_numbers():
    sheet = lessons.build(load(WORKSHEETS / "gradient-descent.yaml"))
    answers = {a.name: a.exact for a in sheet.answers}
    coefficients = [1, 0, -3, 1, 3]  # C(w) = w⁴ − 3w² + w + 3, by hand, for NumPy
    slope = np.polyder(np.poly1d(coefficients))
    assert answers["C'(-2)"] == pytest.approx(slope(-2)) and answers["C'(-2)"] < 0
    assert answers["C'(1.6)"] == pytest.approx(slope(1.6)) and answers["C'(1.6)"] > 0
    roots = sorted(r.real for r in slope.roots if abs(r.imag) < 1e-12)
    assert answers["w*1"] == pytest.approx(roots[0]) and answers["w*2"] == pytest.approx(roots[2])
    assert answers["C(w*1)"] == pytest.approx(np.polyval(coefficients, roots[0]))
    assert answers["C(w*1)"] < answers["C(w*2)"] and answers["global minimum: valley"] == 1
    w = 0.5  # gradient descent in NumPy, step by step
    for step in (1, 2):
        w = w - 0.05 * slope(w)
        assert answers[f"start 1: w{step}"] == pytest.approx(w, abs=1e-12)
    # local versus global: the two starts settle in different valleys
    assert answers["start 1: settles at"] == pytest.approx(roots[2], abs=1e-6)
    assert answers["start 2: settles at"] == pytest.approx(roots[0], abs=1e-6)


def test_cross_entropy_keeps_its_gradient_where_squared_error_loses_it():
    sheet = lessons.build(load(WORKSHEETS / "loss-comparison.yaml"))
    a = {x.name: x.exact for x in sheet.answers}
    assert a["CE(0.01)"] == pytest.approx(-math.log(0.01))
    assert a["dCE/dnet(0.01)"] == pytest.approx(0.01 - 1)
    assert a["SE(0.01)"] == pytest.approx(0.5 * 0.99 ** 2)  # ½(1 − y)², as ½Σ(t − y)²
    assert a["dSE/dnet(0.01)"] == pytest.approx(-0.99 * 0.01 * 0.99)  # the ½ cancels the 2
    assert abs(a["dSE/dnet(0.01)"]) < 0.05 < abs(a["dCE/dnet(0.01)"])


def test_lesson_definitions_are_checked_strictly(tmp_path):
    with pytest.raises(DefinitionError, match="lesson.probabilities"):
        parse("kind: loss_comparison\ntitle: L\nlesson: {probabilities: [1.5]}")
    with pytest.raises(DefinitionError, match="unknown key"):
        parse("kind: gradient_descent\ntitle: G\nlesson: {starts: [1], rate: 2}")
    (tmp_path / "d.yaml").write_text("kind: forward_matrix\ntitle: D\n"
                                     "lesson: {image: nope.csv}\n")
    with pytest.raises(DefinitionError, match="lesson.image: cannot read"):
        load(tmp_path / "d.yaml")


def test_lessons_refuse_network_commands(capsys):
    assert main(["derive", str(WORKSHEETS / "gradient-descent.yaml")]) == 2
    assert "no network to work on" in capsys.readouterr().err


@pytest.mark.skipif(not pdf.available(), reason="needs pdflatex")
@pytest.mark.parametrize("name", ["digits-forward", "gradient-descent", "loss-comparison"])
def test_lesson_pdfs_build(name, tmp_path):
    assert main(["build", str(WORKSHEETS / f"{name}.yaml"), "--out", str(tmp_path)]) == 0
    for kind in ("worksheet", "key"):
        assert (tmp_path / f"{name}-{kind}.pdf").read_bytes().startswith(b"%PDF")
    sheet = (tmp_path / f"{name}-worksheet.tex").read_text()
    key = (tmp_path / f"{name}-key.tex").read_text()
    assert "Answer key" in key and "Answer key" not in sheet


@pytest.mark.skipif(not pdf.available(), reason="needs pdflatex")
@pytest.mark.parametrize("name", ["digits-forward", "gradient-descent", "loss-comparison"])
def test_lesson_student_sheet_shows_no_answer(name, tmp_path):
    import json
    import subprocess

    assert main(["build", str(WORKSHEETS / f"{name}.yaml"), "--out", str(tmp_path)]) == 0
    key = json.loads((tmp_path / f"{name}-key.json").read_text())
    text = {}
    for kind in ("worksheet", "key"):
        text[kind] = subprocess.run(["pdftotext", str(tmp_path / f"{name}-{kind}.pdf"), "-"],
                                    capture_output=True, text=True, check=True).stdout
    for a in key["answers"]:
        if a["name"] == "global minimum: valley":  # a whole number: 1 or 2
            continue
        shown = f"{abs(a['value']):.4f}"
        assert shown in text["key"], a
        assert shown not in text["worksheet"], a
