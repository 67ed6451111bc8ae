"""Numbered names as an author prints them (seed 003: w1…w8, b1, b2) and back to canonical ones.

Weights are counted layer by layer, neuron by neuron, input by input; a shared bias is b<l>, a
per-neuron bias is counted over the neurons of every layer; inputs are i<k>, targets t<j>, and a
neuron is h<j> (one hidden layer), h<l><j> (several) or o<j> (the output layer). The LaTeX of a
worksheet (latex.symbol) uses these same numbers, so the PDF and the text agree.

>>> layers = (2, 2, 2)
>>> numbered('W[2][1][1]', layers), numbered('b[2]', layers), numbered('out[1][2]', layers)
('w5', 'b2', 'out_h2')
>>> numbered('dJ/dW[1][1][1]', layers), numbered('new W[2][2][2]', layers)
('dJ/dw1', 'new w8')
>>> canonical('w5', layers), canonical('b2', layers), canonical('b3', layers, bias='per_neuron')
('W[2][1][1]', 'b[2]', 'b[2][1]')
>>> canonical('dJ/dw1', layers), canonical('net_o1', layers), canonical('w9', layers)
('dJ/dW[1][1][1]', 'net[2][1]', None)
"""

from __future__ import annotations

import re

__all__ = ["canonical", "numbered", "parameters"]

_CANONICAL = re.compile(r"^(W|b|net|out|x|t)((?:\[[1-9][0-9]*\])+)$")
_DERIVATIVE = re.compile(r"^d(.+?)/d(.+)$")
_NUMBERED = re.compile(r"^(w|b|i|t)([1-9][0-9]*)$")
_NEURON = re.compile(r"^(net|out)_(?:o([1-9][0-9]*)|h([1-9][0-9]*)|h([1-9][0-9]*),([1-9][0-9]*))$")


def numbered(name: str, layers: tuple[int, ...]) -> str:
    """The numbered label of a canonical name (quantities, 'new ...' and derivatives dA/dB)."""
    if name.startswith("new "):
        return "new " + numbered(name[4:], layers)
    d = _DERIVATIVE.match(name)
    if d:
        return "d" + "/d".join(numbered(part, layers) for part in d.groups())
    if name == "J":
        return name
    m = _CANONICAL.match(name)
    if not m:
        raise ValueError(f"not a canonical name: {name}")
    kind, idx = m.group(1), [int(i) for i in re.findall(r"\d+", m.group(2))]
    if kind == "W":
        l, j, k = idx
        return f"w{_weights_before(l, layers) + (j - 1) * layers[l - 1] + k}"
    if kind == "b":
        return f"b{idx[0]}" if len(idx) == 1 else f"b{sum(layers[1:idx[0]]) + idx[1]}"
    if kind in ("x", "t"):
        return f"{'i' if kind == 'x' else 't'}{idx[0]}"
    return f"{kind}_{_neuron_label(idx[0], idx[1], layers)}"


def _neuron_label(l: int, j: int, layers: tuple[int, ...]) -> str:
    """o<j> in the output layer, h<j> with one hidden layer, else h<l><j> (h<l>,<j> past 9)."""
    if l == len(layers) - 1:
        return f"o{j}"
    if len(layers) == 3:
        return f"h{j}"
    return f"h{l}{j}" if l < 10 and j < 10 else f"h{l},{j}"


def canonical(label: str, layers: tuple[int, ...], bias: str = "shared") -> str | None:
    """The canonical name of an author's numbered label, or None when it names nothing here.

    `bias` is the network's bias style: b3 is b[3] when biases are shared, the third neuron's
    bias when there is one per neuron. A name that is already canonical comes back unchanged.
    """
    label = label.strip()
    if label.startswith("new "):
        inner = canonical(label[4:], layers, bias)
        return None if inner is None else "new " + inner
    d = _DERIVATIVE.match(label)
    if d:
        parts = [canonical(p, layers, bias) for p in d.groups()]
        return None if None in parts else "d" + "/d".join(parts)
    if label == "J" or _CANONICAL.match(label):
        return label
    m = _NUMBERED.match(label)
    if m:
        return _parameter_or_data(m.group(1), int(m.group(2)), layers, bias)
    m = _NEURON.match(label)
    if m:
        return _neuron(m.group(1), m.groups()[1:], layers)
    return None


def parameters(layers: tuple[int, ...], bias: str = "shared") -> str:
    """The numbered parameters of a network, for a message.

    >>> parameters((2, 2, 2)), parameters((2, 3, 1), 'per_neuron'), parameters((2, 1), 'none')
    ('w1…w8, b1…b2', 'w1…w9, b1…b4', 'w1…w2')
    """
    weights = f"w1…w{_weights_before(len(layers), layers)}"
    count = {"shared": len(layers) - 1, "per_neuron": sum(layers[1:])}.get(bias)
    return weights + (f", b1…b{count}" if count else "")


def _parameter_or_data(kind: str, n: int, layers, bias: str) -> str | None:
    L = len(layers) - 1
    if kind == "i":
        return f"x[{n}]" if n <= layers[0] else None
    if kind == "t":
        return f"t[{n}]" if n <= layers[-1] else None
    if kind == "w":
        for l in range(1, L + 1):
            block = layers[l] * layers[l - 1]
            if n <= block:
                j, k = divmod(n - 1, layers[l - 1])
                return f"W[{l}][{j + 1}][{k + 1}]"
            n -= block
        return None
    if bias == "shared":
        return f"b[{n}]" if n <= L else None
    if bias == "per_neuron":
        for l in range(1, L + 1):
            if n <= layers[l]:
                return f"b[{l}][{n}]"
            n -= layers[l]
    return None


def _neuron(kind: str, groups, layers) -> str | None:
    out_j, h_digits, h_l, h_j = groups
    L = len(layers) - 1
    if out_j is not None:
        l, j = L, int(out_j)
    elif h_l is not None:
        l, j = int(h_l), int(h_j)
    elif L == 2:
        l, j = 1, int(h_digits)
    elif len(h_digits) == 2:  # h<l><j>, both single digits
        l, j = int(h_digits[0]), int(h_digits[1])
    else:
        return None
    if not (1 <= l < L or (l == L and out_j is not None)) or not 1 <= j <= layers[l]:
        return None
    return f"{kind}[{l}][{j}]"


def _weights_before(l: int, layers) -> int:
    return sum(layers[i] * layers[i - 1] for i in range(1, l))
