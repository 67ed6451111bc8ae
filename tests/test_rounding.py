"""The one rule every interpreter marks by: the sheet's own rounding, with only what honest
rounding can reach. Each case is worked here by hand, in plain Python, the way a student
works: every result rounded to the sheet's 4 decimals, or some kept with more digits."""

import json
import math
import random

import pytest

from symbackprop.definitions.definition import parse
from symbackprop.files import classset
from symbackprop.marking import scheme
from symbackprop.marking.check import Key, mark, parse_number

from .conftest import WORKSHEETS
from .test_check import make_key, sig


def worked(kept=frozenset(), places: int = 4) -> dict[str, float]:
    """test_check's 2-2-2 sheet (x = 0.5, 0.9; t = 0.1, 0.8; ½Σ(t − y)²; η = 0.5), every
    result rounded to `places` decimals before it is used, except those in `kept`."""
    def r(name, v):
        return v if name in kept else round(v, places)

    x, t = [0.5, 0.9], [0.1, 0.8]
    W1, W2, b1, b2 = [[0.6, -0.4], [0.3, 0.8]], [[0.7, -0.5], [0.9, 0.2]], 0.1, -0.2
    s = {}
    for j in (1, 2):
        s[f"net[1][{j}]"] = r(f"net[1][{j}]", W1[j - 1][0] * x[0] + W1[j - 1][1] * x[1] + b1)
        s[f"out[1][{j}]"] = r(f"out[1][{j}]", sig(s[f"net[1][{j}]"]))
    for i in (1, 2):
        s[f"net[2][{i}]"] = r(f"net[2][{i}]", W2[i - 1][0] * s["out[1][1]"]
                              + W2[i - 1][1] * s["out[1][2]"] + b2)
        s[f"out[2][{i}]"] = r(f"out[2][{i}]", sig(s[f"net[2][{i}]"]))
    s["J"] = r("J", sum((tt - s[f"out[2][{i}]"]) ** 2 for i, tt in zip((1, 2), t)) / 2)
    for i in (1, 2):
        y = s[f"out[2][{i}]"]
        s[f"dJ/dout[2][{i}]"] = r(f"dJ/dout[2][{i}]", y - t[i - 1])
        s[f"dout[2][{i}]/dnet[2][{i}]"] = r(f"dout[2][{i}]/dnet[2][{i}]", y * (1 - y))
        s[f"dJ/dout[1][1] via net[2][{i}]"] = r(
            f"dJ/dout[1][1] via net[2][{i}]",
            s[f"dJ/dout[2][{i}]"] * s[f"dout[2][{i}]/dnet[2][{i}]"] * W2[i - 1][0])
    s["dJ/dW[2][1][1]"] = r("dJ/dW[2][1][1]", s["dJ/dout[2][1]"] * s["dout[2][1]/dnet[2][1]"]
                            * s["out[1][1]"])
    s["dJ/dout[1][1]"] = r("dJ/dout[1][1]", s["dJ/dout[1][1] via net[2][1]"]
                           + s["dJ/dout[1][1] via net[2][2]"])
    h = s["out[1][1]"]
    s["dout[1][1]/dnet[1][1]"] = r("dout[1][1]/dnet[1][1]", h * (1 - h))
    s["dJ/dW[1][1][1]"] = r("dJ/dW[1][1][1]", s["dJ/dout[1][1]"] * s["dout[1][1]/dnet[1][1]"]
                            * x[0])
    s["new W[2][1][1]"] = r("new W[2][1][1]", W2[0][0] - 0.5 * s["dJ/dW[2][1][1]"])
    s["new W[1][1][1]"] = r("new W[1][1][1]", W1[0][0] - 0.5 * s["dJ/dW[1][1][1]"])
    return s


def test_every_honest_rounding_path_is_marked_right_and_no_more():
    """300 students, each keeping a random choice of results unrounded: each answer they write
    (rounded to 4 decimals) is correct; and the answers accepted are those the paths reach, at
    most one more at either end (the bound is worked to first order, each rounding at its worst)."""
    key = make_key()
    rng = random.Random(22)
    names = list(worked())
    reached = {n: {worked()[n]} for n in names}
    for _ in range(300):
        kept = frozenset(n for n in names if rng.random() < 0.5)
        unrounded = worked(kept)
        for n, v in unrounded.items():
            reached[n].add(round(v, 4))
    unrounded_all = worked(frozenset(names))  # a calculator that keeps every digit
    for n in names:
        reached[n].add(round(unrounded_all[n], 4))
        for v in sorted(reached[n]):
            m = next(m for m in mark(key, {n: v}) if m.name == n)
            assert m.verdict == "correct", (n, v, m.message)
        t = next(b for b in key.scheme["blanks"] if b["name"] == n)["tolerance"]
        accepted = round((t["hi"] - t["lo"]) * 1e4) + 1
        assert accepted <= len(reached[n]) + 2, (n, sorted(reached[n]), t)
    # a result one unit beyond every path is not right: ∂J/∂w5 reaches 0.044 only
    assert reached["dJ/dW[2][1][1]"] == {0.044}
    for v in (0.0439, 0.0441):
        assert mark(key, {"dJ/dW[2][1][1]": v})[12].verdict == "incorrect"


