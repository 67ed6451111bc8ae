"""Gradient descent on a cost the teacher chooses (seed 000's 2-D and 3-D animations): the
slopes, the valleys found by bisection, steps downhill from each start, and the surface of two
weights whose slices give the partial derivatives (seed 001). Each number is computed
symbolically and checked numerically."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ..definitions.definition import Lesson
from ..definitions.errors import VerificationError
from ..definitions.language import ENGLISH, N_, Words, words
from .forms import Apply, Equation, Frac, Neg, Number, Ops, Partial, Power, Prose, Symbol
from .lesson_parts import Asker, closing, parts, ref
from .model import LessonSheet, Row, row

# --- gradient descent on a 1-D cost, and on a surface of two weights ----------------------

W_ = sp.Symbol("w", real=True)
SETTLE = 5000  # steps a walk is given to settle; the definition's reader refuses a rate whose
# walks do not (costexpr, lesson_options)
BALL = 1.2  # the surface's ball stands at (first start, BALL): ∂C/∂w₂ = 2·BALL there


def cost_expr(poly) -> sp.Expr:
    """The teacher's cost as SymPy, built from the grammar's exact coefficients (never from
    the text).

    >>> from symbackprop.definitions.costexpr import read
    >>> cost_expr(read("w^4 - 3*w^2 + w + 3"))
    w**4 - 3*w**2 + w + 3
    """
    return sp.Add(*(sp.Rational(c.numerator, c.denominator) * W_**k
                    for k, c in enumerate(poly)))


class Descent:
    """A cost C(w), its slope and where the slope is zero, each checked: the slope against
    finite differences of the cost itself, each zero of C′ by its value."""

    def __init__(self, text: str):
        from ..definitions.costexpr import read

        self.poly = read(text)
        self.expr = cost_expr(self.poly)
        self.cost = sp.lambdify(W_, self.expr)
        self._slope = sp.lambdify(W_, sp.diff(self.expr, W_))
        roots = sorted(float(sp.re(r)) for r in sp.Poly(sp.diff(self.expr, W_), W_).nroots(n=30)
                       if abs(sp.im(r)) < 1e-12)
        self.critical = [r for i, r in enumerate(roots) if i == 0 or r - roots[i - 1] > 1e-7]
        for r in self.critical:
            if abs(self.slope(r)) > 1e-7 * max(1.0, abs(r)) ** len(self.poly):
                raise VerificationError(f"C'({r}) is not zero")
        self.minima = [r for i, r in enumerate(self.critical) if self._is_minimum(i)]

    def _is_minimum(self, i: int) -> bool:
        """C′ goes from − to + across the i-th zero (a flat bottom such as w⁴'s counts)."""
        r, gaps = self.critical[i], [b - a for a, b in zip(self.critical, self.critical[1:])]
        eps = min(gaps + [1.0]) / 4
        return self._slope(r - eps) < 0 < self._slope(r + eps)

    def slope(self, w: float) -> float:
        """C′(w) from the derivative, checked against a fourth-order difference of C."""
        symbolic = float(self._slope(w))
        h = 1e-4 * max(1.0, abs(w))
        cost = self.cost
        numeric = (8 * (cost(w + h / 2) - cost(w - h / 2)) - (cost(w + h) - cost(w - h))) / (6 * h)
        if abs(symbolic - numeric) > 1e-6 * max(1.0, abs(symbolic), abs(cost(w))):
            raise VerificationError(f"C'({w}): {symbolic} vs finite differences {numeric}")
        return symbolic

    def walk(self, start: float, rate: float, steps: int) -> list[float]:
        path = [start]
        for _ in range(steps):
            path.append(path[-1] - rate * self.slope(path[-1]))
        return path

    def settle(self, start: float, rate: float) -> float:
        w = start
        for _ in range(SETTLE):
            w -= rate * float(self._slope(w))
        self.slope(w)  # checked where it ends
        return w

    def bracket(self, m: float) -> tuple[float, float]:
        """An interval of width 0.5 (or 0.1, where 0.5 would hold another zero of C′, or the
        zero is at its end) in which C′ changes sign at the minimum m and nowhere else."""
        for width in (0.5, 0.1, 0.02):
            lo = math.floor(m / width) * width
            hi = lo + width
            others = [r for r in self.critical if r != m and lo - 1e-9 <= r <= hi + 1e-9]
            if not others and min(m - lo, hi - m) > 1e-6:
                return round(lo, 6) + 0.0, round(hi, 6) + 0.0
        return round(m - 0.01, 2), round(m + 0.01, 2)


def _descent(lesson: Lesson) -> LessonSheet:
    d, eta = lesson.decimals, lesson.learning_rate
    c, _ = Descent(lesson.cost), words(lesson.language)
    sheet = LessonSheet(lesson.title, lesson.kind, d, lesson.seed, _(_DESCENT_INTRO), [],
                        language=lesson.language)
    ask, slope = Asker(sheet), _derivative(c.poly)
    w_ = Symbol("w")
    left = round(c.critical[0] - 0.7, 1) + 0.0  # C′ < 0 left of every zero, > 0 right of them
    right = round(c.critical[-1] + 0.5, 1) + 0.0
    rows = [row(*parts(_("{cost}, so {slope}."), cost=Equation((Apply("C", (w_,)),
                                                                  poly_form(c.poly, w_))),
                       slope=Equation((Apply("C", (w_,), prime=True),
                                       poly_form(_derivative(c.poly), w_)))))]
    for w in (left, right):
        rows.append(row(*parts(_("Slope of the tangent at {w}: {slope} ="),
                               w=Equation((w_, Number(w))),
                               slope=Apply("C", (Number(w),), prime=True)),
                        answer=ask(f"C'({w:g})", c.slope(w), poly_tree(slope, w),
                                   _slope_mistakes(c.poly, w))))
    several = len(c.minima) > 1
    rows.append(row(*parts(_.ngettext(
        "At the bottom of a valley the slope is zero: {zero}. To find where, halve an interval "
        "in which {slope} changes sign until it is narrow enough for {d} decimal (bisection), "
        "or use a graphing calculator.",
        "At the bottom of a valley the slope is zero: {zero}. To find where, halve an interval "
        "in which {slope} changes sign until it is narrow enough for {d} decimals (bisection), "
        "or use a graphing calculator.", d), zero=Equation((Apply("C", (w_,), prime=True),
                                                            Number(0))),
        slope=Apply("C", (w_,), prime=True), d=str(d))))
    for i, m in enumerate(c.minima, start=1):
        lo, hi = c.bracket(m)
        star = Symbol("w", sub=str(i) if several else None, sup="*")
        bottom = (_("The bottom of valley {i}, where {slope} changes sign between {lo} and "
                    "{hi}: {w} =") if several else
                  _("The bottom of the valley, where {slope} changes sign between {lo} and "
                    "{hi}: {w} ="))
        rows.append(row(*parts(bottom, i=str(i), slope=Apply("C", (w_,), prime=True),
                               lo=_num(lo, _), hi=_num(hi, _), w=star),
                        answer=ask(f"w*{i}" if several else "w*", m,  # by bisection
                                   mistakes=_bottom_mistakes(c, m))))
        cost = (_("The cost at the bottom of valley {i}, {cost} =") if several else
                _("The cost at the bottom of the valley, {cost} ="))
        rows.append(row(*parts(cost, i=str(i), cost=Apply("C", (star,))),
                        answer=ask(f"C(w*{i})" if several else "C(w*)", c.cost(m),
                                   poly_tree(c.poly, ref(f"w*{i}" if several else "w*")))))
    lowest = min(range(len(c.minima)), key=lambda i: c.cost(c.minima[i]))
    if several:
        rows.append(row(_("Which valley holds the lowest point of all, the global minimum? "
                          "Its number:"), answer=ask("global minimum: valley", lowest + 1,
                                                  whole=True)))
    paths, walk_rows, settled = [], [], []
    for s, start in enumerate(lesson.starts, start=1):
        path = c.walk(start, eta, lesson.steps)
        w0 = Equation((_step(0), Number(start)))
        for step in (1, 2)[:lesson.steps]:  # the first step from the given start, the second
            said = (_("Start {s}: {step} from {w0}:") if step == 1 else  # from their answer
                    _("Start {s}: {step} from your {w1}:"))
            before = start if step == 1 else ref(f"start {s}: w1")
            walk_rows.append(row(*parts(said, s=str(s), step=_step_form(step), w0=w0,
                                        w1=_step(1)),
                                 answer=ask(f"start {s}: w{step}", path[step],
                                            *_step_trees(slope, before, eta))))
        end = c.settle(start, eta)
        settled.append(end)
        # the walk ends at a valley's bottom, which the student found above: the answer is
        # which valley, worked to the sheet's decimals, never a value read off the plot
        # (a plot gives two decimals, and 1.17 for 1.1660 would be marked too few)
        k = min(range(len(c.minima)), key=lambda i: abs(c.minima[i] - end))
        # a walk that stops in another valley than the lowest: the lowest is a mistake
        lowest_w = min(c.minima, key=c.cost)
        walk_rows.append(row(*parts(_("Start {s} ({w0}) settles at the bottom of one of the "
                                      "valleys above: {w} ="),
                                    s=str(s), w0=w0, w=w_),
                             answer=ask(f"start {s}: settles at", c.minima[k],
                                        ref(f"w*{k + 1}" if several else "w*"), mistakes=[
                                            ("lowest_for_nearest", lowest_w)],
                                        working=Symbol("w", sub=str(k + 1) if several else None,
                                                       sup="*"))))  # the key names the valley
        paths.append([(p, c.cost(p)) for p in path])
    descent = Ops((w_, Ops((w_, Ops((_ETA, Apply("C", (w_,), prime=True)), ("",))), ("−",))),
                  ("←",))
    surface = _surface(c, lesson)
    sheet.sections = [(Prose((_("The slope of the tangent"),)), rows),
                      (Prose(parts(_("Walking downhill: {rule}, {eta}"), rule=descent,
                                   eta=Equation((_ETA, Number(eta))))), walk_rows),
                      (Prose((_("Two weights: slices of a surface"),)),
                       _slice_rows(sheet, c, surface, ask, _))]
    xs = [*c.critical, *lesson.starts, left, right]
    span = (math.floor(min(xs) * 2 - 0.6) / 2, math.ceil(max(xs) * 2 + 0.6) / 2)
    low = min(c.cost(m) for m in c.minima)  # the plot: from the lowest valley to the highest
    high = max(c.cost(x) for x in xs)  # point the sheet asks about; the curve runs off the top
    pad = (high - low) * 0.15 or 1.0
    sheet.figures = sheet.figures | {
        "cost_text": poly_text(c.poly), "cost_form": poly_form(c.poly, w_),
        "poly": [float(k) for k in c.poly],
        "span": span, "range": (low - pad, high + pad),
        "tangents": [(w, c.cost(w), c.slope(w), sign) for w, sign in
                     ((left, "negative"), (right, "positive"), (c.minima[-1], "zero"))],
        "paths": paths, "surface": surface,
        "closing": closing(_("Does the ball always find the lowest point?"),
                           _("Which is the lowest point of C(w)? Does a ball rolling downhill "
                             "always find it? Why? Use your walks."),
                           _descent_answer(c, lesson, settled, lowest, _))}
    return sheet


def _num(v: float, _: Words = ENGLISH) -> str:
    return _.number(f"{v:g}").replace("-", "−")


def _descent_answer(c: Descent, lesson: Lesson, settled: list[float], lowest: int,
                    _: Words = ENGLISH) -> list[str]:
    """The key's answer to the closing question, worded from the walks."""
    g = c.minima[lowest]
    out = [_("The lowest point is the global minimum, at w = {w}, where C = {c}.").format(
        w=_num(round(g, 4), _), c=_num(round(c.cost(g), 4), _))]
    missed = [(s, e) for s, e in zip(lesson.starts, settled) if abs(e - g) > 1e-6]
    if missed:
        s, e = missed[0]
        out.append(_("The ball does not always find it: from w = {start} it settles at "
                     "w ≈ {end}, the bottom of another valley (C = {c}). Gradient descent only "
                     "ever steps downhill from where it stands, so it stops in the first valley "
                     "it reaches, which may be a local minimum.").format(
            start=_num(s, _), end=_num(round(e, 4), _), c=_num(round(c.cost(e), 4), _)))
    elif len(c.minima) > 1:
        out.append(_("From these starts it does, but only because each starts on the slope of "
                   "that valley: gradient descent only ever steps downhill from where it "
                   "stands, so from a start in another valley it would stop at that valley's "
                   "bottom, a local minimum."))
    else:
        out.append(_("Here it does: this cost has a single valley, and every step downhill "
                     "leads towards its bottom. A cost with several valleys can trap the ball "
                     "in one that is not the lowest."))
    return out


def _surface(c: Descent, lesson: Lesson) -> dict:
    """C(w₁, w₂) = C(w₁) + w₂²: balls rolling from each start (w₂ = ±1.5), and the ball at
    (first start, BALL) whose two slices the sheet asks about."""
    eta, balls = lesson.learning_rate, []
    for i, start in enumerate(lesson.starts):
        p = np.array([start, 1.5 if i % 2 == 0 else -1.5])
        path = []
        for _ in range(60):
            path.append((float(p[0]), float(p[1]), c.cost(p[0]) + p[1] ** 2))
            p = p - eta * np.array([c.slope(p[0]), 2 * p[1]])
        balls.append(path)
    p1, p2 = lesson.starts[0], BALL
    # the surface over the valleys and the starts only: beyond them its walls rise steeply,
    # a crowd of mesh lines the picture has to cut off
    xs = [*c.critical, *lesson.starts]
    span = (math.floor((min(xs) - 0.4) * 4) / 4, math.ceil((max(xs) + 0.4) * 4) / 4)
    return {"balls": balls, "at": (p1, p2, c.cost(p1) + p2 ** 2), "cost_at_p1": c.cost(p1),
            "slopes": (c.slope(p1), 2 * p2), "span": span}


def _slice_rows(sheet: LessonSheet, c: Descent, surface: dict, ask: Asker,
                _: Words = ENGLISH) -> list[Row]:
    w1, w2 = Symbol("w", sub="1"), Symbol("w", sub="2")
    p1, p2, _height = surface["at"]
    both = Apply("C", (w1, w2))
    rows = [row(*parts(_(
        "A network has many weights. With two, its cost is a surface over the plane of {w1} "
        "and {w2}: here {cost}, with C the cost above. A ball stands at {at1}, {at2}. Cut the "
        "surface through the ball parallel to one axis and the cut is a curve of one weight; "
        "its slope at the ball is the partial derivative for that weight."), w1=w1, w2=w2,
        cost=Equation((both, Ops((Apply("C", (w1,)), Power(w2, Number(2))), ("+",)))),
        at1=Equation((w1, Number(p1))), at2=Equation((w2, Number(p2)))))]
    rows.append(row(*parts(_("The slice {at} is the curve {curve}. Its slope at the ball, "
                             "{slope} ="), at=Equation((w2, Number(p2))),
                           curve=Equation((Apply("C", (w1, Number(p2))), Ops((
                               Apply("C", (w1,)), Power(Number(p2), Number(2))), ("+",)))),
                           slope=Partial(Symbol("C"), w1)),
                    answer=ask("dC/dw1 at the ball", surface["slopes"][0],
                               poly_tree(_derivative(c.poly), p1),
                               _slope_mistakes(c.poly, p1, p2))))
    rows.append(row(*parts(_("The slice {at} is the parabola {curve}. Its slope at the ball, "
                             "{slope} ="), at=Equation((w1, Number(p1))),
                           curve=Equation((Apply("C", (Number(p1), w2)), Ops((
                               Apply("C", (Number(p1),)), Power(w2, Number(2))), ("+",)))),
                           slope=Partial(Symbol("C"), w2)),
                    answer=ask("dC/dw2 at the ball", surface["slopes"][1], ["mul", 2, p2],
                               [("power_not_lowered", ["mul", 2, ["pow", p2, 2]]),
                                ("cost_for_slope", ["add", poly_tree(c.poly, p1),
                                                    ["pow", p2, 2]]),
                                ("opposite_sign", ["mul", -2, p2])])))
    return rows


_ETA = Symbol("η")


def poly_tree(poly, x) -> list | float:
    """A polynomial at x (a number, or an earlier blank's reference) as the scheme's tree,
    highest power first, a negative coefficient subtracted: 0.5⁴ − 3·0.5² + 0.5 + 3.

    >>> from symbackprop.definitions.costexpr import read
    >>> poly_tree(read("w^4 - 3*w^2 + w + 3"), 0.5)
    ['add', ['add', ['sub', ['pow', 0.5, 4], ['mul', 3.0, ['pow', 0.5, 2]]], 0.5], 3.0]
    """
    tree = None
    for k, coef in reversed(list(enumerate(poly))):
        if coef == 0:
            continue
        size = abs(float(coef))
        power = x if k == 1 else ["pow", x, k] if k else None
        term = size if power is None else power if size == 1 else ["mul", size, power]
        if tree is None:
            tree = ["neg", term] if coef < 0 else term
        else:
            tree = ["sub" if coef < 0 else "add", tree, term]
    return 0.0 if tree is None else tree


def _slope_mistakes(poly, w, w2=None) -> list:
    """What a pupil gets for a slope C′(w) instead: the cost itself, a derivative whose
    powers were not lowered, the slope's sign slipped (on the surface, at (w, w2))."""
    bowl = [] if w2 is None else [["pow", w2, 2]]
    kept = [k * c for k, c in enumerate(poly)]  # k·c·wᵏ: the power kept
    cost = poly_tree(poly, w)
    return [("cost_for_slope", ["add", cost, *bowl] if bowl else cost),
            ("power_not_lowered", poly_tree(kept, w)),
            ("opposite_sign", ["neg", poly_tree(_derivative(poly), w)])]


def _bottom_mistakes(c: Descent, m: float) -> list:
    """What a pupil finds for the bottom of a valley instead: another zero of C′, the top of a
    hill (C′ changes from + to − there), or the bottom of the other valley."""
    return [("hilltop_for_valley", r) for r in c.critical if r not in c.minima] + \
        [("other_valley", r) for r in c.minima if r != m]


def _step_trees(slope, before, eta: float) -> tuple:
    """A step downhill from `before` (the start, or the student's own first step): its tree
    and the mistakes of a step: uphill, without η, the step alone, no step at all."""
    down = ["mul", eta, poly_tree(slope, before)]
    return (["sub", before, down],
            [("step_uphill", ["add", before, down]),
             ("no_learning_rate", ["sub", before, poly_tree(slope, before)]),
             ("step_for_position", ["neg", down]),
             ("step_not_taken", before)])


def _derivative(poly):
    from ..definitions.costexpr import derivative

    return derivative(poly)


def poly_form(poly, x) -> Ops | Number:
    """A polynomial as a pupil writes it, highest power first: w⁴ − 3w² + w + 3."""
    terms = [(k, coef) for k, coef in reversed(list(enumerate(poly))) if coef != 0]
    if not terms:
        return Number(0)
    items, ops = [], []
    for i, (k, coef) in enumerate(terms):
        size = abs(coef)
        power = x if k == 1 else Power(x, Number(k)) if k else None
        number = Number(float(size)) if size.denominator in (1, 2, 4, 5, 8, 10, 20, 25, 50,
                                                             100) else Frac(
            Number(size.numerator), Number(size.denominator), small=True)
        form = (number if power is None else power if size == 1
                else Ops((number, power), ("",)))
        if i == 0:
            items.append(Neg(form) if coef < 0 else form)
        else:
            ops.append("−" if coef < 0 else "+")
            items.append(form)
    return items[0] if len(items) == 1 else Ops(tuple(items), tuple(ops))


def poly_text(poly, x: str = "w") -> str:
    """The same in plain text: w⁴ − 3w² + w + 3 (a figure's legend, the page's words).

    >>> from symbackprop.definitions.costexpr import read
    >>> poly_text(read("w^4 - 3*w^2 + w + 3")), poly_text(read("(w - 1)^2/2"))
    ('w⁴ − 3w² + w + 3', '½w² − w + ½')
    """
    sup = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    names = {(1, 2): "½", (1, 4): "¼", (3, 4): "¾", (1, 3): "⅓", (2, 3): "⅔"}
    out = ""
    for k, coef in reversed(list(enumerate(poly))):
        if coef == 0:
            continue
        size = abs(coef)
        number = names.get((size.numerator, size.denominator),
                           f"{float(size):g}" if size.denominator in (1, 2, 4, 5, 8, 10)
                           else f"{size.numerator}/{size.denominator}")
        term = (number if k == 0 else ("" if size == 1 else number) + x
                + (str(k).translate(sup) if k > 1 else ""))
        out += (("−" if coef < 0 else "") if not out else (" − " if coef < 0 else " + ")) + term
    return out or "0"


def _step(k: int) -> Symbol:
    """w⁽ᵏ⁾, the walk after k steps: w₁ and w₂ are the surface's two weights."""
    return Symbol("w", sup=f"({k})")


def _step_form(step: int) -> Equation:
    """w⁽ᵏ⁾ = w⁽ᵏ⁻¹⁾ − η C′(w⁽ᵏ⁻¹⁾)."""
    before = _step(step - 1)
    return Equation((_step(step), Ops((before, Ops((
        _ETA, Apply("C", (before,), prime=True)), ("",))), ("−",))))


_DESCENT_INTRO = N_("A network learns by walking downhill on its cost. The slope of the tangent "
                  "says which way is down: where it is positive, step left; where it is "
                  "negative, step right; where it is zero, you are at the bottom of a valley, "
                  "which may not be the deepest one.")


def build(lesson: Lesson) -> LessonSheet:
    return _descent(lesson)
