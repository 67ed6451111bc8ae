"""A worksheet as data: the lines of working, the labelled answers and the proofs they rely on.

Built from a verified result; values are rounded as a student rounds (each intermediate to the
definition's decimals before it is used), and every answer keeps its exact, verified value too.

>>> from symbackprop.definitions.definition import load
>>> from symbackprop.engine.sample import instance
>>> from symbackprop.engine.verify import run
>>> d = load('worksheets/blog-2-2-2.yaml')
>>> ws = build(d, run(d, instance(d)))
>>> [(a.label, a.name, a.value) for a in ws.answers[:2]]
[('a', 'net[1][1]', 0.3775), ('b', 'out[1][1]', 0.593269992)]
>>> next(a for a in ws.answers if a.name == 'dJ/dW[2][1][1]').value
0.082167041
"""

from __future__ import annotations

import string
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import sympy as sp

from ..definitions.canonical import at_example, example_of
from ..definitions.definition import Definition
from ..engine import proofs
from ..engine.derivation import Derivation
from ..engine.evaluate import forward, step_values
from ..engine.graph import name
from ..engine.sample import Instance
from ..engine.steps import Factor, PathSum, Step, flatten, leaves
from ..engine.verify import Verified
from ..formats.latex import NoEscape, symbol
from ..marking.scheme_writer import with_scheme


@dataclass(frozen=True)
class Answer:
    label: str  # printed label: a, b, ..., z, aa, ab, ...
    name: str  # canonical name: net[1][1], J, dJ/dW[2][1][1], dJ/dout[2][1], new W[2][1][1]
    value: float  # as printed: computed from rounded intermediates, rounded
    exact: float  # the verified, unrounded value


@dataclass(frozen=True)
class Line:
    """One line of working: quantity = general form = this network's form = answer."""

    quantity: NoEscape
    forms: tuple[NoEscape, ...]
    answer: Answer
    first: bool  # False where the answer was already asked for earlier on the sheet


@dataclass(frozen=True)
class Grid:
    """A matrix of blanks, laid out as the matrix with its shape under it: the section's
    lines from `first` on are its entries, row by row."""

    quantity: NoEscape  # \delta^{(1)}
    form: NoEscape  # \left(W^{(2)}\right)^{T} \delta^{(2)} \odot f'(\mathrm{net}^{(1)})
    rows: int
    columns: int
    first: int
    shape_asked: bool = False  # its shape is a question before it: shown under it in the key

    def layout(self, lines: list) -> tuple[list, list[list]]:
        """A section's lines (or a driver's views of them): those before the matrix, and the
        matrix's entries as its rows."""
        entries = lines[self.first:]
        return lines[:self.first], [entries[r * self.columns:(r + 1) * self.columns]
                                    for r in range(self.rows)]


@dataclass
class Section:
    title: str
    intro: str
    lines: list[Line] = field(default_factory=list)
    grid: Grid | None = None


@dataclass
class Worksheet:
    title: str
    notation: str
    decimals: int
    learning_rate: float
    sections: list[Section]
    answers: list[Answer]
    proofs: list[proofs.Proof]
    values: dict[str, float]  # the given numbers by canonical name
    layers: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    bias: str
    seed: int | None
    version: int | None
    asked: tuple[str, ...]
    examples: int = 0  # of a batch (its givens are x[k]@e, t[j]@e); 0 for one example
    batch_loss: str = "sum"


def default_ask(defn: Definition) -> tuple[str, ...]:
    """Seed 003's w5 and w1 and the output bias, as far as the network has them."""
    net = defn.network
    L = net.depth
    asked = [name("W", L, 1, 1)] + ([name("W", 1, 1, 1)] if L > 1 else [])
    if net.bias == "shared":
        asked.append(name("b", L))
    elif net.bias == "per_neuron":
        asked.append(name("b", L, 1))
    return tuple(asked)


