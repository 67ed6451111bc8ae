"""The calculus rules of backpropagation, one small class each; a derivation is a tree of them.

A leaf (`Factor`) is one partial derivative: its general form (in generic symbols), its form in
this network's symbols, and the rule (proof) it rests on. `Chain` multiplies factors;
`PathSum` adds the paths by which a quantity reaches J.

>>> import sympy as sp
>>> out, t = sp.symbols('out[2][1] t[1]')
>>> f = LossGradient('dJ/dout[2][1]', 'J', 'out[2][1]', out - t, OUT - T, 'half_sse')
>>> flatten(Chain('dJ/dnet[2][1]', (f,)))[0].expr
out[2][1] - t[1]
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp

# Generic symbols for the general forms: 'in' is what a weight multiplies, n the output count.
OUT, NET, T, W, IN, N = sp.symbols("out net t w in n", real=True)


class ReLUPrime(sp.Function):
    """ReLU'(net) = 1 for net > 0, 0 for net < 0 (and 0 at the corner, by convention)

    >>> ReLUPrime(NET), ReLUPrime(sp.Float(0.5)), ReLUPrime(sp.Rational(-1, 2))
    (ReLU'(net), 1, 0)
    """

    @classmethod
    def eval(cls, x):
        if x.is_extended_positive:
            return sp.S.One
        if x.is_extended_nonpositive:
            return sp.S.Zero
        return None

    @staticmethod
    def at(net) -> mpmath.mpf:
        """Its value at a number (an mpmath one), as eval gives it: 1 above 0, else 0."""
        return mpmath.mpf(1 if net > 0 else 0)

    def _sympystr(self, printer) -> str:
        return f"ReLU'({printer._print(self.args[0])})"

    def _latex(self, printer) -> str:
        return r"\mathrm{ReLU}'\left(%s\right)" % printer._print(self.args[0])


@dataclass(frozen=True, eq=False)
class Step:
    target: str  # unique canonical name of this derivative, e.g. 'dJ/dout[2][1]'


@dataclass(frozen=True, eq=False)
class Factor(Step):
    of: str  # numerator: 'J', 'out[2][1]', 'net[2][1]'
    wrt: str  # denominator: 'out[2][1]', 'net[2][1]', 'W[2][1][1]'
    expr: sp.Expr  # this network's form, in the graph's symbols
    general: sp.Expr  # the rule's form, in the generic symbols above
    rule: str  # name of the proof this factor rests on


class LossGradient(Factor):
    """∂J/∂out_j: for ½Σ(t−out)², out_j − t_j"""


class ActivationGradient(Factor):
    """∂out/∂net = f'(net), written through out where it can be: σ' = out(1 − out)"""


class SoftmaxCrossEntropy(Factor):
    """∂J/∂net_j = out_j − t_j  (softmax output with cross-entropy, Jacobian folded in)"""


class InputGradient(Factor):
    """∂net_j/∂w_jk = in_k, the value the weight multiplies"""


class BiasGradient(Factor):
    """∂net_j/∂b = 1"""


class WeightGradient(Factor):
    """∂net[l+1]_i/∂out[l]_j = w[l+1]_ij, the way back through a weight"""


@dataclass(frozen=True, eq=False)
class Chain(Step):
    """∂J/∂w = ∂J/∂out · ∂out/∂net · ∂net/∂w  (chain rule: multiply the factors)"""

    factors: tuple[Step, ...]


@dataclass(frozen=True, eq=False)
class PathSum(Step):
    """∂J/∂out[l]_j = Σ_i ∂J/∂net[l+1]_i · w[l+1]_ij  (add every path to J)"""

    terms: tuple[Step, ...]


def flatten(step: Step) -> tuple[Step, ...]:
    """The factors of a chain, nested chains opened; a PathSum stays one factor."""
    if isinstance(step, Chain):
        return tuple(f for part in step.factors for f in flatten(part))
    return (step,)


def leaves(step: Step):
    """Every Factor of a derivation, through chains and into every path of a sum."""
    for f in flatten(step):
        if isinstance(f, PathSum):
            for term in f.terms:
                yield from leaves(term)
        else:
            yield f


def walk(step: Step):
    """Every step of the tree once, children before parents (a shared δ appears once)."""
    seen: set[str] = set()

    def visit(s: Step):
        if s.target in seen:
            return
        seen.add(s.target)
        for child in children(s):
            yield from visit(child)
        yield s

    yield from visit(step)


def children(step: Step) -> tuple[Step, ...]:
    if isinstance(step, Chain):
        return step.factors
    if isinstance(step, PathSum):
        return step.terms
    return ()


def compose(step: Step) -> sp.Expr:
    """The whole derivative as one SymPy expression in the graph's local symbols."""
    if isinstance(step, Chain):
        return sp.Mul(*[compose(f) for f in step.factors])
    if isinstance(step, PathSum):
        return sp.Add(*[compose(t) for t in step.terms])
    return step.expr
