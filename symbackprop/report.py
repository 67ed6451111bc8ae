"""Verified results as plain text and as the JSON object other tools read.

>>> from symbackprop.definition import parse
>>> from symbackprop.sample import instance
>>> from symbackprop.verify import run
>>> d = parse('''network: {layers: [1, 1], activation: identity, loss: half_sse, bias: none}
... values: {inputs: [2], targets: [1], weights: [[[3]]]}
... learning_rate: 0.1''')
>>> r = run(d, instance(d))
>>> as_json(r)['grad'], as_json(r)['update']['W']
({'W': [[[10.0]]], 'b': None}, [[[2.0]]])
>>> print(derivation_text(r, 'W[1][1][1]'))
dJ/dW[1][1][1] = dJ/dout[1][1] · dout[1][1]/dnet[1][1] · dnet[1][1]/dW[1][1][1]
  dJ/dout[1][1] = out - t = out[1][1] - t[1] = 5
  dout[1][1]/dnet[1][1] = 1 = 1 = 1
  dnet[1][1]/dW[1][1][1] = in = x[1] = 2
  = 10
"""

from __future__ import annotations

from .graph import name
from .steps import Factor, PathSum, Step, flatten
from .verify import Verified


def as_json(r: Verified) -> dict:
    net = r.instance.network
    sizes, L = net.layers, net.depth
    layers = [{"net": [r.values[name("net", l, j)] for j in range(1, sizes[l] + 1)],
               "out": [r.values[name("out", l, j)] for j in range(1, sizes[l] + 1)]}
              for l in range(1, L + 1)]
    return {
        "loss": r.values["J"],
        "outputs": layers[-1]["out"],
        "layers": layers,
        "grad": _params(r.grads, net),
        "update": _params(r.updated, net),
        "verification": {"numpy_max_abs_diff": r.numpy_max_abs_diff,
                         "finite_difference_max_rel_err": r.fd_max_rel_err},
    }


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


def forward_text(r: Verified) -> str:
    net = r.instance.network
    lines = ["Forward pass"]
    for l in range(1, net.depth + 1):
        for j in range(1, net.layers[l] + 1):
            n, o = name("net", l, j), name("out", l, j)
            lines.append(f"  {n} = {r.values[n]:.9g}    {o} = {r.values[o]:.9g}"
                         f"    ({net.activations[l - 1]})")
    lines.append(f"Loss ({net.loss}): J = {r.values['J']:.9g}")
    return "\n".join(lines)


def derivation_text(r: Verified, param: str) -> str:
    step = r.derivation.grads[param]
    if isinstance(step, PathSum):  # a shared bias: only the paths, no chain around them
        lines = _factor_lines((step,), r, "")
    else:
        lines = [f"{step.target} = " + " · ".join(_label(f) for f in flatten(step))]
        lines += _factor_lines(flatten(step), r, "  ")
    lines.append(f"  = {r.grads[param]:.9g}")
    return "\n".join(lines)


def _label(step: Step) -> str:
    return step.target if not isinstance(step, PathSum) else f"({step.target})"


def _factor_lines(factors, r: Verified, indent: str) -> list[str]:
    lines = []
    for f in factors:
        value = r.steps[f.target]
        if isinstance(f, Factor):
            lines.append(f"{indent}{f.target} = {f.general} = {f.expr} = {value:.9g}")
            continue
        # a sum over paths: one product per path, each listed factor by factor
        lines.append(f"{indent}{f.target} = sum over {len(f.terms)} paths = {value:.9g}")
        for term in f.terms:
            parts = flatten(term)
            lines.append(f"{indent}  path {' · '.join(_label(p) for p in parts)}"
                         f" = {r.steps[term.target]:.9g}")
            lines += _factor_lines(parts, r, indent + "    ")
    return lines


def text(r: Verified, params: list[str] | None = None) -> str:
    parts = [forward_text(r), "", "Gradients (chain rule)"]
    for p in params or list(r.grads):
        parts += [derivation_text(r, p), ""]
    eta = r.instance.learning_rate
    parts.append(f"After one gradient-descent step (η = {eta:g}"
                 + ("" if r.instance.update_biases else ", biases fixed") + "):")
    parts += [f"  {p}: {r.values[p]:.9g} → {r.updated[p]:.9g}" for p in params or r.updated]
    parts.append(f"Verified: NumPy max |diff| {r.numpy_max_abs_diff:.2e}, "
                 f"finite differences max rel. error {r.fd_max_rel_err:.2e}")
    return "\n".join(parts)
