"""derive's text and JSON: each δ once, gradients that name their δ, clean forms, exact zeros.

Values are checked against plain sympy.diff, a NumPy backward pass written here and finite
differences of J with respect to each net; sizes against the depth of the network.
"""

import re
import time

import numpy as np
import pytest
import sympy as sp
import yaml

from symbackprop.cli import main
from symbackprop.definitions import names
from symbackprop.definitions.definition import load, parse
from symbackprop.engine import report
from symbackprop.engine.graph import expand
from symbackprop.engine.sample import instance
from symbackprop.engine.verify import run
from symbackprop.formats.latex import symbol

from .conftest import WORKSHEETS

BLOG = str(WORKSHEETS / "blog-2-2-2.yaml")

NETWORKS = [  # layers, activations, loss, bias
    ((2, 2, 2), "sigmoid", "half_sse", "shared"),
    ((2, 3, 2, 1), ["tanh", "relu", "identity"], "sse", "per_neuron"),
    ((3, 2, 3), ["sigmoid", "softmax"], "cross_entropy", "shared"),
    ((2, 2, 2), ["relu", "sigmoid"], "binary_cross_entropy", "none"),
    ((1, 2, 2), ["identity", "sigmoid"], "mse", "per_neuron"),
    ((2, 2, 1), ["tanh", "sigmoid"], "cross_entropy", "shared"),
]


def _definition(layers, acts, loss, bias, seed=0, **values):
    rng = np.random.default_rng(seed)
    acts = acts if isinstance(acts, list) else [acts] * (len(layers) - 1)
    targets = rng.uniform(0.1, 0.9, layers[-1])
    if acts[-1] == "softmax":
        targets = [0.2, 0.3, 0.5]
    v = {"inputs": rng.uniform(-1, 1, layers[0]).round(2).tolist(),
         "targets": np.round(targets, 2).tolist(),
         "weights": [rng.uniform(-1, 1, (layers[l], layers[l - 1])).round(2).tolist()
                     for l in range(1, len(layers))]}
    if bias != "none":
        v["biases"] = [rng.uniform(-0.5, 0.5, 1 if bias == "shared" else n).round(2).tolist()
                       for n in layers[1:]]
    v |= values
    return parse(yaml.safe_dump({
        "network": {"layers": list(layers), "activation": acts, "loss": loss, "bias": bias},
        "values": v, "learning_rate": 0.5}))


def _result(*network, **values):
    d = _definition(*network, **values)
    return run(d, instance(d))


# --- an independent reference: forward pass, J from any layer's nets, backward pass -------

_F = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
      "relu": lambda z: np.maximum(z, 0), "identity": lambda z: z,
      "softmax": lambda z: np.exp(z) / np.exp(z).sum()}


def _jacobian(act, z):
    y = _F[act](z)
    if act == "softmax":
        return np.diag(y) - np.outer(y, y)
    slope = {"sigmoid": y * (1 - y), "tanh": 1 - y**2, "relu": (z > 0) * 1.0,
             "identity": np.ones_like(z)}[act]
    return np.diag(slope)


def _loss(kind, y, t):
    return {"half_sse": lambda: 0.5 * np.sum((t - y) ** 2), "sse": lambda: np.sum((t - y) ** 2),
            "mse": lambda: np.mean((t - y) ** 2), "cross_entropy": lambda: -np.sum(t * np.log(y)),
            "binary_cross_entropy": lambda: -np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)),
            }[kind]()


def _dloss(kind, y, t):
    return {"half_sse": y - t, "sse": 2 * (y - t), "mse": 2 * (y - t) / y.size,
            "cross_entropy": -t / y, "binary_cross_entropy": (y - t) / (y * (1 - y))}[kind]


