"""Sheets in the class's language: the catalogs complete and compiled, every word a class reads in
French, German and Spanish from them (none of the English sentences left), the language's
decimal comma in every number, and the pages in each language passing what the English ones
pass (Chromium, axe, Moodle's filters and parsers, the feedback pages)."""

from __future__ import annotations

import csv
import gettext
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from symbackprop.cli import main
from symbackprop.definitions.language import LANGUAGES, locale_dir, words
from symbackprop.formats import latex

from . import browser
from .conftest import ROOT, WORKSHEETS
from .hostile import needs_pdf_text, pdf_text
from .test_classroom_guards import LAYOUT
from .test_moodle import SUBQUESTION
from .test_moodle_classroom import _shown_texts, apply_units, emoticon_filter

SETS = {"fr": "french-class-set-2-2-2", "de": "german-class-set-3-3-2",
        "es": "spanish-class-set-2-3-1"}
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)[sd]|%%")


def _catalog(code: str):
    with open(locale_dir() / code / "LC_MESSAGES" / "symbackprop.po", "rb") as f:
        return read_po(f, locale=code)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    """The messages pybabel extract finds in the code and templates today (make catalogs)."""
    pot = tmp_path_factory.mktemp("pot") / "fresh.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F",
                    "babel.cfg", "-k", "N_", "--no-location", "--omit-header", "-o", str(pot),
                    "."], cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_the_template_is_what_the_code_says(extracted):
    """locale/symbackprop.pot holds every message the code and templates mark, and no other."""
    with open(locale_dir() / "symbackprop.pot", "rb") as f:
        committed = {m.id for m in read_po(f) if m.id}
    assert committed == extracted, (sorted(map(str, extracted - committed))[:5],
                                    sorted(map(str, committed - extracted))[:5])
    assert len(extracted) > 200


@pytest.mark.parametrize("code", ["fr", "de", "es"])
def test_every_catalog_is_complete(code, extracted):
    """Every message translated (each plural form), none fuzzy, its placeholders and the spaces
    at its ends kept; the statistics `pybabel compile --statistics` prints."""
    cat = _catalog(code)
    messages = {m.id: m for m in cat if m.id}
    missing = [str(i) for i in extracted if i not in messages]
    untranslated, broken = [], []
    for mid, m in messages.items():
        ids = mid if isinstance(mid, tuple) else (mid,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy or not all(strings):
            untranslated.append(ids[0])
            continue
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            got = set(PLACEHOLDER.findall(s))
            if not (got == wanted or (len(ids) > 1 and got <= wanted)):
                broken.append((ids[0], s))
            if ids[0][:1] == " " != s[:1] or ids[0][-1:] == " " != s[-1:]:
                broken.append((ids[0], s))
    translated = len(messages) - len(untranslated)
    assert (missing, untranslated, broken) == ([], [], []), \
        f"{code}: {translated} of {len(extracted)} messages translated"
    assert translated == len(extracted) > 200


@pytest.mark.parametrize("code", ["fr", "de", "es"])
def test_the_compiled_catalog_is_its_po_file(code):
    """The .mo a sheet reads is the .po compiled (make catalogs ran after the last edit)."""
    fresh = io.BytesIO()
    write_mo(fresh, _catalog(code))
    fresh.seek(0)
    with open(locale_dir() / code / "LC_MESSAGES" / "symbackprop.mo", "rb") as f:
        committed = gettext.GNUTranslations(f)
    assert committed._catalog == gettext.GNUTranslations(fresh)._catalog


def test_the_languages_decimal_signs_are_babels():
    assert [words(c).decimal for c in LANGUAGES] == [".", ",", ",", ","]
    assert words("de").number("-0.0075") == "-0,0075"


# --- what a class reads --------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("languages")
    for name in SETS.values():
        assert main(["build", str(WORKSHEETS / f"{name}.yaml"), "--versions", "2", "--format",
                     "pdf", "--format", "html", "--format", "moodle", "--format",
                     "moodle-numerical", "--format", "scorm", "--out", str(out)]) == 0
    return out


def english_sentences(code: str) -> list[str]:
    """The English messages a sheet in `code` must not hold: each piece between placeholders
    of at least three words, where the translation says it otherwise."""
    pieces = set()
    for m in _catalog(code):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for mid in ids:
            for piece in PLACEHOLDER.split(mid):
                piece = piece.strip(" .,:;()")
                if len(piece.split()) >= 3 and not any(piece in s for s in strings):
                    pieces.add(piece)
    return sorted(pieces)


def page_problems(d, code: str) -> dict:
    """What is wrong with the page open in `d` for a class of language `code`: elements wider
    than the window, diagram labels on each other, a second page, axe's violations, English."""
    seen = d.execute_script(LAYOUT)
    english = [e for e in english_sentences(code) if _flat(e) in _flat(seen["text"])]
    return {"wide": seen["wide"], "overlaps": seen["overlaps"], "page": seen["page"] > 1,
            "axe": browser.axe_violations(d), "english": english[:3]}


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("-\n", ""))


