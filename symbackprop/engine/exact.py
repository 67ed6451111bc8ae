"""Which values of a derivation are exactly zero, decided in exact arithmetic, not by a threshold.

Floating point leaves 5.6e-17 where terms cancel exactly: the shared bias of a softmax layer has
∂J/∂b = Σ(out − t) = 1 − Σt = 0. Here the knowns are the decimals as written (Rationals); a
quantity that is not rational is an opaque symbol (a softmax output is e_j / Σe_k over opaque
e's, so that Σ out = 1 is seen); and a value is zero only when it cancels to 0 as a rational
function of those symbols, which makes it zero whatever they stand for. A float only decides
*when* to look (a sum far smaller than its terms, a factor far smaller than its operands); a value
that is small but not exactly zero keeps its float, or the exact number the look found.

>>> from symbackprop.definitions.definition import parse
>>> from symbackprop.engine.sample import instance
>>> from symbackprop.engine.verify import run
>>> d = parse('''network: {layers: [1, 3], activation: softmax, loss: cross_entropy, bias: shared}
... values: {inputs: [1], targets: [0.1, 0.2, 0.7], weights: [[[0.1], [0.2], [0.3]]],
...          biases: [[0]]}''')
>>> r = run(d, instance(d))
>>> r.grads['b[1]'] != 0, Exact(r).is_zero(r.derivation.grads['b[1]'])
(True, True)
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import cached_property

import sympy as sp

from .steps import Chain, Factor, PathSum, Step, children

__all__ = ["Exact"]

LOOK = 1e-9  # a value this much smaller than its parts is looked at exactly (never decided so)
_ONE_NET = ("relu", "identity")  # activations whose out reads its own net alone, exactly
DECIDE_DEPTH = 4  # levels _decide looks down before it leaves a step to the walk
BIG = 60  # operations past which an exact value is kept as an opaque symbol (keeps cost linear)


class Exact:
    def __init__(self, r):
        self.r = r
        self.zero: dict[str, bool] = {}
        self.values: dict[str, float] = {}
        self.exact: dict[str, sp.Expr] = {}

    @cached_property
    def quantities(self) -> _Quantities:  # made only when some value needs a look
        return _Quantities(self.r)

    def value(self, step: Step) -> float:
        """The step's float; 0.0 when it is exactly zero; the exact number where one was found,
        and products and sums of such numbers recomputed from them."""
        if step.target not in self.values and not self._decide(step):
            self.is_zero(step)
            _post_order(step, _target, children, self.values, self._value)
        return self.values[step.target]

    def _decide(self, step: Step, depth: int = 0) -> bool:
        """Both decisions at once where they need no walk, as for most steps of a big network:
        a factor that is one nonzero quantity (every weight's input), a factor far from 0
        beside its operands or one whose value is its rule's 0 or 1 (ReLU', a pooling
        window's first maximum), a chain of decided factors (every weight's δ·in), and a sum
        of decided paths far from 0 beside them (a kernel entry's). Each is what the walk's
        _is_zero and _value would decide. False where the walk is needed."""
        if step.target in self.values:
            return True
        if isinstance(step, Factor):
            return self._decide_factor(step)
        if isinstance(step, PathSum):
            return self._decide_sum(step, depth)
        if not isinstance(step, Chain) or not all(
                f.target in self.values or depth < DECIDE_DEPTH and self._decide(f, depth + 1)
                for f in step.factors):  # a few levels only: a chain of δ's may be deep
            return False
        self.zero[step.target] = any(self.zero[f.target] for f in step.factors)
        self.values[step.target] = self._value(step)
        return True

    def _decide_factor(self, step: Factor) -> bool:
        v = self.r.steps[step.target]
        if step.rule in ("relu", "max_pool"):  # exactly 0 or 1 (see _exact)
            self.zero[step.target], self.values[step.target] = v == 0, v + 0.0
            return True
        if v == 0:
            if step.expr.is_Symbol:  # a quantity that is 0.0 is 0 (or below 1e-308, printed 0
                #                      all the same): its value needs no exact look
                self.zero[step.target], self.values[step.target] = True, 0.0
                return True
            return False
        if step.expr.is_Symbol:
            parts = abs(self.r.values[step.expr.name])
        else:
            parts = max((abs(self.r.values[s.name]) for s in step.expr.free_symbols),
                        default=abs(v))
        if abs(v) <= LOOK * parts:  # small beside its operands: look at it exactly
            return False
        self.zero[step.target], self.values[step.target] = False, v + 0.0
        return True

    def _decide_sum(self, step: PathSum, depth: int) -> bool:
        if not all(t.target in self.values or depth < DECIDE_DEPTH and self._decide(t, depth + 1)
                   for t in step.terms):
            return False
        if all(self.zero[t.target] for t in step.terms):
            self.zero[step.target], self.values[step.target] = True, 0.0
            return True
        v = self.r.steps[step.target]
        if abs(v) <= LOOK * sum(abs(self.r.steps[t.target]) for t in step.terms):
            return False
        self.zero[step.target] = False
        self.values[step.target] = self._value(step)
        return True

    def _value(self, step: Step) -> float:
        if self.zero[step.target]:
            return 0.0
        exact = self.exact.get(step.target)
        if exact is not None and exact.is_Rational:
            return float(exact)
        v = self.r.steps[step.target] + 0.0
        parts = children(step)
        values = [self.values[s.target] for s in parts]
        if all(a == self.r.steps[s.target] for a, s in zip(values, parts)):
            return v  # nothing below was corrected: the float as verified
        return math.prod(values) if isinstance(step, Chain) else math.fsum(values)

    def is_zero(self, step: Step) -> bool:
        if step.target not in self.zero and not self._decide(step):
            _post_order(step, _target, children, self.zero, self._is_zero)
        return self.zero[step.target]

    def _is_zero(self, step: Step) -> bool:
        v = self.r.steps[step.target]
        if isinstance(step, Chain):  # a product is zero when a factor is
            return any(self.zero[f.target] for f in step.factors)
        if isinstance(step, PathSum):
            if all(self.zero[t.target] for t in step.terms):
                return True
            parts = sum(abs(self.r.steps[t.target]) for t in step.terms)
        elif step.expr.is_Symbol:  # a quantity: an input or an out, zero only if it is 0
            parts = abs(self.r.values[step.expr.name])
        else:
            parts = max((abs(self.r.values[s.name]) for s in step.expr.free_symbols),
                        default=abs(v))
        return abs(v) <= LOOK * parts and self.exact_value(step) == 0

    def exact_value(self, step: Step) -> sp.Expr:
        return _post_order(step, _target, children, self.exact, self._exact)

    def _exact(self, step: Step) -> sp.Expr:
        if isinstance(step, Factor) and step.rule == "relu":
            # ReLU'(net) by the sign of net, as an opaque net's sign is decided (see _atom)
            return sp.Integer(1 if self.r.values[step.wrt] > 0 else 0)
        if isinstance(step, Factor) and step.rule == "max_pool":
            # 1 or 0 as the window's first maximum was found (verify refuses near-ties)
            return sp.Integer(self.r.steps[step.target])
        if isinstance(step, Factor):
            symbols = step.expr.free_symbols
            e = step.expr.xreplace(self.quantities.env(step.expr)) if symbols else step.expr
        else:
            parts = [self.exact[s.target] for s in children(step)]
            e = sp.Mul(*parts) if isinstance(step, Chain) else sp.Add(*parts)
        return self._small(e, step.target)

    def _small(self, e: sp.Expr, target: str) -> sp.Expr:
        if e.is_Rational:
            return e
        e = sp.cancel(e)
        if e.is_Rational or sp.count_ops(e) <= BIG:
            return e
        return _atom(target, self.r.steps[target])  # too big to carry: an opaque value


class _Quantities:
    """Exact x, t, W, b, net and out, each worked out when first asked for (only the ones a
    looked-at value needs): a Rational where it is one, else an opaque symbol."""

    def __init__(self, r):
        self.graph, self.floats, self.network = r.derivation.graph, r.values, r.instance.network
        self.memo: dict[str, sp.Expr] = {}

    def env(self, expr: sp.Expr) -> dict[sp.Symbol, sp.Expr]:
        return {s: self(s.name) for s in expr.free_symbols}

    def __call__(self, key: str) -> sp.Expr:
        return _post_order(key, str, self._inputs, self.memo, self._exact)

    def _inputs(self, key: str) -> list[str]:
        """The quantities `key` is computed from."""
        if key[0] in "xtWbK":
            return []
        softmax = self.graph.softmax_nets(key)
        if softmax is not None:
            return softmax
        gathered = self.graph.gathers(key)  # a pooled or flattened pixel: what it reads
        if gathered is not None:
            return gathered[1]
        if key.startswith("net"):  # its terms, without building its equation in SymPy
            terms, b = self.graph.net_terms_of(key)
            return [n for pair in terms for n in pair] + ([] if b is None else [b])
        if self.graph.activation_of(key) in _ONE_NET:
            return ["net" + key[3:]]
        return [s.name for s in self.graph.equations[key].free_symbols]

    def _softmax(self, key: str) -> bool:
        return self.graph.softmax_nets(key) is not None

    def _exact(self, key: str) -> sp.Expr:
        if key[0] in "xtWbK":  # the decimals as written
            return sp.Rational(repr(float(self.floats[key])))
        if self._softmax(key):
            # e_j / Σ e_k, so that Σ out = 1 is seen; the e's are opaque unless exp(0) = 1 (an
            # exp of a nonzero rational too: SymPy's cancel of such exps takes minutes, and
            # they are algebraically independent, so nothing cancels that opaque ones keep)
            e = [_exp(k, self.memo[k]) for k in self._inputs(key)]
            return e[int(re.findall(r"\d+", key)[-1]) - 1] / sp.Add(*e)
        gathered = self.graph.gathers(key)
        if gathered is not None:  # without building a window's Max in symbols
            how, names = gathered
            parts = [self.memo[k] for k in names]
            if how == "copy":
                return parts[0]
            if how == "mean":
                return _rational_or_atom(sp.Add(*parts) / len(parts), key, self.floats)
            return _rational_or_atom(sp.Max(*parts) if all(p.is_Rational for p in parts)
                                     else sp.Symbol("~"), key, self.floats)
        if key.startswith("net"):
            exact = self._rational_net(key)
            if exact is not None:
                return exact
        elif self.graph.activation_of(key) in _ONE_NET:
            net = self.memo["net" + key[3:]]
            if net.is_Rational:  # max(0, net) or net, of a rational: rational
                return net if self.graph.activation_of(key) == "identity" else max(
                    net, sp.Integer(0))
        equation = self.graph.equations[key]
        env = {s: self.memo[s.name] for s in equation.free_symbols}
        return _rational_or_atom(equation.xreplace(env), key, self.floats)

    def _rational_net(self, key: str) -> sp.Rational | None:
        """A net whose terms are all rational, summed in Python's fractions (SymPy's own
        rational arithmetic costs a network on an image seconds); None otherwise."""
        terms, b = self.graph.net_terms_of(key)
        pairs = [(self.memo[w], self.memo[a]) for w, a in terms]
        bias = sp.Integer(0) if b is None else self.memo[b]
        if not bias.is_Rational or not all(w.is_Rational and a.is_Rational for w, a in pairs):
            return None
        total = Fraction(int(bias.p), int(bias.q)) + sum(
            (Fraction(int(w.p), int(w.q)) * Fraction(int(a.p), int(a.q)) for w, a in pairs),
            Fraction(0))
        return sp.Rational(total.numerator, total.denominator)


def _post_order(root, key, below, memo: dict, compute):
    """memo[key(root)], computing every node under root not yet in memo, children first, with
    a stack of our own: a deep network's chain of δ's is deeper than Python's call stack."""
    if all(key(c) in memo for c in below(root)):  # the usual case: its parts are known
        memo[key(root)] = compute(root)
        return memo[key(root)]
    stack = [root]
    while stack:
        node = stack[-1]
        if key(node) in memo:
            stack.pop()
            continue
        pending = [c for c in below(node) if key(c) not in memo]
        if pending:
            stack += pending
            continue
        memo[key(node)] = compute(node)
        stack.pop()
    return memo[key(root)]


def _target(step: Step) -> str:
    return step.target


def _exp(key: str, net: sp.Expr) -> sp.Expr:
    if net.is_Rational and net != 0:
        return sp.Symbol(f"~exp({key})", positive=True)
    return sp.exp(net)


def _rational_or_atom(e: sp.Expr, key: str, floats) -> sp.Expr:
    # a bare symbol stays itself: ReLU and identity pass an opaque net on as their out
    return e if e.is_Rational or e.is_Symbol else _atom(key, floats[key])


def _atom(key: str, value: float) -> sp.Symbol:
    # the float's sign decides ReLU'(atom); the verification refuses a net near ReLU's corner
    if value > 0:
        return sp.Symbol(f"~{key}", positive=True)
    if value < 0:
        return sp.Symbol(f"~{key}", negative=True)
    return sp.Symbol(f"~{key}", real=True)
