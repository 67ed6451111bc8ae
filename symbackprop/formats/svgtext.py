"""A diagram's labels as SVG text: a name's subscript and superscript as shifted tspans, a minus
sign as a minus, not a hyphen (SVG has no MathML inside it).

>>> from symbackprop.sheets.forms import Equation, Name, Number
>>> print(SvgText("matrix")(Equation((Name("W[2][1][1]"), Number(-0.4)))).replace("</tspan>",
...       "</tspan>\\n"))
w<tspan class="sup" dy="-0.45em">(2)</tspan>
<tspan class="sub" dx="-1.4em" dy="0.75em">11</tspan>
<tspan dx="0.45em" dy="-0.3em"> = −0.4</tspan>
<BLANKLINE>
"""

from __future__ import annotations

import html

from ..sheets import forms
from ..sheets.notation import symbol_of

SCRIPT = 0.45  # em a character of a sub- or superscript (at 70 %) takes, about


class SvgText:
    """Prints a label (a symbol, a number, `name = value`) as the content of an SVG <text>."""

    def __init__(self, notation: str, layers: tuple[int, ...] | None = None,
                 decimal: str = "."):
        self.notation, self.layers, self.decimal = notation, layers, decimal

    def __call__(self, form: forms.Form) -> str:
        # a subscript under a superscript is moved back under it (dx), and what follows is
        # moved on past the longer of the two, so that "b⁽¹⁾₁ = 0.31" never prints its "="
        # over the superscript's ")"
        out, shift, sup_length, ahead = [], 0.0, 0, 0.0
        for kind, text in _merged(self.runs(form)):
            escaped = html.escape(text)
            if kind == "sup":
                out.append(f'<tspan class="sup" dy="{-0.45 - shift:.2g}em">{escaped}</tspan>')
                shift, sup_length = -0.45, len(text)
            elif kind == "sub":  # under the superscript, when there is one
                back = f' dx="-{SCRIPT * sup_length:.2g}em"' if sup_length else ""
                out.append(f'<tspan class="sub"{back} dy="{0.3 - shift:.2g}em">{escaped}</tspan>')
                ahead = SCRIPT * (sup_length - len(text)) if sup_length else 0.0
                shift, sup_length = 0.3, 0
            elif shift or ahead > 0:
                on = f' dx="{ahead:.2g}em"' if ahead > 0 else ""
                out.append(f'<tspan{on} dy="{-shift:.2g}em">{escaped}</tspan>')
                shift, ahead = 0.0, 0.0
            else:
                out.append(escaped)
        return "".join(out)

    def runs(self, form: forms.Form) -> list[tuple[str, str]]:
        """(kind, text) runs: 'text', 'sup', 'sub'."""
        return getattr(self, f"_{type(form).__name__}")(form)

    def _Name(self, f: forms.Name) -> list[tuple[str, str]]:
        return self.runs(symbol_of(f.canonical, self.notation, self.layers))

    def _Symbol(self, f: forms.Symbol) -> list[tuple[str, str]]:
        runs = [("text", f.letter)]
        runs += [("sup", str(f.sup))] if f.sup is not None else []
        return runs + ([("sub", str(f.sub))] if f.sub is not None else [])

    def _Number(self, f: forms.Number) -> list[tuple[str, str]]:
        shown = f.shown().replace(".", self.decimal)
        return [("text", shown.replace("-", "\u2212"))]

    def _Equation(self, f: forms.Equation) -> list[tuple[str, str]]:
        runs = self.runs(f.sides[0])
        for side in f.sides[1:]:
            runs += [("text", " = ")] + self.runs(side)
        return runs


def _merged(runs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for kind, text in runs:
        if out and out[-1][0] == kind == "text":
            out[-1] = ("text", out[-1][1] + text)
        else:
            out.append((kind, text))
    return out
