"""Chain-rule derivations of ∂J/∂w and ∂J/∂b, built from per-neuron pieces that are shared.

Each neuron's δ = ∂J/∂net is built once and reused by every weight into that neuron and by
every path back through it, so the work grows linearly with the number of parameters.

>>> from symbackprop.definitions.definition import Network
>>> from symbackprop.engine.graph import build
>>> g = build(Network((2, 2, 1), ('sigmoid', 'sigmoid'), 'half_sse', 'none'))
>>> step = derive(g, 'W[2][1][1]')
>>> [f.expr for f in flatten(step)]
[out[2][1] - t[1], out[2][1]*(1 - out[2][1]), out[1][1]]
>>> [type(f).__name__ for f in flatten(derive(g, 'W[1][1][1]'))]
['PathSum', 'ActivationGradient', 'InputGradient']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from .graph import Graph, name
from .steps import (
    IN,
    NET,
    OUT,
    ActivationGradient,
    BiasGradient,
    Chain,
    Factor,
    InputGradient,
    LossGradient,
    N,
    PathSum,
    ReLUPrime,
    SoftmaxCrossEntropy,
    Step,
    T,
    W,
    WeightGradient,
    flatten,
    leaves,
)

__all__ = ["Derivation", "derive", "derive_all", "derive_some", "flatten"]


@dataclass(frozen=True)
class Derivation:
    graph: Graph
    grads: dict[str, Step]  # parameter name -> its derivation, target 'dJ/d<param>'
    deltas: dict[str, Step]  # 'dJ/dnet[l][j]' -> that neuron's δ

    def rules(self) -> tuple[str, ...]:
        """Names of the proofs the derivations rest on, sorted."""
        used = {f.rule for s in self.grads.values() for f in leaves(s)}
        return tuple(sorted(used | {"chain_rule"}))


def derive(graph: Graph, param: str) -> Step:
    """The derivation of ∂J/∂param, as a tree of Steps."""
    return _Builder(graph).grad(param)


def derive_some(graph: Graph, params) -> Derivation:
    """The derivations of the given parameters only, with the δ's they reach."""
    builder = _Builder(graph)
    grads = {p: builder.grad(p) for p in params}
    return Derivation(graph, grads, dict(sorted(builder.deltas.items())))


def derive_all(graph: Graph) -> Derivation:
    builder = _Builder(graph)
    grads = {f"W[{l}][{j}][{k}]": builder.weight(l, j, k) for l, j, k in graph.weights()}
    grads |= {p: builder.grad(p) for p in graph.params[len(grads):]}
    return Derivation(graph, grads, dict(sorted(builder.deltas.items())))


# general form and network form of ∂out/∂net, per activation (only the one asked for is
# built: a network on an image asks for thousands)
_ACTIVATION_FORMS = {
    "sigmoid": lambda out, net: (OUT * (1 - OUT), out * (1 - out)),
    "tanh": lambda out, net: (1 - OUT**2, 1 - out**2),
    # ReLU'(0) is taken as 0 (the convention most libraries use); unevaluated: a net's symbol
    # decides nothing, and asking it for thousands of pixels costs seconds
    "relu": lambda out, net: (ReLUPrime(NET), ReLUPrime(net, evaluate=False)),
    "identity": lambda out, net: (sp.Integer(1), sp.Integer(1)),
}


def _activation_forms(kind: str, out: sp.Symbol, net: sp.Symbol):
    return _ACTIVATION_FORMS[kind](out, net)


def _loss_forms(kind: str, out: sp.Symbol, t: sp.Symbol, n: int):
    return {
        "half_sse": (OUT - T, out - t),  # the ½ cancels the 2 of the square
        # unevaluated, so that the rule reads 2(out − t), not SymPy's distributed 2out − 2t
        "sse": (_times(2, OUT - T), _times(2, out - t)),
        "mse": (_times(2, OUT - T, 1 / N), _times(2, out - t, sp.Pow(n, -1, evaluate=False))),
        "cross_entropy": (-T / OUT, -t / out),
        "binary_cross_entropy": ((OUT - T) / (OUT * (1 - OUT)), (out - t) / (out * (1 - out))),
    }[kind]


