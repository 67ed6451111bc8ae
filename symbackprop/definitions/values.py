"""A dense network's numbers: inputs, targets, weights and biases, one example or a batch."""

from __future__ import annotations

from fractions import Fraction

from .reader import Reader, _shape
from .records import MAX_EXAMPLES, Example, Network, Values
from .yamlfile import quoted as _show


class ValuesReader(Reader):
    def values(self, value, network: Network) -> Values:
        if value is None:
            return Values()
        vals = self.mapping(value, "values",
                            ("inputs", "targets", "weights", "biases", "examples"))
        weights = self.weights(vals.get("weights"), network.layers)
        biases = self.biases(vals.get("biases"), network)
        if "examples" in vals:
            for key in ("inputs", "targets"):
                if key in vals:
                    self.fail(f"values.{key}", "given beside values.examples: a batch gives "
                              "each example's inputs and targets in its examples")
            return Values(weights=weights, biases=biases,
                          examples=self.batch(vals["examples"], network))
        example = self.example(vals, "values", network)
        return Values(example.inputs, example.targets, weights, biases)

    def example(self, vals: dict, key: str, network: Network) -> Example:
        sizes = network.layers
        inputs, targets = vals.get("inputs"), vals.get("targets")
        out = Example(
            inputs=None if inputs is None else self.vector(inputs, f"{key}.inputs", sizes[0]),
            targets=None if targets is None else self.vector(targets, f"{key}.targets",
                                                             sizes[-1]))
        self.targets_fit(out.targets, network, f"{key}.targets")
        return out

    def batch(self, value, network: Network) -> tuple[Example, ...]:
        """A list of examples ({inputs, targets}, either drawn when left out), or how many to
        draw."""
        key = "values.examples"
        if isinstance(value, int) and not isinstance(value, bool):
            return (Example(),) * self.whole(value, key, 1, MAX_EXAMPLES)
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_EXAMPLES:
            self.fail(key, f"must be a list of 1 to {MAX_EXAMPLES} examples ({{inputs: [...], "
                      f"targets: [...]}}) or how many to draw, got {_show(value)}")
        return tuple(self.example(self.mapping(e, f"{key}[{i}]", ("inputs", "targets")),
                                  f"{key}[{i}]", network) for i, e in enumerate(value))

    def weights(self, value, sizes):
        if value is None:
            return None
        key = "values.weights"
        if not isinstance(value, list) or len(value) != len(sizes) - 1:
            self.fail(key, f"must be a list of {len(sizes) - 1} matrices (one per layer after "
                      f"the inputs), got {_show(value)}")
        matrices = []
        for l, matrix in enumerate(value, start=1):
            rows, cols = sizes[l], sizes[l - 1]
            mkey = f"{key}[{l - 1}]"
            if not isinstance(matrix, list) or len(matrix) != rows:
                self.fail(mkey, f"layer {l} must be a {rows}x{cols} matrix (one row per neuron, "
                          f"one column per input to it), got {_shape(matrix)}")
            matrices.append(tuple(self.vector(r, f"{mkey}[{j}]", cols)
                                  for j, r in enumerate(matrix)))
        return tuple(matrices)

    def biases(self, value, network: Network):
        key = "values.biases"
        if network.bias == "none":
            if value is not None:
                self.fail(key, "given, but network.bias is none")
            return None
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != network.depth:
            self.fail(key, f"must be a list of {network.depth} lists (one per layer after the "
                      f"inputs), got {_show(value)}")
        per_layer = [1 if network.bias == "shared" else n for n in network.layers[1:]]
        return tuple(self.vector(v, f"{key}[{l}]", per_layer[l]) for l, v in enumerate(value))

    def targets_fit(self, targets, network: Network, key: str = "values.targets") -> None:
        if targets is None:
            return
        if network.loss in ("cross_entropy", "binary_cross_entropy"):
            if any(not 0 <= t <= 1 for t in targets):
                self.fail(key, f"{network.loss} needs targets between 0 and 1")
        # exactly 1 in the decimals written: δ = out − t, the rule a softmax sheet teaches,
        # holds only then (in general δ = out·Σt − t)
        total = sum(Fraction(getattr(t, "text", None) or repr(float(t))) for t in targets)
        if network.activations[-1] == "softmax" and total != 1:
            self.fail(key, "softmax targets must add up to exactly 1 (a "
                      f"probability distribution), they add up to {float(total):.12g}")
