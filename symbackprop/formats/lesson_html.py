"""Seed 000's lesson sheets as practice pages: the rows and blanks of the PDF, and its figures as
SVG (the 8 × 8 digit, the cost curve with its tangents and a ball rolling downhill, the two
losses and their gradients)."""

from __future__ import annotations

import html
import math as math_

from markupsafe import Markup

from ..definitions.language import ENGLISH, N_, Words, words
from ..sheets.forms import Equation, Number, as_prose
from ..sheets.lessons import lesson_subtitle
from . import lesson_tex
from .html import page
from .mathml import MathML, element, math_element
from .plaintext import PlainText
from .plot import Plot, Surface

LESSON_INSTRUCTIONS = N_("Round every result to {d} decimals before you use it. Type a number "
                       "(0.7414, 7.414E-1, 0,7414 or 3/8), then press Check: each answer is "
                       "marked correct, carried forward (wrong, but right from your own earlier "
                       "answers) or incorrect, with the likely mistake, and after a wrong one "
                       "you can show its working. Your answers stay in this browser.")


def lesson_page(sheet, scheme: dict) -> str:
    _ = words(sheet.language)
    m, said = MathML("matrix", None, _.decimal), PlainText(decimal=_.decimal)
    sections = [{"title": Markup(m.prose(title)), "label": said.prose(title), "intro": "",
                 "index": i,
                 "lines": [_row(row, sheet, m, _) for row in rows]}
                for i, (title, rows) in enumerate(sheet.sections, start=1)]
    end = sheet.figures.get("closing")
    if end:  # the question the lesson ends with, and an answer to compare with after
        question = html.escape(end["question"])
        answer = html.escape(" ".join(end["answer"]))
        compare = html.escape(_("Compare with an answer"))
        sections.append({"title": Markup(html.escape(end["heading"])), "label": end["heading"],
                         "intro": "", "index": len(sections) + 1, "lines": [{
                             "math": Markup(f'<p class="closing">{question}</p><details><summary>'
                                            f'{compare}</summary><p>{answer}</p>'
                                            '</details>'), "label": None, "first": False}]})
    after = _AFTER.get(sheet.kind, ())
    figures = [{"svg": Markup(f), "caption": caption, "after": i in after}
               for i, (f, caption) in enumerate(zip(_FIGURES[sheet.kind](sheet.figures,
                                                                          sheet.decimals, _),
                                                    _captions(sheet, _)))]
    return page(sheet.title, lesson_subtitle(sheet.title, sheet.kind, _), None, sheet.decimals,
                scheme, sections, figures=figures, lead=Markup(m.prose(as_prose(sheet.intro))),
                instructions=_(LESSON_INSTRUCTIONS), language=sheet.language)


def _captions(sheet, _: Words = ENGLISH) -> list[str]:
    line = sheet.figures.get("threshold")
    said = _("; the dashed line is {percent} %").format(
        percent=_.number(f"{100 * line:g}")) if line is not None else ""
    return [_(c).replace("{line}", said) for c in _CAPTIONS[sheet.kind]]


def _row(row, sheet, m: MathML, _: Words = ENGLISH) -> dict:
    text = Markup(m.prose(row.text, full=True))
    if row.answer is None:
        return {"math": text, "label": None, "first": False}
    shown = lesson_tex.lesson_number(sheet, row.answer)
    value = Number(float(shown), _decimals(shown))
    working = sheet.workings.get(row.answer.label)  # the numbers put in, as the key has them
    return {"math": text, "label": row.answer.label, "name": row.answer.name, "first": True,
            "key_math": text + Markup(" ") + Markup(MathML().math(
                value if working is None else Equation((working, value)), full=True)),
            "reveal": (_("Show the answer"), _("Hide the answer")) if working is None else None,
            "yours": working is not None,  # the script adds the line from the student's numbers
            "working": ""}


def _decimals(shown: str) -> int:
    return len(shown.split(".", 1)[1]) if "." in shown else 0


def digit_svg(pixels, caption: str, description: str, size: int = 28) -> str:
    """An 8 × 8 digit (pixels 0..16) as squares, darker for more ink, its caption under it."""
    # each square a little larger than its place, so no seam of background shows between them;
    # a frame round the digit, no rules across it
    cells = "".join(f'<rect x="{i % 8 * size}" y="{i // 8 * size}" width="{size + 0.5}" '
                    f'height="{size + 0.5}" fill="hsl(0, 0%, {100 - round(100 * p / 16)}%)"/>'
                    for i, p in enumerate(pixels))
    side = 8 * size
    cells += (f'<rect x="0" y="0" width="{side}" height="{side}" fill="none" stroke="#888" '
              'stroke-width="1"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="-2 -2 {side + 4} '
            f'{side + 22}" width="{side + 4}" height="{side + 22}" '
            f'aria-label="{html.escape(description)}">{cells}<text x="{side / 2}" '
            f'y="{side + 16}" text-anchor="middle" class="note">{html.escape(caption)}</text>'
            f'</svg>')


