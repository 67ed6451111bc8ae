"""The hand-worked sheets (sheets/worked.py: a convolution, an optimizer's steps) printed: the
PDF's document, the practice page and Moodle's question text. The sections and their lines
go through the dense sheets' own views (tex._section_view, html._section), and the teacher's
print: setup (header, working space, proofs, points) as a dense sheet's; what is new here
is the given pictures, an image or a kernel, drawn as tables: in TeX a boxed array, in HTML a
<table> with its caption and row and column headers (read cell by cell by a screen reader).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from ..definitions.language import N_, words
from . import html, tex
from .latex import NoEscape
from .mathml import MathML
from .plaintext import PlainText
from .texmath import TexMath

HEADINGS = {"convolution": N_("The network"), "optimizer": N_("The network and the optimizer")}


def number(value: float, decimal: str = ".") -> str:
    """A given number as the sheet shows it: its own digits, with the language's decimal
    sign (a real minus sign is the printer's)."""
    shown = f"{value:.10f}".rstrip("0").rstrip(".")
    return "0" if shown in ("-0", "") else shown.replace(".", decimal)


def picture_tex(rows, decimal: str = ".") -> NoEscape:
    """A grid of numbers as a boxed array (numbers only: nothing to escape; a decimal comma
    in braces, so that TeX's math sets no space after it)."""
    columns = "|" + "c|" * len(rows[0])
    sign = "{,}" if decimal == "," else decimal
    body = r" \\ \hline ".join(" & ".join(number(v, sign) for v in row) for row in rows)
    return NoEscape(rf"$\begin{{array}}{{{columns}}}\hline {body} \\ \hline\end{{array}}$")


def picture_html(p, decimal: str = ".") -> Markup:
    """A grid of numbers as an accessible table: caption, then row and column headers
    naming each entry's position (x1,2 is row 1, column 2; x2,1,2 the same of channel 2)."""
    head = "".join(f'<th scope="col">{j}</th>' for j in range(1, len(p.rows[0]) + 1))
    body = "".join(
        f'<tr><th scope="row">{i}</th>' + "".join(
            f'<td aria-label="{escape(p.symbol)} {_index(p.at, i, j)} = {number(v, decimal)}">'
            f"{number(v, decimal).replace('-', '−')}</td>" for j, v in enumerate(row, start=1))
        + "</tr>" for i, row in enumerate(p.rows, start=1))
    return Markup(f'<table class="matrix given-grid"><caption>{escape(p.caption)}</caption>'
                  f'<tr><td></td>{head}</tr>{body}</table>')


def _index(at, i, j) -> str:
    return ",".join(map(str, (*at, i, j)))


def _tag(sheet) -> str:
    return tex._tag(sheet, words(sheet.language))


def document(sheet, key: bool, student: str | None = None) -> str:
    """The worksheet (key False) or its answer key, as LaTeX, in the sheet's language."""
    _ = words(sheet.language)
    t = TexMath(sheet.notation, None, _.decimal)
    marks = _Marks(sheet)
    setup = sheet.printing  # the teacher's print: and build options, as a dense sheet's
    proofs = sheet.proofs if setup.proofs_on(key, sheet.version is not None) else []
    return tex.environment(sheet.language).get_template("worked.tex.j2").render(
        title=sheet.title, kind=_("Answer key") if key else _("Worksheet"), key=key,
        student=student, tag=_tag(sheet), decimals=sheet.decimals, seed=sheet.seed,
        version=sheet.version, heading=_(HEADINGS[sheet.kind]),
        network_words=sheet.network_words, notes=sheet.notes,
        pictures=[{"caption": p.caption, "table": picture_tex(p.rows, _.decimal)}
                  for p in sheet.pictures],
        given=[{"caption": tex.labelled(g.caption, _), "latex": tex.given_tex(g, t, _)}
               for g in sheet.givens],
        sections=[_with_workings(tex._section_view(s, sheet.decimals, t, marks))
                  for s in sheet.sections],
        header=setup.header, space=tex.working_space(setup.working_space),
        points=setup.points, total=tex.total_points(marks),
        proofs=[tex.proof_view(p, _) for p in proofs], babel=tex.babel_view(sheet.language))


def _with_workings(view: dict) -> dict:
    """A section's view with its matrix's entries that carry working listed for the key, each
    on its own line under the matrix (a ReLU's max(0, −0.1508), a window's max or mean, the
    gradient a window passes on): the matrix shows the results, a teacher's key the sums."""
    if view["grid"] is not None:
        view["grid"]["workings"] = [e for row in view["grid"]["rows"] for e in row
                                    if e.get("working") is not None or e.get("forms")]
    return view


class _Marks:
    """A worked sheet's blanks' marks, as a dense sheet's `worth` gives them: points in the
    margin and a total on the sheet, as the scheme (check, Moodle, mark) counts them."""

    def __init__(self, sheet):
        self.answers, self.language = sheet.answers, sheet.language
        self.points = {b["label"]: b.get("points", 1) for b in sheet.blanks}

    def worth(self, answer) -> int:
        return self.points.get(answer.label, 1)


def page(sheet, scheme: dict, student: str | None = None) -> str:
    """The self-contained practice page, in the sheet's language."""
    _ = words(sheet.language)
    m = MathML(sheet.notation, None, _.decimal)
    said = PlainText(sheet.notation, decimal=_.decimal)
    blanks = {b["label"]: b for b in scheme["blanks"]}
    sections = [html._section(s, i, sheet.decimals, blanks, m, said, _)
                for i, s in enumerate(sheet.sections, start=1)]
    given = [{"caption": tex.labelled(g.caption, _), "math": Markup(html.given_html(g, m, _))}
             for g in sheet.givens]
    notes = " ".join(sheet.notes)
    # the page marks itself and shows the key's working: proofs kept to the key show too
    proofs = sheet.proofs if sheet.printing.proofs != "none" else []
    return html.page(sheet.title, _tag(sheet), student, sheet.decimals, scheme, sections,
                     network_words=f"{sheet.network_words} {notes}",
                     figures=[{"svg": picture_html(p, _.decimal), "caption": "",
                               "after": False}
                              for p in sheet.pictures],
                     given=given, proofs=[html.proof_view(p, _) for p in proofs],
                     header=sheet.printing.header, language=sheet.language)


def moodle_given(sheet, inert, separator: str) -> str:
    """Moodle's question text before the blanks: words, notes, the pictures as tables."""
    _ = words(sheet.language)
    m = MathML(sheet.notation, None, _.decimal)
    said = sheet.printing.header.instructions  # as a dense sheet's question says them
    return "".join([f"<p>{inert(sheet.title)}</p>", f"<p>{inert(said)}</p>" if said else "",
                    f"<p>{inert(sheet.network_words)}</p>",
                    *(f"<p>{inert(n)}</p>" for n in sheet.notes), f"<p>{separator}</p>",
                    *(str(picture_html(p, _.decimal)) for p in sheet.pictures),
                    *(f"<p>{inert(tex.labelled(g.caption, _))} {html.given_html(g, m, _)}</p>"
                      for g in sheet.givens)])
