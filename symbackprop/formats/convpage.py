"""A convolution's page of shapes as LaTeX (sheets/shapes.py's page of engine/convshapes.py's
equations, in the class's language): its image drawn in grey, each line a whole map or layer
with every matrix's shape under it, as lesson_tex.py's shapes_document prints a dense
network's."""

from __future__ import annotations

import re

from ..definitions.language import words
from . import latex
from .tex import babel_view, environment
from .texmath import TexMath


def conv_shapes_document(page) -> str:
    """One page: a convolution's equations forward and back (sheets/shapes.py's ShapesPage),
    every matrix with its shape under it, and its image drawn in grey (rows of [0, 1])."""
    image = page.image
    h, w = len(image), len(image[0])
    # greys of 0..100 %: a pixel of [0, 1] as it is, an image past that range (a raw UCI digit
    # of 0..16, a negative pixel) scaled to its own; a row a line (TeX reads at most 200,000
    # characters a line: a 72×72 image on one was past it)
    values = [v for row in image for v in row]
    lo, hi = min(0.0, *values), max(1.0, *values)
    cells = "\n".join("".join(
        rf"\fill[black!{round(100 * (v - lo) / (hi - lo))}] ({j},{-i}) rectangle +(1,1);"
        for j, v in enumerate(row)) for i, row in enumerate(image))
    unit = min(0.25, 6.0 / max(h, w))  # cm a pixel: an image of any size at most 6 cm wide
    picture = (rf"\begin{{tikzpicture}}[x={unit:.4f}cm,y={unit:.4f}cm]" + cells +
               rf"\draw ({0},{1}) rectangle ({w},{1 - h});"
               rf"\node[left] at (0,{(2 - h) / 2}) {{$X$}};\end{{tikzpicture}}")
    ops = {"⋆": r"\star", "∗": r"\ast", "⊙": r"\odot", "+": "+", "−": "-", "": r"\;"}

    def under(label, shape):
        return rf"\underset{{{shape[0]}\times {shape[1]}}}{{{_conv_tex(label)}}}"

    shown = []
    for e, caption in zip(page.equations, page.captions):
        right = under(*e.operands[0])
        for op, operand in zip(e.ops, e.operands[1:]):
            right += f" {ops[op]} {under(*operand)}"
        shown.append({"caption": latex.text(caption),
                      "latex": latex.NoEscape(f"{under(*e.lhs)} = {right}")})
    return environment(page.language).get_template("conv_shapes.tex.j2").render(
        title=page.title, subtitle=page.subtitle, words=page.words,
        picture=latex.NoEscape(picture), equations=shown, babel=babel_view(page.language),
        note=TexMath("matrix", None, words(page.language).decimal).prose(page.note))


_CONV_WORDS = {"ReLU": r"\operatorname{ReLU}", "maxpool": r"\operatorname{maxpool}",
               "avgpool": r"\operatorname{avgpool}", "vec": r"\operatorname{vec}",
               "softmax": r"\operatorname{softmax}", "route": r"\operatorname{route}",
               "share": r"\operatorname{share}", "spread": r"\operatorname{spread}",
               "tanh": r"\tanh", "id": r"\operatorname{id}", "net": r"\mathrm{net}",
               "out": r"\mathrm{out}"}


def _conv_tex(label: str) -> str:
    """convshapes' names as LaTeX: ∂J/∂Z → \\frac{\\partial J}{\\partial Z}, ReLU′(Z), vec⁻¹, Wᵀ."""
    text = re.sub(r"[A-Za-z]{2,}", lambda m: _CONV_WORDS.get(m.group(), m.group()),
                  label.replace(" ", r"\,"))
    text = re.sub(r"∂J/∂(\\mathrm\{\w+\}|\w)", r"\\frac{\\partial J}{\\partial \1}", text)
    text = re.sub(r"^1", r"\\mathbf{1}", text)
    for plain, tex_ in (("ᵀ", "^{T}"), ("′", "'"), ("⁻¹", "^{-1}"), ("δ", r"\delta"),
                        ("σ", r"\sigma"), ("∇_", r"\nabla_"), ("(", r"\left("), (")", r"\right)")):
        text = text.replace(plain, tex_)
    return text.replace(r"\nabla_\mathrm{out}", r"\nabla_{\mathrm{out}}")
