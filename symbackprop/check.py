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

from . import scheme
from .definition import Printed
from .trace import Ops

VERDICTS = ("correct", "carried_forward", "incorrect", "missing")
COMMON_RATES = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.3, 0.5, 1.0, 2.0)

# mistake -> what to tell the student
MISTAKES = {
    "sign": "the sign is reversed: y − t, not t − y, and a step goes against the gradient "
            "(w − η·∂J/∂w)",
    "sigmoid_of_negative": "this is σ(−net): σ(net) = 1/(1 + e^(−net)), with the minus in "
                           "the exponent",
    "missing_activation_derivative": "the activation's slope ∂out/∂net is missing from the chain",
    "net_for_out": "net was used where out belongs (the value after the activation)",
    "missing_factor_two": "the 2 from differentiating the square is missing",
    "extra_half": "the ½ of ½(t − y)² already cancels the 2; there is no ½ left in ∂J/∂out",
    "one_path_only": "a hidden neuron reaches J through every output: add all the paths, not one",
    "updated_weights": "the hidden error was computed with output weights that were already "
                       "updated; use the old weights for the whole backward pass",
    "wrong_learning_rate": "the step used a different learning rate",
    "rounded_too_early": "intermediates were rounded to fewer decimals than the sheet asks",
}
# order matters: the first mistake that explains a value is named
MODES = ("sigmoid_of_negative", "sign", "net_for_out", "missing_activation_derivative",
         "missing_factor_two", "extra_half", "one_path_only", "updated_weights")

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_FRACTION = re.compile(r"([+-]?\d+)/(\d+)")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?")  # 0,7414 as much of Europe writes
_IDX = re.compile(r"\[(\d+)\]")


def decimals_of(value: float) -> int:
    """Decimals as printed: a number that kept its text ('0.30') says so; else its shortest
    form (0.2306 -> 4, 3.51085e-05 -> 10).

    >>> decimals_of(0.2306), decimals_of(3.51085e-05), decimals_of(2.0)
    (4, 10, 0)
    """
    printed = getattr(value, "decimals", None)
    if isinstance(printed, int):
        return printed
    from decimal import Decimal

    return max(0, -Decimal(repr(float(value))).normalize().as_tuple().exponent)


def rounds_to(printed: float, value: float, places: int) -> bool:
    """`printed` is `value` rounded to `places` decimals (half a unit either way).

    >>> rounds_to(-0.1361, -0.13609, 4), rounds_to(-0.1360, -0.13609, 4)
    (True, False)
    """
    return abs(printed - value) <= 0.5 * 10 ** -places * (1 + 1e-9) + 1e-15


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
        from .marking import scheme_of

        return scheme_of(self)

    @property
    def decimals(self) -> int:
        return self.definition.get("decimals", 4)

    def tolerance(self, expected: float) -> float:
        """Half a unit in the last printed decimal, or 0.5 % relative: the larger."""
        return max(0.5 * 10 ** -self.decimals, 0.005 * abs(expected))


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


def diagnose(model: Model, name: str, value: float, own) -> str | None:
    """The first modelled mistake whose recomputation gives the student's value: made at this
    step on the student's own earlier values, or made all the way through."""
    close = _close(model.key, value)
    right = model.key_value(name)
    if close(-right) and not close(right):
        return "sign"
    for mode in model.modes():
        for candidate in (model.value(name, own, mode), model.mistaken(name, mode)):
            if candidate is not None and close(candidate) and not close(right):
                return mode.split("#")[0]
    if name.startswith("new ") and model.other_rate(name, value, own):
        return "wrong_learning_rate"
    for decimals in range(model.decimals - 1, 0, -1):
        candidate = model.mistaken(name, None, decimals)
        if candidate is not None and close(candidate):
            return "rounded_too_early"
    return None


def exact_mistake(model: Model, name: str, value: float, own, right=()) -> str | None:
    """The modelled mistake that gives `value` to the decimals it was printed with, when the
    right working (exact, rounded as the sheet rounds, or on one's own earlier values) does not.
    """
    places = decimals_of(value)

    def gives(candidate) -> bool:
        return candidate is not None and rounds_to(value, candidate, places)

    if any(gives(v) for v in (*right, model.value(name, own), model.recompute(name, None, None))):
        return None
    for mode in model.modes():
        candidates = (model.value(name, own, mode), model.mistaken(name, mode),
                      model.recompute(name, mode, None))
        if any(gives(c) for c in candidates):
            return mode.split("#")[0]
    return None


