"""Property tests: random networks of every activation, loss and bias style, three ways.

Weights, biases and inputs up to ±3, targets anywhere the loss allows (any real for squared
errors, [0, 1] for cross-entropies, any probability distribution for softmax), up to 4 weight
layers. A right derivation must never be refused: verify raises on any disagreement.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symbackprop.definitions.definition import Network, Values
from symbackprop.engine import numeric
from symbackprop.engine.derivation import derive_all
from symbackprop.engine.graph import build
from symbackprop.engine.sample import Instance
from symbackprop.engine.verify import verify

HIDDEN = ["sigmoid", "tanh", "relu", "identity"]
OUTPUT_LOSSES = [  # (output activation, loss) pairs the definition schema allows
    (act, loss) for act in HIDDEN for loss in ("half_sse", "sse", "mse")
] + [("sigmoid", "binary_cross_entropy"), ("sigmoid", "cross_entropy"),
     ("softmax", "cross_entropy")]


def _two_decimals(low, high):
    return st.floats(low, high, allow_nan=False).map(lambda v: round(v, 2))


number = _two_decimals(-3, 3)


@st.composite
def targets(draw, out_act, loss, n):
    if out_act == "softmax":  # any distribution: one-hot, soft, with zeros
        weights = draw(st.lists(st.sampled_from([0.0, 0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0]),
                                min_size=n, max_size=n).filter(any))
        return tuple(w / sum(weights) for w in weights)
    if loss in ("cross_entropy", "binary_cross_entropy"):
        return tuple(draw(st.one_of(_two_decimals(0, 1), st.sampled_from([0.0, 1.0])))
                     for _ in range(n))
    return tuple(draw(number) for _ in range(n))


@st.composite
def instances(draw):
    sizes = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=5)))
    out_act, loss = draw(st.sampled_from(OUTPUT_LOSSES))
    acts = tuple(draw(st.sampled_from(HIDDEN)) for _ in sizes[2:]) + (out_act,)
    bias = draw(st.sampled_from(["shared", "per_neuron", "none"]))
    net = Network(sizes, acts, loss, bias)
    weights = tuple(tuple(tuple(draw(number) for _ in range(sizes[l - 1]))
                          for _ in range(sizes[l])) for l in range(1, len(sizes)))
    biases = None
    if bias != "none":
        biases = tuple(tuple(draw(number) for _ in range(1 if bias == "shared" else n))
                       for n in sizes[1:])
    inputs = tuple(draw(number) for _ in range(sizes[0]))
    rate = draw(st.sampled_from([0.1, 0.5, 1.0]))
    return Instance(net, Values(inputs, draw(targets(out_act, loss, sizes[-1])), weights,
                                biases), rate, draw(st.booleans()))


def _off_the_corner(inst):
    """A ReLU exactly at its corner has no derivative and is refused on purpose."""
    layers = numeric.forward(inst, numeric.params(inst))
    return all(np.abs(layer.net).min() >= 1e-6 for act, layer
               in zip(inst.network.activations, layers) if act == "relu")


def _three_ways(inst):
    assume(_off_the_corner(inst))
    graph = build(inst.network)
    r = verify(derive_all(graph), inst)  # raises if any number disagrees
    assert set(r.grads) == set(graph.params)
    grads = numeric.gradients(inst, numeric.params(inst))
    scale = numeric.magnitudes(inst, numeric.params(inst)).W[0][0][0]
    assert abs(grads.W[0][0][0] - r.grads["W[1][1][1]"]) <= 1e-9 * abs(grads.W[0][0][0]) \
        + 1e-12 * scale
    assert all(np.isfinite(v) for v in [*r.values.values(), *r.steps.values(),
                                        *r.updated.values()])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_symbolic_numpy_and_finite_differences_agree(inst):
    _three_ways(inst)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_thousands_of_networks_are_never_refused(inst):
    _three_ways(inst)
