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
    "ᵤ": "_u", "ᵥ": "_v", "ₘ": "_m", "₄": "_4",
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "λ": r"\lambda", "μ": r"\mu", "π": r"\pi",
    "⁻": "^{-}", "ˣ": "^{x}", "½": r"\tfrac{1}{2}", "ₙ": "_n", "∈": r"\in", "∞": r"\infty",
    "±": r"\pm", "√": r"\surd", "∇": r"\nabla", "⊙": r"\odot", "ᵀ": "^{T}", "ᵏ": "^{k}",
    # a power of ten as a sheet's prose writes it: 10⁻⁸
    "⁰": "^0", "¹": "^1", "⁴": "^4", "⁵": "^5", "⁶": "^6", "⁷": "^7", "⁸": "^8", "⁹": "^9",
}
_TEXT_CHARS = {"′": "'{}", "’": "'{}", "‘": "`{}", "“": "``{}", "”": "''{}", "–": "--{}",
               "—": "---{}", "…": r"\ldots{}", "\u00a0": "~", "ß": r"\ss{}", "æ": r"\ae{}",
               "Æ": r"\AE{}", "ø": r"\o{}", "Ø": r"\O{}", "œ": r"\oe{}", "Œ": r"\OE{}",
               "å": r"\aa{}", "Å": r"\AA{}", "ł": r"\l{}", "Ł": r"\L{}", "ı": r"\i{}",
               "ð": r"\dh{}", "Ð": r"\DH{}", "þ": r"\th{}", "Þ": r"\TH{}",
               # Sámi's eng and Dutch's ij, T1's own glyphs
               "ŋ": r"\ng{}", "Ŋ": r"\NG{}", "ĳ": r"\ij{}", "Ĳ": r"\IJ{}",
               # the quotation marks of French, German and Spanish, and French's narrow
               # no-break space (before ; ! ?), all T1's
               "«": r"\guillemotleft{}", "»": r"\guillemotright{}", "‹": r"\guilsinglleft{}",
               "›": r"\guilsinglright{}", "„": r"\quotedblbase{}", "‚": r"\quotesinglbase{}",
               "\u202f": r"\nobreak\hspace{0.17em}",
               # Spanish's opening question and exclamation marks (¿Qué ...?), T1's too
               "¿": r"\textquestiondown{}", "¡": r"\textexclamdown{}"}
# Đ đ are T5's own letters (T1's \DJ shares Eth's slot: it copies out of a PDF as Ð).
# T1 makes one glyph of `` '' << >> ,, -- --- !` ?`: {} between the two characters typed
# (PyLaTeX escapes - as {-}), so that each prints as typed: η << 1, not η « 1.
_STRAIGHT = {"'": r"\textquotesingle{}", "`": r"\textasciigrave{}"}
_LIGATURES = {"<": "<", ">": ">", ",": ",", "'": "'", "`": "`", "!": "`", "?": "`"}
_ACCENTS = {  # combining mark -> LaTeX accent command (T1 encoding)
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0306": "u",
    "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v", "\u0323": "d",
    "\u0327": "c", "\u0328": "k",
    "\u0326": "textcommabelow",  # Romanian's Ș ș Ț ț (Ştefan with a cedilla is another letter)
}
# dot below, cedilla, ogonek, comma below: the i keeps its dot
_BELOW = {"\u0323", "\u0327", "\u0328", "\u0326"}


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
_T5_LETTERS = {"\u0110", "\u0111"}  # Đ đ: T5's own slot copies as typed (T1's is Eth's)
# Letters of the Greek and Cyrillic blocks that LGR (cbfonts) and T2A (cm-super) have no
# glyph for (archaic, Coptic, Komi, Abkhaz, ... and the Greek symbol forms ϐ ϑ ϲ): found by
# setting each letter of the blocks in its encoding with TeX Live 2022; refused before any
# compile. Polytonic Greek (U+1F00-1FFF) is LGR's whole, and copied as typed (ActualText).
_LACKING = ((0x0370, 0x0373), (0x0376, 0x0377), (0x037B, 0x037D), (0x037F, 0x037F),
            (0x03CF, 0x03D7), (0x03DE, 0x03DE), (0x03E2, 0x03F5), (0x03F7, 0x03FF),
            (0x0460, 0x0481), (0x048A, 0x048F), (0x0494, 0x0495), (0x049E, 0x049F),
            (0x04A6, 0x04A9), (0x04AC, 0x04AD), (0x04B4, 0x04B5), (0x04BC, 0x04BF),
            (0x04C3, 0x04CF), (0x04E0, 0x04E1), (0x04EA, 0x04EB), (0x04F6, 0x04F7),
            (0x04FA, 0x052F))
