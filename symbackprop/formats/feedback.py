"""The feedback page of one marked student: the practice page's verdict words and colours, the
points of every blank, and the working wherever the mark was not full."""

from __future__ import annotations

import functools
from collections import Counter

import jinja2
from markupsafe import Markup

from ..sheets.forms import Equation
from ..sheets.forms_json import BadForm, read
from .mathml import MathML
from .tex import template_dir

# the practice page's words (templates/practice.js, WORDS) for the same verdicts
WORDS = {"correct": "Correct", "too_few_decimals": "Too few decimals",
         "carried_forward": "Carried forward", "incorrect": "Incorrect", "missing": "Not answered"}


def student_page(book, student) -> str:
    """A self-contained HTML page for one row of the gradebook."""
    rows = [_row(book, student, m) for m in student.marks]
    counts = Counter({v: 0 for v in WORDS}) + Counter(m.verdict for m in student.marks)
    note = " ".join(filter(None, [
        f"A carried-forward answer earns {book.carried_forward:g} of its blank's points."
        if book.carried_forward != 1 else "",
        f"A right answer with fewer decimals than the sheet asks earns {book.rounded:g} of its "
        "blank's points." if counts["too_few_decimals"] else ""]))
    template, css = _template()
    return template.render(
        title=book.title, name=student.row.name, version=student.row.version,
        points=f"{student.points:g}", total=f"{book.total:g}",
        percent=f"{100 * student.points / book.total:.1f}", counts=counts, rows=rows,
        carried_note=note, problems=[p.split(": ", 2)[-1] for p in student.problems],
        css=css)


@functools.cache
def _template() -> tuple[jinja2.Template, str]:
    """Compiled once: a class of 300 is 300 pages from one template."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir())),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    return (env.get_template("feedback.html.j2"),
            (template_dir() / "practice.css").read_text(encoding="utf-8"))


def _row(book, student, m) -> dict:
    from ..marking.gradebook import earned

    message = "" if m.message in ("", "correct") else f": {m.message}"
    return {"label": m.label, "name": m.name, "quantity": _quantity(student.key, m),
            "verdict": m.verdict,
            "given": student.row.answers.get(m.label, "") if m.given is not None else "",
            "points": f"{earned(book, m):g}", "worth": f"{book.marks[m.label]:g}",
            "css": m.verdict.replace("_", "-"), "words": WORDS[m.verdict] + message,
            "working": _working(student.key, m) if m.verdict != "correct" else ""}


def _line(key, m):
    """The blank's line as the key holds it (forms), with its printer; None without one."""
    entry = key.by_label.get(m.label, {}) if key is not None else {}
    shown = entry.get("shown")
    if shown is None:
        return None, None
    printer = MathML(*key.notation)
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
        return Markup(printer.math(line.sides[0], full=True))
    except (KeyError, ValueError, TypeError, OverflowError):
        return None


def _working(key, m):
    """The step's working as the key writes it, in the page's mathematics; the marking
    model's plain line for a key without it (or with a line that is not one: an edited key)."""
    line, printer = _line(key, m)
    if line is None:
        return m.working
    try:
        return Markup(printer.math(line, full=True))
    except (KeyError, ValueError, TypeError, OverflowError):
        return m.working
