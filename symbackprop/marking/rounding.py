"""What honest rounding can do to an answer: the one correctness rule of every interpreter.

A sheet asks for every result rounded to d decimals before it is used. A student who does that
writes the key's value; one who keeps more digits of some intermediate (a calculator's memory,
a value the sheet does not ask for) may land a unit away. How far is worked out from the
recomputation, not from a percentage. Each intermediate q is either kept or rounded, and
rounding it moves it by r_q = round(q') − q', where q' is what the student's own earlier
rounding made of q; that moves the answer by ∂answer/∂q · r_q (the total derivative, through
every path of the marking model). So before its own last rounding the answer lies in

    exact + Σ_q ∂answer/∂q · [r_q low, r_q high]     (each range taken with 0: q kept)

where q's range of r_q comes from q's own spread the same way: a value such as 0.5099987 can
only round to 0.51 (r_q from 0 to +0.0000013), one near a half-unit either way (±½ unit). A
copy of another quantity (∂net/∂W is the out it multiplies) is rounded with it, and a number
given on the sheet is copied, not rounded. The accepted answers are that range rounded to d
decimals: a student who rounds honestly can write each of them, and nothing else.

The derivatives are exact: the marking model is run on `Slope` numbers (forward mode, one
sparse gradient per quantity), as trace.py runs it on trees.

>>> from symbackprop.marking.check import _EXAMPLE, Key
>>> from symbackprop.marking.recompute import Model
>>> spread = Spread(Model(Key.from_json(_EXAMPLE), ops=SlopeOps), 4)
>>> spread.reach("net[1][1]"), spread.reach("out[1][1]")  # net = 0.3775·1, as given
((0.0, 0.0), (0.0, 0.0))
>>> [round(r, 10) for r in spread.reach("J")]  # out = 0.59327 rounds to 0.5933: r = +0.00003
[-1.22051e-05, 0.0]
"""

from __future__ import annotations

import functools
import math

from ..definitions.rounding import rounded
from .trace import Ops

GIVEN = ("W[", "b[", "x[", "t[")  # numbers printed on the sheet: a student copies them
LEVELS = 4  # answers past the value's own that the search tries; beyond, the bound stands
SEARCHED = 2_000  # choices tried for one answer's reach before the first-order bound stands


class Slope:
    """A number and its partial derivatives by the quantities it was computed from."""

    __slots__ = ("value", "d")

    def __init__(self, value: float, d: dict[str, float]):
        self.value, self.d = float(value), d

    def _lin(self, other, da: float, db: float, value: float) -> Slope:
        d = {k: da * v for k, v in self.d.items()}
        if isinstance(other, Slope):
            for k, v in other.d.items():
                d[k] = d.get(k, 0.0) + db * v
        return Slope(value, d)

    def __add__(self, o):
        return self._lin(o, 1.0, 1.0, self.value + _v(o))

    def __radd__(self, o):
        return self + o

    def __sub__(self, o):
        return self._lin(o, 1.0, -1.0, self.value - _v(o))

    def __rsub__(self, o):
        return Slope(_v(o) - self.value, {k: -v for k, v in self.d.items()})

    def __mul__(self, o):
        return self._lin(o, _v(o), self.value, self.value * _v(o))

    def __rmul__(self, o):
        return self * o

    def __truediv__(self, o):
        b = _v(o)
        return self._lin(o, 1.0 / b, -self.value / (b * b), self.value / b)

    def __rtruediv__(self, o):
        return Slope(_v(o) / self.value,
                     {k: -_v(o) / self.value ** 2 * v for k, v in self.d.items()})

    def __neg__(self):
        return Slope(-self.value, {k: -v for k, v in self.d.items()})

    def __pow__(self, power):
        return self._lin(None, power * self.value ** (power - 1), 0.0, self.value ** power)

    def __lt__(self, o):
        return self.value < _v(o)

    def __gt__(self, o):
        return self.value > _v(o)

    def __float__(self):
        return self.value

    def scaled(self, value: float, slope: float) -> Slope:
        return Slope(value, {k: slope * v for k, v in self.d.items()})


