"""A page of shapes (form: matrix) in the class's language: the bundled French convolution
digit, the English convolution and the 64-16-10 digits network built with --language in
French, German and Spanish. Each PDF (pdftotext) is one page holding none of the English
sentences, its subtitle, every caption and its closing note in the language, every matrix's
shape, no number written with a point, and LaTeX's babel in the language."""

from __future__ import annotations

import re
import subprocess

import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import in_language, load, parse
from symbackprop.definitions.language import words
from symbackprop.engine import convshapes, matrixform
from symbackprop.sheets import shapes
from symbackprop.sheets.forms import Prose

from .conftest import WORKSHEETS
from .hostile import needs_pdf_text, pdf_text
from .test_languages import _flat, english_sentences

CONV, DENSE = "convolution-digits-8x8-3x3", "matrix-form-digits-64-16-10"
# (definition, --language or None for the definition's own): each language twice, a
# convolution and a dense network among them
PAGES = [("french-" + CONV, None), (CONV, "de"), (CONV, "es"), (DENSE, "fr"), (DENSE, "de"),
         (DENSE, "es")]
BABEL = {"fr": "french", "de": "ngerman", "es": "spanish,es-minimal"}


def _key(name: str, code: str | None) -> str:
    return f"{name}-{code or 'own'}"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("shapes")
    for name, code in PAGES:
        options = ["--language", code] if code else []
        assert main(["build", str(WORKSHEETS / f"{name}.yaml"), *options, "--format", "pdf",
                     "--format", "tex", "--out", str(out / _key(name, code))]) == 0, name
    return out


def _page(name: str, code: str | None):
    """The page as the sheet model says it (sheets/shapes.py), and the definition."""
    defn = load(WORKSHEETS / f"{name}.yaml")
    defn = in_language(defn, code) if code else defn
    if defn.layered:
        return shapes.convolution(defn, convshapes.shapes(defn.network), [[0.0]]), defn
    return shapes.dense(defn, matrixform.shapes(defn.network)), defn


def _prose_words(prose: Prose) -> list[str]:
    """The note's words between its pieces of mathematics, each as pdftotext finds it."""
    return [p.strip(" .;:,()") for p in prose.parts if isinstance(p, str) and len(p) > 12]


@needs_pdf_text
@pytest.mark.parametrize("name, code", PAGES)
def test_a_page_of_shapes_speaks_the_class_language(name, code, built):
    page, defn = _page(name, code)
    language = code or defn.language
    assert language != "en" and page.language == language
    folder = built / _key(name, code)
    pdf = folder / f"{name}-shapes.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "Pages:           1" in info
    text = _flat(pdf_text(pdf))
    english = english_sentences(language)
    said = {"Flattened, row by row", "Back into the map's shape",
            "each line below is a whole map or layer at once, every matrix with its shape "
            "under it", "two matrices side by side are a matrix product"}
    # the page's own sentences are among the ones looked for
    assert [s for s in said if not any(s in e for e in english)] == []
    assert [e for e in english if _flat(e) in text] == []
    _ = words(language)
    assert _flat(page.subtitle) in text
    assert _flat(page.words) in text
    missing = [c for c in page.captions if _flat(c) not in text]
    assert missing == [] and len(page.captions) == len(page.equations) >= 6
    assert [w for w in _prose_words(page.note) if _flat(w) not in text] == []
    assert "PyTorch" in text or not defn.layered
    assert re.findall(r"\d\.\d", text) == []  # shapes and sizes only: no number with a point
    tex = (folder / f"{name}-shapes.tex").read_text(encoding="utf-8")
    assert f"[shorthands=off,{BABEL[language]}]{{babel}}" in tex


@needs_pdf_text
@pytest.mark.parametrize("name, code", PAGES)
def test_every_matrix_of_the_page_has_its_shape_on_it(name, code, built):
    """Each shape the network's layers make (the image, kernel, map and dense sizes, worked
    here from the definition) is printed, rows × columns."""
    _page_, defn = _page(name, code)
    text = pdf_text(built / _key(name, code) / f"{name}-shapes.pdf")
    net = defn.network
    if defn.layered:
        _c, h, w = net.image.shape
        kh, kw = net.layers[0].kernel
        z = (h - kh + 1, w - kw + 1)
        p = tuple(n // 2 for n in z)  # the 2×2 max pooling
        n, m = p[0] * p[1], net.layers[-1].size
        expected = [(h, w), (kh, kw), z, p, (n, 1), (m, n), (n, m), (m, 1), (1, n)]
    else:
        sizes = net.layers
        expected = [(sizes[i + 1], sizes[i]) for i in range(len(sizes) - 1)] + [
            (s, 1) for s in sizes[1:]] + [(1, sizes[0]), (1, sizes[1])]
    assert [f"{r}×{c}" for r, c in expected if f"{r}×{c}" not in text] == []


def test_every_rule_of_the_engine_has_a_caption_in_every_language():
    """Each equation convshapes makes (max, average or no pooling, a bias or none, each output)
    is captioned from the catalogs, in words other than the English ones."""
    layers = ["{kind: convolution, filters: 1, kernel: 2, activation: tanh}, "
              "{kind: average_pool, size: 2}, {kind: flatten}, "
              "{kind: dense, size: 2, activation: sigmoid}",
              "{kind: convolution, filters: 1, kernel: 2, activation: identity, bias: none}, "
              "{kind: flatten}, {kind: dense, size: 2, activation: softmax}",
              "{kind: convolution, filters: 1, kernel: 3, activation: relu}, "
              "{kind: max_pool, size: 2}, {kind: flatten}, "
              "{kind: dense, size: 3, activation: identity}"]
    rules = set()
    for kinds in layers:
        loss = "cross_entropy" if "softmax" in kinds else "half_sse"
        defn = parse(f"network: {{input: {{channels: 1, height: 6, width: 6}}, layers: "
                     f"[{kinds}], loss: {loss}}}\nform: matrix\n")
        equations = convshapes.shapes(defn.network)
        english = shapes.convolution(defn, equations, [[0.0]])
        for code in ("fr", "de", "es"):
            page = shapes.convolution(in_language(defn, code), equations, [[0.0]])
            same = [c for c, e in zip(page.captions, english.captions) if c == e]
            assert same == [] and page.words != english.words, (code, same)
        rules |= {e.rule for e in equations}
    assert rules == set(shapes._CONV_CAPTIONS)
