"""What a class reads, read as a class reads it (issue 24's guards): the text of every bundled
worksheet, key, practice page and feedback page, and of sheets built from random definitions
(every activation, loss and bias style, sizes up to 4-4-4, a batch, the matrix form), taken
from the PDF by pdftotext and from the page by the browser's innerText, holds no word of the
project's own and no LaTeX command, and names the activations in the order of the layers; at
390 and 1280 px nothing on a page is wider than the window or its container outside the
regions marked to scroll, a line of working scrolls only when one side of its equation is
wider than the line, no row of givens scrolls, no two labels of a diagram overlap and no
weight's label meets an arrow other than its own (tests/browser.DIAGRAM_CLASHES); no page of a
PDF is a line or two sent on their own. (Lines set past the margin fail every test that
compiles them, and every .tex of these builds is compiled: tests/conftest.py.)"""

from __future__ import annotations

import csv
import json
import math
import random
import re
import shutil
import subprocess

import pytest

from symbackprop.cli import main
from symbackprop.formats import pdf
from symbackprop.sheets.rules import activation_words

from . import browser, shared_builds
from .conftest import WORKSHEETS

pytestmark = pytest.mark.skipif(not pdf.available() or not shutil.which("pdftotext"),
                                reason="needs pdflatex and pdftotext")

BUNDLED = sorted(p.stem for p in WORKSHEETS.glob("*.yaml"))
# Words of the project's own: a seed (any number, any of the catalogs' words for it), option
# names and any snake_case word, a backslash command left unprinted, a canonical ASCII name
# where mathematics is meant (J[1], net[2][1], dJ/dout), and the tools the numbers were
# checked with, which a class need not know (PyTorch is named where a fact needs it: what a
# convolution or an optimizer computes), and a number in Python's notation (9.86e-32; a
# calculator's 7.414E-1, which the pages' instructions show as a way to type, is not one).
PROJECT_WORDS = re.compile(
    r"\b(?:seeds?|graine|semilla|zufallsstartwert)\b"
    r"|\b[a-z]+(?:_[a-z0-9]+)+\b|\\[A-Za-z]{2,}"
    r"|\b[A-Za-z]+\[\d+\]|\bd[A-Z]\w*/d[a-z]\w*"
    r"|\b(?:SymPy|NumPy|SciPy|torch\.\w+|CPU|engine)\b"
    r"|(?-i:\b\d+(?:\.\d+)?e[-+\u2212]?\d+\b)", re.IGNORECASE)


def _random_definitions(count: int, seed: int = 24):
    """Definitions as a lecturer might write them, drawn over every style the schema has."""
    rng = random.Random(seed)
    for i in range(count):
        depth = rng.choice([1, 2, 2, 3])
        layers = [rng.randint(1, 4) for _ in range(depth + 1)]
        hidden = [rng.choice(["sigmoid", "tanh", "relu", "identity"]) for _ in range(depth - 1)]
        out, loss = rng.choice([("sigmoid", "half_sse"), ("tanh", "mse"), ("identity", "sse"),
                                ("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"),
                                ("sigmoid", "binary_cross_entropy"), ("relu", "half_sse")])
        if out == "softmax":
            layers[-1] = max(2, layers[-1])
        if loss == "binary_cross_entropy":
            layers[-1] = 1
        acts = hidden + [out]
        bias = rng.choice(["shared", "per_neuron", "none"])
        extra = rng.choice(["", "", "values: {examples: 2}\n", "form: matrix\n"])
        if extra.startswith("form") and depth < 2:
            extra = ""
        yield f"random-{i}", acts, (
            f"title: A random sheet {i}\n"
            f"network: {{layers: {layers}, activation: {acts}, loss: {loss}, bias: {bias}}}\n"
            f"seed: {rng.randint(1, 10**6)}\n" + extra)


