"""A figure an author prints as a whole number beside figures with decimals is judged at the
author's usual decimals (found checking issue 22 as a whole): the 0 that the diagonal-only
softmax chain rule gives is that mistake, not a rounding of 0.4329."""

import math

from symbackprop.definitions.definition import parse
from symbackprop.marking.audit import audit

from .conftest import WORKSHEETS


def sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _claims(claimed: str) -> dict:
    text = (WORKSHEETS / "postnetwork-softmax-3-2-2.yaml").read_text(encoding="utf-8")
    text = text.split("claimed:")[0] + "claimed:\n" + claimed
    return {c.label or c.name: c for c in audit(parse(text, "postnetwork.yaml"))}


def test_a_zero_printed_for_the_diagonal_rule_is_not_consistent():
    a1, a2 = sig(-0.3), sig(0.0)
    z3, z4 = 0.3 * a1 + 0.4 * a2 + 0.1, -0.1 * a1 + 0.2 * a2 + 0.1
    y2 = math.exp(z4) / (math.exp(z3) + math.exp(z4))
    assert round(y2, 4) == 0.4329 and round(a1, 3) == 0.426  # δ₂ = ŷ₂ − t₂ = ŷ₂ (t₂ = 0)
    # the diagonal term alone, ∂J/∂ŷ₂ · ŷ₂(1 − ŷ₂) = −t₂(1 − ŷ₂), is 0, as an author writes it
    claims = _claims('  "dJ/dnet[2][2]": 0\n  "dJ/dW[2][2][1]": 0\n  a1: 0\n')
    delta = claims["dJ/dnet[2][2]"]
    assert (delta.verdict, delta.diagnosis) == ("inconsistent", "softmax_diagonal"), delta.message
    assert claims["dJ/dW[2][2][1]"].verdict != "consistent"
    assert claims["a1"].verdict != "consistent"  # out[1][1] = σ(−0.3) = 0.4256


def test_the_same_zero_with_four_decimals_is_named():
    """The rule works when the author writes 0.0000: the contrast the test above needs."""
    claims = _claims('  "dJ/dnet[2][2]": 0.0000\n  "dJ/dW[2][2][1]": 0.0000\n')
    delta = claims["dJ/dnet[2][2]"]
    assert (delta.verdict, delta.diagnosis) == ("inconsistent", "softmax_diagonal")
    assert claims["dJ/dW[2][2][1]"].verdict == "carried_forward"
