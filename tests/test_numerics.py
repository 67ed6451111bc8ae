"""Numbers at the edges: verification's own precision, overflow, log(0), divergence, rounding."""

import json
import math
from dataclasses import replace

import numpy as np
import pytest
import sympy as sp

from symbackprop.cli import main
from symbackprop.definitions.definition import Network, Values, parse
from symbackprop.definitions.errors import VerificationError
from symbackprop.engine import differences, numeric, verify
from symbackprop.engine.derivation import derive_all
from symbackprop.engine.evaluate import forward, known, step_values
from symbackprop.engine.graph import build, expand
from symbackprop.engine.sample import Instance, instance

# A legal 3-2-2-3 sigmoid network (SSE, weights under 2, targets in -2..2) that the old check
# (1e-9 relative, absolute 1e-14 below gradients of 1e-5) refused at W[2][2][2]:
# "1.227507788639676e-05 vs 1.2275077868224848e-05". Found by searching random networks.
REFUSED_BEFORE = Instance(
    Network((3, 2, 2, 3), ("sigmoid",) * 3, "sse", "none"),
    Values(inputs=(-1.92, -1.91, -1.85), targets=(0.15, -1.82, -1.22),
           weights=(((-0.78, 0.13, -2.0), (0.28, 1.88, 1.44)), ((0.2, -0.75), (-0.73, -1.01)),
                    ((-0.47, 1.09), (1.0, -0.81), (-1.64, 1.08)))),
    0.1, True)


def _exact_gradients(inst, digits=40):
    """Plain sympy.diff of the whole expanded loss, evaluated at 40 digits."""
    graph = build(inst.network)
    loss = expand(graph, graph.equations["J"])
    env = {graph[k]: sp.Float(v, digits) for k, v in known(graph, inst).items()}
    return {p: sp.diff(loss, graph[p]).xreplace(env).evalf(digits) for p in graph.params}


def test_a_right_derivation_refused_by_the_old_check_is_verified():
    r = verify.verify(derive_all(build(REFUSED_BEFORE.network)), REFUSED_BEFORE)
    exact = _exact_gradients(REFUSED_BEFORE)
    for p, g in r.grads.items():
        assert abs(g - float(exact[p])) <= 1e-15 * max(1.0, abs(g)), p
    fd = verify._flat_params(differences.finite_differences(REFUSED_BEFORE)[0], "none")
    # the case needs the error bound: finite differences are off by more than the old 1e-14
    assert abs(fd["W[2][2][2]"] - float(exact["W[2][2][2]"])) > 1e-14


def _large():
    rng = np.random.default_rng(14)
    sizes = (6, 8, 8, 4)
    weights = tuple(tuple(tuple(round(float(w), 2) for w in row)
                          for row in rng.uniform(-1, 1, (sizes[l], sizes[l - 1])))
                    for l in range(1, 4))
    return Instance(Network(sizes, ("sigmoid", "tanh", "sigmoid"), "half_sse", "per_neuron"),
                    Values(tuple(round(float(x), 2) for x in rng.uniform(0, 1, 6)),
                           (0.1, 0.9, 0.4, 0.6), weights,
                           tuple(tuple(0.1 for _ in range(n)) for n in sizes[1:])),
                    0.5, True)


def test_finite_differences_catch_a_factor_off_by_one_part_in_a_million():
    inst = _large()
    derivation = derive_all(build(inst.network))
    step = derivation.grads["W[3][2][5]"]
    delta, dnet = step.factors
    wrong = replace(dnet, expr=dnet.expr * (1 + sp.Rational(1, 10**6)))
    derivation.grads["W[3][2][5]"] = replace(step, factors=(delta, wrong))
    values = forward(derivation.graph, inst)
    steps = step_values(derivation.grads.values(), values, derivation.graph)
    grads = {p: steps[s.target] for p, s in derivation.grads.items()}
    p = numeric.params(inst)
    sizes = verify._flat_params(numeric.magnitudes(inst, p), "per_neuron")
    fd, err = (verify._flat_params(q, "per_neuron") for q in differences.finite_differences(inst))
    with pytest.raises(VerificationError, match=r"finite differences .* W\[3\]\[2\]\[5\]"):
        verify._agree_fd(grads, fd, err, sizes)
    with pytest.raises(VerificationError, match=r"W\[3\]\[2\]\[5\]"):
        verify.verify(derivation, inst)
    # and the right derivation passes the same check
    right = verify.verify(derive_all(build(inst.network)), inst).grads
    verify._agree_fd(right, fd, err, sizes)


def _run(text):
    d = parse(text)
    return verify.run(d, instance(d))


def _finite(result) -> bool:
    return all(math.isfinite(v) for part in (result.values, result.steps, result.grads,
                                            result.updated) for v in part.values())


