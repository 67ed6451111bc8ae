"""A lesson's class marked (`symbackprop mark`): each student's feedback page shows a blank's
question and its working as the dense sheets' pages do, in the page's mathematics (MathML), the
numbers put in, never check's plain line or the key's own names (SE(0.01), dCE/dnet(0.5))."""

from __future__ import annotations

import csv
import json
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal

import pytest

from symbackprop.cli import main

from . import browser
from .conftest import WORKSHEETS

INTERNAL = re.compile(r"\b(?:d?SE|d?CE)(?:/dnet)?\(\d")


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    out = tmp_path_factory.mktemp("lesson-marked")
    assert main(["build", str(WORKSHEETS / "loss-comparison.yaml"), "--format", "html",
                 "--out", str(out / "built")]) == 0
    key = json.loads((out / "built" / "loss-comparison-key.json").read_text())
    labels = [a["label"] for a in key["answers"]]
    # every third answer of the sign flipped: wrong, so its working is shown
    answers = [-a["value"] if i % 3 == 0 else a["value"] for i, a in enumerate(key["answers"])]
    with open(out / "class.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["name", "version", *labels], ["Ana", "", *answers]])
    (out / "keys").mkdir()
    shutil.copy(out / "built" / "loss-comparison-key.json", out / "keys")
    assert main(["mark", str(out / "keys"), str(out / "class.csv"), "--out",
                 str(out / "marks")]) == 0
    (page,) = sorted((out / "marks").rglob("*.html"))
    return key, page


def test_the_questions_and_the_working_are_mathematics(marked):
    key, page = marked
    text = page.read_text(encoding="utf-8")
    quantities = re.findall(r'<td class="quantity"[^>]*>(.*?)</td>', text, re.S)
    assert len(quantities) == len(key["answers"])
    assert all("<math" in q for q in quantities)
    workings = re.findall(r'<div class="working"[^>]*>(.*?)</div>', text, re.S)
    assert len(workings) == len(key["answers"][::3])  # the wrong ones
    assert all("<math" in w for w in workings)
    assert not INTERNAL.search(re.sub(r"<[^>]+>", " ", text))


def test_a_working_puts_the_row_s_numbers_in(marked):
    """(a) asks the squared error at y = 0.01: its working is ½(1 − 0.01)² = 0.4901, computed
    here from the y the row states."""
    key, page = marked
    text = page.read_text(encoding="utf-8")
    row = re.search(r'<tr data-label="a".*?<td class="quantity"[^>]*>(.*?)</td>', text, re.S)
    y = float(re.findall(r"<mn>([^<]+)</mn>", row.group(1))[0])  # the row's "y = 0.01:"
    assert y == 0.01
    working = re.search(r'data-working-for="a".*?<math(.*?)</math>', text, re.S).group(1)
    numbers = re.findall(r"<mn>([^<]+)</mn>", working)
    assert "0.01" in numbers and numbers[:3] == ["1", "2", "1"]  # the form ½(1 − y)² first
    half_up = Decimal(repr((1 - y) ** 2 / 2)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    assert float(numbers[-1]) == float(half_up)  # 0.49005 rounds up, as a class rounds
    assert numbers[-6:-1] == ["1", "2", "1", "0.01", "2"]  # ½(1 − 0.01)², the numbers put in


@pytest.mark.skipif(not shutil.which("chromedriver"), reason="needs Chromium and chromedriver")
@pytest.mark.parametrize("width", [390, 1280])
def test_the_page_fits_its_window(marked, width):
    from .test_classroom_guards import LAYOUT

    _, page = marked
    driver = browser.start(width=width, height=900, mobile=width < 500)
    try:
        browser.open_page(driver, page)
        seen = driver.execute_script(LAYOUT)
    finally:
        driver.quit()
    assert seen["wide"] == [] and seen["page"] <= 1
    assert not INTERNAL.search(seen["text"])
