"""PyTorch (Conv2d, MaxPool2d, AvgPool2d, Flatten, Linear; float64 autograd) as an independent
oracle for networks on an image: the loss, every gradient and ∂J/∂x, on random shapes, kernels,
strides, paddings, activations, pooling and losses, to 1e-12."""

import numpy as np
import pytest

from symbackprop.definitions.definition import Definition
from symbackprop.definitions.layers import Convolution, Dense, Flatten, Pooling
from symbackprop.engine import convnumeric as cn
from symbackprop.engine.convverify import run
from symbackprop.engine.sample import instance

torch = pytest.importorskip("torch")
nn = torch.nn

MAP_ACTS = ["sigmoid", "tanh", "relu", "identity"]
TORCH_ACT = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "identity": nn.Identity}


def random_definition(seed: int) -> Definition:
    """A small network on an image with random sizes, drawn from `seed`: one or two
    convolutions (kernels, strides and paddings of either side), pooling of either kind,
    flatten, one or two dense layers, and a loss that fits the output."""
    rng = np.random.default_rng(seed)
    channels, height, width = int(rng.integers(1, 3)), int(rng.integers(4, 8)), \
        int(rng.integers(4, 8))
    layers, shape = [], (channels, height, width)
    for _ in range(int(rng.integers(1, 3))):
        kernel = [int(rng.integers(1, min(4, shape[1]) + 1)),
                  int(rng.integers(1, min(4, shape[2]) + 1))]
        padding = [int(rng.integers(0, k)) for k in kernel]
        stride = [int(rng.integers(1, 3)), int(rng.integers(1, 3))]
        rows = (shape[1] + 2 * padding[0] - kernel[0]) // stride[0] + 1
        cols = (shape[2] + 2 * padding[1] - kernel[1]) // stride[1] + 1
        filters = int(rng.integers(1, 4))
        layers.append({"kind": "convolution", "filters": filters, "kernel": kernel,
                       "stride": stride, "padding": padding,
                       "bias": str(rng.choice(["per_filter", "none"])),
                       "activation": str(rng.choice(MAP_ACTS))})
        shape = (filters, rows, cols)
        if min(rows, cols) >= 2 and rng.random() < 0.7:
            size = [int(rng.integers(1, min(3, rows) + 1)), int(rng.integers(1, min(3, cols) + 1))]
            pool_stride = [int(rng.integers(1, size[0] + 1)), int(rng.integers(1, size[1] + 1))]
            layers.append({"kind": str(rng.choice(["max_pool", "average_pool"])), "size": size,
                           "stride": pool_stride})
            shape = (filters, (rows - size[0]) // pool_stride[0] + 1,
                     (cols - size[1]) // pool_stride[1] + 1)
    layers.append({"kind": "flatten"})
    if rng.random() < 0.5:
        layers.append({"kind": "dense", "size": int(rng.integers(2, 4)),
                       "activation": str(rng.choice(MAP_ACTS)),
                       "bias": str(rng.choice(["per_neuron", "shared", "none"]))})
    loss = str(rng.choice(["half_sse", "sse", "mse", "cross_entropy", "binary_cross_entropy"]))
    out = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(
        loss, str(rng.choice(MAP_ACTS)))
    layers.append({"kind": "dense", "size": int(rng.integers(1, 4)) if out != "softmax" else 3,
                   "activation": out, "bias": str(rng.choice(["per_neuron", "none"]))})
    return Definition.from_dict({"network": {"input": {"channels": channels, "height": height,
                                                       "width": width},
                                             "layers": layers, "loss": loss},
                                 "seed": seed}, source=f"random-{seed}")


def torch_model(inst):
    """The instance as an nn.Sequential of PyTorch's own modules, in float64."""
    net, modules, shapes = inst.network, [], inst.network.shapes
    p = cn.params(inst)
    for l, layer in enumerate(net.layers):
        if isinstance(layer, Convolution):
            conv = nn.Conv2d(shapes[l][0], layer.filters, layer.kernel, layer.stride,
                             layer.padding, bias=layer.bias != "none", dtype=torch.float64)
            conv.weight.data = torch.tensor(p.weights[l])
            if conv.bias is not None:
                conv.bias.data = torch.tensor(p.biases[l])
            modules += [conv, TORCH_ACT[layer.activation]()]
        elif isinstance(layer, Pooling):
            kind = nn.MaxPool2d if layer.kind == "max_pool" else nn.AvgPool2d
            modules.append(kind(layer.size, layer.stride))
        elif isinstance(layer, Flatten):
            modules.append(nn.Flatten(0))
        else:
            linear = nn.Linear(shapes[l][0], layer.size, bias=layer.bias == "per_neuron",
                               dtype=torch.float64)
            linear.weight.data = torch.tensor(p.weights[l])
            if linear.bias is not None:
                linear.bias.data = torch.tensor(p.biases[l])
            modules.append(linear)
            if layer.bias == "shared":  # one bias for the layer: no module has it, so add it
                modules.append(_Shared(torch.tensor(p.biases[l])))
            if layer.activation != "softmax":
                modules.append(TORCH_ACT[layer.activation]())
    return nn.Sequential(*modules)


class _Shared(nn.Module):
    def __init__(self, b):
        super().__init__()
        self.b = nn.Parameter(b)

    def forward(self, z):
        return z + self.b


def torch_loss(kind: str, z, t):
    F = nn.functional
    if kind == "cross_entropy":
        return F.cross_entropy(z[None], t[None])
    if kind == "binary_cross_entropy":
        return F.binary_cross_entropy(z, t, reduction="sum")
    if kind == "mse":
        return F.mse_loss(z, t)
    return (0.5 if kind == "half_sse" else 1.0) * ((z - t) ** 2).sum()


@pytest.mark.parametrize("seed", range(24))
def test_random_networks_agree_with_torch(seed):
    defn = random_definition(seed)
    inst = instance(defn)
    r = run(defn, inst)
    model = torch_model(inst)
    x = torch.tensor(cn.image(inst), requires_grad=True)
    t = torch.tensor(cn.targets(inst))
    J = torch_loss(inst.network.loss, model(x), t)
    J.backward()
    assert r.values["J"] == pytest.approx(J.item(), rel=1e-12, abs=1e-300)
    # each gradient within 1e-12 of its own size scale (what rounding is relative to)
    size, dx_size = cn.magnitudes(inst, cn.params(inst))
    sizes = dict(zip(r.derivation.graph.params, cn.flatten(size)))
    params = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear, _Shared))]
    theirs = {}
    with_params = [l for l, layer in enumerate(inst.network.layers)
                   if isinstance(layer, (Convolution, Dense))]
    for l, module in zip(with_params, [m for m in params if not isinstance(m, _Shared)]):
        letter = "K" if isinstance(module, nn.Conv2d) else "W"
        for index, g in np.ndenumerate(module.weight.grad.numpy()):
            theirs["{}[{}]{}".format(letter, l + 1, "".join(f"[{i + 1}]" for i in index))] = g
        if module.bias is not None:
            for i, g in enumerate(module.bias.grad.numpy()):
                theirs[f"b[{l + 1}][{i + 1}]"] = g
    shared = [m for m in params if isinstance(m, _Shared)]
    shared_layers = [l for l in with_params if getattr(inst.network.layers[l], "bias", "") ==
                     "shared"]
    for l, module in zip(shared_layers, shared):
        theirs[f"b[{l + 1}]"] = module.b.grad.item()
    assert set(theirs) == set(r.grads)
    for k, g in theirs.items():
        assert abs(r.grads[k] - g) <= 1e-12 * max(abs(g), sizes[k], 1e-300), k
    dx = x.grad.numpy()
    for (index, g), s in zip(np.ndenumerate(dx), dx_size.ravel()):
        k = "x" + "".join(f"[{i + 1}]" for i in index)
        assert abs(r.input_grads[k] - g) <= 1e-12 * max(abs(g), s, 1e-300), k
