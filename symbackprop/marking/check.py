"""Mark a hand calculation against a key: correct, carried forward, incorrect (with the likely
mistake) or missing. Mistakes are modelled as recomputations: a step is recomputed with the
mistake made, and a student's value that matches it names the mistake.

Plain Python on the key's numbers: no SymPy, so marking a whole answer file is instant.

>>> key = Key.from_json(_EXAMPLE)
>>> marks = mark(key, {"a": 0.3775, "b": 0.4067})
>>> [(m.label, m.verdict, m.diagnosis) for m in marks[:3]]
[('a', 'correct', None), ('b', 'incorrect', 'sigmoid_of_negative'), ('c', 'missing', None)]
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

from ..definitions.definition import Printed
from . import scheme
from .recompute import COMMON_RATES, MODES, Model  # noqa: F401 - the marking model, re-exported
from .scheme import decimals_of, rounds_to  # noqa: F401 - used by audit

VERDICTS = scheme.VERDICTS

# mistake -> what to tell the student
MISTAKES = {
    "sign": "the sign is reversed: y − t, not t − y, and a step goes against the gradient "
            "(w − η·∂J/∂w)",
    "term_sign": "one term of the sum has its sign reversed",
    "sigmoid_of_negative": "this is σ(−net): σ(net) = 1/(1 + e^(−net)), with the minus in "
                           "the exponent",
    "tanh_slope": "tanh's slope is 1 − tanh²(net) = 1 − out², not out·(1 − out), which is σ's",
    "softmax_diagonal": "softmax couples its outputs: each out depends on every net, so "
                        "δ_j = Σ_i ∂J/∂out_i · ∂out_i/∂net_j (out_j − t_j with cross-entropy), "
                        "not the diagonal term ∂J/∂out_j · out_j(1 − out_j) alone",
    "delta_for_dout": "out − t is ∂J/∂net (the loss's slope and the output's cancel there); "
                      "∂J/∂out is (out − t)/(out(1 − out)) for binary cross-entropy, −t/out "
                      "for cross-entropy: ∂out/∂net after it counts the slope twice",
    "missing_activation_derivative": "the activation's slope ∂out/∂net is missing from the chain",
    "net_for_out": "net was used where out belongs (the value after the activation)",
    "missing_factor_two": "the 2 from differentiating the square is missing",
    "extra_half": "the ½ of ½(t − y)² already cancels the 2; there is no ½ left in ∂J/∂out",
    "one_path_only": "a hidden neuron reaches J through every output: add all the paths, not one",
    "updated_weights": "the hidden error was computed with output weights that were already "
                       "updated; use the old weights for the whole backward pass",
    "no_step": "this is the parameter before the step: new w = w − η·∂J/∂w",
    "wrong_learning_rate": "the step used a different learning rate",
    "decimal_point": "the step's digits are right, with the decimal point moved",
    "rounded_too_early": "intermediates were rounded to fewer decimals than the sheet asks",
    "too_few_decimals": "right, but rounded to fewer decimals than the sheet asks",
    "cut_off": "cut off, not rounded: the last decimal goes up when the next digit is 5 or more",
    "mean_for_sum": "this is the mean over the examples: the batch's loss is their sum, so do "
                    "not divide by the number of examples",
    "sum_for_mean": "this is the sum over the examples: the batch's loss is their mean, so "
                    "divide by the number of examples",
    "one_example": "this is one example's value: the batch's takes in every example",
    "transposed": "rows and columns are swapped: an m×n matrix times an n×p matrix is m×p",
}

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_FRACTION = re.compile(r"([+-]?\d+)/(\d+)")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?")  # 0,7414 as much of Europe writes
_IDX = re.compile(r"\[(\d+)\]")


def cut_to(printed: float, value: float, places: int) -> bool:
    """`printed` is `value` cut off (truncated) after `places` decimals.

    >>> cut_to(0.455, 0.455964, 3), cut_to(-0.033, -0.0337875, 3), cut_to(0.456, 0.455964, 3)
    (True, True, False)
    """
    scale = 10.0 ** min(places, 300)
    return abs(printed * scale - math.trunc(value * scale + math.copysign(1e-9, value))) < 1e-6


class AnswerError(ValueError):
    """A line of an answer file that is not `label = number`."""


LARGEST = 1e15  # no answer on a sheet comes near this
_LONGEST = 40  # characters in a number: more digits than a float holds, and no 5,000-digit ints


def parse_number(text: str) -> float:
    """A student's number: decimal (with a point or a decimal comma), scientific or a simple
    fraction, ASCII only.

    >>> parse_number('3/8'), parse_number('-1.5e-3'), parse_number('0,7414')
    (0.375, -0.0015, 0.7414)
    """
    text = text.strip()
    if _DECIMAL_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    if not text.isascii():
        raise AnswerError(f"'{_clip(text)}' has characters that are not plain digits")
    if len(text) > _LONGEST:
        raise AnswerError(f"'{_clip(text)}' is longer than {_LONGEST} characters: not a number "
                          "a worksheet asks for")
    if _NUMBER.fullmatch(text):  # kept with its text: '0.30' was written to 2 decimals
        return _sized(Printed(float(text), text), text)
    m = _FRACTION.fullmatch(text)
    if m:
        if int(m.group(2)) == 0:
            raise AnswerError(f"'{text}' divides by zero")
        return _sized(float(Fraction(int(m.group(1)), int(m.group(2)))), text)
    raise AnswerError(f"'{_clip(text)}' is not a number (write 0.25, 2.5e-3 or 1/4)")


def _sized(value: float, text: str) -> float:
    if not abs(value) <= LARGEST:  # also catches inf, which float() makes of 1e999
        raise AnswerError(f"'{text}' is too large for any answer on a worksheet")
    return value


def _clip(text: str) -> str:
    return text if len(text) <= _LONGEST else text[:_LONGEST] + "..."


def parse_answers(text: str) -> tuple[dict[str, float], list[str]]:
    """`label = value` lines; blank lines and # comments are skipped. Bad lines become problems
    (with their line numbers) and the rest is still read."""
    answers, problems = {}, []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            problems.append(f"line {number}: expected 'label = value', got '{_clip(line)}'")
            continue
        label, value = (part.strip() for part in line.rsplit("=", 1))
        try:
            answers[label] = parse_number(value)
        except AnswerError as exc:
            problems.append(f"line {number}: {exc}")
    return answers, problems


@dataclass
class Key:
    definition: dict
    answers: list[dict]
    seed: int | None = None
    version: int | None = None
    by_name: dict[str, dict] = field(default_factory=dict)
    by_label: dict[str, dict] = field(default_factory=dict)

    given_scheme: dict | None = None
    nodes: int = 0  # the parts of its scheme's expressions, as keys.validate counted them

    @classmethod
    def from_json(cls, data: dict) -> Key:
        key = cls(data["definition"], data["answers"], data.get("seed"), data.get("version"),
                  given_scheme=data.get("scheme"))
        key.by_name = {a["name"]: a for a in key.answers}
        key.by_label = {a["label"]: a for a in key.answers}
        return key

    @cached_property
    def scheme(self) -> dict:
        """The marking scheme the key carries; a key written before keys carried one gets it
        written down from its definition now."""
        if self.given_scheme is not None:
            return self.given_scheme
        from .scheme_writer import scheme_of

        return scheme_of(self)

    @property
    def decimals(self) -> int:
        return self.definition.get("decimals", 4)


Mark = scheme.Mark


def resolve(key: Key, given: dict[str, float]) -> tuple[dict[str, float], list[str]]:
    """Student answers by canonical name; labels and names both accepted."""
    by_name, unknown = {}, []
    for label, value in given.items():
        entry = key.by_label.get(label) or key.by_name.get(label)
        if entry is None:
            unknown.append(label)
        else:
            by_name[entry["name"]] = value
    return by_name, unknown


def mark(key: Key, given: dict[str, float]) -> list[Mark]:
    """One mark per answer of the key, in the key's order: the key's marking scheme, interpreted
    (scheme.py), the same data and rules as the practice page's script."""
    return scheme.mark(key.scheme, given)


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
