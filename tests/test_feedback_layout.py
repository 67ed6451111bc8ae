"""Feedback pages as a student sees them at 390 and 1280 px: no element wider than its
container, the mark column readable, a quantity's name never broken inside a word."""

import shutil

import pytest

from symbackprop.cli import main

from .conftest import WORKSHEETS

pytestmark = pytest.mark.skipif(not shutil.which("chromedriver"), reason="needs chromedriver")

# every element's box against its parent's; each name cell's words on one line each
MEASURE = """
const wide = [];
for (const el of document.querySelectorAll('main *, header *')) {
  const p = el.parentElement, r = el.getBoundingClientRect(), q = p.getBoundingClientRect();
  if (el.closest('.working')) continue;  // the working scrolls sideways in its own region
  if (r.width > q.width + 1 && getComputedStyle(p).overflowX === 'visible')
    wide.push(el.tagName + '.' + el.className + ' ' + r.width + '>' + q.width);
}
const broken = [];
for (const span of document.querySelectorAll('td.quantity span')) {
  if (span.getClientRects().length > 1) broken.push(span.textContent);
}
const mark = document.querySelector('td.mark').getBoundingClientRect().width;
return [wide, broken, mark, document.documentElement.scrollWidth, innerWidth];
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feedback")
    keys = tmp / "keys"
    assert main(["build", str(WORKSHEETS / "class-set-2-2-2.yaml"), "--versions", "2",
                 "--format", "html", "--out", str(keys)]) == 0
    import json

    key = json.loads((keys / "class-set-2-2-2-v01-key.json").read_text())
    labels = [a["label"] for a in key["answers"]]
    wrong = ["0.1234"] * len(labels)  # every blank marked wrong: a diagnosis and working each
    (tmp / "class.csv").write_text("name,version," + ",".join(labels) + "\n"
                                   + "Nguyễn Thị Minh Khai,1," + ",".join(wrong) + "\n",
                                   encoding="utf-8")
    out = tmp / "marks"
    assert main(["mark", str(keys), str(tmp / "class.csv"), "--out", str(out)]) == 0
    return next(out.glob("feedback-*.html"))


@pytest.mark.parametrize("width", [390, 1280])
def test_feedback_page_fits_and_names_stay_whole(page, width, tmp_path):
    from .browser import open_page, start

    driver = start(width=width, mobile=width < 500)
    try:
        open_page(driver, page)
        wide, broken, mark, scroll, inner = driver.execute_script(MEASURE)
        driver.save_screenshot(str(tmp_path / f"feedback-{width}.png"))
    finally:
        driver.quit()
    assert wide == [] and broken == []
    assert scroll <= inner  # nothing scrolls the page sideways
    assert mark >= (300 if width < 500 else 220)  # a line of words, not four letters
