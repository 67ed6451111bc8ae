"""The proofs' machinery: a proof is a claim lhs = rhs and a list of steps, each an expression
with the reason that leads to it. Consecutive steps must be equal, symbolically
(simplification) and numerically (at random points); the first must be the lhs and the last
the rhs. A proof that fails cannot be built. The rules' proofs are in proofs_scalar,
proofs_matrix and proofs_conv, gathered by proofs.

>>> p = prove('double', 'd/dx x² = 2x', lambda: derivative(x ** 2, x), lambda: 2 * x,
...           [(lambda: 2 * x, 'power rule')])
>>> p.steps[0].reason, p.claim_text()
('power rule', 'Derivative(x**2, x) = 2*x')
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp


class _Named(sp.Function):
    """A function kept whole in proofs, printed under its own name (its definition is
    substituted only when steps are checked)."""

    tex = text = ""

    def _latex(self, printer):
        return r"%s\left(%s\right)" % (self.tex, printer._print(self.args[0]))

    def _sympystr(self, printer):
        return "%s(%s)" % (self.text, printer._print(self.args[0]))

    def _pretty(self, printer):
        return printer._print_Function(self, func_name=self.text)


class sigma(_Named):  # noqa: N801 - prints as the mathematics does
    """The logistic sigmoid σ(x) = 1/(1 + e^(−x))."""

    tex, text = r"\sigma", "σ"


class relu(_Named):  # noqa: N801
    """ReLU(x) = max(0, x), written by cases so that its derivative is taken piece by piece."""

    tex, text = r"\operatorname{ReLU}", "ReLU"


class step(_Named):  # noqa: N801
    """The unit step H(x): 1 for x > 0, 0 for x ≤ 0 (H(0) = 0, the convention we use)."""

    tex, text = "H", "H"


class ProofError(Exception):
    """A proof step does not follow: the proof is not built."""


@dataclass(frozen=True)
class ProofStep:
    expr: sp.Expr
    reason: str

    @property
    def latex(self) -> str:
        return sp.latex(self.expr, order="none")  # the factors in the order written


@dataclass(frozen=True)
class Proof:
    name: str
    title: str
    lhs: sp.Expr
    rhs: sp.Expr
    steps: tuple[ProofStep, ...]
    definitions: tuple[tuple[sp.Basic, sp.Expr], ...] = ()  # symbol -> what it stands for
    given: str = ""  # a condition the proof uses, in words

    def claim_text(self) -> str:
        return f"{self.lhs} = {self.rhs}"


x, y, t, z, n, R, w1, w2, x1, x2, b = sp.symbols("x y t z n R w_1 w_2 x_1 x_2 b", real=True)
z1, z2, z3, y1, y2, y3, t1, t2, t3 = sp.symbols("z_1 z_2 z_3 y_1 y_2 y_3 t_1 t_2 t_3", real=True)
SIGMA_DEF = sp.Lambda(x, 1 / (1 + sp.exp(-x)))
RELU_DEF = sp.Lambda(x, sp.Piecewise((0, x <= 0), (x, True)))
STEP_DEF = sp.Lambda(x, sp.Heaviside(x, 0))


def _definitions(proof_defs) -> Callable[[sp.Expr], sp.Expr]:
    subs = dict(proof_defs)

    def expand(expr: sp.Expr) -> sp.Expr:
        expr = expr.xreplace(subs)
        if isinstance(expr, (sp.MatrixBase, sp.MatrixExpr)):  # a matrix: entry by entry
            done = expr.doit()
            explicit = done if isinstance(done, sp.MatrixBase) else done.as_explicit()
            return sp.Matrix(explicit).applyfunc(expand)
        expr = expr.replace(sigma, SIGMA_DEF).replace(relu, RELU_DEF)
        expr = expr.replace(step, STEP_DEF)
        return expr.doit()

    return expand


def _symbolically_equal(a: sp.Expr, b: sp.Expr) -> bool:
    diff = a - b
    if sp.simplify(diff) == 0:
        return True
    return sp.simplify(diff.rewrite(sp.Piecewise)) == 0 or sp.simplify(sp.expand_log(
        sp.expand(diff), force=True)) == 0


def _equal(a, b, seed: int) -> bool:
    """Symbolically and numerically equal; matrices of one shape, entry by entry."""
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        return (isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase)
                and a.shape == b.shape
                and all(_equal(p, q, seed) for p, q in zip(a, b)))
    return _symbolically_equal(a, b) and _numerically_equal(a, b, seed)


def _numerically_equal(a: sp.Expr, b: sp.Expr, seed: int) -> bool:
    """Equal at 5 points in (0, 1), where logs of probabilities are real, and at 5 points
    anywhere in (−2, 2) (negative values too, for ReLU), skipping points where either is not
    a real number."""
    rng = random.Random(seed)
    free = sorted(a.free_symbols | b.free_symbols, key=str)
    for low, high in [(0.05, 0.95)] * 5 + [(-2.0, 2.0)] * 5:
        point = {s: sp.Float(rng.uniform(low, high), 30) for s in free}
        va, vb = complex(a.xreplace(point).evalf(30)), complex(b.xreplace(point).evalf(30))
        if low < 0 and (va.imag or vb.imag):
            continue
        if abs(va - vb) > 1e-12 * max(1.0, abs(vb)):
            return False
    return True


def check(proof: Proof) -> Proof:
    """Verify every step of `proof`; raise ProofError at the first that does not follow."""
    expand = _definitions(proof.definitions)
    chain = [(proof.lhs, "the claim's left side")] + [(s.expr, s.reason) for s in proof.steps]
    chain.append((proof.rhs, "the claim's right side"))
    for i in range(1, len(chain)):
        (before, _), (after, reason) = chain[i - 1], chain[i]
        a, b = expand(before), expand(after)
        if not _equal(a, b, seed=i):
            where = "the claim" if i == len(chain) - 1 else f"step {i}"
            raise ProofError(f"{proof.name}: {where} ({reason}) does not follow: "
                             f"{sp.sstr(before)} ≠ {sp.sstr(after)}")
    return proof


def prove(name: str, title: str, lhs, rhs, steps, definitions=(), given="") -> Proof:
    with sp.evaluate(False):  # keep each step as written on the board
        built = Proof(name, title, lhs(), rhs(), tuple(ProofStep(e(), r) for e, r in steps),
                      tuple(definitions), given)
    return check(built)


def derivative(expr, var):
    return sp.Derivative(expr, var)

