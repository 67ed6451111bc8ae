"""The marking model's other forms of a sheet: a batch of examples, and the matrix form.

Each is `recompute.Model` with the quantities its sheet asks for worked its own way; `of(key)`
picks the one a key needs.
"""

from __future__ import annotations

from ..definitions.canonical import at_example, example_of
from .recompute import _IDX, Model, _short
from .trace import Ops


def of(key, through_deltas: bool = False, ops=Ops):
    """The marking model of a key: one example's, or a batch's. A matrix-form sheet asks for
    whole δ's, not their factors: its gradients are worked through the δ's written."""
    if key.definition.get("form") == "matrix":
        return MatrixModel(key, True, ops)
    if "examples" in key.definition["values"]:
        return BatchModel(key, through_deltas, ops)
    return Model(key, through_deltas, ops)


class MatrixModel(Model):
    """A matrix-form sheet's model: it asks for outs and whole δ's and gradients, so each δ
    is worked from the outs and the next layer's δ's written on the sheet (δ^l = (Wᵀδ^(l+1)) ⊙
    f'), and each gradient from its δ and its input as written (δ·outᵀ): a slip carries
    forward entry by entry."""

    def _value(self, name: str, get, mode):
        idx = [int(i) for i in _IDX.findall(name)]
        if name.startswith("dJ/dnet") and not self._softmax_output(idx[0]):
            l, j = idx
            slope = 1.0 if mode == "missing_activation_derivative" else \
                self._activation_slope(l, j, get, mode)
            if l == self.L:
                return self._loss_slope(j, get, mode) * slope
            paths = [get(f"dJ/dnet[{l + 1}][{i}]") * self._dnet(
                f"dnet[{l + 1}][{i}]/dout[{l}][{j}]", [l + 1, i, l, j], get, mode)
                for i in range(1, self.layers[l + 1] + 1)]
            if mode and mode.startswith("one_path_only"):
                paths = [paths[int(mode.split("#")[1]) - 1]]  # IndexError: no such path
            return sum(paths) * slope
        if name.startswith("dJ/dW"):
            l, j, k = idx
            return get(f"dJ/dnet[{l}][{j}]") * self._source(l, k, get, mode)
        if name.startswith("dJ/db"):
            neurons = [idx[1]] if len(idx) == 2 else range(1, self.layers[idx[0]] + 1)
            return sum(get(f"dJ/dnet[{idx[0]}][{j}]") for j in neurons)
        return super()._value(name, get, mode)


class BatchModel(Model):
    """A batch's marking model: a quantity of example e (name@e) recomputed by that example's
    own model, its names carrying '@e'; the batch's J and gradients as the sum (or mean) of the
    examples' own; a step from the batch's gradient, as one example's is taken."""

    def __init__(self, key, through_deltas: bool = False, ops=Ops):
        d = key.definition
        examples = d["values"]["examples"]
        self.each = [Model(_ExampleKey(key, e), through_deltas, ops) for e in examples]
        self.share = 1.0 if d.get("batch_loss", "sum") == "sum" else 1.0 / len(examples)
        super().__init__(_ExampleKey(key, examples[0]), through_deltas, ops)
        self.key = key

    def modes(self, name: str | None = None) -> list[str]:
        """The batch's own mistake first (it explains a batch's figure before any one
        example's does), then every mistake an example's working can make (at `name`)."""
        combined = "mean_for_sum" if self.share == 1.0 else "sum_for_mean"
        one = [f"one_example#{e}" for e in range(1, len(self.each) + 1)]
        return [combined, *one] + super().modes(name)

    def working(self, name: str, get) -> str:
        plain, e = example_of(name)
        if e is not None:
            return at_example(self.each[e - 1].working(plain, _at(get, e)), e)
        terms = self._terms(name)
        if terms is None:
            return super().working(name, get)
        joined = " + ".join(terms)
        shown = joined if self.share == 1.0 else f"({joined})/{len(self.each)}"
        numbers = _short(get(terms[0])) + "".join(
            f" − {_short(-v)}" if (v := get(t)) < 0 else f" + {_short(v)}" for t in terms[1:])
        if self.share != 1.0:
            numbers = f"({numbers})/{len(self.each)}"
        return f"{name} = {shown} = {numbers} = {_short(self.value(name, get))}"

    def _value(self, name: str, get, mode):
        plain, e = example_of(name)
        if e is not None:
            return self.each[e - 1]._value(plain, _at(get, e), mode)
        terms = self._terms(name)
        if terms is None:  # a parameter, or a step with the batch's gradient
            return super()._value(name, get, mode)
        if mode and mode.startswith("one_example"):  # one example's for the batch's
            return get(terms[int(mode.split("#")[1]) - 1])
        total = sum(get(t) for t in terms)
        if mode == "mean_for_sum":
            return total / len(self.each)
        return total if self.share == 1.0 or mode == "sum_for_mean" else self.share * total

    def _terms(self, name: str) -> list[str] | None:
        """The examples' own quantities a batch's J or gradient adds up."""
        if name == "J" or name.startswith("dJ/d"):
            return [at_example(name, e) for e in range(1, len(self.each) + 1)]
        return None


def _at(get, e: int):
    """A getter for one example's model: its names are the batch's with '@e'."""
    return lambda dep: get(at_example(dep, e))


class _ExampleKey:
    """The key as one example's model reads it: the batch's definition with this example's
    inputs and targets."""

    def __init__(self, key, example: dict):
        values = {k: v for k, v in key.definition["values"].items() if k != "examples"}
        self.definition = key.definition | {"values": values | example}
        self.decimals, self.by_name = key.decimals, {}


