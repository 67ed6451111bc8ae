"""Chain-rule derivations of a network on an image: ∂J/∂K, ∂J/∂W, ∂J/∂b, and ∂J/∂x for every
pixel of the image, built, as derivation.py builds a dense network's, from pieces that are
shared: each pixel's and neuron's δ = ∂J/∂net and each map's ∂J/∂out once.

A kernel entry is in every net of its map, so its gradient adds one path per output position
it touched (the correlation of the layer's input with δ); the way back to a layer's input adds
one path per output whose window covers the pixel (the full convolution of δ with the kernel
turned 180°); max pooling routes a pooled pixel's gradient to its window's first maximum,
average pooling shares it equally; flatten hands it back unchanged.

>>> from symbackprop.definitions.layers import *
>>> from symbackprop.engine.convgraph import build
>>> net = ConvNetwork(Image(1, 3, 3), (Convolution(1, (2, 2), bias='none'),
...                   Pooling('max_pool', (2, 2), (2, 2)), Flatten(), Dense(1, 'identity', 'none')),
...                   'half_sse')
>>> d = derive_all(build(net))
>>> k = d.grads['K[1][1][1][1][1]']
>>> type(k).__name__, [t.target for t in k.terms][:2]
('KernelPaths', ['dJ/dK[1][1][1][1][1] via net[1][1][1][1]', \
'dJ/dK[1][1][1][1][1] via net[1][1][1][2]'])
>>> [type(f).__name__ for f in flatten(k.terms[0])], flatten(k.terms[0])[-1].expr
(['PoolPaths', 'ActivationGradient', 'KernelInput'], x[1][1][1])
>>> d.rules()
('chain_rule', 'half_sse', 'identity', 'input_gradient', 'kernel_gradient', 'linear', 'max_pool')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from ..definitions.layers import Convolution, Dense, Flatten, Pooling
from .convgraph import (
    ConvGraph,
    kernel_positions,
    pool_window,
    pool_windows,
    touching,
)
from .convsteps import (
    IN,
    WINDOW,
    AveragePoolGradient,
    FilterBiasPaths,
    FirstMaximum,
    FlattenGradient,
    InputPaths,
    K,
    KernelInput,
    KernelPaths,
    KernelWeight,
    MaxPoolGradient,
    PoolPaths,
)
from .derivation import _activation_forms, _loss_forms
from .graph import name
from .steps import (
    IN as DENSE_IN,
)
from .steps import (
    OUT,
    ActivationGradient,
    BiasGradient,
    Chain,
    InputGradient,
    LossGradient,
    PathSum,
    SoftmaxCrossEntropy,
    Step,
    T,
    W,
    WeightGradient,
    flatten,  # noqa: F401 - the doctest's
    leaves,
)

__all__ = ["ConvDerivation", "derive_all", "derive_some"]

WINDOW_SIZE = sp.Symbol("n", positive=True)  # pixels in a pooling window


@dataclass(frozen=True)
class ConvDerivation:
    graph: ConvGraph
    grads: dict[str, Step]  # parameter name -> its derivation, target 'dJ/d<param>'
    deltas: dict[str, Step]  # 'dJ/dnet[l][...]' -> that pixel's or neuron's δ
    out_grads: dict[str, Step]  # 'dJ/dout[l][...]' and the image's 'dJ/dx[c][i][j]'
    inputs: dict[str, Step]  # 'x[c][i][j]' -> the derivation of dJ/dx[c][i][j]

    def rules(self) -> tuple[str, ...]:
        """Names of the proofs the derivations rest on, sorted."""
        roots = list(self.grads.values()) + list(self.inputs.values())
        used = {f.rule for s in roots for f in leaves(s)}
        return tuple(sorted(used | {"chain_rule"}))


def derive_all(graph: ConvGraph) -> ConvDerivation:
    """Every parameter's gradient and every image pixel's ∂J/∂x."""
    builder = _Builder(graph)
    grads = {p: builder.grad(p) for p in graph.params}
    inputs = {x: builder.out_grad(0, _index(x)) for x in graph.symbols if x.startswith("x[")}
    return builder.derivation(grads, inputs)


def derive_some(graph: ConvGraph, params) -> ConvDerivation:
    """The gradients of the given parameters only, with the δ's they reach."""
    builder = _Builder(graph)
    return builder.derivation({p: builder.grad(p) for p in params}, {})


