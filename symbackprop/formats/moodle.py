r"""The Moodle XML driver: every version of a worksheet as a Cloze (multianswer) question in one
category, so that a quiz with a random question from the category gives each student their own
numbers. Each blank is a NUMERICAL subquestion: the right value first, then each known mistake's
value (from the key's own values, as Moodle cannot carry a student's errors forward) with its
diagnosis as feedback, tolerances made absolute as Moodle needs them.

Moodle's importer (question/type/multianswer/questiontype.php) ends a feedback at the first
`~` or `}` not preceded by a backslash and then undoes only `\}` and `\#`; so those two are
escaped and a `~` is never written, while `/` and `"` stay as they are (escaped, they would show
their backslash).

>>> cloze_escape('σ(net) = 1/(1 + e^(−net)) {#1} ~')
'σ(net) = 1/(1 + e^(−net)) {\\#1\\} ≈'
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from markupsafe import Markup

from ..marking import scheme
from ..sheets.forms import Prose
from .html import _line, diagram_base64
from .html import given_html as given_html_of
from .mathml import MathML

DIAGRAM = "diagram.svg"
# a number without units, as Moodle's own export writes such a numerical question
NO_UNITS = ("    <unitgradingtype>0</unitgradingtype>\n    <unitpenalty>0.1</unitpenalty>\n"
            "    <showunits>3</showunits>\n    <unitsleft>0</unitsleft>\n")


# what Moodle's Cloze parser reads in a question's text: {1:NUMERICAL:=...} makes a subquestion
# and {#1} shows subquestion 1 there; as character references they show as typed and parse as
# nothing (the parser reads the stored text, entities and all)
_CLOZE_SYNTAX = str.maketrans({"{": "&#123;", "}": "&#125;", "#": "&#35;", "~": "&#126;",
                               "=": "&#61;"})


def inert(text: str) -> str:
    """Plain text (a title, a name, a lesson's words) as Moodle question text: HTML-escaped,
    and nothing in it that the Cloze parser would take for its own.

    >>> inert("Quiz {1:SHORTANSWER:=pwned} {#1} a~b <i>")
    'Quiz &#123;1:SHORTANSWER:&#61;pwned&#125; &#123;&#35;1&#125; a&#126;b &lt;i&gt;'
    """
    return escape(text).translate(_CLOZE_SYNTAX)


def cloze_escape(text: str) -> str:
    """A Cloze feedback as Moodle's importer reads it back (see the module's note)."""
    return text.replace("}", "\\}").replace("#", "\\#").replace("~", "≈")


def number(value: float) -> str:
    """A number as Moodle's NUMERICAL answer reads it: plain decimal, enough digits."""
    text = f"{value:.12g}"
    if "e" in text:  # Moodle's answer pattern takes no exponent: write it out
        text = f"{value:.15f}".rstrip("0").rstrip(".")
    return text


def alternatives(blank: dict, values: dict[str, float]) -> tuple[list[tuple], list[str]]:
    """The blank's answers for Moodle, (fraction %, value, absolute tolerance, feedback), the
    right one first, then each mistake's value worked from the key's own numbers; and what was
    left out, and why."""
    tolerance = max(blank["tolerance"]["abs"], blank["tolerance"]["rel"] * abs(blank["value"]))
    answers = [(100, blank["value"], tolerance, "Correct")]
    # the right working, however it is reached, is no mistake: skip what merely repeats it
    seen, dropped, listed = [blank["value"], blank["exact"]], [], []
    for rule in blank["mistakes"]:
        for tree in rule["candidates"]:
            v = scheme.evaluate(tree, values.get)
            if v is None or any(abs(v - s) <= 1e-9 * max(1.0, abs(s)) for s in seen) or any(
                    abs(v - s) <= tolerance for s in listed):  # Moodle would match that one
                continue
            if abs(v - blank["value"]) <= tolerance:  # Moodle scores the first match: drop it
                dropped.append(f"({blank['label']}) {blank['name']}: {rule['diagnosis']} gives "
                               f"{v:.10g}, inside the right answer's band; left out")
                seen.append(v)
                continue
            listed.append(v)
            answers.append((0, v, tolerance, scheme_message(rule["diagnosis"])))
    return answers, dropped


