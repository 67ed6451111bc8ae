"""What a ninth hostile pass found at commit bad15f2, in the worksheet PDFs' quotes, the Moodle
exports' titles (the convolution and Adam sheets among them) and check's reading of a number:
each test is one broken promise of the README, written so that it fails on bad15f2 and passes
once the promise is kept. Every command runs as its own bounded process (tests/hostile.py)."""

from __future__ import annotations

import json
import re

import pytest

from symbackprop.marking import check

from .conftest import WORKSHEETS
from .hostile import needs_pdf_text, pdf_text, run
from .test_moodle_classroom import _shown_texts, emoticon_filter

GIVEN = """\
title: TITLE
network: {layers: [2, 2, 2], activation: sigmoid, loss: half_sse, bias: shared}
values:
  inputs: [0.05, 0.10]
  targets: [0.01, 0.99]
  weights: [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
  biases: [[0.35], [0.60]]
learning_rate: 0.5
"""


# --- ! or ? before a typographic opening quote --------------------------------------------

@needs_pdf_text
@pytest.mark.parametrize("typed", ["Why?‘no’", "Stop!‘now’", "Really?“yes”"])
def test_a_question_or_exclamation_mark_before_a_curly_quote_prints_as_typed(typed, tmp_path):
    """The README: a title 'prints as typed', and pass six's fix puts {} between ! or ? and
    a ` typed, so that T1's ligatures !` and ?` (¡ and ¿) are never made. But the typographic
    opening quotes ‘ and “ go to pdflatex as `{} and ``{} (printable._TEXT_CHARS), and the
    ligature check (printable._LIGATURES) compares the next character typed, not the LaTeX it
    becomes: "Why?‘no’" is written Why?`{}no'{} and prints as "Why¿no’", "Stop!‘now’" as
    "Stop¡now’". Each should print as the characters typed."""
    (tmp_path / "s.yaml").write_text(GIVEN.replace("TITLE", json.dumps(typed)),
                                     encoding="utf-8")
    result = run(["build", "s.yaml", "--format", "pdf", "--out", "out"], tmp_path,
                 timeout=180)
    assert result.code == 0, result.stderr[-1500:]
    printed = pdf_text(tmp_path / "out" / "s-worksheet.pdf")
    assert "¡" not in printed and "¿" not in printed, (typed, printed[:200])
    assert typed in printed, (typed, printed[:200])


# --- the title in Moodle's question text, where the emoticon filter reaches it ---------------

SHEETS = ["adam-two-steps-2-1", "convolution-4x4-3x3-maxpool", "blog-2-2-2"]
TITLE = "Quiz (y) or (n), done :-) B-)"


@pytest.mark.parametrize("kind", ["moodle", "moodle-numerical"])
@pytest.mark.parametrize("sheet", SHEETS)
def test_a_title_in_a_moodle_question_is_out_of_the_emoticon_filters_reach(sheet, kind,
                                                                             tmp_path):
    """The README: Moodle's emoticon filter, on by default, turns (h), (n), (y), :-) and the
    rest of its 30 emoticons into icons wherever they appear, so every label, formula and
    feedback is written inside a nolink span; and what a person typed prints as typed. The
    title, which every question's text begins with (the Cloze question and each
    moodle-numerical one, the convolution and Adam sheets' too), is written as a bare <p>:
    a title 'Quiz (y) or (n), done :-) B-)' shows a thumbs-up, a thumbs-down and two smileys
    in every question of the quiz. (tests/test_moodle_classroom.py's restated filter; the
    bundled sheets' titles happen to hold no emoticon, so its own test passes.)"""
    source = (WORKSHEETS / f"{sheet}.yaml").read_text(encoding="utf-8")
    source, count = re.subn(r"^title:.*$", lambda _: "title: " + json.dumps(TITLE), source,
                            count=1, flags=re.M)
    assert count == 1
    (tmp_path / "s.yaml").write_text(source, encoding="utf-8")
    result = run(["build", "s.yaml", "--format", kind, "--out", "out"], tmp_path,
                 timeout=180)
    assert result.code == 0, result.stderr[-1500:]
    texts = _shown_texts(tmp_path / "out" / f"s-{kind}.xml")
    assert texts
    assert any("Quiz (y) or (n)" in text for _, text in texts)  # the title is shown
    for where, text in texts:
        shown, found = emoticon_filter(text)
        assert found == [], (where, found)


# --- check's message of a number with a decimal comma and digits that are not ASCII ----------

@pytest.mark.parametrize("typed", ["１,５", "٣,٥", "0,5e٣"])
def test_check_names_a_number_of_other_digits_as_the_student_typed_it(typed):
    """The README: what a person typed prints as typed. A number with a decimal comma is read
    by _DECIMAL_COMMA, whose \\d (Python's re on str) matches every script's digits, so the
    comma of full-width digits (a Japanese keyboard's １,５) or Arabic-Indic ones is made a
    point before the ASCII check refuses the number: check says "'１.５' has characters that
    are not plain digits" of what the student typed as １,５. The practice page (JavaScript's
    \\d is ASCII only) names it as typed, '１,５': the two disagree on the same answer."""
    with pytest.raises(check.AnswerError) as refused:
        check.parse_number(typed)
    assert f"'{typed}'" in str(refused.value), str(refused.value)
