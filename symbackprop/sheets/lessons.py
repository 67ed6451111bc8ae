"""The infographic's other pages (seed 000) as worksheets: f(Wx + b) on a digit, gradient
descent, and squared error against cross-entropy. Each number is computed symbolically and
checked numerically.
The digits classifier, trained and measured, is digits_lesson.py.

>>> from symbackprop.definitions.definition import parse
>>> sheet = build(parse('''kind: loss_comparison
... title: Losses
... lesson: {probabilities: [0.5]}'''))
>>> [(a.name, round(a.exact, 4)) for a in sheet.answers]
[('SE(0.5)', 0.125), ('CE(0.5)', 0.6931), ('dSE/dnet(0.5)', -0.125), ('dCE/dnet(0.5)', -0.5)]
"""

from __future__ import annotations

import json
import re

import numpy as np
import sympy as sp

from ..definitions.definition import Definition, Lesson, Network, Values
from ..definitions.errors import DefinitionError, VerificationError
from ..definitions.language import ENGLISH, N_, Words, words
from ..definitions.rounding import rounded as sheet_rounded
from ..engine.sample import Instance, generator
from ..engine.verify import run
from ..marking.keys import markable
from ..marking.scheme import evaluate
from .forms import Apply, Equation, Frac, Group, Neg, Number, Ops, Partial, Power, Prose, Symbol
from .lesson_parts import Asker, closing, key_lines, parts, ref
from .lesson_parts import agree as _agree
from .model import LessonSheet, Row, row  # noqa: F401 - the lessons' model
from .rules import activation_form
from .worked import scheme_of


def build(lesson: Lesson) -> LessonSheet:
    if lesson.kind == "digits_classifier":  # trained and measured: a module of its own
        from . import digits_lesson

        return digits_lesson.build(lesson)
    if lesson.kind == "gradient_descent":  # a cost of the teacher's, walked: its own module
        from . import descent_lesson

        return descent_lesson.build(lesson)
    return {"forward_matrix": _forward, "loss_comparison": _losses}[lesson.kind](lesson)


# What each kind has the student do: a sheet's subtitle, unless its title says it already
_SUBTITLES = {"forward_matrix": N_("One layer of a network on an 8 × 8 image: f(Wx + b)"),
              "gradient_descent": N_("Slopes, minima and steps downhill"),
              "loss_comparison": N_("Two costs and their gradients, compared"),
              "digits_classifier": N_("Two networks trained on handwritten digits, compared")}


def lesson_subtitle(title: str, kind: str, _: Words = ENGLISH) -> str:
    """The subtitle under a lesson's title, or "" where every word of it is in the title
    already (a subtitle that repeats its title tells the reader nothing).

    >>> lesson_subtitle("Gradient descent", "gradient_descent")
    'Slopes, minima and steps downhill'
    >>> lesson_subtitle("Slopes, minima and steps downhill", "gradient_descent")
    ''
    """
    said = _(_SUBTITLES[kind])
    if set(_words(said)) <= set(_words(title)):
        return ""
    return said


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def key_json(lesson: Lesson, sheet: LessonSheet) -> dict:
    options = {k: v for k, v in lesson.__dict__.items() if k not in (
        "source", "title", "kind", "decimals", "seed", "language", "compare", "compare_rate",
        "compare_epochs")}
    if lesson.compare is not None:  # as the definition wrote it
        options["compare_optimizer"] = {
            "optimizer": {"name": lesson.compare.name} | lesson.compare.settings(),
            "learning_rate": lesson.compare_rate, "epochs_asked": list(lesson.compare_epochs)}
    definition = {"title": lesson.title, "kind": lesson.kind, "decimals": lesson.decimals,
                  "lesson": {k: list(v) if isinstance(v, tuple) else v
                             for k, v in options.items()}}
    definition["lesson"] |= sheet.figures.get("given", {})
    if lesson.language != "en":  # the feedback page and the page's words speak it
        definition["language"] = lesson.language
    shown = key_lines(sheet)  # each line as the key writes it: the feedback pages show it
    data = {"definition": definition, "seed": lesson.seed, "version": None,
            "answers": [a.__dict__ | ({"shown": shown[a.label]} if a.label in shown else {})
                        for a in sheet.answers],
            "scheme": scheme_of(sheet.blanks, sheet.decimals,  # the blanks' own trees
                                lesson.language, definition)}
    return markable(json.loads(json.dumps(data, allow_nan=False)), lesson.source)


