"""The HTML driver: a worksheet as one self-contained practice page that marks itself offline.

The page shows what the PDF shows (the network as SVG, the mathematics as MathML), with an
<input> for each blank, and carries the sheet's marking scheme as JSON for its script, which
interprets it exactly as `check` does.
"""

from __future__ import annotations

import base64
import json
import math as _math
import re
from functools import cache
from html import escape as html_escape

import jinja2
from markupsafe import Markup

from ..definitions.language import ENGLISH, N_, Words, words
from ..marking.scheme import EITHER, SLIP
from ..sheets import forms
from ..sheets.forms import Number
from ..sheets.notation import answer_decimals
from . import diagram as layout
from . import prosemath, tex
from .mathml import MathML, expression, math_element
from .plaintext import PlainText, term_words
from .svgtext import SvgText
from .tex import template_dir

CM = 58  # SVG pixels per centimetre of the TikZ picture
INSTRUCTIONS = N_("Work each blank in order and round every result to {d} decimals before "
                  "you use it: that rounding is what is marked, the last digit one off only "
                  "where your own rounded results move it. Type a number as you like "
                  "({examples}, or a fraction such as 3/8), then press Check: each answer is "
                  "marked correct, too few decimals (right, but rounded further than asked), "
                  "carried forward (wrong, but right from your own earlier answers), or "
                  "incorrect with the likely mistake. Your answers stay in this browser.")
# the numbers the instructions show, as the language writes a list of them, its own decimal
# sign first
EXAMPLES = N_("0.7414, 7.414E-1, 0,7414")
EXAMPLE = 0.741418359  # what they show, to the sheet's decimals (typed_at)


@cache
def _environment(language: str = "en") -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir())),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True,
                             extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(words(language).catalog, newstyle=True)
    return env


def typed_at(said: str, decimals: int) -> str:
    """The instructions' example numbers to the sheet's own decimals: a sheet that asks for 8
    shows 0.74141836, not 0.7414 (the translations write 0.7414 and 7.414E-1, either sign)."""
    plain, scientific = f"{EXAMPLE:.{decimals}f}", f"{10 * EXAMPLE:.{max(decimals - 1, 0)}f}"
    said = re.sub(r"\b0([.,])7414\b", lambda m: plain.replace(".", m[1]), said)
    return re.sub(r"\b7([.,])414E-1\b", lambda m: scientific.replace(".", m[1]) + "E-1", said)


def instructions(_: Words) -> str:
    """The page's instructions, with a {d} for the sheet's decimals."""
    return _(INSTRUCTIONS).replace("{examples}", _(EXAMPLES))


def page_words(_: Words) -> dict[str, str] | None:
    """What the page's script says (practice.js ENGLISH), in the language; None in English."""
    if _.code == "en":
        return None
    return {
        "correct": _("Correct"), "too_few_decimals": _("Too few decimals"),
        "carried_forward": _("Carried forward"), "incorrect": _("Incorrect"),
        "missing": _("Not answered"), "unreadable": _("Not a number"),
        "with_reason": _("{verdict}: {reason}"), "either": _(EITHER),
        "slip": _(SLIP),
        "carried_hint": _("wrong against the key, but right from your own earlier answers"),
        "too_few_hint": _("{message} (it asks for {decimals})"),
        "score_correct": _("{n} correct, "), "score_too_few": _("{n} with too few decimals, "),
        "score_rest": _("{carried} carried forward, {incorrect} incorrect, {missing} missing "
                        "(of {total})"),
        "stale": " " + _("(before your changes: press Check again)"),
        "not_plain": _("'{text}' has characters that are not plain digits"),
        "too_long": _("'{text}' is longer than {longest} characters: not a number a worksheet "
                      "asks for"),
        "not_number": _("'{text}' is not a number (write 0.25, 2.5e-3 or 1/4)"),
        "zero": _("'{text}' divides by zero"),
        "too_large": _("'{text}' is too large for any answer on a worksheet"),
        "part": _("{earned} of {points} points"), "part_one": _("{earned} of 1 point"),
        "decimal_sign": _.decimal,
    }


