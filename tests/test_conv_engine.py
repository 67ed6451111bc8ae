"""The engine on networks on an image: derivations against plain sympy.diff, the paths each
rule adds, PyTorch's conventions at ties and corners (and refusals where SymPy and NumPy could
disagree), the proofs behind every rule, and what derive prints."""

import numpy as np
import pytest
import sympy as sp

from symbackprop.cli import main
from symbackprop.definitions.definition import Definition
from symbackprop.definitions.errors import NoDerivative
from symbackprop.engine import convnumeric as cn
from symbackprop.engine import proofs
from symbackprop.engine.convderivation import derive_all
from symbackprop.engine.convgraph import build
from symbackprop.engine.convsteps import InputPaths, KernelPaths, PoolPaths
from symbackprop.engine.convverify import run
from symbackprop.engine.graph import expand
from symbackprop.engine.sample import instance
from symbackprop.engine.steps import compose

from .test_conv_torch import random_definition, torch_loss, torch_model


def _definition(layers, values=None, loss="half_sse", image=(1, 4, 4), seed=1):
    c, h, w = image
    spec = {"network": {"input": {"channels": c, "height": h, "width": w}, "layers": layers,
                        "loss": loss}, "seed": seed}
    if values:
        spec["values"] = values
    return Definition.from_dict(spec, source="test.yaml")


SMOOTH = [{"kind": "convolution", "filters": 2, "kernel": [2, 3], "stride": [1, 2],
           "padding": [1, 0], "activation": "sigmoid"},
          {"kind": "average_pool", "size": 2, "stride": 1},
          {"kind": "flatten"},
          {"kind": "dense", "size": 2, "activation": "tanh"}]


def test_every_gradient_is_plain_sympy_diff_of_the_whole_network():
    """The derivation, composed into one expression, against sympy.diff of J written out
    in the inputs and parameters, both evaluated at the instance's numbers."""
    defn = _definition(SMOOTH, image=(1, 3, 6))
    r = run(defn, instance(defn))
    graph = r.derivation.graph
    J = expand(graph, graph.equations["J"])
    at = {graph[k]: sp.Float(v, 30) for k, v in r.values.items() if k[0] in "xtKWb"}
    local = {graph[k]: sp.Float(v, 30) for k, v in r.values.items()}
    for p in ("K[1][2][1][2][3]", "b[1][1]", "W[4][2][5]", "b[4][1]"):
        plain = float(sp.diff(J, graph[p]).xreplace(at))
        ours = float(compose(r.derivation.grads[p]).xreplace(local))
        assert ours == pytest.approx(plain, rel=1e-12), p
        assert r.grads[p] == pytest.approx(plain, rel=1e-12), p
    x = "x[1][2][3]"
    assert r.input_grads[x] == pytest.approx(float(sp.diff(J, graph[x]).xreplace(at)),
                                             rel=1e-12)


def test_a_kernel_entry_adds_one_path_per_position_it_touched():
    defn = _definition([{"kind": "convolution", "filters": 1, "kernel": 3, "padding": 1,
                         "activation": "identity"}, {"kind": "flatten"},
                        {"kind": "dense", "size": 1, "activation": "identity"}])
    d = derive_all(build(defn.network))
    middle, corner = d.grads["K[1][1][1][2][2]"], d.grads["K[1][1][1][1][1]"]
    assert isinstance(middle, KernelPaths)
    assert len(middle.terms) == 16  # the centre entry lies on the image at all 4×4 outputs
    assert len(corner.terms) == 9  # the corner entry lies on the padding along two edges
    # the way back: a corner pixel is under 4 outputs' windows, a middle one under 9
    assert isinstance(d.inputs["x[1][1][1]"], InputPaths)
    assert len(d.inputs["x[1][1][1]"].terms) == 4
    assert len(d.inputs["x[1][2][2]"].terms) == 9


