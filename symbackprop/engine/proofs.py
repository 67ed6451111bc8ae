"""Proofs of the rules the derivations use, each step checked by SymPy.

A proof is a claim lhs = rhs and a list of steps, each an expression with the reason that leads
to it. Consecutive steps must be equal, symbolically (simplification) and numerically (at random
points); the first must be the lhs and the last the rhs. A proof that fails cannot be built.

>>> p = get('sigmoid')
>>> len(p.steps) >= 5, p.steps[0].reason
(True, 'definition of σ')
>>> print(p.claim_text())
Derivative(σ(x), x) = (1 - σ(x))*σ(x)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import sympy as sp
from sympy.printing.pretty.pretty import PrettyPrinter


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


def _proof(name: str, title: str, lhs, rhs, steps, definitions=(), given="") -> Proof:
    with sp.evaluate(False):  # keep each step as written on the board
        built = Proof(name, title, lhs(), rhs(), tuple(ProofStep(e(), r) for e, r in steps),
                      tuple(definitions), given)
    return check(built)


def _d(expr, var):
    return sp.Derivative(expr, var)


def _sigmoid() -> Proof:
    e = sp.exp(-x)
    return _proof("sigmoid", "The derivative of the sigmoid: σ'(x) = σ(x)(1 − σ(x))",
                  lambda: _d(sigma(x), x), lambda: sigma(x) * (1 - sigma(x)), [
        (lambda: _d((1 + e) ** -1, x), "definition of σ"),
        (lambda: -(1 + e) ** -2 * _d(1 + e, x), "power rule and chain rule"),
        (lambda: -(1 + e) ** -2 * (-e), "the derivative of e⁻ˣ is −e⁻ˣ"),
        (lambda: e / (1 + e) ** 2, "simplify the signs"),
        (lambda: (1 + e - 1) / (1 + e) ** 2, "add and subtract 1 in the numerator"),
        (lambda: 1 / (1 + e) * ((1 + e) / (1 + e) - 1 / (1 + e)), "split the fraction"),
        (lambda: 1 / (1 + e) * (1 - 1 / (1 + e)), "(1 + e⁻ˣ)/(1 + e⁻ˣ) = 1"),
        (lambda: sigma(x) * (1 - sigma(x)), "definition of σ, twice"),
    ])


def _tanh() -> Proof:
    return _proof("tanh", "The derivative of tanh: tanh'(x) = 1 − tanh²(x)",
                  lambda: _d(sp.tanh(x), x), lambda: 1 - sp.tanh(x) ** 2, [
        (lambda: _d(sp.sinh(x) / sp.cosh(x), x), "definition of tanh"),
        (lambda: (sp.cosh(x) * sp.cosh(x) - sp.sinh(x) * sp.sinh(x)) / sp.cosh(x) ** 2,
         "quotient rule: sinh' = cosh, cosh' = sinh"),
        (lambda: sp.cosh(x) ** 2 / sp.cosh(x) ** 2 - sp.sinh(x) ** 2 / sp.cosh(x) ** 2,
         "split the fraction"),
        (lambda: 1 - (sp.sinh(x) / sp.cosh(x)) ** 2, "cancel, and collect the square"),
        (lambda: 1 - sp.tanh(x) ** 2, "definition of tanh"),
    ])


def _relu() -> Proof:
    pieces = sp.Piecewise((0, x <= 0), (1, True))
    return _proof(
        "relu", "The derivative of ReLU: ReLU'(x) = 1 for x > 0, 0 for x < 0 (and 0 at x = 0 "
        "by convention)", lambda: _d(relu(x), x), lambda: step(x), [
            (lambda: _d(sp.Piecewise((0, x <= 0), (x, True)), x),
             "definition of ReLU: max(0, x), by cases"),
            (lambda: pieces, "differentiate each piece: 0' = 0, x' = 1; at x = 0 ReLU has no "
             "derivative, and we take the left one, 0, as most libraries do"),
            (lambda: step(x), "the unit step H(x), with H(0) = 0"),
        ])


def _identity() -> Proof:
    return _proof("identity", "The derivative of the identity: f(x) = x gives f'(x) = 1",
                  lambda: _d(x, x), lambda: sp.Integer(1), [(lambda: sp.Integer(1), "power rule")])


def _linear() -> Proof:
    net = w1 * x1 + w2 * x2 + b
    return _proof(
        "linear", "A weight's own input: ∂net/∂w₁ = x₁, ∂net/∂b = 1 (for net = w₁x₁ + w₂x₂ + b)",
        lambda: _d(net, w1), lambda: x1, [
            (lambda: _d(w1 * x1, w1) + _d(w2 * x2, w1) + _d(b, w1), "sum rule"),
            (lambda: x1 + 0 + 0, "w₂, x₂ and b do not depend on w₁: they are constants"),
            (lambda: x1, "simplify"),
        ])


def _half_sse() -> Proof:
    return _proof(
        "half_sse", "Why the ½: for J = ½(t − y)², ∂J/∂y = y − t",
        lambda: _d(sp.Rational(1, 2) * (t - y) ** 2, y), lambda: y - t, [
            (lambda: sp.Rational(1, 2) * 2 * (t - y) * _d(t - y, y), "power rule and chain rule"),
            (lambda: (t - y) * (-1), "the ½ cancels the 2; ∂(t − y)/∂y = −1"),
            (lambda: y - t, "simplify"),
        ])


def _sse() -> Proof:
    return _proof("sse", "For J = (t − y)² (no ½), ∂J/∂y = 2(y − t): the 2 stays",
                  lambda: _d((t - y) ** 2, y), lambda: 2 * (y - t), [
        (lambda: 2 * (t - y) * _d(t - y, y), "power rule and chain rule"),
        (lambda: 2 * (t - y) * (-1), "∂(t − y)/∂y = −1"),
        (lambda: 2 * (y - t), "simplify"),
    ])


def _mse() -> Proof:
    return _proof(
        "mse", "Mean squared error: for J = (1/n)[(t − y)² + R], ∂J/∂y = (2/n)(y − t), where R "
        "collects the other outputs' terms", lambda: _d(((t - y) ** 2 + R) / n, y),
        lambda: 2 * (y - t) / n, [
            (lambda: (_d((t - y) ** 2, y) + _d(R, y)) / n, "constant factor 1/n, and sum rule"),
            (lambda: (2 * (t - y) * (-1) + 0) / n, "power and chain rule; R does not depend on y"),
            (lambda: 2 * (y - t) / n, "simplify: the 2 and the 1/n stay"),
        ])


def _cross_entropy() -> Proof:
    return _proof("cross_entropy", "Cross-entropy: for J = −t ln y, ∂J/∂y = −t/y",
                  lambda: _d(-t * sp.log(y), y), lambda: -t / y, [
        (lambda: -t * _d(sp.log(y), y), "constant factor"),
        (lambda: -t * (1 / y), "(ln y)' = 1/y"),
        (lambda: -t / y, "simplify"),
    ])


def _binary_cross_entropy() -> Proof:
    J = -(t * sp.log(y) + (1 - t) * sp.log(1 - y))
    return _proof(
        "binary_cross_entropy", "Binary cross-entropy: ∂J/∂y = (y − t)/(y(1 − y))",
        lambda: _d(J, y), lambda: (y - t) / (y * (1 - y)), [
            (lambda: -(t / y + (1 - t) * (-1) / (1 - y)),
             "(ln y)' = 1/y; chain rule for ln(1 − y)"),
            (lambda: -(t * (1 - y) - (1 - t) * y) / (y * (1 - y)), "common denominator y(1 − y)"),
            (lambda: -(t - t * y - y + t * y) / (y * (1 - y)), "multiply out"),
            (lambda: (y - t) / (y * (1 - y)), "the t·y terms cancel"),
        ])


def _sigmoid_binary_cross_entropy() -> Proof:
    J = -(t * sp.log(sigma(z)) + (1 - t) * sp.log(1 - sigma(z)))
    return _proof(
        "sigmoid_binary_cross_entropy",
        "Sigmoid with binary cross-entropy: ∂J/∂z = y − t, where y = σ(z)",
        lambda: _d(J, z), lambda: sigma(z) - t, [
            (lambda: (sigma(z) - t) / (sigma(z) * (1 - sigma(z))) * _d(sigma(z), z),
             "chain rule, with ∂J/∂y from binary cross-entropy"),
            (lambda: (sigma(z) - t) / (sigma(z) * (1 - sigma(z)))
             * (sigma(z) * (1 - sigma(z))), "σ'(z) = σ(z)(1 − σ(z))"),
            (lambda: sigma(z) - t, "y(1 − y) cancels"),
        ])


_Z = (z1, z2, z3)
_Y = (y1, y2, y3)
_SOFTMAX = tuple((yk, sp.exp(zk) / (sp.exp(z1) + sp.exp(z2) + sp.exp(z3)))
                 for yk, zk in zip(_Y, _Z))
_S = sp.exp(z1) + sp.exp(z2) + sp.exp(z3)


def _softmax_jacobian_diagonal() -> Proof:
    return _proof(
        "softmax_jacobian_diagonal",
        "Softmax Jacobian, i = j: ∂y₁/∂z₁ = y₁(1 − y₁), that is yᵢ(δᵢⱼ − yⱼ) with δᵢᵢ = 1 "
        "(three classes shown; any number works the same way)",
        lambda: _d(y1, z1), lambda: y1 * (1 - y1), [
            (lambda: _d(sp.exp(z1) / _S, z1), "definition of softmax: y₁ = exp(z₁)/Σₖ exp(zₖ)"),
            (lambda: (sp.exp(z1) * _S - sp.exp(z1) * sp.exp(z1)) / _S ** 2,
             "quotient rule: ∂Σ/∂z₁ = exp(z₁)"),
            (lambda: sp.exp(z1) / _S * (_S / _S - sp.exp(z1) / _S), "split the fraction"),
            (lambda: y1 * (1 - y1), "definition of softmax, twice"),
        ], definitions=_SOFTMAX)


def _softmax_jacobian_off_diagonal() -> Proof:
    return _proof(
        "softmax_jacobian_off_diagonal",
        "Softmax Jacobian, i ≠ j: ∂y₁/∂z₂ = −y₁y₂, that is yᵢ(δᵢⱼ − yⱼ) with δᵢⱼ = 0",
        lambda: _d(y1, z2), lambda: y1 * (0 - y2), [
            (lambda: _d(sp.exp(z1) / _S, z2), "definition of softmax"),
            (lambda: (0 * _S - sp.exp(z1) * sp.exp(z2)) / _S ** 2,
             "quotient rule: exp(z₁) does not depend on z₂; ∂Σ/∂z₂ = exp(z₂)"),
            (lambda: -(sp.exp(z1) / _S) * (sp.exp(z2) / _S), "split the fraction"),
            (lambda: y1 * (0 - y2), "definition of softmax, twice"),
        ], definitions=_SOFTMAX)


def _softmax_cross_entropy() -> Proof:
    J = -(t1 * sp.log(y1) + t2 * sp.log(y2) + t3 * sp.log(y3))
    return _proof(
        "softmax_cross_entropy",
        "Softmax with cross-entropy: ∂J/∂z₁ = y₁ − t₁, when the targets add up to 1",
        lambda: _d(J, z1), lambda: y1 - t1, [
            (lambda: -(t1 / y1 * (y1 * (1 - y1)) + t2 / y2 * (y2 * (0 - y1))
                       + t3 / y3 * (y3 * (0 - y1))),
             "chain rule, (ln y)' = 1/y, and the softmax Jacobian"),
            (lambda: -(t1 * (1 - y1) - t2 * y1 - t3 * y1), "each yₖ cancels"),
            (lambda: -t1 + y1 * (t1 + t2 + t3), "multiply out and collect y₁"),
            (lambda: y1 - t1, "the targets add up to 1: t₁ + t₂ + t₃ = 1"),
        ], definitions=_SOFTMAX + ((t3, 1 - t1 - t2),), given="t₁ + t₂ + t₃ = 1")


def _warmup_partial_x() -> Proof:
    return _proof("warmup_partial_x",
                  "Warm-up: for f(x, y) = x² + y³, ∂f/∂x = 2x (y held constant)",
                  lambda: _d(x ** 2 + y ** 3, x), lambda: 2 * x, [
        (lambda: _d(x ** 2, x) + _d(y ** 3, x), "sum rule"),
        (lambda: 2 * x + 0, "power rule; y³ is a constant when only x changes"),
        (lambda: 2 * x, "simplify"),
    ])


def _warmup_partial_y() -> Proof:
    return _proof("warmup_partial_y",
                  "Warm-up: for f(x, y) = x² + y³, ∂f/∂y = 3y² (x held constant)",
                  lambda: _d(x ** 2 + y ** 3, y), lambda: 3 * y ** 2, [
        (lambda: _d(x ** 2, y) + _d(y ** 3, y), "sum rule"),
        (lambda: 0 + 3 * y ** 2, "x² is a constant when only y changes; power rule"),
        (lambda: 3 * y ** 2, "simplify"),
    ])


def _chain_rule() -> Proof:
    u = x ** 2 + 1
    return _proof(
        "chain_rule", "The chain rule: (f∘g)'(x) = f'(g(x))·g'(x), for example "
        "d/dx (x² + 1)³ = 6x(x² + 1)²", lambda: _d(u ** 3, x), lambda: 6 * x * u ** 2, [
            (lambda: 3 * u ** 2 * _d(u, x), "outer derivative at the inner function, times "
             "the inner derivative"),
            (lambda: 3 * u ** 2 * (2 * x), "derivative of x² + 1"),
            (lambda: 6 * x * u ** 2, "simplify"),
        ])


# --- the matrix form: from each entry's chain rule (the index form) to a matrix product --------

def _column(letter: str, n: int, first: int = 1) -> sp.Matrix:
    return sp.Matrix([sp.Symbol(f"{letter}_{j}", real=True) for j in range(first, first + n)])


def _sizes(build: Callable[[int, int], Proof], sizes) -> Proof:
    """The proof at every size (n neurons, m inputs: square and not); the first is shown."""
    built = [build(n, m) for n, m in sizes]
    return built[0]


_MATRIX_SIZES = ((2, 3), (3, 2), (1, 4), (3, 3))


def _delta_output() -> Proof:
    def build(n: int, _m: int) -> Proof:
        g, f = _column("g", n), _column("f'", n)
        G, F = sp.MatrixSymbol("g", n, 1), sp.MatrixSymbol("f'", n, 1)
        return _proof(
            "delta_output", "The output layer's δ as a column: g ⊙ f′(net), from each neuron's "
            "δⱼ = ∂J/∂outⱼ · f′(netⱼ), where g is the column of the loss's slopes ∂J/∂outⱼ",
            lambda: sp.Matrix([gj * fj for gj, fj in zip(g, f)]), lambda: sp.HadamardProduct(G, F),
            [(lambda: sp.HadamardProduct(g, f), "entry j is gⱼ·f′ⱼ: the entry-by-entry "
              "(Hadamard) product ⊙ of the two columns"),
             (lambda: sp.HadamardProduct(G, F), "name the columns: g, and f′ for f′(net)")],
            definitions=((G, g), (F, f)))
    return _sizes(build, _MATRIX_SIZES)


def _delta_hidden() -> Proof:
    def build(n: int, m: int) -> Proof:
        # layer l has n neurons, layer l+1 has m: W^(l+1) is m×n
        w = sp.Matrix(m, n, lambda i, j: sp.Symbol(f"w_{i + 1}{j + 1}", real=True))
        d, f = _column("delta", m), _column("f'", n)
        W, D = sp.MatrixSymbol("W", m, n), sp.MatrixSymbol("delta", m, 1)
        F = sp.MatrixSymbol("f'", n, 1)
        index = sp.Matrix([sp.Add(*[w[i, j] * d[i] for i in range(m)]) * f[j]
                           for j in range(n)])
        return _proof(
            "delta_hidden", "A hidden layer's δ as a column: (Wᵀδ) ⊙ f′(net), with the next "
            "layer's W and δ, from each neuron's δⱼ = (Σᵢ wᵢⱼ δᵢ) · f′(netⱼ)",
            lambda: index, lambda: sp.HadamardProduct(W.T * D, F),
            [(lambda: sp.HadamardProduct(sp.MatMul(w.T, d), f),
              "Σᵢ wᵢⱼ δᵢ is row j of Wᵀ times the column δ; then ⊙ with f′"),
             (lambda: sp.HadamardProduct(W.T * D, F), "name the matrices")],
            definitions=((W, w), (D, d), (F, f)))
    return _sizes(build, _MATRIX_SIZES)


def _weight_gradient_matrix() -> Proof:
    def build(n: int, m: int) -> Proof:
        d, o = _column("delta", n), _column("out", m)
        D, O = sp.MatrixSymbol("delta", n, 1), sp.MatrixSymbol("out", m, 1)
        return _proof(
            "weight_gradient_matrix", "A layer's weight gradient as a matrix: δ outᵀ (its δ "
            "times its inputs as a row), from ∂J/∂wⱼₖ = δⱼ · outₖ; it has the shape of W",
            lambda: sp.Matrix(n, m, lambda j, k: d[j] * o[k]), lambda: D * O.T,
            [(lambda: sp.MatMul(d, o.T), "entry (j, k) is δⱼ·outₖ: a column times a row "
              "(an outer product)"),
             (lambda: D * O.T, "name the columns")],
            definitions=((D, d), (O, o)))
    return _sizes(build, _MATRIX_SIZES)


def _bias_gradient_vector() -> Proof:
    def build(n: int, _m: int) -> Proof:
        d = _column("delta", n)
        D = sp.MatrixSymbol("delta", n, 1)
        return _proof(
            "bias_gradient_vector", "A layer's bias gradient: with a bias per neuron, δ itself "
            "(∂J/∂bⱼ = δⱼ · 1); with one bias shared by the layer, every path added: 1ᵀδ, "
            "the sum of the δ's (shown here)",
            lambda: sp.Matrix([sp.Add(*d)]), lambda: sp.ones(1, n) * D,
            [(lambda: sp.MatMul(sp.ones(1, n), d), "Σⱼ δⱼ·1 is a row of ones times the "
              "column δ (per neuron, entry j alone: δⱼ, the column δ itself)"),
             (lambda: sp.ones(1, n) * D, "name the column")],
            definitions=((D, d),))
    return _sizes(build, _MATRIX_SIZES)


BUILDERS: dict[str, Callable[[], Proof]] = {
    "warmup_partial_x": _warmup_partial_x,
    "warmup_partial_y": _warmup_partial_y,
    "chain_rule": _chain_rule,
    "linear": _linear,
    "sigmoid": _sigmoid,
    "tanh": _tanh,
    "relu": _relu,
    "identity": _identity,
    "half_sse": _half_sse,
    "sse": _sse,
    "mse": _mse,
    "cross_entropy": _cross_entropy,
    "binary_cross_entropy": _binary_cross_entropy,
    "sigmoid_binary_cross_entropy": _sigmoid_binary_cross_entropy,
    "softmax_jacobian_diagonal": _softmax_jacobian_diagonal,
    "softmax_jacobian_off_diagonal": _softmax_jacobian_off_diagonal,
    "softmax_cross_entropy": _softmax_cross_entropy,
    "delta_output": _delta_output,
    "delta_hidden": _delta_hidden,
    "weight_gradient_matrix": _weight_gradient_matrix,
    "bias_gradient_vector": _bias_gradient_vector,
}

# what a proof needs first, so that a worksheet includes it too
NEEDS = {
    "sigmoid_binary_cross_entropy": ("binary_cross_entropy", "sigmoid"),
    "softmax_cross_entropy": ("softmax_jacobian_diagonal", "softmax_jacobian_off_diagonal"),
}


@cache
def get(name: str) -> Proof:
    """The proof called `name`, built and checked (once per process)."""
    if name not in BUILDERS:
        raise KeyError(f"no proof called '{name}'; 'symbackprop proof --list' lists them")
    return BUILDERS[name]()


def for_rules(rules) -> list[Proof]:
    """The proofs a derivation's rules rest on, prerequisites first, each once."""
    names: list[str] = []

    def add(rule: str):
        for need in NEEDS.get(rule, ()):
            add(need)
        if rule not in names:
            names.append(rule)

    for rule in rules:
        add(rule)
    return [get(n) for n in names]


