"""What a class reads, beyond the dense sheets test_classroom_guards reads: sheets built from
random definitions of the other kinds (a network on an image, an optimizer's two steps, each
lesson) and the feedback pages `mark` writes from their keys, read as a class reads them
(pdftotext; the browser's innerText at 390 px), hold no word of the project's own (its
PROJECT_WORDS: seeds, option names, canonical names, LaTeX commands, the tools the numbers were
checked with); a convolution says what PyTorch's Conv2d computes, the one place a library is
named for a fact's sake; the loss comparison asks and does not tell, and its squared error
carries the ½ of the loss it names, in its words, its key's numbers and its plots."""

from __future__ import annotations

import csv
import html
import json
import math
import random
import re
import shutil

import numpy as np
import pytest

from symbackprop.cli import main
from symbackprop.formats import pdf

from . import browser, shared_builds
from .test_classroom_guards import _pdf_text, _words

pytestmark = pytest.mark.skipif(not pdf.available() or not shutil.which("pdftotext"),
                                reason="needs pdflatex and pdftotext")

def _convolution(rng: random.Random, i: int) -> str:
    channels, side, kernel = rng.randint(1, 2), rng.choice([4, 5]), rng.choice([2, 3])
    pool = rng.choice(["max_pool", "average_pool"])
    out, loss = rng.choice([("sigmoid", "half_sse"), ("softmax", "cross_entropy"),
                            ("identity", "sse")])
    size = 2 if out == "softmax" else 1
    return (f"title: A random filter {i}\n"
            f"network:\n  input: {{channels: {channels}, height: {side}, width: {side}}}\n"
            f"  layers:\n    - {{kind: convolution, filters: {rng.randint(1, 2)}, "
            f"kernel: {kernel}, activation: {rng.choice(['relu', 'tanh', 'sigmoid'])}}}\n"
            f"    - {{kind: {pool}, size: 2}}\n    - {{kind: flatten}}\n"
            f"    - {{kind: dense, size: {size}, activation: {out}}}\n"
            f"  loss: {loss}\nseed: {rng.randint(1, 10**6)}\n")


def _optimizer(rng: random.Random, i: int) -> str:
    chosen = rng.choice(["{name: adam}", "{name: rmsprop}", "{name: momentum}",
                         "{name: momentum, nesterov: true}", "{name: sgd}"])
    decay = rng.choice(["", "weight_decay: 0.1\n", "weight_decay: {lambda: 0.1, biases: false}\n"])
    if chosen == "{name: sgd}":
        decay = decay or "weight_decay: 0.1\n"  # plain gradient descent is a dense sheet
    layers = [rng.randint(1, 4), 1]  # one neuron: what an optimizer's sheet works
    return (f"title: Two random steps {i}\n"
            f"network: {{layers: {layers}, activation: {rng.choice(['sigmoid', 'identity'])}, "
            f"loss: half_sse, "
            f"bias: {rng.choice(['per_neuron', 'none'])}}}\n"
            f"optimizer: {chosen}\n{decay}learning_rate: 0.1\n"
            # Adam's and RMSprop's steps are small: the bundled sheets' decimals
            f"decimals: {8 if 'adam' in chosen or 'rmsprop' in chosen else 6}\n"
            f"seed: {rng.randint(1, 10**6)}\n")


def _lessons(rng: random.Random) -> list[tuple[str, str]]:
    probabilities = sorted(round(rng.uniform(0.01, 0.99), 2) for _ in range(3))
    starts = [round(rng.uniform(-1.2, 1.2), 1) for _ in range(2)]
    return [
        ("random-losses", f"kind: loss_comparison\ntitle: Which cost?\n"
                          f"lesson: {{probabilities: {probabilities}}}\n"),
        ("random-descent", f"kind: gradient_descent\ntitle: Downhill\n"
                           f"lesson: {{starts: {starts}, learning_rate: 0.05, steps: 3}}\n"),
        ("random-forward", f"kind: forward_matrix\ntitle: A digit, forward\n"
                           f"seed: {rng.randint(1, 10**6)}\n"
                           f"lesson: {{image: {WORKSHEET_DATA}, digit: {rng.randint(0, 9)}, "
                           f"hidden: {rng.randint(2, 6)}, "
                           f"activation: {rng.choice(['sigmoid', 'tanh', 'relu'])}}}\n"),
    ]


