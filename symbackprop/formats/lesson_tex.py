"""The lessons' and a matrix form's TeX (seed 000's pages): a lesson's worksheet and key, a
network's page of shapes, and the numbers their pictures (digits, surfaces, curves) are drawn
with, formatted here for pgfplots and TikZ."""

from __future__ import annotations

import math
import re

from pylatex.utils import NoEscape

from ..definitions.language import N_, words
from ..sheets.forms import as_prose
from . import latex
from .tex import babel_view, environment, number
from .texmath import TexMath

_KEY_NOTE = N_("every number was computed symbolically and checked numerically.")
_SLOPES = {"negative": N_("slope negative"), "positive": N_("slope positive"),
           "zero": N_("slope zero")}


def shapes_document(page) -> str:
    """One page: a network's matrix equations (sheets/shapes.py's ShapesPage), every matrix
    with its shape under it."""
    template = environment(page.language).get_template("shapes.tex.j2")
    return template.render(
        title=page.title, subtitle=page.subtitle, words=page.words,
        babel=babel_view(page.language),
        note=TexMath("matrix", None, words(page.language).decimal).prose(page.note),
        equations=[{"caption": caption, "latex": latex.NoEscape(_equation_tex(e))}
                   for e, caption in zip(page.equations, page.captions)])


def _equation_tex(e) -> str:
    """lhs = operands, each with its shape under it (\\underset)."""
    def under(label: str, shape: tuple[int, int]) -> str:
        return rf"\underset{{{shape[0]}\times {shape[1]}}}{{{_matrix_tex(label)}}}"

    def shape(a) -> tuple[int, int]:
        return (a.shape[0], 1) if a.ndim == 1 else a.shape

    ops = {"⊙": r"\odot", "−": "-", "": r"\;"}
    right = under(*next((n, shape(a)) for n, a in e.operands[:1]))
    for op, (n, a) in zip(e.ops, e.operands[1:]):
        right += f" {ops[op]} {under(n, shape(a))}"
    if e.scale != 1.0:
        right = rf"\tfrac{{1}}{{{round(1 / e.scale)}}}\, {right}"
    return f"{under(e.lhs, shape(e.value))} = {right}"


def _matrix_tex(label: str) -> str:
    """The matrix form's names as LaTeX: δ^2 → \\delta^{(2)}, (W^2)ᵀ, ∂J/∂W^1, f′(net^1), ..."""
    if label.startswith("∂J/∂"):
        return rf"\frac{{\partial J}}{{\partial {_matrix_tex(label[4:])}}}"
    text = label.replace("(", r"\left(").replace(")", r"\right)")
    text = re.sub(r"\^(\d+)", r"^{(\1)}", text)
    for plain, tex_ in (("∇_out", r"\nabla_{\mathrm{out}}"), ("δ", r"\delta"), ("f′", "f'"),
                        ("net", r"\mathrm{net}"), ("out^", r"\mathrm{out}^"), ("ᵀ", "^{T}")):
        text = text.replace(plain, tex_)
    return r"\mathbf{1}" + text[1:] if text.startswith("1") else text


def lesson_document(sheet, key: bool) -> str:
    from ..sheets.lessons import lesson_subtitle  # here: `check` imports this module, fast

    _ = words(sheet.language)
    template = environment(sheet.language).get_template("lesson.tex.j2")
    tex = TexMath("matrix", None, _.decimal)
    sections = [{"title": tex.prose(title),
                 "rows": [{"text": tex.prose(row.text), "answer": row.answer,
                           "shown": _lesson_shown(sheet, row.answer, tex)
                           if row.answer else None}
                          for row in rows]}
                for title, rows in sheet.sections]
    return template.render(title=sheet.title, kind=sheet.kind, key=key, decimals=sheet.decimals,
                           seed=sheet.seed,
                           kind_words=lesson_subtitle(sheet.title, sheet.kind, _),
                           key_note=sheet.figures.get("key_note", _(_KEY_NOTE)),
                           intro=tex.prose(as_prose(sheet.intro)), sections=sections,
                           fig=_figure(sheet, tex), closing=sheet.figures.get("closing"),
                           babel=babel_view(sheet.language), comma=_.decimal == ",")


