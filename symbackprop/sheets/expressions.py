"""A SymPy expression as the sheet's own forms, its structure kept as written: the rule's form
with numbers in place of its symbols is the working a teacher writes (0.4·0.5933 + 0.45·0.5969
+ 0.6), never evaluated. Terms come in the order SymPy's printers write them, so a substituted
line reads as the symbolic line above it.

>>> import sympy as sp
>>> from symbackprop.formats.plaintext import PlainText
>>> out, t = sp.Symbol("out[2][1]"), sp.Symbol("t[1]")
>>> text = PlainText("matrix")
>>> text(form_of(out * (1 - out), {"out[2][1]": Number(0.7514, 4)}))
'0.7514·(1 − 0.7514)'
>>> text(form_of((out - t) / (out * (1 - out)), {"out[2][1]": Number(-0.25, 2), "t[1]": Number(1)}))
'(−0.25 − 1)/(−0.25·(1 − (−0.25)))'
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from ..definitions.canonical import at_example
from ..engine.steps import ReLUPrime
from .forms import Apply, Form, Frac, Group, Name, Neg, Number, Ops, Power, Symbol

GENERIC = {"out": True, "net": True, "in": True, "t": False, "w": False, "n": False}
_ORDER = LatexPrinter()


def form_of(expr: sp.Expr, values: dict[str, Form] | None = None,
            example: int | None = None) -> Form:
    """`expr` as forms; a symbol named in `values` as the form given for it (its number)."""
    return _Converter(values or {}, example).form(expr)


class _Converter:
    def __init__(self, values: dict[str, Form], example: int | None):
        self.values, self.example = values, example

    def form(self, e) -> Form:
        if isinstance(e, sp.Symbol):
            return self.symbol(e.name)
        if e.is_Number:
            return _number(e)
        if isinstance(e, sp.Add):
            return self.add(e)
        if isinstance(e, sp.Mul):
            return self.mul(e)
        if isinstance(e, sp.Pow):
            return self.power(e)
        return self.function(e)

    def symbol(self, name: str) -> Form:
        if name in self.values:
            return self.values[name]
        if name in GENERIC:
            return Symbol(name, word=GENERIC[name])
        return Name(name if self.example is None else at_example(name, self.example))

    def add(self, e: sp.Add) -> Form:
        terms = _ORDER._as_ordered_terms(e)
        items, ops = [], []
        for i, term in enumerate(terms):
            negative = term.could_extract_minus_sign()
            shown = self.grouped(-term if negative else term, sp.Add)
            if i == 0:
                items.append(Neg(shown) if negative else shown)
            else:
                items.append(shown)
                ops.append("−" if negative else "+")
        return items[0] if len(items) == 1 else Ops(tuple(items), tuple(ops))

    def mul(self, e: sp.Mul) -> Form:
        if e.could_extract_minus_sign():
            return Neg(self.grouped(-e, sp.Add))
        above, below = [], []
        for factor in e.as_ordered_factors():
            base, exponent = factor.as_base_exp()
            if exponent.is_Number and exponent < 0:
                below.append(base if exponent == -1 else sp.Pow(base, -exponent))
            elif factor.is_Rational and not factor.is_Integer:
                above.append(sp.Integer(factor.p))
                below.append(sp.Integer(factor.q))
            else:
                above.append(factor)
        top = self.product(above) if above else Number(1)
        return Frac(top, self.product(below)) if below else top

    def product(self, factors) -> Form:
        if not factors:
            return Number(1)
        return Ops.joined((self.grouped(f, sp.Add) for f in factors), "·")

    def power(self, e: sp.Pow) -> Form:
        base, exponent = e.as_base_exp()
        if exponent.is_Number and exponent < 0:
            return Frac(Number(1), self.form(sp.Pow(base, -exponent) if exponent != -1 else base))
        return Power(self.grouped(base, (sp.Add, sp.Mul, sp.Pow)), self.form(exponent))

    def grouped(self, e, kinds) -> Form:
        """e in parentheses where it would otherwise be misread (a sum as a factor; a negative
        number after an operator is the printers' to enclose)."""
        shown = self.form(e)
        return Group(shown) if isinstance(e, kinds) else shown

    def function(self, e) -> Form:
        args = tuple(self.form(a) for a in e.args)
        if isinstance(e, sp.exp):
            return Power(Symbol("e"), args[0])
        if isinstance(e, sp.log):
            return Apply("ln", args)
        if isinstance(e, ReLUPrime):
            return Apply("ReLU", args, prime=True)
        return Apply(type(e).__name__, args)


def _number(e) -> Form:
    if e.is_Integer:
        return Number(int(e))
    if e.is_Rational:
        return Frac(Number(int(e.p)), Number(int(e.q)))
    return Number(float(e))