def chain_lines(defn: Definition) -> int:
    """How many lines the asked chains take on a sheet (of a batch, every example's), counted
    from the derivation's shape alone, without numbers. A chain writes every path to J out in
    full, as a student works it, so in a deep network it grows as the product of the later
    layers' widths: 12 layers of 2 neurons write 16,380 lines for w1. A matrix sheet has no
    chains."""
    if defn.form == "matrix":
        return 0
    from ..engine.derivation import derive_all
    from ..engine.graph import build as build_graph

    d = derive_all(build_graph(defn.network))
    counted: dict[int, int] = {}
    total = 0
    for asked in defn.ask or default_ask(defn):
        bare = example_of(asked)[0]  # a batch's δ is one example's: dJ@e/dnet[l][j]@e
        step = d.deltas[bare] if _is_delta(bare) else d.grads[bare]
        parts = list(flatten(step))  # a sum of paths stays one factor
        lines = sum(_lines(f, counted) for f in parts) + (len(parts) > 1)  # and their product
        total += lines if _is_delta(bare) else lines * max(1, defn.examples)  # every example's
    return total


def _lines(f: Step, counted: dict[int, int]) -> int:
    """The length of _Sheet.factor_lines(f), each shared δ counted once and reused."""
    if isinstance(f, Factor):
        return 1
    if id(f) not in counted:
        counted[id(f)] = 1 + sum(1 + sum(_lines(g, counted) for g in flatten(term))
                                 for term in f.terms)
    return counted[id(f)]


def build(defn: Definition, result: Verified) -> Worksheet:
    asked = defn.ask or default_ask(defn)
    if defn.form == "matrix":
        sheet = _Sheet(defn, result)
        sections = [sheet.forward_section(), sheet.loss_section()] + sheet.matrix_sections()
        answers, asked = sheet.answers, tuple(result.derivation.grads)
    elif result.examples:
        sections, answers = _batch_sections(defn, result, asked)
    else:
        sheet = _Sheet(defn, result)
        sections = [sheet.forward_section(), sheet.loss_section()]
        sections += [sheet.delta_section(p) if _is_delta(p) else sheet.gradient_section(p)
                     for p in asked]
        params = [p for p in asked if not _is_delta(p)]
        if params:
            sections.append(sheet.update_section(params, sheet.rounded_grads(params)))
        answers = sheet.answers
    steps = result.derivation.deltas | result.derivation.grads
    used = {f.rule for p in asked for f in leaves(steps[example_of(p)[0]])}
    net = defn.network
    if defn.form == "matrix":
        used |= {"delta_hidden", "weight_gradient_matrix"} if net.depth > 1 else \
            {"weight_gradient_matrix"}
        used |= set() if net.bias == "none" else {"bias_gradient_vector"}
        used |= set() if net.activations[-1] == "softmax" else {"delta_output"}
    return Worksheet(
        title=defn.title, notation=defn.notation, decimals=defn.decimals,
        learning_rate=defn.learning_rate, sections=sections, answers=answers,
        proofs=proofs.for_rules(sorted(used)), values=_given(result),
        layers=net.layers, activations=net.activations, loss=net.loss, bias=net.bias,
        seed=result.instance.seed, version=result.instance.version, asked=tuple(asked),
        examples=len(result.examples), batch_loss=result.instance.batch_loss)


def _batch_sections(defn: Definition, result: Verified, asked) -> tuple[list, list]:
    """Each example's forward pass, loss and asked chains, as a sheet of one example with its
    names carrying '@e'; then the batch's loss and gradients as sums over the examples, and
    one step with them. A δ asked of a batch is one example's (dJ@e/dnet[l][j]@e)."""
    answers: list[Answer] = []
    by_name: dict[str, Answer] = {}
    sheets = [_Sheet(defn, one, e, answers, by_name)
              for e, one in enumerate(result.examples, start=1)]
    params = [p for p in asked if p[0] in "Wb"]
    sections = []
    for e, sheet in enumerate(sheets, start=1):
        sections += [sheet.forward_section(), sheet.loss_section()]
        sections += [sheet.gradient_section(p) for p in params]
        sections += [sheet.delta_section(example_of(p)[0]) for p in asked
                     if example_of(p)[1] == e]
    total = _Sheet(defn, result, None, answers, by_name)
    grads = total.batch_grads(sheets, params)
    sections.append(total.batch_section(sheets, grads))
    if params:
        sections.append(total.update_section(params, grads))
    return sections, answers