def _digit(fig: dict, decimals: int, _: Words = ENGLISH) -> list[str]:
    grid = digit_svg(fig["image"], _("the digit {d}, 8 × 8 pixels").format(d=fig["digit"]),
                     _("The digit {d} as 8 by 8 pixels").format(d=fig["digit"]))
    n, put = len(fig["b"]), _.number
    weights = [[put(f"{w + 0.0:.2f}") for w in first] + ["⋯", put(f"{last + 0.0:.2f}")]
               for first, last in zip(fig["W_first"], fig["W_last"])]
    xs = [[put(f"{v:.4g}")] for v in fig["x"][:4]] + [["⋮"], [put(f"{fig['x'][-1]:.4g}")]]
    bs = [[put(f"{v + 0.0:.2f}")] for v in fig["b"]]
    formula = element("mrow", _under(_matrix(weights), f"W: {n} × 64"),
                      _under(_matrix(xs), "x: 64 × 1"), element("mo", "+"),
                      _under(_matrix(bs), f"b: {n} × 1"))
    return [grid, f'<div class="formula">{math_element(formula, display=True)}</div>']


def _matrix(rows: list[list[str]]) -> str:
    """A matrix in parentheses: numbers as <mn>, dots as <mo>."""
    def cell(text: str) -> str:
        inner = element("mo", text) if text in "⋯⋮" else (
            element("mrow", element("mo", "−"), element("mn", text[1:])) if text[:1] == "-"
            else element("mn", text))
        return element("mtd", inner)

    table = element("mtable", *(element("mtr", *(cell(c) for c in r)) for r in rows))
    return element("mrow", element("mo", "("), table, element("mo", ")"))


def _under(matrix: str, words: str) -> str:
    """A matrix with its name and shape under a brace, as the PDF's \\underbrace."""
    return element("munder", element("munder", matrix, element("mo", "⏟")),
                   element("mtext", html.escape(words)))


def _descent(fig: dict, decimals: int, _: Words = ENGLISH) -> list[str]:
    poly = fig["poly"]

    def cost(w: float) -> float:
        return sum(c * w ** k for k, c in enumerate(poly))

    (lo, hi), (bottom, top) = fig["span"], fig["range"]
    curve = Plot((lo, hi), (bottom, top), "w", "C(w)", _.decimal)
    curve.curve(cost, "#1f4e9e", "C(w) = " + fig["cost_text"], (lo, hi))
    for w, c, m, sign in fig["tangents"]:
        curve.curve(lambda v, w=w, c=c, m=m: c + m * (v - w), "#c0392b", "", (w - 0.45, w + 0.45),
                    width=1.6)
        curve.note((w, c - 0.08 * (top - bottom) if sign == "zero" else
                    min(c + 0.1 * (top - bottom), top - 0.05 * (top - bottom))),
                   _(lesson_tex._SLOPES[sign]))
    colors = ["#000000", "#b35c00", "#00796b", "#6a1b9a"]
    for i, path in enumerate(fig["paths"]):
        curve.dots(path[:1], colors[i % 4], _("start {i}").format(i=i + 1))
    walks = Plot((lo, hi), (bottom, top), "w", "C(w)", _.decimal)
    walks.curve(cost, "#1f4e9e", "", (lo, hi))
    for i, path in enumerate(fig["paths"]):
        walks.dots(path, colors[i % 4], _("walk {i} downhill").format(i=i + 1))
    walks.ball(fig["paths"][0], "#f1c40f", _("a ball rolling downhill"))
    s = fig["surface"]
    span = tuple(s["span"])  # over the valleys and the starts, as the PDF's
    surface = Surface(lambda a, b: cost(a) + b * b, span, (-2.0, 2.0), top + 2)
    surface.mesh()
    p1, p2, _height = s["at"]
    surface.curve([(a, p2, cost(a) + p2 * p2) for a in _grid(*span)], "#222222")
    surface.curve([(p1, b, cost(p1) + b * b) for b in _grid(-2.0, 2.0)], "#222222", "6 4")
    rolling = Surface(lambda a, b: cost(a) + b * b, span, (-2.0, 2.0), top + 2)
    rolling.mesh()
    for i, path in enumerate(s["balls"]):
        surface.point(path[0], colors[i % 4])  # where each starts: where it ends is asked
        rolling.ball(path, colors[i % 4], _("ball {i} rolling downhill").format(i=i + 1))
    surface.point(s["at"], "#f1c40f")
    slices = []
    for name, xs, f, at, _slope in (
            ("w₁", (lo, hi), lambda a: cost(a) + p2 * p2, p1, s["slopes"][0]),
            ("w₂", (-2.0, 2.0), lambda b: cost(p1) + b * b, p2, s["slopes"][1])):
        values = [f(x) for x in _grid(*xs)]
        cut = Plot(xs, (min(values) - 0.5, min(max(values), top + 4) + 0.5), name, "C",
                   _.decimal)
        cut.curve(f, "#1f4e9e", _("the slice"))
        cut.dots([(at, f(at))], "#f1c40f", _("the ball"))
        slices.append(cut.svg(_("The slice of the surface through the ball, against {w}")
                              .format(w=name)))
    return [curve.svg(_("The cost C(w), its tangent at three points, and the starts of the "
                        "walks")),
            walks.svg(_("The two walks downhill, each dot one step")),
            surface.svg(_("A cost of two weights as a surface, the balls at their starts and "
                          "the two slices through the yellow ball")),
            rolling.svg(_("The balls rolling downhill on the surface from their starts")),
            *slices]


