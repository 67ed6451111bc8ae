"""Plain text printer of a sheet's mathematics, for what is read as words: a section's
accessible name, a notebook's one-line repr, a log. Products are `·`, minus is `−`, powers are
superscripts where Unicode has them.

>>> from symbackprop.sheets.forms import Name, Partial, Prose
>>> PlainText("numbered", (2, 2, 2)).prose(Prose(("Gradient of ", Name("J"), " with respect to ",
...                                               Name("W[2][1][1]"))))
'Gradient of J with respect to w5'
>>> import sympy as sp
>>> out = sp.Symbol("out")
>>> expression(out * (1 - out)), expression(1 - out**2)
('out·(1 − out)', '1 − out²')
"""

from __future__ import annotations

import functools
import re

from ..definitions.language import Words
from ..marking.key import MISTAKES
from ..marking.scheme import EITHER, SLIP
from ..sheets import forms
from ..sheets.notation import symbol_of

OPS = {"+": " + ", "−": " − ", "·": "·", "⊙": " ⊙ ", "×": " × ", ",": ", ", "": " ",
       "←": " ← "}
_SUPERSCRIPTS = str.maketrans("0123456789-()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁽⁾")
_SUBSCRIPTS = str.maketrans("0123456789-()aehijklmnoprstuvx",
                            "₀₁₂₃₄₅₆₇₈₉₋₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")


def term_words(term: str, notation: str = "matrix", layers: tuple[int, ...] | None = None
               ) -> str:
    """A term of a net, which a sign slip names (W[1][1][1]·x[1], b[1]), as the sheet writes
    it: w⁽¹⁾₁₁·x₁, b⁽¹⁾ (w₁·i₁ in seed 003's names).

    >>> term_words("W[1][1][2]·x[2]"), term_words("b[1]", "numbered", (2, 2, 2))
    ('w⁽¹⁾₁₂·x₂', 'b₁')
    """
    text = PlainText(notation, layers, scripts=True)
    parts = []
    for name in term.split("·"):
        try:
            parts.append(text(forms.Name(name)))
        except (ValueError, KeyError, IndexError):  # not a name of the sheet: as it is
            parts.append(name)
    return "·".join(parts)


class Said:
    """A diagnosis's words in the sheet's language (the scheme's messages; English without
    them), a sign slip's term in the sheet's notation."""

    def __init__(self, messages: dict | None, _: Words, notation):
        self.messages, self._, self.notation = messages or {}, _, notation

    def __call__(self, diagnosis: str, term: str | None = None) -> str:
        text = self.messages.get(diagnosis) or MISTAKES[diagnosis]
        if not term:
            return text
        return self._("{verdict}: {reason}").format(verdict=text,
                                                    reason=term_words(term, *self.notation))

    def either(self, first: str, second: str) -> str:
        """Two mistakes' words in one sentence, the first first."""
        return self._(EITHER).format(first=first, second=second)

    def slip(self) -> str:
        """The right value rounded to fewer decimals, as the first of two explanations."""
        return self._(SLIP)


def _lifted(index: str, table: dict, mark: str) -> str:
    """An index in Unicode's small letters if it has all of them, else after _ or ^."""
    small = index.translate(table)
    if not index or all(a != b or a in "," for a, b in zip(index, small)):
        return small
    return mark + index


class PlainText:
    """scripts=True writes indices as Unicode sub- and superscripts where it has them
    (netₕ₁, w⁽¹⁾₁₂), else after _ and ^ (out_o1): for a terminal, which has no layout."""

    def __init__(self, notation: str = "matrix", layers: tuple[int, ...] | None = None,
                 scripts: bool = False, decimal: str = "."):
        self.notation, self.layers, self.scripts = notation, layers, scripts
        self.decimal, self.comma = decimal, "; " if decimal == "," else ", "

    def __call__(self, form: forms.Form) -> str:
        return getattr(self, f"_{type(form).__name__}")(form)

    def prose(self, prose: forms.Prose) -> str:
        return "".join(p if isinstance(p, str) else self(p) for p in prose.parts)

    def _script(self, part) -> str:
        return part if isinstance(part, str) else self(part)

    def _Name(self, f):
        return self(symbol_of(f.canonical, self.notation, self.layers))

    def _Symbol(self, f):
        sup = "" if f.sup is None else self._script(f.sup)
        sub = "" if f.sub is None else self._script(f.sub)
        if self.scripts:
            sup, sub = _lifted(sup, _SUPERSCRIPTS, "^"), _lifted(sub, _SUBSCRIPTS, "_")
        return f.letter + sup + sub

    def _Scripted(self, f):
        return self(f.base) + ("" if f.sup is None else self._script(f.sup)) + (
            "" if f.sub is None else self._script(f.sub))

    def _Number(self, f):
        shown = f.shown().replace(".", self.decimal)
        return shown.replace("-", "−")

    def _Text(self, f):
        return f.words

    def _Partial(self, f):
        return f"∂{self(f.top)}/∂{self(f.bottom)}"

    def _Frac(self, f):
        def part(x):  # a/b on one line: a sum or product in parentheses
            return f"({self(x)})" if isinstance(x, (forms.Ops, forms.Neg, forms.Frac)) \
                else self(x)
        return f"{part(f.numerator)}/{part(f.denominator)}"

    def _Apply(self, f):
        args = self.comma.join(self(a) for a in f.arguments)
        return f"{f.function}{'′' if f.prime else ''}({args})"

    def _Ops(self, f, first_in_parentheses: bool = False):
        out = self(f.items[0])
        if first_in_parentheses and _negative(f.items[0]):
            out = f"({out})"
        for op, item in zip(f.ops, f.items[1:]):
            shown = self(item)
            if _negative(item) and op:
                shown = f"({shown})"
            elif op and isinstance(item, forms.Ops) and _leads_negative(item):
                shown = self._Ops(item, first_in_parentheses=True)  # + (−0.37)·0.75
            out += OPS[op] + shown
        return out

    def _Neg(self, f):
        return f"−({self(f.x)})" if _negative(f.x) else f"−{self(f.x)}"

    def _Power(self, f):
        exponent = self(f.exponent)
        small = exponent.translate(_SUPERSCRIPTS)
        base = f"({self(f.base)})" if _negative(f.base) else self(f.base)
        return base + (small if small != exponent or exponent == "" else f"^{exponent}")

    def _Group(self, f):
        return f"[{self(f.x)}]" if f.square else f"({self(f.x)})"

    def _Sigma(self, f):
        return f"Σ_{f.index} {self(f.body)}"

    def _Equation(self, f):
        return " = ".join(self(s) for s in f.sides)

    def _Expr(self, f):
        return expression(f.expr)


def _negative(form) -> bool:
    return isinstance(form, forms.Number) and form.value < 0


def _leads_negative(form) -> bool:
    return _negative(form.items[0]) if isinstance(form, forms.Ops) else False


def expression(expr) -> str:
    """A SymPy expression as plain text: out·(1 − out), 1 − out², −t/out."""
    text = _words().doprint(expr)
    return re.sub(r"(?<=[\s(])-|^-", "−", text.replace(" - ", " − "))


@functools.cache
def _words():
    # SymPy is imported here, not above: `check` prints a key's forms and never needs it
    from ..engine.printing import Written

    return Written()
