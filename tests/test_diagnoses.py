"""Diagnoses that fit the network in front of the student: a sign slip in a net names its
term, the loss's sign stays with the loss, and each activation brings its own mistakes (and a
scheme holds only those of the activations its network has). Each mistaken value is worked
here by hand."""

import json
import math

import pytest

from symbackprop.definitions.definition import parse
from symbackprop.files import classset
from symbackprop.marking.check import Key

from .conftest import ROOT, WORKSHEETS
from .test_check import make_key, student, verdicts


def test_a_sign_slip_in_a_net_names_its_term_and_the_loss_sign_stays_with_the_loss():
    """net[2][1] = 0.7·out[1][1] − 0.5·out[1][2] − 0.2 with the middle term added instead:
    that term is named; the loss's 'y − t, not t − y' is said only of ∂J/∂out and what follows
    from it, never of the forward pass."""
    key = make_key()
    s = student()
    slipped = round(0.7 * s["out[1][1]"] + 0.5 * s["out[1][2]"] - 0.2, 4)
    m = verdicts(key, {"net[2][1]": slipped})["net[2][1]"]
    assert (m.verdict, m.diagnosis) == ("incorrect", "term_sign")
    assert m.message.endswith(": W[2][1][2]·out[1][2]") and "y − t" not in m.message
    negated = verdicts(key, {"net[2][1]": -s["net[2][1]"], "out[2][1]": 1 - s["out[2][1]"]})
    assert negated["net[2][1]"].diagnosis != "sign"
    assert verdicts(key, {"dJ/dout[2][1]": -s["dJ/dout[2][1]"]})["dJ/dout[2][1]"].diagnosis == \
        "sign"
    forward = [b for b in key.scheme["blanks"] if not b["name"].startswith(("dJ", "new "))]
    assert forward and all(r["diagnosis"] != "sign" for b in forward for r in b["mistakes"])


def _key_of(path) -> Key:
    d = parse(path.read_text(encoding="utf-8"), str(path))
    (version,) = classset.make(d, path.stem)
    return Key.from_json(json.loads(json.dumps(version.key)))


def test_a_tanh_sheet_holds_tanhs_mistake_and_none_of_sigmas():
    key = _key_of(ROOT / "tests" / "examples" / "tanh-2-2-1.yaml")
    sch = key.scheme
    diagnoses = {r["diagnosis"] for b in sch["blanks"] for r in b["mistakes"]}
    assert "tanh_slope" in diagnoses and "sigmoid_of_negative" not in diagnoses
    assert "sigmoid_of_negative" not in sch["messages"]
    # σ's slope out·(1 − out) worked for tanh's 1 − out², by hand
    x, W1, b1 = [0.6, -0.4], [[0.3, -0.7], [0.5, 0.2]], [0.1, -0.2]
    h = [round(math.tanh(W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j]), 4) for j in (0, 1)]
    y = round(math.tanh(round(0.8 * h[0] - 0.6 * h[1] + 0.05, 4)), 4)
    assert key.by_name["dout[2][1]/dnet[2][1]"]["value"] == pytest.approx(round(1 - y * y, 4))
    m = verdicts(key, {"out[2][1]": y, "dout[2][1]/dnet[2][1]": round(y * (1 - y), 4)})
    assert m["dout[2][1]/dnet[2][1]"].diagnosis == "tanh_slope"


def test_a_softmax_sheet_names_the_diagonal_jacobian():
    """PostNetwork's sheet: δ of the output that is not the target, worked from the diagonal
    term alone, is −t₂(1 − ŷ₂) = 0 where the right one is ŷ₂ − t₂."""
    key = _key_of(WORKSHEETS / "postnetwork-softmax-3-2-2.yaml")
    y2 = key.by_name["out[2][2]"]["value"]
    assert key.by_name["dJ/dnet[2][2]"]["value"] == pytest.approx(y2)  # t₂ = 0
    m = verdicts(key, {"dJ/dnet[2][2]": 0.0})["dJ/dnet[2][2]"]
    assert (m.verdict, m.diagnosis) == ("incorrect", "softmax_diagonal")


ONE_HOT = """title: Softmax with one-hot targets
network: {layers: [3, 3, 2], activation: [tanh, softmax], loss: cross_entropy,
          bias: per_neuron}
seed: 7
versions: 5
"""


def test_a_hidden_path_left_out_is_named_before_a_softmax_rule_taken_wrongly():
    """With one-hot targets the diagonal Jacobian makes δ₂ = −t₂(1 − ŷ₂) = 0, so a hidden
    ∂J/∂out worked from it is the path through net₁ alone: the same number as a student who
    left a path out. The student who wrote both δ's right left a path out (a lecturer's
    review found the softmax rule named instead)."""
    d = parse(ONE_HOT, "one-hot.yaml")
    key = Key.from_json(json.loads(json.dumps(classset.key(d, 2, None))))
    by = {a["name"]: a["value"] for a in key.answers}
    path = by["dJ/dout[1][1] via net[2][1]"]
    answered = {n: v for n, v in by.items() if n.startswith(("net", "out", "J", "dJ/dnet"))}
    m = verdicts(key, answered | {"dJ/dout[1][1]": path})["dJ/dout[1][1]"]
    assert path != by["dJ/dout[1][1]"]
    assert (m.verdict, m.diagnosis) == ("incorrect", "one_path_only")