def _grid(lo: float, hi: float, n: int = 120) -> list[float]:
    return [lo + (hi - lo) * i / n for i in range(n + 1)]


def _losses(fig: dict, decimals: int, _: Words = ENGLISH) -> list[str]:
    costs = Plot((0, 1), (0, 4.6), "y " + _("(probability of the correct digit)"), _("cost"),
                 _.decimal)
    se, ce = _("squared error"), _("cross-entropy")
    costs.curve(lambda y: (1 - y) ** 2 / 2, "#1f4e9e", f"{se} ½(1 − y)²", (0.01, 1))
    costs.curve(lambda y: -_ln(y), "#c0392b", f"{ce} −ln y", (0.01, 1))
    slopes = Plot((0, 1), (-1.05, 0.05), "y", "∂J/∂net", _.decimal)
    slopes.curve(lambda y: -(1 - y) * y * (1 - y), "#1f4e9e", se)
    slopes.curve(lambda y: y - 1, "#c0392b", ce)
    return [costs.svg(_("Squared error and cross-entropy against the output y")),
            slopes.svg(_("Their gradients with respect to net against the output y"))]


def _ln(y: float) -> float:
    return math_.log(y)


def _digits(fig: dict, decimals: int, _: Words = ENGLISH) -> list[str]:
    """The measured runs: accuracy and loss per epoch, both confusion matrices, the wrongly
    classified digits and the grid, as on the PDF."""
    se, ce, epochs = fig["runs"]["se"], fig["runs"]["ce"], fig["epochs"]
    accuracy = Plot((0, epochs), (0, 1), _("epoch"), _("test accuracy"), _.decimal)
    accuracy.legend_low = True
    line = fig["threshold"]
    if line is not None:
        accuracy.line([(0, line), (epochs, line)], "#888888",
                      _.number(f"{100 * line:g}") + " %", dash="5 4")
    curves = [(se, "#1f4e9e", _("squared error")), (ce, "#c0392b", _("cross-entropy"))]
    if "compare" in fig:  # the second optimizer's run of the cross-entropy network
        curves.append((fig["compare"], "#1e8449", _("cross-entropy, {optimizer}").format(
            optimizer=fig["compare"]["name"])))
    losses = [math_.log10(v) for run, _c, _n in curves for v in run["loss"]]
    loss = Plot((0, epochs), (math_.floor(min(losses)), math_.ceil(max(losses) + 1e-9)),
                _("epoch"), _("log₁₀ of the mean training loss"), _.decimal)
    for run, color, name in curves:
        accuracy.line(list(enumerate(run["accuracy"], start=1)), color, name)
        loss.line([(i, math_.log10(v)) for i, v in enumerate(run["loss"], start=1)], color,
                  name)
    out = [accuracy.svg(_("Test accuracy after each epoch, both networks")),
           loss.svg(_("Mean training loss after each epoch, both networks, on a log scale"))]
    for title, run in ((_("Squared error"), se), (_("Cross-entropy"), ce)):
        out.append(_confusion(title, run, decimals, _))
    out.append('<div class="digits">' + ("".join(
            digit_svg(m["pixels"], _("true {t}; CE: {ce}, SE: {se}").format(
                t=m["true"], ce=m["ce"], se=m["se"]),
                _("A test {t} that cross-entropy took for {ce} and squared error for "
                  "{se}").format(t=m["true"], ce=m["ce"], se=m["se"]), size=14)
            for m in fig["misclassified"])
        or html.escape(_("none: the cross-entropy network gets every test digit right")))
        + "</div>")
    grid = fig["grid"]
    head = "".join(f'<th scope="col">{html.escape(_("rate {r}").format(r=_.number(f"{r:g}")))}'
                   "</th>" for r in grid["rates"])
    rows = "".join(f'<tr><th scope="row">{h}</th>' + "".join(
        f"<td>{_.number(f'{100 * s:.1f} / {100 * c:.1f}')}</td>" for s, c in row) + "</tr>"
        for h, row in zip(grid["hidden"], grid["accuracy"]))
    caption = html.escape(_("Test accuracy (%) after {epochs} epochs, squared error / "
                            "cross-entropy").format(epochs=epochs))
    # five columns of "27.0 / 91.4" do not fit a phone: the table scrolls by itself, as the
    # confusion matrices do, rather than break a cell's pair or run out of its figure
    out.append(f'<div class="matrix-wrap" tabindex="0" role="region" '
               f'aria-label="{caption}">'
               f'<table class="grid"><caption>{caption}</caption><tr><th scope="col">'
               f'{html.escape(_("hidden"))}</th>{head}</tr>{rows}</table></div>')
    return out