# the largest size the guards promise, always among them: four neurons in every layer
LARGEST = ("random-4-4-4", ["tanh", "softmax"],
           "title: A random sheet 4-4-4\n"
           "network: {layers: [4, 4, 4], activation: [tanh, softmax], loss: cross_entropy, "
           "bias: per_neuron}\nseed: 444\n")
RANDOM = [*_random_definitions(8), LARGEST]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("classroom")
    sheets = {}
    for name in BUNDLED:
        sheets[name] = WORKSHEETS / f"{name}.yaml"
    for name, _, text in RANDOM:
        (path := out / f"{name}.yaml").write_text(text, encoding="utf-8")
        sheets[name] = path
    asked = {name: (path, ["--format", "pdf", "--format", "html",
                           *(["--versions", "2"] if "versions:" in path.read_text() else [])])
             for name, path in sheets.items()}
    codes = shared_builds.build_all(tmp_path_factory, asked, out / "set")
    assert codes == dict.fromkeys(asked, 0)
    return out / "set"


def _pdf_text(path) -> str:
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return " ".join(text.replace("-\n", "").split())


def _words(text: str) -> list[str]:
    return sorted(set(m.group(0) for m in PROJECT_WORDS.finditer(text)))


def test_no_project_word_in_any_printed_sheet_or_key(built):
    found = {}
    for path in sorted(built.glob("*.pdf")):
        words = _words(_pdf_text(path))
        if words:
            found[path.name] = words
    assert found == {}
    assert len(list(built.glob("*.pdf"))) >= 2 * (len(BUNDLED) + len(RANDOM))


def test_every_tex_a_build_writes_is_compiled(built):
    """Each .tex of every bundled and random sheet has its PDF: compiled under the margin
    watch (tests/conftest.py), none written and left unread by TeX."""
    texs = sorted(built.glob("*.tex"))
    assert [t.name for t in texs if not t.with_suffix(".pdf").is_file()] == []
    assert len(texs) >= 2 * (len(BUNDLED) + len(RANDOM))


@pytest.mark.parametrize("name, acts", [(n, a) for n, a, _ in RANDOM if len(set(a)) > 1])
def test_activations_are_named_in_the_order_of_the_layers(name, acts, built):
    words = activation_words(acts)
    for kind in ("worksheet", "key"):
        assert words in _pdf_text(built / f"{name}-{kind}.pdf")
    page = (built / f"{name}-practice.html").read_text(encoding="utf-8")
    assert words in " ".join(re.sub(r"<[^>]+>", " ", page).split())


