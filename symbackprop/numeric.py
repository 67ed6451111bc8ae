"""An independent NumPy evaluator: vectorized forward and backward passes, finite differences.

Written from the textbook formulas, without the SymPy graph or derivations, so that agreement
with them means something.

>>> from symbackprop.definition import Network, Values
>>> from symbackprop.sample import Instance
>>> inst = Instance(Network((1, 1), ('identity',), 'half_sse', 'none'),
...                 Values((2.0,), (1.0,), (((3.0,),),)), 0.1, True)
>>> p = params(inst)
>>> float(loss(inst, p)), gradients(inst, p).W[0].tolist()
(12.5, [[10.0]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


def sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))  # never exp of a large positive number
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


_ACTIVATE = {
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "identity": lambda z: z,
    "softmax": softmax,
}

_SLOPE = {  # f'(net) from net and out
    "sigmoid": lambda z, a: a * (1 - a),
    "tanh": lambda z, a: 1 - a * a,
    "relu": lambda z, a: (z > 0).astype(z.dtype),
    "identity": lambda z, a: np.ones_like(z),
}


def forward(inst: Instance, p: Params) -> list[Layer]:
    a = np.asarray(inst.values.inputs, dtype=p.W[0].dtype)
    layers = []
    for l, W in enumerate(p.W):
        z = W @ a + (0 if p.b is None else p.b[l])  # a shared bias broadcasts over the layer
        a = _ACTIVATE[inst.network.activations[l]](z)
        layers.append(Layer(z, a))
    return layers


def loss(inst: Instance, p: Params, layers: list[Layer] | None = None):
    layers = layers or forward(inst, p)
    z, y = layers[-1].net, layers[-1].out
    t = np.asarray(inst.values.targets, dtype=z.dtype)
    kind, act = inst.network.loss, inst.network.activations[-1]
    if kind == "half_sse":
        return 0.5 * np.sum((t - y) ** 2)
    if kind == "sse":
        return np.sum((t - y) ** 2)
    if kind == "mse":
        return np.mean((t - y) ** 2)
    # logs from net, not out, so that a saturated output gives a large number and not inf
    log_y = z - _logsumexp(z) if act == "softmax" else -np.logaddexp(0, -z)
    if kind == "cross_entropy":
        return -np.sum(t * log_y)
    log_1my = -np.logaddexp(0, z)
    return -np.sum(t * log_y + (1 - t) * log_1my)


def _logsumexp(z):
    m = z.max()
    return m + np.log(np.sum(np.exp(z - m)))


def output_delta(inst: Instance, layer: Layer) -> np.ndarray:
    """∂J/∂net of the output layer."""
    z, y = layer.net, layer.out
    t = np.asarray(inst.values.targets, dtype=z.dtype)
    kind, act = inst.network.loss, inst.network.activations[-1]
    if kind == "binary_cross_entropy" or act == "softmax":
        return y - t  # the activation's slope cancels the loss's denominator
    if kind == "cross_entropy":  # sigmoid outputs
        return -t * (1 - y)
    dJ_dy = {"half_sse": y - t, "sse": 2 * (y - t), "mse": 2 * (y - t) / y.size}[kind]
    return dJ_dy * _SLOPE[act](z, y)


def gradients(inst: Instance, p: Params) -> Params:
    layers = forward(inst, p)
    delta = output_delta(inst, layers[-1])
    inputs = [np.asarray(inst.values.inputs, dtype=delta.dtype)] + [x.out for x in layers[:-1]]
    dW, db = [], []
    for l in range(len(p.W) - 1, -1, -1):
        dW.append(np.outer(delta, inputs[l]))
        db.append(delta.sum(keepdims=True) if inst.network.bias == "shared" else delta)
        if l:
            act = inst.network.activations[l - 1]
            delta = (p.W[l].T @ delta) * _SLOPE[act](layers[l - 1].net, layers[l - 1].out)
    return Params(dW[::-1], None if p.b is None else db[::-1])


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
    each layer before backpropagating through it (used to audit published figures)."""
    p = params(inst)
    history = [float(loss(inst, p))]
    for _ in range(steps):
        p = step(inst, p) if mistake is None else _step_updated_weights(inst, p)
        history.append(float(loss(inst, p)))
    return history, p


def _step_updated_weights(inst: Instance, p: Params) -> Params:
    """The mistake: δ of a hidden layer computed through the *new* weights above it."""
    layers = forward(inst, p)
    delta = output_delta(inst, layers[-1])
    inputs = [np.asarray(inst.values.inputs)] + [x.out for x in layers[:-1]]
    eta, W, b = inst.learning_rate, list(p.W), None if p.b is None else list(p.b)
    for l in range(len(W) - 1, -1, -1):
        W[l] = W[l] - eta * np.outer(delta, inputs[l])
        if b is not None and inst.update_biases:
            b[l] = b[l] - eta * (delta.sum(keepdims=True) if inst.network.bias == "shared"
                                 else delta)
        if l:
            act = inst.network.activations[l - 1]
            delta = (W[l].T @ delta) * _SLOPE[act](layers[l - 1].net, layers[l - 1].out)
    return Params(W, b)


def finite_differences(inst: Instance, h: float = 1e-4) -> Params:
    """Central differences of J, Richardson-extrapolated, in extended precision.

    (D(h/2)·4 − D(h))/3 cancels the h² error term; long double keeps the rounding error of
    J(p+h) − J(p−h) below 1e-15, so gradients can be compared to 1e-9 relative.
    """
    p = params(inst, np.longdouble)

    def central(array, index, step):
        keep = array[index]
        array[index] = keep + step
        up = loss(inst, p)
        array[index] = keep - step
        down = loss(inst, p)
        array[index] = keep
        return (up - down) / (2 * step)

    def grad_of(array):
        g = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            g[index] = (4 * central(array, index, h / 2) - central(array, index, h)) / 3
        return g.astype(np.float64)

    return Params([grad_of(w) for w in p.W], None if p.b is None else [grad_of(b) for b in p.b])
