"""Verified results as plain text and as the JSON object other tools read.

The text prints each neuron's δ = ∂J/∂net once, output layer first, and then each gradient as
its δ times its input, naming the δ it uses: the size grows with the number of parameters, not
with the number of paths through the network.

>>> from symbackprop.definitions.definition import parse
>>> from symbackprop.engine.sample import instance
>>> from symbackprop.engine.verify import run
>>> d = parse('''network: {layers: [1, 1, 1], activation: identity, loss: sse, bias: none}
... values: {inputs: [2], targets: [1], weights: [[[3]], [[0.5]]]}
... learning_rate: 0.1''')
>>> r = run(d, instance(d))
>>> as_json(r)['grad'], as_json(r)['deltas']
({'W': [[[4.0]], [[24.0]]], 'b': None}, [[2.0], [4.0]])
>>> print(deltas_text(r, ['W[1][1][1]']))
dJ/dnet[2][1] = dJ/dout[2][1] · dout[2][1]/dnet[2][1]
  dJ/dout[2][1] = 2(out − t) = 2(out[2][1] − t[1]) = 4
  dout[2][1]/dnet[2][1] = 1
  = 4
dJ/dnet[1][1] = dJ/dout[1][1] · dout[1][1]/dnet[1][1]
  dJ/dout[1][1] = dJ/dnet[2][1] · W[2][1][1] = 4 · 0.5 = 2
  dout[1][1]/dnet[1][1] = 1
  = 2
>>> print(derivation_text(r, 'W[1][1][1]'))
dJ/dW[1][1][1] = dJ/dnet[1][1] · dnet[1][1]/dW[1][1][1]
  dJ/dnet[1][1] = 2 (δ above)
  dnet[1][1]/dW[1][1][1] = in = x[1] = 2
  = 4
"""

from __future__ import annotations

import math
import re

from ..definitions.canonical import at_example
from ..definitions.names import numbered
from . import printing
from .exact import Exact
from .graph import name
from .steps import Chain, Factor, PathSum, Step, children
from .verify import Verified

__all__ = ["as_json", "deltas_text", "derivation_text", "forward_text", "matrix_json",
           "matrix_text", "text", "verification_text"]

MATRIX_NUMBERS = 64  # entries a matrix may have to be printed in numbers (its shape always is)


def as_json(r: Verified, steps=None) -> dict:
    """One example: its loss, layers and δ's; a batch: the batch's loss, then each example's.
    With an optimizer's `steps` (optimize.optimize), "update" is the parameters after its
    first step and "optimizer" holds its buffers and parameters after each."""
    net = r.instance.network
    if r.examples:
        head = {"loss": r.values["J"], "batch_loss": r.instance.batch_loss,
                "examples": [_example_json(one) for one in r.examples]}
        grads = batch_grads(r)
    else:
        exact = Exact(r)
        head = _example_json(r, exact)
        grads = {p: exact.value(s) for p, s in r.derivation.grads.items()}
    result = head | {
        "grad": _params(grads, net),
        "update": _params(r.updated, net),
        "verification": {"numpy_max_abs_diff": r.numpy_max_abs_diff,
                         "finite_difference_max_rel_err": r.fd_max_rel_err,
                         "finite_differences": r.finite_differences.as_json()},
    }
    if steps is not None and not (steps[0].optimizer.plain and len(steps) == 1):
        from . import updatereport

        whole = dict(r.values)  # a parameter the steps do not reach keeps its value
        result["update"] = _params(whole | steps[0].new, net)
        result["optimizer"] = updatereport.as_json(
            steps, lambda v: _params({k: v.get(k) for k in r.derivation.graph.params}, net))
    return result


def _example_json(r, exact: Exact | None = None) -> dict:
    """One example's loss, outputs, every layer's net and out, and every δ."""
    sizes, L = r.instance.network.layers, r.instance.network.depth
    exact = exact or Exact(r)
    layers = [{"net": [r.values[name("net", l, j)] for j in range(1, sizes[l] + 1)],
               "out": [r.values[name("out", l, j)] for j in range(1, sizes[l] + 1)]}
              for l in range(1, L + 1)]
    return {"loss": r.values["J"], "outputs": layers[-1]["out"], "layers": layers,
            "deltas": [[exact.value(r.derivation.deltas[_delta(l, j)])
                        for j in range(1, sizes[l] + 1)] for l in range(1, L + 1)]}