@pytest.fixture(scope="module")
def feedback(built, tmp_path_factory):
    """A class of three marked against the class set: their feedback pages."""
    keys = sorted(built.glob("class-set-2-2-2-v0*-key.json"))
    answers = [json.loads(k.read_text())["answers"] for k in keys]
    labels = [a["label"] for a in answers[0]]
    rows = [["name", "version", *labels],
            ["Adébáyọ̀ Müller-Øster", "1", *[a["value"] for a in answers[0]]],
            ["Zoë", "2", *([""] * len(labels))],
            ["Bob", "1", *[round(a["value"], 1) for a in answers[0]]]]
    out = tmp_path_factory.mktemp("marked")
    with open(out / "class.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    keydir = out / "keys"
    keydir.mkdir()
    for k in keys:
        shutil.copy(k, keydir)
    assert main(["mark", str(keydir), str(out / "class.csv"), "--out", str(out / "marks")]) == 0
    pages = sorted((out / "marks").rglob("*.html"))
    assert len(pages) == 3
    return pages


def _pages(built, feedback):
    return sorted(built.glob("*-practice.html")) + feedback


LAYOUT = """
const width = document.documentElement.clientWidth, wide = [];
const overlaps = (() => {""" + browser.DIAGRAM_CLASHES + """})();
// inside a region marked to scroll sideways: one a keyboard can reach (data-scrolls, or a
// region with a tab stop) whose overflow scrolls
const scrolls = el => { for (let a = el; a; a = a.parentElement) {
  const x = getComputedStyle(a).overflowX;
  if ('scrolls' in a.dataset || (a.tabIndex === 0 && (x === 'auto' || x === 'scroll')))
    return true; } return false; };
// wider than its container: a box that runs out of its parent (a table out of its figure),
// where the parent neither scrolls nor clips; an SVG's insides are the diagram check's
const outside = [];
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || scrolls(el) || getComputedStyle(el).position === 'fixed') continue;
  if (r.right > width + 1 || r.left < -1) wide.push(el.tagName + ' ' + el.className);
  const p = el.parentElement;
  if (!p || p.closest('svg') || getComputedStyle(p).overflowX !== 'visible' ||
      getComputedStyle(el).position === 'absolute') continue;
  const q = p.getBoundingClientRect();
  if (r.right > q.right + 1 || r.left < q.left - 1)
    outside.push(el.tagName + '.' + (el.className.baseVal ?? el.className) + ' in ' +
                 p.tagName + '.' + p.className);
}
// a line of working that scrolls though it could wrap: an = inside one <math> (MathML breaks
// no line), where the line might have broken between the equation's sides (html.chain);
// unless it sits in a region named for a screen reader, as a feedback page's working does
for (const f of document.querySelectorAll('.formula, .working')) {
  if (f.scrollWidth <= f.clientWidth + 1 || f.closest('[role=region][aria-label]')) continue;
  for (const m of f.querySelectorAll('math')) {
    const top = m.firstElementChild, inner = top && top.tagName === 'mrow' ? top.children : [];
    if (Array.from(inner).slice(1).some(c => c.tagName === 'mo' && c.textContent === '='))
      outside.push('unbroken at its = ' + f.textContent.slice(0, 30));
  }
}
// a row of givens breaks between its names = values, never scrolls hiding some
for (const g of document.querySelectorAll('.given'))
  if (g.scrollWidth > g.clientWidth + 1)
    outside.push('givens scroll: ' + g.textContent.slice(0, 30));
return {wide: wide.slice(0, 8), outside: outside.slice(0, 8), overlaps: overlaps.slice(0, 8),
        page: document.documentElement.scrollWidth - window.innerWidth,
        text: document.body.innerText};
"""


PARTS = 3  # the pages in three parts, so that the test processes share them


@pytest.mark.parametrize("part", range(PARTS))
@pytest.mark.parametrize("width", [390, 1280])
def test_pages_fit_their_containers_and_diagram_labels_do_not_overlap(width, part, built,
                                                                       feedback):
    driver = browser.start(width=width, height=900, mobile=width < 500)
    problems, words = {}, {}
    try:
        for page in _pages(built, feedback)[part::PARTS]:
            browser.open_page(driver, page)
            seen = driver.execute_script(LAYOUT)
            if seen["wide"] or seen["outside"] or seen["overlaps"] or seen["page"] > 1:
                problems[page.name] = {k: seen[k] for k in ("wide", "outside", "overlaps",
                                                            "page")}
            if found := _words(seen["text"]):
                words[page.name] = found
    finally:
        driver.quit()
    assert problems == {}
    assert words == {}


def test_every_line_of_working_a_key_holds_reads_back_as_mathematics(built):
    """check, the feedback pages and Moodle print a blank's line from the key's forms: each
    must read back (a prime's flag, σ applied, nested equations), else they fall back to the
    canonical names a student cannot read."""
    from symbackprop.sheets import forms_json

    lines = 0
    for key in sorted(built.glob("*-key.json")):
        for answer in json.loads(key.read_text(encoding="utf-8"))["answers"]:
            if "shown" in answer:
                forms_json.from_json(answer["shown"])
                lines += 1
    assert lines > 300


def _worth(form) -> float:
    """What a line of working, the numbers put in, comes to, read as a student reads it (a
    product before a sum; σ, ln, e, tanh and √ as they are). A form with a letter in it has no
    worth: ValueError."""
    from symbackprop.sheets import forms as f

    if isinstance(form, f.Number):
        return form.value
    if isinstance(form, f.Group):
        return _worth(form.x)
    if isinstance(form, f.Neg):
        return -_worth(form.x)
    if isinstance(form, f.Frac):
        return _worth(form.numerator) / _worth(form.denominator)
    if isinstance(form, f.Power):
        base = math.e if isinstance(form.base, f.Symbol) and form.base.letter == "e" \
            else _worth(form.base)
        return base ** _worth(form.exponent)
    if isinstance(form, f.Apply):
        args = [_worth(a) for a in form.arguments]
        return {"σ": lambda x: 1 / (1 + math.exp(-x)), "ln": math.log, "exp": math.exp,
                "tanh": math.tanh, "√": math.sqrt, "max": max}[form.function](*args)
    if isinstance(form, f.Ops):
        items, ops = _as_printed(form)
        terms, sign, product = [], 1.0, _worth(items[0])
        for op, item in zip(ops, items[1:]):
            if op in ("·", "×", ""):
                product *= _worth(item)
            elif op in ("+", "−"):
                terms.append(sign * product)
                sign, product = (1.0 if op == "+" else -1.0), _worth(item)
            else:
                raise ValueError(op)
        return math.fsum(terms + [sign * product])
    raise ValueError(type(form).__name__)


def _as_printed(form):
    """The items and operators of a row as the printers set it: a row inside a row without
    brackets (a Group) is read straight through, as a student reads the page."""
    from symbackprop.sheets import forms as f

    items, ops = [], []
    for i, item in enumerate(form.items):
        if i:
            ops.append(form.ops[i - 1])
        if isinstance(item, f.Ops):
            inner, inner_ops = _as_printed(item)
            items += inner
            ops += inner_ops
        else:
            items.append(item)
    return items, ops


def test_every_line_of_working_comes_to_the_answer_it_prints(built):
    """A key's working with the numbers put in must come to its answer as printed, read as a
    student reads it: a lost bracket (½·0.9 − 0.3899·0.9 − 0.3899 for ½(0.9 − 0.3899)²) reads
    as another number."""
    from symbackprop.sheets import forms, forms_json

    checked, wrong = 0, []
    for key in sorted(built.glob("*-key.json")):
        for answer in json.loads(key.read_text(encoding="utf-8"))["answers"]:
            line = forms_json.from_json(answer["shown"]) if "shown" in answer else None
            if not isinstance(line, forms.Equation) or len(line.sides) < 3:
                continue
            try:
                worth = _worth(line.sides[-2])
            except (ValueError, KeyError, TypeError, ZeroDivisionError):
                continue  # a side with names in it: the general form, not the numbers
            checked += 1
            if not math.isclose(worth, answer["value"], rel_tol=2e-3, abs_tol=2e-3) and not \
                    math.isclose(worth, answer["exact"], rel_tol=2e-3, abs_tol=2e-3):
                wrong.append((key.name, answer["label"], worth, answer["value"]))
    assert wrong == []
    assert checked > 300


def test_a_line_of_working_sets_its_fractions_at_full_size(built, feedback):
    """∂J/∂w₅ on a line of its own is a fraction a pupil reads, not one in a script's size:
    every formula line of a page and every working and quantity of a feedback page is
    displaystyle."""
    lines = 0
    for page in sorted(built.glob("*-practice.html")) + feedback:
        text = page.read_text(encoding="utf-8")
        for m in re.finditer(r'<(?:div|td) class="(?:formula|working|quantity)[^"]*"[^>]*>'
                             r'(?:<span[^>]*>)?<math([^>]*)>', text):
            lines += 1
            full = 'displaystyle="true"' in m.group(1) or 'display="block"' in m.group(1)
            assert full, (page.name, m.group(0)[:120])
    assert lines > 500


def _small_brackets(tex: str) -> list[str]:
    """Each ( … ) of the .tex that holds a fraction (\\frac, set at full size) in brackets of
    the text's size: \\left( … \\right) grows with what it holds, a plain pair does not."""
    found, stack, i = [], [], 0
    while i < len(tex):
        if tex.startswith(r"\left(", i) or tex.startswith(r"\right)", i):
            if tex[i + 1] == "l":
                stack.append((i, True))
            elif stack:
                stack.pop()
            i += 6 if tex[i + 1] == "l" else 7
            continue
        if tex[i] == "\\":  # a command's first character is no bracket of the page: \(, \)
            i += 2
            continue
        if tex[i] == "(":
            stack.append((i, False))
        elif tex[i] == ")" and stack:
            start, sized = stack.pop()
            if not sized and r"\frac" in tex[start:i]:
                found.append(tex[max(0, start - 20):i + 1])
        i += 1
    return found


def test_small_brackets_helper_finds_what_it_should():
    assert _small_brackets(r"$= (\frac{\partial J}{\partial y} \cdot 2)$") != []
    assert _small_brackets(r"$\left(\frac{1}{2}\right) (x + 1) \tfrac{1}{2}(y)$") == []


def test_every_bracket_round_a_fraction_is_as_tall_as_it(built):
    """(∂J/∂out · ∂out/∂net) is set with \\left( \\right), in every bundled sheet, key and
    lesson and every random one: small brackets round a tall fraction read as a misprint."""
    found, read = {}, 0
    for path in sorted(built.glob("*.tex")):
        read += 1
        if small := _small_brackets(path.read_text(encoding="utf-8")):
            found[path.name] = small[:2]
    assert found == {}
    assert read >= 2 * (len(BUNDLED) + len(RANDOM))


HEADING_SIZE = 17  # px in pdftohtml's reckoning: \subsection* and larger, set in bold
TEXT = re.compile(r'<text top="(\d+)" left="\d+" width="\d+" height="\d+" font="(\d+)">'
                  r'(.*?)</text>')


def _headings_at_a_foot(pdf) -> list[tuple[int, str]]:
    """(page, heading) for each page whose last line of text (above the page number) is a
    heading: its section begins on the next page."""
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", "-q", str(pdf)],
                         capture_output=True, text=True, check=True).stdout
    sizes, stranded = {}, []
    for number, page in enumerate(xml.split("<page ")[1:], start=1):
        height = int(re.search(r'height="(\d+)"', page).group(1))
        sizes |= {int(i): (int(s), "Bold" in f or "BX" in f) for i, s, f in re.findall(
            r'<fontspec id="(\d+)" size="(\d+)" family="([^"]+)"', page)}
        # the running head and the page number are not the page's text
        body = [(int(top), int(font), text) for top, font, text in TEXT.findall(page)
                if int(top) > 60 and not (int(top) > 0.75 * height and text.isdigit())]
        if not body:
            continue
        last = max(top for top, _, _ in body)
        foot = [(font, text) for top, font, text in body if top > last - 6]
        if any(sizes[font][0] >= HEADING_SIZE and (sizes[font][1] or text.startswith("<b>"))
               for font, text in foot):
            stranded.append((number, " ".join(re.sub("<[^>]+>", "", t) for _, t in foot)))
    return stranded


