"""The symbolic graph: a SymPy symbol and a defining equation for every net, out and J.

Every symbol's name is a canonical name built here from layer indices (an allowlist by
construction): user text never becomes a symbol.

>>> from symbackprop.definitions.definition import Network
>>> g = build(Network((2, 1), ('sigmoid',), 'half_sse', 'shared'))
>>> g.equations['net[1][1]']
W[1][1][1]*x[1] + W[1][1][2]*x[2] + b[1]
>>> g.equations['J']
(-out[1][1] + t[1])**2/2
>>> g.params
('W[1][1][1]', 'W[1][1][2]', 'b[1]')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import sympy as sp

from ..definitions.definition import Network

__all__ = ["Graph", "build", "expand", "name"]


def name(kind: str, *index: int) -> str:
    """Canonical name: name('W', 2, 1, 1) == 'W[2][1][1]'."""
    return f"{kind}[{']['.join(map(str, index))}]" if index else kind


class _Lazy(Mapping):
    """A mapping whose values are made when first read: a 784-128-10 network has 101,770
    weight symbols and 128 sums of 784 products, and most work never reads most of them."""

    def __init__(self, keys: tuple[str, ...], make: Callable[[str], sp.Expr]):
        self._keys, self._known, self._make = keys, frozenset(keys), make
        self._made: dict[str, sp.Expr] = {}

    def __getitem__(self, key: str) -> sp.Expr:
        made = self._made.get(key)
        if made is None:
            if key not in self._known:
                raise KeyError(key)
            made = self._made[key] = self._make(key)
        return made

    def __contains__(self, key) -> bool:
        return key in self._known

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True)
class Graph:
    network: Network
    symbols: Mapping[str, sp.Symbol]  # canonical name -> symbol
    equations: Mapping[str, sp.Expr]  # 'net[l][j]', 'out[l][j]', 'J' -> in terms of direct inputs
    order: tuple[str, ...]  # the names of `equations`, inputs before what uses them
    params: tuple[str, ...]  # every weight, then every bias, in reading order

    def __getitem__(self, canonical: str) -> sp.Symbol:
        return self.symbols[canonical]

    def source(self, l: int, k: int) -> sp.Symbol:
        """What feeds layer l from position k: an input when l == 1, else out[l-1][k]."""
        return self[self.source_name(l, k)]

    @staticmethod
    def source_name(l: int, k: int) -> str:
        return f"x[{k}]" if l == 1 else f"out[{l - 1}][{k}]"

    def bias(self, l: int, j: int) -> sp.Symbol | None:
        b = self.bias_name(l, j)
        return None if b is None else self[b]

    def bias_name(self, l: int, j: int) -> str | None:
        style = self.network.bias
        if style == "none":
            return None
        return name("b", l) if style == "shared" else name("b", l, j)

    def net_terms(self, l: int, j: int) -> tuple[list[tuple[str, str]], str | None]:
        """net[l][j] = Σ_k W[l][j][k]·in_k + b, as (weight, input) name pairs and the bias."""
        terms = [(f"W[{l}][{j}][{k}]", self.source_name(l, k))
                 for k in range(1, self.network.layers[l - 1] + 1)]
        return terms, self.bias_name(l, j)

    # --- what the evaluators need of a graph (convgraph.ConvGraph has the same) ----------

    @property
    def output_names(self) -> list[str]:
        return [name("out", self.network.depth, j) for j in range(1, self.network.layers[-1] + 1)]

    @property
    def output_nets(self) -> list[str]:
        return [name("net", self.network.depth, j) for j in range(1, self.network.layers[-1] + 1)]

    @property
    def target_names(self) -> list[str]:
        return [name("t", j) for j in range(1, self.network.layers[-1] + 1)]

    @property
    def output_activation(self) -> str:
        return self.network.activations[-1]

    def layer_of(self, key: str) -> int:
        return int(key[key.index("[") + 1:key.index("]")])

    def activation_of(self, key: str) -> str:
        """The activation an out applies to its net."""
        return self.network.activations[self.layer_of(key) - 1]

    def inputs_known(self, key: str) -> bool:
        """Whether a net reads only inputs (and parameters): its sum is taken exactly."""
        return key.startswith("net[1]")

    def softmax_nets(self, key: str) -> list[str] | None:
        """The nets a softmax out depends on (its layer's); None for any other quantity."""
        if not key.startswith("out") or self.activation_of(key) != "softmax":
            return None
        l = self.layer_of(key)
        return [name("net", l, k) for k in range(1, self.network.layers[l] + 1)]

    def gathers(self, key: str) -> None:
        """A dense network has no pooled or flattened pixels (see ConvGraph.gathers)."""
        return None

    def net_terms_of(self, key: str) -> tuple[list[tuple[str, str]], str | None]:
        l, j = (int(i) for i in key[4:-1].split("]["))
        return self.net_terms(l, j)

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
    """The names at once; each symbol and each equation when it is first read."""
    sizes, L = network.layers, network.depth
    weights = [f"W[{l}][{j}][{k}]" for l in range(1, L + 1) for j in range(1, sizes[l] + 1)
               for k in range(1, sizes[l - 1] + 1)]
    biases = [] if network.bias == "none" else [
        name("b", l) if network.bias == "shared" else name("b", l, j)
        for l in range(1, L + 1) for j in ((1,) if network.bias == "shared"
                                           else range(1, sizes[l] + 1))]
    order = [key for l in range(1, L + 1) for kind in ("net", "out")
             for key in (name(kind, l, j) for j in range(1, sizes[l] + 1))] + ["J"]
    names = ([name("x", k) for k in range(1, sizes[0] + 1)]
             + [name("t", j) for j in range(1, sizes[-1] + 1)] + weights + biases + order)
    symbols = _Lazy(tuple(names), lambda canonical: sp.Symbol(canonical, real=True))
    graph = Graph(network, symbols, {}, tuple(order), tuple(weights + biases))
    object.__setattr__(graph, "equations", _Lazy(graph.order, partial(_equation, graph)))
    return graph


def _equation(graph: Graph, key: str) -> sp.Expr:
    network, sym = graph.network, graph.symbols.__getitem__
    if key == "J":
        n = network.layers[-1]
        return loss(network.loss, [sym(name("out", network.depth, j)) for j in range(1, n + 1)],
                    [sym(name("t", j)) for j in range(1, n + 1)])
    l, j = (int(i) for i in re.findall(r"\d+", key))
    if key.startswith("net"):
        terms, b = graph.net_terms(l, j)
        return sp.Add(*[sym(w) * sym(a) for w, a in terms]) + (0 if b is None else sym(b))
    nets = [sym(name("net", l, i)) for i in range(1, network.layers[l] + 1)]
    return activation(network.activations[l - 1], nets[j - 1], nets)


def expand(graph: Graph, expr: sp.Expr) -> sp.Expr:
    """Replace every net and out in `expr` by its definition, down to inputs and parameters.

    Only tests and the plain-diff benchmark use this: the derivations never expand.
    """
    full: dict[sp.Symbol, sp.Expr] = {}
    for key in graph.order[:-1]:
        full[graph[key]] = graph.equations[key].xreplace(full)
    return expr.xreplace(full)
