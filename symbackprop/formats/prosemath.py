"""Mathematics inside a proof's words, set as mathematics: a title such as "A weight's own
input: ∂net/∂w₁ = x₁, ∂net/∂b = 1 (for net = w₁x₁ + b)" is words with formulas in it (the
catalogs keep it one sentence to translate). Each formula is found in the text and printed as
LaTeX math ($\\partial \\mathrm{net}/\\partial w_{1}$) or MathML; the words around it stay words.

A formula is a run of letters, numbers, operators, Greek letters, sub- and superscripts and the
formulas' own words (net, ln, tanh, …) that holds at least one operator, Greek letter, index or
such word: a single letter or number among words ("a window", "the 2 stays", Spanish "y")
stays a word. A comma, a colon or a word of two letters or more ends a formula; so does a space
between two operands ("x₂ y b"), which in a formula is no product.

>>> [(m, t) for m, t in pieces("for net = w₁x₁ + b)")]
[(False, 'for '), (True, 'net = w₁x₁ + b'), (False, ')')]
>>> print(tex("the ½ cancels the 2; ∂(t − y)/∂y = −1"))
the $\\tfrac{1}{2}$ cancels the 2; $\\partial (t - y)/\\partial y = - 1$
"""

from __future__ import annotations

import html
import re

from . import latex

SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉ᵢⱼₖₙₘᵤᵥₐₑₒₓₕₗₚₛₜ₊₋", "0123456789ijknmuvaeoxhlpst+-"))
SUP = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻ˣᵏⁿᵀ⁺", "0123456789-xknT+"))
GREEK = {"σ": r"\sigma", "δ": r"\delta", "Σ": r"\Sigma", "λ": r"\lambda", "η": r"\eta",
         "β": r"\beta", "μ": r"\mu", "ε": r"\varepsilon", "α": r"\alpha", "θ": r"\theta",
         "∂": r"\partial"}
OPERATORS = {"=": "=", "+": "+", "−": "-", "·": r"\cdot", "×": r"\times", "/": "/", ">": ">",
             "<": "<", "≥": r"\geq", "≤": r"\leq", "⊙": r"\odot", "→": r"\to", "½": r"\tfrac{1}{2}",
             "∘": r"\circ", "≠": r"\neq"}
BRACKETS = {"(": "(", ")": ")", "[": "[", "]": "]", "′": "'"}
FUNCTIONS = {"ln": r"\ln", "exp": r"\exp", "tanh": r"\tanh", "sinh": r"\sinh",
             "cosh": r"\cosh", "max": r"\max"}
NAMES = ("ReLU", "dx", "dy", "corr", "conv")  # a formula's words, set upright
QUANTITIES = ("net", "out")  # words as well: a formula's only beside a formula's sign

_SUBS, _SUPS = "".join(SUB), "".join(SUP)
_SCRIPTS = _SUBS + _SUPS + "".join(GREEK)  # \w, but no letter of a word
TOKEN = re.compile(rf"[{_SUBS}]+|[{_SUPS}]+|[{''.join(GREEK)}]|\d+(?:\.\d+)?"
                   rf"|(?:(?![{_SCRIPTS}])[^\W\d_])+(?:['’](?:(?![{_SCRIPTS}])[^\W\d_])+)?"
                   r"|\s+|.")  # a word keeps its apostrophe: layer's


def _kind(token: str) -> str:
    if token[0] in SUB:
        return "sub"
    if token[0] in SUP:
        return "sup"
    if token in GREEK or token in OPERATORS:
        return "strong"
    if token in QUANTITIES:
        return "letter"
    if token in FUNCTIONS or token in NAMES:
        return "word"  # a formula's own word: strong as well, but an operand
    if token in BRACKETS:
        return "bracket"
    if token.isspace():
        return "space"
    if token[0].isdigit():
        return "number"
    if token.isalpha() and len(token) == 1:
        return "letter"
    return "text"


_ENDS = ("letter", "number", "sub", "sup", "word")
_STARTS = ("letter", "number", "word")


def pieces(text: str) -> list[tuple[bool, str]]:
    """The text cut into (is a formula, piece) in order."""
    out: list[tuple[bool, str]] = []

    def add(is_math: bool, piece: str) -> None:
        if piece and out and not is_math and not out[-1][0]:
            out[-1] = (False, out[-1][1] + piece)
        elif piece:
            out.append((is_math, piece))

    def flush(run: list[tuple[str, str]]) -> None:
        kinds, tokens = [k for k, _ in run], [t for _, t in run]
        i, j = 0, len(run)
        while i < j:  # spaces and a bracket the run does not close go back to the words
            inner = tokens[i:j]
            if kinds[i] == "space" or tokens[i] in "([" and _opens(inner) > 0:
                i += 1
            elif kinds[j - 1] == "space" or tokens[j - 1] in ")]" and _opens(inner) < 0:
                j -= 1
            else:
                break
        k = _unmatched(tokens[i:j])
        if k is not None:  # a bracket opened or closed in the words: the formulas either side
            add(False, "".join(tokens[:i]))
            flush(run[i:i + k])
            add(False, tokens[i + k])
            flush(run[i + k + 1:j])
            add(False, "".join(tokens[j:]))
            return
        formula = any(k in ("strong", "sub", "sup", "word") for k in kinds[i:j])
        add(False, "".join(tokens[:i]))
        add(formula, "".join(tokens[i:j]))
        add(False, "".join(tokens[j:]))

    run: list[tuple[str, str]] = []
    tokens = TOKEN.findall(text)
    for i, token in enumerate(tokens):
        kind = _kind(token)
        indexed = i + 1 < len(tokens) and _kind(tokens[i + 1]) in ("sub", "sup")
        if token == "," and _opens([t for _, t in run]) > 0:
            kind = "bracket"  # max(0, x): a comma inside a formula's brackets
        if kind == "text" or kind in _STARTS and token not in FUNCTIONS and not indexed \
                and _operand_after_space(run):
            flush(run)
            run = []
        if kind == "text":
            add(False, token)
        else:
            run.append((kind, token))
    flush(run)
    return out


