"""An optimizer's step derived: for each parameter, the quantities it works out in order (the
gradient with weight decay, the velocity or the moments, their bias correction, the new value),
one small class per rule, each with its general form in the rule's own symbols, what each
symbol stands for here (a canonical name, or a setting's number), and its value.

The values are the rules' SymPy forms evaluated (compiled once per rule to mpmath, in high
precision, from the verified gradient), and are checked against optimizers.py, the NumPy
steps written apart from them; the tests hold both to torch.optim.

>>> from symbackprop.definitions.optimizer import Optimizer
>>> s = take(Optimizer('adam'), 0.1, {'W[1][1][1]': 1.0}, {'W[1][1][1]': 0.5}, {}, 1)
>>> [(u.target, round(s.values[u.target], 9)) for u in s.updates['W[1][1][1]']]
[('g_1 W[1][1][1]', 0.5), ('m_1 W[1][1][1]', 0.05), ('v_1 W[1][1][1]', 0.00025), \
('mhat_1 W[1][1][1]', 0.5), ('vhat_1 W[1][1][1]', 0.25), ('new_1 W[1][1][1]', 0.900000002)]
>>> print(s.updates['W[1][1][1]'][3].expr)
m_1 W[1][1][1]/(1 - 0.9**1)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import mpmath
import numpy as np
import sympy as sp

from ..definitions.optimizer import TITLES, Optimizer
from . import optimizers
from .steps import Step

# the rules' own symbols
G, DJ, W, LAMBDA, MU, ALPHA, BETA1, BETA2, EPS, ETA, T = sp.symbols(
    "g dJ/dw w λ μ α β1 β2 ε η t", real=True)
VEL, S, M, V, MHAT, VHAT, STEP = sp.symbols("v s m v mhat vhat step", real=True)
PREVIOUS = {"velocity": VEL, "square_avg": S, "m": M, "v": V}
DIGITS = 40


@dataclass(frozen=True, eq=False)
class Update(Step):
    """One quantity of a step: target is its canonical name ('m_1 W[2][1][1]')."""

    general: sp.Expr  # the rule, in its own symbols
    reads: tuple[tuple[sp.Symbol, str | float], ...]  # each symbol: a canonical name or a number
    rule: str  # the optimizer it belongs to

    @property
    def expr(self) -> sp.Expr:
        """The rule in this parameter's names and the settings' numbers, as written (the
        numbers stand as they are printed: 1 − 0.9**1 is not worked out)."""
        with sp.evaluate(False):
            return self.general.xreplace({s: sp.Symbol(v if isinstance(v, str) else f"{v:g}",
                                                       real=True) for s, v in self.reads})


class StepGradient(Update):
    """g_t = ∂J/∂w, at the parameters step t starts from (derived and verified there)"""


class DecayedGradient(Update):
    """g = ∂J/∂w + λ·w  (weight decay, L2, as torch.optim's weight_decay)"""


class Velocity(Update):
    """v_t = μ·v_(t−1) + g_t, with v_1 = g_1  (momentum without dampening, torch.optim.SGD)"""


class NesterovGradient(Update):
    """g_t + μ·v_t  (Nesterov's step looks ahead along the velocity)"""


class SquareAverage(Update):
    """s_t = α·s_(t−1) + (1 − α)·g_t²  (RMSprop's running mean of squared gradients)"""


class FirstMoment(Update):
    """m_t = β1·m_(t−1) + (1 − β1)·g_t  (Adam's running mean of gradients)"""


class SecondMoment(Update):
    """v_t = β2·v_(t−1) + (1 − β2)·g_t²  (Adam's running mean of squared gradients)"""


class CorrectedFirstMoment(Update):
    """m̂_t = m_t/(1 − β1^t)  (bias correction: m started at 0)"""


class CorrectedSecondMoment(Update):
    """v̂_t = v_t/(1 − β2^t)  (bias correction: v started at 0)"""


class NewParameter(Update):
    """w_t = w_(t−1) − η·step: the step is g (gradient descent), v (momentum), g + μv
    (Nesterov), g/(√s + ε) (RMSprop) or m̂/(√v̂ + ε) (Adam); ε outside the root"""


def name(quantity: str, t: int, param: str) -> str:
    """A step's quantity by canonical name: name('m', 2, 'W[2][1][1]') == 'm_2 W[2][1][1]'."""
    return f"{quantity}_{t} {param}"


@dataclass(frozen=True)
class OptimizerStep:
    """Step t of every parameter it moves: the quantities in order, their values by name, the
    buffers after it (by buffer, by parameter) and every parameter after it."""

    t: int
    optimizer: Optimizer
    learning_rate: float
    updates: dict[str, tuple[Update, ...]]
    values: dict[str, float]
    state: dict[str, dict[str, float]]
    new: dict[str, float]
    before: dict[str, float]  # every parameter before the step

    @property
    def title(self) -> str:
        return TITLES[self.optimizer.name]


def take(opt: Optimizer, lr: float, params: dict[str, float], grads: dict[str, float],
         state: dict[str, dict[str, float]], t: int, fixed=frozenset()) -> OptimizerStep:
    """Step t from the parameters' values, their gradients and the buffers of step t − 1 (empty
    at t = 1): each parameter's updates, evaluated."""
    updates, values, new = {}, {}, {}
    after: dict[str, dict[str, float]] = {k: {} for k in optimizers.BUFFERS[opt.name]}
    for p, g in grads.items():
        if p in fixed:
            new[p] = params[p]
            continue
        chain = _rules(opt, lr, p, t)
        known = {p: mpmath.mpf(params[p]), f"dJ/d{p}": mpmath.mpf(g),
                 name("new", t - 1, p): mpmath.mpf(params[p])}  # its value before the step
        known |= {name(k, t - 1, p): mpmath.mpf(state.get(k, {}).get(p, 0.0))
                  for k in optimizers.BUFFERS[opt.name]}
        with mpmath.workdps(DIGITS):
            for u in chain:
                known[u.target] = _compiled(u.general, tuple(s for s, _ in u.reads))(
                    *(known[v] if isinstance(v, str) else mpmath.mpf(v) for _, v in u.reads))
                values[u.target] = float(known[u.target])
        for k in after:
            after[k][p] = values[name(k, t, p)]
        updates[p] = chain
        new[p] = values[name("new", t, p)]
    return OptimizerStep(t, opt, lr, updates, values, after, new,
                         {p: params[p] for p in grads})


@cache
def _compiled(general: sp.Expr, symbols: tuple[sp.Symbol, ...]):
    return sp.lambdify(symbols, general, "mpmath")


def _rules(opt: Optimizer, lr: float, p: str, t: int) -> tuple[Update, ...]:
    """The quantities of step t of parameter p, in the order they are worked out: each rule's
    general form (kept as written, w − η·v, not SymPy's reordering of it) with what each of
    its symbols stands for at p."""
    g = name("g", t, p)
    chain: list[Update] = []
    decays = opt.weight_decay and (opt.decay_biases or not p.startswith("b"))
    before = p if t == 1 else name("new", t - 1, p)
    if decays:
        chain.append(DecayedGradient(g, FORMS["decay"], ((DJ, f"dJ/d{p}"), (LAMBDA,
                                     opt.weight_decay), (W, before)), "weight_decay"))
    else:  # named all the same: each step's ∂J/∂w is taken at other parameters
        chain.append(StepGradient(g, DJ, ((DJ, f"dJ/d{p}"),), "gradient"))
    if opt.name == "sgd":
        step, reads = "sgd", ((G, g),)
    elif opt.name == "momentum":
        v = name("velocity", t, p)
        if t == 1:  # torch.optim.SGD's buffer starts as the first gradient: μ·0 + g
            chain.append(Velocity(v, G, ((G, g),), "momentum"))
        else:
            chain.append(Velocity(v, FORMS["velocity"], ((MU, opt.momentum),
                                  (VEL, name("velocity", t - 1, p)), (G, g)), "momentum"))
        if opt.nesterov:
            step, reads = "nesterov", ((G, g), (MU, opt.momentum), (VEL, v))
        else:
            step, reads = "momentum", ((VEL, v),)
    elif opt.name == "rmsprop":
        s = name("square_avg", t, p)
        chain.append(SquareAverage(s, FORMS["square_avg"], (
            (ALPHA, opt.alpha), (S, name("square_avg", t - 1, p)), (G, g)), "rmsprop"))
        step, reads = "rmsprop", ((G, g), (S, s), (EPS, opt.epsilon))
    else:
        m, v = name("m", t, p), name("v", t, p)
        chain.append(FirstMoment(m, FORMS["m"], (
            (BETA1, opt.beta1), (M, name("m", t - 1, p)), (G, g)), "adam"))
        chain.append(SecondMoment(v, FORMS["v"], (
            (BETA2, opt.beta2), (V, name("v", t - 1, p)), (G, g)), "adam"))
        mhat, vhat = name("mhat", t, p), name("vhat", t, p)
        chain.append(CorrectedFirstMoment(mhat, FORMS["mhat"], (
            (M, m), (BETA1, opt.beta1), (T, float(t))), "adam"))
        chain.append(CorrectedSecondMoment(vhat, FORMS["vhat"], (
            (V, v), (BETA2, opt.beta2), (T, float(t))), "adam"))
        step, reads = "adam", ((MHAT, mhat), (VHAT, vhat), (EPS, opt.epsilon))
    chain.append(NewParameter(name("new", t, p), FORMS["new " + step],
                              ((W, before), (ETA, lr)) + reads, opt.name))
    return tuple(chain)


def _forms() -> dict[str, sp.Expr]:
    """The rules' general forms, built once (a big network's step asks for them a hundred
    thousand times), each as it is written on the board."""
    with sp.evaluate(False):
        steps = {"sgd": G, "momentum": VEL, "nesterov": G + MU * VEL,
                 "rmsprop": G / (sp.sqrt(S) + EPS), "adam": MHAT / (sp.sqrt(VHAT) + EPS)}
        return {"decay": DJ + LAMBDA * W, "velocity": MU * VEL + G,
                "square_avg": ALPHA * S + (1 - ALPHA) * G**2,
                "m": BETA1 * M + (1 - BETA1) * G, "v": BETA2 * V + (1 - BETA2) * G**2,
                "mhat": M / (1 - BETA1**T), "vhat": V / (1 - BETA2**T)} | {
                    f"new {k}": W - ETA * form for k, form in steps.items()}


FORMS = _forms()


def check(step: OptimizerStep, names: list[str], w: np.ndarray, grad: np.ndarray,
          numpy_state: optimizers.State, update_biases: bool) -> optimizers.State:
    """The step's values against the NumPy optimizer's on the same parameters and gradients
    (the verified ones), each within ROUNDING of the sizes it is made of; returns NumPy's
    state after it, for the next step."""
    from .verify import _agree_arrays

    decay, fixed = optimizers.masks(names, step.optimizer, update_biases)
    _, state, seen = optimizers.step(step.optimizer, step.learning_rate, w, grad, numpy_state,
                                     decay, fixed)
    size = np.abs(w) + np.abs(grad) + sum((np.abs(b) for b in numpy_state.buffers.values()),
                                          np.zeros_like(w))
    for quantity, theirs in seen.items():
        keys = [name(quantity, step.t, p) for p in names]
        moving = [i for i, k in enumerate(keys) if k in step.values]
        if moving:
            ours = np.array([step.values[keys[i]] for i in moving])
            _agree_arrays(f"the NumPy {step.title} step", [keys[i] for i in moving], ours,
                          theirs[moving], np.abs(theirs[moving]) + size[moving])
    return state