def _pretty_lines(expr: sp.Expr, prefix: str, suffix: str) -> list[str]:
    printer = PrettyPrinter({"use_unicode": True, "order": "none", "wrap_line": False})
    form = printer._print(expr)
    rows = form.render(wrap_line=False).split("\n")
    width = max(len(r) for r in rows)
    return [(prefix if i == form.baseline else " " * len(prefix)) + row.ljust(width)
            + (suffix if i == form.baseline else "") for i, row in enumerate(rows)]


def as_json(proof: Proof) -> dict:
    return {
        "name": proof.name,
        "title": proof.title,
        "claim": {"lhs": sp.srepr(proof.lhs), "rhs": sp.srepr(proof.rhs)},
        "steps": [{"expr": sp.srepr(s.expr), "latex": s.latex, "reason": s.reason}
                  for s in proof.steps],
        # what the proof's own symbols stand for, so any tool can re-check it
        "definitions": {"sigma": sp.srepr(SIGMA_DEF), "relu": sp.srepr(RELU_DEF),
                        "step": sp.srepr(STEP_DEF)}
        | {str(k): sp.srepr(v) for k, v in proof.definitions},
        "given": proof.given,
    }


def text(proof: Proof) -> str:
    """The proof for a terminal: SymPy's 2-D pretty printing, '=' and the reason on the
    baseline of each step."""
    lines = [proof.title, ""]
    lines += _pretty_lines(proof.lhs, "  ", "")
    for s in proof.steps:
        lines += _pretty_lines(s.expr, "= ", f"    [{s.reason}]")
    if proof.given:
        lines.append(f"(given {proof.given})")
    lines.append("Every step checked by SymPy: the simplified difference is 0, and the two sides "
                 "agree at random points.")
    return "\n".join(lines)
