"""Proofs of the scalar rules: the warm-ups and the chain rule, ∂net/∂w, the activations'
derivatives, the losses', and softmax with cross-entropy.

>>> _sigmoid().steps[0].reason
'definition of σ'
"""

from __future__ import annotations

import sympy as sp

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
    return prove("sigmoid", "The derivative of the sigmoid: σ'(x) = σ(x)(1 − σ(x))",
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
    return prove("tanh", "The derivative of tanh: tanh'(x) = 1 − tanh²(x)",
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
    return prove(
        "relu", "The derivative of ReLU: ReLU'(x) = 1 for x > 0, 0 for x < 0 (and 0 at x = 0 "
        "by convention)", lambda: _d(relu(x), x), lambda: step(x), [
            (lambda: _d(sp.Piecewise((0, x <= 0), (x, True)), x),
             "definition of ReLU: max(0, x), by cases"),
            (lambda: pieces, "differentiate each piece: 0' = 0, x' = 1; at x = 0 ReLU has no "
             "derivative, and we take the left one, 0, as most libraries do"),
            (lambda: step(x), "the unit step H(x), with H(0) = 0"),
        ])


def _identity() -> Proof:
    return prove("identity", "The derivative of the identity: f(x) = x gives f'(x) = 1",
                  lambda: _d(x, x), lambda: sp.Integer(1), [(lambda: sp.Integer(1), "power rule")])


def _linear() -> Proof:
    net = w1 * x1 + w2 * x2 + b
    return prove(
        "linear", "A weight's own input: ∂net/∂w₁ = x₁, ∂net/∂b = 1 (for net = w₁x₁ + w₂x₂ + b)",
        lambda: _d(net, w1), lambda: x1, [
            (lambda: _d(w1 * x1, w1) + _d(w2 * x2, w1) + _d(b, w1), "sum rule"),
            (lambda: x1 + 0 + 0, "w₂, x₂ and b do not depend on w₁: they are constants"),
            (lambda: x1, "simplify"),
        ])


def _half_sse() -> Proof:
    return prove(
        "half_sse", "Why the ½: for J = ½(t − y)², ∂J/∂y = y − t",
        lambda: _d(sp.Rational(1, 2) * (t - y) ** 2, y), lambda: y - t, [
            (lambda: sp.Rational(1, 2) * 2 * (t - y) * _d(t - y, y), "power rule and chain rule"),
            (lambda: (t - y) * (-1), "the ½ cancels the 2; ∂(t − y)/∂y = −1"),
            (lambda: y - t, "simplify"),
        ])


def _sse() -> Proof:
    return prove("sse", "For J = (t − y)² (no ½), ∂J/∂y = 2(y − t): the 2 stays",
                  lambda: _d((t - y) ** 2, y), lambda: 2 * (y - t), [
        (lambda: 2 * (t - y) * _d(t - y, y), "power rule and chain rule"),
        (lambda: 2 * (t - y) * (-1), "∂(t − y)/∂y = −1"),
        (lambda: 2 * (y - t), "simplify"),
    ])


def _mse() -> Proof:
    return prove(
        "mse", "Mean squared error: for J = (1/n)[(t − y)² + R], ∂J/∂y = (2/n)(y − t), where R "
        "collects the other outputs' terms", lambda: _d(((t - y) ** 2 + R) / n, y),
        lambda: 2 * (y - t) / n, [
            (lambda: (_d((t - y) ** 2, y) + _d(R, y)) / n, "constant factor 1/n, and sum rule"),
            (lambda: (2 * (t - y) * (-1) + 0) / n, "power and chain rule; R does not depend on y"),
            (lambda: 2 * (y - t) / n, "simplify: the 2 and the 1/n stay"),
        ])


def _cross_entropy() -> Proof:
    return prove("cross_entropy", "Cross-entropy: for J = −t ln y, ∂J/∂y = −t/y",
                  lambda: _d(-t * sp.log(y), y), lambda: -t / y, [
        (lambda: -t * _d(sp.log(y), y), "constant factor"),
        (lambda: -t * (1 / y), "(ln y)' = 1/y"),
        (lambda: -t / y, "simplify"),
    ])


def _binary_cross_entropy() -> Proof:
    J = -(t * sp.log(y) + (1 - t) * sp.log(1 - y))
    return prove(
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
    return prove(
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
    return prove(
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
    return prove(
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
    return prove(
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
    return prove("warmup_partial_x",
                  "Warm-up: for f(x, y) = x² + y³, ∂f/∂x = 2x (y held constant)",
                  lambda: _d(x ** 2 + y ** 3, x), lambda: 2 * x, [
        (lambda: _d(x ** 2, x) + _d(y ** 3, x), "sum rule"),
        (lambda: 2 * x + 0, "power rule; y³ is a constant when only x changes"),
        (lambda: 2 * x, "simplify"),
    ])


def _warmup_partial_y() -> Proof:
    return prove("warmup_partial_y",
                  "Warm-up: for f(x, y) = x² + y³, ∂f/∂y = 3y² (x held constant)",
                  lambda: _d(x ** 2 + y ** 3, y), lambda: 3 * y ** 2, [
        (lambda: _d(x ** 2, y) + _d(y ** 3, y), "sum rule"),
        (lambda: 0 + 3 * y ** 2, "x² is a constant when only y changes; power rule"),
        (lambda: 3 * y ** 2, "simplify"),
    ])


def _chain_rule() -> Proof:
    u = x ** 2 + 1
    return prove(
        "chain_rule", "The chain rule: (f∘g)'(x) = f'(g(x))·g'(x), for example "
        "d/dx (x² + 1)³ = 6x(x² + 1)²", lambda: _d(u ** 3, x), lambda: 6 * x * u ** 2, [
            (lambda: 3 * u ** 2 * _d(u, x), "outer derivative at the inner function, times "
             "the inner derivative"),
            (lambda: 3 * u ** 2 * (2 * x), "derivative of x² + 1"),
            (lambda: 6 * x * u ** 2, "simplify"),
        ])


