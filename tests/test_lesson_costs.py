"""A gradient-descent lesson's cost as the teacher types it (definitions/costexpr.py): the
grammar against NumPy's polynomials, its refusals naming the key, and the sheet following the
chosen cost: slopes, minima, walks and the slices of the surface, each computed here again."""

import numpy as np
import pytest

from symbackprop.definitions import costexpr
from symbackprop.definitions.definition import DefinitionError, parse
from symbackprop.sheets import descent_lesson, lessons


@pytest.mark.parametrize("text, coefficients", [
    ("w^4 - 3*w^2 + w + 3", [1, 0, -3, 1, 3]),
    ("(w - 1)^2 / 2", [0.5, -1, 0.5]),
    ("2w^2 + 3(w + 1)", [2, 3, 3]),
    ("-(w+2)*(2-w) + .25", [1, 0, -3.75]),
    ("w^6/6 - w^2 − w", [1 / 6, 0, 0, 0, -1, -1, 0]),
])
def test_the_grammar_reads_what_numpy_computes(text, coefficients):
    poly = costexpr.read(text)
    for w in (-2.3, -0.7, 0, 0.4, 1.9):
        assert costexpr.value(poly, w) == pytest.approx(np.polyval(coefficients, w), abs=1e-12)
        assert costexpr.value(costexpr.derivative(poly), w) == pytest.approx(
            np.polyval(np.polyder(coefficients), w), abs=1e-12)


REFUSED = {
    "__import__('os')": "cannot read '_' at character 1",
    "w**2": "cannot read '*' at character 3",
    "exp(w)": "cannot read 'e' at character 1",
    "w^9": "powers are whole numbers from 0 to 8",
    "(w^2)^5": "has degree 10",
    "w^2.5": "has the power 2.5",
    "w / (w + 1)": "divides by an expression in w",
    "w / (1 - 1)": "divides by zero",
    "(" * 9 + "w" + ")" * 9: "nests parentheses more than 8 deep",
    "(w + 1": "never closed",
    "w^2 +": "ends too soon",
    "w" + " + w" * 60: "characters long; at most 200",
    "w^3 - w": "has no lowest point",
    "-w^4 + w": "has no lowest point",
    "": "is empty",
}


@pytest.mark.parametrize("text", list(REFUSED))
def test_a_cost_the_grammar_refuses_is_one_line_naming_the_key(text):
    with pytest.raises(DefinitionError) as caught:
        parse(f"kind: gradient_descent\ntitle: G\nlesson: {{starts: [0.5], cost: \"{text}\"}}")
    assert caught.value.key == "lesson.cost" and REFUSED[text] in caught.value.problem
    assert "\n" not in str(caught.value)


def test_a_rate_too_large_for_the_cost_is_refused_by_name():
    with pytest.raises(DefinitionError) as caught:
        parse("kind: gradient_descent\ntitle: G\nlesson: {starts: [1], cost: 'w^2', "
              "learning_rate: 1}")  # w ← w − 2w: it swings between 1 and −1 for ever
    assert caught.value.key == "lesson.learning_rate" and "does not settle" in caught.value.problem


TEACHERS = ("kind: gradient_descent\ntitle: Two valleys\nlesson: {cost: 'w^4 - 4*w^2 - w', "
            "starts: [1.5, -0.2, 0.3], learning_rate: 0.02, steps: 4}")


