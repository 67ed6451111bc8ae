"""Canonical names, the one spelling of every quantity: `J`, `x[k]`, `t[j]`, `net[l][j]`,
`out[l][j]`, `W[l][j][k]`, `b[l]` or `b[l][j]`, derivatives `dA/dB`, and `new`/`delta` of a
parameter after one step; and an author's own labels (`names:`) resolved to them.

In a batch, what belongs to one example carries it, 1-based: `x[k]@e`, `t[j]@e`,
`net[l][j]@e`, `out[l][j]@e`, its loss `J@e`, and its derivatives `dJ@e/dnet[l][j]@e`
(its δ) and `dJ@e/dW[l][j][k]`; `J` and `dJ/dW[l][j][k]` are the batch's.

A network of layers of kinds on an image (network.input) numbers every layer of
network.layers from 1, pooling and flatten included, and every index is 1-based:
- `x[c][i][j]`: the image's pixel in channel c, row i, column j; `t[j]` a target;
- a convolution l: `K[l][f][c][i][j]`, the entry in row i, column j of filter f's kernel over
  input channel c; `b[l][f]` filter f's bias; `net[l][f][i][j]` and `out[l][f][i][j]`, pixel
  (i, j) of feature map f before and after the activation;
- pooling l: `out[l][c][i][j]`, the pixel its window (i, j) gives on channel c (no net);
- flatten l: `out[l][k]`, k counted channel by channel, row by row (as torch.flatten):
  k = (c − 1)·rows·columns + (i − 1)·columns + j;
- dense l: `W[l][j][k]`, `b[l][j]` (`b[l]` when shared), `net[l][j]`, `out[l][j]`, as in a
  dense network; its inputs are out[l − 1][k].
Derivatives are written as before: δ's `dJ/dnet[l][f][i][j]` and `dJ/dnet[l][j]`, the
gradients `dJ/dK[l][f][c][i][j]`, `dJ/dW[l][j][k]`, `dJ/db[l][f]`, a map's `dJ/dout[l][c][i][j]`
and the image's `dJ/dx[c][i][j]`; the factors of a chain `dnet[l][f][i][j]/dK[l][f][c][u][v]`
(the input under that kernel entry), `dnet[l][f][m][n]/dout[l-1][c][i][j]` (a kernel entry, on
the way back), `dout[l][c][m][n]/dout[l-1][c][i][j]` (pooling) and `dout[l][k]/dout[l-1][c][i][j]`
(flatten, 1); one path of a sum is its total's name and `via` the quantity it runs through
(`dJ/dK[1][1][1][2][2] via net[1][1][3][1]`).

An optimizer's step t (1-based) of a parameter P (any canonical parameter name) has these
quantities: `g_t P`, the gradient it uses (∂J/∂P at the parameters step t starts from, plus
λ·P under weight decay);
`velocity_t P` (momentum's buffer); `square_avg_t P` (RMSprop's running mean of g²);
`m_t P` and `v_t P` (Adam's moments) and `mhat_t P`, `vhat_t P` (bias-corrected); and
`new_t P`, P after the step (`new P` is `new_1 P`). Before step 1 every buffer is 0
(`m_0 P`, `v_0 P`, ... in the forms).
"""

from __future__ import annotations

import re

from .yamlfile import quoted

LABEL = re.compile(r"[^\s/\[\]@]+")  # an author's label: one word, no '/', '[', ']' or '@'


def resolve(written: str, names: dict[str, str]) -> str:
    """An author's name for a quantity, in canonical names: labels replaced through `names`.

    >>> resolve("new w5", {"w5": "W[2][1][1]"}), resolve("dJ/dw5", {"w5": "W[2][1][1]"})
    ('new W[2][1][1]', 'dJ/dW[2][1][1]')
    """
    if written in names:
        return names[written]
    for prefix in ("new ", "delta "):
        if written.startswith(prefix):
            return prefix + resolve(written[len(prefix):], names)
    deriv = re.fullmatch(r"d(J|[^/]+)/d([^/]+)", written)
    if deriv and (deriv.group(1) in names or deriv.group(2) in names):
        top, bottom = (names.get(part, part) for part in deriv.groups())
        return f"d{top}/d{bottom}"
    return written


_QUANTITY = re.compile(r"^(new |delta )?(W|b|net|out|x|t)((?:\[[1-9][0-9]*\])+)$")
_DERIVATIVE = re.compile(r"^d(J(?:@[1-9][0-9]*)?|(?:net|out)(?:\[[1-9][0-9]*\])+(?:@[1-9][0-9]*)?)"
                         r"/d(.+)$")
EXAMPLE = re.compile(r"^(.+)@([1-9][0-9]*)$")
# a matrix worksheet's shape blanks: rows or columns of layer l's δ^l or ∂J/∂W^l
SHAPE = re.compile(r"^(rows|columns) of (delta|dJ/dW)\[([1-9][0-9]*)\]$")


