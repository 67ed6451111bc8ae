"""What a class reads on every bundled lesson: the text of each worksheet and key (pdftotext)
holds no word of the project's own and no LaTeX; the .tex compiles with no Overfull \\hbox over
1 pt; no two words on a page overlap (tick labels that collide); the practice pages' text, in
Chromium, holds no backslash command either."""

import re
import subprocess
from pathlib import Path

import pytest

from symbackprop.formats import pdf

from . import shared_builds
from .conftest import WORKSHEETS

LESSONS = ["digits-forward", "gradient-descent", "loss-comparison", "digits-classifier"]
PROJECT_WORDS = re.compile(r"[Ss]eed 00\d|half_sse|per_neuron|cross_entropy|[a-z]+_[a-z]+|"
                           r"\\[a-zA-Z]+")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not pdf.available():
        pytest.skip("needs pdflatex")
    out = tmp_path_factory.mktemp("lessons")
    asked = {name: (WORKSHEETS / f"{name}.yaml", ["--format", "pdf", "--format", "html"])
             for name in LESSONS}
    assert shared_builds.build_all(tmp_path_factory, asked, out) == dict.fromkeys(LESSONS, 0)
    return out


@pytest.mark.parametrize("name", LESSONS)
@pytest.mark.parametrize("kind", ["worksheet", "key"])
def test_no_project_word_and_nothing_past_the_margin(built, name, kind, tmp_path):
    target = built / f"{name}-{kind}.pdf"
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert not PROJECT_WORDS.findall(text), PROJECT_WORDS.findall(text)
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                    str(built / f"{name}-{kind}.tex")], cwd=tmp_path, capture_output=True,
                   timeout=120)
    log = (tmp_path / f"{name}-{kind}.log").read_text(errors="replace")
    over = [float(x) for x in re.findall(r"Overfull \\hbox \((\d+\.?\d*)pt too wide", log)]
    assert all(x <= 1 for x in over), over


def _words(pdf_file: Path) -> list[list[tuple[float, float, float, float, str]]]:
    html = subprocess.run(["pdftotext", "-bbox", str(pdf_file), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        pages.append([(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', page)])
    return pages


@pytest.mark.parametrize("name", ["gradient-descent", "loss-comparison"])
def test_no_two_words_on_a_page_overlap(built, name):
    """Tick labels of the surface plot ("2" and "−2") once sat on each other."""
    for kind in ("worksheet", "key"):
        for words in _words(built / f"{name}-{kind}.pdf"):
            for i, a in enumerate(words):
                for b in words[i + 1:]:
                    dx = min(a[2], b[2]) - max(a[0], b[0])
                    dy = min(a[3], b[3]) - max(a[1], b[1])
                    assert not (dx > 1 and dy > 1), (kind, a, b)


@pytest.mark.parametrize("name", ["gradient-descent", "loss-comparison"])
def test_no_page_is_nearly_empty(built, name):
    """Every page but the last of a key holds text down at least a third of its height (the
    loss comparison's worksheet once ended on a page of five lines: its blanks are a table);
    a worksheet's last page may hold only the closing question, with the space left below it
    to answer (kept with it, not dropped at the foot of the page before)."""
    for kind in ("worksheet", "key"):
        pages = _words(built / f"{name}-{kind}.pdf")
        for i, words in enumerate(pages[:-1] if kind == "key" and len(pages) > 1 else pages):
            body = [w for w in words if not re.fullmatch(r"\d+", w[4])]  # not the page number
            closing = kind == "worksheet" and i == len(pages) - 1 > 0 and \
                "What do your numbers say?" in " ".join(w[4] for w in body)
            assert closing or max(w[3] for w in body) > 842 / 3, (kind, len(pages))


def test_practice_pages_show_no_latex(built):
    from .browser import open_page, start

    driver = start(390, 900, mobile=True)
    try:
        for name in LESSONS:
            open_page(driver, built / f"{name}-practice.html")
            text = driver.execute_script("return document.body.innerText")
            assert not re.findall(r"\\[a-zA-Z]+|half_sse|[Ss]eed 00\d", text), name
            wide = driver.execute_script("""
                const W = document.documentElement.clientWidth, out = [];
                for (const el of document.querySelectorAll('main > *'))
                  if (el.getBoundingClientRect().right > W + 1) out.push(el.tagName);
                return out;""")
            assert not wide, (name, wide)
    finally:
        driver.quit()
