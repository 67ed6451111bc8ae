"""Seed 000's other pages as worksheets: f(Wx + b) on a digit, gradient descent, and squared
error against cross-entropy. Each number is computed symbolically and checked numerically.
The digits classifier, trained and measured, is digits_lesson.py.

>>> from symbackprop.definitions.definition import parse
>>> sheet = build(parse('''kind: loss_comparison
... title: Losses
... lesson: {probabilities: [0.5]}'''))
>>> [(a.name, round(a.exact, 4)) for a in sheet.answers]
[('SE(0.5)', 0.25), ('CE(0.5)', 0.6931), ('dSE/dnet(0.5)', -0.25), ('dCE/dnet(0.5)', -0.5)]
"""

from __future__ import annotations

import re

import numpy as np
import sympy as sp

from ..definitions.definition import Definition, Lesson, Network, Values
from ..definitions.errors import VerificationError
from ..engine.sample import Instance, generator
from ..engine.verify import rel_err, run
from ..marking.scheme_writer import with_scheme
from .forms import Apply, Equation, Group, Neg, Number, Ops, Partial, Power, Prose, Symbol
from .model import LessonSheet, Row, row  # noqa: F401 - the lessons' model


def build(lesson: Lesson) -> LessonSheet:
    if lesson.kind == "digits_classifier":  # trained and measured: a module of its own
        from . import digits_lesson

        return digits_lesson.build(lesson)
    return {"forward_matrix": _forward, "gradient_descent": _descent,
            "loss_comparison": _losses}[lesson.kind](lesson)


# What each kind has the student do: a sheet's subtitle, unless its title says it already
_SUBTITLES = {"forward_matrix": "One layer of a network on an 8 × 8 image: f(Wx + b)",
              "gradient_descent": "Slopes, minima and steps downhill",
              "loss_comparison": "Two costs and their gradients, compared",
              "digits_classifier": "Two networks trained on handwritten digits, compared"}


def lesson_subtitle(title: str, kind: str) -> str:
    """The subtitle under a lesson's title, or "" where every word of it is in the title
    already (a subtitle that repeats its title tells the reader nothing).

    >>> lesson_subtitle("Gradient descent", "gradient_descent")
    'Slopes, minima and steps downhill'
    >>> lesson_subtitle("Slopes, minima and steps downhill", "gradient_descent")
    ''
    """
    words = _SUBTITLES[kind]
    if set(_words(words)) <= set(_words(title)):
        return ""
    return words


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def closing(heading: str, question: str, answer: list[str], space: str = "3cm") -> dict:
    """The question a lesson ends with, asking the student to conclude: its heading, the
    question, the key's answer in sentences (worded from the sheet's numbers), and the space
    the worksheet leaves for it."""
    return {"heading": heading, "question": question, "answer": answer, "space": space}


def key_json(lesson: Lesson, sheet: LessonSheet) -> dict:
    options = {k: v for k, v in lesson.__dict__.items() if k not in ("source", "title", "kind",
                                                                    "decimals", "seed")}
    definition = {"title": lesson.title, "kind": lesson.kind, "decimals": lesson.decimals,
                  "lesson": {k: list(v) if isinstance(v, tuple) else v
                             for k, v in options.items()}}
    definition["lesson"] |= sheet.figures.get("given", {})
    return with_scheme({"definition": definition, "seed": lesson.seed, "version": None,
                        "answers": [a.__dict__ for a in sheet.answers]})