def _asset(name: str) -> Markup:
    return Markup((template_dir() / name).read_text(encoding="utf-8"))


def worksheet_page(ws, scheme: dict, student: str | None = None) -> str:
    """The practice page of a backpropagation worksheet."""
    _ = words(ws.language)
    m = MathML(ws.notation, ws.layers, _.decimal)
    text = PlainText(ws.notation, ws.layers, decimal=_.decimal)
    blanks = {b["label"]: b for b in scheme["blanks"]}
    sections = [_section(s, i, ws.decimals, blanks, m, text, _)
                for i, s in enumerate(ws.sections, start=1)]
    given = [{"caption": tex.labelled(g.caption, _), "math": Markup(given_html(g, m, _))}
             for g in ws.givens]
    setup = ws.printing
    # the page marks itself and shows the key's working, so proofs kept to the key show too
    shown = setup.proofs != "none"
    terms = {r["term"]: term_words(r["term"], ws.notation, ws.layers)
             for b in scheme["blanks"] for r in b["mistakes"] if r.get("term")}
    return page(ws.title, tex._tag(ws, _), student, ws.decimals, scheme, sections, terms=terms,
                network_words=ws.network_words, diagram=Markup(diagram(ws)),
                diagram_caption=_diagram_caption(ws, _), given=given,
                proofs=[proof_view(p, _) for p in ws.proofs] if shown else [],
                header=setup.header, language=ws.language)


def given_html(given, m: MathML, _: Words = ENGLISH) -> str:
    """A row of given numbers, each `name = value` kept whole (it never breaks inside); with
    decimal commas, apart by semicolons."""
    items, groups = (", ", "; ") if _.decimal == "." else (_("; "), " | ")
    return groups.join(items.join(f'<span class="given-item">{m.math(g)}</span>'
                                  for g in group) for group in given.groups)


def _diagram_caption(ws, _: Words = ENGLISH) -> str:
    if ws.examples:  # a batch's inputs and targets are its examples', listed below
        return _("The inputs on the left, the outputs on the right; each example's inputs "
                 "and targets are listed below.")
    labels = [e["label"] is not None for e in layout.layout(ws)["edges"] if e["kind"] == "weight"]
    if all(labels):
        return _("Inputs on the left, the outputs and their targets on the right; each arrow "
                 "carries its weight.")
    if any(labels):
        return _("Inputs on the left, the outputs and their targets on the right; an arrow "
                 "carries its weight where there is room; every weight is listed below.")
    return _("Inputs on the left, the outputs and their targets on the right; the weights "
             "are listed below.")


def _section(s, index: int, decimals: int, blanks: dict, m: MathML, words: PlainText,
             _: Words = ENGLISH) -> dict:
    """A section's lines; a matrix's entries (s.grid) as the rows of a table, after them."""
    lines = [_line(line, decimals, blanks, m) for line in s.lines]
    view = {"title": Markup(m.prose(s.title)), "label": words.prose(s.title),
            "intro": Markup(m.prose(forms.as_prose(s.intro))),
            "index": index, "lines": lines, "grid": None}
    if s.grid is not None:
        g = s.grid
        view["lines"], rows = g.layout(lines)
        view["grid"] = {"math": chain(m, (g.quantity, g.form)),
                        "label": _("the entries of {matrix}").format(
                            matrix=words(g.quantity)),
                        # a shape asked before the matrix is not given away under it
                        "shape": "" if g.shape_asked else f"{g.rows}×{g.columns}",
                        "rows": rows}
    return view


def _line(line, decimals: int, blanks: dict, m: MathML) -> dict:
    a = line.answer
    if a is None:  # a line that states its value: nothing to type
        stated = chain(m, (line.quantity, *line.forms, line.stated))
        return {"math": stated, "label": None, "first": False, "key_math": stated}
    sides = (line.quantity, *line.forms)
    worked = sides + ((line.working,) if line.working is not None else ())
    shown = Number(a.value, answer_decimals(a.name, a.value, decimals))
    return {"math": chain(m, sides), "label": a.label, "name": a.name, "first": line.first,
            "key_math": chain(m, (*worked, shown))}


