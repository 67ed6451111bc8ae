"""A loss named with its formula (½ Σ (t − out)², −ln y, …) is mathematics, not words typed to
look like it (issue 24): the worksheet model holds the formula as a form inside Prose, and the
PDF sets it in math mode while the practice page sets it as MathML, in every language."""

from __future__ import annotations

import re

import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import load
from symbackprop.definitions.language import LANGUAGES, words
from symbackprop.formats.mathml import MathML
from symbackprop.formats.texmath import TexMath
from symbackprop.sheets import lessons
from symbackprop.sheets.forms import Equation, Form, Prose, Symbol
from symbackprop.sheets.rules import LOSS_WORDS, loss_words

from .conftest import WORKSHEETS

# what mathematics typed as words is made of: a sum, a half, a square, a log, a sigmoid
TYPED_MATHEMATICS = re.compile(r"[Σ½²∂σ]|\bln\b|\bJ =")


def _words_of(prose: Prose) -> str:
    return "".join(p for p in prose.parts if isinstance(p, str))


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("loss", sorted(LOSS_WORDS))
def test_a_loss_is_named_in_words_and_written_in_mathematics(loss, language):
    said = loss_words(loss, words(language))
    formulas = [p for p in said.parts if isinstance(p, Form)]
    assert len(formulas) == 1 and isinstance(formulas[0], Equation)
    assert formulas[0].sides[0] == Symbol("J")
    assert not TYPED_MATHEMATICS.search(_words_of(said)), _words_of(said)
    assert len(_words_of(said)) > 10  # the words are there, translated
    tex = TexMath("matrix").prose(said)
    assert re.search(r"\$J = .*\\sum_\{k\}.*\$", tex), tex
    page = MathML().prose(said)
    assert page.count("<math") == 1 and "∑" in page


@pytest.mark.parametrize("stem", ["loss-comparison", "digits-classifier"])
def test_a_lesson_introduction_holds_its_losses_as_mathematics(stem):
    lesson = load(WORKSHEETS / f"{stem}.yaml")
    if stem == "digits-classifier":  # its introduction, without training the networks
        from symbackprop.sheets.digits_lesson import _intro

        intro = _intro(lesson, 1437, 360)
    else:
        intro = lessons.build(lesson).intro
    assert isinstance(intro, Prose)
    assert not TYPED_MATHEMATICS.search(_words_of(intro)), _words_of(intro)
    assert sum(isinstance(p, Form) for p in intro.parts) >= 2  # both losses


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("losses")
    for stem in ("class-set-2-2-2", "loss-comparison", "relu-bce-1-1-1"):
        versions = ["--versions", "1"] if stem.startswith("class-set") else []
        assert main(["build", str(WORKSHEETS / f"{stem}.yaml"), "--format", "tex",
                     "--format", "html", "--out", str(out), *versions]) == 0
    return out


def test_the_printed_and_the_page_s_loss_are_mathematics(built):
    """The Loss section's words in the .tex and on the page: the formula in math mode or as
    MathML, no text-mode ½ or Σ beside the words."""
    for key in sorted(built.glob("*key.tex")):
        # the sheet's own words; the proofs' titles and reasons are the proofs' (not yet
        # mathematics yet)
        tex = key.read_text(encoding="utf-8").split(r"\section*{", 1)[0]
        assert not re.search(r"\$\\Sigma\$|J = \$\\tfrac|\$\^2\$ and", tex), key.name
    dense = (built / "class-set-2-2-2-v01-key.tex").read_text(encoding="utf-8")
    assert r"errors: $J = \tfrac{1}{2} \sum_{k}" in dense
    page = (built / "class-set-2-2-2-v01-practice.html").read_text(encoding="utf-8")
    intro = re.search(r'<p class="intro">Half the sum of squared errors: (.*?)</p>', page)
    # the formula is MathML, held with its full stop in one unbreakable span
    assert intro and re.match(r'(<span class="nowrap">)?<math', intro.group(1))
    lesson = (built / "loss-comparison-practice.html").read_text(encoding="utf-8")
    lead = re.search(r"<p>A classifier(.*?)</p>", lesson, re.S).group(1)
    assert lead.count("<math") >= 6 and "²" not in re.sub(r"<math.*?</math>", "", lead)
