"""The marking model: every quantity of a sheet recomputed from the ones before it, with or
without a known mistake made at that step. Written once, it is traced into the marking scheme
(scheme_writer.py) that `check` and the practice page interpret, and used directly by `audit`.

>>> from symbackprop.marking.check import _EXAMPLE, Key
>>> m = Model(Key.from_json(_EXAMPLE))
>>> round(m.value("out[1][1]", {"net[1][1]": 0.3775}.get), 6)
0.59327
>>> round(m.value("out[1][1]", {"net[1][1]": 0.3775}.get, "sigmoid_of_negative"), 6)
0.40673
"""

from __future__ import annotations

import math
import re

from ..definitions.canonical import SHAPE
from .trace import Ops

COMMON_RATES = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.3, 0.5, 1.0, 2.0)

# order matters: the first mistake that explains a value is named. A path left out is a slip
# at the step itself, so it comes before a rule taken wrongly earlier on: with one-hot targets
# a softmax's Jacobian taken as diagonal gives a hidden ∂J/∂out the value of its one path too,
# and the student who wrote the δ's right made the slip, not the rule
MODES = ("sigmoid_of_negative", "sigmoid_for_tanh", "tanh_not_applied", "relu_not_applied",
         "sigmoid_for_softmax", "softmax_own_term_left_out", "tanh_slope", "tanh_slope_unsquared",
         "one_path_only", "softmax_diagonal",
         "delta_for_dout", "sign", "net_for_out", "missing_activation_derivative",
         "missing_factor_two", "extra_half", "updated_weights")
# made at an out's own step only: net copied into out, the activation left out. After that
# step its numbers are net_for_out's, whose words say it there; softmax's own (σ of one net,
# a sum without its own term) say what an output is, and are said there only
AT_OUT = ("tanh_not_applied", "relu_not_applied", "sigmoid_for_softmax",
          "softmax_own_term_left_out")
# an activation's own mistakes, named only at a blank of a layer with that activation: a
# softmax output's are softmax's, never the tanh of the layer before it (whose words say
# "this neuron's activation is tanh")
OWN = {"sigmoid_of_negative": "sigmoid", "sigmoid_for_tanh": "tanh", "tanh_not_applied": "tanh",
       "relu_not_applied": "relu", "sigmoid_for_softmax": "softmax",
       "softmax_own_term_left_out": "softmax", "tanh_slope": "tanh",
       "tanh_slope_unsquared": "tanh"}
_IDX = re.compile(r"\[(\d+)\]")
_AT_EXAMPLE = re.compile(r"@\d+")  # a batch's example: dJ@1/dW[2][1][1], out[1][1]@2


