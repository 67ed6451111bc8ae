"""Moodle XML: every bundled worksheet exports as Moodle's XML importer reads it, and every Cloze
subquestion, parsed by the syntax Moodle documents, carries the key's values."""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from symbackprop import check, scheme
from symbackprop.cli import main

from .conftest import WORKSHEETS

SHEETS = ["blog-2-2-2", "pixel-four-4-2-1", "han-kamber-3-2-1", "class-set-2-2-2",
          "digits-forward", "gradient-descent", "loss-comparison"]

# {weight:NUMERICAL:answer~answer~...}; an answer is (=|%n%)value:tolerance(#feedback)?, and
# }, #, ~, /, ", \ inside answers and feedback are escaped with a backslash
SUBQUESTION = re.compile(r"\{(\d+):(NUMERICAL|NM):((?:\\.|[^\\}])*)\}")
ANSWER = re.compile(r"^(=|%(-?\d+(?:\.\d+)?)%)(-?\d+(?:\.\d+)?):(\d+(?:\.\d+)?)"
                    r"(?:#((?:\\.|[^\\])*))?$")


def _split(text: str, sep: str) -> list[str]:
    """Split at unescaped `sep`."""
    parts, current, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current += text[i:i + 2]
            i += 2
            continue
        if text[i] == sep:
            parts.append(current)
            current = ""
        else:
            current += text[i]
        i += 1
    return parts + [current]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _subquestions(html: str) -> list[list[tuple[float, float, float, str]]]:
    """Each subquestion's answers as (fraction %, value, tolerance, feedback)."""
    out = []
    for weight, kind, body in SUBQUESTION.findall(html):
        answers = []
        for part in _split(body, "~"):
            m = ANSWER.match(part)
            assert m, part
            fraction = 100.0 if m.group(1) == "=" else float(m.group(2))
            answers.append((fraction, float(m.group(3)), float(m.group(4)),
                            _unescape(m.group(5) or "")))
        assert int(weight) == 1 and kind == "NUMERICAL"
        out.append(answers)
    return out


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("moodle")
    for name in SHEETS:
        extra = ["--versions", "3"] if name == "class-set-2-2-2" else []
        assert main(["build", str(WORKSHEETS / f"{name}.yaml"), "--format", "moodle",
                     "--out", str(out), *extra]) == 0
    return out


@pytest.mark.parametrize("name", SHEETS)
def test_every_subquestion_carries_the_keys_values(name, exported):
    root = ET.parse(exported / f"{name}-moodle.xml").getroot()
    assert root.tag == "quiz"
    category, *questions = list(root)
    assert category.get("type") == "category"
    assert category.findtext("category/text") == f"$course$/top/symbackprop/{name}"
    stems = ([f"{name}-v0{v}" for v in (1, 2, 3)] if name == "class-set-2-2-2" else [name])
    assert [q.findtext("idnumber") for q in questions] == stems
    for q, stem in zip(questions, stems):
        assert q.get("type") == "multianswer" and q.findtext("name/text").startswith(stem)
        assert q.find("questiontext").get("format") == "html"
        key = json.loads((exported / f"{stem}-key.json").read_text())
        subs = _subquestions(q.findtext("questiontext/text"))
        assert len(subs) == len(key["answers"])
        for answers, blank in zip(subs, key["scheme"]["blanks"]):
            (fraction, value, tol, _), *wrong = answers
            band = max(blank["tolerance"]["abs"], blank["tolerance"]["rel"] * abs(blank["value"]))
            assert fraction == 100 and value == pytest.approx(blank["value"], abs=1e-12)
            assert tol == pytest.approx(band, rel=1e-9, abs=1e-15)
            candidates = {}  # a diagnosis may have several rules (one_path_only, one a path)
            for r in blank["mistakes"]:
                candidates.setdefault(r["diagnosis"], []).extend(
                    scheme.evaluate(t, key["scheme"]["values"].get) for t in r["candidates"])
            for fraction, v, t, feedback in wrong:
                assert fraction == 0 and t == tol and abs(v - blank["value"]) > band
                diagnosis = next(d for d, m in check.MISTAKES.items() if m == feedback)
                assert any(c is not None and abs(c - v) < 1e-9 * max(1, abs(c))
                           for c in candidates[diagnosis])
        assert q.findtext("generalfeedback/text")  # the worked key


def test_a_sigmoid_of_negative_answer_gets_its_feedback(exported):
    key = json.loads((exported / "blog-2-2-2-key.json").read_text())
    root = ET.parse(exported / "blog-2-2-2-moodle.xml").getroot()
    subs = _subquestions(root[1].findtext("questiontext/text"))
    out_h1 = subs[1]  # (b) out[1][1] = σ(net[1][1]); σ(−net) worked out here by hand
    import math

    wrong = 1 / (1 + math.exp(key["answers"][0]["value"]))
    hit = [f for _, v, t, f in out_h1[1:] if abs(v - wrong) <= t]
    assert hit and hit[0] == check.MISTAKES["sigmoid_of_negative"]
