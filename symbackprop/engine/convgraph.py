"""The symbolic graph of a network on an image: a SymPy symbol and a defining equation for every
feature-map pixel's net and out, every pooled pixel, every flattened position, every dense
neuron, and J; and the index arithmetic of windows, both ways.

Convolution is what PyTorch's Conv2d computes, cross-correlation: the kernel is not turned,

    net[l][f][i][j] = Σ_c Σ_u Σ_v K[l][f][c][u][v]·in[c][s(i−1) + u − p][s(j−1) + v − p] + b[l][f]

(1-based; a position in the zero padding adds nothing, so its term is left out).

>>> from symbackprop.definitions.layers import *
>>> net = ConvNetwork(Image(1, 3, 3), (Convolution(1, (2, 2), bias='none'),
...                   Pooling('max_pool', (2, 2), (2, 2)), Flatten(), Dense(1, 'identity', 'none')),
...                   'half_sse')
>>> g = build(net)
>>> g.equations['net[1][1][2][1]']
K[1][1][1][1][1]*x[1][2][1] + K[1][1][1][1][2]*x[1][2][2] + K[1][1][1][2][1]*x[1][3][1] + \
K[1][1][1][2][2]*x[1][3][2]
>>> g.equations['out[2][1][1][1]']
Max(out[1][1][1][1], out[1][1][1][2], out[1][1][2][1], out[1][1][2][2])
>>> g.equations['net[4][1]'], g.params
(W[4][1][1]*out[3][1], ('K[1][1][1][1][1]', 'K[1][1][1][1][2]', 'K[1][1][1][2][1]', \
'K[1][1][1][2][2]', 'W[4][1][1]'))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from itertools import product

import sympy as sp

from ..definitions.layers import ConvNetwork, Convolution, Dense, Flatten, Pooling
from .graph import _Lazy, activation, loss, name

__all__ = ["ConvGraph", "build"]


@dataclass(frozen=True)
class ConvGraph:
    network: ConvNetwork
    symbols: Mapping[str, sp.Symbol]  # canonical name -> symbol
    equations: Mapping[str, sp.Expr]  # every net, out and J, in terms of what it reads
    order: tuple[str, ...]  # the names of `equations`, each after what it reads
    params: tuple[str, ...]  # every kernel entry and weight, then every bias, in reading order

    def __getitem__(self, canonical: str) -> sp.Symbol:
        return self.symbols[canonical]

    # --- what the evaluators need of a graph ---------------------------------------------

    @property
    def last(self) -> int:
        return self.network.depth

    @property
    def output_names(self) -> list[str]:
        return [name("out", self.last, j) for j in range(1, self.network.shapes[-1][0] + 1)]

    @property
    def output_nets(self) -> list[str]:
        return [name("net", self.last, j) for j in range(1, self.network.shapes[-1][0] + 1)]

    @property
    def target_names(self) -> list[str]:
        return [name("t", j) for j in range(1, self.network.shapes[-1][0] + 1)]

    @property
    def output_activation(self) -> str:
        return self.network.layers[-1].activation

    def layer_of(self, key: str) -> int:
        return int(key[key.index("[") + 1:key.index("]")])

    def activation_of(self, key: str) -> str | None:
        """The activation an out applies to its own net; None for pooling and flatten, whose
        outs are their equations (a maximum, a mean, a copy)."""
        return getattr(self.network.layers[self.layer_of(key) - 1], "activation", None)

    def inputs_known(self, key: str) -> bool:
        """Whether a net reads only the image (and parameters): its sum is taken exactly."""
        return self.layer_of(key) == 1

    def softmax_nets(self, key: str) -> list[str] | None:
        """The nets a softmax out depends on; None for any other quantity."""
        if not key.startswith("out") or self.activation_of(key) != "softmax":
            return None
        return self.output_nets

    def gathers(self, key: str) -> tuple[str, list[str]] | None:
        """How a pooled or flattened pixel is made from what it reads: ("max", window),
        ("mean", window) or ("copy", [the pixel]); None for a net, an activation's out, J."""
        if not key.startswith("out"):
            return None
        l, *index = _indices(key)
        layer = self.network.layers[l - 1]
        if isinstance(layer, Flatten):
            return "copy", [self.source_name(l, unflatten(self.network, l, index[0]))]
        if isinstance(layer, Pooling):
            c, i, j = index
            window = [self.source_name(l, (c, r, s)) for r, s in pool_window(self.network, l,
                                                                               i, j)]
            return ("max" if layer.kind == "max_pool" else "mean"), window
        return None

    # --- the sums ------------------------------------------------------------------------

    def source_name(self, l: int, index: tuple[int, ...]) -> str:
        """What feeds layer l at `index`: the image's pixel when l == 1, else out[l−1][...]."""
        return name("x", *index) if l == 1 else name("out", l - 1, *index)

    def bias_name(self, l: int, index: int) -> str | None:
        style = getattr(self.network.layers[l - 1], "bias", "none")
        if style == "none":
            return None
        return name("b", l) if style == "shared" else name("b", l, index)

    def net_terms_of(self, key: str) -> tuple[list[tuple[str, str]], str | None]:
        """A net's sum as (weight, input) name pairs, and its bias."""
        l, *index = _indices(key)
        layer = self.network.layers[l - 1]
        if isinstance(layer, Dense):
            j = index[0]
            terms = [(name("W", l, j, k), self.source_name(l, (k,)))
                     for k in range(1, self.network.shapes[l - 1][0] + 1)]
            return terms, self.bias_name(l, j)
        f, i, j = index
        terms = [(name("K", l, f, c, u, v), self.source_name(l, (c, r, s)))
                 for c, u, v, r, s in conv_terms(self.network, l, i, j)]
        return terms, self.bias_name(l, f)


