"""Proofs of the scalar rules: the warm-ups and the chain rule, ∂net/∂w, the activations'
derivatives, the losses', and softmax with cross-entropy.

>>> _sigmoid().steps[0].reason
'definition of σ'
"""

from __future__ import annotations

import sympy as sp

from ..definitions.language import N_
from .proofcheck import (
    Proof,
    R,
    b,
    n,
    prove,
    relu,
    sigma,
    step,
    t,
    t1,
    t2,
    t3,
    w1,
    w2,
    x,
    x1,
    x2,
    y,
    y1,
    y2,
    y3,
    z,
    z1,
    z2,
    z3,
)
from .proofcheck import derivative as _d


def _sigmoid() -> Proof:
    e = sp.exp(-x)
    return prove("sigmoid", N_("The derivative of the sigmoid: σ′(x) = σ(x)(1 − σ(x))"),
                  lambda: _d(sigma(x), x), lambda: sigma(x) * (1 - sigma(x)), [
        (lambda: _d((1 + e) ** -1, x), N_("definition of σ")),
        (lambda: -(1 + e) ** -2 * _d(1 + e, x), N_("power rule and chain rule")),
        (lambda: -(1 + e) ** -2 * (-e), N_("the derivative of e⁻ˣ is −e⁻ˣ")),
        (lambda: e / (1 + e) ** 2, N_("simplify the signs")),
        (lambda: (1 + e - 1) / (1 + e) ** 2, N_("add and subtract 1 in the numerator")),
        (lambda: 1 / (1 + e) * ((1 + e) / (1 + e) - 1 / (1 + e)), N_("split the fraction")),
        (lambda: 1 / (1 + e) * (1 - 1 / (1 + e)), N_("(1 + e⁻ˣ)/(1 + e⁻ˣ) = 1")),
        (lambda: sigma(x) * (1 - sigma(x)), N_("definition of σ, twice")),
    ])


def _tanh() -> Proof:
    return prove("tanh", N_("The derivative of tanh: tanh′(x) = 1 − tanh²(x)"),
                  lambda: _d(sp.tanh(x), x), lambda: 1 - sp.tanh(x) ** 2, [
        (lambda: _d(sp.sinh(x) / sp.cosh(x), x), N_("definition of tanh")),
        (lambda: (sp.cosh(x) * sp.cosh(x) - sp.sinh(x) * sp.sinh(x)) / sp.cosh(x) ** 2,
         N_("quotient rule: sinh′ = cosh, cosh′ = sinh")),
        (lambda: sp.cosh(x) ** 2 / sp.cosh(x) ** 2 - sp.sinh(x) ** 2 / sp.cosh(x) ** 2,
         N_("split the fraction")),
        (lambda: 1 - (sp.sinh(x) / sp.cosh(x)) ** 2, N_("cancel, and collect the square")),
        (lambda: 1 - sp.tanh(x) ** 2, N_("definition of tanh")),
    ])


def _relu() -> Proof:
    pieces = sp.Piecewise((0, x <= 0), (1, True))
    return prove(
        "relu", N_("The derivative of ReLU: ReLU′(x) = 1 for x > 0, 0 for x < 0 (and 0 at x = 0 "
        "by convention)"), lambda: _d(relu(x), x), lambda: step(x), [
            (lambda: _d(sp.Piecewise((0, x <= 0), (x, True)), x),
             N_("definition of ReLU: max(0, x), by cases")),
            (lambda: pieces, N_("differentiate each piece: 0′ = 0, x′ = 1; at x = 0 ReLU has no "
             "derivative, and we take the left one, 0, as most libraries do")),
            (lambda: step(x), N_("the unit step H(x), with H(0) = 0")),
        ])


def _identity() -> Proof:
    return prove("identity", N_("The derivative of the identity: f(x) = x gives f′(x) = 1"),
                  lambda: _d(x, x), lambda: sp.Integer(1),
                  [(lambda: sp.Integer(1), N_("power rule"))])


def _linear() -> Proof:
    net = w1 * x1 + w2 * x2 + b
    return prove(
        "linear",
        N_("A weight's own input: ∂net/∂w₁ = x₁, ∂net/∂b = 1 (for net = w₁x₁ + w₂x₂ + b)"),
        lambda: _d(net, w1), lambda: x1, [
            (lambda: _d(w1 * x1, w1) + _d(w2 * x2, w1) + _d(b, w1), N_("sum rule")),
            (lambda: x1 + 0 + 0, N_("w₂, x₂ and b do not depend on w₁: they are constants")),
            (lambda: x1, N_("simplify")),
        ])


