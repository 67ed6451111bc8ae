"""The lines of working of a scalar sheet, in the order a student meets them: the forward pass,
the loss, each asked gradient's chain of factors (every path of a sum written out), each asked
δ, a batch's sums, and the gradient-descent step. Each line holds its mathematics as forms
(sheets/forms.py) and the answer it asks for.
"""

from __future__ import annotations

import re

from ..definitions.canonical import at_example
from ..definitions.definition import Definition
from ..definitions.language import words
from ..definitions.rounding import rounded as sheet_rounded
from ..engine.derivation import Derivation
from ..engine.evaluate import forward, step_values
from ..engine.graph import name
from ..engine.steps import Factor, PathSum, Step, flatten
from .expressions import form_of
from .forms import (
    Expr,
    Form,
    Frac,
    Group,
    Name,
    Number,
    Ops,
    Partial,
    Power,
    Prose,
    Scripted,
    Symbol,
    Text,
)
from .model import Answer, Line, Section, label
from .notation import answer_decimals
from .rules import E, activation_form, loss_form, loss_words

ETA = Symbol("η")


class Working:
    """Collects lines and answers in the order a student meets them."""

    def __init__(self, defn: Definition, result, example: int | None = None,
                 answers: list[Answer] | None = None, by_name: dict | None = None):
        # result: the Verified whole, or one Example of a batch (its names gain '@example')
        self.defn, self.r, self.example = defn, result, example
        self.d: Derivation = result.derivation
        self.graph = self.d.graph
        self.layers = defn.network.layers
        self.answers: list[Answer] = [] if answers is None else answers
        self.by_name: dict[str, Answer] = {} if by_name is None else by_name
        self.J = Name("J" if example is None else f"J@{example}")
        self._ = words(defn.language)
        inst = result.instance
        if inst.batched:  # the batch itself: its numbers are its examples' sums
            return
        self.rounded = forward(self.graph, inst, defn.decimals)
        self.rounded_steps = step_values(self.d.grads.values(), self.rounded, self.graph,
                                         defn.decimals, flat=defn.form != "matrix")

    def named(self, canonical: str) -> str:
        """The canonical name on this sheet: an example's quantities carry '@e'."""
        return canonical if self.example is None else at_example(canonical, self.example)

    # --- names and answers ------------------------------------------------------------

    def sym(self, canonical: str) -> Name:
        return Name(self.named(canonical))

    def expr(self, expr) -> Expr:
        return Expr(expr, self.example)

    def answer(self, canonical: str, value: float, exact: float) -> tuple[Answer, bool]:
        canonical = self.named(canonical)
        if canonical in self.by_name:
            return self.by_name[canonical], False
        a = Answer(label(len(self.answers)), canonical, value, exact)
        self.answers.append(a)
        self.by_name[canonical] = a
        return a, True

    def line(self, quantity: Form, forms, canonical: str, value: float, exact: float,
             working: Form | None = None) -> Line:
        a, first = self.answer(canonical, value, exact)
        if isinstance(working, Number) and working.value == a.value:
            working = None  # in = out₁ = 0.5933, never 0.5933 = 0.5933: nothing is worked
        return Line(quantity, tuple(forms), a, first, working)

    # --- the numbers put in, as the student has them ----------------------------------

    def number(self, name: str) -> Number:
        """A quantity's number: a given one as given, a worked one rounded as on the sheet."""
        v = self.rounded[name]
        if name[0] in "xtWb":
            return Number(v)
        return Number(v, answer_decimals(name, v, self.defn.decimals))

    def step_number(self, target: str) -> Number:
        v = self.rounded_steps[target]
        return Number(v, answer_decimals(target, v, self.defn.decimals))

    def substituted(self, expr) -> Form | None:
        """A form of the graph's symbols with their numbers in; None for a form without any
        (1, the identity's slope: there is nothing to put in)."""
        names = [s.name for s in expr.free_symbols]
        if not names:
            return None
        return form_of(expr, {n: self.number(n) for n in names if n in self.rounded})

    def products(self, parts) -> Form:
        return Ops.joined((self.factor_number(f) for f in parts), "·")

    def factor_number(self, f: Step) -> Number:
        """A factor's number: what the sheet states (a given weight, 1), or as rounded."""
        return self.given(f) or self.step_number(f.target)

    def given(self, f: Step) -> Number | None:
        """The number a factor is without working: 1, or one given number (a weight, an
        input): the sheet states it instead of asking for it."""
        if not isinstance(f, Factor):
            return None
        names = [s.name for s in f.expr.free_symbols]
        if not names:
            return Number(float(f.expr))
        if len(names) == 1 and names[0][0] in "xtWb" and "/" not in names[0]:
            return self.number(names[0])
        return None

    def titled(self, *parts) -> Prose:
        head = () if self.example is None else (
            self._("Example {e}: ").format(e=self.example),)
        return Prose(head + parts)

    # --- sections ---------------------------------------------------------------------

    def forward_section(self) -> Section:
        _ = self._
        s = Section(self.titled(_("Forward pass")), _.ngettext(
            "For each neuron, add up its weighted inputs (net), then apply the activation "
            "(out). Round each result to {d} decimal before you use it.",
            "For each neuron, add up its weighted inputs (net), then apply the activation "
            "(out). Round each result to {d} decimals before you use it.",
            self.defn.decimals).format(d=self.defn.decimals))
        for l in range(1, self.defn.network.depth + 1):
            act = self.defn.network.activations[l - 1]
            neurons = range(1, self.layers[l] + 1)
            # a neuron's net, then its out; a softmax output takes every net of its layer, so
            # the layer's nets are all asked before its first out, in the order they are worked
            order = [(k, j) for j in neurons for k in ("net", "out")] if act != "softmax" else \
                [("net", j) for j in neurons] + [("out", j) for j in neurons]
            for k, j in order:
                s.lines.append(self.net_line(l, j) if k == "net" else self.out_line(act, l, j))
        return s

    def net_line(self, l: int, j: int) -> Line:
        n = name("net", l, j)
        equation = self.graph.equations[n]
        return self.line(self.sym(n), [self.expr(equation)], n, self.rounded[n],
                         self.r.values[n], self.substituted(equation))

    def out_line(self, act: str, l: int, j: int) -> Line:
        n, o = name("net", l, j), name("out", l, j)
        return self.line(self.sym(o), [activation_form(act, self.sym(n))], o, self.rounded[o],
                         self.r.values[o], self.activation_working(act, l, j))

    def activation_working(self, act: str, l: int, j: int) -> Form | None:
        """f(net) with the neuron's net in; softmax with every net of its layer in, since it
        is never the softmax of one number."""
        net = self.number(name("net", l, j))
        if act == "identity":
            return None
        if act != "softmax":
            return activation_form(act, net)
        nets = [self.number(name("net", l, k)) for k in range(1, self.layers[l] + 1)]
        return Frac(Power(E, net), Ops.joined((Power(E, n) for n in nets), "+"))

    def loss_section(self) -> Section:
        _ = self._
        said = loss_words(self.defn.network.loss, _)
        if self.example is not None:  # the words say J; the line says J with [e] above it
            said = Prose.of(_("This example's own loss, {J} on the line below. {words}"),
                            J=self.J, words=said)
        s = Section(self.titled(_("Loss")), said)
        outs = [(self.sym(name("t", j)), self.sym(name("out", self.defn.network.depth, j)))
                for j in range(1, self.layers[-1] + 1)]
        numbers = [(self.number(name("t", j)), self.number(name("out", self.defn.network.depth, j)))
                   for j in range(1, self.layers[-1] + 1)]
        loss = self.defn.network.loss
        s.lines.append(self.line(self.J, [loss_form(loss, outs)], "J",
                                 self.rounded["J"], self.r.values["J"], loss_form(loss, numbers)))
        return s

    def gradient_section(self, param: str) -> Section:
        step = self.d.grads[param]
        parts = list(flatten(step))  # a sum of paths stays one factor
        _ = self._
        s = Section(self.titled(*_parts(_("Gradient of {J} with respect to {w}"),
                                        J=self.J, w=self.sym(param))),
                    _("By the chain rule, multiply the factors; where a quantity reaches J by "
                      "several paths, add the paths."))
        for f in parts:
            s.lines += self.factor_lines(f)
        if not isinstance(step, PathSum):  # a shared bias's sum of paths is already the answer
            s.lines.append(self.line(Partial(self.J, self.sym(param)), [self.chain(parts)],
                                     f"dJ/d{param}", self.rounded_steps[step.target],
                                     self.r.grads[param], self.products(parts)))
        elif self.softmax_bias(param):
            s.key_note = _("The paths add up to exactly 0, whatever the numbers: with softmax "
                           "and cross-entropy each output's ∂J/∂net is out − t, and the "
                           "outputs sum to 1, as the targets do, so Σ(out − t) = 0. A bias "
                           "shared by a softmax layer never learns; rounded paths may leave a "
                           "last digit over.")
        return s

    def softmax_bias(self, param: str) -> bool:
        """The output layer's shared bias under softmax and cross-entropy, whose gradient is
        exactly 0 (targets summing to 1)."""
        network = self.defn.network
        return param == name("b", network.depth) and network.activations[-1] == "softmax" \
            and network.loss == "cross_entropy" and abs(self.r.grads[param]) < 1e-12

    def delta_section(self, delta: str) -> Section:
        """δ = ∂J/∂net of one neuron: its factors, then their product."""
        step = self.d.deltas[delta]
        net = delta.split("/d", 1)[1]
        parts = list(flatten(step))
        _ = self._
        s = Section(self.titled(*_parts(_("The error term {delta} of {net}"),
                                        delta=Symbol("δ"), net=self.sym(net))),
                    _("δ = ∂J/∂net: how J changes with the neuron's net input. Multiply the "
                      "factors; where the neuron reaches J by several paths, add the paths."))
        for f in parts:
            s.lines += self.factor_lines(f)
        if len(parts) > 1:
            s.lines.append(self.line(Partial(self.J, self.sym(net)), [self.chain(parts)], delta,
                                     self.rounded_steps[delta], self.r.steps[delta],
                                     self.products(parts)))
        return s

    def chain(self, parts) -> Form:
        return Ops.joined((self.partial(f) for f in parts), "·")

    def factor_lines(self, f: Step) -> list[Line]:
        if isinstance(f, Factor):
            forms = _distinct((self.expr(f.general), self.expr(f.expr)))
            stated = self.given(f)
            if stated is not None:  # ∂net/∂b = 1, ∂net/∂out = w₅ = 0.4: nothing to work out
                forms = tuple(x for x in forms if x.expr.free_symbols)  # not "1 = 1"
                return [Line(self.partial(f), forms, None, False, None, stated)]
            return [self.line(self.partial(f), forms, f.target, self.rounded_steps[f.target],
                              self.r.steps[f.target], self.substituted(f.expr))]
        if len(f.terms) == 1:  # one path: its product is the whole sum, one blank
            factors = flatten(f.terms[0])
            lines = [line for g in factors for line in self.factor_lines(g)]
            return lines + [self.line(self.partial(f), [self.chain(factors)], f.target,
                                      self.rounded_steps[f.target], self.r.steps[f.target],
                                      self.products(factors))]
        lines = []
        products = []
        for term in f.terms:  # a sum over paths: each path's factors, then its product
            factors = flatten(term)
            for g in factors:
                lines += self.factor_lines(g)
            product = self.chain(factors)
            products.append(product)
            lines.append(self.line(Ops((Text(self._("path via ")), self.sym(_via(term.target))),
                                       ("",)),
                                   [product], term.target, self.rounded_steps[term.target],
                                   self.r.steps[term.target], self.products(factors)))
        paths = Ops.joined((self.step_number(term.target) for term in f.terms), "+")
        lines.append(self.line(self.partial(f), [Ops.joined((Group(p) for p in products), "+")],
                               f.target, self.rounded_steps[f.target], self.r.steps[f.target],
                               paths))
        return lines

    def partial(self, f: Step) -> Partial:
        """∂top/∂bottom in the sheet's notation, from a target such as 'dout[2][1]/dnet[2][1]'."""
        top, bottom = f.target[1:].split("/d", 1)
        return Partial(self.sym(top) if top != "J" else self.J, self.sym(bottom))

    def rounded_grads(self, params) -> dict[str, float]:
        """Each gradient as the student has it: from rounded intermediates, rounded."""
        return {p: self.rounded_steps[self.d.grads[p].target] for p in params}

    def batch_grads(self, sheets: list[Working], params) -> dict[str, float]:
        """The batch's gradients as the student adds them up: from each example's rounded
        answer, rounded."""
        share = 1 if self.r.instance.batch_loss == "sum" else len(sheets)
        return {p: sheet_rounded(sum(s.rounded_grads([p])[p] for s in sheets) / share,
                         self.defn.decimals) + 0.0 for p in params}

    def batch_section(self, sheets: list[Working], grads: dict[str, float]) -> Section:
        """J and each asked gradient (`grads`: as the student adds them up) as the sum (or
        mean) of the examples' own."""
        E, mean = len(sheets), self.r.instance.batch_loss == "mean"
        _ = self._
        title = _("The batch: the mean over the {n} examples") if mean else \
            _("The batch: the sum over the {n} examples")
        words_ = _("J is the mean of the {n} examples' losses, and so each gradient is the "
                   "mean of the examples' gradients.") if mean else \
            _("J is the sum of the {n} examples' losses, and so each gradient is the sum of "
              "the examples' gradients.")
        s = Section(Prose((title.format(n=E),)), words_.format(n=E))

        def total(terms: list[Form]) -> Form:
            joined = Ops.joined(terms, "+")
            return Ops((Frac(Number(1), Number(E), small=True), Group(joined, sized=True)),
                       ("",)) if mean else joined

        J = sheet_rounded(sum(t.rounded["J"] for t in sheets) / (E if mean else 1),
                          self.defn.decimals)
        s.lines.append(self.line(Name("J"), [total([t.J for t in sheets])], "J", J + 0.0,
                                 self.r.values["J"], total([t.number("J") for t in sheets])))
        for p, rounded in grads.items():
            terms = [Partial(t.J, self.sym(p)) for t in sheets]
            numbers = [t.step_number(t.d.grads[p].target) for t in sheets]
            s.lines.append(self.line(Partial(Name("J"), self.sym(p)), [total(terms)],
                                     f"dJ/d{p}", rounded, self.r.grads[p], total(numbers)))
        return s

    def update_section(self, asked, grads: dict[str, float]) -> Section:
        eta = self.defn.learning_rate
        fixed = not self.r.instance.update_biases
        _ = self._
        s = Section(Prose((_("Gradient-descent step"),)),
                    (_("New value = old value − η · gradient, with η = {eta} (biases stay fixed "
                       "in this example).") if fixed else
                     _("New value = old value − η · gradient, with η = {eta}.")).format(
                        eta=_.number(f"{eta:g}")))
        d = self.defn.decimals
        for p in asked:
            grad_rounded = grads[p]
            moves = p[0] == "W" or not fixed
            if not moves:  # a fixed bias stays as given: stated, never a blank asking nothing
                s.lines.append(Line(Scripted(self.sym(p), sup=Text(_("new"))),
                                    (Ops((self.sym(p), Text(_(" (fixed)"))), ("",)),), None,
                                    False,
                                    stated=Number(self.r.values[p])))
                continue
            rounded = sheet_rounded(self.r.values[p] - eta * grad_rounded, d) if moves else \
                self.r.values[p]
            form = (Ops((self.sym(p), ETA, Partial(Name("J"), self.sym(p))), ("−", "·"))
                    if moves else Ops((self.sym(p), Text(_(" (fixed)"))), ("",)))
            numbers = Ops((Number(self.r.values[p]), Number(eta), Number(
                grad_rounded, answer_decimals(f"dJ/d{p}", grad_rounded, d))), ("−", "·")) \
                if moves else None
            s.lines.append(self.line(Scripted(self.sym(p), sup=Text(_("new"))), [form],
                                     f"new {p}",
                                     rounded + 0.0, self.r.updated[p], numbers))
        return s


def _distinct(forms: tuple) -> tuple:
    """Forms without one equal to the one before it (the identity's slope is 1 = 1)."""
    return tuple(x for i, x in enumerate(forms) if i == 0 or x != forms[i - 1])


def _parts(message: str, **forms) -> tuple:
    """A translated title's words with its mathematics where the message names it:
    "Gradient of {J} with respect to {w}" -> ("Gradient of ", J, " with respect to ", w)."""
    parts: list = []
    for i, piece in enumerate(re.split(r"\{(\w+)\}", message)):
        piece = forms[piece] if i % 2 else piece
        if isinstance(piece, str) and parts and isinstance(parts[-1], str):
            parts[-1] += piece  # a number or a word put in is words too
        elif piece != "":
            parts.append(piece)
    return tuple(parts)


def _via(target: str) -> str:
    return target.rsplit(" via ", 1)[1]
