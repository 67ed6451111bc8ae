"""What every part of an audit shares: a judged figure (`Claim`), the engine's value of every
claimable quantity, and the rule for when a worked value explains a printed figure.

>>> explains(0.1311, 0.13114, 0.131169, 4), explains(0.1312, 0.13114, 0.131169, 4)
(True, False)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from ..definitions.yamlfile import Printed
from .check import cut_to, decimals_of, rounds_to

LOSS_DEPENDENT = ("J", "dJ/", "new ", "delta ")  # claims whose value scales with the loss
MAX_PLACES = 30  # decimals beyond this are judged at 30 (a float holds 17 significant digits)


@dataclass
class Claim:
    name: str  # canonical
    claimed: float | list[float]
    engine: float | list[float] | None
    verdict: str  # consistent | carried_forward | inconsistent | not_checked
    diagnosis: str | None = None
    message: str = ""
    label: str | None = None  # the author's own name for it (`names:`), when it differs
    printed: str | list[str] = ""  # the figure as printed

    def as_json(self) -> dict:
        return {k: (float(v) if isinstance(v, float) else
                    [float(x) for x in v] if isinstance(v, list) and k != "printed" else v)
                for k, v in self.__dict__.items()}


def places_of(value: float) -> int:
    return min(decimals_of(value), MAX_PLACES)


class AtPlaces(Printed):
    """A figure printed as a whole number, judged at the author's usual decimals: an author
    who prints 0.4256 beside it and writes 0 means zero, not something that rounds to 0.

    >>> AtPlaces(0.0, "0", 4).decimals, AtPlaces(0.0, "0", 4).text
    (4, '0')
    """

    def __new__(cls, value: float, text: str, places: int):
        self = super().__new__(cls, value, text)
        self.places = places
        return self

    @property
    def decimals(self) -> int:
        return self.places


def at_usual_places(figures: tuple, decimals: int) -> tuple:
    """(name, value) pairs with every whole-number figure judged at the decimals the author
    prints most often, or at the definition's `decimals` where no figure has any.

    >>> [v.decimals for _, v in at_usual_places((("a", Printed(0, "0")),
    ...                                          ("b", Printed(0.25, "0.25"))), 4)]
    [2, 2]
    """
    usual = Counter(p for p in (places_of(v) for _, v in figures) if p)
    places = max(usual.items(), key=lambda kv: (kv[1], kv[0]))[0] if usual else decimals
    return tuple((n, AtPlaces(v, printed_text(v), places) if places_of(v) == 0 else v)
                 for n, v in figures)


def printed_text(value) -> str:
    return getattr(value, "text", repr(float(value)))


def engine_values(result) -> dict[str, float]:
    """Every claimable quantity's verified value, by canonical name (a batch: its own). A
    softmax output's ∂J/∂out (−t/out under cross-entropy) and the diagonal of its Jacobian,
    ∂out_j/∂net_j = out_j(1 − out_j), are worked from its verified outs: authors print them."""
    eta = result.instance.learning_rate
    values = dict(result.values) | dict(result.steps)
    for p, g in result.grads.items():
        moves = result.updated[p] != result.values[p] or p[0] == "W"
        values[f"dJ/d{p}"] = g
        values[f"new {p}"] = result.updated[p]
        values[f"delta {p}"] = -eta * g if moves else 0.0
    net = result.instance.network
    if net.activations[-1] == "softmax" and not result.instance.batched:
        L = net.depth
        for j in range(1, net.layers[-1] + 1):
            y, t = values[f"out[{L}][{j}]"], values[f"t[{j}]"]
            values[f"dout[{L}][{j}]/dnet[{L}][{j}]"] = y * (1 - y)
            if net.loss == "cross_entropy":
                values[f"dJ/dout[{L}][{j}]"] = -t / y
    return values


def explains(value: float, candidate: float, engine: float, places: int,
             reach: float = 0.0) -> bool:
    """`candidate`, which is not the engine's value, gives the printed figure: rounded (from
    anywhere within `reach` of it: the author's own rounded inputs), or cut off where the
    engine's value cut off does not give it too."""
    if abs(candidate - engine) <= 1e-9 * abs(engine) + 1e-15:
        return False
    nearest = min(max(value, candidate - reach), candidate + reach)
    return rounds_to(value, nearest, places) or (
        cut_to(value, candidate, places) and not cut_to(value, engine, places))


def loss_factors(outputs: int, examples: int = 1) -> list[Fraction]:
    """The constant factors between common losses: ½Σ, Σ, (1/n)Σ and their inverses, and a
    batch's mean for its sum."""
    n, e = Fraction(outputs), Fraction(examples)
    found = {Fraction(1, 2), Fraction(2), 1 / n, n, 2 / n, n / 2, 1 / e, e} - {Fraction(1)}
    return sorted(found)


def shown_factor(factor: Fraction) -> str:
    return "½" if factor == Fraction(1, 2) else str(factor)


def from_own_figures(judge, name: str, used, theirs: float, engine: float, places: int,
                     sign: int = 1) -> Claim:
    """The verdict on a figure that follows from the author's own earlier figures `used`:
    carried forward where some of them are wrong, else right but rounded too early. `judge`
    is an audit's judge (dense or on an image): its consistent, shown, printed and new."""
    wrong = [d for d in used if not judge.consistent(d)]
    figures = ", ".join(f"{judge.shown(d)} = {judge.printed[d].text}" for d in (wrong or used))
    if wrong:
        return judge.new(name, "carried_forward", message=(
            f"wrong (engine: {sign * engine:.6g}), but it follows from the author's own "
            f"earlier wrong figures ({figures}: {sign * theirs:.6g})"))
    return judge.new(name, "inconsistent", "rounded_too_early", (
        f"the engine gives {sign * engine:.6g}; this follows from the author's figures "
        f"{figures}, right but rounded to fewer decimals than this one's {places}"))
