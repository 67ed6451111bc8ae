"""A batch of examples worked by hand: J = Σ_e J@e (or the mean), every example's chain, the
summed gradient, verified three ways; checked here against arithmetic written out in the test,
against plain `sympy.diff` of the summed loss, and against PyTorch where it is installed."""

import json
import math
import subprocess
import sys
from pathlib import Path
from string import Template

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symbackprop.definitions.definition import DefinitionError, parse
from symbackprop.engine import numeric
from symbackprop.engine.sample import instance
from symbackprop.engine.verify import run

BATCH = """
network: {layers: [2, 2, 1], activation: sigmoid, loss: half_sse, bias: per_neuron}
values:
  examples:
    - {inputs: [3, 1], targets: [1]}
    - {inputs: [-1, 4], targets: [0]}
  weights: [[[0.15, 0.2], [0.25, 0.3]], [[0.4, 0.45]]]
  biases: [[0.35, 0.35], [0.6]]
learning_rate: 0.5
"""


def _cli(*args):
    """The command a user runs: the console script installed beside this Python."""
    return subprocess.run([str(Path(sys.executable).parent / "symbackprop"), *args],
                          capture_output=True, text=True, timeout=300)


def _derive_json(path) -> dict:
    out = _cli("derive", str(path), "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _by_hand(x, t):
    """One example through the 2-2-1 network, written out as a student would."""
    s = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    W1, b1, W2, b2 = [[0.15, 0.2], [0.25, 0.3]], [0.35, 0.35], [0.4, 0.45], 0.6
    h = [s(W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j]) for j in range(2)]
    y = s(W2[0] * h[0] + W2[1] * h[1] + b2)
    d2 = (y - t) * y * (1 - y)
    d1 = [d2 * W2[j] * h[j] * (1 - h[j]) for j in range(2)]
    grads = {"W[2][1][1]": d2 * h[0], "W[2][1][2]": d2 * h[1], "b[2][1]": d2,
             "W[1][1][1]": d1[0] * x[0], "W[1][2][2]": d1[1] * x[1], "b[1][2]": d1[1]}
    return 0.5 * (t - y) ** 2, y, d2, grads


def test_two_examples_by_hand_and_by_the_engine(write):
    got = _derive_json(write(BATCH))
    J1, y1, d1, g1 = _by_hand((3, 1), 1)
    J2, y2, d2, g2 = _by_hand((-1, 4), 0)
    assert got["loss"] == pytest.approx(J1 + J2, rel=1e-12)
    assert got["batch_loss"] == "sum"
    assert [e["loss"] for e in got["examples"]] == pytest.approx([J1, J2], rel=1e-12)
    assert [e["outputs"][0] for e in got["examples"]] == pytest.approx([y1, y2], rel=1e-12)
    assert [e["deltas"][1][0] for e in got["examples"]] == pytest.approx([d1, d2], rel=1e-12)
    W, b = got["grad"]["W"], got["grad"]["b"]
    flat = {"W[2][1][1]": W[1][0][0], "W[2][1][2]": W[1][0][1], "b[2][1]": b[1][0],
            "W[1][1][1]": W[0][0][0], "W[1][2][2]": W[0][1][1], "b[1][2]": b[0][1]}
    for name, value in flat.items():
        assert value == pytest.approx(g1[name] + g2[name], rel=1e-12), name
    # one step on the whole batch
    assert got["update"]["W"][1][0][0] == pytest.approx(0.4 - 0.5 * flat["W[2][1][1]"],
                                                        rel=1e-12)
    v = got["verification"]
    assert v["numpy_max_abs_diff"] < 1e-15 and v["finite_difference_max_rel_err"] < 1e-9


