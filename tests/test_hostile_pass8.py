"""What an eighth hostile pass found at commit 036694c, in the practice page in a real browser
and the class-set PDFs: each test is one broken promise of the README (or of the practice
page's own script), written so that it fails on 036694c and passes once the promise is kept.
Every command runs as its own bounded process (tests/hostile.py); the page runs in Debian's
Chromium (tests/browser.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from symbackprop.marking import check

from . import browser, hostile
from .hostile import BLOG, needs_pdf_text, pdf_text, run

DRAWN = hostile.DRAWN.replace("RATE", "0.5")  # drawn weights, η = 0.5

needs_chromium = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                                    reason="needs Debian's chromium")


# --- the ASCII apostrophe and grave accent in a name or a title --------------------------

@needs_pdf_text
@pytest.mark.parametrize("name", ["O'Brien", "D'Angelo", "N'Golo Kanté", "Ama`ah"])
def test_a_roster_name_with_an_apostrophe_copies_from_the_pdfs_as_typed(name, tmp_path):
    """The README: a roster name 'prints as written', and 'the PDF's text, for copying and
    searching, is the name as typed'. The ASCII apostrophe (U+0027) and grave accent (U+0060)
    go to pdflatex as ' and `, which T1 sets as the typographic quotes ’ and ‘: the name
    O'Brien prints as O’Brien, in the worksheet and in both class-set PDFs, and a search
    for 'O'Brien' in the class set (or a copy of the name into a gradebook) finds nothing.
    (textcomp's \\textquotesingle and \\textasciigrave print the characters typed.)"""
    (tmp_path / "s.yaml").write_text(DRAWN.replace("TITLE", "Roster"), encoding="utf-8")
    (tmp_path / "roster.txt").write_text(f"Ada\n{name}\n", encoding="utf-8")
    result = run(["build", "s.yaml", "--roster", "roster.txt", "--format", "pdf",
                  "--out", "out"], tmp_path, timeout=180)
    assert result.code == 0, result.stderr[-1500:]
    for pdf_name in ("s-v2-worksheet.pdf", "s-class-set.pdf", "s-class-set-keys.pdf"):
        path = tmp_path / "out" / pdf_name
        if not path.exists():  # versions padded to the roster's digits
            path = tmp_path / "out" / pdf_name.replace("-v2-", "-v02-")
        printed = pdf_text(path)
        assert name in printed, (pdf_name, name, [l for l in printed.splitlines()
                                                  if "Name:" in l])


@needs_pdf_text
@pytest.mark.parametrize("key", ["title", "print.course"])
def test_a_title_or_header_with_an_apostrophe_prints_it_as_typed(key, tmp_path):
    """The README: the header and the title are text of which 'every character is printed as
    typed'. A title "Zoë's 2-2-2 net" (printable.py's own example) or a course "Rock 'n' Roll
    101" prints and copies with ’ for each ' typed."""
    typed = "Zoë's 2-2-2 net" if key == "title" else "Rock 'n' Roll 101"
    text = DRAWN.replace("TITLE", json.dumps(typed) if key == "title" else "Given")
    if key == "print.course":
        text += f"print: {{course: {json.dumps(typed)}}}\n"
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    result = run(["build", "s.yaml", "--format", "pdf", "--out", "out"], tmp_path,
                 timeout=180)
    assert result.code == 0, result.stderr[-1500:]
    printed = pdf_text(tmp_path / "out" / "s-worksheet.pdf")
    assert typed in printed, (typed, printed[:300])


# --- the practice page in Chromium ---------------------------------------------------------

@pytest.fixture(scope="module")
def blog_page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("page8")
    result = run(["build", str(BLOG), "--format", "html", "--out", "out"], folder)
    assert result.code == 0, result.stderr
    return folder / "out" / "blog-2-2-2-practice.html"


@pytest.fixture(scope="module")
def driver():
    d = browser.start()
    yield d
    d.quit()


# a ZERO WIDTH NO-BREAK SPACE (a byte-order mark pasted with a number from a document), a
# NEXT LINE (U+0085) and an INFORMATION SEPARATOR (U+001F) around a right answer
AROUND = {"a BOM before": "\ufeff0.377500000", "a NEL after": "0.377500000\u0085",
          "a BOM after": "0.377500000\ufeff", "a NEL before": "\u00850.377500000"}


@needs_chromium
@pytest.mark.parametrize("case", list(AROUND))
def test_the_page_accepts_what_check_accepts_around_a_number(case, blog_page, driver):
    """The README: the page 'accepts what check accepts'. The page trims with JavaScript's
    String.trim(), which removes U+FEFF but not U+0085; check trims with Python's str.strip(),
    which removes U+0085 but not U+FEFF. So '\\ufeff0.377500000' (a pasted number with a BOM)
    is Correct on the page and refused by check ('has characters that are not plain digits'),
    and '0.377500000\\u0085' is right for check and 'Not answered' on the page."""
    text = AROUND[case]
    browser.open_page(driver, blog_page)
    driver.execute_script(  # as pasted: the value set whole, then the input event
        "const box = document.querySelector('input[data-label=a]'); box.value = arguments[0];"
        "box.dispatchEvent(new Event('input'));", text)
    shown = browser.press_check(driver)["marks"]["a"]
    try:
        check.parse_number(text)
    except check.AnswerError as exc:
        assert shown[0] == "missing" and str(exc) in shown[2], (case, shown, str(exc))
    else:
        assert shown[0] == "correct", (case, shown)


@needs_chromium
def test_an_answer_edited_after_check_takes_its_revealed_working_away(blog_page, driver):
    """templates/practice.js, unjudge(): 'A blank edited since Check: its verdict, its mistake
    and its working go until the next Check'. The verdict and the mistake go, but a working
    revealed by 'Show the working' stays on the page (and its button stays), beside a blank
    that now holds another answer and no verdict."""
    browser.open_page(driver, blog_page)
    browser.type_answers(driver, {"b": "0.1"})
    assert browser.press_check(driver)["marks"]["b"][0] == "incorrect"
    driver.find_element(By.CSS_SELECTOR, 'button.reveal[data-for="b"]').click()
    working = driver.find_element(By.ID, "working-b")
    assert working.is_displayed()
    driver.find_element(By.CSS_SELECTOR, 'input[data-label="b"]').send_keys("5")
    verdict = driver.execute_script(
        "return document.querySelector('[data-verdict-for=b]').dataset.verdict")
    assert verdict == ""  # the verdict went
    assert not working.is_displayed()
