"""A convolution worked by hand: one small one-channel image, one kernel (cross-correlation, as
PyTorch's Conv2d computes it), its activation, optional pooling, flatten, a dense output and
the loss; then δ back through the output, the pooling and the activation, and ∂J/∂K entry by
entry, each a sum over the positions the kernel entry touched.

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

from itertools import product

from ..definitions.errors import VerificationError
from ..definitions.layers import Convolution, Dense, Flatten, Pooling
from ..engine import proofs
from .convback import ConvBackward, _Rejected, _sum, _sym, _times
from .forms import (
    Apply,
    Equation,
    Frac,
    Group,
    Neg,
    Number,
    Ops,
    Power,
    Prose,
    Symbol,
    Text,
)
from .model import Given, Grid, Section
from .worked import Picture, Unworkable, Worked, WorkedSheet, ref

OUTPUTS = {("half_sse", "sigmoid"), ("half_sse", "identity"), ("half_sse", "tanh"),
           ("cross_entropy", "softmax")}
MAX_SIDE = 8  # an image side a hand-worked sheet prints (the digits are 8 × 8)
MAX_TERMS = 64  # terms of one sum on a line (the scheme's add takes 64)


def layers_of(defn):
    """(convolution, pooling or None, dense) of a sheet's network, or ValueError naming the
    file and key of what a hand-worked sheet does not print."""
    net, src = defn.network, defn.source
    kinds = [type(layer) for layer in net.layers]
    if kinds not in ([Convolution, Flatten, Dense], [Convolution, Pooling, Flatten, Dense]):
        raise ValueError(f"{src}: network.layers: a convolution worksheet is one convolution, "
                         "optional max_pool or average_pool, flatten, then one dense layer")
    conv, dense = net.layers[0], net.layers[-1]
    pool = net.layers[1] if len(net.layers) == 4 else None
    c, h, w = net.image.shape
    if c != 1 or conv.filters != 1 or max(h, w) > MAX_SIDE:
        raise ValueError(f"{src}: network.input: a convolution worksheet has one channel and "
                         f"one filter on an image of at most {MAX_SIDE}×{MAX_SIDE}")
    if conv.stride != (1, 1) or conv.padding != (0, 0):
        raise ValueError(f"{src}: network.layers[0]: a convolution worksheet uses stride 1 "
                         "and no padding")
    if (net.loss, dense.activation) not in OUTPUTS:
        raise ValueError(f"{src}: network.loss: a convolution worksheet ends in a sigmoid, "
                         "tanh or identity output with half_sse, or softmax with "
                         "cross_entropy")
    return conv, pool, dense


def build(defn, values) -> WorkedSheet:
    """The sheet of one draw's numbers (values: the instance's ImageValues)."""
    conv, pool, dense = layers_of(defn)
    return _ConvSheet(defn, conv, pool, dense, values).sheet()


def acceptable(defn):
    """A draw a teacher would print: every ReLU net and every pooling window clear of its
    corner or tie at the sheet's decimals, no output saturated, no gradient that rounds to
    zero unless it is zero (a dead ReLU, a window's other entries), no two kernel gradients
    alike."""
    def accept(inst) -> bool:
        try:
            build(defn, inst.values)
        except (_Rejected, Unworkable):
            return False
        return True
    return accept


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


class _ConvSheet(ConvBackward):
    def __init__(self, defn, conv, pool, dense, values):
        self.defn, self.conv, self.pool, self.dense = defn, conv, pool, dense
        self.d = defn.decimals
        self.x = values.image[0]
        layer = values.layers[0]
        self.K = layer.weights[0][0]
        self.b = layer.biases[0] if layer.biases is not None else None
        out = values.layers[-1]
        self.V = out.weights
        self.c = out.biases
        self.t = values.targets
        self.w = Worked(self.d)
        kh, kw = conv.kernel
        self.kh, self.kw = kh, kw
        self.M, self.N = len(self.x) - kh + 1, len(self.x[0]) - kw + 1
        self.act = conv.activation
        self.a = "a" if self.act != "identity" else "z"  # the map pooling reads
        self.sections: list[Section] = []

    def positions(self, rows, cols):
        return list(product(range(1, rows + 1), range(1, cols + 1)))

    # --- forward -----------------------------------------------------------------------

    def sheet(self) -> WorkedSheet:
        self.feature_map()
        if self.act != "identity":
            self.activation()
        self.pooled = self.pooling() if self.pool else [
            (i, j, f"{self.a}[{i}][{j}]") for i, j in self.positions(self.M, self.N)]
        self.output()
        self.back_output()
        self.back_pooling()
        self.back_activation()
        self.kernel_gradient()
        self.judge()
        return self.worksheet()

    def feature_map(self):
        s = Section(Prose(("The feature map",)), "Lay the kernel on the image as it is (no "
                    "turning: cross-correlation), multiply the entries it covers and add them, "
                    "then the bias.")
        for i, j in self.positions(self.M, self.N):
            cells = list(product(range(self.kh), range(self.kw)))
            terms = [["mul", self.K[u][v], self.x[i - 1 + u][j - 1 + v]] for u, v in cells]
            flipped = [["mul", self.K[self.kh - 1 - u][self.kw - 1 - v],
                        self.x[i - 1 + u][j - 1 + v]] for u, v in cells]
            bias = [self.b] if self.b is not None else []
            general = [_times(_sym("K", u + 1, v + 1), _sym("x", i + u, j + v))
                       for u, v in cells] + ([Symbol("b")] if bias else [])
            numbers = [_times(Number(self.K[u][v]), Number(self.x[i - 1 + u][j - 1 + v]))
                       for u, v in cells] + [Number(b) for b in bias]
            s.lines.append(self.w.blank(
                f"z[{i}][{j}]", ["add", *terms, *bias], _sym("z", i, j), (_sum(general),),
                _sum(numbers), mistakes=[("kernel_flipped", ["add", *flipped, *bias])]))
        self.sections.append(s)

    def activation(self):
        words = {"relu": "ReLU", "sigmoid": "σ", "tanh": "tanh"}[self.act]
        s = Section(Prose((f"After the activation ({words})",)), "")
        for i, j in self.positions(self.M, self.N):
            z = ref(f"z[{i}][{j}]")
            tree = {"relu": ["max", 0, z], "tanh": ["tanh", z],
                    "sigmoid": ["div", 1, ["add", 1, ["exp", ["neg", z]]]]}[self.act]
            f = {"relu": "max", "tanh": "tanh", "sigmoid": "σ"}[self.act]
            args = (Number(0), _sym("z", i, j)) if self.act == "relu" else (_sym("z", i, j),)
            s.lines.append(self.w.blank(f"a[{i}][{j}]", tree, _sym("a", i, j),
                                        (Apply(f, args),)))
        s.grid = Grid(_sym("a"), Apply(f, (Number(0), _sym("z")) if self.act == "relu"
                                       else (_sym("z"),)), self.M, self.N, 0)
        self.sections.append(s)

    def pooling(self):
        (ph, pw), (sh, sw) = self.pool.size, self.pool.stride
        rows, cols = (self.M - ph) // sh + 1, (self.N - pw) // sw + 1
        kind = "max" if self.pool.kind == "max_pool" else "average"
        s = Section(Prose((f"{ph}×{pw} {kind} pooling",)),
                    f"Each entry of p is the {'largest' if kind == 'max' else 'mean'} of its "
                    f"{ph}×{pw} window of {self.a}.")
        self.windows = {}
        pooled = []
        for i, j in self.positions(rows, cols):
            cells = [((i - 1) * sh + u + 1, (j - 1) * sw + v + 1)
                     for u, v in product(range(ph), range(pw))]
            self.windows[(i, j)] = cells
            refs = [ref(f"{self.a}[{r}][{c}]") for r, c in cells]
            symbols = tuple(_sym(self.a, r, c) for r, c in cells)
            if kind == "max":
                tree, form, mistakes = ["max", *refs], Apply("max", symbols), []
            else:
                tree = ["mul", 1 / len(cells), ["add", *refs]]
                form = Frac(Ops.joined(symbols, "+"), Number(len(cells)))
                mistakes = [("average_not_divided", ["add", *refs])]
            s.lines.append(self.w.blank(f"p[{i}][{j}]", tree, _sym("p", i, j), (form,),
                                        mistakes=mistakes))
            pooled.append((i, j, f"p[{i}][{j}]"))
        s.grid = Grid(_sym("p"), Text(f"the {kind} of each window of {self.a}"), rows, cols, 0)
        self.sections.append(s)
        return pooled

    def output(self):
        s = Section(Prose(("The output and the loss",)),
                    "Flatten reads the pooled map row by row: " + ", ".join(
                        f"input {k} is {n.split('[')[0]}{i},{j}"
                        for k, (i, j, n) in enumerate(self.pooled, start=1)) + ".")
        for j, row in enumerate(self.V, start=1):
            terms = [["mul", wk, ref(n)] for wk, (_, _, n) in zip(row, self.pooled)]
            bias = [self._c(j)] if self._c(j) is not None else []
            general = [_times(_sym("v", j, k), _sym(n[0], r, c))
                       for k, (r, c, n) in enumerate(self.pooled, start=1)]
            numbers = [_times(Number(wk), Number(self.w.key[n]))
                       for wk, (_, _, n) in zip(row, self.pooled)]
            if bias:
                general.append(_sym("c", j))
                numbers.append(Number(bias[0]))
            s.lines.append(self.w.blank(f"net[{j}]", ["add", *terms, *bias],
                                        _sym("net", j, word=True), (_sum(general),),
                                        _sum(numbers)))
        act, out = self.dense.activation, []
        for j in range(1, len(self.V) + 1):
            net = ref(f"net[{j}]")
            if act == "identity":
                out.append(net)
                continue
            if act == "softmax":
                tree = ["div", ["exp", net], ["add", *[["exp", ref(f"net[{k}]")]
                                                      for k in range(1, len(self.V) + 1)]]]
                form, mistakes = Apply("softmax", (_sym("net", j, word=True),)), []
            elif act == "sigmoid":
                tree = ["div", 1, ["add", 1, ["exp", ["neg", net]]]]
                form = Apply("σ", (_sym("net", j, word=True),))
                mistakes = [("sigmoid_of_negative", ["div", 1, ["add", 1, ["exp", net]]])]
            else:
                tree, form, mistakes = ["tanh", net], Apply("tanh", (_sym("net", j,
                                                                          word=True),)), []
            s.lines.append(self.w.blank(f"out[{j}]", tree, _sym("out", j, word=True), (form,),
                                        mistakes=mistakes))
            out.append(ref(f"out[{j}]"))
        self.out = out
        if self.defn.network.loss == "half_sse":
            diffs = [["sub", t, o] for t, o in zip(self.t, out)]
            tree = ["mul", 0.5, ["add", *[["mul", e, e] for e in diffs]]]
            squares = [Power(Group(Ops((_sym("t", j), self._outname(j)), ("−",))), Number(2))
                       for j in range(1, len(out) + 1)]
            form = Ops((Frac(Number(1), Number(2), small=True), Group(Ops.joined(squares, "+"))
                        if len(squares) > 1 else squares[0]), ("",))
        else:
            tree = ["neg", ["add", *[["mul", t, ["log", o]] for t, o in zip(self.t, out)]]]
            form = Neg(Group(Ops.joined([_times(_sym("t", j), Apply("ln", (self._outname(j),)))
                                         for j in range(1, len(out) + 1)], "+")))
        s.lines.append(self.w.blank("J", tree, Symbol("J"), (form,)))
        self.sections.append(s)

    def _c(self, j):
        if self.c is None:
            return None
        return self.c[0] if len(self.c) == 1 else self.c[j - 1]

    def _outname(self, j):
        return _sym("out" if self.dense.activation != "identity" else "net", j, word=True)

    # --- backward ----------------------------------------------------------------------






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
        if self.act == "relu" and 2 * sum(w.key[n] > 0 for n in w.key if n[0] == "z") < \
                self.M * self.N:
            raise _Rejected("most ReLUs are dead (their net below 0), leaving little of the "
                            "kernel's gradient to work")  # little of the kernel's gradient to work
        grads = [w.key[n] for n in w.key if n.startswith("dJ/dK")]
        if any(g == 0 for g in grads) or len(set(grads)) < len(grads):
            raise _Rejected("a kernel gradient rounds to 0, or two of them are alike")

    def worksheet(self) -> WorkedSheet:
        defn = self.defn
        h, w = len(self.x), len(self.x[0])
        pool = ""
        if self.pool:
            (ph, pw), kind = self.pool.size, self.pool.kind.split("_")[0]
            pool = f" {ph}×{pw} {kind} pooling gives p;"
        act = {"relu": "a = ReLU(z)", "sigmoid": "a = σ(z)", "tanh": "a = tanh(z)",
               "identity": ""}[self.act]
        outs = {"sigmoid": "sigmoid", "identity": "linear", "tanh": "tanh",
                "softmax": "softmax"}[self.dense.activation]
        loss = "J = ½ Σ (t − out)²" if defn.network.loss == "half_sse" else \
            "J = −Σ t·ln out (cross-entropy)"
        words = (f"A {h}×{w} image x (one channel) is filtered by a {self.kh}×{self.kw} kernel K"
                 f"{' with bias b' if self.b is not None else ''} (stride 1, no padding) into "
                 f"a {self.M}×{self.N} feature map z;{' ' + act + ';' if act else ''}{pool} "
                 f"read row by row, it feeds {len(self.V)} {outs} output"
                 f"{'s' if len(self.V) > 1 else ''} out = f(net) with weights v and "
                 f"bias{'es' if len(self.V) > 1 else ''} c; the loss is {loss}.")
        plus = ", plus b" if self.b is not None else ""
        notes = ["Convolution here is what PyTorch's Conv2d computes, a cross-correlation: "
                 f"each entry of z is the sum of the kernel entries times the pixels under "
                 f"them{plus}, the kernel laid on the image as it is. Many textbooks turn the "
                 "kernel half a turn first (true convolution); do not."]
        givens = [Given("Output layer", (tuple(
            Equation((_sym("v", j, k), Number(wk)))
            for j, row in enumerate(self.V, start=1) for k, wk in enumerate(row, start=1)),
            tuple(Equation((_sym("c", j), Number(self._c(j))))
                  for j in range(1, len(self.V) + 1) if self._c(j) is not None))),
            Given("Targets", (tuple(Equation((_sym("t", j), Number(t)))
                                    for j, t in enumerate(self.t, start=1)),))]
        if self.b is not None:
            givens.insert(0, Given("Kernel bias", ((Equation((Symbol("b"), Number(self.b))),),)))
        pictures = [Picture(f"The image x ({h}×{w})", self.x, "x"),
                    Picture(f"The kernel K ({self.kh}×{self.kw})", self.K, "K")]
        rules = ["kernel_gradient"] + (["convolution_bias"] if self.b is not None else []) + (
            [self.pool.kind] if self.pool else [])
        numbers = {"image": [list(r) for r in self.x], "kernel": [list(r) for r in self.K],
                   "bias": self.b, "weights": [list(r) for r in self.V],
                   "biases": list(self.c) if self.c is not None else None,
                   "targets": list(self.t)}
        return WorkedSheet(defn.title, "convolution", self.d, None, None, words, notes,
                           pictures, givens, self.sections, self.w.answers, self.w.blanks,
                           numbers, proofs.for_rules(rules))


def check_against(sheet: WorkedSheet, verified) -> None:
    """Every exact value the sheet asks for that the engine verified (the forward pass, J,
    ∂J/∂K and ∂J/∂b) agrees with it to 1e-9; VerificationError otherwise."""
    v, g = verified.values, verified.grads
    L = len(verified.instance.network.layers)
    names = {"J": v["J"]}
    for a in sheet.answers:
        n, idx = a.name, a.name[a.name.find("["):]
        engine = {"z": f"net[1][1]{idx}", "a": f"out[1][1]{idx}", "p": f"out[2][1]{idx}",
                  "n": f"net[{L}]{idx}", "o": f"out[{L}]{idx}"}
        if n[0] in engine and not n.startswith("dJ"):
            names[n] = v[engine[n[0]]]
        elif n.startswith("dJ/dK"):
            names[n] = g[f"K[1][1][1]{idx}"]
        elif n == "dJ/db":
            names[n] = g["b[1][1]"]
    for a in sheet.answers:
        if a.name in names and abs(a.exact - names[a.name]) > 1e-9 * max(1, abs(a.exact)):
            raise VerificationError(f"{a.name}: {a.exact!r} on the sheet, {names[a.name]!r} "
                                    "verified by the engine")