def test_the_summed_gradient_is_plain_sympy_diff_of_the_summed_loss():
    """The loss of both examples written as one SymPy expression and differentiated whole."""
    w = sp.symbols("w1:7", real=True)
    b = sp.symbols("b1:4", real=True)
    sig = lambda z: 1 / (1 + sp.exp(-z))  # noqa: E731

    def J(x, t):
        h1 = sig(w[0] * x[0] + w[1] * x[1] + b[0])
        h2 = sig(w[2] * x[0] + w[3] * x[1] + b[1])
        return sp.Rational(1, 2) * (t - sig(w[4] * h1 + w[5] * h2 + b[2])) ** 2

    total = J((3, 1), 1) + J((-1, 4), 0)
    at = dict(zip(w + b, [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.35, 0.35, 0.6]))
    names = ["W[1][1][1]", "W[1][1][2]", "W[1][2][1]", "W[1][2][2]", "W[2][1][1]",
             "W[2][1][2]", "b[1][1]", "b[1][2]", "b[2][1]"]
    d = parse(BATCH)
    r = run(d, instance(d))
    for symbol, name in zip(w + b, names):
        expected = float(sp.diff(total, symbol).evalf(30, subs=at))
        assert r.grads[name] == pytest.approx(expected, rel=1e-12), name
    for mean in (False, True):
        dm = parse(BATCH + ("batch_loss: mean\n" if mean else ""))
        rm = run(dm, instance(dm))
        assert rm.values["J"] == pytest.approx(float(total.evalf(30, subs=at)) / (2 if mean
                                                                                  else 1))


def test_mean_is_the_sum_over_the_number_of_examples(write):
    total = _derive_json(write(BATCH, "sum.yaml"))
    mean = _derive_json(write(BATCH + "batch_loss: mean\n", "mean.yaml"))
    assert mean["batch_loss"] == "mean"
    assert mean["loss"] == pytest.approx(total["loss"] / 2, rel=1e-14)
    assert np.allclose(np.concatenate([np.ravel(m) for m in mean["grad"]["W"]]),
                       np.concatenate([np.ravel(m) for m in total["grad"]["W"]]) / 2,
                       rtol=1e-14, atol=0)
    assert mean["examples"] == total["examples"]  # each example's own chain is the same


def test_text_shows_each_example_then_the_sum(write):
    out = _cli("derive", str(write(BATCH)), "--param", "W[2][1][1]")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for line in ("Example 1", "Example 2", "Loss J@1 = ½Σ(t − out)² = ",
                 "Batch loss: J = J@1 + J@2",
                 "dJ/dW[2][1][1] = dJ@1/dW[2][1][1] + dJ@2/dW[2][1][1]",
                 "example 2: dJ@2/dW[2][1][1] = dJ@2/dnet[2][1]@2 · out[1][1]@2 = "):
        assert line in text, line
    J1, y1, d1, g1 = _by_hand((3, 1), 1)
    J2, y2, d2, g2 = _by_hand((-1, 4), 0)
    assert f"= {g1['W[2][1][1]'] + g2['W[2][1][1]']:.9g}\n" in text
    assert "net[2][1]@2 = " in text and f"out[2][1]@2 = {y2:.9g}" in text


def test_a_batch_trains_full_batch_steps_as_pytorch_does(write):
    torch = pytest.importorskip("torch")
    out = _cli("train", str(write(BATCH)), "--steps", "5", "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 1),
                              torch.nn.Sigmoid()).double()
    with torch.no_grad():
        for param, value in zip(net.parameters(), ([[0.15, 0.2], [0.25, 0.3]], [0.35, 0.35],
                                                   [[0.4, 0.45]], [0.6])):
            param[:] = torch.tensor(value, dtype=torch.float64)
    X = torch.tensor([[3.0, 1.0], [-1.0, 4.0]], dtype=torch.float64)
    T = torch.tensor([[1.0], [0.0]], dtype=torch.float64)
    sgd, history = torch.optim.SGD(net.parameters(), lr=0.5), []
    for step in range(6):
        sgd.zero_grad()
        loss = 0.5 * ((net(X) - T) ** 2).sum()
        history.append(loss.item())
        if step < 5:
            loss.backward()
            sgd.step()
    assert got["loss_history"] == pytest.approx(history, rel=1e-12)
    with torch.no_grad():  # a list of outputs per example, after the 5 steps
        assert np.allclose(got["outputs"], net(X).numpy(), rtol=1e-12, atol=0)


