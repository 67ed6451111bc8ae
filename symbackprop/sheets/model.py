"""The worksheet model's data: a sheet's sections of lines, each line's mathematics and the
answer it asks for, the given numbers, and the proofs the sheet relies on.

>>> label(0), label(25), label(26)
('a', 'z', 'aa')
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

from ..definitions.printing import PrintSetup
from ..engine import proofs
from .forms import Equation, Form, Prose


@dataclass(frozen=True)
class Answer:
    label: str  # printed label: a, b, ..., z, aa, ab, ...
    name: str  # canonical name: net[1][1], J, dJ/dW[2][1][1], dJ/dout[2][1], new W[2][1][1]
    value: float  # as printed: computed from rounded intermediates, rounded
    exact: float  # the verified, unrounded value


@dataclass(frozen=True)
class Line:
    """One line of working: quantity = general form = this network's form = answer; the key
    writes the numbers in too (`working`), as a teacher does."""

    quantity: Form
    forms: tuple[Form, ...]
    answer: Answer | None  # None: a line that states its value (∂net/∂b = 1), asking nothing
    first: bool  # False where the answer was already asked for earlier on the sheet
    working: Form | None = None  # the last form with the numbers the student has, put in
    stated: Form | None = None  # the value a stated line gives (a given weight, 1)


@dataclass(frozen=True)
class Grid:
    """A matrix of blanks, laid out as the matrix with its shape under it: the section's
    lines from `first` on are its entries, row by row."""

    quantity: Form  # δ⁽¹⁾
    form: Form  # (W⁽²⁾)ᵀ δ⁽²⁾ ⊙ f′(net⁽¹⁾)
    rows: int
    columns: int
    first: int
    shape_asked: bool = False  # its shape is a question before it: shown under it in the key

    def layout(self, lines: list) -> tuple[list, list[list]]:
        """A section's lines (or a driver's views of them): those before the matrix, and the
        matrix's entries as its rows."""
        entries = lines[self.first:]
        return lines[:self.first], [entries[r * self.columns:(r + 1) * self.columns]
                                    for r in range(self.rows)]


@dataclass
class Section:
    title: Prose
    intro: str | Prose  # words, or words with mathematics (a loss and its formula)
    lines: list[Line] = field(default_factory=list)
    grid: Grid | None = None
    key_note: str = ""  # words the key adds after the lines (why an answer is exactly 0)


@dataclass(frozen=True)
class Given:
    """A row of the given numbers: its caption and its groups of `name = value` (an example's
    inputs, then its targets)."""

    caption: str
    groups: tuple[tuple[Equation, ...], ...]


@dataclass
class Worksheet:
    title: str
    notation: str
    decimals: int
    learning_rate: float
    sections: list[Section]
    answers: list[Answer]
    proofs: list[proofs.Proof]
    values: dict[str, float]  # the given numbers by canonical name
    layers: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    bias: str
    seed: int | None
    version: int | None
    asked: tuple[str, ...]
    examples: int = 0  # of a batch (its givens are x[k]@e, t[j]@e); 0 for one example
    batch_loss: str = "sum"
    givens: list[Given] = field(default_factory=list)
    network_words: str = ""
    points: dict[str, int] = field(default_factory=dict)  # canonical name -> marks (else 1)
    printing: PrintSetup = PrintSetup()  # what the teacher prints: header, space, proofs
    language: str = "en"  # every word the drivers print is in it (definitions/language.py)

    def worth(self, answer: Answer) -> int:
        """The marks a blank is worth (`points:`, 1 by default)."""
        return self.points.get(answer.name, 1)


@dataclass
class Row:
    """One line of a lesson: a question and its answer, or a worked line."""

    text: Prose  # words with their mathematics
    answer: Answer | None = None


def row(*parts, answer: Answer | None = None) -> Row:
    """A lesson's line; a question's closing '=' kept with the word before it."""
    if parts and isinstance(parts[-1], str) and parts[-1].endswith(" ="):
        parts = (*parts[:-1], parts[-1][:-2] + "\u00a0=")
    return Row(Prose(parts), answer)


@dataclass
class LessonSheet:
    title: str
    kind: str
    decimals: int
    seed: int
    intro: str | Prose
    sections: list[tuple[Prose, list[Row]]]
    answers: list[Answer] = field(default_factory=list)
    figures: dict = field(default_factory=dict)  # data for the template's pictures
    blanks: list[dict] = field(default_factory=list)  # the scheme's blanks (lesson_parts.Asker)
    workings: dict = field(default_factory=dict)  # a blank's label -> its line, numbers put in
    language: str = "en"  # every word the drivers print is in it (definitions/language.py)


def label(i: int) -> str:
    """a, ..., z, aa, ab, ...: the i-th blank's label."""
    letters = string.ascii_lowercase
    return letters[i] if i < 26 else label(i // 26 - 1) + letters[i % 26]


def unasked_points(points: dict[str, int], asked: set[str], defn) -> None:
    """Refuse (ValueError naming points.<name>) marks for a blank the sheet does not ask: the
    teacher's marks would be dropped from the key, Moodle and the gradebook without a word.

    >>> from types import SimpleNamespace as S
    >>> unasked_points({"J": 2}, {"J", "net[1][1]"}, S(source="s.yaml", ask=()))
    >>> unasked_points({"dJ/db[1][1]": 7}, {"J"}, S(source="s.yaml", ask=("W[1][1][1]",)))
    Traceback (most recent call last):
    ValueError: s.yaml: points.dJ/db[1][1]: the sheet asks no dJ/db[1][1] (its ask: is \
W[1][1][1]); give points to the blanks it asks
    """
    for name in sorted(set(points) - asked):
        because = f" (its ask: is {', '.join(defn.ask)})" if defn.ask else ""
        raise ValueError(f"{defn.source}: points.{name}: the sheet asks no {name}{because}; "
                         "give points to the blanks it asks")