def _v(x) -> float:
    return x.value if isinstance(x, Slope) else float(x)


class SlopeOps(Ops):
    """The marking model's functions on Slope numbers."""

    @staticmethod
    def exp(x):
        e = math.exp(_v(x))
        return x.scaled(e, e) if isinstance(x, Slope) else e

    @staticmethod
    def log(x):
        return x.scaled(math.log(x.value), 1 / x.value) if isinstance(x, Slope) else math.log(x)

    @staticmethod
    def tanh(x):
        t = math.tanh(_v(x))
        return x.scaled(t, 1 - t * t) if isinstance(x, Slope) else t

    @staticmethod
    def fabs(x):
        return x.scaled(abs(x.value), math.copysign(1.0, x.value)) if isinstance(x, Slope) \
            else abs(x)

    @staticmethod
    def max(*values):
        return max(values, key=_v)  # the larger one, with its own slope

    @staticmethod
    def step(x):
        return 1.0 if _v(x) > 0 else 0.0


class Spread:
    """The honest range of any quantity of one marking model (run on SlopeOps) at `decimals`;
    the local slopes and rounding ranges of every quantity are worked once and shared by every
    answer that needs them."""

    def __init__(self, model, decimals: int):
        self.model, self.half = model, 0.5 * 10.0 ** -decimals
        self.decimals = decimals
        self.exact: dict[str, float] = {}
        self.local: dict[str, dict[str, float]] = {}  # quantity -> {its input: ∂/∂input}
        self.moves: dict[str, tuple[float, float]] = {}  # rounding q moves it by r_q in these
        self.totals: dict[str, dict[str, float]] = {}  # q -> {p: ∂q/∂p}
        # the search rounds the same few thousand numbers a dozen times over: each once
        self._rounded = functools.lru_cache(maxsize=1 << 14)(
            functools.partial(rounded, decimals=decimals))

    def _visit(self, name: str) -> None:
        """Work out `name` and every quantity it is computed from (depth first, no recursion:
        a deep network's chains are hundreds of quantities long)."""
        stack = [name]
        while stack:
            n = stack[-1]
            if n in self.local:
                stack.pop()
                continue
            missing: list[str] = []
            value = self.model.value(n, self._getter(missing))
            if missing:
                stack.extend(d for d in missing if d not in stack)
                continue
            stack.pop()
            if value is None:
                raise ValueError(f"cannot recompute {n}")
            slope = value if isinstance(value, Slope) else Slope(value, {})
            self.exact[n], self.local[n] = slope.value, slope.d

    def _getter(self, missing: list[str]):
        """The inputs as Slopes of themselves; one not worked yet is noted in `missing` (its
        quantity is worked again once it is)."""
        def get(dep: str):
            if dep not in self.local:
                missing.append(dep)
                return Slope(1.0, {})  # a placeholder
            return Slope(self.exact[dep], {dep: 1.0})

        return get

    def _copied(self, n: str) -> str | None:
        """The quantity `n` is a copy of (∂net/∂W is the out it multiplies), if it is one."""
        deps = self.local[n]
        if len(deps) == 1:
            (dep, slope), = deps.items()
            if slope == 1.0 and self.exact[dep] == self.exact[n]:
                return dep
        return None

    def _order(self, name: str) -> list[str]:
        """`name` and what it is worked from, each after its own inputs."""
        self._visit(name)
        order, seen, stack = [], set(), [(name, False)]
        while stack:
            n, done = stack.pop()
            if done:
                order.append(n)
                continue
            if n in seen:
                continue
            seen.add(n)
            stack.append((n, True))
            stack.extend((d, False) for d in self.local[n] if d not in seen)
        return order

    def slopes(self, name: str, order: list[str] | None = None) -> dict[str, float]:
        """∂name/∂q for every quantity q it is worked from (reverse accumulation)."""
        total = {name: 1.0}
        for n in reversed(order or self._order(name)):
            g = total.get(n, 0.0)
            for d, p in self.local[n].items():
                total[d] = total.get(d, 0.0) + g * p
        return total

    def reach(self, name: str) -> tuple[float, float]:
        """How far below and above its exact value honest rounding of its inputs can take
        `name`, before its own last rounding (a copy: what it copies)."""
        self._visit(name)
        while (dep := self._copied(name)) is not None:
            name = dep
        order = self._order(name)
        for q in order:  # inputs first: each one's rounding range needs its own reach
            if q not in self.moves:
                self.moves[q] = self._moves(q, self._reach(q, self._order(q)))
        low, high = self._reach(name, order)
        return -self._narrowed(name, order, -1.0, -low), self._narrowed(name, order, 1.0, high)

    def _narrowed(self, name: str, order: list[str], sign: float, bound: float) -> float:
        """`bound` (how far the first-order reach goes, in the direction `sign`), or less where
        no honest path gets to the answers past the value's own that it rounds to: each half
        between them is tried in turn, nearest first."""
        v, d, unit = self.exact[name], self.decimals, 2 * self.half
        if not math.isfinite(bound) or bound > LEVELS * unit:  # far past: the search's
            return bound  # halves would be thousands (a huge rate); the bound stands
        for k in range(1, LEVELS + 2):
            edge = rounded(v, d) + sign * (k - 0.5) * unit
            target = sign * (edge - v) - tie(edge, d)  # an exact half rounds either way
            if target > bound:
                return bound
            if not self._reaches(name, order, sign, target):
                return target - 1e-3 * self.half  # short of that half: the band ends before it
        return bound

    def _reaches(self, name: str, order: list[str], sign: float, target: float) -> bool:
        """Whether honest working takes sign·(name − exact) to `target`: some choice, quantity
        by quantity in order, of keeping or rounding each, each one's value being what the
        choices before it made of it (to first order, as the bound is). The bound sums each
        quantity's whole range of moves, as if each could move its own way; but a quantity
        rounds up only where earlier roundings pushed it over a half, and those pushes move the
        answer too: here they move together. Choices that cannot reach `target` even at every
        later quantity's best are not tried; past SEARCHED of them, the answer is yes (the
        bound stands: never too narrow)."""
        free, gain, pushed, rest = self._plan(name, order, sign)
        if len(free) > 400:  # deeper than a search goes (and than Python's stack)
            return True
        moved, tries = [0.0] * len(free), [0]

        def choose(i: int, total: float) -> bool:
            if total + rest[i] < target:
                return False
            if i == len(free):
                return True
            tries[0] += 1
            if tries[0] > SEARCHED:
                return True
            x = self.exact[free[i]] + sum(g * moved[j] for j, g in pushed[i])
            t = tie(x, self.decimals)
            options = {0.0, self._rounded(x - t) - x, self._rounded(x + t) - x}
            for r in sorted(options, key=lambda r: -gain[i] * r):  # the likeliest first
                moved[i] = r
                if choose(i + 1, total + gain[i] * r):
                    return True
            moved[i] = 0.0
            return False

        return choose(0, 0.0)

    def _plan(self, name: str, order: list[str], sign: float):
        """What a search of `name`'s choices needs: the quantities that may be rounded, in
        order; sign·∂name/∂q of each; for each, how earlier ones' roundings move it (∂q/∂p);
        and the most the choices from each one on can add."""
        free = [q for q in order if q != name and not q.startswith(GIVEN)
                and self._copied(q) is None]
        place = {q: i for i, q in enumerate(free)}
        gain = [sign * self._total(name).get(q, 0.0) for q in free]
        pushed = [[(place[p], g) for p, g in self._total(q).items() if p in place and p != q]
                  for q in free]
        rest = [0.0] * (len(free) + 1)
        for i in range(len(free) - 1, -1, -1):
            low, high = self.moves[free[i]]
            rest[i] = rest[i + 1] + max(gain[i] * low, gain[i] * high, 0.0)
        return free, gain, pushed, rest

    def _total(self, name: str) -> dict[str, float]:
        """slopes(name), worked once."""
        if name not in self.totals:
            self.totals[name] = self.slopes(name)
        return self.totals[name]

    def _reach(self, name: str, order: list[str]) -> tuple[float, float]:
        low = high = 0.0
        for q, g in self.slopes(name, order).items():
            if q != name and not q.startswith(GIVEN):
                a, b = (g * m for m in self.moves[q])
                low, high = low + min(a, b), high + max(a, b)
        return low, high

    def _moves(self, q: str, reach: tuple[float, float]) -> tuple[float, float]:
        """r_q's range: 0 (kept), or round(q') − q' for q' in q's own honest range."""
        if q.startswith(GIVEN) or self._copied(q) is not None:
            return 0.0, 0.0  # copied as printed, or rounded with what it copies
        v, d = self.exact[q], self.decimals
        low, high = v + reach[0], v + reach[1]
        if rounded(low, d) != rounded(high, d):  # a half-unit inside: either way
            return -self.half, self.half
        r = rounded(low, d)
        return min(0.0, r - high), max(0.0, r - low)

    def carry(self, name: str) -> float:
        """How far a student's own written inputs, used unrounded, can move `name` after its
        own last rounding: for carried-forward credit, whose inputs are the student's."""
        self._visit(name)
        return self.half * (1 + sum(abs(p) for d, p in self.local[name].items() if self.local[d]
                                    or self.exact[d] != rounded(self.exact[d], self.decimals)))