def _indices(key: str) -> list[int]:
    return [int(i) for i in re.findall(r"\[(\d+)\]", key)]


# --- windows, both ways (1-based, as the names are) ---------------------------------------

def conv_terms(network: ConvNetwork, l: int, i: int, j: int) -> list[tuple[int, ...]]:
    """(c, u, v, row, column): every kernel entry of output pixel (i, j) of convolution l and
    the input pixel under it, the padding left out."""
    layer: Convolution = network.layers[l - 1]
    C, H, W = network.shapes[l - 1]
    (kh, kw), (sh, sw), (ph, pw) = layer.kernel, layer.stride, layer.padding
    terms = []
    for c, u, v in product(range(1, C + 1), range(1, kh + 1), range(1, kw + 1)):
        r, s = (i - 1) * sh + u - ph, (j - 1) * sw + v - pw
        if 1 <= r <= H and 1 <= s <= W:
            terms.append((c, u, v, r, s))
    return terms


def kernel_positions(network: ConvNetwork, l: int, u: int, v: int) -> list[tuple[int, ...]]:
    """(i, j, row, column): every output position of convolution l where kernel entry (u, v)
    lands on the input (not on the padding), and the input pixel it lands on."""
    layer: Convolution = network.layers[l - 1]
    _, H, W = network.shapes[l - 1]
    _, Ho, Wo = network.shapes[l]
    (sh, sw), (ph, pw) = layer.stride, layer.padding
    found = []
    for i, j in product(range(1, Ho + 1), range(1, Wo + 1)):
        r, s = (i - 1) * sh + u - ph, (j - 1) * sw + v - pw
        if 1 <= r <= H and 1 <= s <= W:
            found.append((i, j, r, s))
    return found


def touching(network: ConvNetwork, l: int, r: int, s: int) -> list[tuple[int, ...]]:
    """(i, j, u, v): every output position of convolution l whose window covers input pixel
    (r, s), and the kernel entry that lies on it there: u = r − s·(i−1) + p."""
    layer: Convolution = network.layers[l - 1]
    _, Ho, Wo = network.shapes[l]
    (kh, kw), (sh, sw), (ph, pw) = layer.kernel, layer.stride, layer.padding
    found = []
    for u, v in product(range(1, kh + 1), range(1, kw + 1)):
        di, dj = r + ph - u, s + pw - v  # = stride·(i − 1)
        if di % sh or dj % sw:
            continue
        i, j = di // sh + 1, dj // sw + 1
        if 1 <= i <= Ho and 1 <= j <= Wo:
            found.append((i, j, u, v))
    return sorted(found)


