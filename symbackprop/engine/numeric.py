"""An independent NumPy evaluator: vectorized forward and backward passes, finite differences.

Written from the textbook formulas, without the SymPy graph or derivations, so that agreement
with them means something.

>>> from symbackprop.definitions.definition import Network, Values
>>> from symbackprop.engine.sample import Instance
>>> inst = Instance(Network((1, 1), ('identity',), 'half_sse', 'none'),
...                 Values((2.0,), (1.0,), (((3.0,),),)), 0.1, True)
>>> p = params(inst)
>>> float(loss(inst, p)), gradients(inst, p).W[0].tolist()
(12.5, [[10.0]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..definitions.errors import Diverged
from .sample import Instance


@dataclass(frozen=True)
class Params:
    W: list[np.ndarray]  # W[l-1] has shape (neurons of layer l, neurons of layer l-1)
    b: list[np.ndarray] | None  # b[l-1] has shape (1,) when shared, (n,) per neuron


@dataclass(frozen=True)
class Layer:
    net: np.ndarray
    out: np.ndarray


def params(inst: Instance, dtype=np.float64) -> Params:
    v = inst.values
    W = [np.array(m, dtype=dtype) for m in v.weights]
    b = None if inst.network.bias == "none" else [np.array(x, dtype=dtype) for x in v.biases]
    return Params(W, b)


def inputs(inst: Instance, dtype=np.float64) -> np.ndarray:
    """The inputs: a vector, or in a batch a matrix of one column per example."""
    if inst.batched:
        return np.array([e.inputs for e in inst.values.examples], dtype=dtype).T
    return np.asarray(inst.values.inputs, dtype=dtype)


def targets(inst: Instance, dtype=np.float64) -> np.ndarray:
    """The targets, laid out as `inputs`."""
    if inst.batched:
        return np.array([e.targets for e in inst.values.examples], dtype=dtype).T
    return np.asarray(inst.values.targets, dtype=dtype)


def _bias(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """A bias as it adds to W @ a: over a batch, each bias across its row."""
    return b if a.ndim == 1 else b[:, None]


def sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))  # never exp of a large positive number
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=0))  # one column per example in a batch
    return e / e.sum(axis=0)


ACTIVATE = {
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "identity": lambda z: z,
    "softmax": softmax,
}

def _sech2(z: np.ndarray) -> np.ndarray:
    e = np.exp(-2 * np.abs(z))  # 1 − tanh² loses every digit once tanh rounds to ±1
    return 4 * e / (1 + e) ** 2


SLOPE = {  # f'(net), from net wherever out(1 − out) or 1 − out² would cancel
    "sigmoid": lambda z, a: sigmoid(z) * sigmoid(-z),
    "tanh": lambda z, a: _sech2(z),
    "relu": lambda z, a: (z > 0).astype(z.dtype),
    "identity": lambda z, a: np.ones_like(z),
}


def forward(inst: Instance, p: Params, x: np.ndarray | None = None) -> list[Layer]:
    """Every layer's net and out; x, the inputs as an array, when the caller has it already
    (a matrix of one column per example for a batch)."""
    a = inputs(inst, p.W[0].dtype) if x is None else x
    layers = []
    for l, W in enumerate(p.W):
        z = W @ a + (0 if p.b is None else _bias(p.b[l], a))
        a = ACTIVATE[inst.network.activations[l]](z)
        layers.append(Layer(z, a))
    return layers


def loss(inst: Instance, p: Params, layers: list[Layer] | None = None):
    """J: one example's loss, or a batch's sum or mean of its examples' losses."""
    layers = layers or forward(inst, p)
    per = example_losses(inst, layers[-1], targets(inst, layers[-1].net.dtype))
    if not inst.batched:
        return per
    return per.sum() if inst.batch_loss == "sum" else per.mean()