def test_softmax_of_nets_near_1000_is_evaluated_stably():
    r = _run("network: {layers: [1, 3], activation: softmax, loss: cross_entropy, bias: none}\n"
             "values: {inputs: [1], targets: [0.2, 0.3, 0.5], "
             "weights: [[[1000], [1001], [999.5]]]}\n")
    z = [1000.0, 1001.0, 999.5]
    lse = 1001 + math.log(sum(math.exp(v - 1001) for v in z))
    y = [math.exp(v - lse) for v in z]
    assert r.values["J"] == pytest.approx(-sum(t * (v - lse) for t, v in
                                               zip([0.2, 0.3, 0.5], z)), rel=1e-14)
    for j, (yj, t) in enumerate(zip(y, [0.2, 0.3, 0.5]), start=1):
        assert r.values[f"out[1][{j}]"] == pytest.approx(yj, rel=1e-14)
        assert r.grads[f"W[1][{j}][1]"] == pytest.approx(yj - t, rel=1e-12)
    assert _finite(r)


def test_sigmoid_output_of_exactly_one_with_target_zero_has_a_finite_loss():
    # σ(40) is 1.0 in double precision: ln(1 − out) was log(0), a TypeError about complex numbers
    r = _run("network: {layers: [1, 1], activation: sigmoid, loss: binary_cross_entropy, "
             "bias: none}\nvalues: {inputs: [1], targets: [0], weights: [[[40]]]}\n")
    assert r.values["out[1][1]"] == 1.0
    assert r.values["J"] == pytest.approx(40 + math.log1p(math.exp(-40)), rel=1e-15)
    assert r.grads["W[1][1][1]"] == pytest.approx(1 / (1 + math.exp(-40)), rel=1e-15)
    assert r.steps["dJ/dout[1][1]"] == pytest.approx(1 / (math.exp(-40) / (1 + math.exp(-40))),
                                                     rel=1e-12)
    assert _finite(r)


def test_cross_entropy_of_an_output_underflowing_to_zero_is_finite_or_refused_by_name():
    r = _run("network: {layers: [1, 1], activation: sigmoid, loss: cross_entropy, bias: none}\n"
             "values: {inputs: [1], targets: [1], weights: [[[-40]]]}\n")
    assert r.values["J"] == pytest.approx(40 + math.log1p(math.exp(-40)), rel=1e-15)
    assert _finite(r)
    # at net −800 the loss is still 800, but the factor −t/out is e^800: not a double
    with pytest.raises(VerificationError, match=r"dJ/dout\[1\]\[1\] = .*e\+347.*beyond double"):
        _run("network: {layers: [1, 1], activation: sigmoid, loss: cross_entropy, "
             "bias: none}\nvalues: {inputs: [1], targets: [1], weights: [[[-800]]]}\n")


def test_a_value_beyond_double_precision_is_refused_by_name(write, capsys):
    path = write("network: {layers: [1, 1], activation: identity, loss: sse, bias: none}\n"
                 "values: {inputs: [1e200], targets: [0], weights: [[[1e200]]]}\n")
    assert main(["derive", str(path), "--json"]) == 2  # the numbers' fault, not the engine's
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"symbackprop: {path}: values: net[1][1] = ")
    assert "beyond double precision" in err[0]


