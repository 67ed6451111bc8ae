"""Tracing the marking model's arithmetic: the same code computes numbers or expression trees.

`model.Model` recomputes an answer from the quantities before it. Run with numbers it marks;
run with `Traced` references and `TracedOps` it writes down *how* it computes, as the trees of
the marking scheme (scheme.py) that every front end interprets.

>>> x = ref("x")
>>> tree_of(1 / (1 + TracedOps.exp(-x)))
['div', 1.0, ['add', 1.0, ['exp', ['neg', ['ref', 'x']]]]]
>>> tree_of(sum([2 * x, 0.5])), TracedOps.exp(0.0)
(['add', ['mul', 2.0, ['ref', 'x']], 0.5], 1.0)
"""

from __future__ import annotations

import math


class Traced:
    """A quantity not known until marking: arithmetic on it builds an expression tree. A
    tree may share a subtree with others (a step worked once, used by every path through
    it); `size` is its parts written out in full, as a key's JSON holds it."""

    __slots__ = ("tree", "size")

    def __init__(self, tree, size: int = 1):
        self.tree, self.size = tree, size

    def _op(self, op, other, swap=False):
        a, b = tree_of(self), tree_of(other)
        return Traced([op, b, a] if swap else [op, a, b], 1 + self.size + size_of(other))

    def __add__(self, other):
        return self._op("add", other)

    def __radd__(self, other):
        return self if other == 0 else self._op("add", other, swap=True)  # sum() starts at 0

    def __sub__(self, other):
        return self._op("sub", other)

    def __rsub__(self, other):
        return self._op("sub", other, swap=True)

    def __mul__(self, other):
        return self._op("mul", other)

    def __rmul__(self, other):
        return self._op("mul", other, swap=True)

    def __truediv__(self, other):
        return self._op("div", other)

    def __rtruediv__(self, other):
        return self._op("div", other, swap=True)

    def __neg__(self):
        return Traced(["neg", self.tree], 1 + self.size)

    def __pow__(self, power):
        if power != 2:
            raise ValueError("only squares are traced")
        return Traced(["mul", self.tree, self.tree], 1 + 2 * self.size)

    def __bool__(self):
        raise TypeError("a traced quantity has no truth value: use the ops' step")


def tree_of(value):
    """The tree of a traced quantity, or a plain number."""
    return value.tree if isinstance(value, Traced) else float(value)


def size_of(value) -> int:
    """The parts of a traced quantity's tree written out in full (a number is one)."""
    return value.size if isinstance(value, Traced) else 1


def ref(name: str) -> Traced:
    return Traced(["ref", name])


class Ops:
    """The functions the marking model computes with: numbers (here) or trees (TracedOps)."""

    exp, log, tanh, fabs = staticmethod(math.exp), staticmethod(math.log), \
        staticmethod(math.tanh), staticmethod(abs)

    @staticmethod
    def max(*values):
        return max(values)

    @staticmethod
    def step(value):
        """1 where value > 0, else 0: ReLU's slope (0 at the corner, by convention)."""
        return 1.0 if value > 0 else 0.0


class TracedOps(Ops):
    @staticmethod
    def _call(op, *values):
        if not any(isinstance(v, Traced) for v in values):
            return getattr(Ops, {"abs": "fabs"}.get(op, op))(*values)
        return Traced([op, *(tree_of(v) for v in values)], 1 + sum(map(size_of, values)))

    exp = staticmethod(lambda v: TracedOps._call("exp", v))
    log = staticmethod(lambda v: TracedOps._call("log", v))
    tanh = staticmethod(lambda v: TracedOps._call("tanh", v))
    fabs = staticmethod(lambda v: TracedOps._call("abs", v))
    max = staticmethod(lambda *v: TracedOps._call("max", *v))
    step = staticmethod(lambda v: TracedOps._call("step", v))