def _operand_after_space(run) -> bool:
    """A space between two operands: the formula ended before it (a function's name, ln y,
    takes its argument after a space)."""
    if len(run) < 2 or run[-1][0] != "space":
        return False
    kind, token = run[-2]
    base = next((t for k, t in reversed(run[:-1]) if k not in ("sub", "sup")), "")
    if base == "Σ" or base in FUNCTIONS:  # Σᵢ wᵢⱼ, ln y: what follows is their argument
        return False
    return kind in _ENDS or token == ")"


def _unmatched(tokens: list[str]) -> int | None:
    """Where the first bracket without its partner in the run is, if one is."""
    open_at: list[int] = []
    for i, token in enumerate(tokens):
        if token in "([":
            open_at.append(i)
        elif token in ")]":
            if not open_at:
                return i
            open_at.pop()
    return open_at[0] if open_at else None


def _opens(tokens: list[str]) -> int:
    """Brackets opened and not closed (negative: closed and not opened)."""
    return sum(tokens.count(b) for b in "([") - sum(tokens.count(b) for b in ")]")


def tex(text: str) -> latex.NoEscape:
    """The text as LaTeX, its formulas in math mode."""
    return latex.NoEscape("".join(f"${_tex_formula(p)}$" if is_math else latex.text(p)
                                  for is_math, p in pieces(text)))


def _tex_formula(piece: str) -> str:
    out = []
    for token in TOKEN.findall(piece):
        if token[0] in SUB:
            out.append("_{" + "".join(SUB[c] for c in token) + "}")
        elif token[0] in SUP:
            sup = "".join(SUP[c] for c in token).replace("T", r"\mathsf{T}")
            out.append("^{" + sup + "}")
        elif token in GREEK:
            out.append(GREEK[token] + " ")
        elif token in OPERATORS:
            out.append(f" {OPERATORS[token]} " if token not in "/½" else OPERATORS[token])
        elif token in FUNCTIONS:
            out.append(FUNCTIONS[token] + " ")
        elif token in BRACKETS:
            out.append(BRACKETS[token])
        elif token.isspace():
            out.append(" ")
        elif token.isalpha() and len(token) > 1:
            out.append(r"\mathrm{" + token + "}")
        else:
            out.append(latex.text(token))
    return re.sub(r" +", " ", "".join(out)).strip()


def mathml(text: str) -> str:
    """The text as HTML, its formulas as MathML (inline). A browser does not break a line
    inside a <math>, so a long formula is several, one from each =, + or · outside brackets
    to the next, a line allowed to break between them (as TeX breaks after a relation)."""
    return "".join("\u200b".join(f"<math>{_mathml_formula(c)}</math>" for c in _chunks(p))
                   if is_math else html.escape(p) for is_math, p in pieces(text))


BREAKS = "=+−·≥≤<>"


def _chunks(formula: str) -> list[str]:
    chunks, depth, start = [], 0, 0
    tokens = TOKEN.findall(formula)
    for i, token in enumerate(tokens):
        depth += (token in "([") - (token in ")]")
        if depth == 0 and token in BREAKS and i > 0 and "".join(tokens[start:i]).strip():
            chunks.append("".join(tokens[start:i]))
            start = i
    return chunks + ["".join(tokens[start:])]


def _mathml_formula(piece: str) -> str:
    atoms: list[str] = []
    for token in TOKEN.findall(piece):
        if token[0] in SUB or token[0] in SUP or token == "′":
            base = atoms.pop() if atoms else "<mrow></mrow>"
            if token == "′":
                atoms.append(f"<mrow>{base}<mo lspace=\"0\" rspace=\"0\">′</mo></mrow>")
                continue
            script = "".join(SUB.get(c) or SUP[c] for c in token)
            script = "ᵀ" if script == "T" else script
            tag = "msub" if token[0] in SUB else "msup"
            atoms.append(f"<{tag}>{base}<mrow>{_mathml_script(script)}</mrow></{tag}>")
        elif token == "½":
            atoms.append("<mfrac><mn>1</mn><mn>2</mn></mfrac>")
        elif token in BRACKETS or token in "/∂":  # set close, as a line of working sets them
            atoms.append(f'<mo stretchy="false" lspace="0" rspace="0">{html.escape(token)}</mo>')
        elif token in BREAKS:  # its spaces kept when it begins a formula of its own
            atoms.append(f'<mo form="infix" lspace="0.22em" rspace="0.22em">{html.escape(token)}'
                         "</mo>")
        elif token in OPERATORS:
            atoms.append(f"<mo>{html.escape(token)}</mo>")
        elif token[0].isdigit():
            atoms.append(f"<mn>{token}</mn>")
        elif token == ",":
            atoms.append("<mo>,</mo>")
        elif token == "Σ":  # upright, as a sum's sign is
            atoms.append('<mi mathvariant="normal">Σ</mi>')
        elif not token.isspace():
            atoms.append(f"<mi>{html.escape(token)}</mi>")
    return "<mrow>" + "".join(atoms) + "</mrow>"


def _mathml_script(script: str) -> str:
    return "".join(f"<mn>{c}</mn>" if c.isdigit() else
                   f"<mo>{'−' if c == '-' else c}</mo>" if c in "-+" else f"<mi>{c}</mi>"
                   for c in script)