def test_derive_json_of_extreme_but_finite_numbers_is_strict_json(write, capsys):
    path = write("network: {layers: [1, 2], activation: softmax, loss: cross_entropy, "
                 "bias: none}\nvalues: {inputs: [1], targets: [1, 0], "
                 "weights: [[[-700], [700]]]}\n")
    assert main(["derive", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out, parse_constant=pytest.fail)
    assert out["loss"] == pytest.approx(1400, rel=1e-15)
    assert out["outputs"][0] == pytest.approx(math.exp(-1400), abs=1e-300)  # 0.0: underflows
    assert out["grad"]["W"][0] == [[-1.0], [1.0]]  # out − t, to the last bit


def test_diverging_training_names_the_step_where_the_loss_stopped_being_finite():
    # one identity neuron, x = 2, t = 1: w ← w − η·2(2w − 1)/2·2 grows by −39 each step
    d = parse("network: {layers: [1, 1], activation: identity, loss: half_sse, bias: none}\n"
              "values: {inputs: [2], targets: [1], weights: [[[0.5]]]}\nlearning_rate: 10\n")
    w, step = 0.6, 0
    while True:  # the same recurrence in plain floats: first step whose loss is not finite
        w, step = w - 10 * (2 * w - 1) * 2, step + 1
        if not math.isfinite(0.5 * (2 * w - 1) * (2 * w - 1)):
            break
    inst = replace(instance(d), values=replace(d.values, weights=(((0.6,),),)))
    with pytest.raises(numeric.Diverged, match=f"by step {step}:") as exc:
        numeric.train(inst, 1000)
    assert exc.value.step == step and "learning rate 10" in str(exc.value)
    history, _ = numeric.train(inst, step - 1)
    assert all(math.isfinite(j) for j in history)


SHEETS = {
    "softmax": ("network: {layers: [1, 2], activation: softmax, loss: cross_entropy, "
                "bias: none}\nvalues: {inputs: [1], targets: [0, 1], weights: [[[6], [-6]]]}\n",
                "out[1][2]", lambda: math.exp(-6) / (math.exp(6) + math.exp(-6))),
    "sigmoid": ("network: {layers: [1, 1], activation: sigmoid, loss: binary_cross_entropy, "
                "bias: none}\nvalues: {inputs: [1], targets: [0], weights: [[[12]]]}\n",
                "out[1][1]", lambda: 1 / (1 + math.exp(-12))),
}


def test_a_sheet_that_would_print_a_false_zero_is_refused(write, tmp_path, capsys):
    """σ(12) = 0.999994: its slope out·(1 − out) = 6.1e-6 is 0.0000 at 4 decimals, a zero a
    student would learn; refused naming the blank, and built at 7 decimals."""
    text, _, _ = SHEETS["sigmoid"]
    path = write(f"title: confident and wrong\n{text}decimals: 4\n", "sigmoid.yaml")
    assert main(["build", str(path), "--format", "tex", "--out", str(tmp_path / "out")]) == 2
    said = capsys.readouterr().err
    assert "decimals: (e) dout[1][1]/dnet[1][1] rounds to 0.0000" in said and "6.14e-06" in said
    path.write_text(path.read_text().replace("decimals: 4", "decimals: 7"))
    assert main(["build", str(path), "--format", "tex", "--out", str(tmp_path / "out")]) == 0


@pytest.mark.parametrize("kind", [k for k in SHEETS if k != "sigmoid"])
def test_a_sheet_whose_rounded_chain_reaches_log_zero_builds(kind, write, tmp_path, capsys):
    text, out, exact = SHEETS[kind]
    path = write(f"title: confident and wrong\n{text}decimals: 4\n", f"{kind}.yaml")
    assert main(["build", str(path), "--format", "tex", "--out", str(tmp_path / "out")]) == 0
    key = json.loads((tmp_path / "out" / f"{kind}-key.json").read_text())
    answers = {a["name"]: a for a in key["answers"]}
    y, J = answers[out]["value"], answers["J"]["value"]
    # the output keeps 4 significant digits of its distance from 0 or 1, not 0.0000 or 1.0000
    assert 0 < y < 1 and min(y, 1 - y) == pytest.approx(min(exact(), 1 - exact()), rel=5e-4)
    assert J == pytest.approx(-math.log(min(y, 1 - y)), abs=5e-5)  # J from the printed output
    assert J == pytest.approx(-math.log(min(exact(), 1 - exact())), abs=1e-3)
    assert all(math.isfinite(a["value"]) for a in key["answers"])
    tex = (tmp_path / "out" / f"{kind}-key.tex").read_text()
    assert f"{y:.{4 + 5}f}".rstrip("0") in tex


def test_finite_differences_step_around_a_relu_corner_close_by():
    # net[1][1] = 2e-6: a step of 1e-5 in W[1][1][1] would cross the corner and see half
    # the slope; the step is shortened until both sides stay on the same side of it
    inst = Instance(Network((1, 2, 1), ("relu", "sigmoid"), "half_sse", "per_neuron"),
                    Values((1.0,), (0.3,), (((0.5,), (-0.25,)), ((0.75, -0.5),)),
                           ((-0.499998, 0.1), (0.2,))), 0.1, True)
    r = verify.verify(derive_all(build(inst.network)), inst)
    assert 1e-6 < r.values["net[1][1]"] < 3e-6
    exact = _exact_gradients(inst)
    fd, err = (verify._flat_params(q, "per_neuron") for q in differences.finite_differences(inst))
    for p in ("W[1][1][1]", "b[1][1]"):
        assert r.grads[p] == pytest.approx(float(exact[p]), rel=1e-14)
        assert abs(fd[p] - float(exact[p])) <= err[p] < 1e-6 * abs(r.grads[p])


def test_a_net_that_cancels_in_an_early_layer_is_not_refused_later():
    """0.93·(−3) + 2.79 is 0 exactly but −4.4e-16 in doubles; a later net made of it alone must
    be judged by the rounding it carries, not by its own tiny value (found by hypothesis)."""
    from symbackprop.definitions.definition import Network, Values
    from symbackprop.engine.derivation import derive_all
    from symbackprop.engine.graph import build
    from symbackprop.engine.sample import Instance
    from symbackprop.engine.verify import verify

    net = Network((2, 2, 3, 3, 2), ("tanh", "sigmoid", "sigmoid", "sigmoid"), "half_sse",
                  "shared")
    zeros = ((0.0, 0.0, 0.0),) * 3
    inst = Instance(net, Values((-3.0, 0.0), (0.0, 0.0),
                                (((0.93, 0.0), (0.0, 0.0)), ((0.0, 0.0), (0.0, 0.0), (1.0, 0.0)),
                                 zeros, zeros[:2]), ((2.79,), (0.0,), (0.0,), (0.0,))), 0.1, False)
    r = verify(derive_all(build(net)), inst)  # raised "NumPy forward pass disagrees" before
    assert abs(r.values["net[1][1]"]) < 1e-15 and abs(r.values["out[2][3]"] - 0.5) < 1e-15
