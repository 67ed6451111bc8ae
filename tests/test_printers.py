"""Each driver's printer of the worksheet model's mathematics, tested for what it shows: the
MathML of every bundled practice page parsed and read structurally (ln with its argument, a
prime in its superscript, a negative number in parentheses after an operator, minus signs that
are minus signs, no LaTeX), the LaTeX of every kind of form compiled by pdflatex, the plain text
read as words."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET

import pytest
import sympy as sp

from symbackprop.cli import main
from symbackprop.formats import pdf
from symbackprop.formats.mathml import MathML
from symbackprop.formats.plaintext import PlainText, expression
from symbackprop.formats.texmath import TexMath
from symbackprop.sheets import forms as f

from .conftest import WORKSHEETS

M = "{http://www.w3.org/1998/Math/MathML}"
PAGES = ["blog-2-2-2", "loss-comparison", "gradient-descent", "matrix-form-3-4-2",
         "batch-of-two-2-2-2", "digits-forward", "han-kamber-3-2-1"]
TANH_SOFTMAX = """title: Tanh and softmax
network: {layers: [3, 3, 2], activation: [tanh, softmax], loss: cross_entropy, bias: per_neuron}
seed: 11
ask: ["W[2][1][1]", "W[1][1][1]", "dJ/dnet[1][2]"]
"""


@pytest.fixture(scope="module")
def maths(tmp_path_factory) -> dict[str, list[ET.Element]]:
    """Every <math> element of each page, parsed as XML."""
    out = tmp_path_factory.mktemp("pages")
    (out / "tanh-softmax.yaml").write_text(TANH_SOFTMAX)
    found = {}
    for name in PAGES + ["tanh-softmax"]:
        source = out / f"{name}.yaml" if name == "tanh-softmax" else WORKSHEETS / f"{name}.yaml"
        assert main(["build", str(source), "--format", "html", "--out", str(out)]) == 0
        page = (out / f"{name}-practice.html").read_text(encoding="utf-8")
        found[name] = [ET.fromstring(m) for m in re.findall(r"<math\b.*?</math>", page, re.S)]
        assert found[name], name
    return found


def _all(maths) -> list[tuple[str, ET.Element]]:
    return [(name, m) for name, ms in maths.items() for m in ms]


def _text(el: ET.Element) -> str:
    return "".join(el.itertext())


def test_no_latex_and_no_hyphen_for_a_minus(maths):
    for name, m in _all(maths):
        assert "\\" not in _text(m), (name, _text(m))
        for mo in m.iter(f"{M}mo"):
            assert mo.text != "-", (name, ET.tostring(m, encoding="unicode")[:300])
        for mn in m.iter(f"{M}mn"):
            assert not (mn.text or "").startswith("-"), (name, mn.text)


def test_ln_is_followed_by_its_argument(maths):
    seen = 0
    for name, m in _all(maths):
        for parent in m.iter():
            children = list(parent)
            for i, child in enumerate(children):
                if child.tag == f"{M}mi" and child.text == "ln":
                    seen += 1
                    assert i + 2 < len(children) + 1 and children[i + 1].tag == f"{M}mo" and \
                        children[i + 1].text == "\u2061", (name, ET.tostring(parent))
                    assert i + 2 < len(children), (name, "ln with nothing after it")
    assert seen >= 6  # the loss comparison's −ln y, cross-entropy's t ln out, the proofs


def test_a_prime_is_a_superscript_of_what_it_primes(maths):
    seen = 0
    for name, m in _all(maths):
        for mi in m.iter(f"{M}mi"):
            assert "'" not in (mi.text or "") and "′" not in (mi.text or ""), (name, mi.text)
        for sup in m.iter(f"{M}msup"):
            base, script = list(sup)
            if script.tag == f"{M}mo" and script.text == "′":
                seen += 1
                assert base.tag == f"{M}mi" and base.text in ("f", "C", "ReLU", "σ"), base.text
    assert seen >= 4  # C′(w) on the descent page, f′(net) on the matrix page


def _is_negative_number(el: ET.Element) -> bool:
    kids = list(el)
    return el.tag == f"{M}mrow" and len(kids) == 2 and kids[0].tag == f"{M}mo" and \
        kids[0].text == "−" and kids[1].tag == f"{M}mn"


def _leads_with_a_negative_number(el: ET.Element) -> bool:
    """−0.37 itself, or a row that starts with it (−0.37 · 0.75): what follows + reads so."""
    while not _is_negative_number(el) and el.tag == f"{M}mrow" and len(el):
        el = el[0]
    return _is_negative_number(el)


def test_a_negative_number_after_an_operator_is_in_parentheses(maths):
    binary = {"·", "+", "−", "×", "⊙"}
    for name, m in _all(maths):
        for row in m.iter(f"{M}mrow"):
            kids = list(row)
            for a, b in zip(kids, kids[1:]):
                if a.tag == f"{M}mo" and a.text in binary:
                    assert not _leads_with_a_negative_number(b), (
                        name, ET.tostring(row, encoding="unicode"))


def test_a_product_that_starts_negative_after_a_plus_is_parenthesized_by_every_printer():
    """0.18·0.48 + (−0.37)·0.75, never + −0.37·0.75 (nor TeX's + {-0.37} \\cdot 0.75)."""
    product = f.Ops((f.Number(-0.37), f.Number(0.75)), ("·",))
    line = f.Ops((f.Ops((f.Number(0.18), f.Number(0.48)), ("·",)), product), ("+",))
    assert PlainText()(line) == "0.18·0.48 + (−0.37)·0.75"
    assert TexMath("matrix").print(line) == r"0.18 \cdot 0.48 + ({-0.37}) \cdot 0.75"
    m = ET.fromstring(MathML().math(line))
    plus = [k for k in m.iter(f"{M}mo") if k.text == "+"]
    assert len(plus) == 1 and "(" in _text(m) and _text(m).index("(") > _text(m).index("+")


def test_the_printer_parenthesizes_a_negative_factor_itself():
    m = ET.fromstring(MathML().math(f.Ops((f.Number(0.1), f.Number(-0.2367, 4)), ("·",))))
    row = m[0]
    assert [k.text for k in row[:2]] == ["0.1", "·"]
    group = list(row[2])
    assert group[0].text == "(" and _is_negative_number(group[1]) and group[2].text == ")"


def test_a_name_is_printed_with_its_indices(maths):
    """w₅ in seed 003's numbering, w⁽²⁾₁₁ in the matrix notation: one <msub>/<msubsup>."""
    blog = " ".join(ET.tostring(m, encoding="unicode") for m in maths["blog-2-2-2"])
    assert "<ns0:msub><ns0:mi>w</ns0:mi><ns0:mn>5</ns0:mn></ns0:msub>" in blog
    matrix = " ".join(ET.tostring(m, encoding="unicode") for m in maths["matrix-form-3-4-2"])
    assert re.search(r"<ns0:msubsup><ns0:mi>w</ns0:mi><ns0:mn>11</ns0:mn><ns0:mrow>"
                     r'<ns0:mo stretchy="false">\(</ns0:mo><ns0:mn>2</ns0:mn>'
                     r'<ns0:mo stretchy="false">\)</ns0:mo>', matrix)


SAMPLES = {
    "name": f.Name("out[2][1]@2"),
    "symbol": f.Symbol("δ", sub="1", sup="(2)"),
    "number": f.Ops((f.Number(0.15), f.Number(-0.2367, 4), f.Number(3.5e-5, significant=3)),
                    ("·", "+")),
    "text": f.Ops((f.Text("path via "), f.Name("net[2][1]")), ("",)),
    "partial": f.Partial(f.Name("J"), f.Name("W[2][1][1]")),
    "fraction": f.Frac(f.Number(1), f.Number(2), small=True),
    "apply": f.Ops((f.Apply("σ", (f.Name("net[1][1]"),)), f.Apply("ln", (f.Name("t[1]"),)),
                    f.Apply("f", (f.Symbol("net", word=True),), prime=True),
                    f.Apply("max", (f.Number(0), f.Name("net[1][1]")))), ("+", "+", "+")),
    "neg and power": f.Power(f.Group(f.Neg(f.Symbol("x")), sized=True), f.Number(2)),
    "group": f.Group(f.Ops((f.Symbol("a"), f.Symbol("b")), ("−",)), square=True, sized=True),
    "scripted": f.Scripted(f.Name("W[2][1][1]"), sup=f.Text("new")),
    "sigma": f.Sigma("k", f.Power(f.Symbol("e"), f.Symbol("net", sub="k", word=True))),
    "expr": f.Expr(sp.Symbol("out") * (1 - sp.Symbol("out")) - sp.log(sp.Symbol("W[1][1][1]"))),
    "equation": f.Equation((f.Symbol("y"), f.Number(0.5), f.Symbol("z"))),
}


@pytest.mark.skipif(not pdf.available(), reason="needs pdflatex")
def test_every_kind_of_form_compiles_as_latex(tmp_path):
    tex = TexMath("matrix", (2, 2, 2))
    body = "\n\n".join(f"{kind}: ${tex(form)}$" for kind, form in SAMPLES.items())
    source = (r"\documentclass{article}\usepackage{amsmath}\begin{document}" + body
              + r"\end{document}")
    (tmp_path / "forms.tex").write_text(source)
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           "forms.tex"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Overfull" not in (tmp_path / "forms.log").read_text(errors="replace")


def test_every_kind_of_form_is_mathml_and_text():
    m, words = MathML("matrix", (2, 2, 2)), PlainText("matrix", (2, 2, 2))
    for kind, form in SAMPLES.items():
        ET.fromstring(m.math(form))  # well-formed, namespaced
        assert words(form).strip(), kind


def test_plain_text_reads_as_mathematics():
    out, t = sp.symbols("out t")
    assert expression(out * (1 - out)) == "out·(1 − out)"
    assert expression(1 - out**2) == "1 − out²"
    assert expression(-t / out) == "−t/out"
    assert PlainText("numbered", (2, 2, 2))(f.Partial(f.Name("J"), f.Name("W[2][1][1]"))) == \
        "∂J/∂w5"