def _confusion(title: str, run: dict, decimals: int, _: Words = ENGLISH) -> str:
    head = "".join(f'<th scope="col">{k}</th>' for k in range(10))
    rows = "".join(f'<tr><th scope="row">{true}</th>' + "".join(
        f"<td><b>{n}</b></td>" if k == true else f"<td>{n}</td>" for k, n in enumerate(row))
        + "</tr>" for true, row in enumerate(run["confusion"]))
    said = html.escape(_("{title}: true digit (row), predicted digit (column)").format(
        title=title))
    # eleven columns do not fit a phone: the table scrolls by itself, reachable by keyboard
    return (f'<div class="matrix-wrap" tabindex="0" role="region" '
            f'aria-label="{html.escape(title)}">'
            f'<table class="confusion"><caption>{said}</caption><tr><td></td>{head}</tr>'
            f'{rows}</table></div>')


# figures that answer a question (where the walks end, whether every ball finds the lowest
# point): behind "after you have answered", with their captions
_AFTER = {"gradient_descent": (1, 3)}
_FIGURES = {"forward_matrix": _digit, "gradient_descent": _descent, "loss_comparison": _losses,
            "digits_classifier": _digits}
_CAPTIONS = {
    "forward_matrix": [N_("The digit as 64 pixels, darker for more ink."),
                       N_("f(Wx + b): the weights W, the pixels x divided by 16, and the biases "
                          "b.")],
    "gradient_descent": [N_("The cost C(w), its tangent at three points, and where each walk "
                            "starts."),
                         N_("Each dot is one step w ← w − η C′(w)."),
                         N_("A cost of two weights, C(w₁, w₂) = C(w₁) + w₂², a ball at each "
                            "start. The yellow ball stands where the two slices cross: solid "
                            "along w₁, dashed along w₂."),
                         N_("The balls rolling downhill from their starts: not every one "
                            "reaches the lowest point."),
                         N_("The solid slice: w₂ held at the ball's value, the cost against w₁. "
                            "Its slope at the ball is ∂C/∂w₁."),
                         N_("The dashed slice: w₁ held at the ball's value, the cost against "
                            "w₂, a parabola. Its slope at the ball is ∂C/∂w₂.")],
    "loss_comparison": [N_("The two costs against the output y for a target of 1."),
                        N_("Their gradients with respect to net, against the output y.")],
    "digits_classifier": [N_("Test accuracy after each epoch{line}."),
                          N_("The mean loss over the training digits after each epoch (the two "
                             "losses are not in the same units)."),
                          N_("The squared-error network's confusion matrix on the test digits: for "
                             "each true digit (a row), the digits it was taken for (the "
                             "columns); a count off the diagonal is a mistake."),
                          N_("The cross-entropy network's confusion matrix on the test digits."),
                          N_("Test digits the cross-entropy network gets wrong: the true "
                             "digit, and what each network predicted (CE: cross-entropy, SE: "
                             "squared error)."),
                          N_("Test accuracy for other hidden sizes and learning rates, every "
                             "run from the same random starting weights.")],
}