def _close(key: Key, value: float):
    return lambda expected: abs(value - expected) <= key.tolerance(expected)


def _fmt(value: float, key: Key) -> str:
    return f"{value:.{key.decimals}f}"


# --- the model: every quantity of the sheet recomputed from the ones before it ----------


class Model:
    """Recomputes any answer from its inputs: `value(name, get, mode)` takes the values it
    depends on from `get`, and makes the mistake `mode` at this step."""

    def __init__(self, key: Key, through_deltas: bool = False, ops=Ops):
        # through_deltas: a gradient is δ · ∂net/∂w, so that a δ someone wrote down is used
        # ops: math on numbers, or TracedOps to write the recomputation down as a tree
        self.key, self.through_deltas, self.ops = key, through_deltas, ops
        d = key.definition
        net = d["network"]
        self.layers = net["layers"]
        self.L = len(self.layers) - 1
        acts = net["activation"]
        self.acts = acts if isinstance(acts, list) else [acts] * self.L
        self.loss, self.bias = net["loss"], net.get("bias", "shared")
        v = d["values"]
        self.x, self.t, self.W, self.b = v["inputs"], v["targets"], v["weights"], v["biases"]
        self.eta = d["learning_rate"]
        self.update_biases = d.get("update_biases", True)
        self.decimals = key.decimals

    def modes(self) -> list[str]:
        """Every mistake mode; one_path_only once per path that could be the one kept."""
        widest = max(self.layers[1:])
        return [m for mode in MODES for m in (
            [f"{mode}#{i}" for i in range(1, widest + 1)] if mode == "one_path_only" else [mode])]

    def key_value(self, name: str) -> float:
        entry = self.key.by_name.get(name)
        if entry is not None:
            return entry["value"]
        return self.mistaken(name, None)  # a quantity the sheet does not ask for

    def mistaken(self, name: str, mode: str | None, decimals: int | None = None) -> float | None:
        """The value a student gets who makes the mistake throughout, rounding as asked."""
        decimals = self.decimals if decimals is None else decimals
        value = self.recompute(name, mode, decimals)
        return None if value is None else round(value, decimals)

    def recompute(self, name: str, mode: str | None, decimals: int | None) -> float | None:
        """`name` worked out from the given numbers with the mistake made throughout, each
        intermediate rounded to `decimals` (None: not rounded); the result itself unrounded."""
        memo: dict[str, float] = {}

        def get(dep: str) -> float:
            if dep not in memo:
                value = self.value(dep, get, mode)
                if value is None:
                    raise ValueError(f"cannot recompute {dep}")
                memo[dep] = value if decimals is None else round(value, decimals)
            return memo[dep]

        return self.value(name, get, mode)

    def other_rate(self, name: str, value: float, own) -> bool:
        p = name[4:]
        grad = own(f"dJ/d{p}")
        if not grad:
            return False
        rate = (self._param(p) - value) / grad
        return any(math.isclose(rate, r, rel_tol=0.02) for r in COMMON_RATES
                   if not math.isclose(r, self.eta))

    def working(self, name: str, get) -> str:
        """The step's correct working, as a line a student can follow."""
        deps = self._deps(name)
        value = self.value(name, get)
        if name.startswith("net"):
            return self._net_working(name, get, value)
        if name.startswith("out"):
            l, j = (int(i) for i in _IDX.findall(name))
            net = f"net[{l}][{j}]"
            return (f"{name} = {self.acts[l - 1]}({net}) = {self.acts[l - 1]}({_short(get(net))})"
                    f" = {_short(value)}")
        if not deps:
            return f"{name} = {_short(value)}"
        joined = {"sum": " + ", "product": " · "}.get(deps[0], ", ")
        names = joined.join(deps[1])
        numbers = joined.join(_short(get(d)) for d in deps[1])
        return f"{name} = {names} = {numbers} = {_short(value)}"

    def _net_working(self, name: str, get, value: float) -> str:
        l, j = (int(i) for i in _IDX.findall(name))
        sources = [f"x[{k}]" if l == 1 else f"out[{l - 1}][{k}]"
                   for k in range(1, self.layers[l - 1] + 1)]
        terms = [f"W[{l}][{j}][{k}]·{src}" for k, src in enumerate(sources, start=1)]
        numbers = [f"{_short(w)}·{_short(self._source(l, k, get, None))}"
                   for k, w in enumerate(self.W[l - 1][j - 1], start=1)]
        if self.bias != "none":
            b = self.b[l - 1][0 if self.bias == "shared" else j - 1]
            terms.append(f"b[{l}]" if self.bias == "shared" else f"b[{l}][{j}]")
            numbers.append(_short(b))
        return f"{name} = {' + '.join(terms)} = {' + '.join(numbers)} = {_short(value)}"

    # dependencies, for the working line: ('product' | 'sum' | 'of', [names])
    def _deps(self, name: str):
        idx = [int(i) for i in _IDX.findall(name)]
        if name.startswith("new "):
            return ("of", [name[4:], f"dJ/d{name[4:]}"])
        if name.startswith("delta "):
            return ("of", [f"dJ/d{name[6:]}"])
        if self._is_product(name, idx):
            return ("product", self._chain(name))
        if name.startswith("dJ/db"):  # a shared bias: one path through each neuron
            return ("sum", [f"{name} via net[{idx[0]}][{j}]"
                            for j in range(1, self.layers[idx[0]] + 1)])
        if name.startswith("dJ/dout") and idx[0] < self.L:  # one path through each next neuron
            return ("sum", [f"{name} via net[{idx[0] + 1}][{i}]"
                            for i in range(1, self.layers[idx[0] + 1] + 1)])
        return None

    def _is_product(self, name: str, idx: list[int]) -> bool:
        return " via " in name or name.startswith("dJ/dW") or (
            name.startswith("dJ/db") and len(idx) == 2) or (
            name.startswith("dJ/dnet") and not self._softmax_output(idx[0]))

    def _softmax_output(self, l: int) -> bool:
        return l == self.L and self.acts[-1] == "softmax"

    def _chain(self, name: str) -> list[str]:
        """The factors of a chain: the neuron's δ factors, then ∂net/∂(what the name is by)."""
        head, _, via = name.partition(" via ")
        if head.startswith("dJ/dnet"):  # δ itself: the neuron's factors
            return self._delta_factors(*(int(n) for n in _IDX.findall(head)))
        if via:
            l, j = (int(n) for n in _IDX.findall(via))
        else:
            l, j = (int(n) for n in _IDX.findall(head)[:2])
        delta = [f"dJ/dnet[{l}][{j}]"] if self.through_deltas else self._delta_factors(l, j)
        return delta + [f"dnet[{l}][{j}]/d{head[4:]}"]

    def _delta_factors(self, l: int, j: int) -> list[str]:
        if self._softmax_output(l):
            return [f"dJ/dnet[{l}][{j}]"]
        return [f"dJ/dout[{l}][{j}]", f"dout[{l}][{j}]/dnet[{l}][{j}]"]

    # values -------------------------------------------------------------------------

    def value(self, name: str, get, mode: str | None = None) -> float | None:
        """`name` recomputed from `get`, with mistake `mode` made at this step (if it can be)."""
        try:
            return self._value(name, get, mode)
        except (KeyError, IndexError, ValueError, ZeroDivisionError, OverflowError):
            return None

    def _value(self, name: str, get, mode):
        idx = [int(i) for i in _IDX.findall(name)]
        if name.startswith("new "):
            return self._update(name[4:], get, mode)
        if name.startswith("delta "):
            return self._update(name[6:], get, mode) - self._param(name[6:])
        if self._is_product(name, idx):
            return self._product(name, get, mode)
        if name.startswith("dJ/db"):
            return self._sum(name, get, mode)
        if name.startswith("dJ/dout"):
            if idx[0] == self.L:
                return self._loss_slope(idx[1], get, mode)
            return self._sum(name, get, mode)
        if name.startswith("dJ/dnet"):  # softmax with cross-entropy
            y = get(f"out[{idx[0]}][{idx[1]}]")
            return (-1 if mode == "sign" else 1) * (y - self.t[idx[1] - 1])
        if name.startswith("dout"):
            return self._activation_slope(idx[0], idx[1], get, mode)
        if name.startswith("dnet"):
            return self._dnet(name, idx, get, mode)
        if name.startswith("net"):
            return self._net(idx[0], idx[1], get, mode)
        if name.startswith("out"):
            return self._out(idx[0], idx[1], get, mode)
        if name == "J":
            return self._loss(get, mode)
        return self._param(name)

    def _param(self, name: str) -> float:
        idx = [int(i) for i in _IDX.findall(name)]
        if name[0] == "W":
            return self.W[idx[0] - 1][idx[1] - 1][idx[2] - 1]
        if name[0] == "b":
            return self.b[idx[0] - 1][0 if len(idx) == 1 else idx[1] - 1]
        if name[0] == "x":
            return self.x[idx[0] - 1]
        return self.t[idx[0] - 1]

    def _source(self, l: int, k: int, get, mode) -> float:
        if l == 1:
            return self.x[k - 1]
        return get(f"{'net' if mode == 'net_for_out' else 'out'}[{l - 1}][{k}]")

    def _net(self, l: int, j: int, get, mode) -> float:
        total = sum(w * self._source(l, k, get, mode)
                    for k, w in enumerate(self.W[l - 1][j - 1], start=1))
        if self.bias != "none":
            total += self.b[l - 1][0 if self.bias == "shared" else j - 1]
        return total

    def _out(self, l: int, j: int, get, mode) -> float:
        act = self.acts[l - 1]
        z = get(f"net[{l}][{j}]")
        if act == "softmax":
            zs = [get(f"net[{l}][{i}]") for i in range(1, self.layers[l] + 1)]
            top = self.ops.max(*zs)
            return self.ops.exp(z - top) / sum(self.ops.exp(v - top) for v in zs)
        if mode == "sigmoid_of_negative" and act == "sigmoid":
            z = -z
        return {"sigmoid": lambda: 1 / (1 + self.ops.exp(-z)), "tanh": lambda: self.ops.tanh(z),
                "relu": lambda: self.ops.max(0.0, z), "identity": lambda: z}[act]()

    def _loss(self, get, mode) -> float:
        ys = [get(f"{'net' if mode == 'net_for_out' else 'out'}[{self.L}][{j}]")
              for j in range(1, self.layers[-1] + 1)]
        pairs = list(zip(self.t, ys))
        squares = sum((t - y) ** 2 for t, y in pairs)
        if self.loss == "half_sse":
            return squares / 2
        if self.loss == "sse":
            return squares
        if self.loss == "mse":
            return squares / len(pairs)
        if self.loss == "cross_entropy":
            return -sum(t * self.ops.log(y) for t, y in pairs if t)
        return -sum(t * self.ops.log(y) + (1 - t) * self.ops.log(1 - y) for t, y in pairs)

    def _loss_slope(self, j: int, get, mode) -> float:
        y, t = get(f"out[{self.L}][{j}]"), self.t[j - 1]
        slope = {"half_sse": lambda: y - t, "sse": lambda: 2 * (y - t),
                 "mse": lambda: 2 * (y - t) / len(self.t), "cross_entropy": lambda: -t / y,
                 "binary_cross_entropy": lambda: (y - t) / (y * (1 - y))}[self.loss]()
        if mode == "sign":
            return -slope
        if mode == "extra_half" and self.loss == "half_sse":
            return slope / 2
        if mode == "missing_factor_two" and self.loss in ("sse", "mse"):
            return slope / 2
        return slope

    def _activation_slope(self, l: int, j: int, get, mode) -> float:
        act = self.acts[l - 1]
        y = get(f"{'net' if mode == 'net_for_out' else 'out'}[{l}][{j}]")
        if act == "relu":
            return self.ops.step(get(f"net[{l}][{j}]"))
        return {"sigmoid": y * (1 - y), "tanh": 1 - y * y, "identity": 1.0}[act]

    def _dnet(self, name: str, idx: list[int], get, mode) -> float:
        wrt = name.split("/d", 1)[1]
        if wrt.startswith("W"):
            return self._source(idx[0], idx[-1], get, mode)
        if wrt.startswith("b"):
            return 1.0
        l, i, j = idx[0], idx[1], idx[3]  # dnet[l][i]/dout[l-1][j]: the weight between them
        w = self.W[l - 1][i - 1][j - 1]
        if mode == "updated_weights":
            w -= self.eta * get(f"dJ/dW[{l}][{i}][{j}]")
        return w

    def _product(self, name: str, get, mode) -> float:
        factors = self._chain(name)
        if mode == "missing_activation_derivative":
            factors = [f for f in factors if not f.startswith("dout")]
        product = 1.0
        for f in factors:
            product *= get(f)
        return product

    def _sum(self, name: str, get, mode) -> float:
        _, terms = self._deps(name)
        if mode and mode.startswith("one_path_only") and name.startswith("dJ/dout"):
            terms = [terms[int(mode.split("#")[1]) - 1]]  # IndexError: no such path
        return sum(get(term) for term in terms)

    def _update(self, p: str, get, mode) -> float:
        old = self._param(p)
        if p[0] == "b" and not self.update_biases:
            return old
        step = self.eta * get(f"dJ/d{p}")
        return old + step if mode == "sign" else old - step


def _short(value: float) -> str:
    return f"{value:.6g}"


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