# --- f(Wx + b) on one digit ------------------------------------------------------------


def _forward(lesson: Lesson) -> LessonSheet:
    rng = generator(lesson.seed, 0)
    n, d = lesson.hidden, lesson.decimals
    x = tuple(p / 16 for p in lesson.image)
    W = np.round(rng.uniform(-0.2, 0.2, (n, 64)), 2)
    b = np.round(rng.uniform(-0.5, 0.5, n), 2)
    values = Values(x, (0.0,) * n, (tuple(map(tuple, W.tolist())),),
                    (tuple(b.tolist()),))
    network = Network((64, n), (lesson.activation,), "half_sse", "per_neuron")
    defn = Definition(lesson.source, lesson.title, network, values)
    # the engine's three-way check: SymPy substitution against NumPy, for every net and out
    result = run(defn, Instance(network, values, 0.5, True))
    _ = words(lesson.language)
    sheet = LessonSheet(lesson.title, lesson.kind, d, lesson.seed, _(_FORWARD_INTRO), [],
                        language=lesson.language)
    ask = Asker(sheet)
    Wx = Ops((Symbol("W"), Symbol("x")), ("",))
    Wxb = Ops((Wx, Symbol("b")), ("+",))
    shapes = [row(*parts(_("Shape of the weights {W}: {n} × 64 (one row per neuron)"),
                         W=Symbol("W"), n=str(n))),
              row(*parts(_("Shape of the input {x}: 64 × 1 (the 8 × 8 image, row by row)"),
                         x=Symbol("x"))),
              row(*parts(_("Shape of {Wx}: ({n} × 64)·(64 × 1) = {n} × 1"), Wx=Wx, n=str(n))),
              row(*parts(_("Shape of {Wxb}: {n} × 1 + {n} × 1 = {n} × 1"), Wxb=Wxb, n=str(n)))]
    inkiest = max(range(8), key=lambda r: sum(p > 0 for p in lesson.image[8 * r:8 * r + 8]))
    slice_terms = [(k, W[0][k], x[k]) for k in range(8 * inkiest, 8 * inkiest + 8)]
    partial = float(sum(w * xi for _, w, xi in slice_terms))
    rest = result.values["net[1][1]"] - partial - b[0]
    _agree("slice of net[1][1]", partial + rest + b[0], result.values["net[1][1]"])
    by_hand = [row(Equation((Ops((Symbol("w", sub=f"1,{k + 1}"), Symbol("x", sub=str(k + 1))),
                                 ("",)), Ops((Number(w, 2), Number(xi)), ("·",)))))
               for k, w, xi in slice_terms]
    net_1, out_1 = Symbol("net", sub="1", word=True), Symbol("out", sub="1", word=True)
    row_sum = f"net[1][1] row {inkiest + 1}"
    by_hand.append(row(_("Sum of these 8 products (row {r} of the image, the inkiest) =").format(
                           r=inkiest + 1),
                       answer=ask(row_sum, partial, ["add", *(["mul", float(w), float(xi)]
                                                              for _, w, xi in slice_terms)])))
    # the sheet prints the other products' sum rounded: the answers are worked from that
    shown_rest, bias = sheet_rounded(rest, d), float(b[0])
    net = partial + shown_rest + bias
    if abs(net - result.values["net[1][1]"]) > 0.5 * 10.0 ** -d * (1 + 1e-9):
        raise VerificationError("net[1][1] from the printed sum is not the engine's")
    by_hand.append(row(*parts(_("The other 56 products add up to {rest} and {b}, so {net} ="),
                              rest=Number(rest, d), net=net_1,
                              b=Equation((Symbol("b", sub="1"), Number(b[0], 2)))),
                       answer=ask("net[1][1]", net, ["add", ref(row_sum), shown_rest, bias],
                                  [("no_bias", ["add", ref(row_sum), shown_rest]),
                                   ("slice_for_net", ref(row_sum))])))
    out, out_mistakes = _out_trees(lesson.activation, ref("net[1][1]"))
    exact_out = evaluate(out, {"net[1][1]": net}.get)
    _agree("out[1][1]'s tree against the engine",  # the tree is f: on the engine's net, its out
           evaluate(out, {"net[1][1]": result.values["net[1][1]"]}.get),
           result.values["out[1][1]"])
    by_hand.append(row(*parts(_("{out_is}, where {f}: {out} ="),
                              out_is=Equation((out_1, Apply("f", (net_1,)))),
                              f=_f_written(lesson.activation), out=out_1),
                       answer=ask("out[1][1]", exact_out, out, out_mistakes,
                                  working=_out_working(lesson.activation,
                                                       sheet.answers[-1].value))))
    table = [(j, result.values[f"net[1][{j}]"], result.values[f"out[1][{j}]"])
             for j in range(1, n + 1)]
    sheet.sections = [(Prose(parts(_("Shapes: {Wxb}"), Wxb=Wxb)), shapes),
                      (Prose((_("A slice by hand"),)), by_hand)]
    sheet.figures = {"image": lesson.image, "W_first": W[:, :4].tolist(),
                     "W_last": W[:, -1].tolist(), "b": b.tolist(), "table": table,
                     "x": x, "digit": lesson.digit,
                     "given": {"weights": W.tolist(), "biases": b.tolist()}}
    return sheet