def example_of(name: str) -> tuple[str, int | None]:
    """A name without its example, and the example (None when it has none).

    >>> example_of('net[1][2]@3'), example_of('dJ@2/dW[1][1][1]'), example_of('W[1][1][1]')
    (('net[1][2]', 3), ('dJ/dW[1][1][1]', 2), ('W[1][1][1]', None))
    """
    found = set(re.findall(r"@([1-9][0-9]*)", name))
    if len(found) != 1:
        return name, None
    return re.sub(r"@[1-9][0-9]*", "", name), int(found.pop())


def at_example(name: str, e: int) -> str:
    """A one-example name as example e's: the quantities of an example and J gain '@e'.

    >>> at_example('dJ/dnet[2][1]', 1), at_example('dnet[1][1]/dW[1][1][2]', 2)
    ('dJ@1/dnet[2][1]@1', 'dnet[1][1]@2/dW[1][1][2]')
    """
    return re.sub(r"(?<![A-Za-z0-9_\]])(d?)((?:net|out|x|t)(?:\[[0-9a-z]+\])+|J(?![A-Za-z@]))",
                  rf"\1\2@{e}", name)


def check_name(name, network, fail, updated: bool = False, examples: int = 0) -> None:
    """Fail unless `name` is a canonical name of this network.

    Quantities: J, x[k], t[j], net[l][j], out[l][j], W[l][j][k], b[l] or b[l][j];
    'new W[l][j][k]' is a parameter after one step and 'delta W[l][j][k]' its change in that
    step (new − old = −η·∂J/∂W); 'dA/dB' is a derivative of A by B.
    With updated=False only quantities, dJ/d(parameter) and δ = dJ/dnet[l][j] are allowed.
    """
    example = "(like J, out[1][2], W[2][1][1], dJ/dW[2][1][1] or dout[2][1]/dnet[2][1])"
    if not isinstance(name, str):
        fail(f"{_show(name)} is not a canonical name {example}")
    if "@" in name:
        _check_example(name, network, fail, updated, examples)
        return
    shape = SHAPE.match(name)
    if shape:
        l = int(shape.group(3))
        if not 1 <= l <= network.depth:
            fail(f"'{name}': the network has layers 1 to {network.depth}")
        return
    if examples and not name.startswith(("new ", "delta ", "dJ/dW", "dJ/db", "W", "b")) \
            and name != "J":
        if "/" in name:
            fail(f"'{name}': a batch's derivatives are of its loss J by a parameter, or one "
                 "example's, as in dJ@1/dnet[2][1]@1")
        check_name(name, network, fail, updated)  # a name wrong in itself is told so first
        fail(f"'{name}' belongs to one example of the batch: name it, as in {name}@1")
    deriv = _DERIVATIVE.match(name)
    if deriv:
        top, bottom = deriv.groups()
        if not updated and (top != "J" or not bottom.startswith(("W", "b", "net"))):
            fail(f"'{name}' must be a gradient dJ/dW[..] or dJ/db[..], or a δ dJ/dnet[..]")
        for part in (top, bottom):
            if part.startswith("new ") or part in ("x", "t") or part[0] in "xt":
                fail(f"'{name}' is not a derivative this engine takes")
            check_name(part, network, fail, updated=False)
        return
    if name == "J":
        return
    m = _QUANTITY.match(name)
    if not m:
        fail(f"'{name}' is not a canonical name {example}")
    new, kind, idx = m.group(1), m.group(2), [int(i) for i in re.findall(r"\d+", m.group(3))]
    if new and not (updated and kind in "Wb"):
        fail(f"'{name}': only parameters have a '{new.strip()}' value after a step")
    L, sizes = network.depth, network.layers
    ok = {
        "x": len(idx) == 1 and idx[0] <= sizes[0],
        "t": len(idx) == 1 and idx[0] <= sizes[-1],
        "net": len(idx) == 2 and idx[0] <= L and idx[1] <= sizes[min(idx[0], L)],
        "W": len(idx) == 3 and idx[0] <= L and idx[1] <= sizes[min(idx[0], L)]
        and idx[2] <= sizes[idx[0] - 1],
    }
    ok["out"] = ok["net"]
    shared = network.bias == "shared"
    ok["b"] = network.bias != "none" and idx[0] <= L and (
        len(idx) == 1 if shared else len(idx) == 2 and idx[1] <= sizes[min(idx[0], L)])
    if not ok[kind]:
        fail(f"'{name}' names nothing in a {'-'.join(map(str, sizes))} network"
             + (" with a shared bias per layer (b[l])" if kind == "b" and shared else "")
             + (" without biases" if kind == "b" and network.bias == "none" else ""))


def _check_example(name: str, network, fail, updated: bool, examples: int) -> None:
    """A name of one example of a batch: its quantities, J@e, and J@e's derivatives."""
    plain, e = example_of(name)
    if not examples:
        fail(f"'{name}' names an example of a batch, but this definition has one example "
             "(values.inputs and values.targets): leave out the '@'")
    if e is None or "@" in plain or not plain:
        fail(f"'{name}' is not a canonical name of an example (like out[2][1]@1, J@2 or "
             "dJ@1/dW[2][1][1])")
    if e > examples:
        fail(f"'{name}': the batch has {examples} example{'s' if examples > 1 else ''}")
    check_name(plain, network, lambda problem: fail(f"'{name}': {problem}"), updated)
    if at_example(plain, e) != name:
        fail(f"'{name}' is not a canonical name of an example: write {at_example(plain, e)}")


