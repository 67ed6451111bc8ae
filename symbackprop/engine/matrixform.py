"""Backpropagation as four matrix equations, for this network's sizes, every matrix with its
shape: δ^L = ∇_out J ⊙ f'(net^L) (out^L − t under softmax with cross-entropy), δ^l =
((W^(l+1))ᵀ δ^(l+1)) ⊙ f'(net^l), ∂J/∂W^l = δ^l (out^(l−1))ᵀ, ∂J/∂b^l = δ^l (1ᵀ δ^l when the
layer shares one bias). In a batch, δ^l and out^(l−1) have a column per example and the sums
over the examples are the matrix products (times 1/E for a mean).

Nothing here is taken on trust: each equation is built with SymPy matrices and every entry is
checked equal to the scalar chain-rule derivation's (symbolically, a neuron's other δ's kept as
symbols), and the equations are computed again in numbers (NumPy) and held to the verified
values, as verify holds NumPy's backward pass.

>>> from symbackprop.definitions.definition import load
>>> from symbackprop.engine.sample import instance
>>> from symbackprop.engine.verify import run
>>> d = load('worksheets/blog-2-2-2.yaml')
>>> m = build(run(d, instance(d)))
>>> for e in m.equations[:3]: print(e.form)
δ^2 (2×1) = ∇_out J (2×1) ⊙ f′(net^2) (2×1)
δ^1 (2×1) = (W^2)ᵀ (2×2) δ^2 (2×1) ⊙ f′(net^1) (2×1)
∂J/∂W^1 (2×2) = δ^1 (2×1) xᵀ (1×2)
>>> round(float(m.grad_W[1][0, 0]), 9)  # ∂J/∂w5, the blog's 0.082167041
0.082167041
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import sympy as sp

from ..definitions.errors import VerificationError
from .graph import activation, name
from .steps import NET, OUT, Chain, PathSum, Step
from .verify import ROUNDING, TOLERANCE, UNDERFLOW, Verified

__all__ = ["Equation", "MatrixForm", "build"]


@dataclass(frozen=True)
class Equation:
    rule: str  # the proof it rests on
    form: str  # 'δ^1 (2×1) = (W^2)ᵀ (2×2) δ^2 (2×1) ⊙ f′(net^1) (2×1)'
    operands: tuple[tuple[str, np.ndarray], ...]  # each named matrix on the right, in numbers
    value: np.ndarray  # the left side, computed by the matrix products
    lhs: str = ""  # 'δ^1'
    ops: tuple[str, ...] = ()  # between the operands: '⊙', '−' or '' (a matrix product)
    scale: float = 1.0  # 1/E before a batch's mean


@dataclass(frozen=True)
class MatrixForm:
    equations: list[Equation]
    deltas: list[np.ndarray]  # δ^l, l = 1..L: a column (a column per example in a batch)
    grad_W: list[np.ndarray]  # ∂J/∂W^l, the shape of W^l
    grad_b: list[np.ndarray] | None  # ∂J/∂b^l: one value (shared) or a column
    batch: int  # examples as columns (0: one example)


def build(r: Verified) -> MatrixForm:
    """The four equations for r's network, checked against r's scalar derivations."""
    _check_symbolically(r)
    return _numbers(r)


def shapes(network) -> list[Equation]:
    """The equations of a network with their shapes only (their numbers are zeros): a picture
    of where each matrix goes, for a network too big to work by hand."""
    return _numbers(_Zeros(network)).equations


class _Zeros:
    """A stand-in result whose every value is 0: only the shapes of what is built are read."""

    examples = ()

    def __init__(self, network):
        self.instance = SimpleNamespace(network=network, batch_loss="sum", share=1.0)
        self.values = self.steps = self.grads = _ZeroMap()


class _ZeroMap(dict):
    def __missing__(self, key):
        return 0.0


# --- symbolically: each entry of the matrix products is the scalar chain rule's ----------------


def _delta_symbol(l: int, j: int) -> sp.Symbol:
    return sp.Symbol(f"delta[{l}][{j}]", real=True)


def _shallow(step: Step, top: Step) -> sp.Expr:
    """The scalar derivation of `top` as one expression, every other neuron's δ a symbol."""
    if step is not top and step.target.startswith("dJ/dnet["):
        l, j = (int(i) for i in step.target[8:-1].split("]["))
        return _delta_symbol(l, j)
    if isinstance(step, Chain):
        return sp.Mul(*[_shallow(f, top) for f in step.factors])
    if isinstance(step, PathSum):
        return sp.Add(*[_shallow(t, top) for t in step.terms])
    return step.expr


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    return a == b or sp.expand(a - b) == 0 or sp.simplify(a - b) == 0