def _out_trees(activation: str, net) -> tuple[list, list]:
    """f(net) as the scheme's tree, and what a pupil gets instead: net itself, σ(−net)."""
    tree = {"sigmoid": ["div", 1, ["add", 1, ["exp", ["neg", net]]]], "tanh": ["tanh", net],
            "relu": ["max", 0, net]}[activation]
    mistakes = [("net_for_out", net)]
    if activation == "sigmoid":
        mistakes.append(("sigmoid_of_negative", ["div", 1, ["add", 1, ["exp", net]]]))
    return tree, mistakes


def _out_working(activation: str, net: float):
    """f(net) with the number put in, as the sheet writes f: 1/(1 + e^−(−0.31))."""
    written = activation_form(activation, Group(Number(net)) if net < 0 else Number(net))
    return written.sides[-1] if isinstance(written, Equation) else written


def _f_written(activation: str) -> Equation:
    """f said as a formula a pupil can work with (f(z) = 1/(1 + e^−z)), not by its name."""
    z = Symbol("z")
    written = activation_form(activation, z)
    return Equation((Apply("f", (z,)), *(written.sides[1:] if isinstance(written, Equation)
                                         else (written,))))


_FORWARD_INTRO = N_("An 8 by 8 image of a handwritten digit is 64 numbers. Each hidden neuron "
                  "multiplies all 64 by its own weights, adds them up with its bias, and applies "
                  "the activation: f(Wx + b). Pixels (0 to 16) are divided by 16, so each input "
                  "lies between 0 and 1.")


# --- squared error against cross-entropy --------------------------------------------------


