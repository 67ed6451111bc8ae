"""The symbolic graph: a SymPy symbol and a defining equation for every net, out and J.

Every symbol's name is a canonical name built here from layer indices (an allowlist by
construction): user text never becomes a symbol.

>>> from symbackprop.definition import Network
>>> g = build(Network((2, 1), ('sigmoid',), 'half_sse', 'shared'))
>>> g.equations['net[1][1]']
W[1][1][1]*x[1] + W[1][1][2]*x[2] + b[1]
>>> g.equations['J']
(-out[1][1] + t[1])**2/2
>>> g.params
('W[1][1][1]', 'W[1][1][2]', 'b[1]')
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .definition import Network

__all__ = ["Graph", "build", "expand", "name"]


def name(kind: str, *index: int) -> str:
    """Canonical name: name('W', 2, 1, 1) == 'W[2][1][1]'."""
    return kind + "".join(f"[{i}]" for i in index)


@dataclass(frozen=True)
class Graph:
    network: Network
    symbols: dict[str, sp.Symbol]  # canonical name -> symbol
    equations: dict[str, sp.Expr]  # 'net[l][j]', 'out[l][j]', 'J' -> in terms of direct inputs
    order: tuple[str, ...]  # the names of `equations`, inputs before what uses them
    params: tuple[str, ...]  # every weight, then every bias, in reading order

    def __getitem__(self, canonical: str) -> sp.Symbol:
        return self.symbols[canonical]

    def source(self, l: int, k: int) -> sp.Symbol:
        """What feeds layer l from position k: an input when l == 1, else out[l-1][k]."""
        return self[name("x", k)] if l == 1 else self[name("out", l - 1, k)]

    def bias(self, l: int, j: int) -> sp.Symbol | None:
        style = self.network.bias
        if style == "none":
            return None
        return self[name("b", l)] if style == "shared" else self[name("b", l, j)]

    def weights(self):
        """(l, j, k) of every weight, in reading order."""
        sizes = self.network.layers
        for l in range(1, len(sizes)):
            for j in range(1, sizes[l] + 1):
                for k in range(1, sizes[l - 1] + 1):
                    yield l, j, k


def activation(kind: str, net: sp.Expr, layer_nets: list[sp.Expr]) -> sp.Expr:
    if kind == "sigmoid":
        return 1 / (1 + sp.exp(-net))
    if kind == "tanh":
        return sp.tanh(net)
    if kind == "relu":
        return sp.Max(0, net)
    if kind == "identity":
        return net
    # softmax: exp over the layer's sum of exps
    return sp.exp(net) / sp.Add(*[sp.exp(n) for n in layer_nets])


def loss(kind: str, out: list[sp.Symbol], t: list[sp.Symbol]) -> sp.Expr:
    pairs = list(zip(t, out))
    if kind == "half_sse":
        return sp.Rational(1, 2) * sp.Add(*[(ti - yi) ** 2 for ti, yi in pairs])
    if kind == "sse":
        return sp.Add(*[(ti - yi) ** 2 for ti, yi in pairs])
    if kind == "mse":
        return sp.Add(*[(ti - yi) ** 2 for ti, yi in pairs]) / len(pairs)
    if kind == "cross_entropy":
        return -sp.Add(*[ti * sp.log(yi) for ti, yi in pairs])
    # binary_cross_entropy, summed over the outputs
    return -sp.Add(*[ti * sp.log(yi) + (1 - ti) * sp.log(1 - yi) for ti, yi in pairs])


def build(network: Network) -> Graph:
    sizes, L = network.layers, network.depth
    symbols: dict[str, sp.Symbol] = {}

    def sym(canonical: str) -> sp.Symbol:
        return symbols.setdefault(canonical, sp.Symbol(canonical, real=True))

    for k in range(1, sizes[0] + 1):
        sym(name("x", k))
    for j in range(1, sizes[-1] + 1):
        sym(name("t", j))
    weights, biases = [], []
    for l in range(1, L + 1):
        for j in range(1, sizes[l] + 1):
            weights += [name("W", l, j, k) for k in range(1, sizes[l - 1] + 1)]
        if network.bias == "shared":
            biases.append(name("b", l))
        elif network.bias == "per_neuron":
            biases += [name("b", l, j) for j in range(1, sizes[l] + 1)]
    for p in weights + biases:
        sym(p)

    equations: dict[str, sp.Expr] = {}
    for l in range(1, L + 1):
        prev = [sym(name("x", k)) if l == 1 else sym(name("out", l - 1, k))
                for k in range(1, sizes[l - 1] + 1)]
        nets = []
        for j in range(1, sizes[l] + 1):
            b = {"none": 0, "shared": symbols.get(name("b", l)),
                 "per_neuron": symbols.get(name("b", l, j))}[network.bias]
            terms = [sym(name("W", l, j, k)) * prev[k - 1] for k in range(1, sizes[l - 1] + 1)]
            equations[name("net", l, j)] = sp.Add(*terms) + b
            nets.append(sym(name("net", l, j)))
        for j in range(1, sizes[l] + 1):
            equations[name("out", l, j)] = activation(network.activations[l - 1], nets[j - 1], nets)
            sym(name("out", l, j))
    outs = [symbols[name("out", L, j)] for j in range(1, sizes[-1] + 1)]
    targets = [symbols[name("t", j)] for j in range(1, sizes[-1] + 1)]
    equations["J"] = loss(network.loss, outs, targets)
    sym("J")
    return Graph(network, symbols, equations, tuple(equations), tuple(weights + biases))


def expand(graph: Graph, expr: sp.Expr) -> sp.Expr:
    """Replace every net and out in `expr` by its definition, down to inputs and parameters.

    Only tests and the plain-diff benchmark use this: the derivations never expand.
    """
    full: dict[sp.Symbol, sp.Expr] = {}
    for key in graph.order[:-1]:
        full[graph[key]] = graph.equations[key].xreplace(full)
    return expr.xreplace(full)