def _check_symbolically(r: Verified) -> None:
    d, g = r.derivation, r.derivation.graph
    net, sizes, L = g.network, g.network.layers, g.network.depth
    column = lambda kind, l: sp.Matrix([g[name(kind, l, j)] for j in range(1, sizes[l] + 1)])  # noqa: E731
    deltas = {l: sp.Matrix([_delta_symbol(l, j) for j in range(1, sizes[l] + 1)])
              for l in range(1, L + 1)}
    slopes = {l: _slopes(d, l) for l in range(1, L + 1) if net.activations[l - 1] != "softmax"}
    for l in range(L, 0, -1):
        if l == L and net.activations[-1] == "softmax":
            right = column("out", L) - sp.Matrix([g[name("t", j)] for j in range(1, sizes[L] + 1)])
        elif l == L:
            J = g.equations["J"]
            nabla = sp.Matrix([sp.diff(J, g[name("out", L, j)]) for j in range(1, sizes[L] + 1)])
            right = nabla.multiply_elementwise(slopes[L])
        else:
            W = sp.Matrix([[g[name("W", l + 1, i, j)] for j in range(1, sizes[l] + 1)]
                           for i in range(1, sizes[l + 1] + 1)])
            right = (W.T * deltas[l + 1]).multiply_elementwise(slopes[l])
        _entries(f"δ^{l}", right, [_shallow(d.deltas[f"dJ/dnet[{l}][{j}]"],
                                             d.deltas[f"dJ/dnet[{l}][{j}]"])
                                    for j in range(1, sizes[l] + 1)])
        source = sp.Matrix([g.source(l, k) for k in range(1, sizes[l - 1] + 1)])
        grads = deltas[l] * source.T
        _entries(f"∂J/∂W^{l}", grads, [_shallow(d.grads[name("W", l, j, k)],
                                                 d.grads[name("W", l, j, k)])
                                        for j in range(1, sizes[l] + 1)
                                        for k in range(1, sizes[l - 1] + 1)])
        if net.bias == "shared":
            _entries(f"∂J/∂b^{l}", sp.ones(1, sizes[l]) * deltas[l],
                     [_shallow(d.grads[name("b", l)], d.grads[name("b", l)])])
        elif net.bias == "per_neuron":
            _entries(f"∂J/∂b^{l}", deltas[l], [_shallow(d.grads[name("b", l, j)],
                                                         d.grads[name("b", l, j)])
                                                for j in range(1, sizes[l] + 1)])


def _slopes(d, l: int) -> sp.Matrix:
    """f'(net^l) as a column, each entry the derivation's own factor ∂out/∂net, whose general
    form is held to plain sympy.diff of the activation (once a layer)."""
    factors = [d.deltas[f"dJ/dnet[{l}][{j}]"].factors[1]
               for j in range(1, d.graph.network.layers[l] + 1)]
    kind = d.graph.network.activations[l - 1]
    f = activation(kind, NET, [NET])  # the general forms are in steps' generic out and net
    expected = sp.diff(f, NET)
    general = factors[0].general.xreplace({OUT: f})
    if kind == "relu":  # Max's derivative is a Heaviside step; the convention takes 0 at 0
        expected = sp.Heaviside(NET, 0)
        general = sp.Heaviside(NET, 0) if str(general).startswith("ReLU'") else general
    if not _same(general, expected):
        raise VerificationError(f"f′(net^{l}): the derivation's {factors[0].general} is not "
                                f"the derivative of {kind}")
    return sp.Matrix([f.expr for f in factors])


