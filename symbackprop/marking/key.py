"""What a key is: an answer key's definition, answers and marking scheme (the data of a
key.json), the verdicts a mark can be, and the known mistakes with what to tell a student.

>>> key = Key.from_json(_EXAMPLE)
>>> key.by_label["b"]["name"], key.decimals, len(MISTAKES) > 10
('out[1][1]', 4, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..definitions.language import N_
from . import scheme

VERDICTS = scheme.VERDICTS

# mistake -> what to tell the student
MISTAKES = {
    # in words, not in symbols: a sheet may write its output y, ŷ or a (its author's labels)
    "sign": N_("the loss's slope has the wrong sign: J grows as the output moves away from "
               "its target, so the slope is positive where the output is above the target"),
    "sign_here": N_("the sign slipped at this step: the step before it that you wrote has the "
                    "right sign, so look again at the signs of the numbers multiplied or added "
                    "here"),
    "step_up": N_("the step went up the gradient: new w = w − η·∂J/∂w, with a minus"),
    "opposite_sign": N_("the right number has the other sign: look again at each sign in the "
                        "working"),
    "term_sign": N_("one term of the sum has its sign reversed"),
    "sigmoid_of_negative": N_("this is σ(−net): σ(net) = 1/(1 + e⁻ⁿᵉᵗ), with the minus in the "
                              "exponent"),
    "sigmoid_for_tanh": N_("this is σ(net), the sigmoid's output: this neuron's activation is "
                           "tanh, out = tanh(net)"),
    "tanh_not_applied": N_("this is net itself: the neuron's output is tanh applied to it, "
                           "out = tanh(net)"),
    "relu_not_applied": N_("ReLU's output is never negative: out = max(0, net), which is 0 "
                           "for a negative net"),
    "sigmoid_for_softmax": N_("this is σ(net), the sigmoid of this output's net alone: softmax "
                              "divides exp(net) by the sum of exp(net) over every output of the "
                              "layer"),
    "softmax_own_term_left_out": N_("the sum below leaves this output's own exp(net) out: softmax "
                                    "divides by the sum of exp(net) over every output of the "
                                    "layer, this one's included"),
    "tanh_slope": N_("tanh's slope is 1 − tanh²(net) = 1 − out², not out·(1 − out), which is σ's"),
    "tanh_slope_unsquared": N_("tanh's slope is 1 − out², with out squared, not 1 − out"),
    "softmax_diagonal": N_("softmax couples its outputs (each depends on every net), so ∂J/∂net "
                           "of an output takes in all of them: with cross-entropy it is the "
                           "output minus its target, not the output's own term ∂J/∂out · "
                           "out(1 − out) alone"),
    "delta_for_dout": N_("out − t is ∂J/∂net (the loss's slope and the output's cancel there); "
                         "∂J/∂out is (out − t)/(out(1 − out)) for binary cross-entropy, −t/out "
                         "for cross-entropy: ∂out/∂net after it counts the slope twice"),
    "missing_activation_derivative": N_("the activation's slope ∂out/∂net is missing from the "
                                        "chain"),
    "net_for_out": N_("net was used where out belongs (the value after the activation)"),
    "missing_factor_two": N_("the 2 from differentiating the square is missing"),
    "extra_half": N_("the ½ of ½(t − out)² already cancels the 2; there is no ½ left in ∂J/∂out"),
    "one_path_only": N_("a hidden neuron reaches J through every output: add all the paths, not "
                        "one"),
    "updated_weights": N_("the hidden error was computed with output weights that were already "
                          "updated; use the old weights for the whole backward pass"),
    "no_step": N_("this is the parameter before the step: new w = w − η·∂J/∂w"),
    "step_alone": N_("this is the step −η·∂J/∂w alone: the new w is the old w plus it"),
    "wrong_learning_rate": N_("the step used a different learning rate"),
    "decimal_point": N_("the step's digits are right, with the decimal point moved"),
    "rounded_too_early": N_("intermediates were rounded to fewer decimals than the sheet asks"),
    "too_few_decimals": N_("right, but rounded to fewer decimals than the sheet asks"),
    "cut_off": N_("cut off, not rounded: the last decimal goes up when the next digit is 5 or "
                  "more"),
    "mean_for_sum": N_("this is the mean over the examples: the batch's loss is their sum, so do "
                       "not divide by the number of examples"),
    "sum_for_mean": N_("this is the sum over the examples: the batch's loss is their mean, so "
                       "divide by the number of examples"),
    "one_example": N_("this is one example's value: the batch's takes in every example"),
    "transposed": N_("rows and columns are swapped: an m×n matrix times an n×p matrix is m×p"),
    "kernel_flipped": N_("the kernel was turned 180° (true convolution); PyTorch's Conv2d, and "
                         "this sheet, lay it on the image as it is (cross-correlation)"),
    "activation_not_applied": N_("this is z, before the activation: a = f(z) (a ReLU makes a "
                                 "negative z 0)"),
    "average_for_max": N_("this is the window's mean: max pooling takes its largest entry"),
    "loss_half_missing": N_("the ½ is missing: the loss is ½ times the sum of the squared "
                            "differences"),
    "every_window_position": N_("max pooling passes the gradient to the window's largest entry "
                                "only; the other entries of the window get 0"),
    "average_not_divided": N_("average pooling divides by the window's size: each of its n "
                              "entries counts 1/n, forward and back"),
    "no_bias_correction": N_("Adam divides the moment by 1 − βᵗ (bias correction) before it is "
                             "used"),
    "epsilon_inside_root": N_("ε is added after the square root: √v̂ + ε, not √(v̂ + ε)"),
    "old_gradient": N_("this uses the previous step's gradient; each step uses the gradient at "
                       "the weights it starts from"),
    "no_momentum": N_("the velocity keeps μ times the previous velocity: v = μ·v + g"),
    "no_lookahead": N_("this is plain momentum's step, w − η·v: Nesterov's step looks ahead, w − "
                       "η·(g + μ·v)"),
    "no_square_root": N_("RMSprop divides by the square root of the average: η·g/(√s + ε), not "
                         "η·g/(s + ε)"),
    "gradient_not_squared": N_("the average is of squared gradients: s = α·s + (1 − α)·g²"),
    "no_weight_decay": N_("weight decay's λ·w is missing: g = ∂J/∂w + λ·w"),
    "weight_decay_sign": N_("weight decay adds λ·w to the gradient (g = ∂J/∂w + λ·w); it is not "
                            "subtracted"),
    # a lesson's (sheets/lessons.py, descent_lesson.py): slopes, steps downhill, two costs
    "cost_for_slope": N_("this is the cost C itself; the slope of the tangent is its derivative "
                         "C′ at that point"),
    "power_not_lowered": N_("differentiating c·wᵏ gives k·c·wᵏ⁻¹: the power goes down by one"),
    "step_uphill": N_("the step went uphill: the new w is w − η·C′(w), with a minus"),
    "no_learning_rate": N_("the step is the learning rate times the slope, η·C′(w): η is missing"),
    "step_for_position": N_("this is the step −η·C′(w) alone; the new w is the old w plus it"),
    "step_not_taken": N_("this is where the step starts: the new w is w − η·C′(w)"),
    "hilltop_for_valley": N_("this is where the slope is zero at the top of a hill: there C′ "
                             "changes from + to −; at the bottom of a valley it changes from − "
                             "to +"),
    "other_valley": N_("this is the bottom of the other valley: look between the two numbers "
                       "this line gives"),
    "lowest_for_nearest": N_("a walk downhill stops at the bottom of the valley it starts in, "
                             "which need not be the lowest one"),
    "slope_of_y_only": N_("this is ∂J/∂y; ∂J/∂net = ∂J/∂y · ∂y/∂net also takes in the sigmoid's "
                          "slope ∂y/∂net = y(1 − y)"),
    "log10_for_ln": N_("this is −log₁₀ y; cross-entropy uses the natural logarithm, −ln y"),
    "square_missing": N_("the difference 1 − y was not squared: the cost is ½(1 − y)²"),
    "half_missing": N_("the ½ is missing: the squared error is ½(1 − y)²"),
    "half_not_cancelled": N_("the ½ of ½(1 − y)² cancels the 2 from differentiating the square: "
                             "no 2 is left"),
    "no_bias": N_("the bias is missing: net is the weighted sum plus the bias"),
    "slice_for_net": N_("this is one row's sum only; net adds every product and the bias"),
    "errors_for_accuracy": N_("this counts the digits it got wrong; accuracy is the share it got "
                              "right, the diagonal over all test digits"),
    "inverted_ratio": N_("this divides the other way round: how many times smaller b is than a "
                         "is a divided by b"),
}

# hand-worked sheets whose key carries its whole scheme (sheets/worked.py)
WORKED_SHEETS = ("convolution", "optimizer")

# No number on a worksheet comes near this: a student's answer past it is refused (check), and
# so is a key holding one (keys), since marking arithmetic overflows beyond; a mistake's
# number past it is no answer a student could write, and is left out of a scheme.
LARGEST = 1e15
# characters of one text in a key's line: a lesson's question in German or French runs to
# about 300 (the English one of the digits lesson to 193)
MAX_TEXT = 600
# nodes of a scheme's expressions, all its blanks together: marking a student interprets each
# (in about a microsecond). Bundled sheets have 2,600 to 9,200; an 8-example batch of a
# 3-3-3-3 network 142,000; an edited key of 190 rules of 50 candidates a blank, 1.8 million.
# A key read is bounded by it, and so is the scheme written down for a key without one.
MAX_SCHEME_NODES = 1_000_000


@dataclass
class Key:
    definition: dict
    answers: list[dict]
    seed: int | None = None
    version: int | None = None
    by_name: dict[str, dict] = field(default_factory=dict)
    by_label: dict[str, dict] = field(default_factory=dict)

    given_scheme: dict | None = None
    recipe: str | None = None  # the drawn set's definition text: its other versions (check)
    nodes: int = 0  # the parts of its scheme's expressions, as keys.validate counted them
    copied: int = 0  # characters a feedback page may copy of it (title, working, lines)

    @classmethod
    def from_json(cls, data: dict) -> Key:
        key = cls(data["definition"], data["answers"], data.get("seed"), data.get("version"),
                  given_scheme=data.get("scheme"), recipe=data.get("recipe"))
        key.by_name = {a["name"]: a for a in key.answers}
        key.by_label = {a["label"]: a for a in key.answers}
        return key

    def blank(self, column: str) -> str | None:
        """The label of the blank a spreadsheet's column (or an answer line's label) names:
        its label (a), its name as check reads one (net[1][1]), the label as the sheet prints
        it ((a)), or in a spreadsheet's capitals (A); None for a column that names no blank.

        >>> key = Key.from_json(_EXAMPLE)
        >>> [key.blank(c) for c in ("b", "net[1][1]", " (b) ", "B", "z")]
        ['b', 'a', 'b', 'b', None]
        """
        return self.blanks([column])[column]

    def blanks(self, columns: list[str]) -> dict[str, str | None]:
        """Key.blank of each of a header's columns (or an answer file's labels), read together:
        a capital that is a name as well (J, the loss, on a sheet of ten blanks or more) is its
        label when another capital is only a label (a header A, B, ..., J is in capitals), and
        the name otherwise. Check and mark read labels here alike.

        >>> key = Key.from_json(_EXAMPLE | {"answers": [{"label": c, "name": n} for c, n in
        ...     zip("abcdefghij", [*"pqrstuvw", "J", "z"])]})
        >>> key.blanks(["A", "J"]), key.blanks(["a", "J"])
        ({'A': 'a', 'J': 'j'}, {'a': 'a', 'J': 'i'})
        """
        bare = {c: _bare(c) for c in columns}
        capitals = any(self._capital(t) and t not in self.by_name for t in bare.values())
        return {c: self._label(t, capitals) for c, t in bare.items()}

    def _label(self, text: str, capitals: bool) -> str | None:
        entry = self.by_label.get(text)
        if entry is None and capitals and self._capital(text):
            entry = self.by_label[text.lower()]
        if entry is None:  # a name is exact: W and w are not one
            entry = self.by_name.get(text)
        if entry is None and self._capital(text):
            entry = self.by_label[text.lower()]
        return None if entry is None else entry["label"]

    def _capital(self, text: str) -> bool:
        """A label in a spreadsheet's capitals: A for (a), AB for (ab)."""
        return text.isascii() and text.isalpha() and text.isupper() and \
            text.lower() in self.by_label

    @property
    def scheme(self) -> dict | None:
        """The marking scheme the key carries (check.scheme_for writes one down for a key that
        carries none, or an older one)."""
        return self.given_scheme

    @property
    def decimals(self) -> int:
        return self.definition.get("decimals", 4)

    @property
    def notation(self) -> tuple[str, tuple[int, ...] | None]:
        """How its sheet writes a name (w₅ or w⁽²⁾₁₁): the notation and the layers' sizes
        the numbered names are counted over (None for a sheet without layers)."""
        network = self.definition.get("network")
        layers = network.get("layers") if isinstance(network, dict) else None
        return (self.definition.get("notation", "matrix"),
                tuple(layers) if isinstance(layers, list) else None)


def _bare(column: str) -> str:
    """A column without the spaces and the parentheses around it: ' (b) ' is b."""
    text = column.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text


_EXAMPLE = {
    "definition": {
        "network": {"layers": [1, 1], "activation": ["sigmoid"], "loss": "half_sse",
                    "bias": "none"},
        "values": {"inputs": [1.0], "targets": [1.0], "weights": [[[0.3775]]], "biases": None},
        "learning_rate": 0.5, "decimals": 4},
    "answers": [
        {"label": "a", "name": "net[1][1]", "value": 0.3775, "exact": 0.3775},
        {"label": "b", "name": "out[1][1]", "value": 0.5933, "exact": 0.59326999},
        {"label": "c", "name": "J", "value": 0.0828, "exact": 0.08271}],
}
