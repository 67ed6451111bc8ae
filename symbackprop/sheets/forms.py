"""The mathematics a sheet holds: a small tree of the forms worksheets use, printed by each
output driver with its own printer (LaTeX in formats/texmath.py, MathML in formats/mathml.py,
plain text in formats/plaintext.py). Nothing here is LaTeX or HTML: a form is what is written,
not how.

A rule's form derived by the engine stays a SymPy expression (`Expr`), its symbols canonical
names; every other piece is one of the small classes below.

>>> form = Equation((Partial(Name("J"), Name("W[2][1][1]")),
...                  Ops((Name("dJ/dout[2][1]"), Name("out[1][1]")), ("·",))))
>>> [type(side).__name__ for side in form.sides]
['Partial', 'Ops']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a form only holds an expression: check reads forms without SymPy
    import sympy as sp


class Form:
    """A piece of mathematics on a sheet."""


@dataclass(frozen=True)
class Name(Form):
    """A quantity of the network by its canonical name ('W[2][1][1]', 'net[1][1]@2', 'J'),
    printed in the sheet's notation (w5, or w with its layer and indices)."""

    canonical: str


@dataclass(frozen=True)
class Symbol(Form):
    """A symbol that is not one quantity: η, δ with its layer, the matrix W of a layer, the
    generic `out` of a rule. `word` names print upright (net, out); `bold` for the ones
    vector."""

    letter: str
    sub: Form | str | None = None
    sup: Form | str | None = None
    word: bool = False
    bold: bool = False


@dataclass(frozen=True)
class Number(Form):
    """A number as the sheet shows it: to `decimals` places, or as given (None: the shortest
    form that is the number, 0.15 not 0.150000), or to `significant` digits (a notebook's
    values, which may be tiny)."""

    value: float
    decimals: int | None = None
    significant: int | None = None

    def shown(self) -> str:
        """Its digits, with an ASCII minus: each printer writes the sign its own way.

        >>> Number(0.15).shown(), Number(-0.5, 3).shown(), Number(3.5e-5, significant=3).shown()
        ('0.15', '-0.500', '3.5e-05')
        >>> Number(-0.004, 2).shown()  # a zero has no sign
        '0.00'
        """
        if self.significant is not None:
            return f"{self.value:.{self.significant}g}"
        if self.decimals is not None:
            shown = f"{self.value:.{self.decimals}f}"
            return shown[1:] if shown.startswith("-") and not shown.strip("-0.") else shown
        # as given: the shortest decimal that is the number (0.123456789012, 0.0000000000007)
        shown = format(Decimal(repr(float(self.value))), "f")
        shown = shown.rstrip("0").rstrip(".") if "." in shown else shown
        return "0" if shown in ("-0", "") else shown


@dataclass(frozen=True)
class Text(Form):
    """Words inside a formula: 'path via', 'new', '(fixed)', 'rows of'."""

    words: str


@dataclass(frozen=True)
class Partial(Form):
    """∂top/∂bottom."""

    top: Form
    bottom: Form


@dataclass(frozen=True)
class Frac(Form):
    """A fraction; `small` for a coefficient such as ½ in front of a bracket."""

    numerator: Form
    denominator: Form
    small: bool = False


@dataclass(frozen=True)
class Apply(Form):
    """A function applied: σ(x), tanh(x), ln x, f′(x), max(0, x)."""

    function: str
    arguments: tuple[Form, ...]
    prime: bool = False


@dataclass(frozen=True)
class Ops(Form):
    """Forms joined by operators: a + b − c, a · b, a ⊙ b, a × b; '' juxtaposes."""

    items: tuple[Form, ...]
    ops: tuple[str, ...]  # one fewer than items: '+', '−', '·', '⊙', '×', ''

    @staticmethod
    def joined(items, op: str) -> Form:
        items = tuple(items)
        return items[0] if len(items) == 1 else Ops(items, (op,) * (len(items) - 1))


@dataclass(frozen=True)
class Neg(Form):
    """−x."""

    x: Form


@dataclass(frozen=True)
class Power(Form):
    """base^exponent (e^{−net}, (t − out)², Wᵀ)."""

    base: Form
    exponent: Form


@dataclass(frozen=True)
class Group(Form):
    """A form in parentheses (or brackets, `square`), `sized` to what they hold."""

    x: Form
    square: bool = False
    sized: bool = False


@dataclass(frozen=True)
class Scripted(Form):
    """A form with a sub- or superscript of its own: {w5}^new, ∇_out."""

    base: Form
    sub: Form | str | None = None  # a str is index text: '[2]', 'out', 'T'
    sup: Form | str | None = None


@dataclass(frozen=True)
class Sigma(Form):
    """Σ over an index: Σ_k body."""

    index: str
    body: Form


@dataclass(frozen=True)
class Expr(Form):
    """A form the engine derived, as a SymPy expression: its symbols are canonical names
    (printed as this sheet names them, of example `example` in a batch) or the generic
    symbols of a rule (out, net, t, in, w, n)."""

    expr: sp.Expr
    example: int | None = None


@dataclass(frozen=True)
class Equation(Form):
    """side = side = ...: a line of working, or a given with its value."""

    sides: tuple[Form, ...]


@dataclass(frozen=True)
class Prose:
    """Words with mathematics in them: a section's title, a lesson's question, a loss named
    with its formula.

    >>> Prose.of("Loss: {formula}.", formula=Name("J")).parts
    ('Loss: ', Name(canonical='J'), '.')
    """

    parts: tuple[str | Form, ...]

    @staticmethod
    def of(template: str, **filling) -> Prose:
        """Words (a catalog's, translated) whose {name}s are forms, other Prose or words."""
        parts: list[str | Form] = []
        for i, piece in enumerate(re.split(r"\{(\w+)\}", template)):
            value = filling[piece] if i % 2 else piece
            parts += value.parts if isinstance(value, Prose) else [value] if isinstance(
                value, Form) else [str(value)] if str(value) else []
        return Prose(tuple(parts))


def as_prose(words: str | Prose) -> Prose:
    """Words as Prose: an intro is either (a driver prints both as one)."""
    return words if isinstance(words, Prose) else Prose((words,) if words else ())


def tall(form) -> bool:
    """Whether a form holds a fraction set at full size (∂J/∂out, 1/(1 + e⁻ˣ)): brackets
    around it are sized to it, else they sit small beside it. An engine's expression counts
    when it divides (SymPy prints a power of −1 as a fraction).

    >>> tall(Ops((Partial(Name("J"), Name("out[2][1]")), Name("t[1]")), ("·",)))
    True
    >>> tall(Ops((Frac(Number(1), Number(2), small=True), Name("t[1]")), ("·",)))
    False
    """
    if isinstance(form, (Partial, Frac)):
        return isinstance(form, Partial) or not form.small
    if isinstance(form, Expr):
        import sympy as sp  # only a form the engine made holds an expression

        return any(p.exp.is_negative for p in sp.sympify(form.expr).atoms(sp.Pow))
    if isinstance(form, Form) and hasattr(form, "__dataclass_fields__"):
        return any(tall(getattr(form, k)) for k in form.__dataclass_fields__)
    if isinstance(form, tuple):
        return any(tall(x) for x in form)
    return False