def _entries(what: str, matrix: sp.Matrix, scalar: list[sp.Expr]) -> None:
    for i, (entry, expected) in enumerate(zip(matrix, scalar)):
        if not _same(entry, expected):
            raise VerificationError(f"the matrix form of {what} disagrees with the scalar chain "
                                    f"rule at entry {i + 1}: {entry} vs {expected}")


# --- in numbers -----------------------------------------------------------------------------


def _numbers(r: Verified) -> MatrixForm:
    examples = r.examples or (r,)
    net = r.instance.network
    sizes, L = net.layers, net.depth
    share = r.instance.share

    W = [np.array([[r.values[name("W", l, j, k)] for k in range(1, sizes[l - 1] + 1)]
                   for j in range(1, sizes[l] + 1)]) for l in range(1, L + 1)]
    out = [_columns(examples, [name("x", k) for k in range(1, sizes[0] + 1)], "values")]
    out += [_columns(examples, [name("out", l, j) for j in range(1, sizes[l] + 1)], "values")
            for l in range(1, L + 1)]
    equations, deltas = [], [None] * (L + 1)
    sizes_of = [None] * (L + 1)  # each δ's sums taken in absolute values: its rounding scale
    for l in range(L, 0, -1):
        targets = [f"dJ/dnet[{l}][{j}]" for j in range(1, sizes[l] + 1)]
        if l == L and net.activations[-1] == "softmax":
            t = _columns(examples, [name("t", j) for j in range(1, sizes[L] + 1)], "values")
            deltas[l] = out[L] - t
            scale = np.abs(out[L]) + np.abs(t)
            equations.append(_equation("softmax_cross_entropy", f"δ^{L}", deltas[l],
                                       [(f"out^{L}", out[L]), ("t", t)], "−"))
        else:
            slope = _columns(examples, [f"d{name('out', l, j)}/d{name('net', l, j)}"
                                        for j in range(1, sizes[l] + 1)], "steps")
            if l == L:
                nabla = _columns(examples, [f"dJ/d{name('out', L, j)}"
                                            for j in range(1, sizes[L] + 1)], "steps")
                deltas[l] = nabla * slope
                scale = np.abs(nabla * slope)
                equations.append(_equation("delta_output", f"δ^{l}", deltas[l],
                                           [("∇_out J", nabla), (f"f′(net^{l})", slope)], "⊙"))
            else:
                deltas[l] = (W[l].T @ deltas[l + 1]) * slope
                scale = (np.abs(W[l].T) @ sizes_of[l + 1]) * np.abs(slope)
                equations.append(_equation(
                    "delta_hidden", f"δ^{l}", deltas[l],
                    [(f"(W^{l + 1})ᵀ", W[l].T), (f"δ^{l + 1}", deltas[l + 1]),
                     (f"f′(net^{l})", slope)], "", "⊙"))
        sizes_of[l] = scale
        _agree(f"δ^{l}", deltas[l], _columns(examples, targets, "steps"), scale)
    grad_W, grad_b = [], [] if net.bias != "none" else None
    for l in range(1, L + 1):
        grad_W.append(share * deltas[l] @ out[l - 1].T)
        source = "xᵀ" if l == 1 else f"(out^{l - 1})ᵀ"
        equations.append(_equation("weight_gradient_matrix", f"∂J/∂W^{l}", grad_W[-1],
                                   [(f"δ^{l}", deltas[l]), (source, out[l - 1].T)],
                                   "", scale=share))
        _agree(f"∂J/∂W^{l}", grad_W[-1], np.array(
            [[r.grads[name("W", l, j, k)] for k in range(1, sizes[l - 1] + 1)]
             for j in range(1, sizes[l] + 1)]), share * sizes_of[l] @ np.abs(out[l - 1].T))
        if net.bias == "none":
            continue
        ones = np.ones((len(examples), 1))
        if net.bias == "shared":
            grad_b.append(share * (np.ones((1, sizes[l])) @ deltas[l] @ ones).ravel())
            operands = [("1ᵀ", np.ones((1, sizes[l]))), (f"δ^{l}", deltas[l])]
            names = [name("b", l)]
        else:
            grad_b.append(share * (deltas[l] @ ones).ravel())
            operands = [(f"δ^{l}", deltas[l])]
            names = [name("b", l, j) for j in range(1, sizes[l] + 1)]
        if r.examples:
            operands.append(("1", ones))
        equations.append(_equation("bias_gradient_vector", f"∂J/∂b^{l}", grad_b[-1][:, None],
                                   operands, "", scale=share))
        scale = share * sizes_of[l].sum(axis=1)
        _agree(f"∂J/∂b^{l}", grad_b[-1], np.array([r.grads[n] for n in names]),
               np.atleast_1d(scale.sum() if net.bias == "shared" else scale))
    order = sorted(equations, key=_reading_order)
    return MatrixForm(order, deltas[1:], grad_W, grad_b, len(r.examples))