def _agree(what: str, a: float, b: float) -> None:
    if rel_err(a, b) > 1e-9:
        raise VerificationError(f"{what}: {a!r} (symbolic) vs {b!r} (numeric)")


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
    sheet = LessonSheet(lesson.title, lesson.kind, d, lesson.seed, _FORWARD_INTRO, [])
    Wx = Ops((Symbol("W"), Symbol("x")), ("",))
    Wxb = Ops((Wx, Symbol("b")), ("+",))
    shapes = [row("Shape of the weights ", Symbol("W"), f": {n} × 64 (one row per neuron)"),
              row("Shape of the input ", Symbol("x"), ": 64 × 1 (the 8 × 8 image, row by row)"),
              row("Shape of ", Wx, f": ({n} × 64)·(64 × 1) = {n} × 1"),
              row("Shape of ", Wxb, f": {n} × 1 + {n} × 1 = {n} × 1")]
    inkiest = max(range(8), key=lambda r: sum(p > 0 for p in lesson.image[8 * r:8 * r + 8]))
    slice_terms = [(k, W[0][k], x[k]) for k in range(8 * inkiest, 8 * inkiest + 8)]
    partial = float(sum(w * xi for _, w, xi in slice_terms))
    rest = result.values["net[1][1]"] - partial - b[0]
    _agree("slice of net[1][1]", partial + rest + b[0], result.values["net[1][1]"])
    by_hand = [row(Equation((Ops((Symbol("w", sub=f"1,{k + 1}"), Symbol("x", sub=str(k + 1))),
                                 ("",)), Ops((Number(w, 2), Number(xi)), ("·",)))))
               for k, w, xi in slice_terms]
    net_1, out_1 = Symbol("net", sub="1", word=True), Symbol("out", sub="1", word=True)
    by_hand.append(row(f"Sum of these 8 products (row {inkiest + 1} of the image, the inkiest) =",
                       answer=sheet.add(f"net[1][1] row {inkiest + 1}", partial)))
    by_hand.append(row("The other 56 products add up to ", Number(rest, d), " and ",
                       Equation((Symbol("b", sub="1"), Number(b[0], 2))), ", so ", net_1, " =",
                       answer=sheet.add("net[1][1]", result.values["net[1][1]"])))
    by_hand.append(row(Equation((out_1, Apply("f", (net_1,)))), " with ", Symbol("f"),
                       f" = {lesson.activation}",
                       answer=sheet.add("out[1][1]", result.values["out[1][1]"])))
    table = [(j, result.values[f"net[1][{j}]"], result.values[f"out[1][{j}]"])
             for j in range(1, n + 1)]
    sheet.sections = [(Prose(("Shapes: ", Wxb)), shapes),
                      (Prose(("A slice by hand",)), by_hand)]
    sheet.figures = {"image": lesson.image, "W_first": W[:, :4].tolist(),
                     "W_last": W[:, -1].tolist(), "b": b.tolist(), "table": table,
                     "x": x, "digit": lesson.digit,
                     "given": {"weights": W.tolist(), "biases": b.tolist()}}
    return sheet


_FORWARD_INTRO = ("An 8 by 8 image of a handwritten digit is 64 numbers. Each hidden neuron "
                  "multiplies all 64 by its own weights, adds them up with its bias, and applies "
                  "the activation: f(Wx + b). Pixels (0 to 16) are divided by 16, so each input "
                  "lies between 0 and 1.")


# --- gradient descent on a 1-D cost -------------------------------------------------------

W_ = sp.Symbol("w", real=True)
COST = W_**4 - 3 * W_**2 + W_ + 3  # a global minimum near -1.30, a local one near 1.13


def _slope(w: float) -> float:
    symbolic = float(sp.diff(COST, W_).subs(W_, w))
    cost = sp.lambdify(W_, COST)  # of the cost itself, not of our derivative
    h = 1e-4
    numeric = (8 * (cost(w + h / 2) - cost(w - h / 2)) - (cost(w + h) - cost(w - h))) / (6 * h)
    if abs(symbolic - numeric) > 1e-7 * max(1.0, abs(symbolic)):
        raise VerificationError(f"C'({w}): {symbolic} vs finite differences {numeric}")
    return symbolic