class _Plain:
    def __init__(self, r):
        inst, net = r.instance, r.instance.network
        self.acts, self.loss, self.L = net.activations, net.loss, net.depth
        self.W = [np.array(w) for w in inst.values.weights]
        sizes = net.layers
        self.b = [np.zeros(n) if net.bias == "none" else np.array(b) * np.ones(n)
                  for b, n in zip(inst.values.biases or [0] * self.L, sizes[1:])]
        self.x, self.t = np.array(inst.values.inputs), np.array(inst.values.targets)
        self.z, out = [], self.x
        for W, b, act in zip(self.W, self.b, self.acts):
            self.z.append(W @ out + b)
            out = _F[act](self.z[-1])

    def J_from(self, l, z):
        """J with the nets of layer l (1-based) set to z."""
        out = _F[self.acts[l - 1]](z)
        for m in range(l, self.L):
            out = _F[self.acts[m]](self.W[m] @ out + self.b[m])
        return _loss(self.loss, out, self.t)

    def deltas_backward(self):
        y = _F[self.acts[-1]](self.z[-1])
        delta = _jacobian(self.acts[-1], self.z[-1]).T @ _dloss(self.loss, y, self.t)
        deltas = [delta]
        for l in range(self.L - 1, 0, -1):
            delta = _jacobian(self.acts[l - 1], self.z[l - 1]).T @ (self.W[l].T @ delta)
            deltas.insert(0, delta)
        return deltas

    def deltas_fd(self, h=1e-6):
        result = []
        for l in range(1, self.L + 1):
            z = self.z[l - 1]
            row = []
            for j in range(z.size):
                e = np.zeros_like(z)
                e[j] = h
                row.append((self.J_from(l, z + e) - self.J_from(l, z - e)) / (2 * h))
            result.append(np.array(row))
        return result


@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: f"{n[0]}-{n[2]}")
def test_json_deltas_match_a_plain_backward_pass_and_finite_differences(network):
    r = _result(*network)
    deltas = report.as_json(r)["deltas"]
    plain = _Plain(r)
    assert [len(row) for row in deltas] == list(r.instance.network.layers[1:])
    for ours, backward, fd in zip(deltas, plain.deltas_backward(), plain.deltas_fd()):
        assert np.allclose(ours, backward, rtol=1e-12, atol=1e-15)
        assert np.allclose(ours, fd, rtol=1e-6, atol=1e-9)


def _final(block: str) -> float:
    return float(block.rstrip().rsplit(" = ", 1)[1].split()[0])


@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: f"{n[0]}-{n[2]}")
def test_every_printed_gradient_equals_plain_sympy_diff(network):
    r = _result(*network)
    graph = r.derivation.graph
    loss = expand(graph, graph.equations["J"])
    point = {graph[k]: sp.Float(v, 30) for k, v in r.values.items() if k[0] in "xtWb"}
    for p in r.grads:
        printed = _final(report.derivation_text(r, p))
        plain = float(sp.diff(loss, graph[p]).xreplace(point).evalf(30))
        assert printed == pytest.approx(plain, rel=1e-8, abs=1e-300), p


@pytest.mark.parametrize("network", NETWORKS[:3], ids=lambda n: f"{n[0]}-{n[2]}")
def test_each_delta_is_printed_once_before_it_is_used_and_named_with_its_value(network):
    r = _result(*network)
    text = report.text(r)
    deltas = report.deltas_text(r)
    printed = {}
    for block in re.split(r"\n(?=dJ/dnet)", deltas):
        key = block.split(" = ", 1)[0]
        for used in re.findall(r"(dJ/dnet\[\d+\]\[\d+\]) · \S+ = \(?(-?[\d.e+-]+)", block):
            assert printed[used[0]] == used[1]  # a later δ uses one already printed
        printed[key] = block.rstrip().rsplit(" = ", 1)[1]
    assert len(printed) == sum(r.instance.network.layers[1:])
    assert all(text.count(f"\n{key} = ") == 1 for key in printed)
    for p in r.grads:  # each gradient names its δ with the value printed above
        for key, value in re.findall(r"(dJ/dnet\[\d+\]\[\d+\]) = (\S+) \(δ above\)",
                                     report.derivation_text(r, p)):
            assert printed[key] == value


def _layered(depth: int, width: int = 2):
    return _result((width,) * (depth + 1), "sigmoid", "half_sse", "shared")


def test_text_grows_linearly_with_depth():
    sizes = {d: len(report.text(_layered(d))) for d in (10, 20, 40)}
    assert sizes[20] / sizes[10] < 2.2 and sizes[40] / sizes[20] < 2.2
    assert sizes[40] < 120_000  # about 2 kB a layer of two neurons


