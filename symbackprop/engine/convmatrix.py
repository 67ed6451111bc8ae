"""A network on an image's backpropagation in matrix shape (`derive --form matrix`), as
matrixform.py gives a dense network's: each feature map a matrix, the δ maps, ∂J/∂K as the
correlation of the input with δ, ∂J/∂X as the full convolution of δ with the kernel turned
180°, and the dense layers' four matrix equations; every matrix with its shape.

    Z_f = Σ_c X_c ⋆ K_f,c + b_f               (⋆: cross-correlation, with the layer's stride
    δ_f = ∂J/∂A_f ⊙ f′(Z_f)                     and zero padding, as PyTorch's Conv2d)
    ∂J/∂K_f,c = X_c ⋆ δ_f                      (δ spread out by the stride)
    ∂J/∂X_c = Σ_f δ_f ∗ K_f,c = Σ_f pad(δ_f) ⋆ rot180(K_f,c)

Nothing is taken on trust: each equation is computed here in NumPy from its operands (the
engine's verified values of what it reads), and its left side is held to the engine's verified
values of that quantity, entry by entry, within the rounding of its terms (the same equation
on the operands' absolute values bounds it).

>>> from symbackprop.definitions.definition import load
>>> from symbackprop.engine.sample import instance
>>> from symbackprop.engine.convverify import run
>>> d = load('tests/examples/conv-5x5-2x2-maxpool.yaml')
>>> m = build(run(d, instance(d)))
>>> print(m.equations[0].form)
Z (4×4) = X (5×5) ⋆ K (2×2) + b (1×1)
>>> [e.lhs for e in m.equations][-3:]
['∂J/∂K', '∂J/∂b', '∂J/∂X']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..definitions.errors import VerificationError
from ..definitions.layers import Convolution, Dense, Flatten, Pooling
from .graph import name
from .verify import ROUNDING, TOLERANCE, UNDERFLOW

__all__ = ["ConvMatrixForm", "Equation", "build", "check_network"]

ACT = {"relu": "ReLU", "sigmoid": "σ", "tanh": "tanh", "identity": "id", "softmax": "softmax"}


@dataclass(frozen=True)
class Equation:
    caption: str  # what the line is, in words
    form: str  # 'δ (4×4) = ∂J/∂A (4×4) ⊙ ReLU′(Z) (4×4)'
    lhs: str
    operands: tuple[tuple[str, np.ndarray], ...]  # each named matrix on the right, in numbers
    value: np.ndarray  # the left side, computed from the operands


@dataclass(frozen=True)
class ConvMatrixForm:
    equations: list[Equation]


def check_network(network) -> str | None:
    """Why the matrix shape is not made for this network, or None: one convolution (any
    filters, channels, stride and padding), optional pooling, flatten, then dense layers."""
    kinds = [type(layer) for layer in network.layers]
    head = [Convolution, Pooling, Flatten] if kinds[1:2] == [Pooling] else [Convolution, Flatten]
    if kinds[:len(head)] != head or any(k is not Dense for k in kinds[len(head):]):
        return ("--form matrix of a network on an image works one convolution, optional "
                "pooling, flatten, then dense layers")
    return None


def _shape(a: np.ndarray) -> str:
    rows, cols = (a.shape[0], 1) if a.ndim == 1 else a.shape
    return f"{rows}×{cols}"


def _form(lhs: str, value, operands, ops, func: str = "") -> str:
    right = " ".join(f"{op} {n} ({_shape(a)})".strip() for op, (n, a) in zip(("",) + ops,
                                                                            operands))
    return f"{lhs} ({_shape(value)}) = " + (f"{func}({right})" if func else right)


def correlate(x: np.ndarray, k: np.ndarray, stride=(1, 1), padding=(0, 0)) -> np.ndarray:
    """x ⋆ k: the kernel laid on the (zero-padded) input as it is, moved by the stride."""
    x = np.pad(x, [(padding[0], padding[0]), (padding[1], padding[1])])
    rows = (x.shape[0] - k.shape[0]) // stride[0] + 1
    cols = (x.shape[1] - k.shape[1]) // stride[1] + 1
    return np.array([[np.sum(x[i * stride[0]:i * stride[0] + k.shape[0],
                               j * stride[1]:j * stride[1] + k.shape[1]] * k)
                      for j in range(cols)] for i in range(rows)])


def spread(d: np.ndarray, stride) -> np.ndarray:
    """δ with s − 1 zeros between its entries: where each output position sat on the input."""
    if tuple(stride) == (1, 1):
        return d
    out = np.zeros(((d.shape[0] - 1) * stride[0] + 1, (d.shape[1] - 1) * stride[1] + 1))
    out[::stride[0], ::stride[1]] = d
    return out


def full_convolution(d: np.ndarray, k: np.ndarray) -> np.ndarray:
    """d ∗ k, the full convolution: d padded by the kernel less one, correlated with k turned
    180°."""
    rows, cols = k.shape[0] - 1, k.shape[1] - 1
    return correlate(np.pad(d, [(rows, rows), (cols, cols)]), k[::-1, ::-1])


class _Builder:
    def __init__(self, r):
        self.r, self.net = r, r.instance.network
        self.values = dict(r.values) | dict(r.steps) | {
            f"dJ/d{p}": g for p, g in r.grads.items()} | {
            f"dJ/d{x}": g for x, g in r.input_grads.items()}
        self.equations: list[Equation] = []

    def array(self, key: str, l: int | None, shape: tuple[int, ...], *head) -> np.ndarray:
        """The engine's verified values of `key`[l][head...][i][j] as an array of `shape`."""
        index = (l,) if l is not None else ()
        out = np.empty(shape)
        for at in np.ndindex(*shape):
            out[at] = self.values[name(key, *index, *head, *(i + 1 for i in at))]
        return out

    def add(self, caption, lhs, operands, ops, value, engine, size=None, func="") -> None:
        """One equation, its left side computed from `operands` (value) and held to the
        engine's verified `engine` values, within the rounding of terms of `size`."""
        size = np.abs(value) if size is None else size
        allowed = TOLERANCE * np.maximum(np.abs(value), np.abs(engine)) + ROUNDING * size \
            + UNDERFLOW
        bad = ~(np.abs(value - engine) <= allowed)
        if bad.any():
            at = tuple(int(i) for i in np.argwhere(bad)[0])
            raise VerificationError(f"matrix form: {lhs} disagrees with the scalar chain rule "
                                    f"at entry {at}: {value[at]!r} vs {engine[at]!r}")
        self.equations.append(Equation(caption, _form(lhs, value, operands, ops, func), lhs,
                                       tuple(operands), value))