def batch_grads(r: Verified) -> dict[str, float]:
    """A batch's gradients from each example's exact values (a sum of exact zeros is 0)."""
    exact = [Exact(one) for one in r.examples]
    return {p: r.instance.share * math.fsum(e.value(s) for e in exact)
            for p, s in r.derivation.grads.items()}


def _params(by_name: dict[str, float], net) -> dict:
    """Parameters by name, back into the definition's shapes (rows = neurons, columns = inputs)."""
    sizes = net.layers
    W = [[[by_name[name("W", l, j, k)] for k in range(1, sizes[l - 1] + 1)]
          for j in range(1, sizes[l] + 1)] for l in range(1, len(sizes))]
    if net.bias == "none":
        return {"W": W, "b": None}
    b = [[by_name[name("b", l)]] if net.bias == "shared"
         else [by_name[name("b", l, j)] for j in range(1, sizes[l] + 1)]
         for l in range(1, len(sizes))]
    return {"W": W, "b": b}


def matrix_json(form) -> dict:
    """The matrix form's numbers: each δ^l (a list per neuron: its value, or a value per
    example), and ∂J/∂W^l and ∂J/∂b^l in the shapes of "grad"."""
    squeeze = (lambda a: a[:, 0].tolist()) if not form.batch else (lambda a: a.tolist())
    return {"deltas": [squeeze(d) for d in form.deltas],
            "grad": {"W": [g.tolist() for g in form.grad_W],
                     "b": None if form.grad_b is None else [b.tolist() for b in form.grad_b]},
            "equations": [e.form for e in form.equations]}


def matrix_text(form) -> str:
    """Each equation with its shapes, then its numbers where the matrices are small."""
    lines = ["Backpropagation in matrix form (shapes rows×columns"
             + (f"; a column per example of the batch of {form.batch})" if form.batch else ")")]
    for e in form.equations:
        lines.append(e.form)
        shown = [(n, a) for n, a in e.operands if a.size <= MATRIX_NUMBERS]
        if len(shown) == len(e.operands) and e.value.size <= MATRIX_NUMBERS:
            lines += [f"  {n} = {_matrix(a)}" for n, a in e.operands]
            lines.append(f"  = {_matrix(e.value)}")
        else:
            lines.append(f"  (matrices of more than {MATRIX_NUMBERS} entries: numbers in --json)")
    lines.append("Every entry checked equal to the scalar chain rule's, symbolically and in "
                 "numbers.")
    return "\n".join(lines)


def _matrix(a) -> str:
    rows = a.reshape(-1, 1) if a.ndim == 1 else a
    return "[" + "; ".join(", ".join(_number(float(v)) for v in row) for row in rows) + "]"


def _delta(l: int, j) -> str:
    return f"dJ/d{name('net', l, j)}"


def text(r: Verified, params: list[str] | None = None, notation: str = "matrix",
         steps=None) -> str:
    """The whole report: forward pass, the δ's the asked gradients need, the gradients, a step
    (an optimizer's `steps`, when given, in place of plain gradient descent's one)."""
    params = list(params or r.grads)
    if r.examples:
        return _batch_text(r, params, notation, steps)
    w = _Writer(r, notation)
    parts = [forward_text(r)]
    if notation == "numbered":
        parts.append(w.legend())
    parts += ["", _DELTAS_HEAD]
    parts += w.deltas(params)
    parts += ["", "Gradients (chain rule): each is its neuron's δ times what the parameter "
              "multiplies"]
    for p in params:
        parts += w.gradient(p) + [""]
    return "\n".join(parts + _step_text(r, params, w, steps))


