"""The structured derivations against plain sympy.diff, and their size."""

import random

import pytest
import sympy as sp

from symbackprop.definitions.definition import Network
from symbackprop.engine.derivation import derive, derive_all
from symbackprop.engine.graph import build, expand
from symbackprop.engine.steps import Chain, PathSum, compose, flatten, walk

SMALL = [
    Network((2, 2, 2), ("sigmoid", "sigmoid"), "half_sse", "shared"),
    Network((2, 2, 1), ("tanh", "identity"), "mse", "per_neuron"),
    Network((1, 2, 2), ("relu", "sigmoid"), "binary_cross_entropy", "none"),
    Network((2, 1, 3), ("sigmoid", "softmax"), "cross_entropy", "per_neuron"),
    Network((2, 2, 2, 1), ("tanh", "sigmoid", "sigmoid"), "sse", "shared"),
    Network((2, 2), ("sigmoid",), "cross_entropy", "shared"),
]


def _random_point(graph, rng):
    point = {sym: sp.Float(rng.uniform(-1, 1), 30)
             for name, sym in graph.symbols.items() if name[0] in "xWb"}
    targets = [sym for name, sym in graph.symbols.items() if name[0] == "t"]
    values = [sp.Float(rng.uniform(0.05, 0.95), 30) for _ in targets]
    if graph.network.activations[-1] == "softmax":  # y − t needs a distribution: Σt = 1
        values = [v / sp.Add(*values) for v in values]
    point |= dict(zip(targets, values))
    return point


@pytest.mark.parametrize("network", SMALL, ids=lambda n: "-".join(map(str, n.layers)) + n.loss)
def test_derivation_equals_sympy_diff(network):
    graph = build(network)
    loss = expand(graph, graph.equations["J"])
    rng = random.Random(1)
    points = [_random_point(graph, rng) for _ in range(3)]
    for param in graph.params:
        ours = expand(graph, compose(derive(graph, param)))
        plain = sp.diff(loss, graph[param])
        for point in points:
            a, b = ours.xreplace(point).evalf(30), plain.xreplace(point).evalf(30)
            assert abs(a - b) <= 1e-20 * max(1, abs(b)), (param, a, b)


def test_derivation_simplifies_to_sympy_diff_symbolically():
    graph = build(Network((1, 1, 1), ("sigmoid", "sigmoid"), "half_sse", "per_neuron"))
    loss = expand(graph, graph.equations["J"])
    for param in graph.params:
        ours = expand(graph, compose(derive(graph, param)))
        assert sp.simplify(ours - sp.diff(loss, graph[param])) == 0


def test_output_weight_is_three_factors_hidden_weight_sums_paths():
    graph = build(SMALL[0])
    out = flatten(derive(graph, "W[2][1][1]"))
    assert [f.target for f in out] == [
        "dJ/dout[2][1]", "dout[2][1]/dnet[2][1]", "dnet[2][1]/dW[2][1][1]"]
    hidden = flatten(derive(graph, "W[1][1][1]"))
    assert isinstance(hidden[0], PathSum) and len(hidden[0].terms) == 2  # one path per output
    assert [f.target for f in hidden[1:]] == ["dout[1][1]/dnet[1][1]", "dnet[1][1]/dW[1][1][1]"]


def test_each_neuron_delta_is_built_once_and_shared():
    d = derive_all(build(SMALL[4]))
    deltas = {id(f) for s in d.grads.values() for f in flatten(s)
              if isinstance(f, Chain) or isinstance(f, PathSum)}
    w1 = d.grads["W[2][1][1]"].factors[0]
    w2 = d.grads["W[2][1][2]"].factors[0]
    assert w1 is w2 is d.deltas["dJ/dnet[2][1]"]
    assert deltas  # chains of hidden layers are reused objects, not copies


def test_size_grows_linearly_with_parameters():
    def distinct_steps(sizes):
        d = derive_all(build(Network(sizes, ("sigmoid",) * (len(sizes) - 1), "half_sse",
                                     "per_neuron")))
        seen = set()
        for step in d.grads.values():
            seen.update(s.target for s in walk(step))
        return len(seen), len(d.grads)

    small_steps, small_params = distinct_steps((8, 8, 8, 8))
    big_steps, big_params = distinct_steps((32, 32, 32, 32))
    # per parameter, the number of distinct steps stays bounded (no blow-up over paths)
    assert big_steps / big_params <= 1.1 * small_steps / small_params
    assert big_steps < 6 * big_params


def test_loss_forms_keep_the_rule_as_written():
    """2(out − t), not SymPy's distributed 2out − 2t; the value is the same."""
    sse = flatten(derive(build(Network((1, 1), ("identity",), "sse", "none")), "W[1][1][1]"))[0]
    assert str(sse.general) == "2*(out - t)" and str(sse.expr) == "2*(out[1][1] - t[1])"
    out, t = sp.Symbol("out[1][1]", real=True), sp.Symbol("t[1]", real=True)
    assert float(sse.expr.xreplace({out: sp.Float(0.75), t: sp.Float(0.25)})) == 1.0
    mse = flatten(derive(build(Network((1, 2), ("identity",), "mse", "none")), "W[1][1][1]"))[0]
    assert str(mse.general) == "2*(out - t)/n" and str(mse.expr) == "2*(out[1][1] - t[1])/2"


def test_relu_slope_is_relu_prime_and_agrees_with_sympy_diff_of_max():
    graph = build(Network((1, 1), ("relu",), "half_sse", "none"))
    slope = flatten(derive(graph, "W[1][1][1]"))[1]
    assert str(slope.general) == "ReLU'(net)" and str(slope.expr) == "ReLU'(net[1][1])"
    net = graph["net[1][1]"]
    plain = sp.diff(sp.Max(0, net), net)
    for z in (-1.5, -1e-3, 1e-3, 2.0):
        assert slope.expr.xreplace({net: sp.Float(z)}) == plain.xreplace({net: sp.Float(z)})