def build(r) -> ConvMatrixForm:
    """The matrix-shaped derivation of r's network, each equation held to r's values."""
    network = r.instance.network
    why = check_network(network)
    if why:
        raise ValueError(why)
    b = _Builder(r)
    conv = network.layers[0]
    pooled = isinstance(network.layers[1], Pooling)
    _forward_maps(b, conv, network.layers[1] if pooled else None)
    _dense(b, 3 if pooled else 2)
    _back_maps(b, conv, network.layers[1] if pooled else None)
    return ConvMatrixForm(b.equations)


def _names(network):
    """Z_f, K_f,c, X_c with their indices only where there are several."""
    conv = network.layers[0]
    F, C = conv.filters, network.image.channels

    def sub(*pairs):
        shown = [str(i) for i, n in pairs if n > 1]
        return "_" + ",".join(shown) if shown else ""

    return F, C, lambda f: sub((f, F)), lambda c: sub((c, C)), \
        lambda f, c: sub((f, F), (c, C)) if F * C > 1 else ""


def _forward_maps(b: _Builder, conv: Convolution, pool: Pooling | None) -> None:
    network = b.net
    F, C, fs, cs, fc = _names(network)
    shape = network.shapes
    X = [b.array("x", None, shape[0][1:], c) for c in range(1, C + 1)]
    b.X = X
    b.K = [[b.array("K", 1, conv.kernel, f, c) for c in range(1, C + 1)] for f in range(1, F + 1)]
    biased = conv.bias != "none"
    for f in range(1, F + 1):
        Z = b.array("net", 1, shape[1][1:], f)
        terms = [correlate(X[c], b.K[f - 1][c], conv.stride, conv.padding) for c in range(C)]
        size = sum(correlate(np.abs(X[c]), np.abs(b.K[f - 1][c]), conv.stride, conv.padding)
                   for c in range(C))
        operands, ops = [], []
        for c in range(C):
            operands += [(f"X{cs(c + 1)}", X[c]), (f"K{fc(f, c + 1)}", b.K[f - 1][c])]
            ops += (["+"] if c else []) + ["⋆"]
        value = sum(terms)
        if biased:
            bias = np.array([[b.values[name("b", 1, f)]]])
            operands.append((f"b{fs(f)}", bias))
            ops.append("+")
            value, size = value + bias[0, 0], size + abs(bias[0, 0])
        where = "" if conv.stride == (1, 1) and conv.padding == (0, 0) else \
            f" (stride {conv.stride[0]}×{conv.stride[1]}, zero padding " \
            f"{conv.padding[0]}×{conv.padding[1]})"
        b.add("The feature map: the kernel slid over the image as it is (cross-correlation)"
              + where, f"Z{fs(f)}", operands, tuple(ops), value, Z, size)
        A = b.array("out", 1, shape[1][1:], f)
        if conv.activation != "identity":
            b.add("After the activation, entry by entry", f"A{fs(f)}", [(f"Z{fs(f)}", Z)], (),
                  _activate(conv.activation, Z), A, func=ACT[conv.activation])
        if pool:
            P = b.array("out", 2, shape[2][1:], f)
            kind = "max" if pool.kind == "max_pool" else "avg"
            b.add(f"{pool.size[0]}×{pool.size[1]} {'max' if kind == 'max' else 'average'} "
                  "pooling", f"P{fs(f)}", [(f"A{fs(f)}", A)], (), _pool(A, pool), P,
                  func=f"{kind}pool")


