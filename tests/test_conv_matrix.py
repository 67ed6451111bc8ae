"""derive --form matrix of a network on an image: every matrix of the matrix-shaped derivation
(the feature maps, the δ maps, ∂J/∂K as the image correlated with δ, ∂J/∂X as the full
convolution with the kernel turned 180°) held to PyTorch's conv2d, pooling and autograd in
float64, and the correlations themselves to PyTorch's own (conv2d of the image by δ,
conv_transpose2d of δ by the kernel)."""

import json

import numpy as np
import pytest

from symbackprop.definitions.definition import Definition, load
from symbackprop.engine import convmatrix
from symbackprop.engine import convnumeric as cn
from symbackprop.engine.convverify import run
from symbackprop.engine.sample import instance

from .conftest import ROOT
from .hostile import assert_refused
from .hostile import run as cli

torch = pytest.importorskip("torch")
F = torch.nn.functional
EXAMPLE = ROOT / "tests" / "examples" / "conv-5x5-2x2-maxpool.yaml"


def _definition(filters, channels, kernel, stride, padding, pool, dense, loss, seed):
    layers = [{"kind": "convolution", "filters": filters, "kernel": kernel, "stride": stride,
               "padding": padding, "activation": "tanh" if seed % 2 else "relu"}]
    if pool:
        layers.append({"kind": pool, "size": 2})
    layers += [{"kind": "flatten"}] + dense
    return Definition.from_dict({"network": {"input": {"channels": channels, "height": 6,
                                                       "width": 7},
                                             "layers": layers, "loss": loss}, "seed": seed},
                                source=f"m{seed}")


NETWORKS = [
    _definition(1, 1, 3, 1, 0, "max_pool", [{"kind": "dense", "size": 2,
                                             "activation": "softmax"}], "cross_entropy", 2),
    _definition(2, 3, 2, 2, 1, "average_pool", [{"kind": "dense", "size": 3,
                                                 "activation": "sigmoid"},
                                                {"kind": "dense", "size": 1,
                                                 "activation": "identity"}], "half_sse", 3),
    _definition(3, 2, [3, 2], [1, 2], [1, 0], None, [{"kind": "dense", "size": 2,
                                                      "activation": "tanh", "bias": "shared"}],
                "mse", 5),
]


def torch_maps(inst):
    """PyTorch's Z_f, δ_f, ∂J/∂K, ∂J/∂b and ∂J/∂X of the instance's first (only) convolution."""
    from .test_conv_torch import torch_loss, torch_model

    model = torch_model(inst)
    conv = model[0]
    kept = {}

    def keep(_module, _inputs, output):
        output.retain_grad()
        kept["Z"] = output

    conv.register_forward_hook(keep)
    x = torch.tensor(cn.image(inst), requires_grad=True)
    J = torch_loss(inst.network.loss, model(x), torch.tensor(cn.targets(inst)))
    J.backward()
    return (x.detach(), conv, kept["Z"].detach().numpy(), kept["Z"].grad.numpy(),
            x.grad.numpy())


def _by_lhs(form):
    return {e.lhs: e.value for e in form.equations}


@pytest.mark.parametrize("defn", [load(str(EXAMPLE))] + NETWORKS,
                         ids=["example", "softmax", "stride-padding", "three-filters"])
def test_every_map_of_the_matrix_form_is_pytorchs(defn):
    inst = instance(defn)
    form = convmatrix.build(run(defn, inst))
    got = _by_lhs(form)
    x, conv, Z, delta, dX = torch_maps(inst)
    filters, channels = conv.weight.shape[:2]

    def sub(*ij):  # an index is written only where there are several
        return "_" + ",".join(map(str, ij)) if filters * channels > 1 else ""

    def fsub(f):
        return f"_{f}" if filters > 1 else ""

    def csub(c):
        return f"_{c}" if channels > 1 else ""

    stride, padding = conv.stride, conv.padding
    for f in range(filters):
        assert np.allclose(got[f"Z{fsub(f + 1)}"], Z[f], rtol=0, atol=1e-12)
        assert np.allclose(got[f"δ{fsub(f + 1)}"], delta[f], rtol=0, atol=1e-12)
        for c in range(channels):
            kernel_grad = got[f"∂J/∂K{sub(f + 1, c + 1)}"]
            assert np.allclose(kernel_grad, conv.weight.grad[f, c].numpy(), rtol=0, atol=1e-12)
            # the image correlated with δ: PyTorch's conv2d of the image by the δ map, dilated
            # by the stride (the spread δ)
            theirs = F.conv2d(x[c][None, None], torch.tensor(delta[f])[None, None],
                              padding=padding, dilation=stride)[0, 0]
            assert np.allclose(kernel_grad, theirs[:kernel_grad.shape[0], :kernel_grad.shape[1]]
                               .numpy(), rtol=0, atol=1e-12)
        if conv.bias is not None:
            assert got[f"∂J/∂b{fsub(f + 1)}"][0, 0] == pytest.approx(
                conv.bias.grad[f].item(), abs=1e-12)
    for c in range(channels):
        assert np.allclose(got[f"∂J/∂X{csub(c + 1)}"], dX[c], rtol=0, atol=1e-12)
        # the full convolution with the kernel: PyTorch's transposed convolution of δ by K
        theirs = F.conv_transpose2d(torch.tensor(delta)[None], conv.weight.detach(),
                                    stride=stride, padding=padding,
                                    output_padding=_output_padding(x.shape[1:], delta.shape[1:],
                                                                   conv))[0, c]
        assert np.allclose(got[f"∂J/∂X{csub(c + 1)}"], theirs.numpy(), rtol=0, atol=1e-12)


def _output_padding(image, out, conv):
    return tuple(n + 2 * p - ((o - 1) * s + k) for n, o, p, s, k in zip(
        image, out, conv.padding, conv.stride, conv.kernel_size))


def test_the_matrix_form_on_the_command_line(tmp_path):
    done = cli(["derive", str(EXAMPLE), "--form", "matrix"], tmp_path)
    assert done.code == 0, done.stderr
    assert "∂J/∂K (2×2) = X (5×5) ⋆ δ (4×4)" in done.stdout
    assert "∂J/∂X (5×5) = δ (4×4) ∗ K (2×2)" in done.stdout
    data = json.loads(cli(["derive", str(EXAMPLE), "--form", "matrix", "--json"],
                          tmp_path).stdout)
    equations = {e["lhs"]: e for e in data["matrix"]["equations"]}
    assert np.allclose(equations["∂J/∂K"]["value"], data["grad"][0]["K"][0][0], atol=1e-15)
    assert np.allclose(equations["∂J/∂X"]["value"], data["input_grad"][0], atol=1e-15)
    (tmp_path / "two.yaml").write_text(
        "network:\n  input: {channels: 1, height: 6, width: 6}\n  layers:\n"
        "    - {kind: convolution, filters: 1, kernel: 2, activation: relu}\n"
        "    - {kind: convolution, filters: 1, kernel: 2, activation: relu}\n"
        "    - {kind: flatten}\n    - {kind: dense, size: 1, activation: identity}\n"
        "  loss: mse\nseed: 1\n", encoding="utf-8")
    assert_refused(cli(["derive", "two.yaml", "--form", "matrix"], tmp_path),
                   "two.yaml: --form matrix of a network on an image works one convolution")
    assert_refused(cli(["derive", str(EXAMPLE), "--form", "matrix", "--param",
                        "K[1][1][1][1][1]"], tmp_path), "leave out --param")
