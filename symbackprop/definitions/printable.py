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

import re
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
    latex_text(text)


# A name in the Greek or Cyrillic script is printed in its own font encoding (LGR: cbfonts,
# T2A: cm-super), a Vietnamese letter with a horn or a hook above in T5 (vntex, Latin
# Modern): the .tex loads those encodings where a text uses them (ENCODINGS_USED).
_SCRIPTS = (("LGR", 0x0370, 0x03FF), ("LGR", 0x1F00, 0x1FFF), ("T2A", 0x0400, 0x052F))
_T5_MARKS = {"\u031b", "\u0309"}  # horn (ơ, ư), hook above (ả, ẩ, ...)
_T5_LETTERS = {"\u0110", "\u0111"}  # Đ đ are T1's too, as \DJ \dj
ENCODING = r"{\fontencoding{%s}\selectfont %s}"


def encodings(latex: str) -> list[str]:
    """The font encodings (besides T1) a text made by latex_text switches to, in a fixed order.

    >>> encodings(latex_text("Жанна Σωκράτης"))
    ['LGR', 'T2A']
    """
    return [e for e in ("LGR", "T2A", "T5") if r"\fontencoding{%s}" % e in latex]


def clusters(text: str) -> list[str]:
    """Each letter with the combining marks after it (NFC first): ọ̀ is one, Adé is three."""
    out: list[str] = []
    for ch in normal(text):
        if out and unicodedata.combining(ch) and not out[-1].isspace():
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _script(cluster: str) -> str | None:
    code = ord(cluster[0])
    return next((e for e, low, high in _SCRIPTS if low <= code <= high), None)


def latex_text(text: str, escape=str) -> str:
    r"""Text as LaTeX: printable ASCII through `escape` (formats/latex.py gives PyLaTeX's),
    every other letter as pdflatex prints it, or UnprintableText. A word of Greek or Cyrillic
    letters is set in its own encoding; a lone σ, δ, ... stays mathematics (a title's "the δ
    of layer 2").

    >>> print(latex_text("Adébáyọ̀"))
    Ad\'{e}b\'{a}y\BeginAccSupp{method=hex,unicode,ActualText=1ECD0300}\d{\`{o}}\EndAccSupp{}
    >>> print(latex_text("Жанна"), latex_text("σ"))
    {\fontencoding{T2A}\selectfont Жанна} $\sigma$
    """
    out: list[str] = []
    parts = clusters(text)
    i = 0
    while i < len(parts):
        script = _script(parts[i])
        if script:
            j = i
            while j < len(parts) and _script(parts[j]) == script:
                j += 1
            run = parts[i:j]
            if len(run) > 1 or run[0] not in _MATH_CHARS:
                out.append(ENCODING % (script, "".join(_scripted(c, script) for c in run)))
                i = j
                continue
        out.append(_cluster(parts[i], escape))
        i += 1
    # one group for a run of letters in one encoding (Trương: ư and ơ together)
    text, merged = "".join(out), None
    while merged != text:
        merged, text = text, _RUNS.sub(r"{\\fontencoding{\1}\\selectfont \2", text)
    return text


_RUNS = re.compile(r"\{\\fontencoding\{(T5|LGR|T2A)\}\\selectfont ([^{}]*)\}"
                   r"\{\\fontencoding\{\1\}\\selectfont ")


def _scripted(cluster: str, script: str) -> str:
    """A Greek or Cyrillic letter in its encoding: as typed (inputenc maps it), a mark left
    after NFC as an accent command."""
    base, marks = cluster[0], cluster[1:]
    if not marks:
        _known(base)
        return base
    return _accented(base, marks, cluster)


def _known(ch: str) -> None:
    if not unicodedata.category(ch).startswith(("L", "P", "Z")):
        _refuse(ch)


def _cluster(cluster: str, escape) -> str:
    if len(cluster) == 1:
        return escape(cluster) if cluster.isascii() and cluster.isprintable() \
            else latex_char(cluster)
    decomposed = unicodedata.normalize("NFD", cluster)
    base, marks = decomposed[0], decomposed[1:]
    if not (base.isalpha() and base.isascii()):  # a mark on a symbol, a digit, ø, ...
        _refuse(cluster[-1])
    return _accented(base, marks, cluster)


def _accented(base: str, marks: str, cluster: str) -> str:
    """A letter under accent commands, the innermost first; where T1 has no glyph of its own
    for the whole (ọ̀, ễ), its text is carried as ActualText, so that a PDF reader copies and
    searches it as typed."""
    whole = normal(cluster)
    if len(whole) == 1 and (ord(whole) > 0x017F or any(m in _T5_MARKS for m in marks)) \
            and _vietnamese(base, marks):
        return ENCODING % ("T5", whole)  # T5 has the letter whole: ễ, ị, ư
    if not all(m in _ACCENTS for m in marks):
        _refuse(next(m for m in marks if m not in _ACCENTS))
    above = any(m not in _BELOW for m in marks)
    result = "\\" + base if base in "ij" and above else base  # dotless i, j under an accent
    # above the letter first (ò is a T1 glyph that TeX's \accent can take again), then
    # below it (\d stacks under any box): \d{\`{o}}
    for mark in sorted(marks, key=lambda m: m in _BELOW):
        result = "\\%s{%s}" % (_ACCENTS[mark], result)
    whole = normal(cluster)
    if len(whole) == 1 and ord(whole) <= 0x017F:
        return result  # a T1 glyph: copied as typed
    hex_text = "".join(f"{u:04X}" for u in _utf16(whole))
    return r"\BeginAccSupp{method=hex,unicode,ActualText=%s}%s\EndAccSupp{}" % (hex_text, result)


_VOWELS, _SHAPES, _TONES = set("aeiouyAEIOUY"), {"\u0306", "\u0302", "\u031b"}, {
    "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}


def _vietnamese(base: str, marks: str) -> bool:
    """A letter of the Vietnamese alphabet: a vowel with at most a breve, circumflex or horn
    and at most one tone mark."""
    shapes = [m for m in marks if m in _SHAPES]
    tones = [m for m in marks if m in _TONES]
    return base in _VOWELS and len(shapes) <= 1 and len(tones) <= 1 and \
        len(shapes) + len(tones) == len(marks)


def _utf16(text: str) -> list[int]:
    data = text.encode("utf-16-be")
    return [int.from_bytes(data[k:k + 2], "big") for k in range(0, len(data), 2)]


def _refuse(ch: str):
    name = unicodedata.name(ch, "unnamed")
    raise UnprintableText(f"the character '{ch}' (U+{ord(ch):04X} {name}) cannot be printed "
                          "by pdflatex; use letters of the Latin, Greek or Cyrillic script "
                          "(with their accents)")


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
    script = _script(ch)
    if script:
        _known(ch)
        return ENCODING % (script, ch)
    base, *marks = unicodedata.normalize("NFD", ch)
    if marks and base.isascii() and base.isalpha():
        return _accented(base, "".join(marks), ch)
    if ch in _T5_LETTERS:
        return ENCODING % ("T5", ch)
    _refuse(ch)
