"""An optimizer's steps from a verified result: step 1 from its gradients, and each later step
from the gradients at the parameters the step before left, derived and verified three ways
again; every step's quantities derived (updates.py) and checked against the NumPy optimizer.

>>> from symbackprop.definitions.definition import parse
>>> from symbackprop.engine.sample import instance
>>> from symbackprop.engine.verify import run
>>> d = parse('''network: {layers: [1, 1], activation: identity, loss: half_sse, bias: none}
... values: {inputs: [1], targets: [0], weights: [[[1]]]}
... optimizer: {name: momentum, momentum: 0.5}''')
>>> steps = optimize(d, run(d, instance(d)), 2)
>>> [(s.t, s.state['velocity'], s.new) for s in steps]
[(1, {'W[1][1][1]': 1.0}, {'W[1][1][1]': 0.5}), (2, {'W[1][1][1]': 1.0}, {'W[1][1][1]': 0.0})]
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..definitions.definition import Definition, Values
from ..definitions.layered import LayerValues
from . import convnumeric, numeric, optimizers, updates
from .verify import Verified

MAX_STEPS = 10  # a derivation's steps: each one is derived and verified in full


def optimize(defn: Definition, r: Verified, steps: int = 1) -> list[updates.OptimizerStep]:
    """`steps` steps of the instance's optimizer (plain gradient descent by default)."""
    inst, taken = r.instance, []
    state: dict[str, dict[str, float]] = {}
    numpy_state = optimizers.State()
    for t in range(1, steps + 1):
        if t > 1:
            r = _rerun(defn, r, taken[-1].new)
        names = list(r.grads)
        fixed = frozenset(p for p in names if p.startswith("b") and not inst.update_biases)
        step = updates.take(inst.optimizer, inst.learning_rate, {p: r.values[p] for p in names},
                            r.grads, state, t, fixed)
        w = np.array([r.values[p] for p in names])
        numpy_state = updates.check(step, names, w, _numpy_gradient(r, names), numpy_state,
                                    inst.update_biases)
        state = step.state
        taken.append(step)
    return taken


def _numpy_gradient(r: Verified, names: list[str]) -> np.ndarray:
    """The NumPy evaluator's gradient of the named parameters (its own, not the verified)."""
    inst = r.instance
    if hasattr(inst.values, "image"):
        flat = convnumeric.flatten(convnumeric.gradients(inst, convnumeric.params(inst))[0])
    else:
        flat = numeric.flatten(numeric.gradients(inst, numeric.params(inst)))
    at = {p: i for i, p in enumerate(r.derivation.graph.params)}
    return flat[[at[p] for p in names]]


def _rerun(defn: Definition, r: Verified, new: dict[str, float]) -> Verified:
    """The derivation verified again at the parameters after a step."""
    inst = with_parameters(r.instance, new)
    if hasattr(inst.values, "image"):
        from .convverify import verify
    else:
        from .verify import verify
    return verify(r.derivation, inst)


def with_parameters(inst, new: dict[str, float]):
    """The instance with these parameters' values (by canonical name), the others kept."""
    if hasattr(inst.values, "image"):
        from .convgraph import build
        from .evaluate import known_layered

        graph = build(inst.network)
        values = known_layered(graph, inst) | new
        layers = []
        for l, v in enumerate(inst.values.layers, start=1):
            if v.weights is None:
                layers.append(v)
                continue
            mine = [values[p] for p in graph.params if p[0] in "KW" and _layer(p) == l]
            b = None if v.biases is None else tuple(
                values[p] for p in graph.params if p[0] == "b" and _layer(p) == l)
            layers.append(LayerValues(_tuple(np.reshape(mine, np.shape(v.weights))), b))
        return replace(inst, values=replace(inst.values, layers=tuple(layers)))
    from .graph import build

    net, v = inst.network, inst.values
    graph = build(net)
    given = dict(zip(graph.params, [w for m in v.weights for row in m for w in row]
                     + ([] if v.biases is None else [b for layer in v.biases for b in layer])))
    given |= new
    weights = tuple(tuple(tuple(given[f"W[{l}][{j}][{k}]"] for k in range(1, len(row) + 1))
                          for j, row in enumerate(m, start=1))
                    for l, m in enumerate(v.weights, start=1))
    biases = None if v.biases is None else tuple(
        tuple(given[p] for p in graph.params if p[0] == "b" and _layer(p) == l)
        for l in range(1, len(v.biases) + 1))
    return replace(inst, values=Values(v.inputs, v.targets, weights, biases, v.examples))


def _layer(p: str) -> int:
    return int(p[p.index("[") + 1:p.index("]")])


def _tuple(a: np.ndarray):
    return tuple(_tuple(x) for x in a) if a.ndim > 1 else tuple(float(x) for x in a)
