"""How far double-precision rounding may move a blank's exact value: the error scale of a
scheme tree (marking/scheme.py), to first order, from the scales of the blanks it reads.

A sum's rounding is relative to its terms, not to itself (Higham: n·u·Σ|terms|), so a value
that is small because large terms cancel (w − η·g/(√s + ε) at η = 1e6) is known only to the
terms' size. The scale M of a tree bounds its rounding error by u·M, u = 1.1e-16 (to first
order): a sum adds its terms' scales, a product each factor's scale times the others' sizes, a
quotient a/b has M_a/|b| + |a|·M_b/b², a function f(a) has |f'(a)|·M_a; each operation adds
its own result's size (its own rounding), so M/|value| counts the roundings a value went
through. The sheet's counterpart of the sizes the engine's verifications are judged against
(engine/verify.py, ROUNDING), which count no operations and so allow 9000 units instead.

>>> scale(["sub", ["ref", "w"], ["ref", "step"]], {"w": 1e7, "step": 1e7 - 3}.get,
...       {"w": 1e7, "step": 1e7}.get)  # three left of two terms of ten million
20000003.0
>>> scale(["mul", 2.0, 3.0], {}.get, {}.get)  # each factor rounded once, and the product
18.0
"""

from __future__ import annotations

import math

from ..marking.scheme import evaluate

# How far apart two computations of a value, each within u·M of it, may be: both, with room
# for the second order and for the engine's rounding of its inputs to double on the way.
UNITS = 16 * 2.0**-53


def scale(tree, value, scale_of) -> float:
    """The tree's error scale; `value(name)` and `scale_of(name)` give an earlier blank's
    exact value and its scale. math.inf where the tree is undefined."""
    if isinstance(tree, (int, float)):
        return abs(float(tree))
    op, *args = tree
    if op == "ref":
        return scale_of(args[0])
    values = [evaluate(a, value) for a in args]
    result = evaluate(tree, value)
    if result is None or any(v is None for v in values):
        return math.inf
    scales = [scale(a, value, scale_of) for a in args]
    try:
        return _propagated(op, values, scales, result) + abs(result)
    except (OverflowError, ValueError):  # a diverging step: its own bound refuses it later
        return math.inf


def _propagated(op: str, v: list[float], m: list[float], result: float) -> float:
    """The error the arguments' scales carry into the result, to first order."""
    if op in ("add", "sub"):
        return math.fsum(m)
    if op == "mul":
        return math.fsum(m[i] * math.prod(abs(x) for j, x in enumerate(v) if j != i)
                         for i in range(len(v)))
    if op == "div":
        return m[0] / abs(v[1]) + abs(v[0]) * m[1] / v[1] ** 2
    if op in ("neg", "abs", "nonzero"):
        return m[0]
    if op == "max":
        return max(m)
    if op == "exp":
        return abs(result) * m[0]
    if op == "log":
        return m[0] / abs(v[0])
    if op == "tanh":
        return (1 - result ** 2) * m[0]
    if op == "pow":
        n = int(v[1])
        return n * abs(v[0]) ** (n - 1) * m[0] if n else 0.0
    return 0.0  # step, round: whole numbers, moved only across a jump
