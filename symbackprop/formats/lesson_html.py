"""Seed 000's lesson sheets as practice pages: the rows and blanks of the PDF, and its figures as
SVG (the 8 × 8 digit, the cost curve with its tangents and a ball rolling downhill, the two
losses and their gradients)."""

from __future__ import annotations

import math as math_

import sympy as sp
from markupsafe import Markup

from ..lessons import COST, W_
from . import tex
from .html import page
from .mathml import math, mixed, plain
from .plot import Plot
from .tex import number

LESSON_INSTRUCTIONS = ("Round every result to {d} decimals. Type a number (0.7414, 7.414e-1, "
                       "0,7414 or 3/8), then press Check: each answer is marked correct or "
                       "incorrect, and after a wrong one you can show its working. Your answers "
                       "stay in this browser.")


def lesson_page(sheet, scheme: dict) -> str:
    sections = [{"title": Markup(mixed(title)), "label": plain(title), "intro": "",
                 "index": i,
                 "lines": [_row(row, sheet.decimals) for row in rows]}
                for i, (title, rows) in enumerate(sheet.sections, start=1)]
    figures = [{"svg": Markup(f), "caption": caption} for f, caption in
               zip(_FIGURES[sheet.kind](sheet.figures, sheet.decimals), _CAPTIONS[sheet.kind])]
    return page(sheet.title, tex._LESSON_WORDS[sheet.kind], None, sheet.decimals, scheme,
                sections, figures=figures, lead=sheet.intro, instructions=LESSON_INSTRUCTIONS)


def _row(row, decimals: int) -> dict:
    text = Markup(mixed(row.text))
    if row.answer is None:
        return {"math": text, "label": None, "first": False}
    shown = number(row.answer.value, decimals)
    return {"math": text, "label": row.answer.label, "name": row.answer.name, "first": True,
            "key_math": text + Markup(" ") + Markup(math(shown)), "working": ""}


def _digit(fig: dict, decimals: int) -> list[str]:
    cells = "".join(f'<rect x="{i % 8 * 28}" y="{i // 8 * 28}" width="28" height="28" '
                    f'fill="hsl(0, 0%, {100 - round(100 * p / 16)}%)" stroke="#bbb"/>'
                    for i, p in enumerate(fig["image"]))
    grid = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="-2 -2 228 250" '
            f'width="228" height="250" aria-label="The digit {fig["digit"]} as 8 by 8 pixels">'
            f'{cells}<text x="112" y="244" text-anchor="middle" class="note">the digit '
            f'{fig["digit"]}, 8 × 8 pixels</text></svg>')
    n = len(fig["b"])
    rows = r" \\ ".join(" & ".join(f"{w:.2f}" for w in first) + rf" & \cdots & {last:.2f}"
                        for first, last in zip(fig["W_first"], fig["W_last"]))
    xs = r" \\ ".join([f"{v:.4g}" for v in fig["x"][:4]] + [r"\vdots", f"{fig['x'][-1]:.4g}"])
    bs = r" \\ ".join(f"{v:.2f}" for v in fig["b"])
    formula = (rf"\underbrace{{\begin{{pmatrix}} {rows} \end{{pmatrix}}}}_{{W:\ {n} \times 64}}"
               rf"\underbrace{{\begin{{pmatrix}} {xs} \end{{pmatrix}}}}_{{x:\ 64 \times 1}} + "
               rf"\underbrace{{\begin{{pmatrix}} {bs} \end{{pmatrix}}}}_{{b:\ {n} \times 1}}")
    return [grid, f'<div class="formula">{math(formula, display=True)}</div>']


def _descent(fig: dict, decimals: int) -> list[str]:
    curve = Plot((-2.3, 2.1), (-1.5, 12), "w", "C(w)")
    curve.curve(cost, "#1f4e9e", COST_TEXT, (-2.25, 2.05))
    for w, c, m, sign in fig["tangents"]:
        curve.curve(lambda v, w=w, c=c, m=m: c + m * (v - w), "#c0392b", "", (w - 0.45, w + 0.45),
                    width=1.6)
        curve.note((w, c + 0.9), f"slope {sign}")
    colors = ["#000000", "#b35c00", "#00796b", "#6a1b9a"]
    for i, path in enumerate(fig["paths"]):
        curve.dots(path, colors[i % 4], f"walk {i + 1} downhill")
    curve.ball(fig["paths"][0], "#f1c40f")
    along = Plot((0, len(fig["surface_path"]) - 1), (0, 8), "step", "C(x, y) after each step")
    along.dots([(i, z) for i, (_, _, z) in enumerate(fig["surface_path"])], "#c0392b",
               "descent on C(x, y) = C(x) + y²")
    return [curve.svg("The cost C(w), its tangent at three points, and two walks downhill"),
            along.svg("The cost after each step of the descent on the surface C(x, y)")]


def _losses(fig: dict, decimals: int) -> list[str]:
    costs = Plot((0, 1), (0, 4.6), "y (probability of the correct digit)", "cost")
    costs.curve(lambda y: (1 - y) ** 2, "#1f4e9e", "squared error (1 − y)²", (0.01, 1))
    costs.curve(lambda y: -_ln(y), "#c0392b", "cross-entropy −ln y", (0.01, 1))
    slopes = Plot((0, 1), (-1.05, 0.05), "y", "∂J/∂net")
    slopes.curve(lambda y: -2 * (1 - y) * y * (1 - y), "#1f4e9e", "squared error")
    slopes.curve(lambda y: y - 1, "#c0392b", "cross-entropy")
    return [costs.svg("Squared error and cross-entropy against the output y"),
            slopes.svg("Their gradients with respect to net against the output y")]


def _ln(y: float) -> float:
    return math_.log(y)


_FIGURES = {"forward_matrix": _digit, "gradient_descent": _descent, "loss_comparison": _losses}
_CAPTIONS = {
    "forward_matrix": ["The digit as 64 pixels, darker for more ink.",
                       "f(Wx + b): the weights W, the pixels x divided by 16, and the biases b."],
    "gradient_descent": ["The cost C(w), its tangent at three points, and two walks downhill, "
                         "each dot one step w ← w − η C'(w).",
                         "The same descent on a surface C(x, y) = C(x) + y²: its cost after each "
                         "step. It levels off in a valley, not necessarily the lowest one."],
    "loss_comparison": ["The two costs against the output y for a target of 1.",
                        "Their gradients with respect to net: squared error's vanishes when the "
                        "network is confidently wrong (y near 0); cross-entropy's does not."],
}
COST_TEXT = "C(w) = w⁴ − 3w² + w + 3"


cost = sp.lambdify(W_, COST)  # the lesson's own cost: the figure and the sheet share it