_DELTAS_HEAD = ("Deltas δ[l][j] = dJ/dnet[l][j], output layer first (a hidden δ adds up the "
                "next layer's δ's, each times its weight)")


def _batch_text(r: Verified, params: list[str], notation: str, steps=None) -> str:
    """Each example's forward pass and δ's as one example's, its names carrying '@e'; then
    each gradient as the sum over the examples of that example's δ times its input."""
    E, how = len(r.examples), r.instance.batch_loss
    writers = [_Writer(one, notation) for one in r.examples]
    parts = numbers_text(r.instance) + ["", f"A batch of {E} examples: J = "
                                        f"{'Σ_e J@e' if how == 'sum' else '(1/E) Σ_e J@e'} "
                                        f"({how} of the examples' losses)"]
    if notation == "numbered":
        parts.append(writers[0].legend())
    for e, (one, w) in enumerate(zip(r.examples, writers), start=1):
        lines = [forward_text(one, numbers=False), ""] + w.deltas(params)
        head = at_example(_DELTAS_HEAD.replace("δ[l][j]", f"δ[l][j]@{e}", 1), e)
        parts += ["", f"Example {e}"] + [at_example(line, e) if line else head
                                          for line in lines]
    parts += ["", f"Batch loss: J = {' + '.join(f'J@{e}' for e in range(1, E + 1))}"
              + ("" if how == "sum" else f", over {E}") + f" = {_number(r.values['J'])}",
              "", f"Gradients (chain rule), each the {how} over the {E} examples of the "
              "example's δ times what the parameter multiplies"]
    for p in params:
        parts += _batch_gradient(r, writers, p) + [""]
    return "\n".join(parts + _step_text(r, params, writers[0], steps))


def _batch_gradient(r: Verified, writers: list[_Writer], p: str) -> list[str]:
    E, step = len(writers), r.derivation.grads[p]
    head = f"dJ/d{writers[0].param(p)}"
    terms = " + ".join(f"dJ@{e}/d{p}" for e in range(1, E + 1))
    lines = [f"{head} = {terms}" if r.instance.batch_loss == "sum" else
             f"{head} = ({terms}) / {E}"]
    for e, w in enumerate(writers, start=1):
        if isinstance(step, Chain):
            lines.append(at_example(f"  example {e}: dJ/d{p} = {w.term(step)}", e))
        else:  # a shared bias: each example's own sum over the layer's neurons
            lines += [at_example(f"  {line}", e) for line in w.gradient(p)]
    return lines + [f"  = {_number(r.grads[p])}"]


def _step_text(r: Verified, params: list[str], w: _Writer, steps=None) -> list[str]:
    if steps is not None and not (steps[0].optimizer.plain and len(steps) == 1):
        from . import updatereport

        return [updatereport.text(steps, params, w.param), verification_text(r)]
    eta = r.instance.learning_rate
    return ([f"After one gradient-descent step (η = {eta:g}"
             + ("" if r.instance.update_biases else ", biases fixed") + "):"]
            + [f"  {w.param(p)}: {r.values[p]:.9g} → {r.updated[p]:.9g}" for p in params]
            + [verification_text(r)])


def steps_text(r: Verified, steps, notation: str = "matrix") -> str:
    """The optimizer's steps of every parameter, as `text` ends with them: derive --form
    matrix prints them after its equations, which hold no step."""
    from . import updatereport

    return updatereport.text(steps, list(r.grads), _Writer(r, notation).param)


def verification_text(r: Verified) -> str:
    """One line: how the numbers were checked, and how closely they agreed."""
    fd = r.finite_differences
    line = (f"Verified: NumPy max |diff| {r.numpy_max_abs_diff:.2e}, "
            f"finite differences max rel. error {r.fd_max_rel_err:.2e}")
    if not fd.directions:
        return line
    along = (f"along {fd.directions} random directions (seed {fd.seed}), max rel. error "
             f"{fd.directional_max_rel_err:.2e}")
    if fd.method == "sample_and_directions":
        return (f"{line} on a sample of {fd.parameters:,} of the {fd.of:,} parameters, and "
                f"every gradient {along}")
    return (f"{line} on the {fd.parameters:,} parameter{'s' if fd.parameters > 1 else ''} "
            f"shown; the whole network's NumPy gradient {along}")