def _descent(lesson: Lesson) -> LessonSheet:
    d, eta = lesson.decimals, lesson.learning_rate
    sheet = LessonSheet(lesson.title, lesson.kind, d, lesson.seed, _DESCENT_INTRO, [])
    critical = sorted(float(r) for r in sp.Poly(sp.diff(COST, W_), W_).nroots(n=30)
                      if abs(sp.im(r)) < 1e-20)
    for r in critical:
        if abs(_slope(r)) > 1e-9:
            raise VerificationError(f"C'({r}) is not zero")
    cost = sp.lambdify(W_, COST)
    tangents = [(-2.0, "negative"), (1.6, "positive"), (critical[2], "zero")]
    w_ = Symbol("w")
    slope_zero = Equation((_SLOPE, Number(0)))
    rows = [row(Equation((Apply("C", (w_,)), _COST)), ", so ",
                Equation((Apply("C", (w_,), prime=True), _SLOPE)), ".")]
    for w, _ in tangents[:2]:
        rows.append(row("Slope of the tangent at ", Equation((w_, Number(w))), ": ",
                        Apply("C", (Number(w),), prime=True), " =",
                        answer=sheet.add(f"C'({w:g})", _slope(w))))
    rows.append(row("The slope is zero where ", slope_zero, ". Smallest such ", w_, ":",
                    answer=sheet.add("w* (global minimum)", critical[0])))
    rows.append(row("Largest such ", w_, " (a local minimum):",
                    answer=sheet.add("w* (local minimum)", critical[2])))
    at_minimum = Apply("C", (Symbol("w", sup="*"),))
    rows.append(row("Value of the cost at the local minimum, ", at_minimum, " =",
                    answer=sheet.add("C(local minimum)", cost(critical[2]))))
    rows.append(row("Value of the cost at the global minimum, ", at_minimum, " =",
                    answer=sheet.add("C(global minimum)", cost(critical[0]))))
    paths, walk_rows = [], []
    for s, start in enumerate(lesson.starts, start=1):
        w, path = start, [start]
        w0 = Equation((Symbol("w", sub="0"), Number(start)))
        for step in range(1, lesson.steps + 1):
            w_next = w - eta * _slope(w)
            if step <= 2:  # the first step from the given start, the second from their answer
                given = (w0,) if step == 1 else ("your ", Symbol("w", sub="1"))
                walk_rows.append(row(f"Start {s}: ", _step_form(step), " from ", *given, ":",
                                     answer=sheet.add(f"start {s}: w{step}", w_next)))
            w = w_next
            path.append(w)
        for _ in range(400):  # where it settles: keep descending
            w -= eta * _slope(w)
        walk_rows.append(row(f"Start {s} (", w0, ") settles at ", w_, " ≈",
                             answer=sheet.add(f"start {s}: settles at", w)))
        paths.append([(p, cost(p)) for p in path])
    descent = Ops((w_, Ops((w_, Ops((_ETA, Apply("C", (w_,), prime=True)), ("",))), ("−",))),
                  ("←",))
    sheet.sections = [(Prose(("The slope of the tangent",)), rows),
                      (Prose(("Walking downhill: ", descent, ", ",
                              Equation((_ETA, Number(eta))))), walk_rows)]
    sheet.figures = {"tangents": [(w, cost(w), _slope(w), sign) for w, sign in tangents],
                     "paths": paths, "surface_path": _surface_path()}
    return sheet


_ETA = Symbol("η")


def _power(n: int) -> Power:
    return Power(Symbol("w"), Number(n))


# C(w) = w⁴ − 3w² + w + 3 and C′(w) = 4w³ − 6w + 1, written as a pupil writes them
_COST = Ops((_power(4), Ops((Number(3), _power(2)), ("",)), Symbol("w"), Number(3)),
            ("−", "+", "+"))
_SLOPE = Ops((Ops((Number(4), _power(3)), ("",)), Ops((Number(6), Symbol("w")), ("",)),
              Number(1)), ("−", "+"))


def _step_form(step: int) -> Equation:
    """w_k = w_(k−1) − η C′(w_(k−1))."""
    before = Symbol("w", sub=str(step - 1))
    return Equation((Symbol("w", sub=str(step)), Ops((before, Ops((
        _ETA, Apply("C", (before,), prime=True)), ("",))), ("−",))))


