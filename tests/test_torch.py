"""PyTorch autograd (float64) as an independent oracle for loss, outputs and every gradient."""

import numpy as np
import pytest

from symbackprop.definitions.definition import Definition, Network, Values, load
from symbackprop.engine import numeric
from symbackprop.engine.derivation import derive_all
from symbackprop.engine.graph import build
from symbackprop.engine.sample import Instance, instance
from symbackprop.engine.verify import _flat_params, verify

from .conftest import WORKSHEETS

torch = pytest.importorskip("torch")

ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
       "identity": lambda z: z, "softmax": lambda z: torch.softmax(z, 0)}


def _torch(inst: Instance):
    """Forward pass and loss written with torch's own functions, then autograd."""
    v, net = inst.values, inst.network
    W = [torch.tensor(m, dtype=torch.float64, requires_grad=True) for m in v.weights]
    b = None if net.bias == "none" else [torch.tensor(x, dtype=torch.float64, requires_grad=True)
                                         for x in v.biases]
    # a batch: a column per example, each bias across its row
    a = torch.tensor(numeric.inputs(inst), dtype=torch.float64)
    t = torch.tensor(numeric.targets(inst), dtype=torch.float64)
    for l, w in enumerate(W):
        z = w @ a + (0 if b is None else b[l] if a.dim() == 1 else b[l][:, None])
        a = ACT[net.activations[l]](z)
    F = torch.nn.functional
    each = {  # each example's loss (dimension 0: the outputs)
        "half_sse": lambda: 0.5 * ((a - t) ** 2).sum(0),
        "sse": lambda: ((a - t) ** 2).sum(0),
        "mse": lambda: ((a - t) ** 2).mean(0),
        "binary_cross_entropy": lambda: F.binary_cross_entropy_with_logits(
            z, t, reduction="none").sum(0),
        "cross_entropy": lambda: (F.cross_entropy(z.T, t.T, reduction="none")
                                  if net.activations[-1] == "softmax" and z.dim() == 2 else
                                  F.cross_entropy(z, t, reduction="sum")
                                  if net.activations[-1] == "softmax"
                                  else -(t * F.logsigmoid(z)).sum(0)),
    }[net.loss]()
    J = each.mean() if inst.batched and inst.batch_loss == "mean" else each.sum()
    J.backward()
    return J.item(), a.T.tolist() if inst.batched else a.tolist(), \
        [w.grad.numpy() for w in W], None if b is None else [x.grad.numpy() for x in b]


def _compare(inst: Instance):
    r = verify(derive_all(build(inst.network)), inst)
    J, outputs, dW, db = _torch(inst)
    net = inst.network
    L = net.depth
    assert r.values["J"] == pytest.approx(J, rel=1e-12, abs=1e-300)
    for one, theirs in zip(r.examples or (r,), outputs if inst.batched else [outputs]):
        assert [one.values[f"out[{L}][{j}]"] for j in range(1, net.layers[-1] + 1)] == \
            pytest.approx(theirs, rel=1e-12, abs=1e-300)
    # a gradient whose paths cancel (a shared softmax bias: Σ(y − t) = 0) is judged against
    # the size of its paths, Σ|terms|, since that is what rounding is relative to
    sizes = _flat_params(numeric.magnitudes(inst, numeric.params(inst)), net.bias)
    theirs = _flat_params(numeric.Params(dW, db), net.bias)
    for name, value in theirs.items():
        assert abs(r.grads[name] - value) <= 1e-12 * max(abs(value), sizes[name]), name


BUNDLED = sorted(p.name for p in WORKSHEETS.glob("*.yaml")  # dense: a network on an image is
                 if isinstance(d := load(p), Definition) and not d.layered)  # test_conv_torch's


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_worksheets_agree_with_torch(name):
    _compare(instance(load(WORKSHEETS / name)))


NETWORKS = [  # every activation in a hidden and an output place, every loss, every bias style
    Network((2, 3, 2), ("sigmoid", "sigmoid"), "half_sse", "shared"),
    Network((3, 2, 2), ("tanh", "identity"), "sse", "per_neuron"),
    Network((2, 3, 1), ("relu", "tanh"), "mse", "none"),
    Network((2, 2, 3), ("identity", "relu"), "half_sse", "per_neuron"),
    Network((3, 3, 2), ("tanh", "sigmoid"), "binary_cross_entropy", "shared"),
    Network((2, 2, 2), ("relu", "sigmoid"), "cross_entropy", "per_neuron"),
    Network((3, 2, 4), ("sigmoid", "softmax"), "cross_entropy", "none"),
    Network((2, 3, 3, 2, 3), ("tanh", "relu", "sigmoid", "softmax"), "cross_entropy", "shared"),
    Network((2, 2, 2, 2), ("sigmoid", "tanh", "identity"), "sse", "none"),
]


def _random(net: Network, seed: int) -> Instance:
    """Numbers in ±1.5: torch takes σ' and tanh' from the output, y(1 − y) and 1 − y², which
    keep only ~1e-16/(1 − y) of their digits once a unit saturates (the engine takes them from
    net); within ±1.5 torch's own rounding stays below the 1e-12 compared."""
    rng = np.random.default_rng(seed)

    def draw(*shape, low=-1.5, high=1.5):
        return np.round(rng.uniform(low, high, shape), 2)

    sizes = net.layers
    weights = tuple(tuple(map(tuple, draw(sizes[l], sizes[l - 1]).tolist()))
                    for l in range(1, len(sizes)))
    biases = None if net.bias == "none" else tuple(
        tuple(draw(1 if net.bias == "shared" else n).tolist()) for n in sizes[1:])
    if net.activations[-1] == "softmax":
        p = rng.uniform(0, 1, sizes[-1])
        targets = tuple((p / p.sum()).tolist())  # a distribution, not only one-hot
    elif net.loss in ("cross_entropy", "binary_cross_entropy"):
        targets = tuple(draw(sizes[-1], low=0, high=1).tolist())
    else:
        targets = tuple(draw(sizes[-1]).tolist())
    return Instance(net, Values(tuple(draw(sizes[0]).tolist()), targets, weights, biases),
                    0.1, True)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: "-".join(map(str, n.layers))
                         + "-" + "-".join(n.activations) + "-" + n.loss + "-" + n.bias)
def test_random_networks_agree_with_torch(net, seed):
    _compare(_random(net, seed))


@pytest.mark.parametrize("how", ["sum", "mean"])
@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: "-".join(map(str, n.layers))
                         + "-" + "-".join(n.activations) + "-" + n.loss + "-" + n.bias)
def test_random_batches_agree_with_torch(net, how):
    """Three examples, each drawn as one example is, their losses added (or averaged)."""
    from dataclasses import replace

    from symbackprop.definitions.definition import Example

    draws = [_random(net, seed) for seed in (3, 4, 5)]
    examples = tuple(Example(d.values.inputs, d.values.targets) for d in draws)
    first = draws[0]
    _compare(replace(first, values=replace(first.values, inputs=None, targets=None,
                                           examples=examples), batch_loss=how))
