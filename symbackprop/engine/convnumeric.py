"""An independent NumPy evaluator for networks on an image: forward and backward passes of
convolution, max and average pooling, flatten and dense layers, and finite differences.

Written from the array formulas, without the SymPy graph, its windows or its derivations: a
convolution is an einsum over a strided view of the zero-padded input (what Conv2d computes,
cross-correlation); its kernel gradient is the same view against δ, and its input gradient δ
scattered back under each kernel entry; max pooling keeps the first maximum of each window
(np.argmax's first occurrence, in reading order), as PyTorch does, and sends δ there.

>>> from symbackprop.definitions.definition import parse
>>> from symbackprop.engine.sample import instance
>>> d = parse('''network: {input: {channels: 1, height: 3, width: 3}, loss: half_sse,
...   layers: [{kind: convolution, filters: 1, kernel: 2, activation: identity, bias: none},
...            {kind: flatten}, {kind: dense, size: 1, activation: identity, bias: none}]}
... values: {image: [[[1, 2, 0], [0, 1, 0], [2, 0, 1]]], targets: [0],
...   layers: [{kernels: [[[[1, 0], [0, -1]]]]}, {}, {weights: [[1, 1, 1, 1]]}]}''')
>>> inst = instance(d)
>>> layers = forward(inst, params(inst))
>>> layers[0].net.tolist(), float(loss(inst, params(inst)))
([[[0.0, 2.0], [0.0, 0.0]]], 2.0)
>>> g, dx = gradients(inst, params(inst))
>>> g.weights[0].tolist(), dx.tolist()
([[[[8.0, 6.0], [6.0, 4.0]]]], [[[2.0, 2.0, 0.0], [2.0, 0.0, -2.0], [0.0, -2.0, -2.0]]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..definitions.layers import Convolution, Dense, Flatten, Pooling
from . import numeric
from .sample import Instance


@dataclass(frozen=True)
class Params:
    """One entry per layer: a convolution's kernels (filters, channels, rows, columns) or a
    dense layer's matrix (neurons, inputs), None for pooling and flatten; biases (filters,),
    (neurons,) or (1,) when shared, None where there are none."""

    weights: list[np.ndarray | None]
    biases: list[np.ndarray | None]


@dataclass(frozen=True)
class Layer:
    net: np.ndarray | None  # None for pooling and flatten
    out: np.ndarray
    first: np.ndarray | None = None  # max pooling: each window's first maximum, as its index


def params(inst: Instance, dtype=np.float64) -> Params:
    weights = [None if v.weights is None else np.array(v.weights, dtype=dtype)
               for v in inst.values.layers]
    biases = [None if v.biases is None else np.array(v.biases, dtype=dtype)
              for v in inst.values.layers]
    return Params(weights, biases)


def image(inst: Instance, dtype=np.float64) -> np.ndarray:
    return np.array(inst.values.image, dtype=dtype)


def targets(inst: Instance, dtype=np.float64) -> np.ndarray:
    return np.asarray(inst.values.targets, dtype=dtype)


def windows(a: np.ndarray, size, stride, padding=(0, 0)) -> np.ndarray:
    """Every window of a (channels, rows, columns) array, zero-padded: an array (channels,
    output rows, output columns, window rows, window columns), a view, not a copy."""
    (kh, kw), (sh, sw), (ph, pw) = size, stride, padding
    if ph or pw:
        a = np.pad(a, ((0, 0), (ph, ph), (pw, pw)))
    return sliding_window_view(a, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]


def forward(inst: Instance, p: Params, x: np.ndarray | None = None,
            held: list | None = None) -> list[Layer]:
    """Every layer's net (where it has one) and out. With `held` (see hold), every ReLU
    keeps the side of its corner and every max-pooling window the maximum it had there."""
    a = image(inst, p_dtype(p)) if x is None else x
    layers = []
    for l, layer in enumerate(inst.network.layers):
        if isinstance(layer, Convolution):
            view = windows(a, layer.kernel, layer.stride, layer.padding)
            z = np.einsum("chwuv,fcuv->fhw", view, p.weights[l])
            if p.biases[l] is not None:
                z = z + p.biases[l][:, None, None]
            a = _activate(layer, z, None if held is None else held[l])
            layers.append(Layer(z, a))
        elif isinstance(layer, Dense):
            z = p.weights[l] @ a + (0 if p.biases[l] is None else p.biases[l])
            a = _activate(layer, z, None if held is None else held[l])
            layers.append(Layer(z, a))
        elif isinstance(layer, Flatten):
            a = a.reshape(-1)
            layers.append(Layer(None, a))
        else:
            view = windows(a, layer.size, layer.stride)
            flat = view.reshape(view.shape[:3] + (-1,))
            if layer.kind == "max_pool":
                # the first of equal maxima, in reading order (or the one held)
                first = flat.argmax(axis=-1) if held is None else held[l]
                a = np.take_along_axis(flat, first[..., None], axis=-1)[..., 0]
                layers.append(Layer(None, a, first))
            else:
                a = flat.sum(axis=-1) / flat.shape[-1]
                layers.append(Layer(None, a))
    return layers


def _activate(layer, z: np.ndarray, side: np.ndarray | None) -> np.ndarray:
    if side is not None and layer.activation == "relu":  # the corner's side held: z or 0
        return np.where(side, z, 0 * z)
    return numeric.ACTIVATE[layer.activation](z)


def hold(inst: Instance, layers: list[Layer]) -> list:
    """What `forward(held=...)` keeps: each ReLU layer's side of the corner (net > 0, ReLU'(0)
    taken as 0) and each max-pooling window's first maximum, None for every other layer."""
    kept = []
    for layer, values in zip(inst.network.layers, layers):
        if isinstance(layer, (Convolution, Dense)) and layer.activation == "relu":
            kept.append(values.net > 0)
        elif isinstance(layer, Pooling) and layer.kind == "max_pool":
            kept.append(values.first)
        else:
            kept.append(None)
    return kept


