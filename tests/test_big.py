"""Big networks: verification that stays linear in the parameters and keeps its strength.

Above verify.FD_EVERY parameters, finite differences take a seeded sample of parameters one at
a time and the whole gradient along random ±1 directions; `derive --param` derives and
verifies only what its parameter needs. Checked against finite differences of every
parameter, a NumPy backward pass written here, and the full derivation.
"""

import json
import re

import numpy as np
import pytest
import yaml

from symbackprop.cli import main
from symbackprop.definitions.definition import parse
from symbackprop.definitions.errors import VerificationError
from symbackprop.engine import differences, numeric, report, verify
from symbackprop.engine.sample import instance

MID = (40, 36, 12)  # 1,944 parameters: every one can be differenced to compare with
MID_PARAMS = 40 * 36 + 36 + 36 * 12 + 12


def _definition(layers=MID, seed=11):
    return parse(yaml.safe_dump({
        "network": {"layers": list(layers), "activation": ["sigmoid", "softmax"],
                    "loss": "cross_entropy", "bias": "per_neuron"},
        "seed": seed}))


def _plain_gradient(inst) -> np.ndarray:
    """A sigmoid hidden layer and softmax with cross-entropy, backward by hand: every weight,
    then every bias, in reading order."""
    x, t = np.array(inst.values.inputs), np.array(inst.values.targets)
    (W1, W2), (b1, b2) = (np.array(w) for w in inst.values.weights), \
        (np.array(b) for b in inst.values.biases)
    z1 = W1 @ x + b1
    h = 1 / (1 + np.exp(-z1))
    z = W2 @ h + b2
    y = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    d2 = y - t
    d1 = (W2.T @ d2) * h / (1 + np.exp(z1))  # σ'(z) = σ(z)σ(−z): 1 − σ cancels when saturated
    return np.concatenate([np.outer(d1, x).ravel(), np.outer(d2, h).ravel(), d1, d2])


@pytest.fixture(scope="module")
def mid():
    d = _definition()
    inst = instance(d)
    return d, inst, verify.run(d, inst)


def test_a_mid_size_network_is_differenced_in_every_parameter(mid):
    d, inst, r = mid
    check = r.finite_differences
    assert (check.method, check.parameters, check.of, check.directions) == (
        "every_parameter", MID_PARAMS, MID_PARAMS, 0)
    ours = np.array([r.grads[p] for p in r.derivation.graph.params])
    assert np.allclose(ours, _plain_gradient(inst), rtol=1e-10, atol=1e-16)


def test_sampled_and_directional_checks_agree_with_full_finite_differences(mid, monkeypatch):
    d, inst, full = mid
    monkeypatch.setattr(verify, "FD_EVERY", 100)
    r = verify.run(d, inst)
    check = r.finite_differences
    p = numeric.params(inst)
    sample = verify._sample(p, MID_PARAMS)
    assert (check.method, check.parameters, check.of, check.directions, check.seed) == (
        "sample_and_directions", len(sample), MID_PARAMS, verify.FD_DIRECTIONS, verify.FD_SEED)
    assert len(sample) >= verify.FD_SAMPLE and len(set(sample.tolist())) == len(sample)
    assert r.grads == full.grads and r.updated == full.updated
    assert check.directional_max_rel_err < 1e-9
    # the sample, differenced one at a time, is exactly the full differences at those places
    fd, err = (numeric.flatten(q) for q in differences.finite_differences(inst))
    fd_sample, _ = differences.finite_differences_at(inst, verify._coordinates(p, sample))
    assert np.array_equal(fd_sample, fd[sample])
    # each direction's difference agrees with the full differences summed along it, and with
    # the hand-written backward pass, within the bounds
    plain = _plain_gradient(inst)
    signs = verify._signs(MID_PARAMS)
    along, along_err = differences.directional_derivatives(
        inst, [numeric.unflatten(v, p) for v in signs])
    for v, a, e in zip(signs, along, along_err):
        assert abs(a - fd @ v) <= e + err.sum()
        assert abs(a - plain @ v) <= e + 1e-12 * np.abs(plain).sum()
        assert e < 1e-6 * np.abs(plain).sum()


def test_one_wrong_gradient_entry_is_caught_by_every_direction(mid):
    """e·v = ±e_k for every direction v of ±1's when only entry k is wrong: each direction
    sees the whole error, whatever the seed."""
    d, inst, r = mid
    p = numeric.params(inst)
    g = np.array([r.grads[q] for q in r.derivation.graph.params])
    signs = verify._signs(g.size)
    _, along_err = differences.directional_derivatives(
        inst, [numeric.unflatten(v, p) for v in signs])
    k = 5 * 40 + 17  # W[1][6][18]
    off = 4 * along_err.max() + 1e-12 * np.abs(g).sum()
    assert off < 1e-6 * np.abs(g).max()  # far smaller than the gradient's entries
    wrong = g.copy()
    wrong[k] += off
    for v in signs:
        assert abs((wrong - g) @ v) == pytest.approx(off, rel=1e-12)
    with pytest.raises(VerificationError, match=r"random direction 1 of 20 \(seed 0\)"):
        verify._directions(inst, p, wrong, None, 0)
    verify._directions(inst, p, g, None, 0)  # and the right gradient passes