@needs_pdf_text
@pytest.mark.parametrize("code", ["fr", "de", "es"])
def test_a_sheet_and_its_key_hold_no_english_sentence(code, built):
    english = english_sentences(code)
    assert len(english) > 80
    for kind in ("worksheet", "key"):
        text = _flat(pdf_text(built / f"{SETS[code]}-v01-{kind}.pdf"))
        found = [e for e in english if _flat(e) in text]
        assert found == [], (kind, found[:5])
        assert words(code)("Answer key" if kind == "key" else "Worksheet") in text


@needs_pdf_text
@pytest.mark.parametrize("code", ["fr", "de", "es"])
def test_every_number_on_the_sheet_has_the_languages_decimal_comma(code, built):
    """No digit, point, digit on the sheet or its key (a point is a full stop there), and the
    key's answers printed with commas."""
    key = json.loads((built / f"{SETS[code]}-v01-key.json").read_text())
    for kind in ("worksheet", "key"):
        text = pdf_text(built / f"{SETS[code]}-v01-{kind}.pdf")
        assert re.findall(r"\d\.\d", text) == [], kind
    text = _flat(pdf_text(built / f"{SETS[code]}-v01-key.pdf"))
    shown = [f"{abs(a['value']):.4f}".replace(".", ",") for a in key["answers"]
             if abs(a["value"]) < 1 and a["value"] != 0]
    assert len(shown) > 10 and all(s in text for s in shown), \
        [s for s in shown if s not in text][:3]


def test_the_key_says_its_language_and_its_scheme_speaks_it(built):
    key = json.loads((built / f"{SETS['fr']}-v01-key.json").read_text())
    assert key["definition"]["language"] == "fr"
    assert key["scheme"]["messages"]["too_few_decimals"] == words("fr")(
        "right, but rounded to fewer decimals than the sheet asks")


# --- the practice page, in Chromium --------------------------------------------------------


@pytest.fixture(scope="module")
def driver():
    d = browser.start()
    yield d
    d.quit()


@pytest.mark.parametrize("code", ["fr", "de", "es"])
def test_the_page_marks_answers_typed_with_the_languages_comma(code, built, driver):
    page = built / f"{SETS[code]}-v01-practice.html"
    html = page.read_text(encoding="utf-8")
    assert f'<html lang="{code}">' in html
    key = json.loads((built / f"{SETS[code]}-v01-key.json").read_text())
    answers = {a["label"]: f"{a['value']:.{key['definition']['decimals']}f}".replace(".", ",")
               for a in key["answers"]}
    first, second = list(answers)[:2]
    answers[second] = "abc"
    browser.open_page(driver, page)
    browser.paste_answers(driver, answers)
    marks = browser.press_check(driver)
    _ = words(code)
    verdicts = {label: v for label, (v, _d, _w) in marks["marks"].items()}
    assert verdicts[second] == "missing"
    assert all(v == "correct" for label, v in verdicts.items() if label != second)
    shown = {label: text for label, (_v, _d, text) in marks["marks"].items()}
    assert shown[first] == _("Correct")
    assert shown[second] == _("{verdict}: {reason}").format(
        verdict=_("Not a number"),
        reason=_("'{text}' is not a number (write 0.25, 2.5e-3 or 1/4)").format(text="abc"))
    score = driver.find_element("id", "score").text
    assert _("{n} correct, ").format(n=len(answers) - 1).strip().replace("\u00a0", " ") in score
    assert driver.find_element("id", "check").text == _("Check")
    assert browser.axe_violations(driver) == []
    assert browser.console_errors(driver) == []


@pytest.mark.parametrize("width", [390, 1280])
def test_every_page_in_each_language_fits_the_window_and_is_accessible(width, built, marked):
    """The practice pages and a marked student's page of each language at a phone's width and a
    desktop's: nothing wider than the window outside the scroll regions, no diagram label on
    another, no accessibility violation, and none of the English sentences in what they show."""
    d = browser.start(width=width, height=900, mobile=width < 500)
    problems = {}
    try:
        for code, name in SETS.items():
            for page in (built / f"{name}-v01-practice.html", marked[code]):
                browser.open_page(d, page)
                found = page_problems(d, code)
                if any(found.values()):
                    problems[page.name] = found
    finally:
        d.quit()
    assert problems == {}