AUDIT = BATCH + """
claimed:
  J: $J
  J@1: $J1
  out[2][1]@2: $y2
  dJ@1/dnet[2][1]@1: $d1
  dJ/dW[2][1][1]: $g
  new W[2][1][1]: $new
  loss_after_steps: {2: $after}
"""


def test_a_batch_audit_finds_right_figures_and_names_wrong_ones(write):
    J1, y1, d1, g1 = _by_hand((3, 1), 1)
    J2, y2, d2, g2 = _by_hand((-1, 4), 0)
    g = g1["W[2][1][1]"] + g2["W[2][1][1]"]
    d = parse(BATCH)
    after = numeric.train(instance(d), 2)[0][2]
    right = dict(J=f"{J1 + J2:.4f}", J1=f"{J1:.4f}", y2=f"{y2:.4f}", d1=f"{d1:.4f}",
                 g=f"{g:.4f}", new=f"{0.4 - 0.5 * g:.4f}", after=f"{after:.4f}")
    out = _cli("audit", str(write(Template(AUDIT).substitute(right), "right.yaml")), "--json")
    assert out.returncode == 0, out.stderr
    claims = json.loads(out.stdout)["claims"]
    assert [c["verdict"] for c in claims] == ["consistent"] * 7, claims
    wrong = dict(right, J=f"{J1:.4f}", y2=f"{1 - y2:.4f}", d1=f"{-d1:.4f}", g=f"{g / 2:.4f}",
                 new=f"{0.4 - 0.5 * g1['W[2][1][1]']:.4f}")
    out = _cli("audit", str(write(Template(AUDIT).substitute(wrong), "wrong.yaml")), "--json")
    claims = {c["name"]: c for c in json.loads(out.stdout)["claims"]}
    assert {n: (c["verdict"], c["diagnosis"]) for n, c in claims.items()} == {
        "J": ("inconsistent", "one_example"), "J@1": ("consistent", None),
        "out[2][1]@2": ("inconsistent", "sigmoid_of_negative"),
        "dJ@1/dnet[2][1]@1": ("inconsistent", "sign"),
        "dJ/dW[2][1][1]": ("inconsistent", "mean_for_sum"),
        "new W[2][1][1]": ("inconsistent", "one_example"),
        "loss after 2 steps": ("consistent", None)}


@pytest.mark.parametrize("values, key, fragment", [
    ("{examples: [{inputs: [1, 2], targets: [1]}], inputs: [1, 2]}", "values.inputs",
     "beside values.examples"),
    ("{examples: [{inputs: [1], targets: [1]}]}", "values.examples[0].inputs",
     "must have 2 numbers"),
    ("{examples: [{inputs: [1, 2], target: [1]}]}", "values.examples[0].target",
     "unknown key"),
    ("{examples: []}", "values.examples", "1 to 100 examples"),
    ("{examples: 101}", "values.examples", "from 1 to 100"),
])
def test_bad_batches_are_refused_naming_the_key(values, key, fragment):
    head = "network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\n"
    with pytest.raises(DefinitionError) as err:
        parse(head + f"values: {values}\n", source="b.yaml")
    assert err.value.key == key and fragment in err.value.problem, str(err.value)


@pytest.mark.parametrize("extra, key, fragment", [
    ("values: {inputs: [1, 2]}\nbatch_loss: mean", "batch_loss", "is for a batch"),
    ("values: {inputs: [1, 2]}\nask: ['out[1][1]@1']", "ask[0]", "leave out the '@'"),
    ("values: {examples: 2}\nask: ['out[1][1]@3']", "ask[0]", "has 2 examples"),
    ("values: {examples: 2}\nask: ['out[1][1]']", "ask[0]", "a worksheet asks for a weight's"),
    ("values: {examples: 2}\nnames: {o: 'out[1][1]'}", "names.o", "name it, as in out[1][1]@1"),
    ("values: {examples: 2}\nbatch_loss: average", "batch_loss", "one of sum, mean"),
])
def test_batch_names_and_options_are_checked(extra, key, fragment):
    head = "network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\n"
    with pytest.raises(DefinitionError) as err:
        parse(head + extra + "\n", source="b.yaml")
    assert err.value.key == key and fragment in err.value.problem, str(err.value)