ENCODING = r"{\fontencoding{%s}\selectfont %s}"
LONG_WORD = 24  # letters of a word without a space after which a line may break (a URL's)


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

    >>> print(latex_text("Yọ̀ Bo"))  # a word with a letter T1 builds is copied whole
    \BeginAccSupp{method=hex,unicode,ActualText=00591ECD0300}Y\d{\`{o}}\EndAccSupp{} Bo
    >>> print(latex_text("Жанна"), latex_text("σ"))
    {\fontencoding{T2A}\selectfont Жанна} $\sigma$
    """
    parts, words = clusters(text), []
    start = 0
    for k in range(1, len(parts) + 1):  # words and the spaces between them, in turn
        if k == len(parts) or parts[k].isspace() != parts[start].isspace():
            run = parts[start:k]
            words.append(_copied_whole(_letters(run, escape), "".join(run)))
            start = k
    # one group for a run of letters in one encoding (Trương: ư and ơ together)
    text, merged = "".join(words), None
    while merged != text:
        merged, text = text, _RUNS.sub(r"{\\fontencoding{\1}\\selectfont \2", text)
    return text


def _letters(parts: list[str], escape) -> str:
    """A word's clusters (or the spaces between words) as LaTeX, a long word with places to
    break."""
    out: list[str] = []
    i = word = 0
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
        if i + 1 < len(parts) and (_LIGATURES.get(parts[i]) == parts[i + 1][0] or (
                parts[i] in "!?" and parts[i + 1][0] in "‘“")):  # ‘ is set as `: ?` is ¿
            out.append("{}")  # << is two characters, not «
        word = 0 if parts[i].isspace() else word + 1
        if word and word % LONG_WORD == 0 and i + 1 < len(parts) and not parts[i + 1].isspace():
            out.append(r"\allowbreak{}")  # a 200-letter title breaks, not runs off the page
        i += 1
    return "".join(out)


_SPAN = re.compile(r"\\BeginAccSupp\{[^{}]*\}(.*?)\\EndAccSupp\{\}")


def _copied_whole(latex: str, word: str) -> str:
    """A word with a letter carried as ActualText (Ș, ọ̀) is carried whole: a reader copies
    the letter's span with a space after it (poppler: 'Ș tefan'), the word's as typed."""
    if r"\BeginAccSupp" not in latex:
        return latex
    return _actual(_SPAN.sub(lambda m: m.group(1), latex), normal(word))


_RUNS = re.compile(r"\{\\fontencoding\{(T5|LGR|T2A)\}\\selectfont ([^{}]*)\}"
                   r"\{\\fontencoding\{\1\}\\selectfont ")


def _scripted(cluster: str, script: str) -> str:
    """A Greek or Cyrillic letter in its encoding: as typed (inputenc maps it), a mark left
    after NFC as an accent command."""
    base, marks = cluster[0], cluster[1:]
    _known(base)
    if not marks:
        return _actual(base, base) if 0x1F00 <= ord(base) <= 0x1FFF else base
    return _accented(base, marks, cluster)


def _known(ch: str) -> None:
    code = ord(ch)
    if not unicodedata.category(ch).startswith(("L", "P", "Z")) or any(
            low <= code <= high for low, high in _LACKING):
        _refuse(ch)


def _actual(latex: str, text: str) -> str:
    """LaTeX that prints `text`, marked so that a PDF reader copies and searches it as typed
    (LGR builds Ἀ of ᾿ and Α; T1 builds ọ̀ of accents)."""
    hex_text = "".join(f"{u:04X}" for u in _utf16(text))
    return r"\BeginAccSupp{method=hex,unicode,ActualText=%s}%s\EndAccSupp{}" % (hex_text, latex)


def _cluster(cluster: str, escape) -> str:
    if len(cluster) == 1:
        if cluster in _STRAIGHT:  # T1 sets ' and ` as curly quotes: O'Brien as typed
            return _STRAIGHT[cluster]
        if cluster.isascii() and cluster.isprintable():
            return escape(cluster)
        return latex_char(cluster)
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
    return _actual(result, whole)


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
    if name.startswith(("LATIN", "GREEK", "CYRILLIC")):  # a letter of a script it prints
        raise UnprintableText(f"the letter '{ch}' (U+{ord(ch):04X} {name}) has no glyph in the "
                              "fonts pdflatex prints with here, though the rest of its script "
                              "prints; write the nearest letter they have in its place")
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