# --- Moodle ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["moodle", "moodle-numerical"])
@pytest.mark.parametrize("code", ["fr", "de", "es"])
def test_the_moodle_questions_speak_the_language_and_pass_its_filters(code, kind, built):
    """Each question says to type a decimal comma, in the language; its mistakes' feedback is
    the scheme's (the language's); no emoticon is made of a label or a formula; and an answer
    the site stores is the number written (Moodle's apply_units, on a site in that language)."""
    _ = words(code)
    path = built / f"{SETS[code]}-{kind}.xml"
    note = _("Type each answer with a decimal comma (0,25) where this site's language writes "
             "one; a decimal point (0.25) is read right in every language.")
    key = json.loads((built / f"{SETS[code]}-v01-key.json").read_text())
    messages = set(key["scheme"]["messages"].values())
    root = ET.parse(path).getroot()
    feedback = set()
    for q in root[1:]:
        text = q.findtext("questiontext/text")
        assert note.replace("'", "&#x27;") in text or note in text, text[:400]
        if q.get("type") == "multianswer":
            for sub in SUBQUESTION.finditer(text):
                feedback |= set(re.findall(r"#((?:[^~}\\]|\\.)*)", sub.group(9)))
        else:
            feedback |= {a.findtext("feedback/text") for a in q.findall("answer")}
    plain = {re.sub(r"<[^>]+>", "", f).replace("\\}", "}") for f in feedback}
    assert any(m in f for f in plain for m in messages)
    english = english_sentences(code)
    for where, text in _shown_texts(path):
        shown, found = emoticon_filter(text)
        assert found == [], (where, found)
        assert not [e for e in english if e in text], where
    if code == "de":  # a German site: the comma its decimal sign, the point its thousands'
        assert apply_units("0,25", ",", ".")[0] == 0.25


def test_the_scorm_launch_page_is_in_the_language(built):
    import zipfile

    with zipfile.ZipFile(built / f"{SETS['es']}-scorm.zip") as z:
        launch = z.read("index.html").decode()
        page = z.read(f"{SETS['es']}-v01-practice.html").decode()
    assert '<html lang="es">' in launch and '<html lang="es">' in page
    assert words("es")("This is a SCORM package: in a course, the LMS gives each student their "
                       "version here and keeps their score. Opened on its own, each version "
                       "is a practice page that marks itself:") in launch


# --- a class marked ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def marked(built, tmp_path_factory) -> dict[str, Path]:
    """Each language's version 1 marked for one student: a wrong first answer (what follows is
    then carried forward or wrong), one with too few decimals, the rest right."""
    pages = {}
    for code, name in SETS.items():
        folder = tmp_path_factory.mktemp(f"marked-{code}")
        keys = folder / "keys"
        keys.mkdir()
        key = json.loads((built / f"{name}-v01-key.json").read_text())
        (keys / f"{name}-v01-key.json").write_text(json.dumps(key))
        labels = [a["label"] for a in key["answers"]]
        typed = {a["label"]: f"{a['value']:.4f}".replace(".", ",") for a in key["answers"]}
        typed[labels[0]] = "9,9"
        typed[labels[4]] = f"{key['answers'][4]['value']:.2f}".replace(".", ",")
        roster = folder / "marks.csv"
        with open(roster, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["name", "version", *labels])
            w.writerow(["Élise Martin", "1", *(typed[k] for k in labels)])
        assert main(["mark", str(keys), str(roster), "--out", str(folder / "out")]) == 0
        pages[code] = next((folder / "out").glob("*.html"))
    return pages


def test_a_marked_students_feedback_page_is_in_the_sheets_language(built, marked):
    key = json.loads((built / f"{SETS['fr']}-v01-key.json").read_text())
    page = marked["fr"].read_text(encoding="utf-8")
    _ = words("fr")
    assert '<html lang="fr">' in page
    assert _("Incorrect") in page and _("Correct") in page
    expected = f"{key['answers'][0]['value']:.4f}".replace(".", ",").replace("-", "\u2212")
    assert _("expected {value}").format(value=expected) in page.replace("&#39;", "'")
    assert _("Your answer") in page and "Your answer" not in page


