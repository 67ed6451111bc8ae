"""The bundled digits convolution (worksheets/convolution-digits-8x8-3x3.yaml): seed 000's 8×8
digit through one 3×3 filter, its page of shapes (engine/convshapes.py) held to the shapes of
PyTorch's own tensors forward and back, its numbers (derive) to PyTorch's in float64."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import torch

import symbackprop
from symbackprop.cli import main
from symbackprop.definitions.definition import load, parse
from symbackprop.engine import convshapes

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "worksheets" / "convolution-digits-8x8-3x3.yaml"
SAMPLE = ROOT / "worksheets" / "data" / "uci-digits-sample.csv"

torch.set_default_dtype(torch.float64)


def test_the_image_is_seed_000s_digit():
    """The definition's image is the 4 of the bundled sample, each pixel 0..16 over 16."""
    rows = [line.split(",") for line in SAMPLE.read_text().splitlines()
            if line and not line.startswith("#")]
    four = next([int(v) / 16 for v in r[1:]] for r in rows if r[0] == "4")
    image = load(str(DIGITS)).values.image[0]
    assert [v for row in image for v in row] == four


def _torch(result):
    """The derived numbers through torch.nn, with every intermediate's gradient kept."""
    g = result.verified.values
    n = result.definition.network
    x = torch.tensor(result.verified.instance.values.image, requires_grad=True)[None]
    x.retain_grad()
    conv = torch.nn.Conv2d(1, 1, 3)
    dense = torch.nn.Linear(9, 10)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[[g[f"K[1][1][1][{u}][{v}]"] for v in (1, 2, 3)]
                                          for u in (1, 2, 3)]]]))
        conv.bias.copy_(torch.tensor([g["b[1][1]"]]))
        dense.weight.copy_(torch.tensor([[g[f"W[4][{j}][{k}]"] for k in range(1, 10)]
                                         for j in range(1, 11)]))
        dense.bias.copy_(torch.tensor([g[f"b[4][{j}]"] for j in range(1, 11)]))
    z = conv(x)
    a = torch.relu(z)
    p = torch.nn.MaxPool2d(2)(a)
    f = torch.nn.Flatten()(p)
    net = dense(f)
    t = torch.tensor(result.verified.instance.values.targets)
    J = torch.nn.functional.cross_entropy(net, t[None])
    for tensor in (z, a, p, f, net):
        tensor.retain_grad()
    J.backward()
    assert n.loss == "cross_entropy"
    return {"X": x[0, 0], "Z": z[0, 0], "A": a[0, 0], "P": p[0, 0], "f": f[0][:, None],
            "net": net[0][:, None], "W": dense.weight, "K": conv.weight[0, 0], "J": J,
            "∂J/∂X": x.grad[0, 0], "∂J/∂Z": z.grad[0, 0], "∂J/∂A": a.grad[0, 0],
            "∂J/∂P": p.grad[0, 0], "∂J/∂f": f.grad[0][:, None], "∂J/∂K": conv.weight.grad[0, 0],
            "∂J/∂W": dense.weight.grad, "∂J/∂c": dense.bias.grad[:, None],
            "∂J/∂b": conv.bias.grad[:, None], "b": conv.bias[:, None], "c": dense.bias[:, None],
            "out": torch.softmax(net, 1)[0][:, None], "t": t[:, None],
            "δ": net.grad[0][:, None]}


def test_every_shape_on_the_page_is_pytorchs_and_the_numbers_are_too():
    result = symbackprop.derive(str(DIGITS))
    ours = _torch(result)
    page = convshapes.shapes(result.definition.network)
    named = 0
    for line in page:
        for label, shape in (line.lhs, *line.operands):
            if label in ours:
                assert tuple(ours[label].shape) == shape, (str(line), label)
                named += 1
    assert named >= 30  # every matrix the page names that torch has
    assert abs(result.loss - ours["J"].item()) < 1e-12
    grads = result.grad
    for u in (1, 2, 3):
        for v in (1, 2, 3):
            assert abs(grads[f"K[1][1][1][{u}][{v}]"] - ours["∂J/∂K"][u - 1, v - 1].item()) \
                < 1e-12
    assert abs(grads["b[1][1]"] - ours["∂J/∂b"].item()) < 1e-12
    assert max(abs(grads[f"W[4][{j}][{k}]"] - ours["∂J/∂W"][j - 1, k - 1].item())
               for j in range(1, 11) for k in range(1, 10)) < 1e-12
    pixels = result.input_grad
    assert max(abs(pixels[f"x[1][{i}][{j}]"] - ours["∂J/∂X"][i - 1, j - 1].item())
               for i in range(1, 9) for j in range(1, 9)) < 1e-12


@pytest.mark.parametrize("layers,stride", [
    ("[{kind: convolution, filters: 1, kernel: [2, 3], activation: tanh}, "
     "{kind: average_pool, size: 2}, {kind: flatten}, {kind: dense, size: 3, activation: "
     "softmax}]", 1),
    ("[{kind: convolution, filters: 1, kernel: 3, stride: 2, activation: identity}, "
     "{kind: flatten}, "
     "{kind: dense, size: 2, activation: sigmoid}]", 2),
])
def test_a_page_of_shapes_is_pytorchs_for_other_layers_too(layers, stride):
    """Another kernel, average pooling or none, a stride: the page's shapes are torch's."""
    loss = "cross_entropy" if "softmax" in layers else "half_sse"
    defn = parse(f"network: {{input: {{channels: 1, height: 7, width: 9}}, layers: {layers}, "
                 f"loss: {loss}}}\nform: matrix\n", source="s.yaml")
    net = defn.network
    conv = net.layers[0]
    x = torch.zeros(1, 1, 7, 9, requires_grad=True)
    z = torch.nn.Conv2d(1, 1, conv.kernel, stride=stride)(x)
    p = torch.nn.AvgPool2d(2)(z) if len(net.layers) == 4 else z
    f = torch.nn.Flatten()(p)
    shapes = {"X": (7, 9), "Z": tuple(z.shape[2:]), "K": conv.kernel,
              "f": (f.shape[1], 1), "W": (net.layers[-1].size, f.shape[1])}
    if len(net.layers) == 4:
        shapes["P"] = tuple(p.shape[2:])
    seen = set()
    for line in convshapes.shapes(net):
        for label, shape in (line.lhs, *line.operands):
            if label in shapes:
                assert shape == shapes[label], (str(line), label)
                seen.add(label)
    assert seen == set(shapes)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_build_prints_one_page_of_shapes_and_check_refuses_it(tmp_path, capsys):
    assert main(["build", str(DIGITS), "--out", str(tmp_path)]) == 0
    pdf = tmp_path / f"{DIGITS.stem}-shapes.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "Pages:           1" in info
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())
    assert "cross-correlation PyTorch" in text and "first maximum" in text
    for shape in ("6×6", "8×8", "3×3", "10×9", "9×10"):
        assert shape in text, shape
    (tmp_path / "answers.txt").write_text("a = 1\n")
    capsys.readouterr()
    assert main(["check", str(DIGITS), str(tmp_path / "answers.txt")]) == 2
    assert "a page of shapes has no blanks" in capsys.readouterr().err