def _columns(examples, names: list[str], where: str) -> np.ndarray:
    """The named values of each example as a matrix: a row a name, a column an example."""
    return np.array([[getattr(one, where)[n] for one in examples] for n in names], dtype=float)


def _equation(rule: str, lhs: str, value: np.ndarray, operands, *ops: str,
              scale: float = 1.0) -> Equation:
    """The equation's text: each named operand with its shape, joined as the rule joins them."""
    shaped = [f"{n} ({_shape(a)})" for n, a in operands]
    joins = list(ops) + [""] * len(shaped)
    right = "".join(s + (f" {j} " if j else " ") for s, j in zip(shaped, joins)).strip()
    if scale != 1.0:
        right = f"(1/{round(1 / scale)}) {right}"
    return Equation(rule, f"{lhs} ({_shape(value)}) = {right}", tuple(operands), value, lhs,
                    tuple(joins[:len(shaped) - 1]), scale)


def _shape(a: np.ndarray) -> str:
    rows, cols = (a.shape[0], 1) if a.ndim == 1 else a.shape
    return f"{rows}×{cols}"


def _reading_order(e: Equation) -> tuple[int, int]:
    """δ's output layer first (as backpropagation goes), then gradients layer by layer."""
    kind = {"softmax_cross_entropy": 0, "delta_output": 0, "delta_hidden": 0,
            "weight_gradient_matrix": 1, "bias_gradient_vector": 2}[e.rule]
    layer = int(e.form.split("^", 1)[1].split(" ", 1)[0].strip("()"))
    return (0, -layer) if kind == 0 else (1, layer * 2 + kind)


def _agree(what: str, ours: np.ndarray, verified: np.ndarray, scale: np.ndarray) -> None:
    """The matrix products' numbers against the verified scalar values, as verify compares
    NumPy's: 1e-9 relative, or ROUNDING of the same products taken in absolute values (what
    rounding may do to a sum whose terms cancel)."""
    ours, verified = np.asarray(ours, float).ravel(), np.asarray(verified, float).ravel()
    allowed = TOLERANCE * np.maximum(np.abs(ours), np.abs(verified)) + ROUNDING * np.ravel(
        scale) + UNDERFLOW
    bad = ~(np.abs(ours - verified) <= allowed)
    if bad.any():
        i = int(np.argmax(bad))
        raise VerificationError(f"the matrix form of {what} disagrees with the scalar chain rule "
                                f"at entry {i + 1}: {ours[i]!r} vs {verified[i]!r}")

