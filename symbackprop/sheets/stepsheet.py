"""Two steps of an optimizer worked by hand on one neuron: each step's forward pass and
gradients at the weights it starts from (with weight decay's λ·w added), then the velocity
(momentum, Nesterov), the average of squares (RMSprop) or the moments m and v and their
bias-corrected m̂ and v̂ (Adam), and the new weights, as torch.optim.SGD, RMSprop and Adam
compute them (no dampening; ε outside the square root): sheets/stepupdates.py.

Every blank is a tree over earlier blanks (worked.py); the exact values are checked against
the engine's optimizer steps (engine/optimize.py, itself checked against NumPy).

>>> from symbackprop.definitions.definition import load
>>> from symbackprop.engine.sample import instance
>>> d = load('worksheets/adam-two-steps-2-1.yaml')
>>> sheet = build(d, instance(d, accept=acceptable(d)).values)
>>> [a.name for a in sheet.answers][:8]
['net@1', 'delta@1', 'g@1 w1', 'g@1 w2', 'g@1 b', 'm@1 w1', 'v@1 w1', 'mhat@1 w1']
"""

from __future__ import annotations

import math

from ..definitions.errors import VerificationError
from ..definitions.language import Words, words
from ..engine.sample import Judged
from ..engine.verify import TOLERANCE
from . import roundoff
from .forms import Apply, Equation, Group, Number, Ops, Prose, Symbol
from .model import Given, Section, unasked_points
from .stepupdates import TWO_STEPS, UpdateRules, _s, _times, name_of
from .worked import Unworkable, Worked, WorkedSheet, ref

STEPS = 2
OUTPUTS = ("sigmoid", "identity")


def printable(defn) -> None:
    """ValueError naming the file and key of what this sheet does not work by hand."""
    net, src = defn.network, defn.source
    if len(net.layers) != 2 or net.layers[1] != 1 or net.layers[0] > 4 or \
            net.activations[0] not in OUTPUTS or net.loss != "half_sse" or \
            defn.examples:
        raise ValueError(f"{src}: network: an optimizer worksheet is one neuron of 1 to 4 "
                         "inputs, sigmoid or identity, with half_sse, on one example")
    if defn.form == "matrix":  # one neuron's steps: there are no matrices to lay out
        raise ValueError(f"{src}: form: an optimizer worksheet works one neuron's steps; the "
                         "matrix form is for a network's backpropagation")
    if not defn.update_biases and net.bias != "none":  # its blanks step the bias too
        raise ValueError(f"{src}: update_biases: an optimizer worksheet steps the bias with "
                         "the weights; leave update_biases out, or give bias: none")


def build(defn, values) -> WorkedSheet:
    printable(defn)
    return _Steps(defn, values).sheet()


def acceptable(defn):
    """A draw a teacher would print: no answer that rounds to 0 or to fewer than four
    significant digits (Adam's v is the gradient squared, times 1 − β2): with three, the
    rounded v̂ moves Adam's first step, which is ±η, in its fourth figure."""
    def reason(inst) -> str | None:
        try:
            sheet = build(defn, inst.values)
        except Unworkable as exc:
            return str(exc)
        small = 1000.0 * 10.0 ** -defn.decimals
        if any(abs(a.value) < small for a in sheet.answers):
            return "an answer has fewer than four significant digits at the sheet's decimals"
        return None
    return Judged(reason)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _plain(v: float) -> str:
    """A setting as a sheet writes it: 0.9, and a small power of ten in full (0.00000001, not
    1e-08, which a student does not read as a number)."""
    if 0 < v < 1e-4 and abs(math.log10(v) - round(math.log10(v))) < 1e-12:
        return f"{v:.{-round(math.log10(v))}f}"
    return f"{v:g}"


def _setting(v: float, _: Words) -> str:
    """A setting in the sheet's prose: 0.9, and a small power of ten as a teacher writes it,
    with its digits for a calculator: 10⁻⁸ (0.00000001), no zeros to count.

    >>> from symbackprop.definitions.language import ENGLISH
    >>> _setting(1e-8, ENGLISH), _setting(0.999, ENGLISH)
    ('10⁻⁸ (0.00000001)', '0.999')
    """
    full = _.number(_plain(v))
    if "e" in f"{v:g}":
        return f"10{str(round(math.log10(v))).translate(_SUPERSCRIPT)} ({full})"
    return full