def _losses(lesson: Lesson) -> LessonSheet:
    d, _ = lesson.decimals, words(lesson.language)
    sheet = LessonSheet(lesson.title, lesson.kind, d, lesson.seed,
                        Prose.of(_(_LOSSES_INTRO), **_LOSSES_INTRO_FORMS), [],
                        language=lesson.language)
    ask = Asker(sheet)
    z = sp.Symbol("z", real=True)
    y = 1 / (1 + sp.exp(-z))
    se, ce = (1 - y) ** 2 / 2, -sp.log(y)  # the squared error with its ½, as a textbook
    rows = []
    for p in lesson.probabilities:
        net = float(np.log(p / (1 - p)))  # the net that gives out = p
        values = []
        for name, expr in (("SE", se), ("CE", ce)):
            loss = float(expr.subs(z, net))
            slope = float(sp.diff(expr, z).subs(z, net))
            f = sp.lambdify(z, expr)  # of the loss itself, not of our derivative
            h = 1e-5
            if abs(slope - (f(net + h) - f(net - h)) / (2 * h)) > 1e-8:
                raise VerificationError(f"d{name}/dnet at y = {p} disagrees with differences")
            values.append((name, loss, slope))
        y_is = Equation((Symbol("y"), Number(p)))
        trees = _loss_trees(p)
        for name, loss, _slope in values:
            answer = _never_zero(lesson, p, name, ask(f"{name}({p:g})", loss, *trees[name]))
            rows.append(row(*parts(_(_LOSS_ROWS[name]), y=y_is, cost=_LOSS_FORMS[name]),
                            answer=answer))
        for name, _loss, slope in values:
            answer = _never_zero(lesson, p, f"d{name}/dnet",
                                 ask(f"d{name}/dnet({p:g})", slope, *trees[f"d{name}"]))
            # "for J = (1 − y)²: ∂J/∂net =", never "∂J/∂net for (1 − y)² =" (read as a square
            # that is negative)
            rows.append(row(*parts(_(_SLOPE_ROWS[name]), y=y_is,
                                   cost=Equation((Symbol("J"), _LOSS_FORMS[name])),
                                   slope=Partial(Symbol("J"), _NET)), answer=answer))
    sheet.sections = [(Prose((_("The two costs for one training example (target 1)"),)),
                       rows)]
    sheet.figures = {"probabilities": list(lesson.probabilities)}
    sheet.figures["closing"] = closing(_("What do your numbers say?"), _(LOSSES_QUESTION),
                                       [losses_answer(sheet, _)], space="5cm")  # explained
    return sheet


_NEVER_ZERO = {"SE": "the squared error (1 − y)²", "CE": "the cross-entropy −ln y",
               "dSE/dnet": "the squared error's ∂J/∂net", "dCE/dnet": "the cross-entropy's ∂J/∂net"}


def _never_zero(lesson: Lesson, p: float, name: str, answer):
    """No cost or gradient is 0 at a y strictly between 0 and 1, so one the key rounds to 0
    is a zero that is not one (y = 0.99999 at 4 decimals): a sheet whose point is that
    cross-entropy's gradient does not vanish would teach that it does. Refused, as a dense
    sheet's false zero is."""
    if answer.value != 0:
        return answer
    d = lesson.decimals
    raise DefinitionError(lesson.source, "lesson.probabilities", f"at y = {p:g}, "
                          f"{_NEVER_ZERO[name]} is {answer.exact:.3g}, which rounds to "
                          f"{0:.{d}f} at {d} decimals: the sheet would teach a zero that is "
                          "not one; give more decimals, or probabilities further from 0 and 1")


def _loss_trees(y: float) -> dict:
    """Each cost and gradient at the output y as the scheme's tree (with the key's line where
    the tree's own would not read as a teacher writes it), and the mistakes a pupil makes."""
    miss = ["sub", 1, y]  # 1 − y, the distance from the target
    grad = ["mul", -1, miss, y, miss]  # −(1 − y)·y(1 − y): the ½ cancels the square's 2
    half = Frac(Number(1), Number(2), small=True)
    gap = Group(Ops((Number(1), Number(y)), ("−",)))  # (1 − y) with the row's y put in
    return {"SE": (["mul", 0.5, ["pow", miss, 2]], [("square_missing", ["mul", 0.5, miss]),
                                                     ("half_missing", ["pow", miss, 2])],
                   Ops((half, Power(gap, Number(2))), ("",))),
            "CE": (["neg", ["log", y]], [("log10_for_ln", ["neg", ["div", ["log", y],
                                                                   ["log", 10]]])],
                   Neg(Apply("ln", (Number(y),)))),
            "dSE": (grad, [("slope_of_y_only", ["mul", -1, miss]),
                           ("half_not_cancelled", ["mul", -2, miss, y, miss]),
                           ("opposite_sign", ["mul", 1, miss, y, miss])],
                    Ops((Neg(gap), Number(y), gap), ("·", "·"))),
            "dCE": (["sub", y, 1], [("slope_of_y_only", ["neg", ["div", 1, y]]),
                                    ("sign", ["sub", 1, y])])}


