r"""LaTeX for text and mathematics: escaping as a type (PyLaTeX's NoEscape), symbols from names.

Text from a definition or a roster goes through `text()`: ASCII specials are escaped by PyLaTeX,
accented Latin letters become accent commands, Vietnamese letters and words of the Greek and
Cyrillic scripts are set in their font encodings (T5, LGR, T2A), so that pdflatex prints Zoë,
Nguyễn, Adébáyọ̀ and Жанна as written; a few mathematical characters become math, and anything
else is refused with a clear message (definitions/printable.py).

>>> print(text(r'50% of \input{x}'))
50\% of \textbackslash{}input\{x\}
>>> print(text('Nguyễn Zoë σ'))
Nguy{\fontencoding{T5}\selectfont ễ}n Zo\"{e} $\sigma$
>>> symbol('W[2][1][1]', 'matrix'), symbol('W[2][1][1]', 'numbered', (2, 2, 2))
('w^{(2)}_{11}', 'w_{5}')
"""

from __future__ import annotations

import re

from pylatex.utils import NoEscape, escape_latex

from ..definitions import names
from ..definitions.printable import UnprintableText, latex_text

__all__ = ["NoEscape", "UnprintableText", "math", "symbol", "text"]


def text(value: str) -> NoEscape:
    """Plain text, made safe and printable for pdflatex (NFC first: printable.latex_text)."""
    return NoEscape(latex_text(value, _char))


def _char(ch: str) -> str:
    return r"\textasciicircum{}" if ch == "^" else escape_latex(ch)


def math(expr, names: dict[str, str] | None = None) -> NoEscape:
    """A SymPy expression as LaTeX, its symbols shown under `names` (canonical -> LaTeX)."""
    names = names or {}
    import sympy as sp  # here, not at the top: checking a title or a key needs no SymPy

    symbol_names = {s: names.get(s.name, _safe(s.name)) for s in expr.free_symbols
                    if isinstance(s, sp.Symbol)}
    return NoEscape(sympy(expr, symbol_names=symbol_names, mul_symbol="dot"))


def _safe(name: str) -> str:
    # symbols come from our own allowlist; this guards against one that does not
    if not re.fullmatch(r"[A-Za-z_0-9\[\]]+", name):
        raise UnprintableText(f"symbol name {name!r} is not allowed")
    return escape_latex(name)


_CANONICAL = re.compile(r"^(W|b|net|out|x|t)((?:\[\d+\])*)$")


def symbol(canonical: str, notation: str, layers: tuple[int, ...] | None = None) -> str:
    r"""LaTeX for a canonical name: w^{(l)}_{jk} (matrix) or w_5 (numbered, as in seed 003);
    a quantity of example e of a batch (out[2][1]@e) carries [e] above it.

    >>> print(symbol('out[2][1]@2', 'matrix'), symbol('J@1', 'matrix'))
    {\mathrm{out}^{(2)}_{1}}^{[2]} J^{[1]}
    """
    base, at, example = canonical.partition("@")
    if at:
        if not example.isdigit():
            raise ValueError(f"not a canonical name: {canonical}")
        return "J^{[%s]}" % example if base == "J" else \
            "{%s}^{[%s]}" % (symbol(base, notation, layers), example)
    m = _CANONICAL.match(canonical)
    if not m:
        raise ValueError(f"not a canonical name: {canonical}")
    kind, idx = m.group(1), [int(i) for i in re.findall(r"\d+", m.group(2))]
    if notation == "numbered":
        return _numbered(canonical, layers)
    letter = {"W": "w", "b": "b", "net": r"\mathrm{net}", "out": r"\mathrm{out}",
              "x": "x", "t": "t"}[kind]
    if kind in ("x", "t"):
        return f"{letter}_{{{idx[0]}}}"
    sub = "".join(map(str, idx[1:])) if all(i < 10 for i in idx[1:]) else ",".join(
        map(str, idx[1:]))
    return f"{letter}^{{({idx[0]})}}" + (f"_{{{sub}}}" if sub else "")


def _numbered(canonical: str, layers) -> str:
    """Seed 003's style (names.numbered): w_{5}, b_{1}, \\mathrm{net}_{h1}, \\mathrm{out}_{o1}."""
    word, _, neuron = names.numbered(canonical, layers).partition("_")
    if neuron:
        return rf"\mathrm{{{word}}}_{{{neuron}}}"
    letter, number = re.fullmatch(r"([a-z])(\d+)", word).groups()
    return f"{letter}_{{{number}}}"


def sympy(expr, **settings) -> str:
    r"""A SymPy expression as LaTeX, as sp.latex prints it, except that a minus before a
    bracket holding a fraction has brackets as tall as it (SymPy sets that one pair small).

    >>> import sympy as sp
    >>> t, y = sp.symbols("t y")
    >>> sympy(sp.Mul(-1, t / y + 1, evaluate=False), order="none")
    '- \\left(1 + \\frac{t}{y}\\right)'
    """
    from sympy.printing.latex import LatexPrinter  # here: checking a key needs no SymPy

    class Sized(LatexPrinter):
        def _print_Mul(self, e) -> str:
            tex = super()._print_Mul(e)
            if tex.startswith("- (") and r"\frac" in tex and _closes(tex, 2) == len(tex) - 1:
                return r"- \left(" + tex[3:-1] + r"\right)"
            return tex

    return Sized(settings).doprint(expr)


def _closes(tex: str, start: int) -> int:
    """Where the bracket opened at `start` closes."""
    depth = 0
    for i in range(start, len(tex)):
        depth += {"(": 1, ")": -1}.get(tex[i], 0)
        if depth == 0:
            return i
    return -1
