"""The feedback page of one marked student: the practice page's verdict words and colours, the
points of every blank, and the working wherever the mark was not full."""

from __future__ import annotations

import functools
from collections import Counter

import jinja2
from markupsafe import Markup

from ..definitions.language import N_, Words, words
from ..sheets.forms import Equation, Ops, Prose, Text
from ..sheets.forms_json import BadForm, read
from .html import _environment
from .markwords import language_of, mark_words
from .mathml import MathML
from .tex import template_dir

# the practice page's words (templates/practice.js, ENGLISH) for the same verdicts
WORDS = {"correct": N_("Correct"), "too_few_decimals": N_("Too few decimals"),
         "carried_forward": N_("Carried forward"), "incorrect": N_("Incorrect"),
         "missing": N_("Not answered")}


def student_page(book, student) -> str:
    """A self-contained HTML page for one row of the gradebook, in its sheet's language."""
    language = language_of(student.key)
    _ = words(language)
    rows = [_row(book, student, m, _) for m in student.marks]
    counts = Counter({v: 0 for v in WORDS}) + Counter(m.verdict for m in student.marks)
    note = " ".join(filter(None, [
        _("A carried-forward answer earns {share} of its blank's points.").format(
            share=_.number(f"{book.carried_forward:g}")) if book.carried_forward != 1 else "",
        _("A right answer with fewer decimals than the sheet asks earns {share} of its "
          "blank's points.").format(share=_.number(f"{book.rounded:g}"))
        if counts["too_few_decimals"] else ""]))
    template, css = _template(language)
    return template.render(
        title=book.title, name=student.row.name, version=student.row.version,
        points=_.number(f"{student.points:g}"), total=_.number(f"{book.total:g}"),
        percent=_.number(f"{100 * student.points / book.total:.1f}"), counts=counts,
        rows=rows, carried_note=note, language=language,
        problems=[p.split(": ", 2)[-1] for p in student.problems], css=css)


@functools.cache
def _template(language: str = "en") -> tuple[jinja2.Template, str]:
    """Compiled once a language (the practice page's environment): a class of 300 is 300
    pages from one template."""
    return (_environment(language).get_template("feedback.html.j2"),
            (template_dir() / "practice.css").read_text(encoding="utf-8"))


def _row(book, student, m, _: Words) -> dict:
    from ..marking.gradebook import earned

    message = mark_words(m, student.key, _)
    return {"label": m.label, "name": m.name, "quantity": _quantity(student.key, m),
            "verdict": m.verdict,
            "given": student.row.answers.get(m.label, "") if m.given is not None else "",
            "points": _.number(f"{earned(book, m):g}"),
            "worth": _.number(f"{book.marks[m.label]:g}"),
            "css": m.verdict.replace("_", "-"),
            "words": _("{verdict}: {reason}").format(verdict=_(WORDS[m.verdict]),
                                                      reason=message) if message
            else _(WORDS[m.verdict]),
            "working": _working(student.key, m) if m.verdict != "correct" else ""}


def _line(key, m):
    """The blank's line as the key holds it (forms), with its printer; None without one."""
    entry = key.by_label.get(m.label, {}) if key is not None else {}
    shown = entry.get("shown")
    if shown is None:
        return None, None
    printer = MathML(*key.notation, words(language_of(key)).decimal)
    try:
        return read(shown, printer.notation, printer.layers), printer
    except (BadForm, KeyError, ValueError, TypeError, OverflowError):
        return None, None


def _quantity(key, m):
    """The quantity as the sheet prints it (∂J/∂w₅), not its canonical name (dJ/dW[2][1][1])."""
    line, printer = _line(key, m)
    if not isinstance(line, Equation):
        return None
    try:
        return Markup(_asked(line.sides[0], printer))
    except (KeyError, ValueError, TypeError, OverflowError):
        return None


def _asked(quantity, printer: MathML) -> str:
    """A quantity; a lesson's question (its words as text among its forms, or words alone)
    as words and mathematics, so that it wraps in its column as a sentence does."""
    if isinstance(quantity, Text):
        return printer.prose(Prose((quantity.words,)))
    if not _question(quantity):
        return printer.math(quantity, full=True)
    return printer.prose(Prose(tuple(i.words if isinstance(i, Text) else i
                                     for i in quantity.items)))


def _question(form) -> bool:
    return isinstance(form, Text) or isinstance(form, Ops) and any(
        isinstance(i, Text) for i in form.items)


def _worked(line: Equation) -> Equation:
    """A lesson's line without its question, which the quantity column shows: from the
    quantity the question ends on (C′(−2) = 4·(−2)³ − … = −19), or from the working."""
    first = line.sides[0]
    if not _question(first) or len(line.sides) < 2:
        return line
    last = first.items[-1] if isinstance(first, Ops) else first
    return Equation(((last,) if not isinstance(last, Text) else ()) + tuple(line.sides[1:]))


def _working(key, m):
    """The step's working as the key writes it, in the page's mathematics; the marking
    model's plain line for a key without it (or with a line that is not one: an edited key)."""
    line, printer = _line(key, m)
    if line is None:
        return m.working
    try:
        worked = _worked(line) if isinstance(line, Equation) else line
        return Markup(printer.math(worked, full=True))
    except (KeyError, ValueError, TypeError, OverflowError):
        return m.working