def test_max_pooling_routes_a_tie_to_the_first_maximum_as_torch_does():
    """A blank patch under a filter without bias gives equal nets; ReLU's zeros tie too."""
    torch = pytest.importorskip("torch")
    image = [[[0, 0, 0, 0, 0.5], [0, 0, 0, 0, 0.2], [0, 0, 1, 1, 0.3], [0.7, 0.1, 1, 1, 0]]]
    layers = [{"kind": "convolution", "filters": 2, "kernel": 2, "bias": "none",
               "activation": "relu"}, {"kind": "max_pool", "size": 2, "stride": 1},
              {"kind": "flatten"}, {"kind": "dense", "size": 2, "activation": "softmax"}]
    defn = _definition(layers, {"image": image, "targets": [1, 0]}, loss="cross_entropy",
                       image=(1, 4, 5))
    inst = instance(defn)
    r = run(defn, inst)
    conv = r.values
    assert conv["net[1][1][1][1]"] == conv["net[1][1][1][2]"] == 0  # a blank patch: a tie
    model = torch_model(inst)
    x = torch.tensor(cn.image(inst), requires_grad=True)
    J = torch_loss("cross_entropy", model(x), torch.tensor(cn.targets(inst)))
    J.backward()
    K = model[0].weight.grad.numpy()
    for index, g in np.ndenumerate(K):
        name = "K[1]" + "".join(f"[{i + 1}]" for i in index)
        assert r.grads[name] == pytest.approx(g, rel=1e-12, abs=1e-15), name
    for index, g in np.ndenumerate(x.grad.numpy()):
        name = "x" + "".join(f"[{i + 1}]" for i in index)
        assert r.input_grads[name] == pytest.approx(g, rel=1e-12, abs=1e-15), name


def test_a_tie_sends_everything_to_the_first_pixel_in_reading_order():
    layers = [{"kind": "max_pool", "size": 2}, {"kind": "flatten"},
              {"kind": "dense", "size": 1, "activation": "identity", "bias": "none"}]
    defn = _definition(layers, {"image": [[[0.5, 0.9], [0.9, 0.9]]], "targets": [0],
                                "layers": [{}, {}, {"weights": [[2]]}]}, image=(1, 2, 2))
    r = run(defn, instance(defn))
    # J = ½(2·max)², ∂J/∂max = 4·0.9 = 3.6: all of it to x[1][1][2], the first 0.9
    assert [r.input_grads[f"x[1][{i}][{j}]"] for i in (1, 2) for j in (1, 2)] == \
        pytest.approx([0, 3.6, 0, 0], abs=1e-15)
    path = r.derivation.inputs["x[1][2][1]"]
    assert isinstance(path, PoolPaths) and r.steps[path.terms[0].factors[1].target] == 0


ONE_BY_ONE = {"kind": "convolution", "filters": 1, "kernel": 1, "bias": "none",
              "activation": "identity"}


def test_a_tie_only_numpy_sees_is_refused():
    """0.05 + 0.25 is 0.3000000000000000028 exactly, above the double 0.3; NumPy's rounded
    sum is that double: it sees a tie and takes the first, SymPy the second."""
    layers = [ONE_BY_ONE, {"kind": "max_pool", "size": [1, 2]}, {"kind": "flatten"},
              {"kind": "dense", "size": 1, "activation": "identity"}]
    values = {"image": [[[0.3, 0.05]], [[0.0, 0.25]]],
              "layers": [{"kernels": [[[[1.0]], [[1.0]]]]}, {}, {}, {}]}
    defn = _definition(layers, values, image=(2, 1, 2))
    with pytest.raises(NoDerivative, match=r"out\[2\]\[1\]\[1\]\[1\]: its max-pooling window"):
        run(defn, instance(defn))