def _half_sse() -> Proof:
    return prove(
        "half_sse", N_("Why the ½: for J = ½(t − y)², ∂J/∂y = y − t"),
        lambda: _d(sp.Rational(1, 2) * (t - y) ** 2, y), lambda: y - t, [
            (lambda: sp.Rational(1, 2) * 2 * (t - y) * _d(t - y, y),
             N_("power rule and chain rule")),
            (lambda: (t - y) * (-1), N_("the ½ cancels the 2; ∂(t − y)/∂y = −1")),
            (lambda: y - t, N_("simplify")),
        ])


def _sse() -> Proof:
    return prove("sse", N_("For J = (t − y)² (no ½), ∂J/∂y = 2(y − t): the 2 stays"),
                  lambda: _d((t - y) ** 2, y), lambda: 2 * (y - t), [
        (lambda: 2 * (t - y) * _d(t - y, y), N_("power rule and chain rule")),
        (lambda: 2 * (t - y) * (-1), N_("∂(t − y)/∂y = −1")),
        (lambda: 2 * (y - t), N_("simplify")),
    ])


def _mse() -> Proof:
    return prove(
        "mse", N_("Mean squared error: for J = (1/n)[(t − y)² + R], ∂J/∂y = (2/n)(y − t), where R "
        "collects the other outputs' terms"), lambda: _d(((t - y) ** 2 + R) / n, y),
        lambda: 2 * (y - t) / n, [
            (lambda: (_d((t - y) ** 2, y) + _d(R, y)) / n, N_("constant factor 1/n, and sum rule")),
            (lambda: (2 * (t - y) * (-1) + 0) / n,
             N_("power and chain rule; R does not depend on y")),
            (lambda: 2 * (y - t) / n, N_("simplify: the 2 and the 1/n stay")),
        ])


def _cross_entropy() -> Proof:
    return prove("cross_entropy", N_("Cross-entropy: for J = −t ln y, ∂J/∂y = −t/y"),
                  lambda: _d(-t * sp.log(y), y), lambda: -t / y, [
        (lambda: -t * _d(sp.log(y), y), N_("constant factor")),
        (lambda: -t * (1 / y), N_("(ln y)′ = 1/y")),
        (lambda: -t / y, N_("simplify")),
    ])


def _binary_cross_entropy() -> Proof:
    J = -(t * sp.log(y) + (1 - t) * sp.log(1 - y))
    return prove(
        "binary_cross_entropy", N_("Binary cross-entropy: ∂J/∂y = (y − t)/(y(1 − y))"),
        lambda: _d(J, y), lambda: (y - t) / (y * (1 - y)), [
            (lambda: -(t / y + (1 - t) * (-1) / (1 - y)),
             N_("(ln y)′ = 1/y; chain rule for ln(1 − y)")),
            (lambda: -(t * (1 - y) - (1 - t) * y) / (y * (1 - y)),
             N_("common denominator y(1 − y)")),
            (lambda: -(t - t * y - y + t * y) / (y * (1 - y)), N_("multiply out")),
            (lambda: (y - t) / (y * (1 - y)), N_("the t·y terms cancel")),
        ])


def _sigmoid_binary_cross_entropy() -> Proof:
    J = -(t * sp.log(sigma(z)) + (1 - t) * sp.log(1 - sigma(z)))
    return prove(
        "sigmoid_binary_cross_entropy",
        N_("Sigmoid with binary cross-entropy: ∂J/∂z = y − t, where y = σ(z)"),
        lambda: _d(J, z), lambda: sigma(z) - t, [
            (lambda: (sigma(z) - t) / (sigma(z) * (1 - sigma(z))) * _d(sigma(z), z),
             N_("chain rule, with ∂J/∂y from binary cross-entropy")),
            (lambda: (sigma(z) - t) / (sigma(z) * (1 - sigma(z)))
             * (sigma(z) * (1 - sigma(z))), N_("σ′(z) = σ(z)(1 − σ(z))")),
            (lambda: sigma(z) - t, N_("y(1 − y) cancels")),
        ])


_Z = (z1, z2, z3)
_Y = (y1, y2, y3)
_SOFTMAX = tuple((yk, sp.exp(zk) / (sp.exp(z1) + sp.exp(z2) + sp.exp(z3)))
                 for yk, zk in zip(_Y, _Z))
_S = sp.exp(z1) + sp.exp(z2) + sp.exp(z3)