_show = quoted  # the schema's way of quoting what a user wrote


_LAYERED = re.compile(r"^(K|W|b|net|out|x|t)((?:\[[1-9][0-9]*\])+)$")
_STATE = re.compile(r"^(g|velocity|square_avg|m|v|mhat|vhat|new)_([1-9][0-9]*) (.+)$")


def check_layered_name(name, network, fail, derivatives: bool = True) -> None:
    """Fail unless `name` is a canonical name of this network of layers on an image: a
    quantity (x, t, K, W, b, net, out), J, or a derivative dJ/d(quantity).

    >>> from symbackprop.definitions.definition import parse
    >>> net = parse('''network: {input: {channels: 1, height: 4, width: 4}, loss: mse,
    ...   layers: [{kind: convolution, filters: 2, kernel: 3, activation: relu},
    ...            {kind: flatten}, {kind: dense, size: 1, activation: identity}]}''').network
    >>> check_layered_name('dJ/dK[1][2][1][3][3]', net, print)
    >>> check_layered_name('K[1][3][1][1][1]', net, print)
    'K[1][3][1][1][1]' names nothing in this network: layer 1 has filters 1 to 2
    >>> check_layered_name('out[2][8]', net, print), check_layered_name('net[2][1]', net, print)
    'net[2][1]': layer 2 is flatten, which has no net
    (None, None)
    """
    from .layers import Convolution, Dense

    if not isinstance(name, str):
        fail(f"{_show(name)} is not a canonical name (like K[1][1][1][1][1] or dJ/dW[3][1][2])")
        return
    if derivatives and name.startswith("dJ/d"):
        check_layered_name(name[4:], network, fail, derivatives=False)
        return
    if name == "J":
        return
    m = _LAYERED.match(name)
    if not m:
        fail(f"'{name}' is not a canonical name of a network on an image (like x[1][2][3], "
             "K[1][1][1][2][2], net[1][1][2][2], out[2][1][1][1], W[4][1][3] or dJ/dK[...])")
        return
    kind, idx = m.group(1), [int(i) for i in re.findall(r"\d+", m.group(2))]
    shapes, layers = network.shapes, network.layers

    def within(bounds, what) -> None:
        if len(idx) != len(bounds):
            fail(f"'{name}' takes {len(bounds)} indices ({what})")
            return
        for i, (n, high, word) in enumerate(zip(idx, bounds, what.split(", "))):
            if n > high:
                fail(f"'{name}' names nothing in this network: "
                     + (f"layer {idx[0]} has {word} 1 to {high}" if i else
                        f"{word} go from 1 to {high}"))
                return

    if kind == "x":
        within(shapes[0], "channels, rows, columns")
        return
    if kind == "t":
        within(shapes[-1], "targets")
        return
    if idx[0] > len(layers):
        fail(f"'{name}': the network has layers 1 to {len(layers)}")
        return
    layer, l = layers[idx[0] - 1], idx[0]
    shape, before = shapes[l], shapes[l - 1]
    kinds = {"K": Convolution, "W": Dense}
    if kind in kinds and not isinstance(layer, kinds[kind]):
        fail(f"'{name}': layer {l} is {layer.kind}, which has no {kind}")
        return
    if kind == "K":
        within((l, layer.filters, before[0]) + layer.kernel,
               "layers, filters, channels, kernel rows, kernel columns")
    elif kind == "W":
        within((l, layer.size, before[0]), "layers, neurons, inputs")
    elif kind == "b":
        bias = getattr(layer, "bias", "none")
        if bias == "none":
            fail(f"'{name}': layer {l} has no bias")
        elif bias == "shared":
            within((l,), "layers")
        else:
            within((l, shape[0]), "layers, filters" if isinstance(layer, Convolution)
                   else "layers, neurons")
    elif kind == "net" and not isinstance(layer, (Convolution, Dense)):
        fail(f"'{name}': layer {l} is {layer.kind}, which has no net")
    else:
        within((l,) + shape, "layers, " + ("filters, rows, columns" if len(shape) == 3
                                          and isinstance(layer, Convolution) else
                                          "channels, rows, columns" if len(shape) == 3
                                          else "positions"))


def optimizer_state(name: str) -> tuple[str, int, str] | None:
    """An optimizer's quantity, its step and its parameter; None for any other name.

    >>> optimizer_state('mhat_2 W[2][1][1]'), optimizer_state('new W[1][1][1]')
    (('mhat', 2, 'W[2][1][1]'), ('new', 1, 'W[1][1][1]'))
    """
    if name.startswith("new ") and "_" not in name.split(" ")[0]:
        return "new", 1, name[4:]
    m = _STATE.match(name)
    return None if m is None else (m.group(1), int(m.group(2)), m.group(3))
