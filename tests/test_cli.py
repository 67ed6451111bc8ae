"""The command line as a user meets it: derive, derive --json, train."""

import json
from dataclasses import replace

import numpy as np
import pytest
import sympy as sp

from symbackprop.cli import main
from symbackprop.definitions.definition import load
from symbackprop.engine import numeric
from symbackprop.engine.derivation import derive_all
from symbackprop.engine.graph import build
from symbackprop.engine.sample import instance
from symbackprop.engine.verify import VerificationError, verify

from .conftest import WORKSHEETS

BLOG = str(WORKSHEETS / "blog-2-2-2.yaml")


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_derive_json_has_the_documented_shape_and_values(capsys):
    out = _json(capsys, ["derive", BLOG, "--json"])
    assert set(out) == {"loss", "outputs", "layers", "deltas", "grad", "update", "verification"}
    inst = instance(load(BLOG))
    p = numeric.params(inst)
    grads = numeric.gradients(inst, p)
    assert out["loss"] == pytest.approx(float(numeric.loss(inst, p)), rel=1e-12)
    assert np.allclose(out["grad"]["W"][0], grads.W[0], rtol=1e-12)
    assert np.allclose(out["grad"]["W"][1], grads.W[1], rtol=1e-12)
    assert out["grad"]["b"] == [pytest.approx([grads.b[0][0]]), pytest.approx([grads.b[1][0]])]
    assert out["update"]["W"][1][0][0] == pytest.approx(0.35891648, abs=5e-9)
    assert out["update"]["b"] == [[0.35], [0.6]]  # the post keeps its biases fixed
    assert out["layers"][0]["out"][0] == pytest.approx(0.593269992, abs=5e-10)
    assert out["verification"]["finite_difference_max_rel_err"] < 1e-9


def test_derive_text_shows_chain_factors_and_values(capsys):
    assert main(["derive", BLOG, "--param", "W[1][1][1]"]) == 0
    text = capsys.readouterr().out
    assert "dJ/dout[1][1] = Σ_i dJ/dnet[2][i] · W[2][i][1] = 0.0363503064" in text
    assert "dout[2][2]/dnet[2][2] = out·(1 − out) = out[2][2]·(1 − out[2][2]) = 0.175510053" in text
    assert "= 0.000438567734" in text
    assert "W[1][1][1] (w1): 0.15 → 0.149780716" in text


def test_derive_rejects_unknown_param(capsys):
    assert main(["derive", BLOG, "--param", "W[9][1][1]"]) == 2
    assert "names nothing in a 2-2-2 network" in capsys.readouterr().err


def test_train_json_matches_numpy_and_published_first_loss(capsys):
    out = _json(capsys, ["train", BLOG, "--steps", "3", "--json"])
    assert len(out["loss_history"]) == 4
    assert out["loss_history"][0] == pytest.approx(0.298371109, abs=5e-10)
    assert all(a > b for a, b in zip(out["loss_history"], out["loss_history"][1:]))
    history, p = numeric.train(instance(load(BLOG)), 3)
    assert out["loss_history"] == history
    assert out["W"][0] == p.W[0].tolist()


def test_train_requires_a_whole_number_of_steps(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", BLOG, "--steps", "ten"])
    assert exit_.value.code == 2


def test_randomized_definition_derives_reproducibly(write, capsys):
    path = str(write("network: {layers: [3, 2, 2], activation: tanh, loss: mse}\n"))
    a = _json(capsys, ["derive", path, "--json", "--seed", "5"])
    b = _json(capsys, ["derive", path, "--json", "--seed", "5"])
    c = _json(capsys, ["derive", path, "--json", "--seed", "6"])
    assert a == b and a["loss"] != c["loss"]


def test_a_wrong_derivation_never_gets_through():
    """Break one factor of the SymPy derivation: verification must refuse it."""
    d = load(BLOG)
    derivation = derive_all(build(d.network))
    step = derivation.grads["W[2][1][1]"]
    wrong = replace(step.factors[1], expr=step.factors[1].expr * 2)  # a doubled dnet/dW
    derivation.grads["W[2][1][1]"] = replace(step, factors=(step.factors[0], wrong))
    with pytest.raises(VerificationError, match="W\\[2\\]\\[1\\]\\[1\\]"):
        verify(derivation, instance(d))
    assert isinstance(wrong.expr, sp.Expr)


def test_relu_at_its_corner_is_refused_with_the_reason(write, capsys):
    path = write("network: {layers: [1, 1], activation: relu, loss: half_sse, bias: none}\n"
                 "values: {inputs: [0], targets: [1], weights: [[[0.5]]]}\n")
    assert main(["derive", str(path)]) == 2
    err = capsys.readouterr().err
    assert "ReLU's corner" in err and "net[1][1]" in err
