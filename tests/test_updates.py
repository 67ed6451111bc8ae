"""An optimizer's derived step: every quantity's value is its rule's form here, evaluated by
SymPy itself; the text prints that form exactly as SymPy prints it."""

import pytest
import sympy as sp

from symbackprop.definitions.optimizer import Optimizer
from symbackprop.engine.printing import form
from symbackprop.engine.updatereport import _here
from symbackprop.engine.updates import take

OPTIMIZERS = [Optimizer("sgd", weight_decay=0.2), Optimizer("momentum", momentum=0.9),
              Optimizer("momentum", momentum=0.8, nesterov=True, weight_decay=0.1),
              Optimizer("rmsprop", alpha=0.9), Optimizer("adam", beta1=0.8, weight_decay=0.05)]


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: o.name)
def test_each_quantity_is_its_form_evaluated_and_printed_as_sympy_prints_it(opt):
    params, grads = {"W[1][1][1]": 0.7, "b[1]": -0.3}, {"W[1][1][1]": 0.25, "b[1]": -1.5}
    state: dict = {}
    for t in (1, 2, 3):
        step = take(opt, 0.1, params, grads, state, t)
        for p, chain in step.updates.items():
            known = {f"dJ/d{p}": grads[p], p: params[p]} | {
                k: v for k, v in step.values.items()}
            if t > 1:
                known[f"new_{t - 1} {p}"] = params[p]
            for buffer, values in state.items():
                known[f"{buffer}_{t - 1} {p}"] = values[p]
            for u in chain:
                here = u.expr
                numbers = {s: sp.Float(known.get(s.name, 0.0), 30) for s in here.free_symbols
                           if not s.name.replace(".", "").replace("e-", "").isdigit()}
                settings = {s: sp.Float(s.name, 30) for s in here.free_symbols
                            if s not in numbers}
                value = float(here.xreplace(numbers | settings).doit())
                assert step.values[u.target] == pytest.approx(value, rel=1e-12, abs=1e-300), \
                    u.target
                assert _here(u) == form(u.expr), u.target
        params, state = step.new, step.state
        grads = {p: g * 0.5 + 0.1 for p, g in grads.items()}
