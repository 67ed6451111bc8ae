"""The proofs as a practice page shows them mean what the proofs say: each step's MathML, read
back as a person reads it (a fraction bar, a superscript, parentheses, a minus, nothing else),
is the step's own expression, at random points. SymPy's presentation printer dropped the
parentheses of unevaluated steps (−(t/y + …) drawn as −t/y + …), which no test saw."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

import pytest
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

from symbackprop.engine import proofcheck, proofs
from symbackprop.engine.proofcheck import _definitions
from symbackprop.formats.mathml import expression, math_element

NS = "{http://www.w3.org/1998/Math/MathML}"
FUNCTIONS = {"σ": "sigma", "tanh": "tanh", "ln": "log", "exp": "exp", "ReLU": "relu",
             "H": "step", "sinh": "sinh", "cosh": "cosh"}
OPERATORS = {"−": "-", "+": "+", "·": "*", "(": "(", ")": ")", "[": "(", "]": ")", "=": "=",
             "\u2061": "", "\u2062": "*", "/": "/"}


def _text(node) -> str:
    """A MathML element as the expression a reader takes it for (Python syntax)."""
    tag = node.tag.removeprefix(NS)
    kids = list(node)
    if tag in ("math", "mrow", "mstyle", "mtd"):
        return _row(kids)
    if tag == "mi":
        name = node.text.strip()
        return "E" if name == "e" else FUNCTIONS.get(name, name)
    if tag == "mn":
        return node.text.strip()
    if tag == "mo":
        return OPERATORS[node.text.strip() if node.text.strip() else node.text]
    if tag == "mfrac":
        return f"(({_text(kids[0])})/({_text(kids[1])}))"
    if tag == "msup":
        return f"(({_text(kids[0])})**({_text(kids[1])}))"
    if tag == "msub":  # an indexed name: y₁ is y_1
        return f"{_text(kids[0])}_{_text(kids[1])}"
    if tag == "msqrt":
        return f"sqrt({_row(kids)})"
    raise ValueError(f"a proof's step drawn with <{tag}>")


def _row(kids) -> str:
    """A row's parts; a function's power before its argument (tanh²(x)) as tanh(x)**2, and a
    product written side by side (2x) as one."""
    out, i = [], 0
    while i < len(kids):
        k = kids[i]
        if k.tag == NS + "msup" and list(k)[0].tag == NS + "mi" and \
                list(k)[0].text in FUNCTIONS and i + 2 < len(kids):
            name, power = _text(list(k)[0]), _text(list(k)[1])
            out.append(f"({name}({_text(kids[i + 2])})**({power}))")
            i += 3
            continue
        out.append(_text(k))
        i += 1
    return " ".join(p for p in out if p)


def _names(expr) -> dict:
    """Each symbol by the name its drawing reads as (δ₁₁ drawn from delta_11 is δ_11)."""
    names = {_text(ET.fromstring(math_element(expression(s)))): s for s in expr.free_symbols}
    return names | {"sigma": proofcheck.sigma, "relu": proofcheck.relu,
                    "step": proofcheck.step, "E": sp.E}


def _numbers(expr, points: list[dict]) -> list[complex]:
    return [complex(sp.N(expr.subs(p))) for p in points]


def _steps():
    for name in proofs.BUILDERS:
        for i in range(len(proofs.get(name).steps)):
            yield pytest.param(name, i, id=f"{name}-{i}")


@pytest.mark.parametrize("name, i", list(_steps()))
def test_a_proof_step_on_the_page_is_the_step(name, i):
    p = proofs.get(name)
    step = p.steps[i].expr
    if isinstance(step, (sp.MatrixBase, sp.MatrixExpr)) or step.has(
            sp.Derivative, sp.Piecewise, sp.Sum, sp.Heaviside):
        pytest.skip("a matrix, a derivative, cases or a sum: not read back as a formula")
    text = _text(ET.fromstring(math_element(expression(step, order="none"))))
    shown = parse_expr(text, local_dict=_names(step), evaluate=True)
    expand = _definitions(p.definitions)  # σ, ReLU, softmax's y's as what they stand for
    shown, meant = expand(shown), expand(step)
    rng = random.Random(f"{name}{i}")
    symbols = sorted(shown.free_symbols | meant.free_symbols, key=lambda s: s.name)
    points = [{s: rng.uniform(0.1, 0.9) for s in symbols} for _ in range(4)]
    assert _numbers(shown, points) == pytest.approx(_numbers(meant, points), rel=1e-9), \
        (text, sp.latex(step))