def batch_loss(inst: Instance, p: Params, X: np.ndarray, T: np.ndarray,
               reduction: str = "sum") -> float:
    """J of a batch (a column per example): Σ_e J_e, or its mean."""
    per = example_losses(inst, forward(inst, p, X)[-1], T)
    return float(per.sum() if reduction == "sum" else per.mean())


def example_losses(inst: Instance, layer: Layer, t: np.ndarray):
    """Each example's loss (a column each; one number for one example)."""
    z, y = layer.net, layer.out
    kind, act = inst.network.loss, inst.network.activations[-1]
    if kind == "half_sse":
        return 0.5 * np.sum((t - y) ** 2, axis=0)
    if kind == "sse":
        return np.sum((t - y) ** 2, axis=0)
    if kind == "mse":
        return np.mean((t - y) ** 2, axis=0)
    # logs from net, not out, so that a saturated output gives a large number and not inf
    log_y = z - _logsumexp(z) if act == "softmax" else -np.logaddexp(0, -z)
    if kind == "cross_entropy":
        return -np.sum(t * log_y, axis=0)
    log_1my = -np.logaddexp(0, z)
    return -np.sum(t * log_y + (1 - t) * log_1my, axis=0)


def _logsumexp(z):
    m = z.max(axis=0)
    return m + np.log(np.sum(np.exp(z - m), axis=0))


def output_delta(inst: Instance, layer: Layer, t: np.ndarray | None = None) -> np.ndarray:
    """∂J/∂net of the output layer (each example's, t a column per example in a batch)."""
    z, y = layer.net, layer.out
    t = np.asarray(inst.values.targets, dtype=z.dtype) if t is None else t
    kind, act = inst.network.loss, inst.network.activations[-1]
    if kind == "binary_cross_entropy" or act == "softmax":
        return y - t  # the activation's slope cancels the loss's denominator
    if kind == "cross_entropy":  # sigmoid outputs
        return -t * sigmoid(-z)  # 1 − y, without the cancellation
    dJ_dy = {"half_sse": y - t, "sse": 2 * (y - t), "mse": 2 * (y - t) / y.shape[0]}[kind]
    return dJ_dy * SLOPE[act](z, y)


def loss_delta(inst: Instance, layer: Layer) -> np.ndarray:
    """∂J/∂net of the output layer for the instance's J: in a batch, a column per example,
    each example's share of the batch's J (1/E of its own under a mean)."""
    d = output_delta(inst, layer, targets(inst, layer.net.dtype))
    return d / d.shape[1] if inst.batched and inst.batch_loss == "mean" else d


def gradients(inst: Instance, p: Params) -> Params:
    layers = forward(inst, p)
    return _backward(inst, p, layers, loss_delta(inst, layers[-1]))