class _Steps(UpdateRules):
    def __init__(self, defn, values):
        self.defn, self.opt, self.lr = defn, defn.optimizer, defn.learning_rate
        self.x, self.t = values.inputs, values.targets[0]
        self.w0 = list(values.weights[0][0])
        self.b0 = values.biases[0][0] if values.biases is not None and \
            defn.network.bias != "none" else None
        self.params = [f"w{k}" for k in range(1, len(self.x) + 1)] + (
            ["b"] if self.b0 is not None else [])
        self.w = Worked(defn.decimals)
        self.sections: list[Section] = []
        self._ = words(defn.language)

    def sheet(self) -> WorkedSheet:
        before = {p: v for p, v in zip(self.params, self.w0 + [self.b0])}  # numbers at t = 1
        for t in range(1, STEPS + 1):
            self.forward(t, before)
            self.update(t)
            before = {p: ref(f"new@{t} {p}") for p in self.params}
        return self.worksheet()

    def _param(self, p: str, t: int) -> Symbol:
        """w1 or b as it stands at the start of step t (w1 at step 1, w1⁽¹⁾ after it)."""
        letter, sub = (p[0], p[1:] or None)
        return _s(letter, sub, None if t == 1 else f"({t - 1})")

    def forward(self, t: int, before: dict) -> None:
        _ = self._
        s = Section(Prose((_("Step {t}: the gradient at the weights it starts from").format(
            t=t),)), "" if t == 1 else _("Use the weights after step 1."))
        w = self.w
        terms = [["mul", before[f"w{k}"], xk] for k, xk in enumerate(self.x, start=1)]
        bias = [before["b"]] if "b" in before else []
        general = [_times(self._param(f"w{k}", t), _s("x", str(k)))
                   for k in range(1, len(self.x) + 1)] + (
            [self._param("b", t)] if bias else [])
        numbers = [_times(Number(self._number(before[f"w{k}"])), Number(xk))
                   for k, xk in enumerate(self.x, start=1)] + [
            Number(self._number(b)) for b in bias]
        net = _s("net", None, f"({t})", word=True)
        s.lines.append(w.blank(f"net@{t}", ["add", *terms, *bias], net,
                               (Ops.joined(general, "+"),), Ops.joined(numbers, "+")))
        out = _s("out", None, f"({t})", word=True)
        if self.defn.network.activations[0] == "sigmoid":
            s.lines.append(w.blank(f"out@{t}", ["div", 1, ["add", 1, ["exp", ["neg", ref(
                f"net@{t}")]]]], out, (Apply("σ", (net,)),), mistakes=[(
                    "sigmoid_of_negative", ["div", 1, ["add", 1, ["exp", ref(f"net@{t}")]]])]))
            o = ref(f"out@{t}")
            delta = ["mul", ["sub", o, self.t], o, ["sub", 1, o]]
            form = _times(Group(Ops((out, _s("t")), ("−",))), out,
                          Group(Ops((Number(1), out), ("−",))))
            slope = [("missing_activation_derivative", ["sub", o, self.t])]
        else:
            out, o = net, ref(f"net@{t}")
            delta, form, slope = ["sub", o, self.t], Ops((net, _s("t")), ("−",)), []
        d = _s("δ", None, f"({t})")
        s.lines.append(w.blank(f"delta@{t}", delta, d, (form,),
                               mistakes=[("sign", ["neg", delta])] + slope))
        for k, p in enumerate(self.params, start=1):
            grad = ["mul", ref(f"delta@{t}"), self.x[k - 1]] if p != "b" else ref(f"delta@{t}")
            form = _times(d, _s("x", str(k))) if p != "b" else d
            worked = _times(Number(w.key[f"delta@{t}"]), Number(self.x[k - 1])) \
                if p != "b" else Number(w.key[f"delta@{t}"])
            mistakes = [("sign", ["neg", grad])]
            if self.decays(p):  # L2, as torch.optim: g = ∂J/∂w + λ·w, at this step's w
                lam, now = self.opt.weight_decay, before[p]
                mistakes = [("no_weight_decay", grad),
                            ("weight_decay_sign", ["sub", grad, ["mul", lam, now]]),
                            ("sign", ["neg", ["add", grad, ["mul", lam, now]]])]
                grad = ["add", grad, ["mul", lam, now]]
                form = Ops((form, _times(Symbol("λ"), self._param(p, t))), ("+",))
                worked = Ops((worked, _times(Number(lam), Number(self._number(now)))), ("+",))
            elif p == "b":
                worked = None
            s.lines.append(w.blank(f"g@{t} {p}", grad, self._g(p, t), (form,), worked,
                                   mistakes=mistakes))
        self.sections.append(s)

    def decays(self, p: str) -> bool:
        """Whether weight decay adds λ·p to p's gradient (the bias unless left out)."""
        return bool(self.opt.weight_decay) and (p != "b" or self.opt.decay_biases)

    def _number(self, value) -> float:
        return value if not isinstance(value, list) else self.w.key[value[1]]

    def _g(self, p: str, t: int) -> Symbol:
        letter, sub = p[0], p[1:] or None
        return _s("g", f"{letter}{sub or ''},{t}")

    def weighed(self) -> None:
        """The teacher's points: on the blanks of both steps that the canonical name stands
        for (dJ/dW[1][1][1] is g at steps 1 and 2); a name for no blank is refused."""
        points, named = dict(self.defn.points), set()
        for blank in self.w.blanks:
            name = canonical(blank["name"], self.defn.network.bias)
            named.add(name)
            blank["points"] = points.get(name, 1)
        unasked_points(points, named, self.defn)

    def worksheet(self) -> WorkedSheet:
        self.weighed()
        d, o, _ = self.defn, self.opt, self._
        givens = [Given(_("Input and target"), (tuple(eq(_s("x", str(k)), xk) for k, xk in
                                                     enumerate(self.x, start=1)),
                                               (eq(_s("t"), self.t),))),
                  Given(_("Weights before step 1"), (tuple(
                      eq(self._param(p, 1), v) for p, v in zip(self.params,
                                                               self.w0 + [self.b0])),))]
        numbers = {"inputs": list(self.x), "target": self.t, "weights": self.w0,
                   "bias": self.b0, "learning_rate": self.lr,
                   "optimizer": {"name": o.name, **o.settings()}}
        return WorkedSheet(d.title, "optimizer", d.decimals, None, None, self.words(),
                           self.notes(), [], givens, self.sections, self.w.answers,
                           self.w.blanks, numbers, language=d.language, printing=d.printing)

    def words(self) -> str:
        """The neuron and the optimizer in words."""
        _, o, n = self._, self.opt, len(self.x)
        out = "out = σ(net)" if self.defn.network.activations[0] == "sigmoid" else "out = net"
        formula = ("net = " + " + ".join(f"w{k}·x{k}" for k in range(1, n + 1))
                   + (" + b" if self.b0 is not None else "") + f", {out}")
        neuron = _.ngettext("One neuron with {n} input: {formula}, and the loss J = ½(t − out)².",
                            "One neuron with {n} inputs: {formula}, and the loss "
                            "J = ½(t − out)².", n).format(n=n, formula=formula)
        steps = (_("{steps} with weight decay (learning rate η = {rate}) on the same example; "
                   "each step's gradient is taken at the weights that step starts from.")
                 if o.weight_decay else
                 _("{steps} (learning rate η = {rate}) on the same example; each step's "
                   "gradient is taken at the weights that step starts from."))
        return f"{neuron} " + steps.format(steps=_(TWO_STEPS[name_of(o)]),
                                           rate=_.number(f"{self.lr:g}"))

    def notes(self) -> list[str]:
        """The conventions the optimizer follows, PyTorch's, with its settings."""
        _, o = self._, self.opt

        def plain(v: float) -> str:
            return _setting(v, _)
        notes = []
        if o.name == "momentum":
            notes = [(_("Momentum as PyTorch's SGD computes it (no dampening): the velocity "
                        "starts as the first gradient, v = μ·v + g after it, with μ = {mu}, "
                        "and the step is w − η·(g + μ·v), along the gradient and this step's "
                        "velocity (Nesterov: the gradient is the one at the weights the step "
                        "starts from).") if o.nesterov else
                      _("Momentum as PyTorch's SGD computes it (no dampening): the velocity "
                        "starts as the first gradient, v = μ·v + g after it, with μ = {mu}, "
                        "and the step is w − η·v.")).format(mu=_.number(f"{o.momentum:g}"))]
        elif o.name == "rmsprop":
            notes = [_("RMSprop as PyTorch computes it: the average of squared gradients s = "
                       "α·s + (1 − α)·g², starting at 0, and the step η·g/(√s + ε), ε outside "
                       "the root. α = {alpha}, ε = {epsilon}.").format(
                alpha=plain(o.alpha), epsilon=plain(o.epsilon))]
        elif o.name == "adam":
            notes = [_("Adam as PyTorch computes it: m = β₁·m + (1 − β₁)·g and v = β₂·v + "
                       "(1 − β₂)·g², both starting at 0, then corrected for that start: at step "
                       "k, m̂ = m/(1 − β₁ᵏ) and v̂ = v/(1 − β₂ᵏ); the "
                       "step is η·m̂/(√v̂ + ε), ε outside the root. Adam's first step moves each "
                       "weight by η (up to rounding): a check on your numbers. β₁ = {beta1}, "
                       "β₂ = {beta2}, ε = {epsilon}.").format(
                beta1=plain(o.beta1), beta2=plain(o.beta2), epsilon=plain(o.epsilon))]
        if o.weight_decay:
            notes.append(self.decay_note(plain(o.weight_decay)))
        return notes

    def decay_note(self, lam: str) -> str:
        _, o = self._, self.opt
        said = (_("Weight decay (L2) as PyTorch adds it: λ times the parameter is added to "
                  "its gradient before the step, g = ∂J/∂w + λ·w, with λ = {lam} (the bias "
                  "too).") if o.decay_biases and self.b0 is not None else
                _("Weight decay (L2) as PyTorch adds it: λ times the parameter is added to "
                  "its gradient before the step, g = ∂J/∂w + λ·w, with λ = {lam} (the weights "
                  "only, not the bias).") if self.b0 is not None else
                _("Weight decay (L2) as PyTorch adds it: λ times the parameter is added to "
                  "its gradient before the step, g = ∂J/∂w + λ·w, with λ = {lam}."))
        sgd = " " + _("With gradient descent the step is w − η·g.") if o.name == "sgd" else ""
        return said.format(lam=lam) + sgd


