"""How the reports print a rule's forms and its numbers (report, convreport, updatereport).

>>> import sympy as sp
>>> out, t = sp.symbols('out t')
>>> form(sp.Mul(2, out - t, evaluate=False)), number(-0.0), times(-0.5)
('2(out − t)', '0', '(-0.5)')
>>> form(out * (1 - out)), form(1 - out**2), form(-t / out + sp.log(out))
('out·(1 − out)', '1 − out²', '−t/out + ln(out)')
>>> form(out / (1 - t**out)), form(out / (sp.sqrt(t) + 1))  # Adam's bias correction, its root
('out/(1 − t^out)', 'out/(1 + √(t))')
"""

from __future__ import annotations

import re
from functools import lru_cache

from sympy.printing.str import StrPrinter

__all__ = ["form", "number", "times"]


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


class Written(StrPrinter):
    """SymPy's str as a person writes the mathematics: · for a product, ² for a small power,
    ln; the derive report's rules and the pages' plain text (formats/plaintext.py) alike."""

    def _print_Mul(self, expr) -> str:
        return super()._print_Mul(expr).replace("*", "·")

    def _print_Pow(self, expr, rational=False) -> str:
        base, exponent = expr.as_base_exp()
        if exponent.is_Integer and 1 < exponent < 10:
            return self.parenthesize(base, 100) + str(exponent).translate(_SUPERSCRIPTS)
        # β1^t, √(vhat): never Python's ** (which a product's · would turn into ··) or sqrt
        return super()._print_Pow(expr, rational).replace("**", "^").replace("sqrt(", "√(")

    def _print_log(self, expr) -> str:
        return f"ln({self._print(expr.args[0])})"


class _Printer(Written):
    """... and a number times a sum as a rule is written: 2(out − t)."""

    def _print_Mul(self, expr) -> str:
        text = StrPrinter._print_Mul(self, expr)
        first = expr.args[0]
        if first.is_Integer and first > 0 and text.startswith(f"{first}*("):
            text = f"{first}{text[len(str(first)) + 1:]}"
        return text.replace("*", "·")


_PRINTER = _Printer({"order": "none"})


@lru_cache(maxsize=4096)
def form(expr) -> str:  # the same general forms recur in every neuron: print each once
    return _minus(_PRINTER.doprint(expr))


def number(v: float) -> str:
    return f"{v + 0.0:.9g}"  # + 0.0: a zero prints as 0, never -0; a plain - that any
    # program reads back (a form's minus is the sign's own, −)


def _minus(text: str) -> str:
    """A minus sign, not a hyphen: in a difference, and before a number or a name."""
    return re.sub(r"(?<![\w.])-", "−", text.replace(" - ", " − "))


def times(v: float) -> str:
    return f"({number(v)})" if v < 0 else number(v)