@pytest.mark.parametrize("code", sorted(SETS))
def test_check_speaks_the_sheets_language_with_its_decimal_comma(code, built, capsys):
    """A student checking a French (German, Spanish) sheet reads check in that language: the
    count, the first wrong step and its working, the verdicts, the numbers with its comma."""
    key_file = built / f"{SETS[code]}-v01-key.json"
    answers = json.loads(key_file.read_text())["answers"]
    decimals = json.loads(key_file.read_text())["definition"]["decimals"]
    typed = built.parent / f"check-{code}.txt"
    first, second = answers[0], answers[1]
    typed.write_text(f"{first['label']} = {first['value']:.{decimals}f}\n".replace(".", ",")
                     + f"{second['label']} = {second['value'] + 1:.{decimals}f}\n",
                     encoding="utf-8")
    assert main(["check", str(key_file), str(typed)]) == 0
    out = capsys.readouterr().out
    _ = words(code)
    counts = ", ".join(_(text).format(n=n) for text, n in (
        ("{n} correct", 1), ("{n} too few decimals", 0), ("{n} carried forward", 0),
        ("{n} incorrect", 1)))
    assert out.splitlines()[0] == _("{n} of {total} blanks answered: {counts}.").format(
        n=2, total=len(answers), counts=counts)
    for said in (_("{n} correct").format(n=1), _("{n} incorrect").format(n=1),
                 _("First wrong step: ({label}) {quantity}: you wrote {given}, {message}").split(
                     "{")[0], _("working: {working}").split("{")[0].strip(),
                 _("expected {value}").format(value=f"{second['value']:.{decimals}f}".replace(
                     ".", ",").replace("-", "\u2212"))):
        assert said in out, (said, out)
    assert [e for e in english_sentences(code) if e in out] == []
    working = next(line for line in out.splitlines() if line.startswith("  "))
    assert not re.search(r"\d\.\d", working), working  # 0,25·0,29, never 0.25·0.29


# --- what is refused -----------------------------------------------------------------------


def _run(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symbackprop", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env={"PYTHONPATH": str(ROOT),
                                                                 "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("text, said", [
    ("language: it\n", "language: must be one of en, de, es, fr, got the text 'it'"),
    ("language: [fr]\n", "language: must be one of en, de, es, fr"),
])
def test_an_unknown_language_is_refused_in_one_line(text, said, tmp_path):
    d = tmp_path / "d.yaml"
    d.write_text("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\n" + text)
    r = _run("build", str(d), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and said in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
    assert not (tmp_path / "o").exists()


def test_build_language_puts_an_english_definition_in_german(tmp_path):
    d = tmp_path / "d.yaml"
    d.write_text("network: {layers: [2, 2, 1], activation: sigmoid, loss: half_sse}\n"
                 "seed: 4\n")
    assert main(["build", str(d), "--language", "de", "--format", "tex", "--out",
                 str(tmp_path / "o")]) == 0
    tex = (tmp_path / "o" / "d-worksheet.tex").read_text(encoding="utf-8")
    _ = words("de")
    assert _("Backpropagation, step by step") in tex and r"[shorthands=off,ngerman]{babel}" in tex
    assert latex.text(_("Forward pass")) in tex and "Forward pass" not in tex
    key = json.loads((tmp_path / "o" / "d-key.json").read_text())
    assert key["definition"]["language"] == "de"
    answers = tmp_path / "answers.txt"
    answers.write_text(f"a = {key['answers'][0]['value']:.4f}".replace(".", ",") + "\n")
    r = _run("check", str(tmp_path / "o" / "d-key.json"), str(answers), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["answers"][0]["verdict"] == "correct"


def test_the_english_sheets_are_what_they_were(tmp_path):
    """English needs no babel package and no catalog: its preamble holds none, and its key no
    language."""
    assert main(["build", str(WORKSHEETS / "blog-2-2-2.yaml"), "--format", "tex", "--out",
                 str(tmp_path)]) == 0
    assert "babel" not in (tmp_path / "blog-2-2-2-worksheet.tex").read_text()
    assert "language" not in json.loads((tmp_path / "blog-2-2-2-key.json").read_text())[
        "definition"]


def test_adding_a_language_is_adding_its_catalog(tmp_path, monkeypatch):
    """A catalog in locale/ is a language a definition may name; LaTeX's babel name comes from
    CLDR's (and a TeX Live without it sets the sheet without its hyphenation)."""
    from symbackprop.definitions import language
    from symbackprop.formats.tex import babel_name

    folder = tmp_path / "it" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "symbackprop.mo").write_bytes(
        (locale_dir() / "fr" / "LC_MESSAGES" / "symbackprop.mo").read_bytes())
    monkeypatch.setattr(language, "locale_dir", lambda: tmp_path)
    assert language._languages() == ("en", "it")
    assert [babel_name(c) for c in ("en", "fr", "de", "es", "it")] == [
        None, "french", "ngerman", "spanish", "italian"]


def test_the_catalogs_ship_with_the_package():
    assert Path(locale_dir(), "fr", "LC_MESSAGES", "symbackprop.mo").is_file()