def magnitudes(inst: Instance, p: Params) -> Params:
    """The backward pass in absolute values: |δ| through |W| and |f'|, times each input's size.

    This bounds what rounding can do to a gradient, to first order: every sum of the backward
    pass adds terms no larger than these, so a gradient that is small only because its paths
    cancel is judged against the size of the paths (Higham's running error bound); and every
    value a gradient is made of is taken at its forward size (see magnitudes_forward), so that
    an out that is small only because its net cancels counts at the size of that net's terms.
    A slope f'(net) is taken at |f'|·(1 + 2·size of net): |f''| ≤ 2|f'| for σ and tanh.
    """
    if inst.batched:  # each example's, summed as the gradients are
        each = [magnitudes(e, p) for e in inst.examples()]
        return unflatten(inst.share * np.sum([flatten(m) for m in each], axis=0), p)
    layers = forward(inst, p)
    sizes = magnitudes_forward(inst, p, layers)
    z, y = layers[-1].net, layers[-1].out
    t = np.abs(np.asarray(inst.values.targets, dtype=z.dtype))
    kind, act = inst.network.loss, inst.network.activations[-1]
    spread = 1 + 2 * sizes[-1].net
    if kind == "binary_cross_entropy" or act == "softmax":
        delta = sizes[-1].out + t
    elif kind == "cross_entropy":
        delta = t * sigmoid(-z) * spread
    else:
        scale = {"half_sse": 1.0, "sse": 2.0, "mse": 2.0 / y.size}[kind]
        delta = scale * (sizes[-1].out + t) * np.abs(SLOPE[act](z, y)) * spread
    ins = [np.abs(np.asarray(inst.values.inputs, dtype=z.dtype))] + [s.out for s in sizes[:-1]]
    deltas, actual = [delta], np.abs(loss_delta(inst, layers[-1]))
    for l in range(len(p.W) - 1, 0, -1):
        slope = np.abs(SLOPE[inst.network.activations[l - 1]](layers[l - 1].net,
                                                               layers[l - 1].out))
        # to first order: the rounding carried back through |W| and |f'|, plus the slope's
        # own error (|f''| ≤ 2|f'| times the net's scale) applied to the δ itself. Applying
        # it to the carried size instead counted second-order terms, and compounded with depth
        # until the bound overflowed (65 layers of 15: inf·0, a NaN bound refusing everything)
        back = np.abs(p.W[l]).T
        deltas.append((back @ deltas[-1]) * slope + (back @ actual) * slope
                      * 2 * sizes[l - 1].net)
        actual = (back @ actual) * slope
    deltas.reverse()
    dW = [as_bound(np.outer(d, a)) for d, a in zip(deltas, ins)]
    db = [as_bound(d.sum(keepdims=True) if inst.network.bias == "shared" else d) for d in deltas]
    return Params(dW, None if p.b is None else db)


def as_bound(size: np.ndarray) -> np.ndarray:
    """A size that overflowed (inf·0 is NaN) bounds nothing: it is infinite, not a refusal."""
    return np.where(np.isnan(size), np.inf, size)


def magnitudes_forward(inst: Instance, p: Params, layers: list[Layer]) -> list[Layer]:
    """The forward pass's size scales: Σ|w·in| + |b| for each net (what its rounding is
    relative to), and |out| + |f'(net)| times that for each out (a softmax out: |out| times
    1 + 2·the layer's largest, since every net of the layer moves it)."""
    # an input's scale is the previous layer's scale, not its value: a value that cancels to
    # nearly 0 still carries the rounding of the terms it came from into the next layer
    scale = np.abs(np.asarray(inst.values.inputs, dtype=p.W[0].dtype))
    sizes = []
    for l, (W, layer) in enumerate(zip(p.W, layers)):
        net = np.abs(W) @ scale + (0 if p.b is None else np.abs(p.b[l]))
        act = inst.network.activations[l]
        if act == "softmax":
            out = np.abs(layer.out) * (1 + 2 * net.max())
        else:
            out = np.abs(layer.out) + np.abs(SLOPE[act](layer.net, layer.out)) * net
        sizes.append(Layer(net, out))
        scale = out
    return sizes


def _backward(inst: Instance, p: Params, layers: list[Layer], delta, x=None) -> Params:
    """The gradients from the output δ; in a batch (a column per example) summed over it."""
    first = inputs(inst, delta.dtype) if x is None else x
    ins = [first] + [layer.out for layer in layers[:-1]]
    deltas = _deltas(inst, p, layers, delta)
    dW = [_weight_gradient(d, a) for d, a in zip(deltas, ins)]
    return Params(dW, None if p.b is None else [_bias_gradient(inst, d) for d in deltas])


def _weight_gradient(delta: np.ndarray, a: np.ndarray) -> np.ndarray:
    """δ·inᵀ; over a batch (a column per example) the sum of every example's."""
    return np.outer(delta, a) if delta.ndim == 1 else delta @ a.T


def _bias_gradient(inst: Instance, delta: np.ndarray) -> np.ndarray:
    """δ, summed over the layer for a shared bias and over the examples of a batch."""
    if inst.network.bias == "shared":
        return np.atleast_1d(delta.sum())
    return delta if delta.ndim == 1 else delta.sum(axis=1)


