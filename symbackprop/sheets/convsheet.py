"""A convolution worked by hand: a small image of one channel or a few, one kernel or a few
(cross-correlation, as PyTorch's Conv2d computes it), its activation, optional pooling,
flatten, a dense output and the loss; then δ back through the output, the pooling and the
activation, and ∂J/∂K entry by entry, each a sum over the positions the kernel entry touched.
Where several filters would make the sheet pages long, the way back is asked for the first
filter only (asked_filters; the sheet says so).

Every blank is a tree over earlier blanks (worked.py); the exact values are checked against
the engine's verified ones (SymPy, NumPy, finite differences: engine/convverify.py).

>>> from symbackprop.definitions.definition import load
>>> from symbackprop.engine.sample import instance
>>> d = load('worksheets/convolution-4x4-3x3-maxpool.yaml')
>>> sheet = build(d, instance(d, accept=acceptable(d)).values)
>>> [a.name for a in sheet.answers][:5], sheet.answers[-1].name
(['z[1][1]', 'z[1][2]', 'z[2][1]', 'z[2][2]', 'a[1][1]'], 'dJ/db')
"""

from __future__ import annotations

import math
import re
from itertools import product

from ..definitions.errors import VerificationError
from ..definitions.language import N_, words
from ..engine.sample import Judged
from . import convwords
from .convback import ConvBackward, _Rejected, _sum, _sym, _times
from .convfit import asked_filters, layers_of
from .forms import Apply, Form, Frac, Group, Neg, Number, Ops, Power, Prose, Symbol, Text
from .model import Grid, Section
from .worked import Unworkable, Worked, WorkedSheet, ref
from .working import _parts


def build(defn, values) -> WorkedSheet:
    """The sheet of one draw's numbers (values: the instance's ImageValues)."""
    conv, pool, dense = layers_of(defn)
    return _ConvSheet(defn, conv, pool, dense, values).sheet()


def acceptable(defn):
    """A draw a teacher would print: every ReLU net and every pooling window clear of its
    corner or tie at the sheet's decimals, no output saturated, no gradient that rounds to
    zero unless it is zero (a dead ReLU, a window's other entries), no two kernel gradients
    alike."""
    def reason(inst) -> str | None:
        try:
            build(defn, inst.values)
        except (_Rejected, Unworkable) as exc:
            return str(exc)
        return None
    return Judged(reason)


def drawn(defn, seed: int | None, version: int | None, note=None):
    """The numbers of a network on an image as derive, train and the API take them: those its
    worksheet is drawn with (judged by `acceptable`, as build judges them) where a sheet
    prints it; else, or where no draw makes a sheet (`note` is told so), the first draw clear
    of every ReLU corner and pooling tie."""
    from ..engine.convverify import clear_of_corners
    from ..engine.sample import NoGoodDraw, instance

    try:
        layers_of(defn)
    except ValueError:  # a network no sheet prints
        return instance(defn, seed, version, clear_of_corners)
    if defn.form == "matrix":  # a page of shapes: no numbers to agree with
        return instance(defn, seed, version, clear_of_corners)
    try:
        return instance(defn, seed, version, acceptable(defn))
    except NoGoodDraw as exc:
        if note is not None:
            note(f"{exc}. No worksheet prints these numbers, so this is their first draw "
                 "clear of ReLU corners and pooling ties.")
    return instance(defn, seed, version, clear_of_corners)


def _joined(pieces: list) -> tuple:
    """Words and forms, each run of words one piece."""
    out: list = []
    for piece in pieces:
        if isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] += piece
        elif piece != "":
            out.append(piece)
    return tuple(out)


