"""Jinja2 with LaTeX delimiters: templates read as LaTeX, and every value is escaped on output.

User text is only ever passed as a variable, never spliced into template source; `finalize`
escapes every printed value unless it is PyLaTeX's NoEscape (LaTeX we built ourselves).

>>> env = environment()
>>> print(env.from_string(r'\\textbf{\\VAR{name}}').render(name='#$%&~_^{}\\\\'))
\\textbf{\\#\\$\\%\\&\\textasciitilde{}\\_\\textasciicircum{}\\{\\}\\textbackslash{}}
"""

from __future__ import annotations

import math
from functools import cache
from importlib import util
from pathlib import Path

import jinja2
from pylatex.utils import NoEscape

from ..definitions.language import ENGLISH, Words, words
from ..engine import proofs
from ..sheets import forms
from ..sheets.notation import answer_decimals
from . import diagram, latex, prosemath
from .texmath import TexMath


def _finalize(value):
    if isinstance(value, latex.NoEscape):
        return value
    if isinstance(value, str):
        return latex.text(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"cannot print a {type(value).__name__} in a template")
    return str(value)


def template_dir() -> Path:
    """templates/: inside the installed package, or beside it in a source checkout."""
    try:
        spec = util.find_spec("symbackprop.templates")
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return Path(__file__).resolve().parents[2] / "templates"
    return Path(list(spec.submodule_search_locations)[0])


def babel_name(code: str) -> str | None:
    """The language's name for LaTeX's babel package, from CLDR's English name (German's new
    spelling is ngerman); none for English, whose sheets load no babel."""
    if code == "en":
        return None
    from babel import Locale

    return {"de": "ngerman"}.get(code) or Locale.parse(code).english_name.lower()


# what a language's babel would change beyond its words and hyphenation: Spanish's accented
# operators (máx, sen) and its decimal point in mathematics; the sheets write max as the
# practice page and Moodle do, and their decimal comma themselves
BABEL_OPTIONS = {"spanish": ["es-minimal"]}


def babel_view(code: str) -> dict | None:
    name = babel_name(code)
    return None if name is None else {
        "name": name, "options": NoEscape(",".join([name, *BABEL_OPTIONS.get(name, [])]))}


@cache
def environment(language: str = "en") -> jinja2.Environment:
    """The templates in one language: _() and ngettext() in them say the catalog's words."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        extensions=["jinja2.ext.i18n"],
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        line_comment_prefix="%#",
        trim_blocks=True, lstrip_blocks=True, autoescape=False,
        undefined=jinja2.StrictUndefined, finalize=_finalize, keep_trailing_newline=True,
    )
    env.install_gettext_translations(words(language).catalog, newstyle=True)
    env.filters["running_head"] = running_head
    return env


HEAD = 60  # characters of a title in a page's running head, which has one line


def running_head(title):
    """A title as a page's running head shows it: one line, a long one cut with an ellipsis
    (the title itself, under it, breaks over lines; a head of three lines would run into it)."""
    if not isinstance(title, str) or len(title) <= HEAD:
        return title
    return title[:HEAD - 1].rstrip() + "…"


def proof_view(proof: proofs.Proof, _: Words = ENGLISH) -> dict:
    """What a template needs of a proof: LaTeX marked as trusted, words (in the sheet's
    language) left to be escaped."""
    return {
        "title": prosemath.tex(_(proof.title)),  # its formulas set as mathematics
        "lhs": latex.NoEscape(proof_latex(proof.lhs, _)),
        "steps": [{"latex": latex.NoEscape(proof_latex(s.expr, _)),
                   "reason": prosemath.tex(_(s.reason))} for s in proof.steps],
        "given": _(proof.given) if proof.given else proof.given,
    }


def proof_latex(expr, _: Words = ENGLISH) -> str:
    """A proof's step as LaTeX: ln for the natural log, as the sheets write it, and a case's
    words (0 for x ≤ 0, x otherwise) in the sheet's language."""
    text = latex.sympy(expr, order="none", ln_notation=True)
    for word in ("for", "otherwise"):
        text = text.replace(rf"\text{{{word}}}", rf"\text{{{latex.text(_(word))}}}")
    return text


def proofs_document(selected: list[proofs.Proof], title: str = "Proofs of the rules") -> str:
    template = environment().get_template("proofs.tex.j2")
    return template.render(title=title, proofs=[proof_view(p) for p in selected])


# --- worksheets -----------------------------------------------------------------------

def is_final(answer_name: str) -> bool:
    """J, an asked gradient or a new parameter value: results, not intermediates."""
    if " via " in answer_name:  # one path of a sum
        return False
    return answer_name == "J" or answer_name.startswith(("dJ/dW", "dJ/db", "new "))


def number(value: float, decimals: int) -> str:
    """A value as printed on the sheet: fixed decimals (math mode makes the minus sign)."""
    return f"{value:.{decimals}f}"


def positional(value: float, significant: int = 10) -> str:
    """A value to `significant` digits as a sheet writes numbers, never Python's 3.01e-05.

    >>> positional(3.0113e-05), positional(0.3184203557123), positional(-152.0), positional(0.0)
    ('0.000030113', '0.3184203557', '-152', '0')
    """
    if value == 0:
        return "0"
    places = max(significant - 1 - math.floor(math.log10(abs(value))), 0)
    text = f"{round(value, places):.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def shown(a, decimals: int) -> str:
    """An answer as the key prints it (notation.answer_decimals)."""
    return number(a.value, answer_decimals(a.name, a.value, decimals))