def chain(m: MathML, sides) -> Markup:
    """A line of working that wraps on a phone: each side of its equation a <math> of its own
    (the one after an = starting with it), kept whole, so the line breaks between sides, as a
    teacher breaks it on the board; MathML lays out no line breaks of its own, and a formula a
    few pixels too wide scrolled, hiding its end."""
    if len(sides) == 1:
        return Markup(m.math(sides[0], full=True))
    parts = [m.math(sides[0], full=True)] + [
        math_element(f"<mrow><mo>=</mo>{m.inner(side)}</mrow>", displaystyle=True)
        for side in sides[1:]]
    return Markup("<wbr>".join(f'<span class="side">{p}</span>' for p in parts))


def proof_view(p, _: Words = ENGLISH) -> dict:
    """A proof's steps as MathML: lhs = first step, then = each next one; its words in the
    sheet's language."""
    lhs = expression(p.lhs, order="none", language=_.code)
    equals = "<mo>=</mo>"
    steps = [{"math": Markup(math_element(f"<mrow>{lhs if i == 0 else ''}{equals}"
                                          f"{expression(s.expr, order='none', language=_.code)}"
                                          "</mrow>",
                                          displaystyle=True)),
              "reason": Markup(prosemath.mathml(_(s.reason)))} for i, s in enumerate(p.steps)]
    return {"title": Markup(prosemath.mathml(_(p.title))),  # its formulas as MathML
            "given": _(p.given) if p.given else p.given, "steps": steps}


# What JSON may not hold inside a <script>: '</script' ends it, '<!--' with '<script' sends the
# HTML parser into the script's "double escaped" state (the element then swallows the scripts
# after it), '&' and '>' for the same reasons in XHTML and old parsers, and U+2028/U+2029, which
# end a line in JavaScript before ES2019. JSON has them only inside strings, where \uXXXX is
# the same text.
_SCRIPT_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                                "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(value, **dumps) -> Markup:
    """`value` as JSON that is inert inside <script type="application/json">: every <, >, &,
    U+2028 and U+2029 written as its \\u escape.

    >>> print(script_json({"title": "x <!--<script> & </script>"}))
    {"title": "x \\u003c!--\\u003cscript\\u003e \\u0026 \\u003c/script\\u003e"}
    """
    return Markup(json.dumps(value, allow_nan=False, **dumps).translate(_SCRIPT_UNSAFE))


def page(title, tag, student, decimals, scheme, sections, **parts) -> str:
    """The page around its sections: header, instructions, figures, Check button, script."""
    language = parts.pop("language", "en")
    _ = words(language)
    defaults = {"network_words": "", "diagram": "", "diagram_caption": "", "given": [],
                "figures": [], "proofs": [], "lead": "", "header": None,
                # what the button beside a wrong answer shows: a sheet's line with the numbers
                # put in (a lesson's row without working says "Show the answer")
                "reveal": (_("Show the working"), _("Hide the working"))}
    said = parts.pop("instructions", None) or instructions(_)
    spoken = (page_words(_) or {}) | ({"terms": terms} if (terms := parts.pop("terms", {}))
                                      else {})
    return _environment(language).get_template("practice.html.j2").render(
        title=title, tag=tag, student=student, sections=sections, language=language,
        instructions=typed_at(said.format(d=decimals), decimals), css=_asset("practice.css"),
        script=_asset("practice.js"),
        scheme_json=script_json(scheme, separators=(",", ":")),  # inert in its <script>
        words_json=script_json(spoken) if spoken else "",
        **(defaults | parts))


# --- the network as SVG, from the same layout as the PDF's TikZ picture -----------------