def test_a_drawn_batch_is_reproducible_and_verified():
    d = parse("network: {layers: [2, 2, 2], activation: [tanh, softmax], loss: cross_entropy}"
              "\nvalues: {examples: 3}\nseed: 5\n")
    a, b = instance(d), instance(d)
    assert a == b and len(a.values.examples) == 3
    assert len({e.inputs for e in a.values.examples}) == 3
    assert all(sum(e.targets) == 1 for e in a.values.examples)
    r = run(d, a)
    assert r.values["J"] == pytest.approx(sum(r.values[f"J@{e}"] for e in (1, 2, 3)))


ACTS = st.sampled_from([(("sigmoid", "sigmoid"), "half_sse"), (("tanh", "identity"), "mse"),
                        (("sigmoid", "softmax"), "cross_entropy"),
                        (("tanh", "sigmoid"), "binary_cross_entropy")])


@settings(max_examples=15, deadline=None)
@given(ACTS, st.sampled_from(["shared", "per_neuron", "none"]), st.integers(2, 4),
       st.integers(0, 2**32 - 1))
def test_a_batch_of_copies_is_E_times_one_example_or_the_same(acts, bias, E, seed):
    (activations, loss) = acts
    network = (f"network: {{layers: [2, 2, 2], activation: [{', '.join(activations)}], "
               f"loss: {loss}, bias: {bias}}}\nseed: {seed}\n")
    one = parse(network)
    inst = instance(one)
    single = run(one, inst)
    example = (f"{{inputs: {list(inst.values.inputs)}, targets: {list(inst.values.targets)}}}")
    weights = f"weights: {[[list(r) for r in m] for m in inst.values.weights]}"
    biases = "" if bias == "none" else f", biases: {[list(b) for b in inst.values.biases]}"
    for how, factor in (("sum", E), ("mean", 1)):
        batch = parse(network + f"values: {{examples: [{', '.join([example] * E)}], {weights}"
                      f"{biases}}}\nbatch_loss: {how}\n")
        r = run(batch, instance(batch))
        for p, g in single.grads.items():
            assert r.grads[p] == pytest.approx(factor * g, rel=1e-12, abs=1e-15), (how, p)
        assert r.values["J"] == pytest.approx(factor * single.values["J"], rel=1e-12)


def test_a_wrong_batch_gradient_is_refused(monkeypatch):
    """The batch's gradient is checked, not assumed: one example left out of the sum is caught."""
    from symbackprop.definitions.errors import VerificationError
    from symbackprop.engine import verify

    def first_only(examples, inst):
        return {p: g for p, g in examples[0].grads.items()}

    monkeypatch.setattr(verify, "_batch_grads", first_only)
    d = parse(BATCH)
    with pytest.raises(VerificationError, match="NumPy backward pass disagrees"):
        run(d, instance(d))


def test_the_python_api_gives_a_batch_per_example(tmp_path):
    import symbackprop as sb

    (path := tmp_path / "b.yaml").write_text(BATCH)
    r = sb.derive(path)
    J1, y1, d1, g1 = _by_hand((3, 1), 1)
    J2, y2, d2, g2 = _by_hand((-1, 4), 0)
    assert [o[0] for o in r.outputs] == pytest.approx([y1, y2], rel=1e-12)
    g = r.derivation("W[2][1][1]")
    assert [v for _, v in g.factors] == pytest.approx([g1["W[2][1][1]"], g2["W[2][1][1]"]],
                                                      rel=1e-12)
    assert g.value == pytest.approx(g1["W[2][1][1]"] + g2["W[2][1][1]"], rel=1e-12)
    assert json.loads(r.to_json())["examples"][1]["loss"] == pytest.approx(J2, rel=1e-12)
    assert len(sb.train(path, steps=2).outputs) == 2


def test_a_batch_too_big_to_derive_by_hand_is_refused():
    with pytest.raises(DefinitionError) as err:
        parse("network: {layers: [784, 128, 10], activation: sigmoid, loss: mse}\n"
              "values: {examples: 3}\n", source="big.yaml")
    assert err.value.key == "values.examples"
    assert "at most 300,000 examples × parameters" in err.value.problem
