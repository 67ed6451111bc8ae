"""Proofs of the rules the derivations use, each step checked by SymPy (proofcheck.py): the
scalar rules (proofs_scalar), the matrix form's (proofs_matrix), and convolution's and
pooling's (proofs_conv), gathered here by name.

>>> p = get('sigmoid')
>>> len(p.steps) >= 5, p.steps[0].reason
(True, 'definition of σ')
>>> print(p.claim_text())
Derivative(σ(x), x) = (1 - σ(x))*σ(x)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sympy as sp
from sympy.printing.pretty.pretty import PrettyPrinter

from .proofcheck import (  # noqa: F401 - the proofs' vocabulary, as callers know it
    RELU_DEF,
    SIGMA_DEF,
    STEP_DEF,
    Proof,
    ProofError,
    ProofStep,
    _definitions,
    check,
    relu,
    sigma,
    step,
    x,
    y,
)
from .proofs_conv import (
    _average_pool,
    _convolution_bias,
    _input_gradient,
    _kernel_gradient,
    _max_pool,
)
from .proofs_matrix import (
    _bias_gradient_vector,
    _delta_hidden,
    _delta_output,
    _weight_gradient_matrix,
)
from .proofs_scalar import (
    _binary_cross_entropy,
    _chain_rule,
    _cross_entropy,
    _half_sse,
    _identity,
    _linear,
    _mse,
    _relu,
    _sigmoid,
    _sigmoid_binary_cross_entropy,
    _softmax_cross_entropy,
    _softmax_jacobian_diagonal,
    _softmax_jacobian_off_diagonal,
    _sse,
    _tanh,
    _warmup_partial_x,
    _warmup_partial_y,
)

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
    "kernel_gradient": _kernel_gradient,
    "convolution_bias": _convolution_bias,
    "input_gradient": _input_gradient,
    "max_pool": _max_pool,
    "average_pool": _average_pool,
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