def _lesson_shown(sheet, answer, tex) -> NoEscape:
    """A lesson's answer in its key: the numbers put in, where it is worked out, then it."""
    working = sheet.workings.get(answer.label)
    shown = lesson_number(sheet, answer).replace(".", tex.decimal)
    return NoEscape(shown if working is None else f"{tex(working)} = {shown}")


def lesson_number(sheet, answer) -> str:
    """An answer as the key prints it: a count or a digit as a whole number, else `decimals`."""
    whole = answer.label in sheet.figures.get("whole", ())
    return number(answer.value, 0 if whole else sheet.decimals)


def digit_cells(pixels) -> list[dict]:
    """The inked squares of an 8 × 8 digit (pixels 0..16, row by row): x, y, grey 0..100."""
    return [{"x": i % 8, "y": -(i // 8) - 1, "shade": round(100 * p / 16)}
            for i, p in enumerate(pixels) if p]


def _figure(sheet, tex: TexMath) -> dict:
    f, d, _ = sheet.figures, sheet.decimals, words(sheet.language)

    def math(text: str) -> str:  # a number in mathematics, with the language's decimal sign
        return in_math(text, tex)
    if sheet.kind == "forward_matrix":
        rows = [" & ".join(math(f"{w + 0.0:.2f}") for w in first)
                + rf" & \cdots & {math(f'{last + 0.0:.2f}')}"
                for first, last in zip(f["W_first"], f["W_last"])]
        xs = [math(f"{v:.4g}") for v in f["x"][:4]] + [r"\vdots", math(f"{f['x'][-1]:.4g}")]
        caption = NoEscape(latex.text(_("the digit {d}, 8 × 8 pixels").format(d=f["digit"]))
                           .replace("×", r"$\times$"))
        return {"image": {"cells": digit_cells(f["image"]), "caption": caption},
                "n": len(f["b"]),
                "W_tex": NoEscape(r" \\ ".join(rows)), "x_tex": NoEscape(r" \\ ".join(xs)),
                "b_tex": NoEscape(r" \\ ".join(math(f"{v:.2f}") for v in f["b"])),
                "table": [(j, NoEscape(math(number(n, d))), NoEscape(math(number(o, d))))
                          for j, n, o in f["table"]]}
    if sheet.kind == "gradient_descent":
        return _descent_figure(f, _, tex)
    if sheet.kind == "digits_classifier":
        return _digits_figure(f, d, sheet.seed, _)
    if sheet.kind == "loss_comparison":  # four blanks a y: its costs, then its gradients
        labels = [a.label for a in sheet.answers]
        return {"table": None, "loss_rows": [
            (NoEscape(math(f"{y:g}")), labels[4 * i:4 * i + 4])
            for i, y in enumerate(f["probabilities"])]}
    return {"table": None}


def _pgf(poly, x: str = "x") -> NoEscape:
    """A polynomial's coefficients as pgfplots reads them: (3) + (1)*x + (-3)*x^2 + ..."""
    return NoEscape(" + ".join(f"({c!r})" + (f"*{x}^{k}" if k else "")
                               for k, c in enumerate(poly) if c) or "0")


def sentence(message: str, **maths: str) -> NoEscape:
    """A translated sentence's words escaped, its {name}s the LaTeX mathematics they name.

    >>> print(sentence("the cost {c}, 50% of it", c=r"C(w) = w^2"))
    the cost $C(w) = w^2$, 50\\% of it
    """
    pieces = re.split(r"\{(\w+)\}", message)
    return NoEscape("".join(f"${maths[p]}$" if i % 2 else latex.text(p)
                            for i, p in enumerate(pieces)))


def in_math(number_text: str, tex: TexMath) -> str:
    """A number written with a point as the sheet's mathematics writes it: 0{,}5 in French."""
    return number_text.replace(".", tex.decimal)


def _descent_figure(f: dict, _, tex: TexMath) -> dict:
    """Numbers for pgfplots, formatted here: plain text would have its minus signs escaped;
    those printed in the caption's mathematics with the language's decimal sign."""
    def coords(points) -> NoEscape:
        return NoEscape(" ".join("(" + ",".join(f"{v:.4f}" for v in p) + ")" for p in points))

    (lo, hi), (bottom, top) = f["span"], f["range"]
    span = top - bottom
    tangents = [{"w": NoEscape(f"{w:.4f}"), "c": NoEscape(f"{c:.6f}"),
                 "m": NoEscape(f"{m:.6f}"), "sign": _(_SLOPES[sign]),
                 "lo": NoEscape(f"{w - 0.45:.3f}"),
                 "hi": NoEscape(f"{w + 0.45:.3f}"),
                 # a zero slope's words under its valley, where nothing is drawn; the others
                 # over the tangent, inside the plot
                 "label_y": NoEscape(f"{c - 0.05 * span:.3f}" if sign == "zero" else
                                     f"{min(c + 0.1 * span, top - 0.1 * span):.3f}"),
                 "anchor": NoEscape("north" if sign == "zero" else
                                    "south west" if w < (lo + hi) / 2 else "south east")}
                for w, c, m, sign in f["tangents"]]
    colors = ["black", "orange!80!black", "teal", "violet"]
    paths = [{"color": NoEscape(colors[i % 4]), "coords": coords(p), "start": coords(p[:1])}
             for i, p in enumerate(f["paths"])]
    surface = f["surface"]
    balls = [{"color": NoEscape(colors[i % 4]), "coords": coords(b[::3]),
              "start": coords(b[:1])} for i, b in enumerate(surface["balls"])]
    p1, p2, _height = surface["at"]
    cost = _pgf(f["poly"])
    p1_tex, p2_tex = in_math(f"{p1:g}", tex), in_math(f"{p2:g}", tex)
    maths = {"cost": f"C(w) = {tex.print(f['cost_form'])}",
             "step": r"w \leftarrow w - \eta\,C'(w)",
             "surface": "C(w_1, w_2) = C(w_1) + w_2^2", "solid": f"w_2 = {p2_tex}",
             "dashed": f"w_1 = {p1_tex}", "at": f"({p1_tex}{tex.comma.strip()} {p2_tex})"}
    captions = {
        True: sentence(_("Left: the cost {cost}, its tangent at three points, and two walks "
                         "downhill (dots, each step {step}). Right: a cost of two weights, "
                         "{surface}, with balls rolling downhill from each start and the two "
                         "slices (solid: {solid}; dashed: {dashed}) through the ball at {at}."),
                       **maths),
        False: sentence(_("Left: the cost {cost}, its tangent at three points, and the two "
                          "starting points of the walks. Right: a cost of two weights, "
                          "{surface}, with a ball at each start and the two slices (solid: "
                          "{solid}; dashed: {dashed}) through the ball at {at}."), **maths)}
    lo3, hi3 = surface["span"]  # the surface's own, over the valleys and the starts
    ticks = [k for k in range(math.ceil(lo3), math.floor(hi3) + 1)
             if k - lo3 > 0.6 and hi3 - k > 0.6]
    return {"tangents": tangents, "paths": paths, "balls": balls, "table": None,
            "xmin": NoEscape(f"{lo:g}"), "xmax": NoEscape(f"{hi:g}"),
            "ymin": NoEscape(f"{bottom:.4f}"), "ymax": NoEscape(f"{top:.4f}"),
            "cost": cost, "captions": captions,
            "xticks3": NoEscape(",".join(map(str, ticks))), "at": coords([surface["at"]]),
            "xmin3": NoEscape(f"{lo3:g}"), "xmax3": NoEscape(f"{hi3:g}"),
            "p1": NoEscape(f"{p1!r}"), "p2": NoEscape(f"{p2!r}"),
            "cp1": NoEscape(f"({surface['cost_at_p1']!r})")}


_SQUARED_ERROR_TEX = {"half_sse": r"\tfrac12\sum_k (t_k - y_k)^2",
                      "sse": r"\sum_k (t_k - y_k)^2",
                      "mse": r"\tfrac1{10}\sum_k (t_k - y_k)^2"}


def _digits_figure(f: dict, d: int, seed: int, _) -> dict:
    """Both runs' curves, confusion matrices, wrongly classified digits and the grid, as LaTeX
    built here from numbers (plain text would have its minus signs and & escaped)."""
    runs = f["runs"]

    def coords(values):
        return NoEscape(" ".join(f"({i},{v:.6g})" for i, v in enumerate(values, start=1)))

    def matrix(title, run):
        rows = []
        for true, row in enumerate(run["confusion"]):
            cells = [rf"\textbf{{{n}}}" if k == true else (str(n) if n else r"\color{gray}0")
                     for k, n in enumerate(row)]
            rows.append(NoEscape(f"{true} & " + " & ".join(cells)))
        return {"title": title, "accuracy": _.number(f"{run['accuracy'][-1]:.{d}f}"),
                "header": NoEscape(" & ".join(map(str, range(10)))), "rows": rows}

    grid = f["grid"]
    grid_rows = [NoEscape(f"{h} & " + " & ".join(_.number(f"{100 * s:.1f} / {100 * c:.1f}")
                                                   for s, c in row))
                 for h, row in zip(grid["hidden"], grid["accuracy"])]
    se, ce = runs["se"], runs["ce"]
    columns = [se["loss"], se["accuracy"], ce["loss"], ce["accuracy"]]
    if "compare" in f:
        columns += [f["compare"]["loss"], f["compare"]["accuracy"]]
    epoch_rows = [NoEscape(_.number(f"{i} & " + " & ".join(f"{v:.{d}f}" for v in row)))
                  for i, row in enumerate(zip(*columns), start=1)]
    digits = [{"cells": digit_cells(m["pixels"]),
               "caption": NoEscape(latex.text(_("true {t}").format(t=m["true"])) + r"\\"
                                   + latex.text(_("CE: {ce}, SE: {se}").format(ce=m["ce"],
                                                                              se=m["se"])))}
              for m in f["misclassified"]]
    line = f["threshold"]
    ticks = [0, 0.2, 0.4, 0.6, 0.8, 1]  # and the questions' line, with no tick too close to it
    if line is not None:
        ticks = sorted([t for t in ticks if abs(t - line) > 0.06] + [line])
    maths = {"se": _SQUARED_ERROR_TEX[f["squared_error"]], "ce": r"-\sum_k t_k \ln y_k"}
    caption = sentence(_("Left: test accuracy after each epoch (the dashed line is {percent}). "
                         "Right: the mean loss over the training digits after each epoch: "
                         "squared error {se} with sigmoid outputs, cross-entropy {ce} with "
                         "softmax outputs (the two are not in the same units)."),
                       percent=_.number(f"{100 * line:g}").replace(",", "{,}") + r"\,\%",
                       **maths) if line is not None else sentence(
        _("Left: test accuracy after each epoch. Right: the mean loss over the training digits "
          "after each epoch: squared error {se} with sigmoid outputs, cross-entropy {ce} with "
          "softmax outputs (the two are not in the same units)."), **maths)
    second = f.get("compare")  # the second optimizer's run of the cross-entropy network
    if second is not None:
        caption = NoEscape(caption + " " + latex.text(_(
            "Green: the cross-entropy network trained with {optimizer}.").format(
            optimizer=second["name"])))
    return {"epochs": f["epochs"], "caption": caption,
            "second": second and {"accuracy": coords(second["accuracy"]),
                                  "loss": coords(second["loss"]),
                                  "legend": latex.text(_("cross-entropy, {optimizer}").format(
                                      optimizer=second["name"]))},
            "threshold": NoEscape(f"{line:g}") if line is not None else None,
            "yticks": NoEscape(",".join(f"{t:g}" for t in ticks)),
            "se_accuracy": coords(se["accuracy"]), "ce_accuracy": coords(ce["accuracy"]),
            "se_loss": coords(se["loss"]), "ce_loss": coords(ce["loss"]),
            "confusions": [matrix(_("Squared error"), se), matrix(_("Cross-entropy"), ce)],
            "digits": digits, "grid_columns": NoEscape("c" * len(grid["rates"])),
            "grid_span": len(grid["rates"]) + 1,
            "grid_header": NoEscape(" & ".join(latex.text(_("rate {r}").format(
                r=_.number(f"{r:g}"))) for r in grid["rates"])),
            "grid_rows": grid_rows, "conclusion": f["conclusion"], "epoch_rows": epoch_rows,
            "seed": seed, "table": None}