def subquestion(blank: dict, values: dict[str, float], points: int = 1) -> tuple[str, list[str]]:
    """`{1:NUMERICAL:=v:tol#feedback~%0%m:tol#mistake~...}` and what was left out, and why."""
    answers, dropped = alternatives(blank, values)
    parts = [("=" if fraction == 100 else f"%{fraction}%") + f"{number(v)}:{number(tol)}#"
             + cloze_escape(feedback) for fraction, v, tol, feedback in answers]
    return "{" + f"{points}:NUMERICAL:" + "~".join(parts) + "}", dropped


def numerical_questions(v) -> tuple[list[str], list[str]]:
    """One Moodle numerical question per blank of a version (for quizzes built step by step)."""
    sch, log, out = v.key["scheme"], [], []
    asked = prompts(v.sheet, sch)
    givens, image = given_html(v.sheet), diagram_file(v.sheet)  # the same for every blank
    for blank in sch["blanks"]:
        answers, dropped = alternatives(blank, sch["values"])
        log += [f"{v.stem}: {d}" for d in dropped]
        xml_answers = "".join(
            f'    <answer fraction="{fraction}"><text>{number(value)}</text>'
            f"<tolerance>{number(tol)}</tolerance><feedback format=\"html\"><text>"
            f"{escape(feedback)}</text></feedback></answer>\n"
            for fraction, value, tol, feedback in answers)
        title = f"{v.stem} ({blank['label']}) {blank['name']}"
        text = givens + f"<p>({blank['label']}) {asked[blank['label']]} = ?</p>"
        out.append(f'  <question type="numerical">\n    <name><text>{escape(title)}</text></name>\n'
                   f'    <questiontext format="html"><text>{_cdata(text)}</text>'
                   f"{image}</questiontext>\n"
                   f"    <defaultgrade>{blank.get('points', 1)}</defaultgrade>\n{xml_answers}"
                   f"{NO_UNITS}    <idnumber>{escape(v.stem)}-{blank['label']}</idnumber>\n"
                   "  </question>")
    return out, log


def scheme_message(diagnosis: str) -> str:
    from ..marking.check import MISTAKES

    return MISTAKES[diagnosis]


def question_html(sheet, sch: dict) -> tuple[str, list[str]]:
    """The sheet as Moodle question text: the practice page's content, each blank a Cloze
    subquestion."""
    if type(sheet).__name__ == "LessonSheet":
        return _lesson_html(sheet, sch)
    ws = sheet
    m = MathML(ws.notation, ws.layers)
    blanks = {b["label"]: b for b in sch["blanks"]}
    log, out = [], [given_html(ws)]
    for s in ws.sections:
        out.append(f"<h4>{m.prose(s.title, inert)}</h4><p>{inert(s.intro)}</p>")
        for line in s.lines:
            view = _line(line, ws.decimals, blanks, m)
            if line.first:
                blank = blanks[line.answer.label]
                cloze, dropped = subquestion(blank, sch["values"], blank.get("points", 1))
                log += dropped
                out.append(f"<p>({line.answer.label}) {view['math']} = {cloze}</p>")
            else:
                out.append(f"<p>{view['math']} = the value of ({line.answer.label})</p>")
    return "".join(out), log


def given_html(sheet) -> str:
    """The title, the network in words, its diagram and the given numbers (or a lesson's intro)."""
    if type(sheet).__name__ == "LessonSheet":
        return f"<p>{inert(sheet.title)}</p><p>{inert(sheet.intro)}</p>"
    ws = sheet
    m = MathML(ws.notation, ws.layers)
    # an image file, not inline SVG: Moodle's HTML cleaning (forceclean) strips <svg>, not <img>
    return "".join([f"<p>{inert(ws.title)}</p><p>{inert(ws.network_words)}</p>",
                    f'<p><img src="@@PLUGINFILE@@/{DIAGRAM}" alt="{_diagram_words(ws)}" '
                    'style="max-width:100%;height:auto"></p>',
                    *(f"<p>{inert(g.caption)}: {given_html_of(g, m)}</p>" for g in ws.givens)])