def test_values_near_each_other_that_both_order_alike_are_worked():
    """0.3 and 0.1 + 0.2 = 0.30000000000000004: near, but SymPy and NumPy both take the
    second; torch takes it too."""
    torch = pytest.importorskip("torch")
    layers = [{"kind": "max_pool", "size": 2}, {"kind": "flatten"},
              {"kind": "dense", "size": 1, "activation": "identity"}]
    defn = _definition(layers, {"image": [[[0.3, 0.1 + 0.2], [0, 0]]]}, image=(1, 2, 2))
    inst = instance(defn)
    r = run(defn, inst)
    model = torch_model(inst)
    x = torch.tensor(cn.image(inst), requires_grad=True)
    torch_loss("half_sse", model(x), torch.tensor(cn.targets(inst))).backward()
    assert [r.input_grads[f"x[1][1][{j}]"] for j in (1, 2)] == pytest.approx(
        x.grad.numpy()[0, 0].tolist(), rel=1e-12, abs=0)
    assert r.input_grads["x[1][1][1]"] == 0


def test_a_relu_net_exactly_zero_is_worked_and_one_numpy_rounds_across_refused():
    layers = [{"kind": "convolution", "filters": 1, "kernel": 2, "bias": "none",
               "activation": "relu"}, {"kind": "flatten"},
              {"kind": "dense", "size": 1, "activation": "identity"}]
    blank = [[[0, 0, 1], [0, 0, 1], [1, 1, 1]]]  # the first window sees only zeros
    defn = _definition(layers, {"image": blank}, image=(1, 3, 3))
    r = run(defn, instance(defn))
    assert r.values["net[1][1][1][1]"] == 0 and "K[1][1][1][1][1]" in r.grads
    # 0.05 + 0.25 − 0.3 is 1.4e-17 exactly, 0 as NumPy rounds it: either side of the corner
    relu = dict(ONE_BY_ONE, activation="relu")
    across = {"image": [[[0.05]], [[0.25]], [[0.3]]],
              "layers": [{"kernels": [[[[1.0]], [[1.0]], [[-1.0]]]]}, {}, {}]}
    defn = _definition([relu, {"kind": "flatten"}, layers[-1]], across, image=(3, 1, 1))
    with pytest.raises(NoDerivative, match=r"net\[1\]\[1\]\[1\]\[1\] = 1.39e-17 is at ReLU's "
                       r"corner up to rounding \(NumPy's rounded sum is 0\)"):
        run(defn, instance(defn))


@pytest.mark.parametrize("seed", [0, 5, 13])
def test_every_rule_a_network_on_an_image_uses_has_a_proof(seed):
    rules = derive_all(build(random_definition(seed).network)).rules()
    assert {p.name for p in proofs.for_rules(rules)} >= set(rules)
    assert {"kernel_gradient", "input_gradient"} <= set(rules)


def test_derive_says_what_convolution_means_and_how_a_tie_is_broken(capsys, tmp_path):
    path = tmp_path / "conv.yaml"
    path.write_text("network:\n  input: {channels: 1, height: 4, width: 4}\n  layers:\n"
                    "    - {kind: convolution, filters: 1, kernel: 2, activation: relu}\n"
                    "    - {kind: max_pool, size: 2, stride: 1}\n    - {kind: flatten}\n"
                    "    - {kind: dense, size: 2, activation: softmax}\n"
                    "  loss: cross_entropy\nseed: 4\n")
    assert main(["derive", str(path)]) == 0
    out = capsys.readouterr().out
    assert "convolution is cross-correlation, as PyTorch's Conv2d computes it" in out
    assert "at a tie, to the first of the equal maxima in reading order" in out
    assert "dJ/dK[1][1][1][2][2] = Σ_(i,j) dJ/dnet[1][1][i][j] · x[1][i+1][j+1] = " in out
    assert "Through the image: dJ/dx, the full convolution of δ with the kernel turned" in out
    assert out.rstrip().splitlines()[-1].startswith("Verified: NumPy max |diff| ")
