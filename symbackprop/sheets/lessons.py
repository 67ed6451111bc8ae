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

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..definitions.definition import Definition, Lesson, Network, Values
from ..definitions.errors import VerificationError
from ..engine.sample import Instance, generator
from ..engine.verify import rel_err, run
from ..formats.tex import number
from ..marking.scheme_writer import with_scheme
from .worksheet import Answer, label


@dataclass
class Row:
    """One line of a lesson: a question (LaTeX) and its answer, or a worked line."""

    text: str  # LaTeX, built here from numbers and fixed words
    answer: Answer | None = None


@dataclass
class LessonSheet:
    title: str
    kind: str
    decimals: int
    seed: int
    intro: str
    sections: list[tuple[str, list[Row]]]
    answers: list[Answer] = field(default_factory=list)
    figures: dict = field(default_factory=dict)  # data for the template's pictures

    def add(self, name: str, exact: float) -> Answer:
        a = Answer(label(len(self.answers)), name, round(exact, self.decimals) + 0.0, exact)
        self.answers.append(a)
        return a


def build(lesson: Lesson) -> LessonSheet:
    if lesson.kind == "digits_classifier":  # trained and measured: a module of its own
        from . import digits_lesson

        return digits_lesson.build(lesson)
    return {"forward_matrix": _forward, "gradient_descent": _descent,
            "loss_comparison": _losses}[lesson.kind](lesson)


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
    shapes = [Row(rf"Shape of the weights $W$: {n} $\times$ 64 (one row per neuron)"),
              Row(r"Shape of the input $x$: 64 $\times$ 1 (the 8 $\times$ 8 image, row by row)"),
              Row(rf"Shape of $Wx$: ({n} $\times$ 64)$\cdot$(64 $\times$ 1) = {n} $\times$ 1"),
              Row(rf"Shape of $Wx + b$: {n} $\times$ 1 + {n} $\times$ 1 = {n} $\times$ 1")]
    row = max(range(8), key=lambda r: sum(p > 0 for p in lesson.image[8 * r:8 * r + 8]))
    slice_terms = [(k, W[0][k], x[k]) for k in range(8 * row, 8 * row + 8)]
    partial = float(sum(w * xi for _, w, xi in slice_terms))
    rest = result.values["net[1][1]"] - partial - b[0]
    _agree("slice of net[1][1]", partial + rest + b[0], result.values["net[1][1]"])
    by_hand = [Row(rf"$w_{{1,{k + 1}}}\,x_{{{k + 1}}} = {w:.2f} \cdot {xi:.4g}$")
               for k, w, xi in slice_terms]
    by_hand.append(Row(rf"Sum of these 8 products (row {row + 1} of the image, the inkiest) =",
                       sheet.add(f"net[1][1] row {row + 1}", partial)))
    by_hand.append(Row(rf"The other 56 products add up to ${number(rest, d)}$ and "
                       rf"$b_1 = {b[0]:.2f}$, so $\mathrm{{net}}_1$ =",
                       sheet.add("net[1][1]", result.values["net[1][1]"])))
    by_hand.append(Row(rf"$\mathrm{{out}}_1 = f(\mathrm{{net}}_1)$ with $f$ = {lesson.activation}",
                       sheet.add("out[1][1]", result.values["out[1][1]"])))
    table = [(j, result.values[f"net[1][{j}]"], result.values[f"out[1][{j}]"])
             for j in range(1, n + 1)]
    sheet.sections = [("Shapes: W x + b", shapes), ("A slice by hand", by_hand)]
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
    rows = [Row(r"$C(w) = w^4 - 3w^2 + w + 3$, so $C'(w) = 4w^3 - 6w + 1$.")]
    for w, _ in tangents[:2]:
        rows.append(Row(rf"Slope of the tangent at $w = {w:g}$: $C'({w:g})$ =",
                        sheet.add(f"C'({w:g})", _slope(w))))
    rows.append(Row(r"The slope is zero where $4w^3 - 6w + 1 = 0$. Smallest such $w$:",
                    sheet.add("w* (global minimum)", critical[0])))
    rows.append(Row(r"Largest such $w$ (a local minimum):", sheet.add("w* (local minimum)",
                                                                       critical[2])))
    rows.append(Row(r"Value of the cost at the local minimum, $C(w^*)$ =",
                    sheet.add("C(local minimum)", cost(critical[2]))))
    rows.append(Row(r"Value of the cost at the global minimum, $C(w^*)$ =",
                    sheet.add("C(global minimum)", cost(critical[0]))))
    paths, walk_rows = [], []
    for s, start in enumerate(lesson.starts, start=1):
        w, path = start, [start]
        for step in range(1, lesson.steps + 1):
            w_next = w - eta * _slope(w)
            if step <= 2:  # the first step from the given start, the second from their answer
                given = rf"$w_0 = {start:g}$" if step == 1 else r"your $w_1$"
                walk_rows.append(Row(
                    rf"Start {s}: $w_{{{step}}} = w_{{{step - 1}}} - \eta\, C'(w_{{{step - 1}}})$"
                    rf" from {given}:", sheet.add(f"start {s}: w{step}", w_next)))
            w = w_next
            path.append(w)
        for _ in range(400):  # where it settles: keep descending
            w -= eta * _slope(w)
        walk_rows.append(Row(rf"Start {s} ($w_0 = {start:g}$) settles at $w \approx$",
                             sheet.add(f"start {s}: settles at", w)))
        paths.append([(p, cost(p)) for p in path])
    sheet.sections = [("The slope of the tangent", rows),
                      (rf"Walking downhill: $w \leftarrow w - \eta\, C'(w)$, $\eta = {eta:g}$",
                       walk_rows)]
    sheet.figures = {"tangents": [(w, cost(w), _slope(w), sign) for w, sign in tangents],
                     "paths": paths, "surface_path": _surface_path()}
    return sheet


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
        for name, loss, _ in values:
            rows.append(Row(rf"$y = {p:g}$: {_LOSS_NAMES[name]} =",
                            sheet.add(f"{name}({p:g})", loss)))
        for name, _, slope in values:
            rows.append(Row(rf"$y = {p:g}$: $\partial J/\partial\,\mathrm{{net}}$ for "
                            f"{_LOSS_NAMES[name]} =", sheet.add(f"d{name}/dnet({p:g})", slope)))
    sheet.sections = [("The two costs for one training example (target 1)", rows)]
    sheet.figures = {"probabilities": list(lesson.probabilities)}
    return sheet


_LOSS_NAMES = {"SE": r"squared error $(1 - y)^2$", "CE": r"cross-entropy $-\ln y$"}
_LOSSES_INTRO = ("A classifier's output y = σ(net) is the probability it gives the correct "
                 "digit (target 1). Squared error (1 − y)² and cross-entropy −ln y both shrink as "
                 "y grows, but their gradients behave very differently when the network is "
                 "confidently wrong (y near 0): the gradient with respect to net is "
                 "−2(1 − y)·y(1 − y) for squared error, which vanishes there, and y − 1 for "
                 "cross-entropy, which does not. That is why cross-entropy learns faster.")