def test_the_sheet_follows_the_teachers_cost():
    sheet = lessons.build(parse(TEACHERS))
    answers = {a.name: a.exact for a in sheet.answers}
    cost = np.poly1d([1, 0, -4, -1, 0])
    slope = cost.deriv()
    roots = sorted(r.real for r in slope.roots if abs(r.imag) < 1e-12)
    minima = [r for r in roots if cost.deriv(2)(r) > 0]
    assert [answers["w*1"], answers["w*2"]] == pytest.approx(minima, abs=1e-12)
    assert [answers["C(w*1)"], answers["C(w*2)"]] == pytest.approx(cost(minima), abs=1e-12)
    lowest = 1 + int(np.argmin(cost(minima)))
    assert answers["global minimum: valley"] == lowest == 2  # −w tilts it: the right is lower
    left, right = (float(n[3:-1]) for n in answers if n.startswith("C'("))
    assert answers[f"C'({left:g})"] == pytest.approx(slope(left)) and slope(left) < 0
    assert answers[f"C'({right:g})"] == pytest.approx(slope(right)) and slope(right) > 0
    for s, start in enumerate((1.5, -0.2, 0.3), start=1):
        w = start
        for step in (1, 2):
            w -= 0.02 * slope(w)
            assert answers[f"start {s}: w{step}"] == pytest.approx(w, abs=1e-12)
        for _ in range(5000):
            w -= 0.02 * slope(w)
        # the answer is the bottom of the valley the walk ends in (a w* found above)
        assert answers[f"start {s}: settles at"] == pytest.approx(w, abs=1e-6)
        assert min(abs(w - m) for m in minima) < 1e-6
    assert sheet.figures["cost_text"] == "w⁴ − 4w² − w"
    # the key says the ball misses the lowest valley from the start that does
    answer = " ".join(sheet.figures["closing"]["answer"])
    assert "does not always find it" in answer


def test_the_slices_slopes_are_the_partial_derivatives_by_finite_differences():
    sheet = lessons.build(parse(TEACHERS))
    answers = {a.name: a.exact for a in sheet.answers}
    p1, p2, _ = sheet.figures["surface"]["at"]
    assert (p1, p2) == (1.5, descent_lesson.BALL)

    def surface(a, b):
        return a**4 - 4 * a**2 - a + b**2

    h = 1e-6
    assert answers["dC/dw1 at the ball"] == pytest.approx(
        (surface(p1 + h, p2) - surface(p1 - h, p2)) / (2 * h), abs=1e-6)
    assert answers["dC/dw2 at the ball"] == pytest.approx(
        (surface(p1, p2 + h) - surface(p1, p2 - h)) / (2 * h), abs=1e-6)
    # one of the balls on the surface ends in the valley that is not the lowest
    ends = [path[-1][0] for path in sheet.figures["surface"]["balls"]]
    minima = [answers["w*1"], answers["w*2"]]
    assert {min(range(2), key=lambda i: abs(e - minima[i])) for e in ends} == {0, 1}


def test_a_cost_with_one_valley_asks_for_one_bottom():
    sheet = lessons.build(parse("kind: gradient_descent\ntitle: Bowl\nlesson: {cost: "
                                "'(w - 1)^2 / 2', starts: [3], learning_rate: 0.5}"))
    answers = {a.name: a.exact for a in sheet.answers}
    assert answers["w*"] == pytest.approx(1) and answers["C(w*)"] == pytest.approx(0, abs=1e-12)
    assert "global minimum: valley" not in answers
    assert "Here it does" in sheet.figures["closing"]["answer"][1]


def test_a_cost_spanning_thousands_gets_its_page_and_a_chain_of_trees(tmp_path):
    """0.001w⁴ − w² has its valleys at w = ±22.4 and climbs to thousands there: the page's
    plots once found no tick step for it (a traceback); every walk's second step is worked
    from the student's first, as C′ computed here with NumPy gives it."""
    from symbackprop.cli import main

    path = tmp_path / "wide.yaml"
    path.write_text('kind: gradient_descent\ntitle: Wide\nlesson: {starts: [0.3, -1.2], '
                    'learning_rate: 0.01, cost: "0.001w^4 - w^2"}\n')
    assert main(["build", str(path), "--format", "html", "--out", str(tmp_path)]) == 0
    import json

    key = json.loads((tmp_path / "wide-key.json").read_text())
    blank = next(b for b in key["scheme"]["blanks"] if b["name"] == "start 1: w2")
    from symbackprop.marking import scheme

    slope = np.polyder(np.poly1d([0.001, 0, -1, 0, 0]))
    mine = 0.31
    assert scheme.evaluate(blank["recompute"], {"start 1: w1": mine}.get) == pytest.approx(
        mine - 0.01 * slope(mine), abs=1e-12)
