"""`optimizer:` and `weight_decay:` of a definition: how a step turns gradients into new
parameters, with PyTorch's settings and defaults (torch.optim.SGD, RMSprop, Adam).

>>> read({'name': 'adam', 'beta2': 0.99}, 0.01, _Fail())
Optimizer(name='adam', momentum=0.0, nesterov=False, alpha=0.99, beta1=0.9, beta2=0.99, \
epsilon=1e-08, weight_decay=0.01, decay_biases=True)
>>> read(None, {'lambda': 0.1, 'biases': False}, _Fail()).decay_biases
False
>>> read({'name': 'momentum', 'beta1': 0.9}, None, _Fail())
Traceback (most recent call last):
ValueError: optimizer.beta1: unknown key for momentum; allowed keys are name, momentum, nesterov
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .yamlfile import MAX_DIGITS, describe, too_long

NAMES = ("sgd", "momentum", "rmsprop", "adam")
SETTINGS = {  # each optimizer's keys, with PyTorch's defaults (momentum's 0.9 is the course's)
    "sgd": {},
    "momentum": {"momentum": 0.9, "nesterov": False},
    "rmsprop": {"alpha": 0.99, "epsilon": 1e-8},
    "adam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
TITLES = {"sgd": "gradient-descent", "momentum": "momentum", "rmsprop": "RMSprop",
          "adam": "Adam"}


@dataclass(frozen=True)
class Optimizer:
    """An optimizer's settings; the default is plain gradient descent, w − η·∂J/∂w."""

    name: str = "sgd"
    momentum: float = 0.0  # μ: v = μ·v + g (no dampening, as torch.optim.SGD by default)
    nesterov: bool = False  # step along g + μ·v instead of v
    alpha: float = 0.99  # RMSprop: s = α·s + (1 − α)·g²
    beta1: float = 0.9  # Adam: m = β1·m + (1 − β1)·g
    beta2: float = 0.999  # Adam: v = β2·v + (1 − β2)·g²
    epsilon: float = 1e-8  # RMSprop and Adam: added to the root, outside it
    weight_decay: float = 0.0  # λ: g = ∂J/∂w + λ·w (L2, as torch.optim's weight_decay)
    decay_biases: bool = True  # λ·b too (torch.optim given every parameter); false: weights only

    @property
    def plain(self) -> bool:
        """Plain gradient descent: the step every dense worksheet takes today."""
        return self == Optimizer()

    def settings(self) -> dict:
        """The settings that apply to this optimizer, by their YAML keys."""
        values = {k: getattr(self, k) for k in SETTINGS[self.name]}
        if self.weight_decay:
            values |= {"weight_decay": self.weight_decay, "decay_biases": self.decay_biases}
        return values


def read(value, decay, checker) -> Optimizer:
    """`optimizer:` (a mapping with `name`) and `weight_decay:` (λ, or {lambda, biases}),
    checked; `checker` reports a problem as checker.fail(key, problem)."""
    fields: dict = {}
    if value is not None:
        if not isinstance(value, dict) or "name" not in value:
            checker.fail("optimizer", "must be a mapping with a name (one of "
                         f"{', '.join(NAMES)}), such as {{name: adam, beta1: 0.9}}")
        name = value["name"]
        if name not in NAMES or not isinstance(name, str):
            checker.fail("optimizer.name", f"must be one of {', '.join(NAMES)}, got "
                         f"{checker.show(name)}")
        allowed = SETTINGS[name]
        for key in value:
            if key != "name" and key not in allowed:
                checker.fail(f"optimizer.{key}", f"unknown key for {name}; allowed keys are "
                             + ", ".join(("name",) + tuple(allowed)))
        fields = {"name": name} | {k: _setting(checker, k, value.get(k, d))
                                   for k, d in allowed.items()}
        if name == "momentum" and fields["nesterov"] and fields["momentum"] == 0:
            checker.fail("optimizer.nesterov", "needs a momentum above 0 (as torch.optim.SGD)")
    if decay is not None:
        fields |= _decay(decay, checker)
    return Optimizer(**fields)


def _setting(checker, key: str, value):
    where = f"optimizer.{key}"
    if key == "nesterov":
        if not isinstance(value, bool):
            checker.fail(where, f"must be true or false, got {checker.show(value)}")
        return value
    number = _number(checker, where, value)
    if key == "epsilon":
        if not 0 < number <= 1:
            checker.fail(where, f"must be above 0 and at most 1, got {number:g}")
    elif not 0 <= number < 1:  # momentum, alpha, beta1, beta2: a fraction kept of the old
        checker.fail(where, f"must be from 0 to less than 1, got {number:g}")
    return number


def _decay(value, checker) -> dict:
    biases = True
    if isinstance(value, dict):
        for key in value:
            if key not in ("lambda", "biases"):
                checker.fail(f"weight_decay.{key}", "unknown key; allowed keys are lambda, "
                             "biases")
        if "lambda" not in value:
            checker.fail("weight_decay.lambda", "is required but missing")
        biases = value.get("biases", True)
        if not isinstance(biases, bool):
            checker.fail("weight_decay.biases", "must be true or false, got "
                         f"{checker.show(biases)}")
        key, value = "weight_decay.lambda", value["lambda"]
    else:
        key = "weight_decay"
    number = _number(checker, key, value)
    if not 0 <= number <= 100:
        checker.fail(key, f"must be from 0 to 100 (λ of λ·w), got {number:g}")
    return {"weight_decay": number, "decay_biases": biases}


def _number(checker, key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        checker.fail(key, f"must be a number, got {checker.show(value)}")
    if isinstance(value, int) and abs(value) >= 10**MAX_DIGITS:  # as the YAML reader says
        checker.fail(key, f"must be a number, got {describe(too_long(value))}")
    return float(value)


class _Fail:
    """A checker for the doctests: a problem as a ValueError."""

    def fail(self, key: str, problem: str):
        raise ValueError(f"{key}: {problem}")

    show = staticmethod(repr)
