"""The convolution worksheets in the class's language: a French, a German and a Spanish
convolution sheet (one filter and max pooling; two filters over two channels; average pooling
into softmax; two channels through one filter without a bias) whose worksheet and key hold none
of the English sentences (pdftotext), every number with the decimal comma, the given image and
kernels included; their practice pages in Chromium in the language (lang, answers typed with a
comma marked right, no English, axe clean, nothing past the window at 390 and 1280 px), a
French class's answers marked into feedback pages in French, and build --language of the
English sheet (a convolution's page of shapes in each language: test_shapes_languages.py)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from symbackprop.cli import main
from symbackprop.definitions.language import words

from . import browser
from .conftest import WORKSHEETS
from .hostile import needs_pdf_text, pdf_text
from .test_classroom_guards import LAYOUT
from .test_languages import _flat, _run, english_sentences, page_problems

SHEETS = {
    "french-convolution-4x4-3x3-maxpool": ("fr", "bundled"),
    "german-convolution-2ch-3x3-2filters": ("de", "bundled"),
    "spanish-convolution-4x4-average-softmax": ("es", "bundled"),
    "channels-fr": ("fr", "title: Deux canaux, un filtre\nlanguage: fr\nnetwork:\n"
                          "  input: {channels: 2, height: 3, width: 3}\n  layers:\n"
                          "    - {kind: convolution, filters: 1, kernel: 2, activation: sigmoid,"
                          " bias: none}\n    - {kind: flatten}\n"
                          "    - {kind: dense, size: 2, activation: identity}\n"
                          "  loss: half_sse\ndecimals: 3\nseed: 4\n"),
}
NAMES = list(SHEETS)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("conv")
    for name, (_code, text) in SHEETS.items():
        path = WORKSHEETS / f"{name}.yaml"
        if text != "bundled":
            path = tmp_path_factory.mktemp("defs") / f"{name}.yaml"
            path.write_text(text, encoding="utf-8")
        assert main(["build", str(path), "--format", "pdf", "--format", "html", "--format",
                     "moodle", "--out", str(out)]) == 0, name
    return out


@needs_pdf_text
@pytest.mark.parametrize("name", NAMES)
def test_a_convolution_sheet_and_its_key_hold_no_english_sentence(name, built):
    code = SHEETS[name][0]
    english = english_sentences(code)
    assert len(english) > 200  # the convolution sheets' sentences among them
    assert any(e.startswith("Lay the kernel on the image as it is") for e in english)
    _ = words(code)
    for kind in ("worksheet", "key"):
        text = _flat(pdf_text(built / f"{name}-{kind}.pdf"))
        found = [e for e in english if _flat(e) in text]
        assert found == [], (kind, found[:5])
        assert _("Answer key" if kind == "key" else "Worksheet") in text
        assert _("The kernel's gradient").split(",")[0] in text
        assert "PyTorch" in text  # the cross-correlation sentence, said in the language
        assert _flat(_("The rules used, with proofs")) in text


@needs_pdf_text
@pytest.mark.parametrize("name", NAMES)
def test_every_number_on_a_convolution_sheet_has_the_decimal_comma(name, built):
    """No digit, point, digit on the sheet or its key (the image, the kernels, the givens, the
    working), and each answer of the key printed with its comma."""
    code = SHEETS[name][0]
    key = json.loads((built / f"{name}-key.json").read_text())
    assert key["definition"]["language"] == code
    d = key["definition"]["decimals"]
    for kind in ("worksheet", "key"):
        text = pdf_text(built / f"{name}-{kind}.pdf")
        assert re.findall(r"\d\.\d", text) == [], kind
    image = key["definition"]["lesson"]["image"]
    first = image[0][0] if isinstance(image[0][0], (int, float)) else image[0][0][0]
    text = _flat(pdf_text(built / f"{name}-worksheet.pdf")).replace("−", "-")
    assert f"{first:g}".replace(".", ",") in text  # the given image, with its comma
    text = _flat(pdf_text(built / f"{name}-key.pdf")).replace("−", "-")
    shown = [f"{a['value']:.{d}f}".replace(".", ",") for a in key["answers"]
             if a["value"] != round(a["value"])]
    assert len(shown) >= 10 and [s for s in shown if s not in text] == []


def test_a_convolution_sheets_scheme_speaks_its_language(built):
    key = json.loads((built / "french-convolution-4x4-3x3-maxpool-key.json").read_text())
    said = key["scheme"]["messages"]["kernel_flipped"]
    assert said.startswith("le noyau a été tourné de 180°")


@pytest.fixture(scope="module")
def driver():
    d = browser.start()
    yield d
    d.quit()


@pytest.mark.parametrize("name", NAMES[:3])
def test_the_convolution_page_marks_answers_typed_with_a_comma(name, built, driver):
    code = SHEETS[name][0]
    page = built / f"{name}-practice.html"
    browser.marks_comma_answers(driver, page, built / f"{name}-key.json", code)
    text = driver.execute_script("return document.body.innerText")
    english = [e for e in english_sentences(code) if _flat(e) in _flat(text)]
    assert english == []
    cells = driver.find_elements("css selector", "table.given-grid td[aria-label]")
    assert cells and all("." not in c.get_attribute("aria-label") for c in cells)
    assert browser.axe_violations(driver) == []
    assert browser.console_errors(driver) == []


def test_the_convolution_moodle_question_is_in_its_language(built):
    text = (built / "german-convolution-2ch-3x3-2filters-moodle.xml").read_text(encoding="utf-8")
    _ = words("de")
    assert "Merkmalskarte" in text and "Kreuzkorrelation" in text
    assert "feature map" not in text and "cross-correlation" not in text


def test_build_language_puts_the_english_convolution_sheet_in_german(tmp_path):
    r = _run("build", str(WORKSHEETS / "convolution-4x4-3x3-maxpool.yaml"), "--language", "de",
             "--format", "tex", "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    tex = next((tmp_path / "o").glob("*-worksheet.tex")).read_text(encoding="utf-8")
    assert r"[shorthands=off,ngerman]{babel}" in tex and "Merkmalskarte" in tex
    assert "feature map" not in tex
    key = json.loads(next((tmp_path / "o").glob("*-key.json")).read_text())
    assert key["definition"]["language"] == "de"


@pytest.mark.parametrize("width", [390, 1280])
def test_every_convolution_page_fits_the_window_and_speaks_its_language(width, built):
    """At a phone's and a laptop's width, with the figures behind "Show" opened: nothing past
    its container or the window, axe clean, no English sentence."""
    d = browser.start(width=width, height=900, mobile=width < 500)
    problems = {}
    try:
        for name in NAMES:
            code = SHEETS[name][0]
            browser.open_page(d, built / f"{name}-practice.html")
            for summary in d.find_elements("css selector", "details summary"):
                d.execute_script("arguments[0].click()", summary)
            found = page_problems(d, code)
            if any(found.values()):
                problems[name] = found
    finally:
        d.quit()
    assert problems == {}


@pytest.mark.parametrize("name", ["french-convolution-4x4-3x3-maxpool",
                                  "german-convolution-2ch-3x3-2filters"])
def test_a_marked_convolution_sheets_feedback_pages_are_in_its_language(name, built, tmp_path):
    """A class's answers typed with commas, one of them wrong, marked by `mark`: each
    student's feedback page in the sheet's language (lang, its words, no English sentence, the
    key's numbers with the comma) and, at 390 and 1280 px, nothing wider than its container."""
    code = SHEETS[name][0]
    key = json.loads((built / f"{name}-key.json").read_text())
    d = key["definition"]["decimals"]
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / f"{name}-key.json").write_text(json.dumps(key))
    labels = [a["label"] for a in key["answers"]]
    typed = {a["label"]: f"{a['value']:.{d}f}".replace(".", ",") for a in key["answers"]}
    right = dict(typed)
    typed[labels[0]] = "9,5"
    with open(tmp_path / "marks.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "version", *labels])
        w.writerow(["Élise Martin", "", *(typed[k] for k in labels)])
        w.writerow(["Jonas Weiß", "", *(right[k] for k in labels)])
    assert main(["mark", str(keys), str(tmp_path / "marks.csv"), "--out",
                 str(tmp_path / "out")]) == 0
    pages = sorted((tmp_path / "out").rglob("*.html"))
    assert len(pages) >= 2, pages
    _ = words(code)
    english = english_sentences(code)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert f'<html lang="{code}">' in html
        text = _flat(re.sub(r"<[^>]+>", " ", html))
        assert _("Your answer") in html and "Your answer" not in html
        assert [e for e in english if _flat(e) in text] == [], page.name
    elise = next(p for p in pages if "lise" in p.name).read_text(encoding="utf-8").replace(
        "\u2212", "-")  # the page's minus sign
    assert _("Incorrect") in elise
    shown = [v for v in right.values() if "," in v]
    assert len(shown) >= 5 and [v for v in shown if v not in elise] == []
    for width in (390, 1280):
        drv = browser.start(width=width, height=900, mobile=width < 500)
        try:
            for page in pages:
                browser.open_page(drv, page)
                seen = drv.execute_script(LAYOUT)
                assert seen["wide"] == [] and seen["page"] <= 1, (width, page.name, seen)
                assert browser.axe_violations(drv) == [], (width, page.name)
        finally:
            drv.quit()
