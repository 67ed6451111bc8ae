"""Property tests: random small networks of every activation, loss and bias style, three ways."""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symbackprop import numeric
from symbackprop.definition import Network, Values
from symbackprop.derive import derive_all
from symbackprop.graph import build
from symbackprop.sample import Instance
from symbackprop.verify import TOLERANCE, verify

HIDDEN = ["sigmoid", "tanh", "relu", "identity"]
OUTPUT_LOSSES = [  # (output activation, loss) pairs the definition schema allows
    (act, loss) for act in HIDDEN for loss in ("half_sse", "sse", "mse")
] + [("sigmoid", "binary_cross_entropy"), ("sigmoid", "cross_entropy"),
     ("softmax", "cross_entropy")]

number = st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 2))


@st.composite
def instances(draw):
    sizes = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=4)))
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
    n_out = sizes[-1]
    if out_act == "softmax":
        hot = draw(st.integers(0, n_out - 1))
        targets = tuple(float(i == hot) for i in range(n_out))
    else:
        targets = tuple(draw(st.floats(0.05, 0.95).map(lambda v: round(v, 2)))
                        for _ in range(n_out))
    inputs = tuple(draw(number) for _ in range(sizes[0]))
    rate = draw(st.sampled_from([0.1, 0.5, 1.0]))
    return Instance(net, Values(inputs, targets, weights, biases), rate,
                    draw(st.booleans()))


def _away_from_kinks(inst):
    """Finite differences cannot see a ReLU's slope at 0: keep every net clear of it."""
    layers = numeric.forward(inst, numeric.params(inst))
    return all(np.abs(layer.net).min() > 1e-3 for layer in layers)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_symbolic_numpy_and_finite_differences_agree(inst):
    assume(_away_from_kinks(inst))
    r = verify(derive_all(build(inst.network)), inst)  # raises if any number disagrees
    assert r.fd_max_rel_err <= TOLERANCE
    assert set(r.grads) == set(build(inst.network).params)
    grads = numeric.gradients(inst, numeric.params(inst))
    assert np.allclose(grads.W[0][0][0], r.grads["W[1][1][1]"], rtol=1e-12, atol=1e-15)