WORKSHEET_DATA = "data/uci-digits-sample.csv"


def _definitions(seed: int = 24) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return ([(f"random-conv-{i}", _convolution(rng, i)) for i in range(2)]
            + [(f"random-steps-{i}", _optimizer(rng, i)) for i in range(3)] + _lessons(rng))


RANDOM = _definitions()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from .conftest import WORKSHEETS

    out = tmp_path_factory.mktemp("words")
    shutil.copytree(WORKSHEETS / "data", out / "data")  # the forward lesson's image
    asked = {}
    for name, text in RANDOM:
        (path := out / f"{name}.yaml").write_text(text, encoding="utf-8")
        asked[name] = (path, ["--format", "pdf", "--format", "html"])
    codes = shared_builds.build_all(tmp_path_factory, asked, out / "set")
    assert codes == dict.fromkeys(asked, 0), RANDOM
    return out / "set"


@pytest.fixture(scope="module")
def marked(built, tmp_path_factory):
    """One student for each kind's key, every third answer's sign flipped (so the page shows
    that blank's working): their feedback pages."""
    out = tmp_path_factory.mktemp("words-marked")
    (out / "keys").mkdir()
    rows = [["name", "version"]]
    keys = [built / f"{n}-key.json" for n in ("random-conv-0", "random-steps-0",
                                              "random-losses", "random-forward")]
    labels = []
    for key in keys:
        answers = json.loads(key.read_text(encoding="utf-8"))["answers"]
        labels.append([a["label"] for a in answers])
        # as a teacher types them: positional, never Python's 5.005e-05, which a feedback
        # page shows back as typed
        rows.append([key.stem.removesuffix("-key"), "",
                     *[np.format_float_positional(-a["value"] if i % 3 == 0 else a["value"])
                       for i, a in enumerate(answers)]])
    pages = []
    for key, row, label in zip(keys, rows[1:], labels):
        folder = out / key.stem
        (folder / "keys").mkdir(parents=True)
        shutil.copy(key, folder / "keys")
        with open(folder / "class.csv", "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([["name", "version", *label], row])
        assert main(["mark", str(folder / "keys"), str(folder / "class.csv"), "--out",
                     str(folder / "marks")]) == 0
        pages += sorted((folder / "marks").rglob("*.html"))
    assert len(pages) == len(keys)
    return pages


@pytest.fixture(scope="module")
def page_texts(built, marked):
    """Every practice page's and feedback page's innerText, at a phone's width."""
    driver = browser.start(width=390, height=900, mobile=True)
    texts = {}
    try:
        for page in sorted(built.glob("*-practice.html")) + marked:
            browser.open_page(driver, page)
            texts[page.name] = driver.execute_script("return document.body.innerText")
    finally:
        driver.quit()
    assert len(texts) == len(RANDOM) + len(marked)
    return texts


def test_no_project_word_on_a_random_sheet_or_key(built):
    found = {path.name: words for path in sorted(built.glob("*.pdf"))
             if (words := _words(_pdf_text(path)))}
    assert found == {}
    assert len(list(built.glob("*.pdf"))) >= 2 * len(RANDOM)


def test_no_project_word_on_a_practice_or_feedback_page(page_texts):
    found = {name: words for name, text in page_texts.items() if (words := _words(text))}
    assert found == {}


def test_a_convolution_says_what_it_computes_and_names_no_other_tool(built, page_texts):
    """Issue 23: convolution here is PyTorch's Conv2d, a cross-correlation; the sheet, its key
    and its page say so. No other kind of sheet names PyTorch unless it says what it computes
    as PyTorch does (an optimizer's step)."""
    for name, _ in RANDOM:
        texts = [_pdf_text(built / f"{name}-{kind}.pdf") for kind in ("worksheet", "key")]
        texts.append(page_texts[f"{name}-practice.html"])
        for text in texts:
            if name.startswith("random-conv"):
                assert "Conv2d" in text and "cross-correlation" in text, name
            elif not name.startswith("random-steps"):
                assert "PyTorch" not in text, name


def _losses_key(built) -> dict:
    return json.loads((built / "random-losses-key.json").read_text(encoding="utf-8"))


def test_the_loss_comparison_asks_and_does_not_tell(built):
    """Its subtitle is not its title again, and its introduction (its first paragraph) ends
    with a question for the student to answer, never the conclusion (that is the key's)."""
    text = _pdf_text(built / "random-losses-worksheet.pdf")
    assert text.count("Which cost?") <= 2  # the title and the running head, no subtitle too
    tex = (built / "random-losses-worksheet.tex").read_text(encoding="utf-8")
    (intro,) = [line for line in tex.splitlines() if line.startswith("A classifier")]
    assert intro.rstrip().endswith("?"), intro[-120:]
    assert "faster" not in intro and "That is why" not in intro


def test_the_loss_comparison_s_squared_error_carries_its_half(built):
    """The squared error is ½(1 − y)², as the textbook's ½Σ(t − y)²: the key's costs and
    gradients are its values (worked here from y), and every (1 − y)² the sheet, the key and
    the page print, in words, working and plots, has the ½ before it."""
    key = _losses_key(built)
    answers = {a["name"]: a["exact"] for a in key["answers"]}
    for y in key["definition"]["lesson"]["probabilities"]:
        assert answers[f"SE({y:g})"] == pytest.approx(0.5 * (1 - y) ** 2, rel=1e-9)
        assert answers[f"dSE/dnet({y:g})"] == pytest.approx(-(1 - y) ** 2 * y, rel=1e-9)
        assert answers[f"CE({y:g})"] == pytest.approx(-math.log(y), rel=1e-9)
    for kind in ("worksheet", "key"):
        tex = (built / f"random-losses-{kind}.tex").read_text(encoding="utf-8")
        squares = re.findall(r"(.{0,24})(?:\\left)?\((1 - [y\d.]+)(?:\\right)?\)\^\{?2", tex)
        assert len(squares) >= (2 if kind == "worksheet" else 8)
        assert all(before.rstrip().endswith(r"\tfrac{1}{2}") for before, _ in squares), squares
        plotted = re.findall(r"\{\(1-x\)\^2(/2)?\}", tex)
        assert plotted == ["/2"], plotted  # the plot of the cost, halved too
    page = (built / "random-losses-practice.html").read_text(encoding="utf-8")
    assert "(1 − y)²" in page and "(1 − y)²" not in page.replace("½(1 − y)²", "")


# mathematics set as text: an upright letter with its index in a math fragment (w$_1$), or a
# symbol alone in math with letters beside it ($\partial$net)
UPRIGHT = re.compile(r"[A-Za-z]\$[_^]|\$\\[a-zA-Z]+\$[A-Za-z(]")
MATH_CHARACTERS = re.compile("[₀-₉ᵢⱼₖᵤᵥₘₙ⁰-⁹¹²³⁻ᵀσδΣ∂=⊙½′]")


def test_a_proof_s_title_and_reasons_set_their_formulas_as_mathematics(built):
    """'A weight's own input: ∂net/∂w₁ = x₁' has its formula in math mode in the PDF (never
    w$_1$ upright) and in MathML on the page (no index or ∂ left in the words), in every
    proof a random sheet prints: the dense ones' through the convolution's."""
    titles = 0
    for tex in sorted(built.glob("*.tex")):
        text = tex.read_text(encoding="utf-8")
        proofs = text[text.find(r"\section*{The rules used"):]
        for line in proofs.splitlines():
            if line.startswith((r"\subsection*", r"\proofstep")):
                titles += line.startswith(r"\subsection*")
                assert not UPRIGHT.search(line), (tex.name, line[:160])
    assert titles >= 5
    for page in sorted(built.glob("*-practice.html")):
        text = page.read_text(encoding="utf-8")
        for words in re.findall(r'<div class="proof">\s*<h3>(.*?)</h3>|<span class="reason">'
                                r'(.*?)</span>', text, re.S):
            left = re.sub(r"<math.*?</math>", "", "".join(words), flags=re.S)
            assert not MATH_CHARACTERS.search(html.unescape(left)), (page.name, left[:160])
