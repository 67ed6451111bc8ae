"""The matrix form: the four equations for a network's own sizes, equal entry for entry to the
scalar chain rule, for every activation, loss and bias style, one example or a batch; and a
wrong entry is refused."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbackprop.cli import main
from symbackprop.definitions.definition import load, parse
from symbackprop.definitions.errors import VerificationError
from symbackprop.engine import matrixform, numeric, report
from symbackprop.engine.sample import instance
from symbackprop.engine.verify import run

from .conftest import WORKSHEETS

PAIRS = [("[sigmoid, sigmoid, sigmoid]", "half_sse"), ("[tanh, relu, identity]", "mse"),
         ("[relu, tanh, softmax]", "cross_entropy"), ("[tanh, sigmoid, sigmoid]",
                                                      "binary_cross_entropy"),
         ("[sigmoid, tanh, sigmoid]", "cross_entropy"), ("[identity, sigmoid, identity]", "sse")]


def _definition(acts, loss, bias, sizes, seed, batch):
    text = (f"network: {{layers: {list(sizes)}, activation: {acts}, loss: {loss}, "
            f"bias: {bias}}}\nseed: {seed}\n")
    if batch:
        text += f"values: {{examples: {batch}}}\nbatch_loss: {'mean' if batch % 2 else 'sum'}\n"
    return parse(text)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(PAIRS), st.sampled_from(["shared", "per_neuron", "none"]),
       st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(2, 3)),
       st.integers(0, 2**32 - 1), st.sampled_from([0, 0, 2, 3]))
def test_every_equation_equals_the_scalar_chain_rule_and_numpy(pair, bias, sizes, seed, batch):
    d = _definition(*pair, bias, sizes, seed, batch)
    inst = instance(d)
    r = run(d, inst)
    form = matrixform.build(r)  # raises if any entry differs from the scalar derivation's
    scalar = report.as_json(r)["grad"]
    for ours, theirs in zip(form.grad_W, scalar["W"]):
        assert ours.shape == np.shape(theirs)
        assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-15)
    if bias == "none":
        assert form.grad_b is None and scalar["b"] is None
    else:
        for ours, theirs in zip(form.grad_b, scalar["b"]):
            assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-15)
    # and an independent NumPy backward pass, written here as matrices
    p = numeric.params(inst)
    X, T = numeric.inputs(inst), numeric.targets(inst)
    X = X if X.ndim == 2 else X[:, None]
    T = T if T.ndim == 2 else T[:, None]
    expected = numeric.batch_gradients(inst, p, X, T, inst.batch_loss if batch else "sum")
    for ours, theirs in zip(form.grad_W, expected.W):
        assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-14)
    # δ of each layer: a column per example, as the text's δ's are
    first = r.examples[0] if batch else r
    assert form.deltas[-1][0, 0] == pytest.approx(first.steps["dJ/dnet[3][1]"], rel=1e-9,
                                                  abs=1e-15)


def test_the_text_gives_every_shape_and_the_numbers(capsys):
    assert main(["derive", str(WORKSHEETS / "blog-2-2-2.yaml"), "--form", "matrix"]) == 0
    text = capsys.readouterr().out
    for line in ("δ^2 (2×1) = ∇_out J (2×1) ⊙ f′(net^2) (2×1)",
                 "δ^1 (2×1) = (W^2)ᵀ (2×2) δ^2 (2×1) ⊙ f′(net^1) (2×1)",
                 "∂J/∂W^2 (2×2) = δ^2 (2×1) (out^1)ᵀ (1×2)",
                 "∂J/∂W^1 (2×2) = δ^1 (2×1) xᵀ (1×2)",
                 "∂J/∂b^2 (1×1) = 1ᵀ (1×2) δ^2 (2×1)"):
        assert line in text, line
    # seed 003's published ∂J/∂w5 and ∂J/∂w1, as entries of the matrices
    assert "= [0.0821670406, 0.0826676278; " in text
    assert "= [0.000438567734, " in text


def test_the_json_matrix_equals_the_scalar_results(capsys):
    assert main(["derive", str(WORKSHEETS / "pixel-four-4-2-1.yaml"), "--form", "matrix",
                 "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    for ours, theirs in zip(got["matrix"]["grad"]["W"], got["grad"]["W"]):
        assert np.allclose(ours, theirs, rtol=1e-9, atol=0)
    for ours, theirs in zip(got["matrix"]["deltas"], got["deltas"]):
        assert ours == pytest.approx(theirs, rel=1e-9)
    assert got["matrix"]["equations"][0].startswith("δ^2 (1×1) = ")


def test_a_batch_sums_over_the_examples_as_a_matrix_product(tmp_path):
    (path := tmp_path / "b.yaml").write_text(
        "network: {layers: [3, 4, 2], activation: [tanh, softmax], loss: cross_entropy, "
        "bias: per_neuron}\nvalues: {examples: 3}\nbatch_loss: mean\nseed: 8\n")
    d = load(path)
    r = run(d, instance(d))
    form = matrixform.build(r)
    assert form.deltas[0].shape == (4, 3) and form.batch == 3
    forms = [e.form for e in form.equations]
    assert "∂J/∂W^2 (2×4) = (1/3) δ^2 (2×3) (out^1)ᵀ (3×4)" in forms
    assert "∂J/∂b^1 (4×1) = (1/3) δ^1 (4×3) 1 (3×1)" in forms
    # column e of δ^2 is example e's own δ
    for e, one in enumerate(r.examples):
        assert form.deltas[1][:, e] == pytest.approx(
            [one.steps["dJ/dnet[2][1]"], one.steps["dJ/dnet[2][2]"]], rel=1e-12)


def test_a_wrong_entry_is_refused():
    d = load(WORKSHEETS / "blog-2-2-2.yaml")
    r = run(d, instance(d))
    steps = dict(r.steps)
    steps["dJ/dnet[1][2]"] *= 1 + 1e-6  # one hidden δ, off in its seventh digit
    with pytest.raises(VerificationError, match="matrix form of δ\\^1 disagrees .* entry 2"):
        matrixform.build(type(r)(**{**r.__dict__, "steps": steps}))
    grads = dict(r.grads)
    grads["W[2][2][1]"] = -grads["W[2][2][1]"]
    with pytest.raises(VerificationError, match="matrix form of ∂J/∂W\\^2 disagrees .* entry 3"):
        matrixform.build(type(r)(**{**r.__dict__, "grads": grads}))


def test_a_wrong_derivation_is_refused_symbolically(monkeypatch):
    """A scalar derivation whose path went through the wrong weight: the matrix product's
    entry (Wᵀδ)_j sums w_ij, and the check sees the difference without any numbers."""
    from symbackprop.engine import derivation
    from symbackprop.engine.steps import WeightGradient

    original = derivation._Builder.out_grad

    def crossed(self, l, j):
        step = original(self, l, j)
        term = step.terms[0]
        delta, back = term.factors
        wrong = WeightGradient(back.target, back.of, back.wrt,
                               self.g[f"W[{l + 1}][1][{3 - j}]"], back.general, back.rule)
        return type(step)(step.target, (type(term)(term.target, (delta, wrong)),)
                          + step.terms[1:])

    d = load(WORKSHEETS / "blog-2-2-2.yaml")
    r = run(d, instance(d))
    monkeypatch.setattr(derivation._Builder, "out_grad", crossed)
    wrong = derivation.derive_all(r.derivation.graph)
    with pytest.raises(VerificationError, match="matrix form of δ\\^1 disagrees"):
        matrixform._check_symbolically(type(r)(**{**r.__dict__, "derivation": wrong}))


def test_form_matrix_refuses_param(tmp_path):
    from .hostile import assert_refused
    from .hostile import run as run_cli

    result = run_cli(["derive", str(WORKSHEETS / "blog-2-2-2.yaml"), "--form", "matrix",
                      "--param", "w5"], tmp_path)
    assert_refused(result, "--form matrix shows whole layers")