class Model:
    """Recomputes any answer from its inputs: `value(name, get, mode)` takes the values it
    depends on from `get`, and makes the mistake `mode` at this step."""

    def __init__(self, key, through_deltas: bool = False, ops=Ops):
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
        # each quantity worked with a mistake made throughout depends only on (mistake,
        # rounding): worked once per pair, whichever step asked first
        self._memos: dict[tuple[str | None, int | None], dict[str, float]] = {}

    def modes(self, name: str | None = None) -> list[str]:
        """The mistakes this network's student can make (an activation's own only where the
        network has it; one_path_only once per path that could be the one kept); with a
        quantity's `name`, those that can be made at it or before it (an activation left out
        only at an out of its layer, an activation's own mistake only at a blank of its layer)."""
        widest = max(self.layers[1:])
        return [m for mode in MODES if self._can_make(mode) and (
            name is None or (mode not in AT_OUT or self._out_of(name, mode)) and (
                mode not in OWN or self.activation_of(name) == OWN[mode])) for m in (
            [f"{mode}#{i}" for i in range(1, widest + 1)] if mode == "one_path_only" else [mode])]

    def _out_of(self, name: str, mode: str) -> bool:
        """`name` is an out of a layer whose activation `mode` leaves out (out[l][j], or one
        example's: out[l][j]@2)."""
        plain = name.partition("@")[0]
        if not plain.startswith("out["):
            return False
        return self.acts[int(_IDX.findall(plain)[0]) - 1] == OWN[mode]

    def activation_of(self, name: str) -> str | None:
        """The activation of the layer a quantity belongs to: a neuron's net, out, slope and δ,
        a parameter's gradient and step are its layer's; ∂net/∂W (the input it multiplies) is
        the layer before's; J the output layer's; None for the inputs."""
        plain = _AT_EXAMPLE.sub("", name).removeprefix("new ").removeprefix("delta ")
        idx = [int(i) for i in _IDX.findall(plain)]
        if plain == "J":
            return self.acts[-1]
        if not idx:
            return None
        l = idx[0] - 1 if plain.startswith("dnet") and "/dW" in plain else idx[0]
        return self.acts[l - 1] if 1 <= l <= self.L else None

    def _can_make(self, mode: str) -> bool:
        acts, loss = set(self.acts), self.loss
        tanh = "tanh" in acts
        return {"sigmoid_of_negative": "sigmoid" in acts, "tanh_slope": tanh,
                "sigmoid_for_tanh": tanh, "tanh_not_applied": tanh,
                "tanh_slope_unsquared": tanh, "relu_not_applied": "relu" in acts,
                "sigmoid_for_softmax": "softmax" in acts,
                "softmax_own_term_left_out": "softmax" in acts and self.layers[-1] > 1,
                "softmax_diagonal": self.acts[-1] == "softmax" and loss == "cross_entropy",
                "delta_for_dout": loss in ("binary_cross_entropy", "cross_entropy"),
                "missing_factor_two": loss in ("sse", "mse"), "extra_half": loss == "half_sse",
                "one_path_only": self.L > 1 and max(self.layers[2:]) > 1,
                "updated_weights": self.L > 1}.get(mode, True)

    def terms(self, name: str) -> list[str]:
        """The terms of a net's sum, as the sheet writes them: W·x (or W·out) and the bias."""
        l, j = (int(i) for i in _IDX.findall(name))
        src = "x[{k}]" if l == 1 else f"out[{l - 1}]" + "[{k}]"
        terms = [f"W[{l}][{j}][{k}]·" + src.format(k=k) for k in range(1, self.layers[l - 1] + 1)]
        if self.bias != "none":
            terms.append(f"b[{l}]" if self.bias == "shared" else f"b[{l}][{j}]")
        return terms

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
        memo = self._memos.setdefault((mode, decimals), {})

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
        """The step's correct working, as a line a student can follow (ValueError: a number
        it needs cannot be worked out from the key's, as a made-up key's may not)."""
        deps = self._deps(name)
        value = self.value(name, get)
        if value is None:
            raise ValueError(f"cannot recompute {name}")
        if name.startswith("net"):
            return self._net_working(name, get, value)
        if name.startswith("out"):
            l, j = (int(i) for i in _IDX.findall(name))
            net = f"net[{l}][{j}]"
            return (f"{name} = {self.acts[l - 1]}({net}) = {self.acts[l - 1]}({_short(get(net))})"
                    f" = {_short(value)}")
        if not deps:
            return f"{name} = {_short(value)}"
        if name.startswith("new "):  # old − η·gradient, as the sheet writes the step
            p, grad = deps[1]
            if p[0] == "b" and not self.update_biases:
                return f"{name} = {p} (biases stay fixed) = {_short(value)}"
            return (f"{name} = {p} − η·{grad} = {_short(self._param(p))} − {_short(self.eta)}·"
                    f"{_short(get(grad))} = {_short(value)}")
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
        shape = SHAPE.match(name)
        if shape:  # a matrix's rows or columns: the network's sizes, whatever was written
            rows, cols = self.shape(shape.group(2), int(shape.group(3)))
            return float(rows if shape.group(1) == "rows" else cols)
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
            y, t = get(f"out[{idx[0]}][{idx[1]}]"), self.t[idx[1] - 1]
            if mode == "softmax_diagonal":  # ∂J/∂out_j · out_j(1 − out_j) alone
                return -t * (1 - y)
            return (-1 if mode == "sign" else 1) * (y - t)
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

    def shape(self, matrix: str, l: int) -> tuple[int, int]:
        """δ^l is a column of layer l's neurons; ∂J/∂W^l has W^l's shape."""
        return (self.layers[l], 1) if matrix == "delta" else (self.layers[l], self.layers[l - 1])

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
        terms = [w * self._source(l, k, get, mode)
                 for k, w in enumerate(self.W[l - 1][j - 1], start=1)]
        if self.bias != "none":
            terms.append(self.b[l - 1][0 if self.bias == "shared" else j - 1])
        if mode and mode.startswith("term_sign#"):  # one term subtracted instead of added
            k = int(mode.split("#")[1]) - 1
            terms[k] = -terms[k]  # IndexError: no such term
        return sum(terms)

    def _out(self, l: int, j: int, get, mode) -> float:
        act = self.acts[l - 1]
        z = get(f"net[{l}][{j}]")
        if act == "softmax" and mode == "sigmoid_for_softmax":  # σ of its own net alone
            act = "sigmoid"
        elif act == "softmax":
            zs = [get(f"net[{l}][{i}]") for i in range(1, self.layers[l] + 1)]
            top = self.ops.max(*zs)
            # the denominator without this output's own term: e^net_j / Σ_{k≠j} e^net_k
            below = [v for i, v in enumerate(zs, start=1)
                     if not (mode == "softmax_own_term_left_out" and i == j)]
            return self.ops.exp(z - top) / sum(self.ops.exp(v - top) for v in below)
        if mode == "sigmoid_of_negative" and act == "sigmoid":
            z = -z
        if mode == "sigmoid_for_tanh" and act == "tanh":  # σ(net) where tanh(net) belongs
            act = "sigmoid"
        if mode == f"{act}_not_applied":  # net copied into out: no activation applied
            return z
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
        if mode == "delta_for_dout" and self.loss in ("binary_cross_entropy", "cross_entropy"):
            return y - t  # ∂J/∂net of the output, where ∂J/∂out belongs
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
        if act == "tanh" and mode == "tanh_slope":  # σ's slope for tanh's
            return y * (1 - y)
        if act == "tanh" and mode == "tanh_slope_unsquared":  # 1 − out for 1 − out²
            return 1 - y
        # softmax: the diagonal of its Jacobian, ∂out_j/∂net_j (what an author prints)
        return {"sigmoid": y * (1 - y), "tanh": 1 - y * y, "identity": 1.0,
                "softmax": y * (1 - y)}[act]

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