def p_dtype(p: Params):
    return next(w.dtype for w in p.weights if w is not None)


class _Output:
    """The output layer as numeric.py's loss functions read it (a net and an out)."""

    def __init__(self, layer: Layer):
        self.net, self.out = layer.net, layer.out


def loss(inst: Instance, p: Params, layers: list[Layer] | None = None):
    layers = layers or forward(inst, p)
    return numeric.example_losses(inst, _Output(layers[-1]), targets(inst, layers[-1].out.dtype))


def gradients(inst: Instance, p: Params) -> tuple[Params, np.ndarray]:
    """∂J/∂(every weight and bias), and ∂J/∂x of the image."""
    x = image(inst, p_dtype(p))
    layers = forward(inst, p, x)
    delta = numeric.output_delta(inst, _Output(layers[-1]), targets(inst, x.dtype))
    grads, dx, _ = backward(inst, p, layers, x, delta)
    return grads, dx


def deltas(inst: Instance, p: Params) -> list[np.ndarray]:
    """Each layer's δ = ∂J/∂net (convolution, dense) or ∂J/∂out (pooling, flatten)."""
    x = image(inst, p_dtype(p))
    layers = forward(inst, p, x)
    delta = numeric.output_delta(inst, _Output(layers[-1]), targets(inst, x.dtype))
    return backward(inst, p, layers, x, delta)[2]


def backward(inst: Instance, p: Params, layers: list[Layer], x: np.ndarray, delta,
             slope=None, absolute: bool = False):
    """From the output layer's δ back to the image: the gradients, ∂J/∂x, and each layer's δ
    (∂J/∂net where it has a net, else ∂J/∂out). `slope(l, layer)` gives f'(net) of layer l
    (by default its activation's slope); `absolute` works in absolute values (magnitudes)."""
    net = inst.network.layers
    slope = slope or (lambda l, layer: numeric.SLOPE[net[l].activation](layer.net, layer.out))
    w = (lambda a: np.abs(a)) if absolute else (lambda a: a)
    dW: list = [None] * len(net)
    db: list = [None] * len(net)
    seen: list = [None] * len(net)
    grad = delta  # ∂J/∂net of the last layer, then ∂J/∂(what each layer reads)
    for l in range(len(net) - 1, -1, -1):
        layer, below = net[l], x if l == 0 else layers[l - 1].out
        below = w(below)
        if l < len(net) - 1 and isinstance(layer, (Convolution, Dense)):
            grad = grad * slope(l, layers[l])  # δ = ∂J/∂out · f'(net)
        seen[l] = grad
        if isinstance(layer, Dense):
            dW[l] = np.outer(grad, below)
            if p.biases[l] is not None:
                db[l] = np.atleast_1d(grad.sum()) if layer.bias == "shared" else grad
            grad = w(p.weights[l]).T @ grad
        elif isinstance(layer, Convolution):
            view = windows(below, layer.kernel, layer.stride, layer.padding)
            dW[l] = np.einsum("fhw,chwuv->fcuv", grad, view)
            if p.biases[l] is not None:
                db[l] = grad.sum(axis=(1, 2))
            grad = _back_through_kernel(grad, w(p.weights[l]), layer, below.shape)
        elif isinstance(layer, Flatten):
            grad = grad.reshape(below.shape)
        else:
            grad = _back_through_pooling(grad, layers[l], layer, below.shape)
    return Params(dW, db), grad, seen