def pool_window(network: ConvNetwork, l: int, i: int, j: int) -> list[tuple[int, int]]:
    """(row, column) of every input pixel of pooling l's window (i, j), in reading order."""
    layer: Pooling = network.layers[l - 1]
    (kh, kw), (sh, sw) = layer.size, layer.stride
    return [((i - 1) * sh + u, (j - 1) * sw + v)
            for u, v in product(range(1, kh + 1), range(1, kw + 1))]


def pool_windows(network: ConvNetwork, l: int, r: int, s: int) -> list[tuple[int, int]]:
    """(i, j) of every window of pooling l that holds input pixel (r, s), in reading order
    (a pixel may be in several when the stride is less than the size, or in none)."""
    layer: Pooling = network.layers[l - 1]
    _, Ho, Wo = network.shapes[l]
    (kh, kw), (sh, sw) = layer.size, layer.stride
    rows = [i for i in range(1, Ho + 1) if 0 <= r - 1 - (i - 1) * sh < kh]
    cols = [j for j in range(1, Wo + 1) if 0 <= s - 1 - (j - 1) * sw < kw]
    return list(product(rows, cols))


def unflatten(network: ConvNetwork, l: int, k: int) -> tuple[int, int, int]:
    """The (channel, row, column) of flatten l's position k: channel by channel, row by row."""
    _, H, W = network.shapes[l - 1]
    c, rest = divmod(k - 1, H * W)
    return c + 1, rest // W + 1, rest % W + 1


# --- the graph --------------------------------------------------------------------------

def _positions(shape: tuple[int, ...]):
    return product(*(range(1, n + 1) for n in shape))


def build(network: ConvNetwork) -> ConvGraph:
    """The names at once; each symbol and each equation when it is first read."""
    shapes = network.shapes
    weights, biases, order = [], [], []
    for l, layer in enumerate(network.layers, start=1):
        shape = shapes[l]
        if isinstance(layer, Convolution):
            weights += [name("K", l, *index) for index in
                        _positions((layer.filters, shapes[l - 1][0]) + layer.kernel)]
            if layer.bias != "none":
                biases += [name("b", l, f) for f in range(1, layer.filters + 1)]
        elif isinstance(layer, Dense):
            weights += [name("W", l, j, k) for j in range(1, layer.size + 1)
                        for k in range(1, shapes[l - 1][0] + 1)]
            if layer.bias == "shared":
                biases.append(name("b", l))
            elif layer.bias == "per_neuron":
                biases += [name("b", l, j) for j in range(1, layer.size + 1)]
        kinds = ("net", "out") if isinstance(layer, (Convolution, Dense)) else ("out",)
        order += [name(kind, l, *index) for kind in kinds for index in _positions(shape)]
    order.append("J")
    names = ([name("x", *index) for index in _positions(shapes[0])]
             + [name("t", j) for j in range(1, shapes[-1][0] + 1)] + weights + biases + order)
    symbols = _Lazy(tuple(names), lambda canonical: sp.Symbol(canonical, real=True))
    graph = ConvGraph(network, symbols, {}, tuple(order), tuple(weights + biases))
    object.__setattr__(graph, "equations", _Lazy(graph.order, partial(_equation, graph)))
    return graph


def _equation(graph: ConvGraph, key: str) -> sp.Expr:
    network, sym = graph.network, graph.symbols.__getitem__
    if key == "J":
        return loss(network.loss, [sym(o) for o in graph.output_names],
                    [sym(t) for t in graph.target_names])
    l, *index = _indices(key)
    layer = network.layers[l - 1]
    if key.startswith("net"):
        terms, b = graph.net_terms_of(key)
        return sp.Add(*[sym(w) * sym(a) for w, a in terms]) + (0 if b is None else sym(b))
    if isinstance(layer, Flatten):
        return sym(graph.source_name(l, unflatten(network, l, index[0])))
    if isinstance(layer, Pooling):
        c, i, j = index
        window = [sym(graph.source_name(l, (c, r, s))) for r, s in pool_window(network, l, i, j)]
        if layer.kind == "max_pool":
            return sp.Max(*window)
        return sp.Add(*window) / len(window)
    net = sym(name("net", l, *index))
    nets = [sym(n) for n in graph.output_nets] if layer.activation == "softmax" else [net]
    return activation(layer.activation, net, nets)
