"""The lessons and the optimizer sheets in the class's language: a French, a German and a
Spanish lesson and optimizer sheet whose worksheet and key hold none of the English sentences
(pdftotext), every number with the decimal comma, their practice pages in Chromium in the
language (lang, answers typed with a comma marked right, no English, axe clean, nothing past
the window), a lesson marked into a feedback page and exported to Moodle in it; and the
refusal left only for the sheets of a network on an image."""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from symbackprop.cli import main
from symbackprop.definitions.language import words

from . import browser
from .conftest import WORKSHEETS
from .hostile import needs_pdf_text, pdf_text
from .test_classroom_guards import LAYOUT
from .test_languages import _flat, _run, english_sentences

# each language's sheets: a lesson of each kind and an optimizer's steps, with a title in it
# (a teacher's title is printed as written: an English one would be English on the sheet)
LESSONS = {
    "fr": {"french-gradient-descent": "bundled",
           "adam-fr": "title: Deux pas d’Adam\nlanguage: fr\n"
                      "network: {layers: [2, 1], activation: identity, loss: half_sse}\n"
                      "optimizer: {name: adam}\nlearning_rate: 0.1\ndecimals: 8\nseed: 23\n",
           "forward-fr": "kind: forward_matrix\ntitle: Un chiffre, une couche\nlanguage: fr\n"
                         "lesson: {image: data/uci-digits-sample.csv, digit: 4, hidden: 4}\n"},
    "de": {"german-adam-two-steps-2-1": "bundled",
           "descent-de": "kind: gradient_descent\ntitle: Gradientenabstieg\nlanguage: de\n"
                         "lesson: {starts: [0.5, -0.3], learning_rate: 0.05, steps: 6}\n",
           "decay-de": "title: Gewichtsabnahme\nlanguage: de\nnetwork: {layers: [2, 1], "
                       "activation: sigmoid, loss: half_sse}\nweight_decay: 0.1\n"
                       "learning_rate: 0.5\ndecimals: 6\nseed: 5\n"},
    "es": {"spanish-loss-comparison": "bundled",
           "nesterov-es": "title: Dos pasos de Nesterov\nlanguage: es\nnetwork: {layers: [2, 1],"
                          " activation: identity, loss: half_sse}\noptimizer: {name: momentum, "
                          "momentum: 0.9, nesterov: true}\nlearning_rate: 0.1\ndecimals: 6\n"
                          "seed: 3\n",
           "digits-es": "kind: digits_classifier\ntitle: Clasificar dígitos\nlanguage: es\n"
                        "lesson: {data: data/uci-digits.csv.gz, hidden: 4, epochs: 3, "
                        "misclassified: 2, grid: {hidden: [4], learning_rates: [0.5, 2.0]}}\n"},
}
SHEETS = [(code, name) for code, sheets in LESSONS.items() for name in sheets]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Every sheet built as a class gets it: PDFs, practice page, Moodle questions."""
    out, folder = tmp_path_factory.mktemp("lessons"), WORKSHEETS
    for sheets in LESSONS.values():
        for name, text in sheets.items():
            path = folder / f"{name}.yaml"
            if text != "bundled":  # beside the bundled ones: their data files are found
                path = tmp_path_factory.mktemp("defs") / f"{name}.yaml"
                path.write_text(text.replace("data/", f"{folder}/data/"), encoding="utf-8")
            assert main(["build", str(path), "--format", "pdf", "--format", "html",
                         "--format", "moodle", "--out", str(out)]) == 0, name
    return out


@needs_pdf_text
@pytest.mark.parametrize("code, name", SHEETS)
def test_a_lesson_and_its_key_hold_no_english_sentence(code, name, built):
    english = english_sentences(code)
    assert len(english) > 150  # the lessons' and the optimizers' sentences among them
    _ = words(code)
    for kind in ("worksheet", "key"):
        text = _flat(pdf_text(built / f"{name}-{kind}.pdf"))
        found = [e for e in english if _flat(e) in text]
        assert found == [], (kind, found[:5])
        if "adam" in name or "decay" in name or "nesterov" in name:  # a worked sheet's heading
            assert _("Answer key" if kind == "key" else "Worksheet") in text
    key = _flat(pdf_text(built / f"{name}-key.pdf"))
    assert _("Answer key").split()[0] in key


@needs_pdf_text
@pytest.mark.parametrize("code, name", SHEETS)
def test_every_number_has_the_decimal_comma(code, name, built):
    """No digit, point, digit on the sheet or its key (axis ticks and captions included), and
    each answer of the key printed with a comma."""
    key = json.loads((built / f"{name}-key.json").read_text())
    assert key["definition"]["language"] == code
    d = key["definition"]["decimals"]
    for kind in ("worksheet", "key"):
        text = pdf_text(built / f"{name}-{kind}.pdf")
        assert re.findall(r"\d\.\d", text) == [], kind
    text = _flat(pdf_text(built / f"{name}-key.pdf")).replace("−", "-")
    shown = [f"{a['value']:.{d}f}".replace(".", ",") for a in key["answers"]
             if a["value"] != round(a["value"])]
    assert len(shown) >= 2 and [s for s in shown if s not in text] == []


def test_a_lessons_scheme_speaks_its_language(built):
    """What the page and check tell a student about a mistake comes from the catalog."""
    key = json.loads((built / "french-gradient-descent-key.json").read_text())
    _ = words("fr")
    assert key["scheme"]["messages"]["step_uphill"] == _(
        "the step went uphill: the new w is w − η·C′(w), with a minus")
    assert key["scheme"]["messages"]["step_uphill"] != (
        "the step went uphill: the new w is w − η·C′(w), with a minus")


@pytest.fixture(scope="module")
def driver():
    d = browser.start()
    yield d
    d.quit()


@pytest.mark.parametrize("code, name", SHEETS)
def test_the_page_marks_answers_typed_with_a_comma(code, name, built, driver):
    page = built / f"{name}-practice.html"
    browser.marks_comma_answers(driver, page, built / f"{name}-key.json", code)
    assert browser.axe_violations(driver) == []
    assert browser.console_errors(driver) == []


@pytest.mark.parametrize("width", [390, 1280])
def test_every_page_fits_the_window_is_accessible_and_speaks_the_language(width, built):
    d = browser.start(width=width, height=900, mobile=width < 500)
    problems = {}
    try:
        for code, name in SHEETS:
            browser.open_page(d, built / f"{name}-practice.html")
            for summary in d.find_elements("css selector", "details summary"):
                d.execute_script("arguments[0].click()", summary)  # the figures behind "Show"
            seen = d.execute_script(LAYOUT)
            english = [e for e in english_sentences(code) if _flat(e) in _flat(seen["text"])]
            found = {"wide": seen["wide"], "page": seen["page"] > 1,
                     "axe": browser.axe_violations(d), "english": english[:3]}
            if any(found.values()):
                problems[name] = found
    finally:
        d.quit()
    assert problems == {}


def test_a_marked_lessons_feedback_page_is_in_its_language(built, tmp_path):
    key = json.loads((built / "french-gradient-descent-key.json").read_text())
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "french-gradient-descent-key.json").write_text(json.dumps(key))
    labels = [a["label"] for a in key["answers"]]
    typed = {a["label"]: f"{a['value']:.4f}".replace(".", ",") for a in key["answers"]}
    typed[labels[0]] = "9,9"
    with open(tmp_path / "marks.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "version", *labels])
        w.writerow(["Élise Martin", "", *(typed[k] for k in labels)])
    assert main(["mark", str(keys), str(tmp_path / "marks.csv"), "--out",
                 str(tmp_path / "out")]) == 0
    page = next((tmp_path / "out").glob("*.html")).read_text(encoding="utf-8")
    _ = words("fr")
    assert '<html lang="fr">' in page and _("Your answer") in page
    assert _("Incorrect") in page and "Your answer" not in page


@pytest.mark.parametrize("code, name", [("fr", "french-gradient-descent"),
                                        ("de", "german-adam-two-steps-2-1")])
def test_the_moodle_question_says_its_separator_in_the_language(code, name, built):
    _ = words(code)
    note = _("Type each answer with a decimal comma (0,25) where this site's language writes "
             "one; a decimal point (0.25) is read right in every language.")
    text = ET.parse(built / f"{name}-moodle.xml").getroot()[1].findtext("questiontext/text")
    assert note.replace("'", "&#x27;") in text or note in text
    english = [e for e in english_sentences(code) if e in re.sub(r"<[^>]+>", "", text)]
    assert english == []


@pytest.mark.parametrize("name", ["gradient-descent", "adam-two-steps-2-1", "digits-forward"])
def test_build_language_puts_a_lesson_or_an_optimizer_sheet_in_french(name, tmp_path):
    r = _run("build", str(WORKSHEETS / f"{name}.yaml"), "--language", "fr", "--format", "tex",
             "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    tex = next((tmp_path / "o").glob("*-key.tex")).read_text(encoding="utf-8")
    assert r"[shorthands=off,french]{babel}" in tex
    assert json.loads(next((tmp_path / "o").glob("*-key.json")).read_text())[
        "definition"]["language"] == "fr"


def test_the_digits_lesson_in_french_writes_its_key_with_its_long_questions(tmp_path):
    """A French question of the digits lesson runs past 200 characters (the English one is 193):
    the key holds it, and check reads that key."""
    (path := tmp_path / "digits-fr.yaml").write_text(  # a short training: the words are the same
        "kind: digits_classifier\ntitle: Classer des chiffres\nlanguage: fr\nlesson: {data: "
        f"{WORKSHEETS}/data/uci-digits.csv.gz, hidden: 4, epochs: 3, misclassified: 2, "
        "grid: {hidden: [4], learning_rates: [0.5, 2.0]}}\n", encoding="utf-8")
    r = _run("build", str(path), "--format", "tex", "--out", str(tmp_path / "o"))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    path = next((tmp_path / "o").glob("*-key.json"))
    key = json.loads(path.read_text(encoding="utf-8"))

    def texts(part):
        if isinstance(part, str):
            yield part
        elif isinstance(part, list):
            for p in part:
                yield from texts(p)

    assert max(len(t) for a in key["answers"] for t in texts(a["shown"])) > 200
    right = tmp_path / "right.txt"
    right.write_text("".join(f"{a['label']} = {a['value']}\n" for a in key["answers"]),
                     encoding="utf-8")
    r = _run("check", str(path), str(right))
    n, _ = len(key["answers"]), words("fr")
    said = _("{n} of {total} blanks answered: {counts}.").format(
        n=n, total=n, counts=_("{n} correct").format(n=n))  # check speaks the sheet's French
    assert r.returncode == 0 and r.stdout.startswith(said.removesuffix(".")), \
        r.stdout + r.stderr
