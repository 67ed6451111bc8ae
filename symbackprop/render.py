"""Jinja2 with LaTeX delimiters: templates read as LaTeX, and every value is escaped on output.

User text is only ever passed as a variable, never spliced into template source; `finalize`
escapes every printed value unless it is PyLaTeX's NoEscape (LaTeX we built ourselves).

>>> env = environment()
>>> print(env.from_string(r'\\textbf{\\VAR{name}}').render(name='#$%&~_^{}\\\\'))
\\textbf{\\#\\$\\%\\&\\textasciitilde{}\\_\\^{}\\{\\}\\textbackslash{}}
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
import sympy as sp

from . import latex, proofs


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
        return Path(str(resources.files("symbackprop.templates")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "templates"


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        line_comment_prefix="%#",
        trim_blocks=True, lstrip_blocks=True, autoescape=False,
        undefined=jinja2.StrictUndefined, finalize=_finalize, keep_trailing_newline=True,
    )


def proof_view(proof: proofs.Proof) -> dict:
    """What a template needs of a proof: LaTeX marked as trusted, words left to be escaped."""
    return {
        "title": proof.title,
        "lhs": latex.NoEscape(sp.latex(proof.lhs, order="none")),
        "steps": [{"latex": latex.NoEscape(s.latex), "reason": s.reason} for s in proof.steps],
        "given": proof.given,
    }


def proofs_document(selected: list[proofs.Proof], title: str = "Proofs of the rules") -> str:
    template = environment().get_template("proofs.tex.j2")
    return template.render(title=title, proofs=[proof_view(p) for p in selected])
