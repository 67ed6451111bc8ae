"""Proofs: every step machine-checked; a corrupted step is caught; each proof compiles."""

import json
from dataclasses import replace

import pytest
import sympy as sp

from symbackprop.cli import main
from symbackprop.definitions.definition import Network
from symbackprop.engine import proofs
from symbackprop.engine.derivation import derive_all
from symbackprop.engine.graph import build
from symbackprop.formats import pdf
from symbackprop.formats import tex as render

ALL = list(proofs.BUILDERS)


@pytest.mark.parametrize("name", ALL)
def test_proof_builds_and_ends_at_its_claim(name):
    p = proofs.get(name)
    assert p.steps, name
    expand = proofs._definitions(p.definitions)
    difference = sp.simplify(expand(p.steps[-1].expr) - expand(p.rhs))
    assert difference == 0 or getattr(difference, "is_zero_matrix", False)  # a matrix proof


@pytest.mark.parametrize("name", ALL)
def test_corrupting_any_step_fails_verification(name):
    """Drop a minus sign (negate) in each step in turn: every corruption must be caught."""
    p = proofs.get(name)
    for i, step in enumerate(p.steps):
        with sp.evaluate(False):
            wrong = replace(step, expr=-step.expr)
        steps = p.steps[:i] + (wrong,) + p.steps[i + 1:]
        with pytest.raises(proofs.ProofError, match=name):
            proofs.check(replace(p, steps=steps))


def test_sigmoid_proof_has_the_board_steps():
    p = proofs.get("sigmoid")
    reasons = [s.reason for s in p.steps]
    assert len(p.steps) >= 5
    assert reasons[0] == "definition of σ"
    assert "add and subtract 1 in the numerator" in reasons
    sigma = proofs.sigma(proofs.x)
    assert sp.simplify(p.steps[-1].expr - sigma * (1 - sigma)) == 0


def test_seed_001_sigmoid_proof_is_refused():
    """Seed 001 writes σ'(net) = e^net/(1 + e^net) as its first line: that does not follow."""
    x = proofs.x
    with sp.evaluate(False):
        wrong = proofs.ProofStep(sp.exp(x) / (1 + sp.exp(x)), "seed 001, first line")
    p = proofs.get("sigmoid")
    with pytest.raises(proofs.ProofError, match="step 1"):
        proofs.check(replace(p, steps=(wrong,) + p.steps[1:]))


def test_relu_convention_at_zero_is_zero():
    p = proofs.get("relu")
    assert "H(0) = 0" in p.steps[-1].reason
    assert proofs._definitions(())(p.rhs).subs(proofs.x, 0) == 0


def test_every_rule_a_derivation_uses_has_a_proof():
    networks = [Network((2, 2, 2), ("sigmoid", "softmax"), "cross_entropy", "shared"),
                Network((2, 2, 1), ("tanh", "sigmoid"), "binary_cross_entropy", "none"),
                Network((2, 2, 1), ("relu", "identity"), "mse", "per_neuron"),
                Network((2, 1), ("sigmoid",), "half_sse", "none"),
                Network((2, 1), ("sigmoid",), "sse", "none")]
    for net in networks:
        rules = derive_all(build(net)).rules()
        assert {p.name for p in proofs.for_rules(rules)} >= set(rules)
    chosen = [p.name for p in proofs.for_rules(["softmax_cross_entropy"])]
    assert chosen == ["softmax_jacobian_diagonal", "softmax_jacobian_off_diagonal",
                      "softmax_cross_entropy"]


def test_json_can_be_rechecked_independently(capsys):
    assert main(["proof", "sigmoid", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"name", "claim", "steps"}
    assert set(data["steps"][0]) == {"expr", "latex", "reason"}
    # an independent re-check: rebuild from srepr with plain SymPy and the stated definitions
    ns = {name: getattr(sp, name) for name in dir(sp)}
    sigma_def = eval(data["definitions"]["sigma"], ns)  # noqa: S307 - our own srepr output
    ns["sigma"] = sp.Function("sigma")
    exprs = [eval(data["claim"]["lhs"], ns)] + [eval(s["expr"], ns) for s in data["steps"]]
    exprs = [e.replace(ns["sigma"], sigma_def).doit() for e in exprs]
    for a, b in zip(exprs, exprs[1:]):
        assert sp.simplify(a - b) == 0


def test_cli_lists_and_prints(capsys):
    assert main(["proof", "--list"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in ALL)
    assert main(["proof", "tanh"]) == 0
    out = capsys.readouterr().out
    assert "tanh" in out and "[quotient rule" in out
    assert main(["proof", "nope"]) == 2
    assert "no proof called 'nope'" in capsys.readouterr().err


@pytest.mark.skipif(not pdf.available(), reason="needs pdflatex")
def test_every_proof_renders_to_latex_that_compiles(tmp_path):
    source = render.proofs_document([proofs.get(n) for n in ALL])
    out = pdf.compile_tex(source, tmp_path / "proofs.pdf")
    assert out.read_bytes().startswith(b"%PDF")
    assert r"\sigma\left(x\right)" in source and "add and subtract 1" in source


CONV = ["kernel_gradient", "input_gradient", "convolution_bias", "max_pool", "average_pool"]


@pytest.mark.parametrize("name", CONV)
def test_the_convolution_proofs_are_written_as_mathematics_in_the_sheets_letters(name):
    """A convolution proof's statement and reasons write indices as a lecturer does (δᵢⱼ,
    Kᵤᵥ), not as code (δ[i][j], Σ_(i,j)); they name no padding p (a sheet's p is its pooled
    map) and no net (a sheet's net is its dense output): the map is z, as the sheet has it."""
    import re

    p = proofs.get(name)
    for text in [p.title] + [s.reason for s in p.steps]:
        assert "[" not in text and "Σ_" not in text and "_(" not in text, text
        assert not re.search(r"\b(p|net)\b", text), text
        assert not re.search(r"[a-z]\d", text), text  # a₂, never a2
    if name in ("kernel_gradient", "input_gradient", "convolution_bias"):
        assert "δᵢⱼ = ∂J/∂zᵢⱼ" in p.title or "Σᵢⱼ δᵢⱼ" in p.title
        lhs = render.proof_view(p)["lhs"]  # the chain rule's terms, written with ∂
        assert r"\frac{\partial z_{11}}{\partial" in lhs and r"\frac{d}" not in lhs


@pytest.mark.parametrize("name", ["max_pool", "relu"])
def test_a_page_writes_cases_and_max_as_mathematics(name):
    """On a practice page a definition by cases is a brace with a condition a row, and max is
    max(a₁, a₂, ...), not SymPy's names (Piecewise, maximum) or arguments run together."""
    from symbackprop.formats import html

    math = " ".join(str(s["math"]) for s in html.proof_view(proofs.get(name))["steps"])
    assert "<mtable>" in math and "<mtext>otherwise</mtext>" in math
    assert "iecewise" not in math.lower() and "maximum" not in math
    if name == "max_pool":
        assert "<mi>max</mi>" in math and "<mo>,</mo>" in math