class _ConvSheet(ConvBackward):
    def __init__(self, defn, conv, pool, dense, values):
        self.defn, self.conv, self.pool, self.dense = defn, conv, pool, dense
        self.d = defn.decimals
        self.x = values.image  # [channel][row][column]
        layer = values.layers[0]
        self.K = layer.weights  # [filter][channel][row][column]
        self.b = layer.biases  # one a filter, or None
        out = values.layers[-1]
        self.V = out.weights
        self.c = out.biases
        self.t = values.targets
        self.w = Worked(self.d)
        self.F, self.C = conv.filters, len(self.x)
        self.kh, self.kw = conv.kernel
        self.M, self.N = len(self.x[0]) - self.kh + 1, len(self.x[0][0]) - self.kw + 1
        self.act = conv.activation
        self.a = "a" if self.act != "identity" else "z"  # the map pooling reads
        self.back = asked_filters(defn.network)
        self.sections: list[Section] = []
        self._ = words(defn.language)

    def positions(self, rows, cols):
        return list(product(range(1, rows + 1), range(1, cols + 1)))

    # --- names: a filter's index only where there are several, a channel's likewise ------

    def at(self, f, i, j) -> tuple:
        """The index of entry (i, j) of filter f's map as the sheet writes it."""
        return (f, i, j) if self.F > 1 else (i, j)

    def pixel(self, c, i, j) -> tuple:
        return (c, i, j) if self.C > 1 else (i, j)

    def entry(self, f, c, u, v) -> tuple:
        """Kernel entry (u, v) of filter f over channel c."""
        return (f,) * (self.F > 1) + (c,) * (self.C > 1) + (u, v)

    def filter_of(self, f) -> tuple:
        return (f,) if self.F > 1 else ()

    def named(self, letter, index) -> str:
        return letter + "".join(f"[{k}]" for k in index)

    def heading(self, one: str, several: str, f, **named) -> Prose:
        """A section's heading in the sheet's language: `several` (', filter {f}') where
        there are several filters."""
        said = self._(several if self.F > 1 else one)
        return Prose((said.format(f=f, **named),))

    def bias(self, f):
        return self.b[f - 1] if self.b is not None else None

    # --- forward -----------------------------------------------------------------------

    def sheet(self) -> WorkedSheet:
        for f in range(1, self.F + 1):
            self.feature_map(f)
        if self.act != "identity":
            for f in range(1, self.F + 1):
                self.activation(f)
        self.windows = {}
        self.pooled = [p for f in range(1, self.F + 1) for p in (
            self.pooling(f) if self.pool else
            [self.at(f, i, j) for i, j in self.positions(self.M, self.N)])]
        self.output()
        self.back_output()
        for f in self.back:
            self.back_pooling(f)
            self.back_activation(f)
            self.kernel_gradient(f)
        self.judge()
        return convwords.worksheet(self)

    def feature_map(self, f):
        _ = self._
        s = Section(self.heading(N_("The feature map"), N_("The feature map, filter {f}"), f),
                    _("Lay the kernel on the image over every channel as it is (no turning: "
                      "cross-correlation), multiply the entries it covers and add them, then "
                      "the bias.") if self.C > 1 else
                    _("Lay the kernel on the image as it is (no turning: cross-correlation), "
                      "multiply the entries it covers and add them, then the bias."))
        cells = list(product(range(1, self.C + 1), range(self.kh), range(self.kw)))
        b = self.bias(f)
        for i, j in self.positions(self.M, self.N):
            def x(c, u, v, i=i, j=j):
                return self.x[c - 1][i - 1 + u][j - 1 + v]
            terms = [["mul", self.K[f - 1][c - 1][u][v], x(c, u, v)] for c, u, v in cells]
            flipped = [["mul", self.K[f - 1][c - 1][self.kh - 1 - u][self.kw - 1 - v],
                        x(c, u, v)] for c, u, v in cells]
            bias = [b] if b is not None else []
            general = [_times(_sym("K", *self.entry(f, c, u + 1, v + 1)),
                              _sym("x", *self.pixel(c, i + u, j + v))) for c, u, v in cells]
            general += [_sym("b", *self.filter_of(f))] if bias else []
            numbers = [_times(Number(self.K[f - 1][c - 1][u][v]), Number(x(c, u, v)))
                       for c, u, v in cells] + [Number(b) for b in bias]
            s.lines.append(self.w.blank(
                self.named("z", self.at(f, i, j)), ["add", *terms, *bias],
                _sym("z", *self.at(f, i, j)), (_sum(general),), _sum(numbers),
                mistakes=[("kernel_flipped", ["add", *flipped, *bias])]))
        self.sections.append(s)

    def activation(self, f):
        words = {"relu": "ReLU", "sigmoid": "σ", "tanh": "tanh"}[self.act]
        s = Section(self.heading(N_("After the activation ({name})"),
                                 N_("After the activation ({name}), filter {f}"), f,
                                 name=words), "")
        fn = {"relu": "max", "tanh": "tanh", "sigmoid": "σ"}[self.act]
        for i, j in self.positions(self.M, self.N):
            at = self.at(f, i, j)
            z = ref(self.named("z", at))
            tree = {"relu": ["max", 0, z], "tanh": ["tanh", z],
                    "sigmoid": ["div", 1, ["add", 1, ["exp", ["neg", z]]]]}[self.act]
            args = (Number(0), _sym("z", *at)) if self.act == "relu" else (_sym("z", *at),)
            # z itself (a negative z kept by a ReLU): dropped where it is the answer
            s.lines.append(self.w.blank(self.named("a", at), tree, _sym("a", *at),
                                        (Apply(fn, args),),
                                        mistakes=[("activation_not_applied", z)]))
        z = _sym("z", *self.filter_of(f))
        s.grid = Grid(_sym("a", *self.filter_of(f)),
                      Apply(fn, (Number(0), z) if self.act == "relu" else (z,)),
                      self.M, self.N, 0)
        self.sections.append(s)

    def pooling(self, f):
        (ph, pw), (sh, sw) = self.pool.size, self.pool.stride
        rows, cols = (self.M - ph) // sh + 1, (self.N - pw) // sw + 1
        kind = "max" if self.pool.kind == "max_pool" else "average"
        _, size = self._, f"{ph}×{pw}"
        if kind == "max":
            s = Section(self.heading(N_("{size} max pooling"), N_("{size} max pooling, filter {f}"),
                                     f, size=size),
                        _("Each entry of p is the largest of its {size} window of {a}.").format(
                            size=size, a=self.a))
        else:
            s = Section(self.heading(N_("{size} average pooling"),
                                     N_("{size} average pooling, filter {f}"), f, size=size),
                        _("Each entry of p is the mean of its {size} window of {a}.").format(
                            size=size, a=self.a))
        pooled = []
        for i, j in self.positions(rows, cols):
            cells = [self.at(f, (i - 1) * sh + u + 1, (j - 1) * sw + v + 1)
                     for u, v in product(range(ph), range(pw))]
            self.windows[self.at(f, i, j)] = cells
            refs = [ref(self.named(self.a, at)) for at in cells]
            symbols = tuple(_sym(self.a, *at) for at in cells)
            if kind == "max":
                tree, form = ["max", *refs], Apply("max", symbols)
                mistakes = [("average_for_max", ["mul", 1 / len(cells), ["add", *refs]])]
                working = None  # max(0, 0.526, 0.3298, 0), from the tree
            else:
                tree = ["mul", 1 / len(cells), ["add", *refs]]
                form = Frac(Ops.joined(symbols, "+"), Number(len(cells)))
                mistakes = [("average_not_divided", ["add", *refs])]
                # the sum over the window's size, as the form says, not ¼·(…)
                working = Frac(_sum([Number(self.w.key[self.named(self.a, at)])
                                     for at in cells]), Number(len(cells)))
            s.lines.append(self.w.blank(self.named("p", self.at(f, i, j)), tree,
                                        _sym("p", *self.at(f, i, j)), (form,), working,
                                        mistakes=mistakes))
            pooled.append(self.at(f, i, j))
        s.grid = Grid(_sym("p", *self.filter_of(f)),
                      Text((_("the max of each window of {a}") if kind == "max" else
                            _("the average of each window of {a}")).format(a=self.a)),
                      rows, cols, 0)
        self.sections.append(s)
        return pooled

    @property
    def flat(self) -> str:
        """The letter of the map flatten reads."""
        return "p" if self.pool else self.a

    def output(self):
        p, _ = self.flat, self._
        inputs: list = []  # input 1 is p₁,₁, …: each name as the map's mathematics
        for k, at in enumerate(self.pooled, start=1):
            inputs += ([", "] if inputs else []) + list(
                _parts(_("input {k} is {name}"), k=str(k), name=_sym(p, *at)))
        said = (_("Flatten reads the pooled map of each filter in turn row by row: {inputs}.")
                if self.F > 1 else _("Flatten reads the pooled map row by row: {inputs}."))
        before, after = said.split("{inputs}", 1)
        s = Section(Prose((_("The output and the loss"),)), Prose(_joined([before, *inputs,
                                                                           after])))
        for j, row in enumerate(self.V, start=1):
            terms = [["mul", wk, ref(self.named(p, at))] for wk, at in zip(row, self.pooled)]
            bias = [self._c(j)] if self._c(j) is not None else []
            general = [_times(_sym("v", j, k), _sym(p, *at))
                       for k, at in enumerate(self.pooled, start=1)]
            numbers = [_times(Number(wk), Number(self.w.key[self.named(p, at)]))
                       for wk, at in zip(row, self.pooled)]
            if bias:
                general.append(_sym("c", j))
                numbers.append(Number(bias[0]))
            s.lines.append(self.w.blank(f"net[{j}]", ["add", *terms, *bias],
                                        _sym("net", j, word=True), (_sum(general),),
                                        _sum(numbers), mistakes=[("no_bias", ["add", *terms])]
                                        if bias else ()))
        self.out = [self.activated(s, j) for j in range(1, len(self.V) + 1)]
        s.lines.append(self.loss())
        self.sections.append(s)

    def activated(self, s, j):
        """out[j]'s blank on s where the output has an activation; its reference."""
        act, net = self.dense.activation, ref(f"net[{j}]")
        if act == "identity":
            return net
        name = (_sym("net", j, word=True),)
        if act == "softmax":
            tree = ["div", ["exp", net], ["add", *[["exp", ref(f"net[{k}]")]
                                                  for k in range(1, len(self.V) + 1)]]]
            others = [["exp", ref(f"net[{k}]")] for k in range(1, len(self.V) + 1) if k != j]
            form = Apply("softmax", name)
            mistakes = [("sigmoid_for_softmax", ["div", 1, ["add", 1, ["exp", ["neg", net]]]]),
                        ("softmax_own_term_left_out", ["div", ["exp", net], ["add", *others]])]
        elif act == "sigmoid":
            tree = ["div", 1, ["add", 1, ["exp", ["neg", net]]]]
            form = Apply("σ", name)
            mistakes = [("sigmoid_of_negative", ["div", 1, ["add", 1, ["exp", net]]])]
        else:
            tree, form, mistakes = ["tanh", net], Apply("tanh", name), []
        s.lines.append(self.w.blank(f"out[{j}]", tree, _sym("out", j, word=True), (form,),
                                    mistakes=mistakes))
        return ref(f"out[{j}]")

    def loss(self):
        out = self.out
        if self.defn.network.loss == "half_sse":
            diffs = [["sub", t, o] for t, o in zip(self.t, out)]
            tree = ["mul", 0.5, ["add", *[["mul", e, e] for e in diffs]]]
            squares = [Power(Group(Ops((_sym("t", j), self._outname(j)), ("−",))), Number(2))
                       for j in range(1, len(out) + 1)]
            form = Ops((Frac(Number(1), Number(2), small=True), Group(Ops.joined(squares, "+"))
                        if len(squares) > 1 else squares[0]), ("",))
            # the numbers put in as the form writes them, ½(0.9 − 0.3899)², not 0.5·(…)·(…)
            put = [Power(Group(Ops((Number(t), self._number(o)), ("−",))), Number(2))
                   for t, o in zip(self.t, out)]
            working = Ops((Frac(Number(1), Number(2), small=True), Group(Ops.joined(put, "+"))
                           if len(put) > 1 else put[0]), ("",))
            mistakes = [("loss_half_missing", tree[2])]
        else:
            tree = ["neg", ["add", *[["mul", t, ["log", o]] for t, o in zip(self.t, out)]]]
            form = Neg(Group(Ops.joined([_times(_sym("t", j), Apply("ln", (self._outname(j),)))
                                         for j in range(1, len(out) + 1)], "+")))
            mistakes = [("log10_for_ln", ["div", tree, math.log(10)])]
            working = None
        return self.w.blank("J", tree, Symbol("J"), (form,), working, mistakes=mistakes)

    def _number(self, out) -> Form:
        """An output's rounded value as the key puts it in: in brackets where negative."""
        n = Number(self.w.key[out[1]])
        return Group(n) if n.value < 0 else n

    def _c(self, j):
        if self.c is None:
            return None
        return self.c[0] if len(self.c) == 1 else self.c[j - 1]

    def _outname(self, j):
        return _sym("out" if self.dense.activation != "identity" else "net", j, word=True)

    def judge(self):
        """_Rejected for a draw a teacher would not print (see acceptable)."""
        d, w = self.d, self.w
        half = 0.5 * 10.0 ** -d
        for name, value in w.key.items():
            exact = w.exact[name]
            if value == 0 and abs(exact) > 1e-12:
                raise _Rejected("an answer rounds to 0 at the sheet's decimals though it is not 0")
            if name.startswith("z[") and self.act == "relu" and abs(exact) < 2 * half:
                raise _Rejected(f"a ReLU's net ({name}) is within a rounding of 0, its corner")
            if name.startswith("net[") and abs(exact) > 4 and self.dense.activation in (
                    "sigmoid", "tanh"):
                raise _Rejected(f"the output's net ({name}) is past ±4, where the "
                                f"{self.dense.activation} is saturated and its gradient all but 0")
        for f in range(1, self.F + 1):
            on = [w.key[self.named("z", self.at(f, i, j))] > 0
                  for i, j in self.positions(self.M, self.N)]
            if self.act == "relu" and 2 * sum(on) < len(on):
                raise _Rejected("most of a filter's ReLUs are dead (their net below 0), "
                                "leaving little of its kernel's gradient to work")
        grads = [w.key[n] for n in w.key if n.startswith("dJ/dK")]
        if any(g == 0 for g in grads) or len(set(grads)) < len(grads):
            raise _Rejected("a kernel gradient rounds to 0, or two of them are alike")