def _activate(kind: str, z: np.ndarray) -> np.ndarray:
    return {"relu": lambda: np.maximum(z, 0.0), "sigmoid": lambda: 1 / (1 + np.exp(-z)),
            "tanh": lambda: np.tanh(z), "identity": lambda: z}[kind]()


def _slope(kind: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """f′ at z, through a = f(z) where it can be (ReLU′(0) = 0, as PyTorch takes it)."""
    return {"relu": lambda: (z > 0).astype(float), "sigmoid": lambda: a * (1 - a),
            "tanh": lambda: 1 - a ** 2, "identity": lambda: np.ones_like(z)}[kind]()


def _windows(shape, pool: Pooling):
    rows = (shape[0] - pool.size[0]) // pool.stride[0] + 1
    cols = (shape[1] - pool.size[1]) // pool.stride[1] + 1
    for i in range(rows):
        for j in range(cols):
            yield i, j, (slice(i * pool.stride[0], i * pool.stride[0] + pool.size[0]),
                         slice(j * pool.stride[1], j * pool.stride[1] + pool.size[1]))


def _pool(a: np.ndarray, pool: Pooling) -> np.ndarray:
    out = np.empty(((a.shape[0] - pool.size[0]) // pool.stride[0] + 1,
                    (a.shape[1] - pool.size[1]) // pool.stride[1] + 1))
    for i, j, w in _windows(a.shape, pool):
        out[i, j] = a[w].max() if pool.kind == "max_pool" else a[w].mean()
    return out


def _unpool(grad: np.ndarray, a: np.ndarray, pool: Pooling) -> np.ndarray:
    """Each window's gradient to its first maximum in reading order (np.argmax's first
    occurrence, PyTorch's tie rule), or shared 1/n each; overlapping windows add."""
    out = np.zeros_like(a)
    for i, j, w in _windows(a.shape, pool):
        if pool.kind == "max_pool":
            r, s = np.unravel_index(np.argmax(a[w]), a[w].shape)
            out[w][r, s] += grad[i, j]
        else:
            out[w] += grad[i, j] / a[w].size
    return out


def _dense(b: _Builder, flat: int) -> None:
    """vec of the maps, then each dense layer's forward and its δ, ∂J/∂W, ∂J/∂b, and ∂J/∂f."""
    network, shapes = b.net, b.net.shapes
    f = b.array("out", flat, shapes[flat])
    b.f, b.flat = f, flat
    maps = shapes[flat - 1]
    pieces = [(f"{'P' if flat == 3 else 'A'}{_names(network)[2](c)}",
               b.array("out", flat - 1, maps[1:], c)) for c in range(1, maps[0] + 1)]
    b.add("Flattened, filter by filter, row by row", "f", pieces, (",",) * (len(pieces) - 1),
          np.concatenate([a.ravel() for _, a in pieces]), f, func="vec")
    L = len(network.layers)
    ins = {flat: f}
    for l in range(flat + 1, L + 1):
        layer = network.layers[l - 1]
        W = b.array("W", l, (layer.size, shapes[l - 1][0]))
        bias = _bias(b, l, layer)
        net = b.array("net", l, shapes[l])
        value = W @ ins[l - 1] + bias
        b.add(f"Dense layer {l}", f"net^{l}", [(f"W^{l}", W), (_inname(l, flat), ins[l - 1])]
              + ([(f"b^{l}", bias)] if layer.bias != "none" else []),
              ("",) + (("+",) if layer.bias != "none" else ()), value, net,
              np.abs(W) @ np.abs(ins[l - 1]) + np.abs(bias))
        ins[l] = b.array("out", l, shapes[l])
    b.dense_ins = ins
    delta = None
    for l in range(L, flat, -1):
        layer = network.layers[l - 1]
        net, out = b.array("net", l, shapes[l]), ins[l]
        engine = b.array("dJ/dnet", l, shapes[l])
        if l == L and layer.activation == "softmax":
            t = b.array("t", None, shapes[l])
            b.add("The output's error (softmax with cross-entropy)", f"δ^{l}",
                  [(f"out^{l}", out), ("t", t)], ("−",), out - t, engine,
                  np.abs(out) + np.abs(t))
        else:
            grad_out = b.array("dJ/dout", l, shapes[l])
            slope = _slope(layer.activation, net, out)
            if l == L:
                first, word = ("∇_out J", grad_out), "The output's error"
            else:
                W = b.array("W", l + 1, (network.layers[l].size, shapes[l][0]))
                first, word = (f"(W^{l + 1})ᵀ δ^{l + 1}", W.T @ delta), f"Layer {l}'s error"
            b.add(word, f"δ^{l}", [first, (f"{ACT[layer.activation]}′(net^{l})", slope)],
                  ("⊙",), first[1] * slope, engine, np.abs(first[1] * slope))
        delta = engine
        grad_W = b.array("dJ/dW", l, (layer.size, shapes[l - 1][0]))
        b.add(f"Layer {l}'s weights' gradient", f"∂J/∂W^{l}",
              [(f"δ^{l}", delta[:, None]), (f"{_inname(l, flat)}ᵀ", ins[l - 1][None, :])], ("",),
              np.outer(delta, ins[l - 1]), grad_W)
        if layer.bias == "per_neuron":
            b.add(f"Layer {l}'s biases' gradient", f"∂J/∂b^{l}", [(f"δ^{l}", delta)], (),
                  delta, b.array("dJ/db", l, shapes[l]))
        elif layer.bias == "shared":
            b.add(f"Layer {l}'s shared bias's gradient", f"∂J/∂b^{l}",
                  [("1ᵀ", np.ones((1, delta.size))), (f"δ^{l}", delta[:, None])], ("",),
                  np.array([[delta.sum()]]), np.array([[b.values[f"dJ/d{name('b', l)}"]]]),
                  np.array([[np.abs(delta).sum()]]))
    W = b.array("W", flat + 1, (network.layers[flat].size, shapes[flat][0]))
    b.add("Back to the flattened maps", "∂J/∂f", [(f"(W^{flat + 1})ᵀ", W.T),
                                                  (f"δ^{flat + 1}", delta[:, None])], ("",),
          W.T @ delta, b.array("dJ/dout", flat, shapes[flat]), np.abs(W.T) @ np.abs(delta))
    b.grad_f = W.T @ delta


def _inname(l: int, flat: int) -> str:
    return "f" if l == flat + 1 else f"out^{l - 1}"


def _bias(b: _Builder, l: int, layer: Dense) -> np.ndarray:
    if layer.bias == "none":
        return np.zeros(layer.size)
    if layer.bias == "shared":
        return np.full(layer.size, b.values[name("b", l)])
    return b.array("b", l, (layer.size,))


def _back_maps(b: _Builder, conv: Convolution, pool: Pooling | None) -> None:
    network = b.net
    F, C, fs, cs, fc = _names(network)
    shape, flat = network.shapes, b.flat
    maps = shape[flat - 1][1:]
    size = maps[0] * maps[1]
    deltas = []
    for f in range(1, F + 1):
        mapped = "P" if pool else "A"
        grad = b.grad_f[(f - 1) * size:f * size].reshape(maps)
        part = "∂J/∂f" if F == 1 else f"∂J/∂f[{(f - 1) * size + 1}..{f * size}]"
        b.add("Back into the map's shape", f"∂J/∂{mapped}{fs(f)}", [(part, grad.ravel())], (),
              grad, b.array("dJ/dout", flat - 1, maps, f), func="vec⁻¹")
        Z, A = b.array("net", 1, shape[1][1:], f), b.array("out", 1, shape[1][1:], f)
        if pool:
            said = "each window's gradient to its first maximum (reading order, as PyTorch)" \
                if pool.kind == "max_pool" else "each window's gradient shared, 1/n each"
            grad = _unpool(grad, A, pool)
            b.add(f"Back through the pooling: {said}", f"∂J/∂A{fs(f)}",
                  [(f"∂J/∂P{fs(f)}", b.array("dJ/dout", 2, maps, f))], (), grad,
                  b.array("dJ/dout", 1, shape[1][1:], f), np.abs(grad),
                  func="route" if pool.kind == "max_pool" else "share")
        slope = _slope(conv.activation, Z, A)
        delta = b.array("dJ/dnet", 1, shape[1][1:], f)
        b.add("Back through the activation: the δ map", f"δ{fs(f)}",
              [(f"∂J/∂A{fs(f)}", grad), (f"{ACT[conv.activation]}′(Z{fs(f)})", slope)], ("⊙",),
              grad * slope, delta)
        deltas.append(delta)
    for f in range(1, F + 1):
        spread_delta = spread(deltas[f - 1], conv.stride)
        name_d = f"δ{fs(f)}" if conv.stride == (1, 1) else f"spread(δ{fs(f)})"
        for c in range(1, C + 1):
            X = b.X[c - 1]
            value = correlate(X, spread_delta, (1, 1), conv.padding)[:conv.kernel[0],
                                                                      :conv.kernel[1]]
            size = correlate(np.abs(X), np.abs(spread_delta), (1, 1),
                             conv.padding)[:conv.kernel[0], :conv.kernel[1]]
            b.add("The kernel's gradient: the image correlated with δ", f"∂J/∂K{fc(f, c)}",
                  [(f"X{cs(c)}", X), (name_d, spread_delta)], ("⋆",), value,
                  b.array("dJ/dK", 1, conv.kernel, f, c), size)
        if conv.bias != "none":
            d = deltas[f - 1]
            b.add("The filter's bias: its δ map added up", f"∂J/∂b{fs(f)}",
                  [("1ᵀ", np.ones((1, d.shape[0]))), (f"δ{fs(f)}", d),
                   ("1", np.ones((d.shape[1], 1)))], ("", ""), np.array([[d.sum()]]),
                  np.array([[b.values[f"dJ/d{name('b', 1, f)}"]]]), np.array([[
                      np.abs(d).sum()]]))
    rows, cols = shape[0][1:]
    p = conv.padding
    for c in range(1, C + 1):
        value = np.zeros((rows, cols))
        size = np.zeros((rows, cols))
        operands, ops = [], []
        for f in range(1, F + 1):
            d = spread(deltas[f - 1], conv.stride)
            K = b.K[f - 1][c - 1]
            full = full_convolution(d, K)
            whole = np.zeros((rows + 2 * p[0], cols + 2 * p[1]))
            whole[:full.shape[0], :full.shape[1]] = full  # a stride may leave the last
            value += whole[p[0]:p[0] + rows, p[1]:p[1] + cols]  # rows and columns unread
            absolute = np.zeros_like(whole)
            absolute[:full.shape[0], :full.shape[1]] = full_convolution(np.abs(d), np.abs(K))
            size += absolute[p[0]:p[0] + rows, p[1]:p[1] + cols]
            operands += [(f"δ{fs(f)}" if conv.stride == (1, 1) else f"spread(δ{fs(f)})", d),
                         (f"K{fc(f, c)}", K)]
            ops += (["+"] if f > 1 else []) + ["∗"]
        b.add("Back to the image: the full convolution of δ with the kernel (δ correlated "
              "with the kernel turned 180°)" + (", less the padding" if any(p) else ""),
              f"∂J/∂X{cs(c)}", operands, tuple(ops), value,
              b.array("dJ/dx", None, (rows, cols), c), size)


def text(form: ConvMatrixForm, small: int = 64) -> str:
    """Each equation with its caption and shapes, then its numbers where the matrices are
    small (at most `small` entries each)."""
    lines = ["Backpropagation in matrix form (shapes rows×columns; ⋆ cross-correlation, "
             "∗ full convolution, ⊙ entry by entry)"]
    for e in form.equations:
        lines += [e.caption + ":", "  " + e.form]
        if all(a.size <= small for _, a in e.operands) and e.value.size <= small:
            lines += [f"    {n} = {_matrix(a)}" for n, a in e.operands]
            lines.append(f"    = {_matrix(e.value)}")
    lines.append("Every entry checked equal to the scalar chain rule's verified value.")
    return "\n".join(lines)


def _matrix(a: np.ndarray) -> str:
    rows = a.reshape(-1, 1) if a.ndim == 1 else a
    return "[" + "; ".join(", ".join(_number(float(v)) for v in row) for row in rows) + "]"


def _number(v: float) -> str:
    return "0" if v == 0 else f"{v:.9g}" if math.isfinite(v) else repr(v)


def as_json(form: ConvMatrixForm) -> dict:
    return {"equations": [{"caption": e.caption, "form": e.form, "lhs": e.lhs,
                           "value": e.value.tolist()} for e in form.equations]}
