"""The practice page's instructions show the numbers a student may type to the sheet's own
decimals: an Adam sheet that asks for 8 does not show 0.7414 as its example."""

import html
import re

import pytest

from symbackprop.cli import main

from .conftest import WORKSHEETS


def _instructions(page: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return next(line for line in text.splitlines() if "3/8" in line)


@pytest.mark.parametrize("name, decimals, shown", [
    ("adam-two-steps-2-1", 8, ["0.74141836", "7.4141836E-1", "0,74141836"]),
    ("german-adam-two-steps-2-1", 8, ["0,74141836", "7,4141836E-1", "0.74141836"]),
    ("class-set-2-2-2", 4, ["0.7414", "7.414E-1", "0,7414"])])
def test_the_examples_have_the_decimals_the_sheet_asks(name, decimals, shown, tmp_path):
    assert main(["build", str(WORKSHEETS / f"{name}.yaml"), "--format", "html",
                 "--out", str(tmp_path)]) == 0
    said = _instructions(next(tmp_path.glob("*practice.html")).read_text(encoding="utf-8"))
    assert str(decimals) in said, said
    for number in shown:
        assert number in said, said
    # every example is a number of the same value, 0.741418359 to the sheet's decimals
    for typed in re.findall(r"\d[\d.,]*(?:E-1)?", said.replace("3/8", "")):
        typed = typed.rstrip(".,")  # the sentence's own stop or comma
        if len(typed) > 2:
            value = float(typed.replace(",", ".").replace("E-1", "")) / (10 if "E" in typed else 1)
            assert value == pytest.approx(round(0.741418359, decimals), abs=1e-12), typed