# practice.css's diagram rules, for the diagram as an image (Moodle, a notebook): no CSS reaches it
STANDALONE_STYLE = (
    ".neuron{fill:#fff;stroke:#1a1a1a;stroke-width:1.6}.neuron.input{fill:#eceff1}"
    ".neuron.bias{fill:#f7f7f7;stroke-dasharray:4 3}"
    ".edge{stroke:#555;stroke-width:1.1;marker-end:url(#arrow)}.edge.part{marker-end:none}"
    "text{font:15px system-ui,sans-serif;fill:#1a1a1a}text.note,text.weight{font-size:12px}"
    "text.weight,text.label{paint-order:stroke;stroke:#fff;stroke-width:4px}"
    "tspan.sub,tspan.sup{font-size:70%}")


def diagram(ws, standalone: bool = False) -> str:
    """The network as SVG: inline on a page styled by practice.css, or standalone=True, an image
    file that carries its own style."""
    style = f"<style>{STANDALONE_STYLE}</style>" if standalone else ""
    view = layout.layout(ws)
    _ = words(ws.language)
    label = SvgText(ws.notation, ws.layers, _.decimal)
    # outside the f-string: pybabel reads no call inside one
    named = html_escape(_("Diagram of the {sizes} network").format(
        sizes="-".join(map(str, ws.layers))))
    radius = 0.45 * CM
    xs = [n["x"] for n in view["nodes"]] + [a["x"] for a in view["notes"]]
    ys = [n["y"] for n in view["nodes"]] + [a["y"] for a in view["notes"]]
    left, top = (min(xs) - 1.6) * CM, -(max(ys) + 1.0) * CM
    width, height = (max(xs) - min(xs) + 3.2) * CM, (max(ys) - min(ys) + 2.0) * CM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
             f'aria-label="{named}" '
             f'viewBox="{left:.0f} {top:.0f} {width:.0f} {height:.0f}" width="{width:.0f}" '
             f'height="{height:.0f}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
             f'fill="#555"/></marker>{style}</defs>']
    parts += [_edge(view, e, label) for e in view["edges"]]
    for n in view["nodes"]:
        x, y = n["x"] * CM, -n["y"] * CM
        kind = "neuron input" if n["input"] else "neuron bias" if n["bias"] else "neuron"
        parts.append(f'<circle class="{kind}" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}"/>'
                     f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle">'
                     f'{label(n["label"])}</text>')
    for a in view["notes"]:
        anchor = {"east": "end", "west": "start", "north": "middle"}[a["anchor"]]
        dy = 14 if a["anchor"] == "north" else 5
        parts.append(f'<text class="note" x="{a["x"] * CM:.1f}" y="{-a["y"] * CM + dy:.1f}" '
                     f'text-anchor="{anchor}">{label(a["label"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def diagram_base64(ws) -> str:
    """The standalone diagram as base64, for an image file (Moodle) or a data URI (a notebook):
    as an image, its own style cannot restyle the page around it, and no cleaning strips it."""
    return base64.b64encode(diagram(ws, standalone=True).encode("utf-8")).decode("ascii")


def _edge(view: dict, e: dict, label: SvgText) -> str:
    """An arrow, and its label on it: the arrow stops either side of the label, as TeX's white
    box hides it; the two pieces and the label in one group, which the page's tests read."""
    (x1, y1), (x2, y2) = ((x * CM, -y * CM) for x, y in layout.arrow(view, e))
    if e["label"] is None:
        return _stroke(x1, y1, x2, y2)
    px, py = x1 + (x2 - x1) * e["pos"], y1 + (y2 - y1) * e["pos"]
    half = layout.label_size(e["label"], view["notation"], view["layers"])[0] * CM / 2
    length = _math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    angle = _math.degrees(_math.atan2(y2 - y1, x2 - x1))
    return (f'<g class="arrow">{_stroke(x1, y1, px - ux * half, py - uy * half, tip=False)}'
            f'{_stroke(px + ux * half, py + uy * half, x2, y2)}<text class="weight" '
            f'transform="translate({px:.1f},{py:.1f}) rotate({angle:.1f})" y="4" '
            f'text-anchor="middle">{label(e["label"])}</text></g>')


def _stroke(x1: float, y1: float, x2: float, y2: float, tip: bool = True) -> str:
    kind = "edge" if tip else "edge part"
    return f'<line class="{kind}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>'
