"""What pdflatex can print of a user's text, and as what: accented Latin letters become accent
commands, a few mathematical characters become math, anything else is refused. Light (no
PyLaTeX), so that reading a definition or a key can check a title without loading it.

>>> latex_char("ë"), latex_char("σ")
('\\\\"{e}', '$\\\\sigma$')
>>> check("Zoë's 2-2-2 net")
>>> check("🧠")  # doctest: +ELLIPSIS
Traceback (most recent call last):
symbackprop.definitions.printable.UnprintableText: the character '🧠' (U+1F9E0 BRAIN) ...
"""

from __future__ import annotations

import unicodedata

# A sheet prints every given number and draws every neuron: a column of 16 fills a page.
PRINTED_LAYER, PRINTED_PARAMETERS = 16, 600


class UnprintableText(ValueError):
    """Text holds a character pdflatex cannot print."""


_MATH_CHARS = {
    "σ": r"\sigma", "δ": r"\delta", "η": r"\eta", "Σ": r"\Sigma", "∂": r"\partial", "−": "-",
    "≠": r"\neq", "·": r"\cdot", "∘": r"\circ", "×": r"\times", "≈": r"\approx", "≤": r"\leq",
    "≥": r"\geq", "→": r"\to", "Δ": r"\Delta", "ε": r"\varepsilon", "ₖ": "_k", "ᵢ": "_i",
    "²": "^2", "³": "^3", "₁": "_1", "₂": "_2", "₃": "_3", "ⱼ": "_j", "θ": r"\theta",
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "λ": r"\lambda", "μ": r"\mu", "π": r"\pi",
    "⁻": "^{-}", "ˣ": "^{x}", "½": r"\tfrac{1}{2}", "ₙ": "_n", "∈": r"\in", "∞": r"\infty",
    "±": r"\pm", "√": r"\surd", "∇": r"\nabla", "⊙": r"\odot", "ᵀ": "^{T}",
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


def normal(text: str) -> str:
    """Text as it is compared and printed: NFC, so that e + U+0301 and é are one letter."""
    return unicodedata.normalize("NFC", text)


def check(text: str) -> None:
    """Raise UnprintableText at the first character pdflatex cannot print."""
    for ch in text:
        if not (ch.isascii() and ch.isprintable()):
            latex_char(ch)


def latex_char(ch: str) -> str:
    """A character that is not printable ASCII, as LaTeX (tab and newline: a space)."""
    if ch.isascii():
        if ch in "\t\n":
            return " "
        raise UnprintableText(f"control character U+{ord(ch):04X} cannot be printed")
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