def test_the_readme_table(tmp_path):
    """Version 2 of the bundled class set, as the README's marking section shows it."""
    d = parse((WORKSHEETS / "class-set-2-2-2.yaml").read_text(), "class-set-2-2-2.yaml")
    key = Key.from_json(json.loads(json.dumps(classset.key(d, 2, None))))
    v = key.definition["values"]
    (w1, w2), (w3, w4) = v["weights"][0]
    (w5, w6), _ = v["weights"][1]
    x1, x2 = v["inputs"]
    b1, b2 = v["biases"][0][0], v["biases"][1][0]
    h1 = sig(w1 * x1 + w2 * x2 + b1)
    h2 = sig(w3 * x1 + w4 * x2 + b1)
    y1 = sig(w5 * h1 + w6 * h2 + b2)
    # (k) ∂out/∂net = y(1 − y): 0.2065 from y kept unrounded, 0.2064 from y rounded first
    assert (round(y1, 7), round(y1 * (1 - y1), 4)) == (0.7086826, 0.2065)
    assert round(round(y1, 4) * (1 - round(y1, 4)), 4) == 0.2064
    # (b) out[1][1] = σ(net) of given numbers: 0.4636642 rounds to 0.4637, 0.4636 is cut off
    assert (round(h1, 7), math.trunc(h1 * 1e4) / 1e4) == (0.4636642, 0.4636)
    expect = {
        "dout[2][1]/dnet[2][1]": {"0.2064": "correct", "0.2065": "correct", "0.20645": "correct",
                                  "0.206": "too_few_decimals", "0.21": "too_few_decimals",
                                  "0.2063": "incorrect", "0.2066": "incorrect"},
        "out[1][1]": {"0.4637": "correct", "0.464": "too_few_decimals",
                      "0.46": "too_few_decimals", "0.4636": "cut_off"},
        "new W[1][1][1]": {"-0.5613": "correct", "-0.5612": "correct",
                           "-0.561": "too_few_decimals", "-0.56": "too_few_decimals",
                           "-0.5614": "incorrect"}}
    for name, answers in expect.items():
        for text, verdict in answers.items():
            m = next(m for m in mark(key, {name: parse_number(text)}) if m.name == name)
            assert (m.diagnosis if verdict == "cut_off" else m.verdict) == verdict, (name, text)
    # −0.561 is also what the updated-weights mistake gives: the simpler explanation wins
    blank = next(b for b in key.scheme["blanks"] if b["name"] == "new W[1][1][1]")
    mistaken = [scheme.evaluate(c, key.scheme["values"].get) for r in blank["mistakes"]
                if r["diagnosis"] == "updated_weights" for c in r["candidates"]]
    assert any(c is not None and round(c, 3) == -0.561 for c in mistaken)


def test_fewer_decimals_than_asked_is_said_before_any_wrong_method():
    """σ'(net) = 0.2474 to 2 decimals is 0.25, which σ(−net) made throughout gives to 4:
    typed as 0.25 it is too few decimals, typed as 0.2500 it is that mistake."""
    key = make_key()
    mistaken = __import__("tests.test_check", fromlist=["student"]).student(
        mistake="sigmoid_of_negative")["dout[2][1]/dnet[2][1]"]
    assert (round(worked()["dout[2][1]/dnet[2][1]"], 2), mistaken) == (0.25, 0.25)
    by = {m.name: m for m in mark(key, {"dout[2][1]/dnet[2][1]": parse_number("0.25")})}
    assert by["dout[2][1]/dnet[2][1]"].verdict == "too_few_decimals"
    by = {m.name: m for m in mark(key, {"dout[2][1]/dnet[2][1]": parse_number("0.2500")})}
    assert (by["dout[2][1]/dnet[2][1]"].verdict, by["dout[2][1]/dnet[2][1]"].diagnosis) == (
        "incorrect", "sigmoid_of_negative")