def test_fifty_layers_print_quickly():
    r = _layered(50)
    start = time.perf_counter()
    text = report.text(r)
    assert time.perf_counter() - start < 1.5
    assert text.count("(δ above)") == 50 * 4  # every weight names its δ


def test_param_prints_only_the_deltas_it_needs():
    d = load(BLOG)
    r = run(d, instance(d))
    assert re.findall(r"^dJ/dnet\S+", report.text(r, ["W[2][1][1]"]), re.M) == [
        "dJ/dnet[2][1]"]
    assert re.findall(r"^dJ/dnet\S+", report.text(r, ["W[1][1][1]"]), re.M) == [
        "dJ/dnet[2][1]", "dJ/dnet[2][2]", "dJ/dnet[1][1]"]


# --- clean forms --------------------------------------------------------------------------

def test_forms_are_written_as_the_rules_are():
    r = _result((2, 2, 1), ["relu", "identity"], "sse", "shared",
                inputs=[1.0, 0.5], weights=[[[0.5, 0.2], [-0.5, -0.2]], [[0.3, 0.4]]],
                biases=[[0.1], [0.2]])
    text = report.text(r)
    assert "dJ/dout[2][1] = 2(out − t) = 2(out[2][1] − t[1]) = " in text
    assert "2*out" not in text and "Heaviside" not in text
    assert "dout[1][1]/dnet[1][1] = ReLU'(net) = ReLU'(net[1][1]) = 1 (net[1][1] > 0)" in text
    assert "dout[1][2]/dnet[1][2] = ReLU'(net) = ReLU'(net[1][2]) = 0 (net[1][2] < 0)" in text
    assert "dout[2][1]/dnet[2][1] = 1\n" in text and "= 1 = 1" not in text
    # one neuron above: the single path, no sum
    assert "dJ/dout[1][1] = dJ/dnet[2][1] · W[2][1][1] = " in text
    deltas = text.split("Deltas")[1].split("Gradients")[0]  # the loss's own Σ is above them
    assert "sum over" not in text and "Σ" not in deltas
    assert "dJ/dW[1][2][1] = dJ/dnet[1][2] · dnet[1][2]/dW[1][2][1]\n" \
           "  dJ/dnet[1][2] = 0 (δ above)" in text


def test_mse_keeps_its_two_over_n():
    text = report.text(_result(*NETWORKS[4]))
    assert "dJ/dout[2][1] = 2(out − t)/n = 2(out[2][1] − t[1])/2 = " in text


def test_a_softmax_layers_shared_bias_is_exactly_zero():
    r = _result((3, 2, 3), ["sigmoid", "softmax"], "cross_entropy", "shared",
                targets=[0.1, 0.2, 0.7])
    assert r.grads["b[2]"] != 0  # floating point leaves a trace of the exact cancellation
    assert report.derivation_text(r, "b[2]").endswith("\n  = 0")
    assert report.as_json(r)["grad"]["b"][1] == [0.0]


def test_terms_that_cancel_in_exact_decimals_print_zero():
    # 0.1 · 3 − 0.3 is 5.6e-17 in binary floating point and 0 in the decimals written
    r = _result((1, 1), "identity", "half_sse", "none", inputs=[3], targets=[0.3],
                weights=[[[0.1]]])
    assert r.grads["W[1][1][1]"] != 0
    assert _final(report.derivation_text(r, "W[1][1][1]")) == 0
    assert "dJ/dout[1][1] = out − t = out[1][1] − t[1] = 0\n" in report.text(r)
    assert report.as_json(r)["deltas"] == [[0.0]]