# a step's quantity by the canonical name points: gives it; the moments have none
CANONICAL = {"net": "net[1][1]", "out": "out[1][1]", "delta": "dJ/dnet[1][1]", "g": "dJ/d",
             "new": "new "}


def canonical(blank: str, bias: str) -> str | None:
    """The canonical name of a step's blank, the same at both steps, or None (a moment).

    >>> canonical("g@2 w1", "per_neuron"), canonical("new@1 b", "shared"), canonical("m@1 w1", "")
    ('dJ/dW[1][1][1]', 'new b[1]', None)
    """
    head, _, p = blank.partition(" ")
    quantity = CANONICAL.get(head.partition("@")[0])
    if quantity is None or not p:
        return quantity
    return quantity + parameter(p, bias)


def parameter(p: str, bias: str = "per_neuron") -> str:
    """A step's parameter (w1 ... w4, b) by its canonical name."""
    return f"W[1][1][{p[1:]}]" if p != "b" else "b[1]" if bias == "shared" else "b[1][1]"


def eq(f, v) -> Equation:
    return Equation((f, Number(v)))


def check_against(sheet: WorkedSheet, steps) -> None:
    """The sheet's exact moments, velocities and new weights against the engine's steps
    (engine/optimize.py); VerificationError where they differ by more than 1e-9 relative
    plus what rounding may do to the terms each is made of (roundoff.py): at η = 1e6,
    w − η·g/(√s + ε) is a few units left of two terms of ten million."""
    quantities = {"m": "m", "v": "v", "mhat": "mhat", "vhat": "vhat", "velocity": "velocity",
                  "new": "new", "g": "g", "s": "square_avg"}
    scales = _scales(sheet.blanks)
    for a in sheet.answers:
        head, _, p = a.name.partition(" ")
        quantity, _, t = head.partition("@")
        if quantity not in quantities or not p:
            continue
        values = steps[int(t) - 1].values
        engine = values.get(f"{quantities[quantity]}_{t} {parameter(p)}",
                            values.get(f"{quantities[quantity]}_{t} b[1]"))  # a shared bias
        allowed = TOLERANCE * max(1.0, abs(engine)) + roundoff.UNITS * scales.get(a.name, 0.0)
        if not abs(a.exact - engine) <= allowed:
            raise VerificationError(f"{a.name}: {a.exact!r} on the sheet, {engine!r} from the "
                                    "engine's optimizer step")


def _scales(blanks: list[dict]) -> dict[str, float]:
    """Each blank's rounding scale (roundoff.py), in the order they were worked: a blank's
    tree reads only the blanks before it."""
    exact, scales = {b["name"]: b["exact"] for b in blanks}, {}
    for b in blanks:
        scales[b["name"]] = roundoff.scale(b["recompute"], exact.__getitem__, scales.__getitem__)
    return scales