def key_json(defn: Definition, ws: Worksheet, result: Verified) -> dict:
    definition = {"title": defn.title, **definition_json(defn, result.instance),
                  "notation": ws.notation, "decimals": ws.decimals, "ask": list(ws.asked),
                  "points": dict(defn.points)} | ({"form": "matrix"} if defn.form == "matrix"
                                                   else {})
    return with_scheme({"definition": definition, "seed": ws.seed, "version": ws.version,
                        "answers": [asdict(a) for a in ws.answers]})


def definition_json(defn: Definition, inst: Instance) -> dict:
    """The network and every number of an instance, as key.json writes them (a batch: its
    examples, each {inputs, targets}, and batch_loss)."""
    v, net = inst.values, defn.network
    if inst.batched:
        given = {"examples": [{"inputs": list(e.inputs), "targets": list(e.targets)}
                              for e in v.examples]}
    else:
        given = {"inputs": list(v.inputs), "targets": list(v.targets)}
    return {
        "network": {"layers": list(net.layers), "activation": list(net.activations),
                    "loss": net.loss, "bias": net.bias},
        "values": given | {"weights": [[list(r) for r in m] for m in v.weights],
                           "biases": None if v.biases is None else [list(b) for b in v.biases]},
        "learning_rate": inst.learning_rate, "update_biases": inst.update_biases,
    } | ({"batch_loss": inst.batch_loss} if inst.batched else {})


def _given(result: Verified) -> dict[str, float]:
    return {k: v for k, v in result.values.items() if k[0] in "xtWb"}