def test_carried_forward_works_from_the_students_own_rounded_values():
    """A student who writes out[1][2] to 2 decimals (0.73) and goes on at 4 from it: that
    blank is too few decimals, and each later one follows from the 0.73 and is carried
    forward (or right, where the 0.73 changes nothing at 4 decimals)."""
    key = make_key()
    answers = worked()
    answers["out[1][2]"] = 0.73
    for i in (1, 2):  # the output layer from the student's own 0.73
        answers[f"net[2][{i}]"] = round([0.7, 0.9][i - 1] * answers["out[1][1]"]
                                        + [-0.5, 0.2][i - 1] * 0.73 - 0.2, 4)
        answers[f"out[2][{i}]"] = round(sig(answers[f"net[2][{i}]"]), 4)
    marks = {m.name: m for m in mark(key, {k: parse_number(f"{v}") for k, v in answers.items()
                                           if k in ("out[1][2]", "net[2][1]", "net[2][2]",
                                                    "out[2][1]", "out[2][2]")})}
    assert marks["out[1][2]"].verdict == "too_few_decimals"
    assert (answers["net[2][1]"], answers["net[2][2]"]) == (-0.208, 0.405)
    assert marks["net[2][1]"].verdict == marks["net[2][2]"].verdict == "carried_forward"
    assert {marks[f"out[2][{i}]"].verdict for i in (1, 2)} <= {"carried_forward", "correct"}


@pytest.mark.parametrize("points_rounded, expected", [(None, 0.5), ("0.25", 0.25), ("1", 1.0)])
def test_mark_gives_too_few_decimals_the_teachers_credit(points_rounded, expected, tmp_path):
    from symbackprop.cli import main

    out = tmp_path / "keys"
    assert main(["build", str(WORKSHEETS / "blog-2-2-2.yaml"), "--format", "tex",
                 "--out", str(out)]) == 0
    key = json.loads((out / "blog-2-2-2-key.json").read_text())
    first = key["answers"][0]  # net[1][1] = 0.3775 (9 decimals asked): 0.378 is 3
    (answers := tmp_path / "class.csv").write_text(
        f"name,version,{first['label']}\nAda,,{round(first['value'], 3)}\n", encoding="utf-8")
    extra = [] if points_rounded is None else ["--points-rounded", points_rounded]
    assert main(["mark", str(out), str(answers), "--out", str(tmp_path / "marks"), *extra]) == 0
    book = (tmp_path / "marks" / "gradebook.csv").read_text(encoding="utf-8-sig").splitlines()
    assert book[1].split(",")[2] == f"{expected:g}"
    summary = (tmp_path / "marks" / "summary.csv").read_text(encoding="utf-8-sig").splitlines()
    header = summary[0].split(",")
    assert summary[1].split(",")[header.index("too_few_decimals")] == "1"


TIE = """title: A tie
network: {layers: [2, 1], activation: identity, loss: half_sse, bias: per_neuron}
optimizer: {name: adam}
learning_rate: 0.1
decimals: 6
values: {inputs: [0.75, 0.53], targets: [0.968], weights: [[[0.4, -0.15]]], biases: [[-0.09]]}
"""


def test_an_exact_half_is_rounded_away_from_zero_and_either_neighbour_is_right(tmp_path):
    """m = 0.1·g = 0.1·(−0.628125) = −0.0628125 exactly (g = δ·x₁ = −0.8375·0.75): the key
    prints −0.062813, as a pencil rounds it (Python's round() of the binary number gave
    −0.062812, and marked the pencil wrong); a student who rounded the half the other way
    is right too."""
    (path := tmp_path / "tie.yaml").write_text(TIE, encoding="utf-8")
    key = classset.key(parse(TIE, str(path)), None, None)
    by = {a["name"]: a for a in key["answers"]}
    g, m = by["g@1 w1"], by["m@1 w1"]
    assert g["value"] == -0.628125 and math.isclose(m["exact"], -0.0628125, rel_tol=1e-12)
    assert m["value"] == -0.062813
    k = Key.from_json(json.loads(json.dumps(key)))
    for typed in (-0.062813, -0.062812):
        marks = {x.name: x for x in mark(k, {g["label"]: g["value"], m["label"]: typed})}
        assert marks["m@1 w1"].verdict == "correct", (typed, marks["m@1 w1"])
    marks = {x.name: x for x in mark(k, {m["label"]: -0.062814})}
    assert marks["m@1 w1"].verdict != "correct"


def test_a_whole_number_is_never_the_right_value_with_fewer_decimals():
    """A student who typed 1 for every blank near 1 earned the too-few-decimals credit on the
    page and in check (1 is 0.5487 to no decimals), where Moodle's export, which lists the
    fewer-decimals answers from one decimal on, marked it wrong. A whole number is not that
    verdict anywhere; the same value to one or more decimals still is."""
    key = make_key()
    for name, value in worked().items():
        if abs(value) < 0.5 or value == round(value):
            continue
        whole = float(round(value))
        m, = [m for m in mark(key, {name: whole}) if m.name == name]
        assert m.verdict != "too_few_decimals", (name, value, whole)
        shown = round(value, 2)
        if shown != round(value, 4) and not name.startswith("new "):  # 0.60: the old weight
            m, = [m for m in mark(key, {name: parse_number(f"{shown:.2f}")}) if m.name == name]
            assert m.verdict in ("too_few_decimals", "correct"), (name, value, m.verdict)
