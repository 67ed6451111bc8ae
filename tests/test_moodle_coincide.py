"""The mistakes the Moodle export counts as coinciding with the right answer really do: for the
bundled class set (worksheets/class-set-2-2-2.yaml, its 30 versions as `make worksheets` builds
them), every mistake its log names gives a value that, rounded to the sheet's 4 decimals, an
honest student reaches (at an exact half, one of its two roundings: 0.62005, a step up the
gradient from 0.62 by 0.5 · 0.0001, is 0.6200 or 0.6201). That is worked here in plain Python
from each version's own numbers: every result rounded to 4 decimals before it is used, or kept
with all its digits, in random choices and, where they find no such answer, every choice of
the results it depends on. None of marking/rounding.py's band enters; and every other mistake
answer of the export lies outside the band, so that it tells the mistake from the right
answer."""

import itertools
import json
import math
import random
import re
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal

import pytest

from symbackprop.cli import main
from symbackprop.marking import check, scheme

from .conftest import WORKSHEETS
from .test_moodle import _subquestions

SHEET = WORKSHEETS / "class-set-2-2-2.yaml"
LINE = re.compile(r"(class-set-2-2-2-v\d+): \((\w+)\) (.+?): (\w+) gives (\S+), inside the "
                  r"right answer's band")


def sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def r4(v: float) -> float:
    """Rounded as a pencil rounds the decimal number: a half away from zero."""
    return float(Decimal(repr(v)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def roundings(v: float) -> set[float]:
    """What a student writes for v to 4 decimals: its rounding, or at an exact half (0.62005)
    either neighbour, as the sheet's rule allows."""
    d = Decimal(repr(v))
    down = float(d.quantize(Decimal("0.0001"), rounding="ROUND_HALF_DOWN"))
    return {r4(v), down}


def worked(d: dict, kept: frozenset) -> dict[str, float]:
    """The class set's sheet (2-2-2, sigmoid, a shared bias a layer, ½Σ(t − y)², the output
    bias not stepped) worked as a student works it: each result rounded to 4 decimals before it
    is used, except those in `kept`."""
    def r(name, v):
        return v if name in kept else r4(v)

    v = d["values"]
    x, t, (W1, W2) = v["inputs"], v["targets"], v["weights"]
    b1, b2, eta = v["biases"][0][0], v["biases"][1][0], d["learning_rate"]
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
        chain = s[f"dJ/dout[2][{i}]"] * s[f"dout[2][{i}]/dnet[2][{i}]"]
        s[f"dJ/dout[1][1] via net[2][{i}]"] = r(f"dJ/dout[1][1] via net[2][{i}]",
                                                chain * W2[i - 1][0])
        s[f"dJ/db[2] via net[2][{i}]"] = r(f"dJ/db[2] via net[2][{i}]", chain)
    s["dnet[2][1]/dW[2][1][1]"] = r("dnet[2][1]/dW[2][1][1]", s["out[1][1]"])
    s["dJ/dW[2][1][1]"] = r("dJ/dW[2][1][1]", s["dJ/dout[2][1]"] * s["dout[2][1]/dnet[2][1]"]
                            * s["dnet[2][1]/dW[2][1][1]"])
    s["dJ/dout[1][1]"] = r("dJ/dout[1][1]", s["dJ/dout[1][1] via net[2][1]"]
                           + s["dJ/dout[1][1] via net[2][2]"])
    s["dJ/db[2]"] = r("dJ/db[2]", s["dJ/db[2] via net[2][1]"] + s["dJ/db[2] via net[2][2]"])
    h = s["out[1][1]"]
    s["dout[1][1]/dnet[1][1]"] = r("dout[1][1]/dnet[1][1]", h * (1 - h))
    s["dJ/dW[1][1][1]"] = r("dJ/dW[1][1][1]", s["dJ/dout[1][1]"] * s["dout[1][1]/dnet[1][1]"]
                            * x[0])
    s["new W[2][1][1]"] = r("new W[2][1][1]", W2[0][0] - eta * s["dJ/dW[2][1][1]"])
    s["new W[1][1][1]"] = r("new W[1][1][1]", W1[0][0] - eta * s["dJ/dW[1][1][1]"])
    return s


def reached(d: dict, name: str, want: set[float], tries: int = 3000) -> set[float]:
    """The answers (to 4 decimals) honest working reaches for `name`: random choices of what is
    kept unrounded (and none, and all) until one writes an answer in `want`; failing that, every
    choice of the results `name` depends on, all 2^k of them (the whole reach)."""
    names = list(worked(d, frozenset()))
    rng = random.Random(22)
    choices = [frozenset(), frozenset(names)] + [
        frozenset(n for n in names if rng.random() < 0.5) for _ in range(tries)]
    out = set()
    for kept in choices:
        out |= roundings(worked(d, kept)[name])
        if out & want:
            return out
    base = worked(d, frozenset())[name]
    before = [n for n in names[:names.index(name)]
              if worked(d, frozenset({n}))[name] != base]  # the results `name` is worked from
    for bits in itertools.product((False, True), repeat=len(before)):
        out |= roundings(worked(d, frozenset(n for n, b in zip(before, bits) if b))[name])
    return out


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("coincide")
    assert main(["build", str(SHEET), "--format", "moodle", "--out", str(out)]) == 0
    return out


def test_every_mistake_the_log_counts_as_coinciding_is_an_honest_answer(exported):
    logged = (exported / "class-set-2-2-2-moodle.log").read_text(encoding="utf-8").splitlines()
    head = re.match(r"(\d+) of (\d+) mistake answers coincide", logged[0])
    inside, total = int(head.group(1)), int(head.group(2))
    assert inside == len(logged) - 1 and 0 < inside < total
    unreal = []  # values inside the band that no honest working reaches
    for line in logged[1:]:
        stem, label, name, diagnosis, value = LINE.fullmatch(line).groups()
        assert diagnosis in check.MISTAKES
        key = json.loads((exported / f"{stem}-key.json").read_text())
        blank = next(b for b in key["scheme"]["blanks"] if b["label"] == label)
        assert blank["name"] == name
        # the logged value is one of that rule's values, worked from the key's numbers
        values = [scheme.evaluate(c, key["scheme"]["values"].get) for rule in blank["mistakes"]
                  if rule["diagnosis"] == diagnosis for c in rule["candidates"]]
        assert any(v is not None and math.isclose(v, float(value), rel_tol=1e-9, abs_tol=1e-12)
                   for v in values), line
        reach = reached(key["definition"], name, roundings(float(value)))
        if not roundings(float(value)) & reach:
            unreal.append((line, sorted(reach)))
    assert unreal == []


def test_every_other_mistake_answer_lies_outside_the_right_answers(exported):
    """Each mistake answer the log does not name is, as Moodle reads it, outside the right
    answer's band, and no honest working found above reaches its value rounded."""
    logged = set((exported / "class-set-2-2-2-moodle.log").read_text("utf-8").splitlines()[1:])
    told = 0
    for question in ET.parse(exported / "class-set-2-2-2-moodle.xml").getroot()[1:]:
        stem = question.findtext("idnumber")
        key = json.loads((exported / f"{stem}-key.json").read_text())
        for answers, blank in zip(_subquestions(question.findtext("questiontext/text")),
                                  key["scheme"]["blanks"]):
            (_, middle, band, _), *wrong = answers
            for fraction, v, _, feedback in wrong:
                if fraction or feedback.startswith(check.MISTAKES["cut_off"]) or \
                        feedback.startswith("either ") or " — either " in feedback:
                    continue
                if any(line.startswith(f"{stem}: ({blank['label']}) ") and
                       line.endswith(f"gives {v:.10g}, inside the right answer's band")
                       for line in logged):
                    continue
                assert abs(v - middle) > band, (stem, blank["name"], v)
                told += 1
    assert told > 4000  # the log's "... tell a mistake from the right answer"


def test_where_the_search_narrows_a_band_every_honest_path_stays_inside(exported, monkeypatch):
    """marking/rounding.py bounds an answer's reach to first order, each rounding at its worst,
    then, where that bound reaches another answer, searches the choices of keeping or rounding
    each result, each one's value being what the earlier choices made of it. Wherever the
    search narrows a blank's band (version 28's (t) among them: −0.0001, not 0.0000), every
    honest path worked here in plain Python (all 2^k choices of the results it is worked from)
    still gives an answer inside it, and nearly every band's two ends are answers some path
    gives."""
    from symbackprop.marking import rounding, scheme_writer
    from symbackprop.marking.key import Key

    narrowed = []
    for path in sorted(exported.glob("*-key.json")):
        key = json.loads(path.read_text(encoding="utf-8"))
        monkeypatch.setattr(rounding, "SEARCHED", -1)  # the first-order bound alone
        first = scheme_writer.scheme_of(Key.from_json(key))["blanks"]
        monkeypatch.undo()
        for blank, bound in zip(key["scheme"]["blanks"], first):
            ends, wide = (blank["tolerance"]["lo"], blank["tolerance"]["hi"]), (
                bound["tolerance"]["lo"], bound["tolerance"]["hi"])
            if ends != wide:
                assert wide[0] <= ends[0] <= ends[1] <= wide[1], (path.name, blank["name"])
                narrowed.append((path.stem, blank["label"], key["definition"], blank["name"],
                                 ends))
    assert len(narrowed) > 20 and ("class-set-2-2-2-v28-key", "t") in {n[:2] for n in narrowed}
    tight = 0
    for stem, label, definition, name, (lo, hi) in narrowed:
        reach = reached(definition, name, set(), tries=100)
        assert all(lo - 1e-12 <= v <= hi + 1e-12 for v in reach), (stem, label, lo, hi, reach)
        tight += math.isclose(min(reach), lo, abs_tol=1e-12) and \
            math.isclose(max(reach), hi, abs_tol=1e-12)
        if (stem, label) == ("class-set-2-2-2-v28-key", "t"):
            assert lo == hi == -0.0001 and reach == {-0.0001}
    # where the search gives up (SEARCHED choices) an end stays as the bound put it
    assert tight >= 0.9 * len(narrowed), (tight, len(narrowed))