def _softmax_jacobian_diagonal() -> Proof:
    return prove(
        "softmax_jacobian_diagonal",
        N_("Softmax Jacobian, i = j: ∂y₁/∂z₁ = y₁(1 − y₁), that is yᵢ(δᵢⱼ − yⱼ) with δᵢᵢ = 1 "
        "(three classes shown; any number works the same way)"),
        lambda: _d(y1, z1), lambda: y1 * (1 - y1), [
            (lambda: _d(sp.exp(z1) / _S, z1), N_("definition of softmax: y₁ = exp(z₁)/Σₖ exp(zₖ)")),
            (lambda: (sp.exp(z1) * _S - sp.exp(z1) * sp.exp(z1)) / _S ** 2,
             N_("quotient rule: ∂Σ/∂z₁ = exp(z₁)")),
            (lambda: sp.exp(z1) / _S * (_S / _S - sp.exp(z1) / _S), N_("split the fraction")),
            (lambda: y1 * (1 - y1), N_("definition of softmax, twice")),
        ], definitions=_SOFTMAX)


def _softmax_jacobian_off_diagonal() -> Proof:
    return prove(
        "softmax_jacobian_off_diagonal",
        N_("Softmax Jacobian, i ≠ j: ∂y₁/∂z₂ = −y₁y₂, that is yᵢ(δᵢⱼ − yⱼ) with δᵢⱼ = 0"),
        lambda: _d(y1, z2), lambda: y1 * (0 - y2), [
            (lambda: _d(sp.exp(z1) / _S, z2), N_("definition of softmax")),
            (lambda: (0 * _S - sp.exp(z1) * sp.exp(z2)) / _S ** 2,
             N_("quotient rule: exp(z₁) does not depend on z₂; ∂Σ/∂z₂ = exp(z₂)")),
            (lambda: -(sp.exp(z1) / _S) * (sp.exp(z2) / _S), N_("split the fraction")),
            (lambda: y1 * (0 - y2), N_("definition of softmax, twice")),
        ], definitions=_SOFTMAX)


def _softmax_cross_entropy() -> Proof:
    J = -(t1 * sp.log(y1) + t2 * sp.log(y2) + t3 * sp.log(y3))
    return prove(
        "softmax_cross_entropy",
        N_("Softmax with cross-entropy: ∂J/∂z₁ = y₁ − t₁, when the targets add up to 1"),
        lambda: _d(J, z1), lambda: y1 - t1, [
            (lambda: -(t1 / y1 * (y1 * (1 - y1)) + t2 / y2 * (y2 * (0 - y1))
                       + t3 / y3 * (y3 * (0 - y1))),
             N_("chain rule, (ln y)′ = 1/y, and the softmax Jacobian")),
            (lambda: -(t1 * (1 - y1) - t2 * y1 - t3 * y1), N_("each yₖ cancels")),
            (lambda: -t1 + y1 * (t1 + t2 + t3), N_("multiply out and collect y₁")),
            (lambda: y1 - t1, N_("the targets add up to 1: t₁ + t₂ + t₃ = 1")),
        ], definitions=_SOFTMAX + ((t3, 1 - t1 - t2),), given=N_("t₁ + t₂ + t₃ = 1"))


def _warmup_partial_x() -> Proof:
    return prove("warmup_partial_x",
                  N_("Warm-up: for f(x, y) = x² + y³, ∂f/∂x = 2x (y held constant)"),
                  lambda: _d(x ** 2 + y ** 3, x), lambda: 2 * x, [
        (lambda: _d(x ** 2, x) + _d(y ** 3, x), N_("sum rule")),
        (lambda: 2 * x + 0, N_("power rule; y³ is a constant when only x changes")),
        (lambda: 2 * x, N_("simplify")),
    ])


def _warmup_partial_y() -> Proof:
    return prove("warmup_partial_y",
                  N_("Warm-up: for f(x, y) = x² + y³, ∂f/∂y = 3y² (x held constant)"),
                  lambda: _d(x ** 2 + y ** 3, y), lambda: 3 * y ** 2, [
        (lambda: _d(x ** 2, y) + _d(y ** 3, y), N_("sum rule")),
        (lambda: 0 + 3 * y ** 2, N_("x² is a constant when only y changes; power rule")),
        (lambda: 3 * y ** 2, N_("simplify")),
    ])


def _chain_rule() -> Proof:
    u = x ** 2 + 1
    return prove(
        "chain_rule", N_("The chain rule: (f∘g)′(x) = f′(g(x))·g′(x), for example "
        "d/dx (x² + 1)³ = 6x(x² + 1)²"), lambda: _d(u ** 3, x), lambda: 6 * x * u ** 2, [
            (lambda: 3 * u ** 2 * _d(u, x), N_("outer derivative at the inner function, times "
             "the inner derivative")),
            (lambda: 3 * u ** 2 * (2 * x), N_("derivative of x² + 1")),
            (lambda: 6 * x * u ** 2, N_("simplify")),
        ])


