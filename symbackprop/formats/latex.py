r"""LaTeX for text and mathematics: escaping as a type (PyLaTeX's NoEscape), symbols from names.

Text from a definition or a roster goes through `text()`: ASCII specials are escaped by PyLaTeX,
accented Latin letters become accent commands (so pdflatex prints Zoë and Nguyễn as written), a
few mathematical characters become math, and anything else is refused with a clear message.

>>> print(text(r'50% of \input{x}'))
50\% of \textbackslash{}input\{x\}
>>> print(text('Nguyễn Zoë σ'))
Nguy\~{\^{e}}n Zo\"{e} $\sigma$
>>> symbol('W[2][1][1]', 'matrix'), symbol('W[2][1][1]', 'numbered', (2, 2, 2))
('w^{(2)}_{11}', 'w_{5}')
"""

from __future__ import annotations

import re
import unicodedata

from pylatex.utils import NoEscape, escape_latex

from .. import names

__all__ = ["NoEscape", "UnprintableText", "math", "symbol", "text"]


class UnprintableText(ValueError):
    """Text holds a character pdflatex cannot print."""


_MATH_CHARS = {
    "σ": r"\sigma", "δ": r"\delta", "η": r"\eta", "Σ": r"\Sigma", "∂": r"\partial", "−": "-",
    "≠": r"\neq", "·": r"\cdot", "∘": r"\circ", "×": r"\times", "≈": r"\approx", "≤": r"\leq",
    "≥": r"\geq", "→": r"\to", "Δ": r"\Delta", "ε": r"\varepsilon", "ₖ": "_k", "ᵢ": "_i",
    "²": "^2", "³": "^3", "₁": "_1", "₂": "_2", "₃": "_3", "ⱼ": "_j", "θ": r"\theta",
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "λ": r"\lambda", "μ": r"\mu", "π": r"\pi",
    "⁻": "^{-}", "ˣ": "^{x}", "½": r"\tfrac{1}{2}", "ₙ": "_n", "∈": r"\in", "∞": r"\infty",
    "±": r"\pm", "√": r"\surd",
}
_TEXT_CHARS = {"′": "'", "’": "'", "‘": "`", "“": "``", "”": "''", "–": "--", "—": "---",
               "…": r"\ldots{}", "\u00a0": "~", "ß": r"\ss{}", "æ": r"\ae{}", "Æ": r"\AE{}",
               "ø": r"\o{}", "Ø": r"\O{}", "œ": r"\oe{}", "Œ": r"\OE{}", "å": r"\aa{}",
               "Å": r"\AA{}", "ł": r"\l{}", "Ł": r"\L{}", "ı": r"\i{}", "đ": r"\dj{}",
               "Đ": r"\DJ{}", "ð": r"\dh{}", "Ð": r"\DH{}", "þ": r"\th{}", "Þ": r"\TH{}"}
_ACCENTS = {  # combining mark -> LaTeX accent command (T1 encoding)
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0306": "u",
    "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v", "\u0323": "d",
    "\u0327": "c", "\u0328": "k",
}


_BELOW = {"\u0323", "\u0327", "\u0328"}  # dot below, cedilla, ogonek: the i keeps its dot


def text(value: str) -> NoEscape:
    """Plain text, made safe and printable for pdflatex."""
    out = []
    for ch in value:
        out.append(_char(ch))
    return NoEscape("".join(out))


def _char(ch: str) -> str:
    if ch.isascii():
        if ch in "\t\n":
            return " "
        if not ch.isprintable():
            raise UnprintableText(f"control character U+{ord(ch):04X} cannot be printed")
        return r"\textasciicircum{}" if ch == "^" else escape_latex(ch)
    if ch in _TEXT_CHARS:
        return _TEXT_CHARS[ch]
    if ch in _MATH_CHARS:
        return f"${_MATH_CHARS[ch]}$"
    base, *marks = unicodedata.normalize("NFD", ch)
    if base.isascii() and base.isalpha() and marks and all(m in _ACCENTS for m in marks):
        above = any(m not in _BELOW for m in marks)
        result = "\\" + base if base in "ij" and above else base  # dotless i, j under an accent
        for mark in marks:
            result = "\\%s{%s}" % (_ACCENTS[mark], result)
        return result
    name = unicodedata.name(ch, "unnamed")
    raise UnprintableText(f"the character '{ch}' (U+{ord(ch):04X} {name}) cannot be printed "
                          "by pdflatex; use Latin letters (accents are fine)")


def math(expr, names: dict[str, str] | None = None) -> NoEscape:
    """A SymPy expression as LaTeX, its symbols shown under `names` (canonical -> LaTeX)."""
    names = names or {}
    import sympy as sp  # here, not at the top: checking a title or a key needs no SymPy

    symbol_names = {s: names.get(s.name, _safe(s.name)) for s in expr.free_symbols
                    if isinstance(s, sp.Symbol)}
    return NoEscape(sp.latex(expr, symbol_names=symbol_names, mul_symbol="dot"))


def _safe(name: str) -> str:
    # symbols come from our own allowlist; this guards against one that does not
    if not re.fullmatch(r"[A-Za-z_0-9\[\]]+", name):
        raise UnprintableText(f"symbol name {name!r} is not allowed")
    return escape_latex(name)


_CANONICAL = re.compile(r"^(W|b|net|out|x|t)((?:\[\d+\])*)$")


def symbol(canonical: str, notation: str, layers: tuple[int, ...] | None = None) -> str:
    """LaTeX for a canonical name: w^{(l)}_{jk} (matrix) or w_5 (numbered, as in seed 003)."""
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
