"""What every lesson's sheet is made with: its blanks, each written with its marking (the
scheme's trees, as a hand-worked sheet's: sheets/worked.py), the question it ends on, and the
check that a number worked symbolically is the number computed numerically.

>>> from .model import LessonSheet
>>> sheet = LessonSheet("T", "gradient_descent", 2, 1, "", [])
>>> ask = Asker(sheet)
>>> a = ask("a", 0.123, 0.123)
>>> b = ask("b", 0.246, ["mul", 2, ref("a")], mistakes=[("opposite_sign", ["mul", -2, ref("a")])])
>>> (b.value, sheet.blanks[1]["recompute"], [r["diagnosis"] for r in sheet.blanks[1]["mistakes"]])
(0.24, ['mul', 2, ['ref', 'a']], ['opposite_sign'])
"""

from __future__ import annotations

from ..definitions.errors import VerificationError
from ..engine.verify import rel_err
from .forms import Equation, Form, Number, Ops, Prose, Text
from .forms_json import to_json
from .model import Answer, LessonSheet
from .worked import Worked, fixed, ref  # noqa: F401 - ref: the lessons' reference to an earlier blank
from .working import _parts as parts  # noqa: F401 - a message's words with its mathematics


class Asker:
    """A lesson's blanks in order: each valued as a student works it (its tree on the key's
    earlier, rounded answers), its exact value checked against the one the sheet computed,
    its carried-forward tree and its known mistakes written into the sheet's scheme."""

    def __init__(self, sheet: LessonSheet):
        self.sheet, self.work = sheet, Worked(sheet.decimals)
        sheet.blanks = self.work.blanks

    def __call__(self, name: str, exact: float, tree=None, mistakes=(), working=None,
                 whole: bool = False) -> Answer:
        """The blank `name`, whose verified value is `exact`; `tree` recomputes it from
        earlier blanks and given numbers (None: `exact` is read or found, not worked out
        from them), `mistakes` (diagnosis, tree) pairs, `working` the key's line with the
        numbers put in where the tree's own form would not read as a teacher writes it."""
        line = self.work.blank(name, exact if tree is None else tree, None, (),
                               working=working, mistakes=mistakes)
        a = line.answer
        agree(name, a.exact, exact)
        d = 0 if whole else self.sheet.decimals
        if tree is None:  # a count, a digit, a value read off or found: no working to show
            self.work.blanks[-1]["working"] = f"{name} = {fixed(a.value, d)}"
        elif whole:  # a count worked out: shown as one
            self.work.blanks[-1]["working"] = f"{name} = {self.work.text(tree)} = " \
                                              f"{fixed(a.value, 0)}"
        if whole:
            self.sheet.figures.setdefault("whole", set()).add(a.label)
        if line.working is not None and tree is not None:
            self.sheet.workings[a.label] = line.working
        self.sheet.answers.append(a)
        return a


def key_lines(sheet: LessonSheet) -> dict[str, list]:
    """Each blank's line as the key writes it, as data (forms_json): the row's question, its
    words as text in the mathematics, then the numbers put in and the value; a marked student's
    feedback page shows it in the page's mathematics, as a dense sheet's."""
    shown = {}
    for _, rows in sheet.sections:
        for r in rows:
            a = r.answer
            if a is None or a.label in shown:
                continue
            whole = a.label in sheet.figures.get("whole", ())
            working = sheet.workings.get(a.label)
            shown[a.label] = to_json(Equation((
                _asked(r.text), *([working] if working is not None else []),
                Number(a.value, 0 if whole else sheet.decimals))))
    return shown


def _asked(text: Prose) -> Form:
    """A row's question as one form, words as text: without the '=' it ends on (the line
    puts its own)."""
    pieces = list(text.parts)
    if pieces and isinstance(pieces[-1], str):
        pieces[-1] = pieces[-1].rstrip().removesuffix("=").rstrip()
    items = [Text(p) if isinstance(p, str) else p for p in pieces if p != ""]
    return items[0] if len(items) == 1 else Ops(tuple(items), ("",) * (len(items) - 1))


def closing(heading: str, question: str, answer: list[str], space: str = "3cm") -> dict:
    """The question a lesson ends with, asking the student to conclude: its heading, the
    question, the key's answer in sentences (worded from the sheet's numbers), and the space
    the worksheet leaves for it."""
    return {"heading": heading, "question": question, "answer": answer, "space": space}


def agree(what: str, a: float, b: float) -> None:
    if rel_err(a, b) > 1e-9:
        raise VerificationError(f"{what}: {a!r} (symbolic) vs {b!r} (numeric)")
