"""`train --steps N` with an optimizer, or of a network on an image, as text and JSON: the
loss after each step, the outputs and parameters it ends with, and the optimizer's buffers
(velocity, moments) after each step.

A run's buffers are one number per parameter per buffer per step: past MAX_STATE_NUMBERS of
them (100,000 Adam steps of a 784-128-10 network would be 2·10¹⁰) only the last step's are
kept, and the JSON says so with "steps": null.

>>> from symbackprop.definitions.definition import parse
>>> from symbackprop.engine.sample import instance
>>> from symbackprop.engine import descent
>>> d = parse('''network: {layers: [1, 1], activation: identity, loss: half_sse, bias: none}
... values: {inputs: [1], targets: [0], weights: [[[1]]]}
... optimizer: {name: adam}
... learning_rate: 0.1''')
>>> inst = instance(d)
>>> out = as_json(inst, descent.train(inst, 2))
>>> out['optimizer']['steps'][1]['state']['m']['W'], out['W']
([[[0.18000000009999995]]], [[[0.8004122297123382]]])
"""

from __future__ import annotations

from . import convnumeric, numeric
from .descent import Run
from .optimizers import BUFFERS
from .sample import Instance

MAX_STATE_NUMBERS = 1_000_000


def kept_states(inst: Instance, steps: int) -> int | None:
    """How many steps' buffers a run keeps: every step's (None) when they are few enough."""
    from ..definitions.definition import parameters

    per_step = len(BUFFERS[inst.optimizer.name]) * parameters(inst.network)
    return None if steps * per_step <= MAX_STATE_NUMBERS else 1


def as_json(inst: Instance, run: Run) -> dict:
    layered = hasattr(inst.values, "image")
    if layered:
        from .convreport import params_json

        out = {"loss_history": run.history,
               "outputs": convnumeric.forward(inst, run.params)[-1].out.tolist(),
               "parameters": params_json(_by_name(run, convnumeric.flatten(run.params)),
                                         inst.network)}

        def shape(v):
            return params_json(v, inst.network)
    else:
        from .report import _params

        p = run.params
        out = {"loss_history": run.history,
               "outputs": numeric.forward(inst, p)[-1].out.T.tolist(),
               "W": [w.tolist() for w in p.W],
               "b": None if p.b is None else [b.tolist() for b in p.b]}

        def shape(v):
            return _params(v, inst.network)
    if inst.optimizer.plain:
        return out
    steps = len(run.history) - 1
    kept = [{"step": steps - len(run.states) + i + 1,
             "state": {k: shape(_by_name(run, a)) for k, a in state.items()}}
            for i, state in enumerate(run.states)]
    whole = len(kept) == steps
    return out | {"optimizer": {
        "name": inst.optimizer.name, "learning_rate": inst.learning_rate,
        "settings": inst.optimizer.settings(),
        "steps": kept if whole else None,
        "state": kept[-1]["state"] if kept else {}}}


def _by_name(run: Run, vector) -> dict[str, float]:
    return dict(zip(run.names, vector.tolist()))


def text(inst: Instance, run: Run, steps: int) -> str:
    """The loss at about 20 of the steps and the outputs at the end, as train prints them."""
    from .updatereport import SYMBOLS

    opt = inst.optimizer
    settings = ", ".join(f"{SYMBOLS[k]} = {v:g}" for k, v in opt.settings().items()
                         if k in SYMBOLS)
    decay = f", weight decay λ = {opt.weight_decay:g}" if opt.weight_decay else ""
    lines = [f"optimizer: {opt.name} (η = {inst.learning_rate:g}"
             + (f", {settings}" if settings else "") + decay + ")"]
    width = len(str(steps))
    shown = set(range(0, steps + 1, max(1, steps // 20))) | {steps}
    lines += [f"step {i:>{width}}: J = {run.history[i]:.10g}" for i in sorted(shown)]
    if hasattr(inst.values, "image"):
        out = convnumeric.forward(inst, run.params)[-1].out.tolist()
    else:
        out = numeric.forward(inst, run.params)[-1].out.T.tolist()
        if inst.batched:
            return "\n".join(lines + [f"outputs of example {e}: " + ", ".join(
                f"{y:.9g}" for y in o) for e, o in enumerate(out, start=1)])
    return "\n".join(lines + ["outputs: " + ", ".join(f"{y:.9g}" for y in out)])