LOSS_WORDS = {"half_sse": "J = ½Σ(t − out)²", "sse": "J = Σ(t − out)²",
              "mse": "J = (1/n)·Σ(t − out)²", "cross_entropy": "J = −Σ t·ln(out)",
              "binary_cross_entropy": "J = −[t·ln(out) + (1 − t)·ln(1 − out)]"}


def forward_text(r: Verified, numbers: bool = True) -> str:
    net = r.instance.network
    lines = (numbers_text(r.instance) + [""] if numbers else []) + ["Forward pass"]
    for l in range(1, net.depth + 1):
        for j in range(1, net.layers[l] + 1):
            n, o = name("net", l, j), name("out", l, j)
            lines.append(f"  {n} = {_number(r.values[n])}    {o} = {_number(r.values[o])}"
                         f"    ({net.activations[l - 1]})")
    lines.append(f"Loss {LOSS_WORDS[net.loss]} = {_number(r.values['J'])}")
    return "\n".join(lines)


def numbers_text(inst) -> list[str]:
    """The numbers worked with: the definition's, and those drawn from the seed, so that a
    teacher can put them on a sheet of their own."""
    v = inst.values
    drawn = "" if inst.seed is None else f", or drawn from seed {inst.seed}"
    lines = [f"Numbers (as the definition gives them{drawn})"]

    def row(numbers) -> str:
        return "(" + ", ".join(_number(x) for x in numbers) + ")"

    if v.inputs is not None:
        lines.append(f"  x = {row(v.inputs)}    t = {row(v.targets)}")
    for e, example in enumerate(v.examples or (), start=1):
        lines.append(f"  x@{e} = {row(example.inputs)}    t@{e} = {row(example.targets)}")
    for l, W in enumerate(v.weights or (), start=1):
        lines.append(f"  W[{l}] = (" + ", ".join(row(w) for w in W) + ")")
    for l, b in enumerate(v.biases or (), start=1):
        lines.append(f"  b[{l}] = {row(b)}")
    return lines


def deltas_text(r: Verified, params: list[str] | None = None) -> str:
    """The δ's the parameters' gradients need, each once, output layer first."""
    return "\n".join(_Writer(r, "matrix").deltas(list(params or r.grads)))


def derivation_text(r: Verified, param: str, notation: str = "matrix") -> str:
    """∂J/∂param as its δ (named, printed in deltas_text) times its input."""
    return "\n".join(_Writer(r, notation).gradient(param))


_form, _number, _times = printing.form, printing.number, printing.times