@pytest.mark.skipif(not shutil.which("pdftohtml"), reason="needs pdftohtml (poppler)")
def test_no_page_ends_with_a_heading(built):
    """A heading is kept with what follows it: no sheet, key or lesson leaves one at the foot
    of a page and its content on the next."""
    found = {}
    for path in sorted(built.glob("*.pdf")):
        if stranded := _headings_at_a_foot(path):
            found[path.name] = stranded
    assert found == {}


SHORT = 0.06  # of the page's height: three lines of text and a little; a page holds more


def _short_pages(pdf) -> list[tuple[int, float]]:
    """(page, share of the page's height its text spans) for each page whose text, the running
    head and the page number aside, is a few lines: a line or two sent to a page of their own.
    A page with no text at all is a class set's blank back (duplex), not a short page."""
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", "-q", str(pdf)],
                         capture_output=True, text=True, check=True).stdout
    short = []
    for number, page in enumerate(xml.split("<page ")[1:], start=1):
        height = int(re.search(r'height="(\d+)"', page).group(1))
        body = [(int(top), int(tall)) for top, tall, text in re.findall(
            r'<text top="(\d+)" left="\d+" width="\d+" height="(\d+)" font="\d+">(.*?)</text>',
            page) if int(top) > 60 and not (int(top) > 0.75 * height and text.isdigit())]
        if body:
            span = (max(t + h for t, h in body) - min(t for t, _ in body)) / height
            if span < SHORT:
                short.append((number, round(span, 3)))
    return short