def _times(*factors) -> sp.Expr:
    """A product as the rule writes it: SymPy would distribute 2·(out − t) over the sum."""
    return sp.Mul(*map(sp.sympify, factors), evaluate=False)


class _Builder:
    def __init__(self, graph: Graph):
        self.g = graph
        self.net = graph.network
        self.deltas: dict[str, Step] = {}
        self.out_grads: dict[str, Step] = {}
        self.sources: dict[tuple[int, int], sp.Symbol] = {}

    def grad(self, param: str) -> Step:
        idx = [int(i) for i in re.findall(r"\d+", param)]
        if param.startswith("W"):
            return self.weight(*idx)
        if param not in self.g.symbols or param[0] != "b":
            raise KeyError(f"{param} is not a parameter of this network")
        return self.bias(*idx)

    def weight(self, l: int, j: int, k: int) -> Step:
        source, net = self.source(l, k), f"net[{l}][{j}]"
        w = f"W[{l}][{j}][{k}]"
        dnet = InputGradient(f"d{net}/d{w}", net, w, source, IN, "linear")
        return Chain(f"dJ/d{w}", (self.delta(l, j), dnet))

    def source(self, l: int, k: int) -> sp.Symbol:
        # one symbol per input of a layer, looked up once for all the weights that use it
        key = (l, k)
        if key not in self.sources:
            self.sources[key] = self.g.source(l, k)
        return self.sources[key]

    def bias(self, l: int, j: int | None = None) -> Step:
        if j is not None:
            return Chain(f"dJ/d{name('b', l, j)}", (self.delta(l, j), self.bias_factor(l, j)))
        # sum over paths: a shared bias reaches J through every neuron of its layer
        b = name("b", l)
        terms = tuple(Chain(f"dJ/d{b} via {name('net', l, i)}",
                            (self.delta(l, i), self.bias_factor(l, i)))
                      for i in range(1, self.net.layers[l] + 1))
        return PathSum(f"dJ/d{b}", terms)

    def bias_factor(self, l: int, j: int) -> Factor:
        b = str(self.g.bias(l, j))
        return BiasGradient(f"d{name('net', l, j)}/d{b}", name("net", l, j), b,
                            sp.Integer(1), sp.Integer(1), "linear")

    def delta(self, l: int, j: int) -> Step:
        """δ[l][j] = ∂J/∂net[l][j], built once per neuron."""
        key = f"dJ/dnet[{l}][{j}]"
        if key not in self.deltas:
            self.deltas[key] = self._delta(l, j, key)
        return self.deltas[key]

    def _delta(self, l: int, j: int, key: str) -> Step:
        L = self.net.depth
        out, net = self.g[name("out", l, j)], self.g[name("net", l, j)]
        if l == L and self.net.activations[-1] == "softmax":
            t = self.g[name("t", j)]
            return SoftmaxCrossEntropy(key, "J", str(net), out - t, OUT - T,
                                       "softmax_cross_entropy")
        kind = self.net.activations[l - 1]
        general, local = _activation_forms(kind, out, net)
        dout = ActivationGradient(f"d{out}/d{net}", str(out), str(net), local, general, kind)
        upstream = self.loss_factor(j) if l == L else self.out_grad(l, j)
        return Chain(key, (upstream, dout))

    def loss_factor(self, j: int) -> Factor:
        out, t = self.g[name("out", self.net.depth, j)], self.g[name("t", j)]
        general, local = _loss_forms(self.net.loss, out, t, self.net.layers[-1])
        return LossGradient(f"dJ/d{out}", "J", str(out), local, general, self.net.loss)

    def out_grad(self, l: int, j: int) -> Step:
        """∂J/∂out[l][j] for a hidden neuron: one path through each neuron of layer l+1."""
        key = f"dJ/d{name('out', l, j)}"
        if key in self.out_grads:
            return self.out_grads[key]
        terms = []
        for i in range(1, self.net.layers[l + 1] + 1):
            nxt, w = name("net", l + 1, i), name("W", l + 1, i, j)
            back = WeightGradient(f"d{nxt}/d{name('out', l, j)}", nxt, name("out", l, j),
                                  self.g[w], W, "linear")
            terms.append(Chain(f"{key} via {nxt}", (self.delta(l + 1, i), back)))
        self.out_grads[key] = PathSum(key, tuple(terms))
        return self.out_grads[key]