def worksheet_document(ws, key: bool, student: str | None = None) -> str:
    template = environment(ws.language).get_template("worksheet.tex.j2")
    _ = words(ws.language)
    tex = TexMath(ws.notation, ws.layers, _.decimal)
    tag = _tag(ws, _)
    setup = ws.printing
    class_set = ws.version is not None
    sections = [_section_view(s, ws.decimals, tex, ws) for s in ws.sections]
    return template.render(
        title=ws.title, kind=_("Answer key") if key else _("Worksheet"), key=key,
        student=student, tag=tag, decimals=ws.decimals, seed=ws.seed, version=ws.version,
        network_words=ws.network_words, diagram=diagram_view(ws, tex),
        given=[{"caption": labelled(g.caption, _), "latex": given_tex(g, tex, _)}
               for g in ws.givens],
        sections=sections, header=setup.header, space=working_space(setup.working_space),
        points=setup.points, total=total_points(ws), babel=babel_view(ws.language),
        proofs=[proof_view(p, _) for p in ws.proofs] if setup.proofs_on(key, class_set)
        else [])


def labelled(label: str, _: Words = ENGLISH) -> str:
    """A label before what it names, as the language writes it: "Inputs:", « Entrées : »."""
    return _("{label}:").format(label=label)


def given_tex(given, tex: TexMath, _: Words = ENGLISH) -> NoEscape:
    """A row of given numbers: `name = value, ...`, an example's targets after its inputs; a
    line may break between two givens, never between a name and its value (with decimal
    commas, the givens are apart by semicolons)."""
    apart = ", " if _.decimal == "." else _("; ")  # the language's semicolon (« ; » in French)
    groups = [apart.join(rf"\mbox{{${tex.print(g)}$}}" for g in group) for group in given.groups]
    return NoEscape((r"; \quad " if _.decimal == "." else r" \qquad ").join(groups))


def _section_view(s, decimals: int, tex: TexMath, ws=None) -> dict:
    """A section's lines; a matrix's entries (s.grid) as rows of the matrix, after them."""
    lines = [_line_view(line, decimals, tex, ws) for line in s.lines]
    view = {"title": tex.prose(s.title), "intro": tex.prose(forms.as_prose(s.intro)),
            "lines": lines, "grid": None,
            "key_note": tex.prose(forms.as_prose(s.key_note)) if s.key_note else ""}
    if s.grid is not None:
        g = s.grid
        view["lines"], rows = g.layout(lines)
        view["grid"] = {"quantity": tex(g.quantity), "form": tex(g.form),
                        "shape": latex.NoEscape(rf"{g.rows} \times {g.columns}"),
                        "shape_asked": g.shape_asked, "rows": rows,
                        "points": points_note(sum(e.get("worth", 0) for row in rows
                                                  for e in row),
                                              _words_of(ws))}
    return view


def _words_of(ws) -> Words:
    """The words of a sheet's language (a hand-worked sheet's marks, or none: English)."""
    return words(getattr(ws, "language", "en")) if ws is not None else ENGLISH


def _tag(ws, _: Words = ENGLISH) -> str:
    if ws.version is not None:
        return _("Version {n}").format(n=ws.version)
    return ""


def _line_view(line, decimals: int, tex: TexMath, ws=None) -> dict:
    a = line.answer
    if a is None:  # a line that states its value
        return {"quantity": tex(line.quantity), "forms": [tex(f) for f in line.forms],
                "stated": tex(line.stated)}
    final = is_final(a.name)
    return {"quantity": tex(line.quantity), "forms": [tex(f) for f in line.forms], "answer": a,
            "answer_first": line.first, "stated": None,
            "worth": ws.worth(a) if ws is not None and line.first else 0,
            "points": points_note(ws.worth(a) if ws is not None else 1,
                                  _words_of(ws)),
            "working": tex(line.working) if line.working is not None else None,
            # more decimals only where evaluate kept significant digits (an output a log needs)
            "shown": latex.NoEscape(tex.number(shown(a, decimals))),
            "exact": latex.NoEscape(tex.number(positional(a.exact))) if final and line.first
            else None}


def diagram_view(ws, tex: TexMath) -> dict:
    """The TikZ picture's nodes, arrows and notes (formats/diagram.py), labels in LaTeX."""
    view = diagram.layout(ws)
    nodes = [n | {"label": tex(n["label"]), "fill": "gray!10" if n["input"] else ""}
             for n in view["nodes"]]
    edges = [e | {"label": tex(e["label"]) if e["label"] is not None else ""}
             for e in view["edges"]]
    notes = [a | {"text": tex(a["label"])} for a in view["notes"]]
    font = NoEscape(r"\tiny" if view["tall"] >= 4 else r"\scriptsize")  # dense layers: small
    return {"nodes": nodes, "edges": edges, "notes": notes, "size": 0.9, "font": font}


def total_points(ws) -> int:
    """The marks of every blank the sheet asks (each once, where it is first asked)."""
    return sum(ws.worth(a) for a in ws.answers)


def working_space(space: tuple[str, float] | None) -> NoEscape | None:
    """The space under a section: ruled lines 0.8 cm apart, or a frame of a height, each as
    wide as the text and no wider."""
    if space is None:
        return None
    kind, size = space
    if kind == "lines":
        line = r"\noindent\rule{0pt}{0.8cm}{\color{black!45}\rule{\linewidth}{0.3pt}}\par"
        return NoEscape("\\par\\nopagebreak\n" + "\n".join([line] * int(size)) + "\n")
    return NoEscape(r"\par\nopagebreak\noindent\fbox{\parbox[t][%.2fcm][t]"
                    r"{\dimexpr\linewidth-2\fboxsep-2\fboxrule\relax}{\strut}}\par" % size
                    + "\n")


def points_note(n: int, _: Words = ENGLISH) -> NoEscape:
    """A blank's points as the margin shows them: 1 pt, 2 pts."""
    return NoEscape(f"{n}\\," + latex.text(_.ngettext("pt", "pts", n)))
