"""Three ways to every number: SymPy substitution, the NumPy evaluator, finite differences.

Nothing leaves this module that has not agreed: to 1e-9 relative, or within what rounding can
do to the quantity (see `_agree`); finite differences within their own error estimate.

>>> from symbackprop.definition import parse
>>> from symbackprop.sample import instance
>>> d = parse('''network: {layers: [2, 1], activation: sigmoid, loss: half_sse, bias: shared}
... values: {inputs: [1, 2], targets: [1], weights: [[[0.5, -0.25]]], biases: [[0.1]]}''')
>>> r = run(d, instance(d))
>>> round(r.grads['W[1][1][1]'], 9), r.fd_max_rel_err < 1e-9
(-0.118458809, True)
>>> fd, err = (_flat_params(p, 'shared') for p in numeric.finite_differences(r.instance))
>>> bad = dict(r.grads, **{'W[1][1][1]': r.grads['W[1][1][1]'] * (1 + 1e-6)})
>>> _agree_fd(bad, fd, err, r.grads)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symbackprop.errors.VerificationError: finite differences disagree ... at W[1][1][1]: ...
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

# SymPy's side is evaluated in high precision (evaluate.py) and rounded once, so a difference
# from NumPy is NumPy's rounding.
TOLERANCE = 1e-9  # relative: two computations in double precision agree far closer than this
# ...unless a quantity is small only because larger terms cancel in it; then rounding errors are
# relative to the terms, not to the result. ROUNDING is the part of a quantity's own size scale
# (the same sums taken in absolute values: numeric.magnitudes for gradients, Σ|w·in| + |b| for
# a net) that double-precision rounding may reach: about 9000 units of 1.1e-16, room for sums
# over thousands of terms, chained through a few layers (Higham: a sum of n terms is exact to
# n·u·Σ|terms|). A wrong factor moves a gradient by its size times the factor's error, so it is
# still caught unless it is below 1e-12 of that size.
ROUNDING = 1e-12
UNDERFLOW = 1e-290  # within a few roundings of double's smallest normal number (2.2e-308),
#                     where relative precision runs out: differences below this are not judged
FLOOR = 1e-5  # rel_err's floor, used only for reporting (fd_max_rel_err) and by lessons


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
    style = inst.network.bias
    with np.errstate(over="ignore", invalid="ignore"):  # SymPy already refused what overflows
        layers = numeric.forward(inst, p)
        forward_np = _flat_layers(layers) | {"J": float(numeric.loss(inst, p, layers))}
        _agree("NumPy forward pass", {k: values[k] for k in forward_np}, forward_np,
               _forward_scale(inst, p, layers))
        grads_np = _flat_params(numeric.gradients(inst, p), style)
        sizes = _flat_params(numeric.magnitudes(inst, p), style)
        _agree("NumPy backward pass", grads, grads_np, sizes)
        _no_relu_kink(inst, layers)
        fd, fd_err = numeric.finite_differences(inst)
        grads_fd = _flat_params(fd, style)
        _agree_fd(grads, grads_fd, _flat_params(fd_err, style), sizes)
        updated = _updated(inst, values, grads)
        eta = inst.learning_rate
        _agree("NumPy gradient step", updated, _flat_params(numeric.step(inst, p), style),
               {k: abs(values[k]) + eta * sizes[k] for k in updated})
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


def _agree(what: str, ours: dict[str, float], theirs: dict[str, float],
           sizes: dict[str, float]) -> None:
    """Agreement to TOLERANCE relative, or within ROUNDING of the quantity's size scale."""
    if ours.keys() != theirs.keys():
        raise VerificationError(f"{what}: different quantities ({sorted(ours ^ theirs)[:3]})")
    for k in ours:
        a, b = ours[k], theirs[k]
        if not np.isfinite(b):
            raise VerificationError(f"{what}: {k} is not a finite number ({b}): the numbers "
                                    "are too large for double precision")
        allowed = TOLERANCE * max(abs(a), abs(b)) + ROUNDING * sizes[k] + UNDERFLOW
        if abs(a - b) > allowed:
            raise VerificationError(f"{what} disagrees with the SymPy derivation at {k}: "
                                    f"{a!r} vs {b!r}")


def _agree_fd(grads: dict[str, float], fd: dict[str, float], fd_err: dict[str, float],
              sizes: dict[str, float]) -> None:
    """Each finite difference against its own error bound (numeric.finite_differences), plus
    the double-precision rounding of the derivation's value (ROUNDING of its size scale)."""
    for k, g in grads.items():
        allowed = fd_err[k] + ROUNDING * sizes[k] + UNDERFLOW
        if not abs(g - fd[k]) <= allowed:
            raise VerificationError(
                f"finite differences disagree with the SymPy derivation at {k}: "
                f"{g!r} vs {fd[k]!r} (allowed error {allowed:.3g})")


def _forward_scale(inst: Instance, p: numeric.Params, layers) -> dict[str, float]:
    """Each net's Σ|w·in| + |b|, each out's |out| + |f'(net)| times that, J's rounding bound."""
    sizes = numeric.magnitudes_forward(inst, p, layers)
    return _flat_layers(sizes) | {"J": numeric.rounding(inst, p)}


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