def batch_gradients(inst: Instance, p: Params, X: np.ndarray, T: np.ndarray,
                    reduction: str = "sum") -> Params:
    """∂J/∂W and ∂J/∂b of a batch, J = Σ_e J_e (sum) or (1/E) Σ_e J_e (mean); X and T hold one
    column per example, the same passes as one example's."""
    layers = forward(inst, p, X)
    g = _backward(inst, p, layers, output_delta(inst, layers[-1], T), X)
    if reduction == "sum":
        return g
    n = X.shape[1]
    return Params([w / n for w in g.W], None if g.b is None else [b / n for b in g.b])


def _deltas(inst: Instance, p: Params, layers: list[Layer], delta):
    """δ = ∂J/∂net of every layer, first to last, from the output layer's δ."""
    deltas = [delta]
    for l in range(len(p.W) - 1, 0, -1):
        act = inst.network.activations[l - 1]
        slope = SLOPE[act](layers[l - 1].net, layers[l - 1].out)
        deltas.append((p.W[l].T @ deltas[-1]) * slope)
    return deltas[::-1]


def step(inst: Instance, p: Params, grad: Params | None = None) -> Params:
    """One gradient-descent step: w − η ∂J/∂w (biases too, unless the definition fixes them)."""
    grad = grad or gradients(inst, p)
    eta = inst.learning_rate
    W = [w - eta * g for w, g in zip(p.W, grad.W)]
    if p.b is None or not inst.update_biases:
        return Params(W, p.b)
    return Params(W, [b - eta * g for b, g in zip(p.b, grad.b)])


def train(inst: Instance, steps: int, mistake: str | None = None) -> tuple[list[float], Params]:
    """N gradient-descent steps; mistake='updated_weights' trains as an author does who updates
    each layer before backpropagating through it (used to audit published figures).

    Raises Diverged, naming the step, as soon as the loss or a parameter is not finite.
    """
    p = params(inst)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected, not warned of
        history = [_finite_loss(inst, p, 0)]
        for i in range(1, steps + 1):
            p = step(inst, p) if mistake is None else _step_updated_weights(inst, p)
            history.append(_finite_loss(inst, p, i))
    return history, p


def _finite_loss(inst: Instance, p: Params, i: int) -> float:
    J = float(loss(inst, p))
    arrays = p.W + (p.b or [])
    if not np.isfinite(J) or not all(np.isfinite(a).all() for a in arrays):
        raise Diverged(i, inst.learning_rate)
    return J


def _step_updated_weights(inst: Instance, p: Params) -> Params:
    """The mistake: δ of a hidden layer computed through the *new* weights above it."""
    layers = forward(inst, p)
    delta = loss_delta(inst, layers[-1])
    ins = [inputs(inst)] + [x.out for x in layers[:-1]]
    eta, W, b = inst.learning_rate, list(p.W), None if p.b is None else list(p.b)
    for l in range(len(W) - 1, -1, -1):
        W[l] = W[l] - eta * _weight_gradient(delta, ins[l])
        if b is not None and inst.update_biases:
            b[l] = b[l] - eta * _bias_gradient(inst, delta)
        if l:
            act = inst.network.activations[l - 1]
            delta = (W[l].T @ delta) * SLOPE[act](layers[l - 1].net, layers[l - 1].out)
    return Params(W, b)


def flatten(p: Params) -> np.ndarray:
    """Every weight, then every bias, in reading order (the graph's order of parameters)."""
    return np.concatenate([a.ravel() for a in p.W + (p.b or [])])


def unflatten(flat: np.ndarray, like: Params) -> Params:
    """The inverse of flatten, into the shapes of `like`."""
    arrays, start = [], 0
    for a in like.W + (like.b or []):
        arrays.append(np.asarray(flat[start:start + a.size], dtype=float).reshape(a.shape))
        start += a.size
    return Params(arrays[:len(like.W)], None if like.b is None else arrays[len(like.W):])