@pytest.mark.skipif(not shutil.which("pdftohtml"), reason="needs pdftohtml (poppler)")
def test_no_page_holds_only_a_line_or_two(built):
    """A key's last line is not sent to a page of its own (an Adam key's (an) alone on page
    3): every page of every sheet, key and lesson holds more than three lines of text."""
    found = {}
    for path in sorted(built.glob("*.pdf")):
        if short := _short_pages(path):
            found[path.name] = short
    assert found == {}


def test_the_margin_watch_notes_a_line_past_the_margin(tmp_path, monkeypatch):
    """The guard every compile of the tests runs under (tests/conftest.py): a line 1 pt or
    more past the margin is noted with its PDF's name; one within 1 pt is not."""
    watch = tmp_path / "watch.log"
    monkeypatch.setenv(pdf.WATCH, str(watch))
    source = (r"\documentclass{article}\begin{document}"
              r"\noindent\hbox to 1.5\textwidth{past}\par"
              r"\noindent\hbox to \dimexpr\textwidth+0.5pt\relax{within}\par\end{document}")
    pdf.compile_tex(source, tmp_path / "wide.pdf", preamble_format=False)
    noted = watch.read_text(encoding="utf-8").splitlines()
    assert len(noted) == 1 and noted[0].startswith("wide.pdf: Overfull \\hbox (")
    assert float(re.search(r"\((\d+\.?\d*)pt", noted[0]).group(1)) > 100