def prompts(sheet, sch: dict) -> dict[str, str]:
    """Each blank's line as the sheet asks it (its formula in MathML), by label."""
    if type(sheet).__name__ == "LessonSheet":
        m = MathML()
        return {row.answer.label: m.prose(_asked(row.text), inert)
                for _, rows in sheet.sections for row in rows if row.answer is not None}
    m = MathML(sheet.notation, sheet.layers)
    blanks = {b["label"]: b for b in sch["blanks"]}
    return {line.answer.label: _line(line, sheet.decimals, blanks, m)["math"]
            for s in sheet.sections for line in s.lines if line.first}


def _asked(text: Prose) -> Prose:
    """A lesson's question without the '=' it ends with on the sheet (before its blank)."""
    *rest, last = text.parts
    if isinstance(last, str):
        last = last.rstrip().removesuffix("=").rstrip()
    return Prose((*rest, last))


def _diagram_words(ws) -> str:
    return escape(f"Diagram of the {'-'.join(map(str, ws.layers))} network; its weights, inputs "
                  "and targets are listed below it", {'"': "&quot;"})


def diagram_file(sheet) -> str:
    """The diagram as Moodle's XML carries a question's file, or nothing for a lesson."""
    if type(sheet).__name__ == "LessonSheet":
        return ""
    return f'<file name="{DIAGRAM}" path="/" encoding="base64">{diagram_base64(sheet)}</file>'


def _lesson_html(sheet, sch: dict) -> tuple[str, list[str]]:
    m = MathML()
    blanks = {b["label"]: b for b in sch["blanks"]}
    log, out = [], [f"<p>{inert(sheet.title)}</p><p>{inert(sheet.intro)}</p>"]
    for title, rows in sheet.sections:
        out.append(f"<h4>{m.prose(title, inert)}</h4>")
        for row in rows:
            cloze = ""
            if row.answer is not None:
                blank = blanks[row.answer.label]
                cloze, dropped = subquestion(blank, sch["values"], blank.get("points", 1))
                log += dropped
                cloze = f" ({row.answer.label}) {cloze}"
            out.append(f"<p>{m.prose(row.text, inert)}{cloze}</p>")
    return "".join(out), log


def key_html(sheet) -> str:
    """The full worked key, as the question's general feedback."""
    if type(sheet).__name__ == "LessonSheet":
        return "".join(f"<p>({a.label}) {inert(a.name)} = {a.value:.{sheet.decimals}f}</p>"
                       for a in sheet.answers)
    ws = sheet
    m = MathML(ws.notation, ws.layers)
    blanks: dict = {}
    rows = []
    for s in ws.sections:
        rows.append(f"<h4>{m.prose(s.title, inert)}</h4>")
        for line in s.lines:
            rows.append(f"<p>({line.answer.label}) "
                        f"{_line(line, ws.decimals, blanks, m)['key_math']}</p>")
    return "".join(rows)


def quiz_start(name: str) -> str:
    """A Moodle XML file's start, with the category its questions go into."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
            '  <question type="category">\n    <category><text>$course$/top/symbackprop/'
            f"{escape(name)}</text></category>\n  </question>\n")


def quiz_end() -> str:
    return "</quiz>\n"


def version_questions(v, numerical: bool = False) -> tuple[list[str], list[str]]:
    """One version's questions: one Cloze question (or, numerical=True, one numerical
    question per blank), and the mistakes left out, and why."""
    if numerical:
        return numerical_questions(v)
    text, dropped = question_html(v.sheet, v.key["scheme"])
    title = v.stem + (f" ({v.student})" if v.student else "")
    question = (
        f'  <question type="multianswer">\n    <name><text>{escape(title)}</text></name>\n'
        f'    <questiontext format="html"><text>{_cdata(text)}</text>'
        f"{diagram_file(v.sheet)}</questiontext>\n"
        f'    <generalfeedback format="html"><text>{_cdata(key_html(v.sheet))}</text>'
        f"</generalfeedback>\n    <penalty>0.3333333</penalty>\n    <hidden>0</hidden>\n"
        f"    <idnumber>{escape(v.stem)}</idnumber>\n  </question>")
    return [question], [f"{v.stem}: {d}" for d in dropped]


def _cdata(html: str) -> str:
    return "<![CDATA[" + str(Markup(html)).replace("]]>", "]]]]><![CDATA[>") + "]]>"
