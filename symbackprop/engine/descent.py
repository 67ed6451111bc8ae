"""`train --steps N`: N steps from an instance's numbers with its optimizer, on the NumPy
evaluator of its kind of network (numeric for dense networks, convnumeric for networks on an
image), every parameter as one vector in the graph's order.

Plain gradient descent on a dense network is numeric.train itself, as it has always been.

>>> from symbackprop.definitions.definition import parse
>>> from symbackprop.engine.sample import instance
>>> d = parse('''network: {layers: [1, 1], activation: identity, loss: half_sse, bias: none}
... values: {inputs: [1], targets: [0], weights: [[[1]]]}
... optimizer: {name: momentum, momentum: 0.5}
... learning_rate: 0.5''')
>>> run = train(instance(d), 3)
>>> run.history, [s['velocity'].tolist() for s in run.states]
([0.5, 0.125, 0.0, 0.03125], [[1.0], [1.0], [0.5]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import convnumeric, numeric, optimizers
from .sample import Instance


@dataclass(frozen=True)
class Run:
    history: list[float]  # J before the first step, then after each
    params: object  # numeric.Params or convnumeric.Params after the last step
    names: tuple[str, ...]  # the parameters, in the order of every state's vectors
    states: list[dict[str, np.ndarray]]  # the optimizer's buffers after each step (kept)


class _Evaluator:
    """One kind of network's NumPy evaluator, seen as a function of one parameter vector."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.layered = hasattr(inst.values, "image")
        self.module = convnumeric if self.layered else numeric
        self.like = self.module.params(inst)
        if self.layered:
            from .convgraph import build
        else:
            from .graph import build
        self.names = build(inst.network).params

    def start(self) -> np.ndarray:
        return self.module.flatten(self.like)

    def params(self, flat: np.ndarray):
        return self.module.unflatten(flat, self.like)

    def loss(self, flat: np.ndarray) -> float:
        return float(self.module.loss(self.inst, self.params(flat)))

    def gradient(self, flat: np.ndarray) -> np.ndarray:
        g = self.module.gradients(self.inst, self.params(flat))
        return self.module.flatten(g[0] if self.layered else g)


def train(inst: Instance, steps: int, keep: int | None = None) -> Run:
    """`steps` steps with the instance's optimizer; the buffers of at most `keep` steps (the
    last ones) are kept (all by default). Raises numeric.Diverged, naming the step, as soon as
    the loss or a parameter is not finite."""
    if inst.optimizer.plain and not hasattr(inst.values, "image"):
        history, p = numeric.train(inst, steps)
        return Run(history, p, (), [{} for _ in range(steps)])
    e = _Evaluator(inst)
    decay, fixed = optimizers.masks(list(e.names), inst.optimizer, inst.update_biases)
    w, state, states = e.start(), optimizers.State(), []
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected, not warned of
        history = [_finite(e, w, 0, inst)]
        for i in range(1, steps + 1):
            w, state, _ = optimizers.step(inst.optimizer, inst.learning_rate, w, e.gradient(w),
                                          state, decay, fixed)
            history.append(_finite(e, w, i, inst))
            if keep is None or i > steps - keep:
                states.append(dict(state.buffers))
    return Run(history, e.params(w), tuple(e.names), states)


def _finite(e: _Evaluator, w: np.ndarray, i: int, inst: Instance) -> float:
    J = e.loss(w)
    if not np.isfinite(J) or not np.isfinite(w).all():
        raise numeric.Diverged(i, inst.learning_rate)
    return J
