r"""The Moodle XML driver: every version of a worksheet as a Cloze (multianswer) question in one
category, so that a quiz with a random question from the category gives each student their own
numbers. Each blank is a NUMERICAL subquestion: the right value first, then each known mistake's
value (from the key's own values, as Moodle cannot carry a student's errors forward) with its
diagnosis as feedback, tolerances made absolute as Moodle needs them.

Moodle's importer (question/type/multianswer/questiontype.php) ends a feedback at the first
`~` or `}` not preceded by a backslash and then undoes only `\}` and `\#`; so those two are
escaped and a `~` is never written, while `/` and `"` stay as they are (escaped, they would show
their backslash).

Moodle's filters run over every text it shows (question text, general feedback, each answer's
feedback): the emoticon filter, on by default, makes the labels (h), (n) and (y) a heart, a "No"
and a "Yes" icon, and a glossary or an activity's name can become a link inside a formula. Both
skip a `<span class="nolink">` (filter/emoticon's and lib/filterlib.php's own rules: the class
exactly "nolink", nothing nested in it): every label, every piece of MathML and every feedback
is written inside one (`nolink`, `label`, `protected`).

A number is read by the student's own language (qtype_numerical's apply_units): a point is the
decimal point in every language, while a comma is a thousands separator where the language
writes a point (0,3775 is 3775 on an English site). So every answer in the file is written with
a point, which every site imports as written, and each question says which separator to type
(`separator_note`).

>>> cloze_escape('σ(net) = 1/(1 + e^(−net)) {#1} ~')
'σ(net) = 1/(1 + e^(−net)) {\\#1\\} ≈'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from markupsafe import Markup

from ..definitions.language import ENGLISH, Words, words
from ..sheets import forms
from ..sheets.forms import Prose
from .html import _line, diagram_base64
from .html import given_html as given_html_of
from .mathml import MathML
from .moodle_answers import (  # noqa: F401 - the answers' parts, re-exported
    ROUNDED_FRACTION,
    alternatives,
    cut_off,
    fewer_decimals,
    number,
    right_band,
    scheme_message,
)
from .tex import labelled

DIAGRAM = "diagram.svg"
# a number without units, as Moodle's own export writes such a numerical question
NO_UNITS = ("    <unitgradingtype>0</unitgradingtype>\n    <unitpenalty>0.1</unitpenalty>\n"
            "    <showunits>3</showunits>\n    <unitsleft>0</unitsleft>\n")


# what Moodle's Cloze parser reads in a question's text: {1:NUMERICAL:=...} makes a subquestion
# and {#1} shows subquestion 1 there; and what its TeX and MathJax filters look for, $$..$$,
# \(..\) and \[..\] (filter/mathjaxloader: strpos on the stored text, whatever nolink says),
# and the TeX and algebra filters' [tex]..[/tex] and @@..@@.
# As character references they show as typed and parse as nothing: the parser and the
# filters read the stored text, entities and all.
_CLOZE_SYNTAX = str.maketrans({"{": "&#123;", "}": "&#125;", "#": "&#35;", "~": "&#126;",
                               "=": "&#61;", "$": "&#36;", "\\": "&#92;", "[": "&#91;",
                               "@": "&#64;"})


def inert(text: str) -> str:
    """Plain text (a title, a name, a lesson's words) as Moodle question text: HTML-escaped,
    nothing in it that the Cloze parser would take for its own, and out of the filters' reach
    (a title's "(y)" or ":-)" is not an emoticon's icon).

    >>> inert("Quiz {1:SHORTANSWER:=pwned} {#1} a~b <i> (y)")
    '<span class="nolink">Quiz &#123;1:SHORTANSWER:&#61;pwned&#125; &#123;&#35;1&#125; a&#126;b \
&lt;i&gt; (y)</span>'
    """
    return nolink(escape(text).translate(_CLOZE_SYNTAX)) if text else ""


def nolink(html: str) -> str:
    """Markup that Moodle's filters leave as it is (see the module's note)."""
    return f'<span class="nolink">{html}</span>'


def label(name: str) -> str:
    """A blank's label, (h), out of the emoticon filter's reach.

    >>> label("h")
    '<span class="nolink">(h)</span>'
    """
    return nolink(f"({name})")


_MATH = re.compile(r"<math\b.*?</math>", re.S)  # MathML holds no <math> inside another


def protected(html: str) -> str:
    """Every <math> element of a text inside its own nolink span."""
    return _MATH.sub(lambda m: nolink(m.group(0)), html)


def separator_note(decimal: str = ".", _: Words = ENGLISH) -> str:
    """What a question says about the decimal separator: the sheet's, and what the site's
    language does with the other."""
    if decimal == ",":
        return _("Type each answer with a decimal comma (0,25) where this site's language "
                 "writes one; a decimal point (0.25) is read right in every language.")
    return _("Type each answer with a decimal point (0.25): every Moodle site reads it so, "
             "while a comma is read as a thousands separator where the site's language writes "
             "a point (0,25 would be 25).")


def notation_of(sheet) -> tuple[str, tuple[int, ...] | None]:
    """How the sheet writes a name: its notation and its layers (a term of a net, named by a
    sign slip's feedback, is written so)."""
    return getattr(sheet, "notation", "matrix"), getattr(sheet, "layers", None)


def words_of(sheet) -> Words:
    """The language a sheet is printed in."""
    return words(getattr(sheet, "language", "en"))


def cloze_escape(text: str) -> str:
    """A Cloze feedback as Moodle's importer reads it back (see the module's note)."""
    return text.replace("}", "\\}").replace("#", "\\#").replace("~", "≈")


def subquestion(blank: dict, values: dict[str, float], points: int = 1, decimals: int = 4,
                messages: dict | None = None, _: Words = ENGLISH, notation=("matrix", None)
                ) -> tuple[str, list[str], int]:
    """`{1:NUMERICAL:=v:tol#feedback~%0%m:tol#mistake~...}`, what was left out, and why, and
    how many mistakes were kept."""
    answers, dropped, kept = alternatives(blank, values, decimals, messages, _, notation)
    parts = [("=" if fraction == 100 else f"%{fraction}%") + f"{number(v)}:{number(tol)}#"
             + nolink(cloze_escape(feedback)) for fraction, v, tol, feedback in answers]
    return "{" + f"{points}:NUMERICAL:" + "~".join(parts) + "}", dropped, kept


@dataclass
class Left:
    """What the export left out (each a line for the log) and how many mistakes it kept."""

    out: list[str] = field(default_factory=list)
    kept: int = 0

    def add(self, stem: str, dropped: list[str], kept: int) -> None:
        self.out += [f"{stem}: {d}" for d in dropped]
        self.kept += kept

    def log(self) -> list[str]:
        """One line that says it all, then each one inside a right answer."""
        n = len(self.out)
        return [f"{n} of {n + self.kept} mistake answers coincide with the right one: each "
                "gives a value inside its blank's right answer (the band honest rounding "
                "reaches), so that a student who makes it is marked correct, here as by "
                f"check; {self.kept} tell a mistake from the right answer"] + self.out


def numerical_questions(v, left: Left) -> list[str]:
    """One Moodle numerical question per blank of a version (for quizzes built step by step)."""
    sch, out = v.key["scheme"], []
    asked = prompts(v.sheet, sch)
    givens, image = given_html(v.sheet), diagram_file(v.sheet)  # the same for every blank
    for blank in sch["blanks"]:
        answers, dropped, kept = alternatives(blank, sch["values"], sch["decimals"],
                                              sch.get("messages"), words_of(v.sheet),
                                              notation_of(v.sheet))
        left.add(v.stem, dropped, kept)
        xml_answers = "".join(
            f'    <answer fraction="{fraction}"><text>{number(value)}</text>'
            f"<tolerance>{number(tol)}</tolerance><feedback format=\"html\"><text>"
            f"{_cdata(nolink(escape(feedback)))}</text></feedback></answer>\n"
            for fraction, value, tol, feedback in answers)
        title = f"{v.stem} ({blank['label']}) {blank['name']}"
        text = protected(givens + f"<p>{label(blank['label'])} {asked[blank['label']]} = ?</p>")
        out.append(f'  <question type="numerical">\n    <name><text>{escape(title)}</text></name>\n'
                   f'    <questiontext format="html"><text>{_cdata(text)}</text>'
                   f"{image}</questiontext>\n"
                   f"    <defaultgrade>{blank.get('points', 1)}</defaultgrade>\n{xml_answers}"
                   f"{NO_UNITS}    <idnumber>{escape(v.stem)}-{blank['label']}</idnumber>\n"
                   "  </question>")
    return out


def question_html(sheet, sch: dict, left: Left, stem: str = "") -> str:
    """The sheet as Moodle question text: the practice page's content, each blank a Cloze
    subquestion."""
    if type(sheet).__name__ == "LessonSheet":
        return _lesson_html(sheet, sch, left, stem)
    ws = sheet
    _ = words_of(ws)
    m = MathML(ws.notation, ws.layers, _.decimal)
    blanks = {b["label"]: b for b in sch["blanks"]}
    out = [given_html(ws)]
    for s in ws.sections:
        intro = m.prose(forms.as_prose(s.intro), inert)
        out.append(f"<h4>{m.prose(s.title, inert)}</h4><p>{intro}</p>")
        for line in s.lines:
            view = _line(line, ws.decimals, blanks, m)
            if line.answer is None:
                out.append(f"<p>{view['math']}</p>")
            elif line.first:
                blank = blanks[line.answer.label]
                cloze, dropped, kept = subquestion(blank, sch["values"], blank.get("points", 1),
                                                   sch["decimals"], sch.get("messages"), _,
                                                   notation_of(ws))
                left.add(stem, dropped, kept)
                out.append(f"<p>{label(line.answer.label)} {view['math']} = {cloze}</p>")
            else:
                out.append(f"<p>{view['math']} = {escape(_('the value of'))} "
                           f"{label(line.answer.label)}</p>")
    return "".join(out)


def given_html(sheet) -> str:
    """The title, the network in words, its diagram and the given numbers (or a lesson's intro)."""
    if type(sheet).__name__ == "LessonSheet":
        _ = words_of(sheet)
        m = MathML("matrix", None, _.decimal)
        return (f"<p>{inert(sheet.title)}</p>"
                f"<p>{m.prose(forms.as_prose(sheet.intro), inert)}</p>"
                f"<p>{escape(separator_note(_.decimal, _))}</p>")
    if type(sheet).__name__ == "WorkedSheet":  # its pictures are tables: no image file
        from .worked import moodle_given

        _ = words_of(sheet)
        return moodle_given(sheet, inert, escape(separator_note(_.decimal, _)))
    ws = sheet
    _ = words_of(ws)
    m = MathML(ws.notation, ws.layers, _.decimal)
    # an image file, not inline SVG: Moodle's HTML cleaning (forceclean) strips <svg>, not <img>
    said = ws.printing.header.instructions
    return "".join([f"<p>{inert(ws.title)}</p>", f"<p>{inert(said)}</p>" if said else "",
                    f"<p>{inert(ws.network_words)}</p>",
                    f"<p>{escape(separator_note(_.decimal, _))}</p>",
                    f'<p><img src="@@PLUGINFILE@@/{DIAGRAM}" alt="{_diagram_words(ws, _)}" '
                    'style="max-width:100%;height:auto"></p>',
                    *(f"<p>{inert(labelled(g.caption, _))} {given_html_of(g, m, _)}</p>"
                      for g in ws.givens)])


def prompts(sheet, sch: dict) -> dict[str, str]:
    """Each blank's line as the sheet asks it (its formula in MathML), by label."""
    if type(sheet).__name__ == "LessonSheet":
        m = MathML("matrix", None, words_of(sheet).decimal)
        return {row.answer.label: m.prose(_asked(row.text), inert)
                for _, rows in sheet.sections for row in rows if row.answer is not None}
    m = MathML(sheet.notation, sheet.layers, words_of(sheet).decimal)
    blanks = {b["label"]: b for b in sch["blanks"]}
    return {line.answer.label: _line(line, sheet.decimals, blanks, m)["math"]
            for s in sheet.sections for line in s.lines if line.first}


def _asked(text: Prose) -> Prose:
    """A lesson's question without the '=' it ends with on the sheet (before its blank)."""
    *rest, last = text.parts
    if isinstance(last, str):
        last = last.rstrip().removesuffix("=").rstrip()
    return Prose((*rest, last))


def _diagram_words(ws, _: Words = ENGLISH) -> str:
    return escape(_("Diagram of the {sizes} network; its weights, inputs and targets are "
                    "listed below it").format(sizes="-".join(map(str, ws.layers))),
                  {'"': "&quot;"})


def diagram_file(sheet) -> str:
    """The diagram as Moodle's XML carries a question's file, or nothing for a lesson."""
    if type(sheet).__name__ in ("LessonSheet", "WorkedSheet"):
        return ""
    return f'<file name="{DIAGRAM}" path="/" encoding="base64">{diagram_base64(sheet)}</file>'


def _lesson_html(sheet, sch: dict, left: Left, stem: str) -> str:
    _ = words_of(sheet)
    m = MathML("matrix", None, _.decimal)
    blanks = {b["label"]: b for b in sch["blanks"]}
    out = [given_html(sheet)]
    for title, rows in sheet.sections:
        out.append(f"<h4>{m.prose(title, inert)}</h4>")
        for row in rows:
            cloze = ""
            if row.answer is not None:
                blank = blanks[row.answer.label]
                cloze, dropped, kept = subquestion(blank, sch["values"], blank.get("points", 1),
                                                   sch["decimals"], sch.get("messages"), _)
                left.add(stem, dropped, kept)
                cloze = f" {label(row.answer.label)} {cloze}"
            out.append(f"<p>{m.prose(row.text, inert)}{cloze}</p>")
    return "".join(out)


def key_html(sheet) -> str:
    """The full worked key, as the question's general feedback."""
    if type(sheet).__name__ == "LessonSheet":
        said = words_of(sheet)
        return "".join(f"<p>{label(a.label)} {inert(a.name)} = "
                       f"{said.number(f'{a.value:.{sheet.decimals}f}')}</p>"
                       for a in sheet.answers)
    ws = sheet
    m = MathML(ws.notation, ws.layers, words_of(ws).decimal)
    blanks: dict = {}
    rows = []
    for s in ws.sections:
        rows.append(f"<h4>{m.prose(s.title, inert)}</h4>")
        for line in s.lines:
            shown = f"{label(line.answer.label)} " if line.answer is not None else ""
            rows.append(f"<p>{shown}{_line(line, ws.decimals, blanks, m)['key_math']}</p>")
    return "".join(rows)


def category(name: str, numerical: bool = False) -> str:
    """Where a sheet's questions go in the course's question bank: the Cloze questions (a
    version each) and the numerical ones (a blank each) in categories of their own, so that a
    quiz's random question from `.../<name>/cloze` draws a whole version, never one blank.

    >>> category("class-set-2-2-2", numerical=True)
    '$course$/top/symbackprop/class-set-2-2-2/numerical'
    """
    return f"$course$/top/symbackprop/{name}/{'numerical' if numerical else 'cloze'}"


def quiz_start(name: str, numerical: bool = False) -> str:
    """A Moodle XML file's start, with the category its questions go into."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
            '  <question type="category">\n    <category><text>'
            f"{escape(category(name, numerical))}</text></category>\n  </question>\n")


def quiz_end() -> str:
    return "</quiz>\n"


def version_questions(v, left: Left, numerical: bool = False) -> list[str]:
    """One version's questions: one Cloze question (or, numerical=True, one numerical
    question per blank); what it leaves out is added to `left`."""
    if numerical:
        return numerical_questions(v, left)
    text = protected(question_html(v.sheet, v.key["scheme"], left, v.stem))
    title = v.stem + (f" ({v.student})" if v.student else "")
    return [
        f'  <question type="multianswer">\n    <name><text>{escape(title)}</text></name>\n'
        f'    <questiontext format="html"><text>{_cdata(text)}</text>'
        f"{diagram_file(v.sheet)}</questiontext>\n"
        f'    <generalfeedback format="html"><text>{_cdata(protected(key_html(v.sheet)))}</text>'
        f"</generalfeedback>\n    <penalty>0.3333333</penalty>\n    <hidden>0</hidden>\n"
        f"    <idnumber>{escape(v.stem)}</idnumber>\n  </question>"]


def _cdata(html: str) -> str:
    return "<![CDATA[" + str(Markup(html)).replace("]]>", "]]]]><![CDATA[>") + "]]>"
