"""What a seventh hostile pass found at commit a3145d2, in what changed last (check's text
report, the rounding of halves with decimals up to 12 and large numbers): each test is one
broken promise of the README, written so that it fails on a3145d2 and passes once the promise
is kept. Every command runs as its own bounded process (tests/hostile.py)."""

from __future__ import annotations

import json

from .hostile import run

# A 2-2-2 sheet with one given weight of 12 decimals, asked to 12 decimals (decimals: 0..12).
TWELVE = """\
title: Given
network: {layers: [2, 2, 2], activation: sigmoid, loss: half_sse, bias: shared}
values:
  inputs: [0.05, 0.10]
  targets: [0.01, 0.99]
  weights: [[[0.15, 0.123456789012], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
  biases: [[0.35], [0.60]]
learning_rate: 0.5
decimals: 12
"""

# net[1][1] = 1234.5678901235 · 1.0000000004 = 1234.5678906173271560494, exactly, from
# numbers the sheet prints as given: to 12 decimals it is 1234.567890617327.
LARGE = """\
title: Rounding
network: {layers: [2, 1, 1], activation: sigmoid, loss: half_sse, bias: shared}
values:
  inputs: [1.0000000004, 1]
  targets: [0.5]
  weights: [[[1234.5678901235, 0]], [[0.5]]]
  biases: [[0], [0]]
learning_rate: 0.5
decimals: 12
"""


def test_a_given_number_of_twelve_decimals_is_printed_as_given(tmp_path):
    """A Number without decimals is printed 'as given (the shortest form that is the number)'
    (sheets/forms.py), and a definition may ask for 12 decimals; but Number.shown writes a
    given with f'{value:.10f}', so the weight 0.123456789012 is printed on the worksheet as
    0.123456789: the student works with another number than the key's, which is computed
    from 0.123456789012 (and a given 7e-13 is printed as 0). The sheet should print the
    given number it computes with, or the definition be refused naming the weight."""
    (tmp_path / "g.yaml").write_text(TWELVE, encoding="utf-8")
    result = run(["build", "g.yaml", "--format", "tex", "--out", "out"], tmp_path)
    assert result.code in (0, 2), result.stderr[-1500:]
    if result.code == 0:
        sheet = (tmp_path / "out" / "g-worksheet.tex").read_text(encoding="utf-8")
        assert "0.123456789012" in sheet, [line for line in sheet.splitlines()
                                           if "w^{(1)}_{12}" in line][:1]


def test_twelve_decimals_of_a_number_over_a_thousand_round_the_twelfth_decimal(tmp_path):
    """rounded() (definitions/rounding.py) reads the number to 15 significant digits before
    it rounds; with decimals: 12 a number of 1,000 or more has 16 or more, so its 12th decimal
    is rounded away first: net[1][1] = 1234.5678906173271560494 from the printed givens is
    keyed 1234.567890617330, and check marks the right 1234.567890617327 'incorrect'
    (expected 1234.567890617330)."""
    (tmp_path / "r.yaml").write_text(LARGE, encoding="utf-8")
    built = run(["build", "r.yaml", "--format", "tex", "--out", "out"], tmp_path)
    assert built.code == 0, built.stderr[-1500:]
    key = json.loads((tmp_path / "out" / "r-key.json").read_text(encoding="utf-8"))
    assert key["answers"][0]["name"] == "net[1][1]"
    (tmp_path / "a.txt").write_text("a = 1234.567890617327\n", encoding="utf-8")
    result = run(["check", "out/r-key.json", "a.txt", "--json"], tmp_path)
    assert result.code == 0, result.stderr[-1500:]
    verdict = json.loads(result.stdout)["answers"][0]
    assert verdict["verdict"] == "correct", verdict


def test_check_says_what_the_student_wrote_with_its_digits(tmp_path):
    """check's report says 'you wrote 0.3, expected 0.3775' and lists each answer; but it
    writes the student's number with 6 significant digits: on a 12-decimal sheet the answer
    1234.567890617327 is reported as 'you wrote 1234.57' and listed as '1234.57 incorrect',
    which is not what was written, and an answer right to 12 decimals is listed as if cut to 2."""
    (tmp_path / "r.yaml").write_text(LARGE, encoding="utf-8")
    built = run(["build", "r.yaml", "--format", "tex", "--out", "out"], tmp_path)
    assert built.code == 0, built.stderr[-1500:]
    (tmp_path / "a.txt").write_text("a = 1234.567890617000\n", encoding="utf-8")
    result = run(["check", "out/r-key.json", "a.txt"], tmp_path)
    assert result.code == 0, result.stderr[-1500:]
    assert "1234.57 " not in result.stdout, result.stdout[:800]
    assert "1234.567890617" in result.stdout.split("expected")[0], result.stdout[:800]