def check_against(sheet: WorkedSheet, verified) -> None:
    """Every exact value the sheet asks for that the engine verified (the forward pass, J,
    ∂J/∂K and ∂J/∂b) agrees with it to 1e-9; VerificationError otherwise."""
    v, g = verified.values, verified.grads
    net = verified.instance.network
    L, F, C = len(net.layers), net.layers[0].filters, net.image.shape[0]
    names = {"J": v["J"]}
    for a in sheet.answers:
        n = a.name
        index = [int(k) for k in re.findall(r"\[(\d+)\]", n)]
        at = "".join(f"[{k}]" for k in ([1] * (F == 1) + index))  # [f][i][j]
        engine = {"z": f"net[1]{at}", "a": f"out[1]{at}", "p": f"out[2]{at}"}
        if n[0] in engine:
            names[n] = v[engine[n[0]]]
        elif n[0] in "no":  # net[j], out[j] of the dense output
            names[n] = v[f"{n[0:3]}[{L}][{index[0]}]"]
        elif n.startswith("dJ/dK"):
            full = [1] * (F == 1) + index[:len(index) - 2 - (C > 1)] + [1] * (C == 1) + \
                index[len(index) - 2 - (C > 1):]
            names[n] = g["K[1]" + "".join(f"[{k}]" for k in full)]
        elif n.startswith("dJ/db"):
            names[n] = g[f"b[1][{index[0] if index else 1}]"]
    for a in sheet.answers:
        if a.name in names and abs(a.exact - names[a.name]) > 1e-9 * max(1, abs(a.exact)):
            raise VerificationError(f"{a.name}: {a.exact!r} on the sheet, {names[a.name]!r} "
                                    "verified by the engine")
