"""An optimizer's steps as text and as JSON, for a dense network's report and a network on an
image's alike: each parameter's quantities, each with its rule, its form here and its value;
the buffers after every step.

>>> from symbackprop.definitions.optimizer import Optimizer
>>> from symbackprop.engine.updates import take
>>> s = take(Optimizer('momentum', momentum=0.9), 0.1, {'W[1][1][1]': 1.0},
...          {'W[1][1][1]': 0.5}, {}, 1)
>>> print(text([s], ['W[1][1][1]']))
After 1 momentum step (η = 0.1; μ = 0.9):
  step 1 of W[1][1][1], 1 before it:
    g_1 W[1][1][1] = dJ/dw = dJ/dW[1][1][1] = 0.5
    velocity_1 W[1][1][1] = g = g_1 W[1][1][1] = 0.5
    new_1 W[1][1][1] = w − η·v = W[1][1][1] − 0.1·velocity_1 W[1][1][1] = 0.95
"""

from __future__ import annotations

from functools import lru_cache

from .printing import form as _form
from .printing import number as _number
from .updates import OptimizerStep

SYMBOLS = {"momentum": "μ", "alpha": "α", "beta1": "β1", "beta2": "β2", "epsilon": "ε"}


def heading(steps: list[OptimizerStep]) -> str:
    first = steps[0]
    opt = first.optimizer
    settings = [f"{SYMBOLS[k]} = {v:g}" for k, v in opt.settings().items() if k in SYMBOLS]
    if opt.nesterov:
        settings.append("Nesterov")
    if opt.weight_decay:
        settings.append(f"weight decay λ = {opt.weight_decay:g}"
                        + ("" if opt.decay_biases else ", weights only"))
    count = len(steps)
    return (f"After {count} {first.title} step{'s' if count > 1 else ''} (η = "
            f"{first.learning_rate:g}" + ("; " + ", ".join(settings) if settings else "")
            + "):")


def text(steps: list[OptimizerStep], params: list[str], shown=lambda p: p) -> str:
    """Each asked parameter's quantities, step by step (`shown` names a parameter)."""
    lines = [heading(steps)]
    for step in steps:
        for p in params:
            chain = step.updates.get(p)
            if chain is None:
                lines.append(f"  step {step.t} of {shown(p)}: fixed (update_biases: false)")
                continue
            lines.append(f"  step {step.t} of {shown(p)}, {_number(step.before[p])} before it:")
            for u in chain:
                forms = []
                for form in (_form(u.general), _here(u), _number(step.values[u.target])):
                    if not forms or forms[-1] != form:
                        forms.append(form)
                lines.append(f"    {u.target} = " + " = ".join(forms))
    return "\n".join(lines)


def _here(u) -> str:
    """u's form with this parameter's names and the settings' numbers, as printing u.expr
    gives it, from its general form printed once with a placeholder for each symbol."""
    text = _template(u.general, tuple(s for s, _ in u.reads))
    for i, (_, v) in enumerate(u.reads):
        text = text.replace(f"\x00{i}\x01", v if isinstance(v, str) else f"{v:g}")
    return text


@lru_cache(maxsize=256)
def _template(general, symbols: tuple) -> str:
    import sympy as sp

    with sp.evaluate(False):  # as Update.expr replaces them: nothing reordered
        return _form(general.xreplace({s: sp.Symbol(f"\x00{i}\x01") for i, s in
                                       enumerate(symbols)}))


def as_json(steps: list[OptimizerStep], shape) -> dict:
    """The optimizer, its settings, and after each step its buffers and every parameter,
    each shaped by `shape` (a function of values by canonical name) as "grad" is."""
    first = steps[0]
    return {"name": first.optimizer.name, "learning_rate": first.learning_rate,
            "settings": first.optimizer.settings(),
            "steps": [{"step": s.t, "state": {k: shape(v) for k, v in s.state.items()},
                       "parameters": shape(s.new)} for s in steps]}
