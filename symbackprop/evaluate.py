"""Numbers by SymPy substitution: the graph's equations and the derivation's factors, evaluated.

>>> from symbackprop.definition import parse
>>> from symbackprop.graph import build
>>> from symbackprop.sample import instance
>>> d = parse('''network: {layers: [1, 1], activation: identity, loss: half_sse, bias: none}
... values: {inputs: [2], targets: [1], weights: [[[3]]]}''')
>>> env = forward(build(d.network), instance(d))
>>> env['net[1][1]'], env['J']
(6.0, 12.5)
"""

from __future__ import annotations

from functools import singledispatch

import sympy as sp

from .graph import Graph, name
from .sample import Instance
from .steps import Chain, Factor, PathSum, Step


def known(graph: Graph, inst: Instance) -> dict[str, float]:
    """Inputs, targets and parameters of the instance, by canonical name."""
    v, net = inst.values, inst.network
    values = {name("x", k + 1): x for k, x in enumerate(v.inputs)}
    values |= {name("t", j + 1): t for j, t in enumerate(v.targets)}
    for l, j, k in graph.weights():
        values[name("W", l, j, k)] = v.weights[l - 1][j - 1][k - 1]
    for l in range(1, net.depth + 1) if net.bias != "none" else ():
        for j, b in enumerate(v.biases[l - 1], start=1):
            values[name("b", l) if net.bias == "shared" else name("b", l, j)] = b
    return values


def forward(graph: Graph, inst: Instance, decimals: int | None = None) -> dict[str, float]:
    """Every quantity by name: the knowns, then each net, out and J by substitution.

    With `decimals`, each result is rounded before the next uses it, as a student would.
    """
    rounding = _rounding(decimals)
    values = known(graph, inst)
    env = {graph[k]: sp.Float(v) for k, v in values.items()}
    for key in graph.order:
        values[key] = rounding(float(graph.equations[key].xreplace(env)))
        env[graph[key]] = sp.Float(values[key])
    return values


def step_values(steps, values: dict[str, float], graph: Graph,
                decimals: int | None = None) -> dict[str, float]:
    """The value of every step in the trees, by target; shared steps are evaluated once.

    With `decimals`, every factor, product and sum is rounded before it is used.
    """
    env = {graph[k]: sp.Float(v) for k, v in values.items()}
    memo: dict[str, float] = {}
    rounding = _rounding(decimals)
    for step in steps:
        value(step, env, memo, rounding)
    return memo


def _rounding(decimals: int | None):
    return (lambda v: v) if decimals is None else (lambda v: round(v, decimals) + 0.0)


@singledispatch
def value(step: Step, env, memo, rounding) -> float:
    raise TypeError(f"no value for {type(step).__name__}")


@value.register
def _(step: Factor, env, memo, rounding) -> float:
    if step.target not in memo:
        memo[step.target] = rounding(float(step.expr.xreplace(env)))
    return memo[step.target]


@value.register
def _(step: Chain, env, memo, rounding) -> float:
    if step.target not in memo:
        product = 1.0
        for f in step.factors:
            product *= value(f, env, memo, rounding)
        memo[step.target] = rounding(product)
    return memo[step.target]


@value.register
def _(step: PathSum, env, memo, rounding) -> float:
    if step.target not in memo:
        memo[step.target] = rounding(sum(value(t, env, memo, rounding) for t in step.terms))
    return memo[step.target]