def label(i: int) -> str:
    """a, ..., z, aa, ab, ...: the i-th blank's label."""
    letters = string.ascii_lowercase
    return letters[i] if i < 26 else label(i // 26 - 1) + letters[i % 26]


class _Sheet:
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
        self.J = "J" if example is None else "J^{[%d]}" % example
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

    def sym(self, canonical: str) -> str:
        return symbol(self.named(canonical), self.defn.notation, self.layers)

    def math(self, expr: sp.Expr) -> NoEscape:
        names = {s: _GENERIC_TEX.get(s.name) or self.sym(s.name) for s in expr.free_symbols}
        return NoEscape(_latex(expr, tuple(sorted(names.items(), key=lambda n: n[0].name))))

    def answer(self, canonical: str, value: float, exact: float) -> tuple[Answer, bool]:
        canonical = self.named(canonical)
        if canonical in self.by_name:
            return self.by_name[canonical], False
        a = Answer(label(len(self.answers)), canonical, value, exact)
        self.answers.append(a)
        self.by_name[canonical] = a
        return a, True

    def line(self, quantity: str, forms, canonical: str, value: float, exact: float) -> Line:
        a, first = self.answer(canonical, value, exact)
        return Line(NoEscape(quantity), tuple(NoEscape(f) for f in forms), a, first)

    # --- sections ---------------------------------------------------------------------

    def forward_section(self) -> Section:
        s = Section(self.titled("Forward pass"), "For each neuron, add up its weighted inputs "
                    "(net), then apply the activation (out). Round each result to "
                    f"{self.defn.decimals} decimals before you use it.")
        for l in range(1, self.defn.network.depth + 1):
            act = self.defn.network.activations[l - 1]
            for j in range(1, self.layers[l] + 1):
                n, o = name("net", l, j), name("out", l, j)
                s.lines.append(self.line(self.sym(n), [self.math(self.graph.equations[n])], n,
                                         self.rounded[n], self.r.values[n]))
                s.lines.append(self.line(self.sym(o), [_ACTIVATION_TEX[act](self.sym(n))], o,
                                         self.rounded[o], self.r.values[o]))
        return s

    def loss_section(self) -> Section:
        words = _LOSS_WORDS[self.defn.network.loss]
        if self.example is not None:  # the words say J; the line says J with [e] above it
            words = f"This example's own loss, J[{self.example}] on the line below. {words}"
        s = Section(self.titled("Loss"), words)
        outs = [(self.sym(name("t", j)), self.sym(name("out", self.defn.network.depth, j)))
                for j in range(1, self.layers[-1] + 1)]
        s.lines.append(self.line(self.J, [_LOSS_TEX[self.defn.network.loss](outs)], "J",
                                 self.rounded["J"], self.r.values["J"]))
        return s

    def gradient_section(self, param: str) -> Section:
        step = self.d.grads[param]
        grad = f"dJ/d{param}"
        parts = list(flatten(step))  # a sum of paths stays one factor
        chain = r" \cdot ".join(self.partial(f) for f in parts)
        s = Section(self.titled(f"Gradient of ${self.J}$ with respect to ${self.sym(param)}$"),
                    "By the chain rule, multiply the factors; where a quantity reaches J by "
                    "several paths, add the paths.")
        for f in parts:
            s.lines += self.factor_lines(f)
        if not isinstance(step, PathSum):  # a shared bias's sum of paths is already the answer
            s.lines.append(self.line(_partial(self.J, self.sym(param)), [chain], grad,
                                     self.rounded_steps[step.target], self.r.grads[param]))
        return s

    def delta_section(self, delta: str) -> Section:
        """δ = ∂J/∂net of one neuron: its factors, then their product."""
        step = self.d.deltas[delta]
        net = delta.split("/d", 1)[1]
        parts = list(flatten(step))
        s = Section(self.titled(f"The error term $\\delta$ of ${self.sym(net)}$"),
                    "δ = ∂J/∂net: how J changes with the neuron's net input. Multiply the "
                    "factors; where the neuron reaches J by several paths, add the paths.")
        for f in parts:
            s.lines += self.factor_lines(f)
        if len(parts) > 1:
            chain = r" \cdot ".join(self.partial(f) for f in parts)
            s.lines.append(self.line(_partial(self.J, self.sym(net)), [chain], delta,
                                     self.rounded_steps[delta], self.r.steps[delta]))
        return s

    def factor_lines(self, f: Step) -> list[Line]:
        if isinstance(f, Factor):
            return [self.line(self.partial(f), [self.math(f.general), self.math(f.expr)],
                              f.target, self.rounded_steps[f.target], self.r.steps[f.target])]
        lines = []
        products = []
        for term in f.terms:  # a sum over paths: each path's factors, then its product
            factors = flatten(term)
            for g in factors:
                lines += self.factor_lines(g)
            product = r" \cdot ".join(self.partial(g) for g in factors)
            products.append(product)
            lines.append(self.line(r"\text{path via } " + self.sym(_via(term.target)),
                                   [product], term.target, self.rounded_steps[term.target],
                                   self.r.steps[term.target]))
        lines.append(self.line(self.partial(f), [" + ".join(f"({p})" for p in products)],
                               f.target, self.rounded_steps[f.target], self.r.steps[f.target]))
        return lines

    def partial(self, f: Step) -> str:
        """∂top/∂bottom in the sheet's notation, from a target such as 'dout[2][1]/dnet[2][1]'."""
        top, bottom = f.target[1:].split("/d", 1)
        return _partial(self.sym(top) if top != "J" else self.J, self.sym(bottom))

    def titled(self, title: str) -> str:
        return title if self.example is None else f"Example {self.example}: {title}"

    def rounded_grads(self, params) -> dict[str, float]:
        """Each gradient as the student has it: from rounded intermediates, rounded."""
        return {p: self.rounded_steps[self.d.grads[p].target] for p in params}

    def batch_grads(self, sheets: list[_Sheet], params) -> dict[str, float]:
        """The batch's gradients as the student adds them up: from each example's rounded
        answer, rounded."""
        share = 1 if self.r.instance.batch_loss == "sum" else len(sheets)
        return {p: round(sum(s.rounded_grads([p])[p] for s in sheets) / share,
                         self.defn.decimals) + 0.0 for p in params}

    def batch_section(self, sheets: list[_Sheet], grads: dict[str, float]) -> Section:
        """J and each asked gradient (`grads`: as the student adds them up) as the sum (or
        mean) of the examples' own."""
        E, mean = len(sheets), self.r.instance.batch_loss == "mean"
        s = Section(f"The batch: {'the mean' if mean else 'the sum'} over the {E} examples",
                    f"J is the {'mean' if mean else 'sum'} of the {E} examples' losses, and so "
                    f"each gradient is the {'mean' if mean else 'sum'} of the examples' "
                    "gradients.")

        def total(terms: list[str]) -> str:
            joined = " + ".join(terms)
            return r"\tfrac{1}{%d}\left(%s\right)" % (E, joined) if mean else joined

        J = round(sum(t.rounded["J"] for t in sheets) / (E if mean else 1), self.defn.decimals)
        s.lines.append(self.line("J", [total([t.J for t in sheets])], "J", J + 0.0,
                                 self.r.values["J"]))
        for p, rounded in grads.items():
            terms = [_partial(t.J, self.sym(p)) for t in sheets]
            s.lines.append(self.line(_partial("J", self.sym(p)), [total(terms)], f"dJ/d{p}",
                                     rounded, self.r.grads[p]))
        return s

    # --- the matrix form: whole δ's and gradients, laid out as matrices -----------------

    def matrix_sections(self) -> list[Section]:
        """Each layer's δ, output layer first; then each layer's ∂J/∂W and ∂J/∂b. Each asks
        first for the shape of the product, then for its entries."""
        L = self.defn.network.depth
        out = [self.delta_matrix(l) for l in range(L, 0, -1)]
        for l in range(L, 0, -1):
            out.append(self.weight_matrix(l))
            if self.defn.network.bias != "none":
                out.append(self.bias_matrix(l))
        return out

    def _mat(self, kind: str, l: int) -> str:
        r"""A layer's matrix as a symbol: \delta^{(l)}, W^{(l)}, \mathrm{out}^{(l)}."""
        letter = {"delta": r"\delta", "W": "W", "out": r"\mathrm{out}", "net": r"\mathrm{net}",
                  "b": "b"}[kind]
        return "x" if kind == "out" and l == 0 else f"{letter}^{{({l})}}"

    def _shape_lines(self, matrix: str, l: int, rows: int, columns: int) -> list[Line]:
        name = f"{matrix}[{l}]"
        shown = self._mat("delta", l) if matrix == "delta" else \
            _partial("J", self._mat("W", l))
        return [self.line(rf"\text{{{which} of }} {shown}", [], f"{which} of {name}",
                          float(n), float(n)) for which, n in (("rows", rows),
                                                               ("columns", columns))]

    def _grid(self, s: Section, quantity: str, form: str, rows: int, columns: int) -> None:
        s.grid = Grid(NoEscape(quantity), NoEscape(form), rows, columns, len(s.lines),
                      shape_asked=len(s.lines) > 0)

    def delta_matrix(self, l: int) -> Section:
        net, sizes = self.defn.network, self.layers
        n, L = sizes[l], net.depth
        delta = self._mat("delta", l)
        if l == L and net.activations[-1] == "softmax":
            form = rf"{self._mat('out', L)} - t"
            words = (f"With softmax and cross-entropy the output layer's δ is its outputs minus "
                     f"their targets, a {n}×1 column.")
        elif l == L:
            form = rf"\nabla_{{\mathrm{{out}}}} J \odot f'({self._mat('net', L)})"
            words = ("Entry by entry (⊙): each output's loss slope ∂J/∂out times its "
                     f"activation's slope f′(net). Both columns are {n}×1, and so is δ.")
        else:
            form = (rf"\left({self._mat('W', l + 1)}\right)^{{T}} {self._mat('delta', l + 1)} "
                    rf"\odot f'({self._mat('net', l)})")
            words = (f"The next layer's δ's come back through its weights: the transposed weight "
                     f"matrix is {n}×{sizes[l + 1]} and the next layer's δ is {sizes[l + 1]}×1. "
                     "First give the shape of their product (it must match f′(net), entry by "
                     "entry), then each entry.")
        s = Section(f"The error terms of layer {l}: ${delta}$", words)
        if l < L:  # a hidden δ is a product: its shape is asked first
            s.lines += self._shape_lines("delta", l, n, 1)
        self._grid(s, delta, form, n, 1)
        for j in range(1, n + 1):
            key = f"dJ/dnet[{l}][{j}]"
            s.lines.append(self.line(f"{delta}_{{{j}}}", [self._delta_entry(l, j)], key,
                                     self.rounded_steps[key], self.r.steps[key]))
        return s

    def _delta_entry(self, l: int, j: int) -> str:
        net, L = self.defn.network, self.defn.network.depth
        out = self.sym(name("out", l, j))
        if l == L and net.activations[-1] == "softmax":
            return f"{out} - {self.sym(name('t', j))}"
        slope = rf"f'({self.sym(name('net', l, j))})"
        if l == L:
            return rf"{_partial('J', out)} \cdot {slope}"
        after = self._mat("delta", l + 1)
        paths = " + ".join(rf"{self.sym(name('W', l + 1, i, j))} {after}_{{{i}}}"
                           for i in range(1, self.layers[l + 1] + 1))
        return rf"\left({paths}\right) \cdot {slope}"

    def weight_matrix(self, l: int) -> Section:
        n, m = self.layers[l], self.layers[l - 1]
        grad = _partial("J", self._mat("W", l))
        form = rf"{self._mat('delta', l)} \left({self._mat('out', l - 1)}\right)^{{T}}"
        inputs = "the inputs" if l == 1 else f"the outputs of layer {l - 1}"
        s = Section(f"The weight gradient of layer {l}: ${grad}$",
                    f"The layer's δ ({n}×1) times {inputs} laid as a row (1×{m}). Give the "
                    "shape of the product (the weights have the same), then each entry: the δ "
                    "of the row's neuron times the input of the column.")
        s.lines += self._shape_lines("dJ/dW", l, n, m)
        self._grid(s, grad, form, n, m)
        for j in range(1, n + 1):
            for k in range(1, m + 1):
                p = name("W", l, j, k)
                source = self.sym(self.graph.source_name(l, k))
                entry = rf"{self._mat('delta', l)}_{{{j}}} \cdot {source}"
                s.lines.append(self.line(_partial("J", self.sym(p)), [entry], f"dJ/d{p}",
                                         self.rounded_steps[self.d.grads[p].target],
                                         self.r.grads[p]))
        return s

    def bias_matrix(self, l: int) -> Section:
        n, shared = self.layers[l], self.defn.network.bias == "shared"
        grad = _partial("J", self._mat("b", l))
        delta = self._mat("delta", l)
        s = Section(f"The bias gradient of layer {l}: ${grad}$",
                    f"One bias shared by the layer's {n} neurons reaches J through each of them: "
                    "its gradient is the sum of their δ's (a row of ones times δ)." if shared else
                    "Each bias's gradient is its neuron's δ (times 1).")
        params = [name("b", l)] if shared else [name("b", l, j) for j in range(1, n + 1)]
        self._grid(s, grad, rf"\mathbf{{1}}^{{T}} {delta}" if shared else delta, len(params), 1)
        for j, p in enumerate(params, start=1):
            entry = " + ".join(f"{delta}_{{{i}}}" for i in range(1, n + 1)) if shared else \
                f"{delta}_{{{j}}}"
            s.lines.append(self.line(_partial("J", self.sym(p)), [entry], f"dJ/d{p}",
                                     self.rounded_steps[self.d.grads[p].target],
                                     self.r.grads[p]))
        return s

    def update_section(self, asked, grads: dict[str, float]) -> Section:
        eta = self.defn.learning_rate
        fixed = not self.r.instance.update_biases
        s = Section("Gradient-descent step",
                    f"New value = old value − η · gradient, with η = {eta:g}"
                    + (" (biases stay fixed in this example)." if fixed else "."))
        d = self.defn.decimals
        for p in asked:
            grad_rounded = grads[p]
            moves = p[0] == "W" or not fixed
            rounded = round(self.r.values[p] - eta * grad_rounded, d) if moves else \
                self.r.values[p]
            form = (rf"{self.sym(p)} - \eta \cdot {_partial('J', self.sym(p))}" if moves
                    else rf"{self.sym(p)} \text{{ (fixed)}}")
            s.lines.append(self.line("{%s}^{\\text{new}}" % self.sym(p), [form], f"new {p}",
                                     rounded + 0.0, self.r.updated[p]))
        return s


@lru_cache(maxsize=4096)
def _latex(expr: sp.Expr, names: tuple) -> str:
    """A rule's form in LaTeX: the same forms recur in every version of a set (only their
    numbers differ), and SymPy's printer was a fifth of a version's time."""
    return sp.latex(expr, symbol_names=dict(names), mul_symbol="dot")


def _is_delta(name: str) -> bool:
    return name.startswith("dJ/dnet")


def _partial(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


def _via(target: str) -> str:
    return target.rsplit(" via ", 1)[1]


# the general forms' generic symbols (steps.OUT, NET, T, W, IN, N)
_GENERIC_TEX = {"out": r"\mathrm{out}", "net": r"\mathrm{net}", "in": r"\mathrm{in}", "t": "t",
                "w": "w", "n": "n"}

_ACTIVATION_TEX = {
    "sigmoid": lambda n: rf"\sigma({n}) = \frac{{1}}{{1 + e^{{-{n}}}}}",
    "tanh": lambda n: rf"\tanh({n})",
    "relu": lambda n: rf"\max(0, {n})",
    "identity": lambda n: n,
    "softmax": lambda n: rf"\frac{{e^{{{n}}}}}{{\sum_k e^{{\mathrm{{net}}_k}}}}",
}

def _squares(pairs) -> str:
    return " + ".join(f"({t} - {o})^2" for t, o in pairs)


_LOSS_TEX = {
    "half_sse": lambda p: rf"\tfrac{{1}}{{2}}\left[{_squares(p)}\right]",
    "sse": _squares,
    "mse": lambda p: rf"\tfrac{{1}}{{{len(p)}}}\left[{_squares(p)}\right]",
    "cross_entropy": lambda p: "-\\left[" + " + ".join(rf"{t} \ln {o}" for t, o in p)
    + "\\right]",
    "binary_cross_entropy": lambda p: "-\\left[" + " + ".join(
        rf"{t} \ln {o} + (1 - {t}) \ln(1 - {o})" for t, o in p) + "\\right]",
}

_LOSS_WORDS = {
    "half_sse": "Half the sum of squared errors: J = ½ Σ (t − out)².",
    "sse": "The sum of squared errors: J = Σ (t − out)².",
    "mse": "The mean squared error: J = (1/n) Σ (t − out)².",
    "cross_entropy": "Cross-entropy: J = − Σ t · ln out.",
    "binary_cross_entropy": "Binary cross-entropy: J = − Σ [t · ln out + (1 − t) · ln(1 − out)].",
}
