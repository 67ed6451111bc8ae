"""Proofs of the matrix form's four rules: from each entry's chain rule (the index form) to a
matrix product, checked entry by entry at four sizes, square and not.

>>> [s.reason.split(':')[0] for s in _delta_output().steps]
['entry j is gⱼ·f′ⱼ', 'name the columns']
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ..definitions.language import N_
from .proofcheck import Proof, prove


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
        return prove(
            "delta_output", N_("The output layer's δ as a column: g ⊙ f′(net), from each neuron's "
            "δⱼ = ∂J/∂outⱼ · f′(netⱼ), where g is the column of the loss's slopes ∂J/∂outⱼ"),
            lambda: sp.Matrix([gj * fj for gj, fj in zip(g, f)]), lambda: sp.HadamardProduct(G, F),
            [(lambda: sp.HadamardProduct(g, f), N_("entry j is gⱼ·f′ⱼ: the entry-by-entry "
              "(Hadamard) product ⊙ of the two columns")),
             (lambda: sp.HadamardProduct(G, F), N_("name the columns: g, and f′ for f′(net)"))],
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
        return prove(
            "delta_hidden", N_("A hidden layer's δ as a column: (Wᵀδ) ⊙ f′(net), with the next "
            "layer's W and δ, from each neuron's δⱼ = (Σᵢ wᵢⱼ δᵢ) · f′(netⱼ)"),
            lambda: index, lambda: sp.HadamardProduct(W.T * D, F),
            [(lambda: sp.HadamardProduct(sp.MatMul(w.T, d), f),
              N_("Σᵢ wᵢⱼ δᵢ is row j of Wᵀ times the column δ; then ⊙ with f′")),
             (lambda: sp.HadamardProduct(W.T * D, F), N_("name the matrices"))],
            definitions=((W, w), (D, d), (F, f)))
    return _sizes(build, _MATRIX_SIZES)


def _weight_gradient_matrix() -> Proof:
    def build(n: int, m: int) -> Proof:
        d, o = _column("delta", n), _column("out", m)
        D, O = sp.MatrixSymbol("delta", n, 1), sp.MatrixSymbol("out", m, 1)
        return prove(
            "weight_gradient_matrix", N_("A layer's weight gradient as a matrix: δ outᵀ (its δ "
            "times its inputs as a row), from ∂J/∂wⱼₖ = δⱼ · outₖ; it has the shape of W"),
            lambda: sp.Matrix(n, m, lambda j, k: d[j] * o[k]), lambda: D * O.T,
            [(lambda: sp.MatMul(d, o.T), N_("entry (j, k) is δⱼ·outₖ: a column times a row "
              "(an outer product)")),
             (lambda: D * O.T, N_("name the columns"))],
            definitions=((D, d), (O, o)))
    return _sizes(build, _MATRIX_SIZES)


def _bias_gradient_vector() -> Proof:
    def build(n: int, _m: int) -> Proof:
        d = _column("delta", n)
        D = sp.MatrixSymbol("delta", n, 1)
        return prove(
            "bias_gradient_vector", N_("A layer's bias gradient: with a bias per neuron, δ itself "
            "(∂J/∂bⱼ = δⱼ · 1); with one bias shared by the layer, every path added: 1ᵀδ, "
            "the sum of the δ's (shown here)"),
            lambda: sp.Matrix([sp.Add(*d)]), lambda: sp.ones(1, n) * D,
            [(lambda: sp.MatMul(sp.ones(1, n), d), N_("Σⱼ δⱼ·1 is a row of ones times the "
              "column δ (per neuron, entry j alone: δⱼ, the column δ itself)")),
             (lambda: sp.ones(1, n) * D, N_("name the column"))],
            definitions=((D, d),))
    return _sizes(build, _MATRIX_SIZES)