def test_a_real_small_value_is_never_hidden():
    # a shared bias over two outputs: δ1 + δ2 = (0.7 − 0.2) + (0.1 − t2)
    def bias_gradient(t2):
        r = _result((1, 2), "identity", "half_sse", "shared", inputs=[1], targets=[0.2, t2],
                    weights=[[[0.7], [0.1]]], biases=[[0]])
        return _final(report.derivation_text(r, "b[1]"))

    assert bias_gradient(0.6) == 0
    # floating point gives -1.00087e-13; the sum looked at exactly gives the exact value
    assert bias_gradient(0.6000000000001) == pytest.approx(-1e-13, rel=1e-9, abs=0)
    # out − t = 3·0.1000000000001 − 0.3 = 3e-13, which floating point makes 2.99982e-13
    r = _result((1, 1), "identity", "half_sse", "none", inputs=[3], targets=[0.3],
                weights=[[[0.1000000000001]]])
    assert r.grads["W[1][1][1]"] != pytest.approx(9e-13, rel=1e-9, abs=0)
    assert _final(report.derivation_text(r, "W[1][1][1]")) == pytest.approx(9e-13, rel=1e-9,
                                                                             abs=0)


# --- numbered names -----------------------------------------------------------------------

@pytest.mark.parametrize("layers", [(2, 2, 2), (4, 2, 1), (3, 4, 5, 2), (2, 12, 11, 3)])
@pytest.mark.parametrize("bias", ["shared", "per_neuron"])
def test_numbered_names_go_back_to_the_canonical_ones(layers, bias):
    d = _definition(layers, "sigmoid", "half_sse", bias)
    r = run(d, instance(d))
    quantities = list(r.values)  # x, t, W, b, net, out, J
    labels = [names.numbered(q, layers) for q in quantities]
    assert len(set(labels)) == len(labels)
    assert [names.canonical(a, layers, bias) for a in labels] == quantities
    weights = [p for p in r.grads if p[0] == "W"]
    assert [names.numbered(p, layers) for p in weights] == [
        f"w{n}" for n in range(1, len(weights) + 1)]
    for q in quantities:
        if q != "J":  # the PDF shows the same name
            tex = symbol(q, "numbered", layers).replace(r"\mathrm{", "").replace("}", "")
            assert tex.replace("_{", "_" if "_" in labels[quantities.index(q)] else "") \
                == labels[quantities.index(q)]


def test_seed_003_names_its_weights_w1_to_w8():
    layers = (2, 2, 2)
    assert names.canonical("w1", layers) == "W[1][1][1]"
    assert names.canonical("w4", layers) == "W[1][2][2]"
    assert names.canonical("w5", layers) == "W[2][1][1]"
    assert names.canonical("w8", layers) == "W[2][2][2]"
    assert names.canonical("b1", layers) == "b[1]"
    assert names.canonical("b3", layers, bias="shared") is None
    assert names.canonical("w9", layers) is None and names.canonical("h3", layers) is None
    assert names.canonical("new w5", layers) == "new W[2][1][1]"


def test_derive_takes_and_prints_the_authors_names(capsys):
    assert main(["derive", BLOG, "--param", "w5"]) == 0
    by_label = capsys.readouterr().out
    assert main(["derive", BLOG, "--param", "W[2][1][1]"]) == 0
    assert capsys.readouterr().out == by_label
    assert "dJ/dW[2][1][1] (w5) = dJ/dnet[2][1] · dnet[2][1]/dW[2][1][1]" in by_label
    assert "w5 = W[2][1][1]" in by_label and "b2 = b[2]" in by_label
    assert main(["derive", BLOG, "--param", "w9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--param" in err and "w9" in err


def test_exactness_needs_no_deep_recursion():
    """A chain of δ's deeper than Python's call stack: decided with a stack of our own."""
    from types import SimpleNamespace

    from symbackprop.engine.exact import Exact
    from symbackprop.engine.steps import BiasGradient, Chain

    def one(i, value):
        return BiasGradient(f"f{i}", "net", "b", sp.Integer(value), sp.Integer(1), "linear")

    step = one(0, 0)  # exactly zero at the bottom, a float trace of it above
    steps = {"f0": 0.0}
    for i in range(1, 5000):
        step = Chain(f"c{i}", (step, one(i, 1)))
        steps[f"c{i}"], steps[f"f{i}"] = 1e-300, 1.0
    exact = Exact(SimpleNamespace(steps=steps, values={}))
    assert exact.is_zero(step) and exact.value(step) == 0.0
