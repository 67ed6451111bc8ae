"""The optimizers' steps in NumPy, on every parameter at once as one vector: what
torch.optim.SGD (momentum without dampening, Nesterov), RMSprop and Adam compute, step for
step, written from their formulas (not from the SymPy forms in updates.py, which they check).

PyTorch's conventions: weight decay adds λ·w to the gradient before anything else (L2, not
AdamW's decoupled decay); momentum's buffer starts as the first gradient (v₁ = g₁, what
μ·0 + g₁ is) and Nesterov steps along g + μ·v; RMSprop's and Adam's ε is added to the square
root, outside it; Adam's moments are bias-corrected by 1 − β^t.

>>> from symbackprop.definitions.optimizer import Optimizer
>>> w, g = np.array([1.0, -2.0]), np.array([0.5, 0.5])
>>> new, state, seen = step(Optimizer('adam'), 0.1, w, g, State())
>>> new.tolist(), state.t, seen['mhat'].tolist()
([0.900000002, -2.099999998], 1, [0.5, 0.5])
>>> new, state, _ = step(Optimizer('momentum', momentum=0.9), 0.1, w, g, State())
>>> new, state, _ = step(Optimizer('momentum', momentum=0.9), 0.1, new, g, state)
>>> state.buffers['velocity'].tolist()  # 0.9·0.5 + 0.5
[0.95, 0.95]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..definitions.optimizer import Optimizer

BUFFERS = {"sgd": (), "momentum": ("velocity",), "rmsprop": ("square_avg",),
           "adam": ("m", "v")}


@dataclass(frozen=True)
class State:
    """What an optimizer carries from one step to the next: the steps taken, and its buffers
    (one value per parameter) by name."""

    t: int = 0
    buffers: dict[str, np.ndarray] = field(default_factory=dict)


def step(opt: Optimizer, lr: float, w: np.ndarray, grad: np.ndarray, state: State,
         decay: np.ndarray | None = None, fixed: np.ndarray | None = None):
    """One step: the new parameters, the state after it, and every quantity it worked out
    ('g', the buffers, 'mhat' and 'vhat' for Adam, 'new'), each a vector like w.

    `decay` marks the parameters weight decay applies to (all by default), `fixed` those the
    step leaves alone (biases with update_biases: false), as parameters torch.optim is not
    given: they keep their value and gather no state."""
    decay = np.ones(w.shape, bool) if decay is None else decay
    moving = np.ones(w.shape, bool) if fixed is None else ~fixed
    t = state.t + 1
    zeros = np.zeros_like(w)
    old = {k: state.buffers.get(k, zeros) for k in BUFFERS[opt.name]}
    g = grad + opt.weight_decay * w * decay if opt.weight_decay else grad.copy()
    seen: dict[str, np.ndarray] = {"g": g}
    if opt.name == "sgd":
        change = g
    elif opt.name == "momentum":
        v = g.copy() if t == 1 else opt.momentum * old["velocity"] + g
        seen["velocity"] = v
        change = g + opt.momentum * v if opt.nesterov else v
    elif opt.name == "rmsprop":
        s = opt.alpha * old["square_avg"] + (1 - opt.alpha) * g * g
        seen["square_avg"] = s
        change = g / (np.sqrt(s) + opt.epsilon)
    else:
        m = opt.beta1 * old["m"] + (1 - opt.beta1) * g
        v = opt.beta2 * old["v"] + (1 - opt.beta2) * g * g
        mhat, vhat = m / (1 - opt.beta1 ** t), v / (1 - opt.beta2 ** t)
        seen |= {"m": m, "v": v, "mhat": mhat, "vhat": vhat}
        change = mhat / (np.sqrt(vhat) + opt.epsilon)
    new = np.where(moving, w - lr * change, w)
    seen = {k: np.where(moving, a, 0.0) for k, a in seen.items()}
    seen["new"] = new
    buffers = {k: seen[k] for k in BUFFERS[opt.name]}
    return new, State(t, buffers), seen


def masks(names: list[str], opt: Optimizer, update_biases: bool):
    """Which parameters (by canonical name, in order) weight decay reaches and which a step
    leaves alone."""
    bias = np.array([n.startswith("b") for n in names], dtype=bool)
    decay = np.ones(len(names), bool) if opt.decay_biases else ~bias
    return decay, (bias if not update_biases else np.zeros(len(names), bool))