BOX_GAP = 12  # pt from the answer-key box's last line to the text under it (the rule, its
# padding and a skip; the box that touched a lesson's introduction left 8.3)


def _gap_under_the_answer_key_box(pdf) -> float | None:
    """From a key's page 1, the gap between the last line of its answer-key note (its lines
    sit 1 or 2 pt apart) and the first line below the box; None when the page has no note."""
    xml = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    words = [(float(top), float(bottom), text) for top, bottom, text in re.findall(
        r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', xml)]
    start = next((i for i, (_, _, text) in enumerate(words)
                  if text == "Answer" and words[i + 1][2] == "key."), None)
    if start is None:
        return None
    lines = sorted({(top, bottom) for top, bottom, _ in words if top >= words[start][0]})
    bottom = lines[0][1]
    for top, tall in lines[1:]:
        if top - bottom > 4:
            return top - bottom
        bottom = max(bottom, tall)
    return None


def test_the_answer_key_box_stands_apart_from_the_text_under_it(built):
    """Review 25: the loss-comparison key's box sat on its introduction's first line. Every
    key (dense, worked, lesson) leaves a skip under its box."""
    gaps = {path.name: _gap_under_the_answer_key_box(path) for path in sorted(
        built.glob("*key.pdf"))}
    measured = {name: round(gap, 1) for name, gap in gaps.items() if gap is not None}
    assert len(measured) >= len(BUNDLED) // 2, gaps
    assert {name: gap for name, gap in measured.items() if gap < BOX_GAP} == {}