_Y, _NET = Symbol("y"), Symbol("net", word=True)
_ONE_MINUS_Y = Group(Ops((Number(1), _Y), ("−",)))
_LOSS_FORMS = {"SE": Ops((Frac(Number(1), Number(2), small=True), Power(_ONE_MINUS_Y, Number(2))),
                      ("",)),
               "CE": Neg(Apply("ln", (_Y,)))}
_LOSS_ROWS = {"SE": N_("{y}: squared error {cost} ="), "CE": N_("{y}: cross-entropy {cost} =")}
# {cost} is the equation J = ½(1 − y)², set as mathematics
_SLOPE_ROWS = {"SE": N_("{y}, for the squared error {cost}: {slope} ="),
               "CE": N_("{y}, for the cross-entropy {cost}: {slope} =")}
# the words' mathematics ({…}) set as mathematics, from the same forms as the lines below
_LOSSES_INTRO = N_("A classifier's output {y_is} is the probability it gives the correct digit "
                   "(target 1). Squared error {se} and cross-entropy {ce} both shrink as {y} "
                   "grows. Gradient descent changes {net} in proportion to the gradient "
                   "{gradient}, which is {dse} for squared error and {dce} for cross-entropy. "
                   "Work out both costs and both gradients for each output {y} below: which "
                   "of the two costs would you train a classifier with, and why?")
_LOSSES_INTRO_FORMS = {
    "y_is": Equation((_Y, Apply("σ", (_NET,)))), "se": _LOSS_FORMS["SE"],
    "ce": _LOSS_FORMS["CE"], "y": _Y, "net": _NET, "gradient": Partial(Symbol("J"), _NET),
    "dse": Ops((Neg(_ONE_MINUS_Y), Ops((_Y, _ONE_MINUS_Y), ("",))), ("·",)),
    "dce": Ops((_Y, Number(1)), ("−",))}
LOSSES_QUESTION = N_("A network is confidently wrong: it gives the correct digit a probability "
                   "near 0. With which cost does a step of gradient descent change its net "
                   "more, and which would you train it with? Use your answers.")


def losses_answer(sheet: LessonSheet, _: Words = ENGLISH) -> str:
    """The key's answer to LOSSES_QUESTION, worded from the sheet's own numbers: at the
    smallest probability asked, the two gradients' sizes."""
    p = min(sheet.figures["probabilities"])
    value = {a.name: a.exact for a in sheet.answers}
    se, ce = abs(value[f"dSE/dnet({p:g})"]), abs(value[f"dCE/dnet({p:g})"])
    said = (_("At y = {y} the gradient is {ce} in size for cross-entropy and {se} for squared "
              "error: cross-entropy's is {ratio} times squared error's, so a step with "
              "cross-entropy changes net more, and the network learns its way out of its "
              "mistake faster with cross-entropy.") if ce > se else
            _("At y = {y} the gradient is {ce} in size for cross-entropy and {se} for squared "
              "error: squared error's is {ratio} times cross-entropy's, so a step with squared "
              "error changes net more, and the network learns its way out of its mistake "
              "faster with squared error."))
    return said.format(y=_.number(f"{p:g}"), ce=_.number(f"{ce:.4f}"),
                       se=_.number(f"{se:.4f}"),
                       ratio=_.number(f"{max(ce, se) / min(ce, se):.1f}")) + " " + _(
        "Squared error's gradient vanishes as y goes to 0, because of the factor y(1 − y) of "
        "the sigmoid; cross-entropy's tends to −1.")
