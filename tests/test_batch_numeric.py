"""The NumPy evaluator on a batch (one column per example): the batch's gradient is the sum,
or the mean, of each example's gradient, computed one example at a time by the same evaluator
the engine is verified against."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbackprop.definitions.definition import Network, Values
from symbackprop.engine import numeric
from symbackprop.engine.sample import Instance

NETWORKS = [  # (activations, loss): every output rule the evaluator has
    (("sigmoid", "sigmoid"), "half_sse"), (("tanh", "identity"), "sse"),
    (("relu", "sigmoid"), "mse"), (("sigmoid", "softmax"), "cross_entropy"),
    (("tanh", "sigmoid"), "binary_cross_entropy"), (("identity", "sigmoid"), "cross_entropy"),
]


def _instance(rng, sizes, acts, loss, bias) -> Instance:
    W = tuple(tuple(map(tuple, rng.uniform(-1, 1, (sizes[l], sizes[l - 1]))))
              for l in range(1, len(sizes)))
    b = None if bias == "none" else tuple(
        tuple(rng.uniform(-1, 1, 1 if bias == "shared" else sizes[l]))
        for l in range(1, len(sizes)))
    t = rng.dirichlet(np.ones(sizes[-1])) if loss == "cross_entropy" and acts[-1] == "softmax" \
        else rng.uniform(0.05, 0.95, sizes[-1])
    return Instance(Network(sizes, acts, loss, bias),
                    Values(tuple(rng.uniform(-1, 1, sizes[0])), tuple(t), W, b), 0.5, True)


def _one(inst: Instance, x, t) -> numeric.Params:
    return numeric.gradients(replace(inst, values=replace(inst.values, inputs=tuple(x),
                                                          targets=tuple(t))), numeric.params(inst))


def _flat(g: numeric.Params) -> np.ndarray:
    return np.concatenate([w.ravel() for w in g.W] + [b.ravel() for b in (g.b or [])])


@pytest.mark.parametrize("acts, loss", NETWORKS)
@pytest.mark.parametrize("bias", ["shared", "per_neuron", "none"])
def test_a_batch_is_the_sum_or_mean_of_its_examples(acts, loss, bias):
    rng = np.random.default_rng(abs(hash((acts, loss, bias))) % 2**32)
    inst = _instance(rng, (3, 4, 2 if acts[-1] != "softmax" else 3), acts, loss, bias)
    E = 5
    X = rng.uniform(-1, 1, (3, E))
    T = np.stack([_instance(rng, inst.network.layers, acts, loss, bias).values.targets
                  for _ in range(E)], axis=1)
    p = numeric.params(inst)
    each = sum(_flat(_one(inst, X[:, e], T[:, e])) for e in range(E))
    total = _flat(numeric.batch_gradients(inst, p, X, T, "sum"))
    mean = _flat(numeric.batch_gradients(inst, p, X, T, "mean"))
    assert total == pytest.approx(each, rel=1e-12, abs=1e-15)
    assert mean == pytest.approx(each / E, rel=1e-12, abs=1e-15)


@settings(max_examples=30, deadline=None)
@given(copies=st.integers(1, 6), seed=st.integers(0, 2**32 - 1),
       net=st.sampled_from(NETWORKS))
def test_e_copies_of_one_example(copies, seed, net):
    """E copies: E times the example's gradient with sum, the same with mean."""
    acts, loss = net
    rng = np.random.default_rng(seed)
    inst = _instance(rng, (2, 3, 3), acts, loss, "per_neuron")
    x, t = np.array(inst.values.inputs), np.array(inst.values.targets)
    X, T = np.tile(x[:, None], copies), np.tile(t[:, None], copies)
    p = numeric.params(inst)
    one = _flat(numeric.gradients(inst, p))
    assert _flat(numeric.batch_gradients(inst, p, X, T, "sum")) == pytest.approx(
        copies * one, rel=1e-12, abs=1e-15)
    assert _flat(numeric.batch_gradients(inst, p, X, T, "mean")) == pytest.approx(
        one, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("acts, loss", NETWORKS)
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_the_batch_gradient_is_the_slope_of_the_batch_loss(acts, loss, reduction):
    """Central differences of batch_loss, and its value against each example's loss."""
    rng = np.random.default_rng(len(acts[0]) * 7 + len(loss))
    inst = _instance(rng, (3, 4, 3), acts, loss, "per_neuron")
    X = rng.uniform(-1, 1, (3, 4))
    T = np.stack([_instance(rng, (3, 4, 3), acts, loss, "per_neuron").values.targets
                  for _ in range(4)], axis=1)
    p = numeric.params(inst)
    each = [float(numeric.loss(replace(inst, values=replace(
        inst.values, inputs=tuple(X[:, e]), targets=tuple(T[:, e]))), p)) for e in range(4)]
    J = numeric.batch_loss(inst, p, X, T, reduction)
    assert J == pytest.approx(sum(each) if reduction == "sum" else sum(each) / 4, rel=1e-13)
    g = numeric.batch_gradients(inst, p, X, T, reduction)
    h = 1e-6
    for l, j, k in [(0, 1, 2), (1, 2, 0), (1, 0, 3)]:
        up, down = [w.copy() for w in p.W], [w.copy() for w in p.W]
        up[l][j, k] += h
        down[l][j, k] -= h
        slope = (numeric.batch_loss(inst, replace(p, W=up), X, T, reduction)
                 - numeric.batch_loss(inst, replace(p, W=down), X, T, reduction)) / (2 * h)
        assert g.W[l][j, k] == pytest.approx(slope, rel=1e-6, abs=1e-9)
