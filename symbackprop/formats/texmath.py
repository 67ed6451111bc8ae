r"""The TeX driver's printer of a sheet's mathematics: each form (sheets/forms.py) as LaTeX, a
rule's SymPy form through SymPy's own LaTeX printer with this sheet's names for its symbols.

Only this printer and latex.text write LaTeX, so every string it returns is trusted (NoEscape).

>>> from symbackprop.sheets.forms import Equation, Name, Number, Ops, Partial, Symbol
>>> tex = TexMath("numbered", (2, 2, 2))
>>> print(tex(Equation((Partial(Name("J"), Name("W[2][1][1]")), Number(0.0822, 4)))))
\frac{\partial J}{\partial w_{5}} = 0.0822
>>> print(tex(Ops((Name("W[2][1][1]"), Symbol("η"), Number(-0.5)), ("−", "·"))))
w_{5} - \eta \cdot ({-0.5})
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp
from pylatex.utils import NoEscape

from ..definitions.canonical import at_example
from ..definitions.printable import latex_char
from ..sheets import forms
from ..sheets.notation import symbol_of
from . import latex

OPS = {"+": "+", "−": "-", "·": r"\cdot", "⊙": r"\odot", "×": r"\times", "": "", ",": ",",
       "←": r"\leftarrow", "⋆": r"\star", "∗": r"\ast"}
FUNCTIONS = {"σ": r"\sigma", "tanh": r"\tanh", "ln": r"\ln", "max": r"\max", "C": "C",
             "ReLU": r"\mathrm{ReLU}", "f": "f", "exp": r"\exp",
             "softmax": r"\operatorname{softmax}"}
# the general forms' generic symbols (engine/steps.py: OUT, NET, T, W, IN, N)
GENERIC = {"out": r"\mathrm{out}", "net": r"\mathrm{net}", "in": r"\mathrm{in}", "t": "t",
           "w": "w", "n": "n"}


class TexMath:
    """Prints forms as LaTeX for one sheet (its notation and layer sizes)."""

    def __init__(self, notation: str, layers: tuple[int, ...] | None = None,
                 decimal: str = "."):
        self.notation, self.layers = notation, layers
        # a decimal comma in braces (math mode spaces a bare comma as punctuation), and the
        # arguments of a function then apart by semicolons: max(0; 0{,}25)
        self.decimal = "{,}" if decimal == "," else decimal
        self.comma = "; " if decimal == "," else ", "

    def __call__(self, form: forms.Form) -> NoEscape:
        return NoEscape(self.print(form))

    def number(self, text: str) -> str:
        """A number printed by a template (an answer, its exact value), in math mode."""
        return text.replace(".", self.decimal)

    def print(self, form: forms.Form) -> str:
        return getattr(self, f"_{type(form).__name__}")(form)

    def prose(self, prose: forms.Prose) -> NoEscape:
        """Words and $mathematics$, as a title or a question is set."""
        return NoEscape("".join(latex.text(p) if isinstance(p, str) else f"${self.print(p)}$"
                                for p in prose.parts))

    def _script(self, part) -> str:
        return part if isinstance(part, str) else self.print(part)

    def _Name(self, f: forms.Name) -> str:
        return self.print(symbol_of(f.canonical, self.notation, self.layers))

    def _Symbol(self, f: forms.Symbol) -> str:
        letter = GENERIC.get(f.letter) if f.word and f.letter in GENERIC else None
        letter = letter or (rf"\mathrm{{{f.letter}}}" if f.word else _letter(f.letter))
        if f.bold:
            letter = rf"\mathbf{{{letter}}}"
        sup = f"^{{{self._script(f.sup)}}}" if f.sup is not None else ""
        sub = f"_{{{self._script(f.sub)}}}" if f.sub is not None else ""
        return letter + sup + sub

    def _Scripted(self, f: forms.Scripted) -> str:
        text = "{%s}" % self.print(f.base)
        if f.sup is not None:
            text += "^{%s}" % self._script(f.sup)
        if f.sub is not None:
            text += "_{%s}" % self._script(f.sub)
        return text

    def _Number(self, f: forms.Number) -> str:
        shown = f.shown().replace(".", self.decimal)
        return f"{{{shown}}}" if shown.startswith("-") else shown

    def _Text(self, f: forms.Text) -> str:
        return rf"\text{{{latex.text(f.words)}}}"

    def _Partial(self, f: forms.Partial) -> str:
        return rf"\frac{{\partial {self.print(f.top)}}}{{\partial {self.print(f.bottom)}}}"

    def _Frac(self, f: forms.Frac) -> str:
        command = r"\tfrac" if f.small else r"\frac"
        return f"{command}{{{self.print(f.numerator)}}}{{{self.print(f.denominator)}}}"

    def _Apply(self, f: forms.Apply) -> str:
        if f.function == "√":
            return rf"\sqrt{{{', '.join(self.print(a) for a in f.arguments)}}}"
        name = FUNCTIONS[f.function] + ("'" if f.prime else "")
        args = self.comma.join(self.print(a) for a in f.arguments)
        if f.function == "ln" and _simple(f.arguments):
            return f"{name} {args}"
        return rf"{name}\left({args}\right)" if forms.tall(f.arguments) else f"{name}({args})"

    def _Ops(self, f: forms.Ops, first_in_parentheses: bool = False) -> str:
        out = self.print(f.items[0])
        if first_in_parentheses and _negative(f.items[0]):
            out = f"({out})"
        for op, item in zip(f.ops, f.items[1:]):
            shown = self.print(item)
            if OPS[op] and _negative(item):  # 0.1 \cdot (-0.2367), never 0.1 \cdot -0.2367
                shown = f"({shown})"
            elif OPS[op] and isinstance(item, forms.Ops) and _negative(item.items[0]):
                shown = self._Ops(item, first_in_parentheses=True)  # + (-0.37) \cdot 0.75
            out += f" {OPS[op]} {shown}" if OPS[op] else f" {shown}"
        return out

    def _Neg(self, f: forms.Neg) -> str:
        inner = self.print(f.x)
        if not _negative(f.x):
            return f"-{inner}"
        return rf"-\left({inner}\right)" if forms.tall(f.x) else f"-({inner})"

    def _Power(self, f: forms.Power) -> str:
        base = self.print(f.base)
        return f"{f'({base})' if _negative(f.base) else base}^{{{self.print(f.exponent)}}}"

    def _Group(self, f: forms.Group) -> str:
        left, right = ("[", "]") if f.square else ("(", ")")
        inner = self.print(f.x)
        # brackets round a fraction are as tall as it: (∂J/∂out · …) never in small ones
        if f.sized or forms.tall(f.x):
            return rf"\left{left}{inner}\right{right}"
        return f"{left}{inner}{right}"

    def _Sigma(self, f: forms.Sigma) -> str:
        return rf"\sum_{{{f.index}}} {self.print(f.body)}"

    def _Equation(self, f: forms.Equation) -> str:
        return " = ".join(self.print(s) for s in f.sides)

    def _Expr(self, f: forms.Expr) -> str:
        names = {}
        for s in f.expr.free_symbols:
            if s.name in GENERIC:
                names[s] = GENERIC[s.name]
            else:
                at = s.name if f.example is None else at_example(s.name, f.example)
                names[s] = self._Name(forms.Name(at))
        return _latex(f.expr, tuple(sorted(names.items(), key=lambda n: n[0].name)))


def _letter(letter: str) -> str:
    """A letter as LaTeX: Latin as it is, Greek (δ, η, ∇) as its command."""
    if letter.isascii():
        return letter
    if letter.endswith("\u0302"):  # m̂, v̂: Adam's corrected moments
        return rf"\hat{{{_letter(letter[:-1])}}}"
    return latex_char(letter).strip("$")


def _negative(form) -> bool:
    return isinstance(form, forms.Number) and form.value < 0


def _simple(arguments) -> bool:
    return len(arguments) == 1 and isinstance(arguments[0], (forms.Name, forms.Symbol))


@lru_cache(maxsize=4096)
def _latex(expr: sp.Expr, names: tuple) -> str:
    """A rule's form in LaTeX: the same forms recur in every version of a set (only their
    numbers differ), and SymPy's printer was a fifth of a version's time."""
    return latex.sympy(expr, symbol_names=dict(names), mul_symbol="dot", ln_notation=True)
