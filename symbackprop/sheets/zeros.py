"""Zeros on a sheet: an answer printed as 0 is either exactly zero, and then its exact value is
0 (never the 1e-32 floating point leaves where terms cancel), or a false zero no sheet may teach
(a saturated neuron's slope at 4 decimals). Zero itself is decided in exact arithmetic
(engine/exact.py), not by a threshold.

>>> from symbackprop.definitions.definition import parse
>>> from symbackprop.engine.sample import instance
>>> from symbackprop.engine.verify import run
>>> from symbackprop.sheets.worksheet import build
>>> d = parse('''network: {layers: [1, 2], activation: softmax, loss: cross_entropy, bias: shared}
... values: {inputs: [1], targets: [1, 0], weights: [[[0.3], [0.1]]], biases: [[0.1]]}''')
>>> r = run(d, instance(d))
>>> ws = build(d, r)
>>> [(a.name, a.value, a.exact) for a in ws.answers if a.name == 'dJ/db[1]']
[('dJ/db[1]', 0.0, 0.0)]
>>> false_zeros(ws.answers, r)
[]
"""

from __future__ import annotations

from dataclasses import replace

from ..definitions.canonical import example_of
from ..engine.exact import Exact
from ..engine.steps import walk
from ..engine.verify import Verified
from .model import Answer, Section


def _suspects(answers: list[Answer]) -> list[Answer]:
    return [a for a in answers if a.value == 0 and a.exact != 0]


def _decided(result: Verified) -> dict[str, bool]:
    """Whether each step of the derivation (an example's, for a batch) is exactly zero."""
    steps = {}
    for one in result.examples or (result,):
        decide = Exact(one)
        for top in list(one.derivation.grads.values()) + list(one.derivation.deltas.values()):
            for step in walk(top):
                steps.setdefault(step.target, (decide, step))
    return {name: decide.is_zero(step) for name, (decide, step) in steps.items()}


def _exactly_zero(answers: list[Answer], result: Verified) -> set[str]:
    suspects = _suspects(answers)
    if not suspects:
        return set()
    zero = _decided(result)
    return {a.name for a in suspects if zero.get(example_of(a.name)[0], False)}


def false_zeros(answers: list[Answer], result: Verified) -> list[Answer]:
    """Answers printed as 0 whose value is not 0: a sheet may not teach them."""
    zero = _exactly_zero(answers, result)
    return [a for a in _suspects(answers) if a.name not in zero]


def snapped(answers: list[Answer], sections: list[Section], result: Verified
            ) -> list[Answer]:
    """The answers (and the sections' lines, in place) with an exact zero's exact value 0."""
    zero = _exactly_zero(answers, result)
    if not zero:
        return answers
    fixed = {a.name: replace(a, exact=0.0) for a in answers if a.name in zero}
    for section in sections:
        section.lines = [replace(line, answer=fixed.get(line.answer.name, line.answer))
                         if line.answer is not None else line for line in section.lines]
    return [fixed.get(a.name, a) for a in answers]


def far_off(answers: list[Answer], decimals: int) -> list[Answer]:
    """Answers whose value, worked as a student works it (every step rounded to the sheet's
    decimals), is far from their exact value: more than ten units of the last decimal and 2 %
    of it. A tiny output rounded to 0.0001 makes −ln y 9.2103 where it is 8.8401, and ∂J/∂y
    −10000 for −6906: such a sheet teaches rounding's error as the answer.

    >>> far_off([Answer("a", "J", 9.2103, 8.8401), Answer("b", "w", 0.1251, 0.1249)], 4)
    [Answer(label='a', name='J', value=9.2103, exact=8.8401)]
    """
    unit = 10.0 ** -decimals
    return [a for a in answers if abs(a.value - a.exact) > max(10 * unit, 0.02 * abs(a.exact))]


def misprinted(answers: list[Answer], result: Verified, decimals: int) -> str | None:
    """What rounding makes a sheet teach that is not so, in words (a false zero, or an answer
    far off), or None."""
    false = false_zeros(answers, result)
    if false:
        a = false[0]
        return (f"({a.label}) {a.name} rounds to {a.value:.{decimals}f} at {decimals} "
                f"decimals, but it is {a.exact:.3g}: the sheet would teach a zero that is not "
                "one; give more decimals, or other values")
    off = far_off(answers, decimals)
    if off:
        a = off[0]
        return (f"({a.label}) {a.name} comes to {a.value:.{decimals}f} worked at {decimals} "
                f"decimals, but it is {a.exact:.6g}: rounding moves it too far for the sheet "
                "to teach (a tiny output under a logarithm, or a slope of one); give more "
                "decimals, or other values")
    return None