def _back_through_kernel(delta, kernels, layer: Convolution, shape) -> np.ndarray:
    """∂J/∂in: under each kernel entry (u, v), δ times that entry, added at the input pixels
    the entry lay on (the stride apart), the padding then cut away."""
    (kh, kw), (sh, sw), (ph, pw) = layer.kernel, layer.stride, layer.padding
    _, rows, cols = delta.shape
    C, H, W = shape
    padded = np.zeros((C, H + 2 * ph, W + 2 * pw), dtype=delta.dtype)
    for u in range(kh):
        for v in range(kw):
            padded[:, u:u + sh * (rows - 1) + 1:sh, v:v + sw * (cols - 1) + 1:sw] += \
                np.einsum("fhw,fc->chw", delta, kernels[:, :, u, v])
    return padded[:, ph:ph + H, pw:pw + W]


def _back_through_pooling(grad, values: Layer, layer: Pooling, shape) -> np.ndarray:
    (kh, kw), (sh, sw) = layer.size, layer.stride
    C, rows, cols = grad.shape
    back = np.zeros(shape, dtype=grad.dtype)
    if layer.kind == "max_pool":  # all of it to each window's first maximum
        c, i, j = np.indices(grad.shape)
        np.add.at(back, (c, i * sh + values.first // kw, j * sw + values.first % kw), grad)
        return back
    for u in range(kh):  # shared equally among the window's pixels
        for v in range(kw):
            back[:, u:u + sh * (rows - 1) + 1:sh, v:v + sw * (cols - 1) + 1:sw] += \
                grad / (kh * kw)
    return back


# --- sizes: what rounding is relative to -------------------------------------------------

def magnitudes_forward(inst: Instance, p: Params, layers: list[Layer]) -> list[Layer]:
    """Each net's Σ|w·in| + |b| and each out's |out| + |f'(net)| times it (a pooled pixel:
    its window's largest; flattened: the same numbers), as numeric.magnitudes_forward."""
    scale = np.abs(image(inst, p_dtype(p)))
    sizes = []
    for l, (layer, values) in enumerate(zip(inst.network.layers, layers)):
        if isinstance(layer, Convolution):
            view = windows(scale, layer.kernel, layer.stride, layer.padding)
            net = np.einsum("chwuv,fcuv->fhw", view, np.abs(p.weights[l]))
            if p.biases[l] is not None:
                net = net + np.abs(p.biases[l])[:, None, None]
        elif isinstance(layer, Dense):
            net = np.abs(p.weights[l]) @ scale + (0 if p.biases[l] is None
                                                  else np.abs(p.biases[l]))
        else:
            if isinstance(layer, Flatten):
                scale = scale.reshape(-1)
            else:
                view = windows(scale, layer.size, layer.stride)
                scale = view.max(axis=(-2, -1))
            sizes.append(Layer(None, scale))
            continue
        if layer.activation == "softmax":
            out = np.abs(values.out) * (1 + 2 * net.max())
        else:
            out = np.abs(values.out) + np.abs(
                numeric.SLOPE[layer.activation](values.net, values.out)) * net
        sizes.append(Layer(net, out))
        scale = out
    return sizes


def magnitudes(inst: Instance, p: Params) -> tuple[Params, np.ndarray]:
    """The backward pass in absolute values, each input taken at its forward size and each
    slope at |f'|·(1 + 2·the size of its net), as numeric.magnitudes: a bound on what
    rounding can do to each gradient (and to ∂J/∂x)."""
    x = image(inst, p_dtype(p))
    layers = forward(inst, p, x)
    sizes = magnitudes_forward(inst, p, layers)
    net = inst.network
    z, y = layers[-1].net, layers[-1].out
    t = np.abs(targets(inst, z.dtype))
    kind, act = net.loss, net.layers[-1].activation
    spread = 1 + 2 * sizes[-1].net
    if kind == "binary_cross_entropy" or act == "softmax":
        delta = sizes[-1].out + t
    elif kind == "cross_entropy":
        delta = t * numeric.sigmoid(-z) * spread
    else:
        scale = {"half_sse": 1.0, "sse": 2.0, "mse": 2.0 / y.size}[kind]
        delta = scale * (sizes[-1].out + t) * np.abs(numeric.SLOPE[act](z, y)) * spread

    def slope(l, layer):
        act = net.layers[l].activation
        return np.abs(numeric.SLOPE[act](layer.net, layer.out)) * (1 + 2 * sizes[l].net)

    # each layer reads the forward size of the one before it, not its value
    inputs = [Layer(None, np.abs(x))] + sizes
    scaled = [Layer(v.net, inputs[l + 1].out, v.first) for l, v in enumerate(layers)]
    grads, dx, _ = backward(inst, p, scaled, np.abs(x), delta, slope, absolute=True)
    # a size that overflowed (inf·0 is NaN: a kernel entry of 1e300 times a pixel of 0) bounds
    # nothing: it is infinite, as numeric.as_bound makes it for a dense network
    bounded = Params([None if w is None else numeric.as_bound(w) for w in grads.weights],
                     [None if b is None else numeric.as_bound(b) for b in grads.biases])
    return bounded, numeric.as_bound(dx)


def rounding(inst: Instance, p: Params) -> float:
    """A bound on the rounding error of one evaluation of J, in units of the precision used,
    as differences.rounding: each net's sum of n products carries (n + 1)·Σ|w·in| + |b| units,
    moved into J by |δ|; a mean of n pixels about n·Σ|in|/n."""
    x = image(inst, p_dtype(p))
    layers = forward(inst, p, x)
    z, y = layers[-1].net, layers[-1].out
    t = targets(inst, z.dtype)
    units = abs(float(loss(inst, p, layers)))
    units += float(np.sum((np.abs(t) + 1) * (np.abs(t) + np.abs(y) + np.abs(z) + 1)))
    delta = numeric.output_delta(inst, _Output(layers[-1]), t)
    _, _, seen = backward(inst, p, layers, x, delta)
    sizes = magnitudes_forward(inst, p, layers)
    for l, layer in enumerate(inst.network.layers):
        if isinstance(layer, Convolution):
            terms = p.weights[l][0].size
        elif isinstance(layer, Dense):
            terms = p.weights[l].shape[1]
        elif isinstance(layer, Pooling) and layer.kind == "average_pool":
            terms = layer.size[0] * layer.size[1]
        else:
            continue
        scale = sizes[l].net if sizes[l].net is not None else sizes[l].out
        units += (terms + 1) * float(np.sum(np.abs(seen[l]) * scale))
    return float(numeric.as_bound(np.float64(8 * units)))  # NaN (overflow): no bound, inf


# --- parameters as one vector ------------------------------------------------------------

def flatten(p: Params) -> np.ndarray:
    """Every kernel entry and weight, layer by layer, then every bias (the graph's order)."""
    arrays = [a for a in p.weights if a is not None] + [b for b in p.biases if b is not None]
    return np.concatenate([a.ravel() for a in arrays])


def unflatten(flat: np.ndarray, like: Params) -> Params:
    """The inverse of flatten, into the shapes of `like`."""
    out, start = [], 0
    for a in like.weights + like.biases:  # flatten's order: every weight, then every bias
        if a is None:
            out.append(None)
            continue
        out.append(np.asarray(flat[start:start + a.size], dtype=float).reshape(a.shape))
        start += a.size
    n = len(like.weights)
    return Params(out[:n], out[n:])
