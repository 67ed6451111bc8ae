"""The lines of a matrix-form sheet: each layer's δ, output layer first, then each layer's ∂J/∂W
and ∂J/∂b, each laid out as the matrix it is, its shape asked before its entries where it is a
product.
"""

from __future__ import annotations

from ..engine.graph import name
from .forms import Apply, Form, Group, Name, Ops, Partial, Power, Prose, Symbol, Text
from .model import Grid, Line, Section
from .notation import layer_symbol
from .working import Working, _parts

T = Symbol("T")
ONES = Symbol("1", bold=True)


def f_prime(x: Form) -> Apply:
    return Apply("f", (x,), prime=True)


class MatrixWorking(Working):
    """A matrix sheet's sections, after the forward pass and the loss."""

    def matrix_sections(self) -> list[Section]:
        L = self.defn.network.depth
        out = [self.delta_matrix(l) for l in range(L, 0, -1)]
        for l in range(L, 0, -1):
            out.append(self.weight_matrix(l))
            if self.defn.network.bias != "none":
                out.append(self.bias_matrix(l))
        return out

    def _shape_lines(self, matrix: str, l: int, rows: int, columns: int) -> list[Line]:
        key = f"{matrix}[{l}]"
        shown = layer_symbol("delta", l) if matrix == "delta" else \
            Partial(Name("J"), layer_symbol("W", l))
        words = {"rows": self._("rows of "), "columns": self._("columns of ")}
        return [self.line(Ops((Text(words[which]), shown), ("",)), [], f"{which} of {key}",
                          float(n), float(n)) for which, n in (("rows", rows),
                                                               ("columns", columns))]

    def _grid(self, s: Section, quantity: Form, form: Form, rows: int, columns: int,
              hidden: bool = False) -> None:
        """The section's matrix; its shape kept off the worksheet where it is asked (or,
        `hidden`, where it is the shape of one asked elsewhere)."""
        s.grid = Grid(quantity, form, rows, columns, len(s.lines),
                      shape_asked=len(s.lines) > 0 or hidden)

    def delta_matrix(self, l: int) -> Section:
        net, sizes = self.defn.network, self.layers
        n, L = sizes[l], net.depth
        delta = layer_symbol("delta", l)
        _ = self._
        if l == L and net.activations[-1] == "softmax":
            form = Ops((layer_symbol("out", L), Symbol("t")), ("−",))
            words = _("With softmax and cross-entropy the output layer's δ is its outputs "
                      "minus their targets, a {n}×1 column.").format(n=n)
        elif l == L:
            form = Ops((Symbol("∇", sub=Symbol("out", word=True)), Name("J"),
                        f_prime(layer_symbol("net", L))), ("", "⊙"))
            words = _("Entry by entry (⊙): each output's loss slope ∂J/∂out times its "
                      "activation's slope f′(net). Both columns are {n}×1, and so is δ.").format(
                          n=n)
        else:
            form = Ops((Power(Group(layer_symbol("W", l + 1), sized=True), T),
                        layer_symbol("delta", l + 1), f_prime(layer_symbol("net", l))),
                       ("", "⊙"))
            # the shapes are the student's to work out: the words name the matrices only
            words = _("The next layer's δ's come back through its weights: the transposed "
                      "weight matrix times the next layer's δ. First give the shape of their "
                      "product (it must match f′(net), entry by entry), then each entry.")
        s = Section(Prose(_parts(_("The error terms of layer {l}: {delta}"), l=str(l),
                                 delta=delta)), words)
        if l < L:  # a hidden δ is a product: its shape is asked first
            s.lines += self._shape_lines("delta", l, n, 1)
        self._grid(s, delta, form, n, 1)
        for j in range(1, n + 1):
            key = f"dJ/dnet[{l}][{j}]"
            s.lines.append(self.line(_entry(delta, j), [self._delta_entry(l, j)], key,
                                     self.rounded_steps[key], self.r.steps[key]))
        return s

    def _delta_entry(self, l: int, j: int) -> Form:
        net, L = self.defn.network, self.defn.network.depth
        out = self.sym(name("out", l, j))
        if l == L and net.activations[-1] == "softmax":
            return Ops((out, self.sym(name("t", j))), ("−",))
        slope = f_prime(self.sym(name("net", l, j)))
        if l == L:
            return Ops((Partial(Name("J"), out), slope), ("·",))
        after = layer_symbol("delta", l + 1)
        paths = Ops.joined((Ops((self.sym(name("W", l + 1, i, j)), _entry(after, i)), ("",))
                            for i in range(1, self.layers[l + 1] + 1)), "+")
        return Ops((Group(paths, sized=True), slope), ("·",))

    def weight_matrix(self, l: int) -> Section:
        n, m = self.layers[l], self.layers[l - 1]
        grad = Partial(Name("J"), layer_symbol("W", l))
        form = Ops((layer_symbol("delta", l), Power(Group(layer_symbol("out", l - 1),
                                                          sized=True), T)), ("",))
        _ = self._
        said = _("The layer's δ times the inputs laid as a row. Give the shape of the product, "
                 "then each entry: the δ of the row's neuron times the input of the column.") \
            if l == 1 else \
            _("The layer's δ times the outputs of layer {k} laid as a row. Give the shape of "
              "the product, then each entry: the δ of the row's neuron times the input of the "
              "column.")
        s = Section(Prose(_parts(_("The weight gradient of layer {l}: {gradient}"), l=str(l),
                                 gradient=grad)), said.format(k=l - 1))
        s.lines += self._shape_lines("dJ/dW", l, n, m)
        self._grid(s, grad, form, n, m)
        for j in range(1, n + 1):
            for k in range(1, m + 1):
                p = name("W", l, j, k)
                source = self.sym(self.graph.source_name(l, k))
                entry = Ops((_entry(layer_symbol("delta", l), j), source), ("·",))
                s.lines.append(self.line(Partial(Name("J"), self.sym(p)), [entry], f"dJ/d{p}",
                                         self.rounded_steps[self.d.grads[p].target],
                                         self.r.grads[p]))
        return s

    def bias_matrix(self, l: int) -> Section:
        n, shared = self.layers[l], self.defn.network.bias == "shared"
        grad = Partial(Name("J"), layer_symbol("b", l))
        delta = layer_symbol("delta", l)
        _ = self._
        s = Section(Prose(_parts(_("The bias gradient of layer {l}: {gradient}"), l=str(l),
                                 gradient=grad)),
                    _("One bias shared by the layer's {n} neurons reaches J through each of "
                      "them: its gradient is the sum of their δ's (a row of ones times δ).").format(
                          n=n) if shared else
                    _("Each bias's gradient is its neuron's δ (times 1)."))
        params = [name("b", l)] if shared else [name("b", l, j) for j in range(1, n + 1)]
        # a hidden layer's per-neuron bias gradient is its δ, whose shape the sheet asks
        self._grid(s, grad, Ops((Power(ONES, T), delta), ("",)) if shared else delta,
                   len(params), 1, hidden=not shared and l < self.defn.network.depth)
        for j, p in enumerate(params, start=1):
            entry = Ops.joined((_entry(delta, i) for i in range(1, n + 1)), "+") if shared \
                else _entry(delta, j)
            s.lines.append(self.line(Partial(Name("J"), self.sym(p)), [entry], f"dJ/d{p}",
                                     self.rounded_steps[self.d.grads[p].target],
                                     self.r.grads[p]))
        return s


def _entry(matrix: Symbol, i: int) -> Symbol:
    """δ⁽ˡ⁾ᵢ: an entry of a layer's column."""
    return Symbol(matrix.letter, sub=str(i), sup=matrix.sup, word=matrix.word)
