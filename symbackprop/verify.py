"""Three ways to every number: SymPy substitution, the NumPy evaluator, finite differences.

Nothing leaves this module that has not agreed to 1e-9 relative.

>>> from symbackprop.definition import parse
>>> from symbackprop.sample import instance
>>> d = parse('''network: {layers: [2, 1], activation: sigmoid, loss: half_sse, bias: shared}
... values: {inputs: [1, 2], targets: [1], weights: [[[0.5, -0.25]]], biases: [[0.1]]}''')
>>> r = run(d, instance(d))
>>> round(r.grads['W[1][1][1]'], 9), r.fd_max_rel_err < 1e-9
(-0.118458809, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import numeric
from .definition import Definition
from .derive import Derivation, derive_all
from .errors import NoDerivative, VerificationError
from .evaluate import forward, step_values
from .graph import build, name
from .sample import Instance

TOLERANCE = 1e-9
FLOOR = 1e-5  # below this size, differences are compared absolutely (to FLOOR·TOLERANCE = 1e-14,
#               a little above what long-double finite differences can resolve)


@dataclass(frozen=True)
class Verified:
    instance: Instance
    derivation: Derivation
    values: dict[str, float]  # every x, t, W, b, net, out and J by canonical name
    steps: dict[str, float]  # every step of every derivation, by target
    grads: dict[str, float]  # parameter name -> ∂J/∂param
    updated: dict[str, float]  # parameter name -> value after one gradient-descent step
    numpy_max_abs_diff: float
    fd_max_rel_err: float


def run(defn: Definition, inst: Instance) -> Verified:
    """Build, derive, evaluate and verify: the engine's whole chain for one instance."""
    return verify(derive_all(build(defn.network)), inst)


def verify(derivation: Derivation, inst: Instance) -> Verified:
    graph = derivation.graph
    values = forward(graph, inst)
    steps = step_values(derivation.grads.values(), values, graph)
    grads = {p: steps[s.target] for p, s in derivation.grads.items()}
    p = numeric.params(inst)
    layers = numeric.forward(inst, p)
    forward_np = _flat_layers(layers) | {"J": float(numeric.loss(inst, p, layers))}
    _agree("NumPy forward pass", {k: values[k] for k in forward_np}, forward_np)
    style = inst.network.bias
    grads_np = _flat_params(numeric.gradients(inst, p), style)
    _agree("NumPy backward pass", grads, grads_np)
    _no_relu_kink(inst, layers)
    grads_fd = _flat_params(numeric.finite_differences(inst), style)
    _agree("finite differences", grads, grads_fd)
    updated = _updated(inst, values, grads)
    _agree("NumPy gradient step", updated, _flat_params(numeric.step(inst, p), style))
    return Verified(
        inst, derivation, values, steps, grads, updated,
        numpy_max_abs_diff=max(abs(grads[k] - grads_np[k]) for k in grads),
        fd_max_rel_err=_max_rel(grads, grads_fd),
    )


def _no_relu_kink(inst: Instance, layers) -> None:
    """A ReLU neuron whose net is (nearly) 0 has no slope there: refuse with the reason."""
    for l, (act, layer) in enumerate(zip(inst.network.activations, layers), start=1):
        for j, z in enumerate(layer.net, start=1):
            if act == "relu" and abs(z) < 1e-6:
                raise NoDerivative(
                    f"net[{l}][{j}] = {float(z):.3g} is at ReLU's corner, where it has no "
                    "derivative (finite differences see a slope of ½); change a number so that "
                    "no ReLU neuron's net is 0")


def _updated(inst: Instance, values, grads) -> dict[str, float]:
    eta = inst.learning_rate
    return {k: values[k] - eta * g if k.startswith("W") or inst.update_biases else values[k]
            for k, g in grads.items()}


def rel_err(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), FLOOR)


def _max_rel(ours: dict[str, float], theirs: dict[str, float]) -> float:
    return max((rel_err(ours[k], theirs[k]) for k in ours), default=0.0)


def _agree(what: str, ours: dict[str, float], theirs: dict[str, float]) -> None:
    if ours.keys() != theirs.keys():
        raise VerificationError(f"{what}: different quantities ({sorted(ours ^ theirs)[:3]})")
    worst = max(ours, key=lambda k: rel_err(ours[k], theirs[k]), default=None)
    if worst is not None and rel_err(ours[worst], theirs[worst]) > TOLERANCE:
        raise VerificationError(
            f"{what} disagrees with the SymPy derivation at {worst}: "
            f"{ours[worst]!r} vs {theirs[worst]!r}")


def _flat_layers(layers: list[numeric.Layer]) -> dict[str, float]:
    flat = {}
    for l, layer in enumerate(layers, start=1):
        for j, (z, a) in enumerate(zip(layer.net, layer.out), start=1):
            flat[name("net", l, j)], flat[name("out", l, j)] = float(z), float(a)
    return flat


def _flat_params(p: numeric.Params, bias_style: str) -> dict[str, float]:
    flat = {}
    for l, W in enumerate(p.W, start=1):
        for (j, k), w in np.ndenumerate(W):
            flat[name("W", l, j + 1, k + 1)] = float(w)
    for l, b in enumerate(p.b or [], start=1):
        if bias_style == "shared":
            flat[name("b", l)] = float(b[0])
        else:
            for j, v in enumerate(b, start=1):
                flat[name("b", l, j)] = float(v)
    return flat
