"""How the reports print a rule's forms and its numbers (report, convreport, updatereport).

>>> import sympy as sp
>>> out, t = sp.symbols('out t')
>>> form(sp.Mul(2, out - t, evaluate=False)), number(-0.0), times(-0.5)
('2(out - t)', '0', '(-0.5)')
"""

from __future__ import annotations

from functools import lru_cache

from sympy.printing.str import StrPrinter

__all__ = ["form", "number", "times"]


class _Printer(StrPrinter):
    """SymPy's str, but a number times a sum reads 2(out - t), as a rule is written."""

    def _print_Mul(self, expr) -> str:
        text = super()._print_Mul(expr)
        first = expr.args[0]
        if first.is_Integer and first > 0 and text.startswith(f"{first}*("):
            return f"{first}{text[len(str(first)) + 1:]}"
        return text


_PRINTER = _Printer({"order": "none"})


@lru_cache(maxsize=4096)
def form(expr) -> str:  # the same general forms recur in every neuron: print each once
    return _PRINTER.doprint(expr)


def number(v: float) -> str:
    return f"{v + 0.0:.9g}"  # + 0.0: a zero prints as 0, never -0


def times(v: float) -> str:
    return f"({number(v)})" if v < 0 else number(v)