def band(spread: Spread, name: str, value: float, exact: float,
         before: float | None = None) -> dict:
    """The accepted answers of one blank, as every interpreter reads them: from `lo` to `hi`
    (the sheet's decimals; `half` either way for a number typed with more), `from`..`to` what
    honest working reaches before its last rounding, `carry` and `near` the reach of a
    student's own inputs and of a mistake's value; `before`, a parameter's value before the
    step, is never the step's answer rounded to fewer decimals (the step rounded away)."""
    d = spread.decimals
    try:
        low, high = spread.reach(name)
        carry = spread.carry(name)
    except ValueError:  # a quantity the model cannot rework: its own rounding alone
        low, high, carry = 0.0, 0.0, spread.half
    slack = 1e-6 * (high - low) + 1e-12  # second-order terms, far below a unit
    low, high = exact + low - slack, exact + high + slack
    lo, hi = min(rounded(low, d), value), max(rounded(high, d), value)
    return {"lo": lo, "hi": hi, "half": spread.half, "from": low, "to": high,
            "carry": carry, "near": max(carry, (high - low) / 2 + spread.half)} | (
        {} if before is None else {"before": before})


def tie(x: float, decimals: int) -> float:
    """How near a half a value must be to round either way (0.62005 computed as 0.62004999…:
    either neighbour is honest): a few floating-point errors, never a sizeable part of a unit
    (at 12 decimals, 1e-9·|19| would admit 38,000 values)."""
    unit = 10.0 ** -decimals
    return min(1e-9 * max(abs(x), unit), 0.01 * unit)


def exact_band(value: float, exact: float, decimals: int, half: float | None = None) -> dict:
    """A blank worked from given numbers alone (a lesson's, a matrix's shape): its value and
    its exact value rounded, nothing else; `half` 0 for a whole number that must be exact."""
    half = 0.5 * 10.0 ** -decimals if half is None else half
    t = tie(exact, decimals)
    ends = (value, rounded(exact - t, decimals), rounded(exact + t, decimals)) if half \
        else (value,)
    lo, hi = min(ends), max(ends)
    return {"lo": lo, "hi": hi, "half": half, "from": exact, "to": exact, "carry": half,
            "near": half}
