"""How a sheet writes a quantity: w⁽²⁾₁₁ in the matrix notation, w₅ as seed 003 numbers them,
and a batch's example above it (out⁽²⁾₁ with [2] over it). A canonical name becomes a `Symbol`:
a letter with its subscript and superscript, which every printer draws its own way.

>>> symbol_of('W[2][1][1]', 'matrix')
Symbol(letter='w', sub='11', sup='(2)', word=False, bold=False)
>>> symbol_of('net[2][1]', 'numbered', (2, 2, 2))
Symbol(letter='net', sub='o1', sup=None, word=True, bold=False)
>>> symbol_of('J@1', 'matrix')
Symbol(letter='J', sub=None, sup='[1]', word=False, bold=False)
>>> symbol_of('out[2][1]@2', 'matrix')
Scripted(base=Symbol(letter='out', sub='1', sup='(2)', word=True, bold=False), sub=None, \
sup='[2]')
"""

from __future__ import annotations

import re

from ..definitions import names
from ..definitions.canonical import SHAPE
from .forms import Form, Number, Scripted, Symbol

_CANONICAL = re.compile(r"^(W|b|net|out|x|t|J)((?:\[\d+\])*)$")
_LETTERS = {"W": "w", "b": "b", "net": "net", "out": "out", "x": "x", "t": "t", "J": "J"}
_WORDS = ("net", "out")  # upright: a word, not a product of letters


def symbol_of(canonical: str, notation: str, layers: tuple[int, ...] | None = None) -> Form:
    """The symbol a sheet writes for a quantity of the network; a network on an image
    (notation 'canonical') writes its names as they are, upright: K[1][1][1][2][2]."""
    if notation == "canonical":
        return Symbol("J") if canonical == "J" else Symbol(canonical, word=True)
    base, at, example = canonical.partition("@")
    if at:
        if not example.isdigit():
            raise ValueError(f"not a canonical name: {canonical}")
        inner = symbol_of(base, notation, layers)
        if base == "J":
            return Symbol("J", sup=f"[{example}]")
        return Scripted(inner, sup=f"[{example}]")
    m = _CANONICAL.match(canonical)
    if not m:
        raise ValueError(f"not a canonical name: {canonical}")
    kind, idx = m.group(1), [int(i) for i in re.findall(r"\d+", m.group(2))]
    if kind == "J":
        return Symbol("J")
    if notation == "numbered":
        return _numbered(canonical, layers)
    letter = _LETTERS[kind]
    if kind in ("x", "t"):
        return Symbol(letter, sub=str(idx[0]))
    sub = "".join(map(str, idx[1:])) if all(i < 10 for i in idx[1:]) else ",".join(
        map(str, idx[1:]))
    return Symbol(letter, sub=sub or None, sup=f"({idx[0]})", word=kind in _WORDS)


def _numbered(canonical: str, layers) -> Symbol:
    """Seed 003's style (names.numbered): w5, b1, net with h1, out with o1."""
    word, _, neuron = names.numbered(canonical, layers).partition("_")
    if neuron:
        return Symbol(word, sub=neuron, word=True)
    letter, number = re.fullmatch(r"([a-z])(\d+)", word).groups()
    return Symbol(letter, sub=number)


def layer_symbol(kind: str, l: int) -> Symbol:
    """A layer's matrix as a symbol: δ⁽ˡ⁾, W⁽ˡ⁾, out⁽ˡ⁾ (the inputs x for l = 0), net⁽ˡ⁾, b⁽ˡ⁾."""
    if kind == "out" and l == 0:
        return Symbol("x")
    letter = {"delta": "δ", "W": "W", "out": "out", "net": "net", "b": "b"}[kind]
    return Symbol(letter, sup=f"({l})", word=kind in _WORDS)


def neuron_label(l: int, j: int, depth: int, notation: str) -> Symbol:
    """A neuron's circle in the diagram: o₁ or h₁ (seed 003), or n with its layer."""
    if notation == "numbered":
        return Symbol("o", sub=str(j)) if l == depth else \
            Symbol("h", sub=str(j) if depth == 2 else f"{l}{j}")
    return Symbol("n", sub=str(j), sup=f"({l})")


def given_number(value: float) -> str:
    """A given number as the definition wrote it: 0.15, not 0.150000.

    >>> given_number(0.15), given_number(-0.0), given_number(2.0)
    ('0.15', '0', '2')
    """
    return Number(value).shown()


def answer_decimals(name: str, value: float, decimals: int) -> int:
    """The decimals an answer is printed with: a count (a matrix's rows) whole; a value to the
    sheet's decimals, more only where the sheet kept significant digits (an output a log
    needs).

    >>> answer_decimals("rows of delta[1]", 2.0, 4), answer_decimals("J", 0.25, 4)
    (0, 4)
    >>> answer_decimals("out[2][1]", 0.999983, 4)
    6
    """
    if SHAPE.match(name):
        return 0
    return next(d for d in range(decimals, 17) if d == 16 or round(value, d) == value)