class _Writer:
    def __init__(self, r: Verified, notation: str):
        self.r, self.notation = r, notation
        self.exact = Exact(r)
        self.layers = r.instance.network.layers
        self.deltas_by_key = r.derivation.deltas

    # --- names and numbers ------------------------------------------------------------

    def value(self, step: Step) -> str:
        return _number(self.exact.value(step))

    def param(self, p: str) -> str:
        return f"{p} ({numbered(p, self.layers)})" if self.notation == "numbered" else p

    def legend(self) -> str:
        """The author's numbered names of the parameters, one line a layer."""
        by_layer: dict[str, list[str]] = {}
        for p in self.r.derivation.graph.params:
            by_layer.setdefault(re.findall(r"\d+", p)[0], []).append(
                f"{numbered(p, self.layers)} = {p}")
        return "\n".join(["Numbered names (as on the worksheet):"]
                         + ["  " + ", ".join(names) for names in by_layer.values()])

    # --- the δ's ------------------------------------------------------------------------

    def deltas(self, params: list[str]) -> list[str]:
        derived = self.r.derivation
        # every δ was built for some derived parameter: all of them when all are asked for
        keys = derived.deltas.keys() if set(params) == derived.grads.keys() else \
            _needed(derived.grads[p] for p in params)
        lines = []
        for key in sorted(keys, key=_layer_first):
            lines += self.delta(self.deltas_by_key[key])
        return lines

    def delta(self, step: Step) -> list[str]:
        if isinstance(step, Factor):  # softmax with cross-entropy: δ in one rule
            return [self.factor(step, "")]
        upstream, dout = step.factors
        lines = [f"{step.target} = {upstream.target} · {dout.target}"]
        lines += self.factor_or_sum(upstream, "  ")
        lines += [self.factor(dout, "  "), f"  = {self.value(step)}"]
        return lines

    def factor_or_sum(self, step: Step, indent: str) -> list[str]:
        if isinstance(step, Factor):
            return [self.factor(step, indent)]
        if len(step.terms) == 1:  # one path is just that path
            return [f"{indent}{step.target} = {self.term(step.terms[0])}"]
        lines = [f"{indent}{step.target} = {_sum_form(step)} = {self.value(step)}"]
        lines += [f"{indent}  via {_via(t.target)}: {self.term(t)}" for t in step.terms]
        return lines

    def term(self, term: Chain) -> str:
        """δ · (the factor on the way to it), by name, then by value."""
        delta, factor = term.factors
        return (f"{delta.target} · {_form(factor.expr)} = "
                f"{_times(self.exact.value(delta))} · {_times(self.exact.value(factor))} = "
                f"{self.value(term)}")

    def factor(self, f: Factor, indent: str) -> str:
        forms = []
        for form in (_form(f.general), _form(f.expr), self.value(f)):
            if not forms or forms[-1] != form:  # never 1 = 1 = 1
                forms.append(form)
        if f.rule == "relu":
            forms[-1] += f" ({f.wrt} {'>' if self.exact.value(f) else '<'} 0)"
        return f"{indent}{f.target} = " + " = ".join(forms)

    # --- the gradients ------------------------------------------------------------------

    def gradient(self, param: str) -> list[str]:
        step = self.r.derivation.grads[param]
        head = f"dJ/d{self.param(param)}"
        if isinstance(step, PathSum):  # a shared bias: every neuron of its layer
            if len(step.terms) == 1:
                return [f"{head} = {self.term(step.terms[0])}"]
            return ([f"{head} = {_sum_form(step)}"]
                    + [f"  via {_via(t.target)}: {self.term(t)}" for t in step.terms]
                    + [f"  = {self.value(step)}"])
        delta, dnet = step.factors
        return [f"{head} = {delta.target} · {dnet.target}",
                f"  {delta.target} = {self.value(delta)} (δ above)",
                self.factor(dnet, "  "),
                f"  = {self.value(step)}"]


def _needed(grads) -> set[str]:
    """The targets of every δ these derivations reach, each found once (linear in the tree)."""
    found: set[str] = set()
    seen: set[int] = set()
    stack = list(grads)
    while stack:
        s = stack.pop()
        if id(s) in seen:
            continue
        seen.add(id(s))
        if s.target.startswith("dJ/dnet["):  # a δ: a chain, or one factor under softmax
            found.add(s.target)
        # nothing is under a factor: only a δ among them needs a visit
        stack += [c for c in children(s)
                  if not isinstance(c, Factor) or c.target.startswith("dJ/dnet[")]
    return found


def _layer_first(key: str) -> tuple[int, int]:
    l, j = (int(i) for i in re.findall(r"\d+", key))
    return -l, j


def _via(target: str) -> str:
    return target.rsplit(" via ", 1)[1]


def _sum_form(step: PathSum) -> str:
    """The sum written with its running index: Σ_i dJ/dnet[2][i] · W[2][i][1]."""
    delta, factor = step.terms[0].factors
    l = int(re.findall(r"\d+", delta.target)[0])
    if step.target.startswith("dJ/dout"):
        j = re.findall(r"\d+", step.target)[1]
        return f"Σ_i {_delta(l, 'i')} · {name('W', l, 'i', j)}"
    return f"Σ_j {_delta(l, 'j')} · {factor.target.replace(f'[{l}][1]', f'[{l}][j]', 1)}"