def _index(key: str) -> tuple[int, ...]:
    return tuple(int(i) for i in re.findall(r"\[(\d+)\]", key))


class _Builder:
    def __init__(self, graph: ConvGraph):
        self.g, self.net = graph, graph.network
        self.sym = graph.symbols.__getitem__  # (the graph's own lookup, one call fewer)
        self.deltas: dict[str, Step] = {}
        self.made: dict[tuple, Step] = {}  # the δ's again, by (layer, index): found faster
        self.out_grads: dict[str, Step] = {}

    def derivation(self, grads, inputs) -> ConvDerivation:
        return ConvDerivation(self.g, grads, dict(sorted(self.deltas.items())),
                              dict(sorted(self.out_grads.items())), inputs)

    def grad(self, param: str) -> Step:
        if param not in self.g.symbols or param[0] not in "KWb":
            raise KeyError(f"{param} is not a parameter of this network")
        l, *index = _index(param)
        layer = self.net.layers[l - 1]
        if param[0] == "K":
            return self.kernel(l, *index)
        if param[0] == "W":
            j, k = index
            w, net = name("W", l, j, k), name("net", l, j)
            dnet = InputGradient(f"d{net}/d{w}", net, w, self.g[self.g.source_name(l, (k,))],
                                 DENSE_IN, "linear")
            return Chain(f"dJ/d{w}", (self.delta(l, (j,)), dnet))
        if isinstance(layer, Convolution):
            return self.filter_bias(l, index[0])
        if index:  # a dense layer's bias per neuron
            return Chain(f"dJ/d{param}", (self.delta(l, tuple(index)),
                                          self.bias_factor(l, tuple(index), param)))
        # sum over paths: a shared bias reaches J through every neuron of its layer
        return PathSum(f"dJ/d{param}", tuple(
            Chain(f"dJ/d{param} via {name('net', l, j)}",
                  (self.delta(l, (j,)), self.bias_factor(l, (j,), param)))
            for j in range(1, layer.size + 1)))

    def kernel(self, l: int, f: int, c: int, u: int, v: int) -> Step:
        """∂J/∂K[l][f][c][u][v]: one path for each output position the entry touched."""
        k = name("K", l, f, c, u, v)
        source = f"x[{c}]" if l == 1 else f"out[{l - 1}][{c}]"
        terms = []
        for i, j, r, s in kernel_positions(self.net, l, u, v):
            net = f"net[{l}][{f}][{i}][{j}]"  # (written out: this loop makes most names)
            under = KernelInput(f"d{net}/d{k}", net, k, self.sym(f"{source}[{r}][{s}]"),
                                IN, "kernel_gradient")
            terms.append(Chain(f"dJ/d{k} via {net}", (self.delta(l, (f, i, j)), under)))
        return KernelPaths(f"dJ/d{k}", tuple(terms))

    def filter_bias(self, l: int, f: int) -> Step:
        """∂J/∂b[l][f]: one path for each pixel of filter f's map."""
        b, (_, rows, cols) = name("b", l, f), self.net.shapes[l]
        return FilterBiasPaths(f"dJ/d{b}", tuple(
            Chain(f"dJ/d{b} via {name('net', l, f, i, j)}",
                  (self.delta(l, (f, i, j)), self.bias_factor(l, (f, i, j), b, "convolution_bias")))
            for i in range(1, rows + 1) for j in range(1, cols + 1)))

    def bias_factor(self, l: int, index: tuple[int, ...], b: str, rule: str = "linear"):
        net = name("net", l, *index)
        return BiasGradient(f"d{net}/d{b}", net, b, sp.Integer(1), sp.Integer(1), rule)

    def delta(self, l: int, index: tuple[int, ...]) -> Step:
        """δ = ∂J/∂net of a feature-map pixel or a dense neuron, built once each."""
        made = self.made.get((l, index))
        if made is None:
            key = f"dJ/d{name('net', l, *index)}"
            made = self.made[l, index] = self.deltas[key] = self._delta(l, index, key)
        return made

    def _delta(self, l: int, index: tuple[int, ...], key: str) -> Step:
        out, net = self.g[name("out", l, *index)], self.g[name("net", l, *index)]
        layer, last = self.net.layers[l - 1], l == self.net.depth
        if last and layer.activation == "softmax":
            t = self.g[name("t", index[0])]
            return SoftmaxCrossEntropy(key, "J", str(net), out - t, OUT - T,
                                       "softmax_cross_entropy")
        general, local = _activation_forms(layer.activation, out, net)
        dout = ActivationGradient(f"d{out}/d{net}", str(out), str(net), local, general,
                                  layer.activation)
        return Chain(key, (self.loss_factor(index[0]) if last else self.out_grad(l, index),
                           dout))

    def loss_factor(self, j: int) -> LossGradient:
        out, t = self.g[name("out", self.net.depth, j)], self.g[name("t", j)]
        general, local = _loss_forms(self.net.loss, out, t, self.net.shapes[-1][0])
        return LossGradient(f"dJ/d{out}", "J", str(out), local, general, self.net.loss)

    def out_grad(self, l: int, index: tuple[int, ...]) -> Step:
        """∂J/∂out[l][...] of a hidden layer, or of the image (l = 0: ∂J/∂x[c][i][j]),
        through the layer after it."""
        me = name("x", *index) if l == 0 else name("out", l, *index)
        key = f"dJ/d{me}"
        if key not in self.out_grads:
            after = self.net.layers[l]
            self.out_grads[key] = {Dense: self._through_dense, Flatten: self._through_flatten,
                                   Pooling: self._through_pooling,
                                   Convolution: self._through_convolution}[type(after)](
                l + 1, index, me, key)
        return self.out_grads[key]

    def _through_dense(self, l: int, index, me: str, key: str) -> Step:
        """Σ_i δ[l][i] · W[l][i][k]: one path through each neuron of the dense layer."""
        (k,), terms = index, []
        for i in range(1, self.net.layers[l - 1].size + 1):
            nxt, w = name("net", l, i), name("W", l, i, k)
            back = WeightGradient(f"d{nxt}/d{me}", nxt, me, self.g[w], W, "linear")
            terms.append(Chain(f"{key} via {nxt}", (self.delta(l, (i,)), back)))
        return PathSum(key, tuple(terms))

    def _through_flatten(self, l: int, index, me: str, key: str) -> Step:
        """∂J/∂in[c][i][j] = ∂J/∂out[k] · 1, k its position in the vector."""
        _, rows, cols = self.net.shapes[l - 1]
        c, r, s = index
        k = (c - 1) * rows * cols + (r - 1) * cols + s  # as convgraph.unflatten reads it back
        out = name("out", l, k)
        moved = FlattenGradient(f"d{out}/d{me}", out, me, sp.Integer(1), sp.Integer(1),
                                "identity")
        return Chain(key, (self.out_grad(l, (k,)), moved))

    def _through_pooling(self, l: int, index, me: str, key: str) -> Step:
        """One path through each window that holds the pixel."""
        layer, (c, r, s) = self.net.layers[l - 1], index
        terms = []
        for i, j in pool_windows(self.net, l, r, s):
            out = name("out", l, c, i, j)
            window = pool_window(self.net, l, i, j)
            target = f"d{out}/d{me}"
            if layer.kind == "max_pool":
                symbols = [self.g[self.g.source_name(l, (c, a, b))] for a, b in window]
                factor = MaxPoolGradient(target, out, me, FirstMaximum(
                    window.index((r, s)) + 1, *symbols, evaluate=False),
                    FirstMaximum(1, WINDOW), "max_pool")
            else:
                factor = AveragePoolGradient(target, out, me, sp.Rational(1, len(window)),
                                             1 / WINDOW_SIZE, "average_pool")
            terms.append(Chain(f"{key} via {out}", (self.out_grad(l, (c, i, j)), factor)))
        return PoolPaths(key, tuple(terms))

    def _through_convolution(self, l: int, index, me: str, key: str) -> Step:
        """One path through each output pixel, of every filter, whose window covers it."""
        layer, (c, r, s) = self.net.layers[l - 1], index
        terms = []
        covering = touching(self.net, l, r, s)
        for f in range(1, layer.filters + 1):
            for i, j, u, v in covering:
                net = f"net[{l}][{f}][{i}][{j}]"
                entry = self.sym(f"K[{l}][{f}][{c}][{u}][{v}]")
                back = KernelWeight(f"d{net}/d{me}", net, me, entry, K, "input_gradient")
                terms.append(Chain(f"{key} via {net}", (self.delta(l, (f, i, j)), back)))
        return InputPaths(key, tuple(terms))