def test_errors_that_cancel_in_some_directions_are_caught_by_the_others(mid):
    """Two entries wrong by +ε and −ε: e·v = ε(v_a − v_b) is 0 when v_a = v_b, which a
    direction has with probability ½, so all 20 miss with probability 2^-20; these seeded
    ones catch it in every direction where the signs differ."""
    d, inst, r = mid
    p = numeric.params(inst)
    g = np.array([r.grads[q] for q in r.derivation.graph.params])
    signs = verify._signs(g.size)
    a, b = 3, 40 * 36 + 7
    differ = [i for i, v in enumerate(signs, start=1) if v[a] != v[b]]
    assert 0 < len(differ) < len(signs)
    wrong = g.copy()
    eps = 1e-6 * np.abs(g).max()
    wrong[a] += eps
    wrong[b] -= eps
    with pytest.raises(VerificationError, match=rf"random direction {differ[0]} of 20"):
        verify._directions(inst, p, wrong, None, 0)


@pytest.mark.parametrize("param", ["W[1][7][23]", "W[2][3][30]", "b[1][36]", "b[2][12]"])
def test_param_derives_and_verifies_what_the_full_derivation_does(mid, monkeypatch, param):
    d, inst, full = mid
    monkeypatch.setattr(verify, "FD_EVERY", 100)
    r = verify.run_params(d, inst, [param])
    assert r.grads == {param: full.grads[param]}
    assert r.updated == {param: full.updated[param]}
    assert report.derivation_text(r, param) == report.derivation_text(full, param)
    assert report.deltas_text(r, [param]) == report.deltas_text(full, [param])
    assert report.forward_text(r) == report.forward_text(full)
    check = r.finite_differences
    assert (check.method, check.parameters, check.of) == (
        "parameters_and_directions", 1, MID_PARAMS)
    needed = re.findall(r"^dJ/dnet\S+", report.deltas_text(r, [param]), re.M)
    assert sorted(r.derivation.deltas) == sorted(needed)
    assert len(needed) == (1 + MID[-1] if param[2] == "1" else 1)


def test_param_on_the_command_line_prints_the_full_derivations_block(write, capsys,
                                                                     monkeypatch):
    path = write(yaml.safe_dump({"network": {"layers": [6, 5, 3], "activation": "tanh",
                                             "loss": "half_sse", "bias": "shared"},
                                 "seed": 4}))
    assert main(["derive", str(path)]) == 0
    whole = capsys.readouterr().out
    monkeypatch.setattr(verify, "FD_EVERY", 10)
    assert main(["derive", str(path), "--param", "W[1][2][4]", "--param", "b[1]"]) == 0
    some = capsys.readouterr().out
    for block in ("dJ/dW[1][2][4] = ", "dJ/db[1] = "):
        start = some.index(block)
        text = some[start:some.index("\n\n", start)]
        assert text in whole
    assert "on the 2 parameters shown; the whole network's NumPy gradient along 20" in some


def test_json_says_how_finite_differences_were_done(write, capsys, monkeypatch):
    path = write(yaml.safe_dump({"network": {"layers": [3, 4, 2], "activation": "sigmoid",
                                             "loss": "half_sse", "bias": "per_neuron"},
                                 "seed": 2}))
    assert main(["derive", str(path), "--json"]) == 0
    small = json.loads(capsys.readouterr().out)["verification"]
    assert small["finite_differences"] == {
        "method": "every_parameter", "parameters": 26, "of": 26, "directions": 0,
        "seed": None, "directional_max_rel_err": None}
    monkeypatch.setattr(verify, "FD_EVERY", 20)
    monkeypatch.setattr(verify, "FD_SAMPLE", 8)
    assert main(["derive", str(path), "--json"]) == 0
    big = json.loads(capsys.readouterr().out)["verification"]["finite_differences"]
    # every weight matrix and bias vector gives its share of 8, at least 4 or all it has
    assert big["method"] == "sample_and_directions" and big["parameters"] == 4 + 4 + 4 + 2
    assert (big["of"], big["directions"], big["seed"]) == (26, 20, 0)
    assert 0 <= big["directional_max_rel_err"] < 1e-9


def test_an_mnist_shaped_network_from_a_seed_derives_one_parameter(write, capsys):
    """784-128-10 given only by its shape and a seed: no 101,770 numbers to write."""
    path = write("network: {layers: [784, 128, 10], activation: [sigmoid, softmax], "
                 "loss: cross_entropy, bias: per_neuron}\nseed: 1\n")
    assert main(["derive", str(path), "--param", "W[1][5][300]"]) == 0
    out = capsys.readouterr().out
    block = out[out.index("dJ/dW[1][5][300] = "):]
    printed = float(block.split("\n  = ", 1)[1].split()[0])
    plain = _plain_gradient(instance(parse(path.read_text())))
    assert printed == pytest.approx(plain[4 * 784 + 299], rel=1e-8)
    assert "on the 1 parameter shown; the whole network's NumPy gradient along 20" in out
    assert out.count("\ndJ/dnet[") == 10 + 1  # the output layer's δ's, then its own


@pytest.mark.slow
def test_an_mnist_shaped_network_derives_every_parameter(write, capsys):
    path = write("network: {layers: [784, 128, 10], activation: [sigmoid, softmax], "
                 "loss: cross_entropy, bias: per_neuron}\nseed: 1\n")
    assert main(["derive", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    plain = _plain_gradient(instance(parse(path.read_text())))
    ours = np.concatenate([np.ravel(w) for w in out["grad"]["W"]]
                          + [np.ravel(b) for b in out["grad"]["b"]])
    assert np.allclose(ours, plain, rtol=1e-9, atol=1e-18)
    check = out["verification"]["finite_differences"]
    assert (check["method"], check["of"], check["directions"]) == (
        "sample_and_directions", 101_770, 20)