_DESCENT_INTRO = ("A network learns by walking downhill on its cost. The slope of the tangent "
                  "says which way is down: where it is positive, step left; where it is "
                  "negative, step right; where it is zero, you are at the bottom of a valley, "
                  "which may not be the deepest one.")


def _surface_path() -> list[tuple[float, float, float]]:
    """Gradient descent on C(x, y) = x^4 - 3x^2 + x + 3 + y^2, from (0.4, 1.8)."""
    x, y = sp.symbols("x y", real=True)
    surface = COST.subs(W_, x) + y**2
    grad = sp.lambdify((x, y), [sp.diff(surface, x), sp.diff(surface, y)])
    value = sp.lambdify((x, y), surface)
    point, path = np.array([0.4, 1.8]), []
    for _ in range(25):
        path.append((float(point[0]), float(point[1]), float(value(*point))))
        point = point - 0.05 * np.array(grad(*point))
    return path


# --- squared error against cross-entropy --------------------------------------------------


def _losses(lesson: Lesson) -> LessonSheet:
    d = lesson.decimals
    sheet = LessonSheet(lesson.title, lesson.kind, d, lesson.seed, _LOSSES_INTRO, [])
    z = sp.Symbol("z", real=True)
    y = 1 / (1 + sp.exp(-z))
    se, ce = (1 - y) ** 2, -sp.log(y)
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
        for name, loss, _ in values:
            rows.append(row(y_is, ": ", *_LOSS_NAMES[name], " =",
                            answer=sheet.add(f"{name}({p:g})", loss)))
        for name, _, slope in values:
            rows.append(row(y_is, ": ", Partial(Symbol("J"), Symbol("net", word=True)), " for ",
                            *_LOSS_NAMES[name], " =",
                            answer=sheet.add(f"d{name}/dnet({p:g})", slope)))
    sheet.sections = [(Prose(("The two costs for one training example (target 1)",)), rows)]
    sheet.figures = {"probabilities": list(lesson.probabilities)}
    sheet.figures["closing"] = closing("What do your numbers say?", LOSSES_QUESTION,
                                       [losses_answer(sheet)])
    return sheet


_LOSS_NAMES = {"SE": ("squared error ", Power(Group(Ops((Number(1), Symbol("y")), ("−",))),
                                                  Number(2))),
               "CE": ("cross-entropy ", Neg(Apply("ln", (Symbol("y"),))))}
_LOSSES_INTRO = ("A classifier's output y = σ(net) is the probability it gives the correct "
                 "digit (target 1). Squared error (1 − y)² and cross-entropy −ln y both shrink as "
                 "y grows. Gradient descent changes net in proportion to the gradient ∂J/∂net, "
                 "which is −2(1 − y)·y(1 − y) for squared error and y − 1 for cross-entropy. "
                 "Work out both costs and both gradients for each output y below.")
LOSSES_QUESTION = ("A network is confidently wrong: it gives the correct digit a probability "
                   "near 0. With which cost does a step of gradient descent change its net "
                   "more, and which would you train it with? Use your answers.")


def losses_answer(sheet: LessonSheet) -> str:
    """The key's answer to LOSSES_QUESTION, worded from the sheet's own numbers: at the
    smallest probability asked, the two gradients' sizes."""
    p = min(sheet.figures["probabilities"])
    value = {a.name: a.exact for a in sheet.answers}
    se, ce = abs(value[f"dSE/dnet({p:g})"]), abs(value[f"dCE/dnet({p:g})"])
    more, less = ("cross-entropy", "squared error") if ce > se else ("squared error",
                                                                     "cross-entropy")
    return (f"At y = {p:g} the gradient is {ce:.4f} in size for cross-entropy and {se:.4f} for "
            f"squared error: {more}'s is {max(ce, se) / min(ce, se):.1f} times {less}'s, so a "
            f"step with {more} changes net more, and the network learns its way out of its "
            f"mistake faster with {more}. Squared error's gradient vanishes as y goes to 0, "
            "because of the factor y(1 − y) of the sigmoid; cross-entropy's tends to −1.")
