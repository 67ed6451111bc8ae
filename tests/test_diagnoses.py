"""Diagnoses that fit the network in front of the student: a sign slip in a net names its
term, the loss's sign stays with the loss, and each activation brings its own mistakes (and a
scheme holds only those of the activations its network has). Each mistaken value is worked
here by hand."""

import json
import math
import re

import numpy as np
import pytest

from symbackprop.definitions.definition import parse
from symbackprop.definitions.language import words
from symbackprop.files import classset
from symbackprop.marking.check import MISTAKES, Key

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


def _tanh_by_hand():
    """tests/examples/tanh-2-2-1.yaml worked in NumPy as a student works it (4 decimals)."""
    x = np.array([0.6, -0.4])
    W1, b1 = np.array([[0.3, -0.7], [0.5, 0.2]]), np.array([0.1, -0.2])
    net1 = np.round(W1 @ x + b1, 4)
    out1 = np.round(np.tanh(net1), 4)
    net2 = round(float(np.array([0.8, -0.6]) @ out1 + 0.05), 4)
    return net1, out1, net2, round(float(np.tanh(net2)), 4)


def test_tanhs_mistakes_are_named_at_out_and_at_its_slope():
    """A lecturer's review: σ for tanh, net copied into out, and 1 − out for tanh's 1 − out²
    got a bare 'incorrect'. Each is worked here in NumPy, told apart from the right value and
    from one another at the sheet's 4 decimals, and named in words."""
    key = _key_of(ROOT / "tests" / "examples" / "tanh-2-2-1.yaml")
    net1, out1, net2, out2 = _tanh_by_hand()
    assert key.by_name["out[1][1]"]["value"] == pytest.approx(out1[0])
    sigma = round(float(1 / (1 + np.exp(-net1[0]))), 4)          # 0.6365
    copied = float(net1[0])                                       # 0.56
    unsquared = {"dout[1][1]/dnet[1][1]": round(1 - float(out1[0]), 4),  # 0.492
                 "dout[2][1]/dnet[2][1]": round(1 - out2, 4)}            # 0.5827
    assert len({sigma, copied, float(out1[0])}) == 3
    for mode, answer in (("sigmoid_for_tanh", sigma), ("tanh_not_applied", copied)):
        m = verdicts(key, {"net[1][1]": float(net1[0]), "out[1][1]": answer})["out[1][1]"]
        assert (m.verdict, m.diagnosis, m.also) == ("incorrect", mode, None)
        assert m.message == f"expected {out1[0]:.4f}: {MISTAKES[mode]}"
    for name, answer in unsquared.items():
        out = "out[1][1]" if name.startswith("dout[1]") else "out[2][1]"
        right = key.by_name[name]["value"]
        assert right == pytest.approx(round(1 - key.by_name[out]["value"] ** 2, 4))
        assert answer != right and answer != round(key.by_name[out]["value"] * (
            1 - key.by_name[out]["value"]), 4)  # not σ's slope either: tanh_slope names that
        m = verdicts(key, {out: key.by_name[out]["value"], name: answer})[name]
        assert (m.verdict, m.diagnosis) == ("incorrect", "tanh_slope_unsquared")
    # out[1][2] = tanh(0.02) = 0.019997: net copied is 0.0200, the right answer at 4 decimals
    assert verdicts(key, {"out[1][2]": float(net1[1])})["out[1][2]"].verdict == "correct"


def test_a_sigmoid_sheet_holds_none_of_tanhs_or_relus_mistakes():
    sch = make_key().scheme
    held = {r["diagnosis"] for b in sch["blanks"] for r in b["mistakes"]}
    assert "sigmoid_of_negative" in held
    assert not held & {"sigmoid_for_tanh", "tanh_not_applied", "tanh_slope_unsquared",
                       "relu_not_applied"}
    assert not set(sch["messages"]) & {"sigmoid_for_tanh", "relu_not_applied"}


RELU = """title: A ReLU hidden layer
network: {layers: [2, 2, 1], activation: [relu, sigmoid], loss: half_sse, bias: shared}
values:
  inputs: [0.5, 0.8]
  targets: [1.0]
  weights: [[[0.4, 0.3], [-0.6, -0.4]], [[0.7, -0.5]]]
  biases: [[0.1], [0.2]]
learning_rate: 0.5
decimals: 4
"""


def test_a_negative_out_through_relu_is_told_relu_is_never_negative():
    """net⁽¹⁾₂ = −0.6·0.5 − 0.4·0.8 + 0.1 = −0.52 (NumPy), so out⁽¹⁾₂ = max(0, −0.52) = 0: a
    student who copies −0.52 through ReLU is told so; at out⁽¹⁾₁ (net 0.54 > 0) net copied is
    the right answer, and marked so."""
    d = parse(RELU, "relu.yaml")
    (version,) = classset.make(d, "relu")
    key = Key.from_json(json.loads(json.dumps(version.key)))
    net = np.round(np.array([[0.4, 0.3], [-0.6, -0.4]]) @ np.array([0.5, 0.8]) + 0.1, 4)
    assert net[1] == pytest.approx(-0.52) and key.by_name["out[1][2]"]["value"] == 0
    m = verdicts(key, {"net[1][2]": float(net[1]), "out[1][2]": float(net[1])})["out[1][2]"]
    assert (m.verdict, m.diagnosis) == ("incorrect", "relu_not_applied")
    assert "never negative" in m.message and "max(0, net)" in m.message
    assert verdicts(key, {"out[1][1]": float(net[0])})["out[1][1]"].verdict == "correct"


def _german_key() -> Key:
    path = WORKSHEETS / "german-class-set-3-3-2.yaml"
    d = parse(path.read_text(encoding="utf-8"), str(path))
    return Key.from_json(json.loads(json.dumps(classset.key(d, 1, None))))


def test_a_softmax_output_is_told_softmaxs_mistakes_never_the_hidden_layers_tanh():
    """A review: on the German class set (tanh hidden, softmax output) 0.6408 at out⁽²⁾₁ was
    told "this is σ(net) … this neuron's activation is tanh". That number is σ in the hidden
    layer carried through, worked here in NumPy; at a softmax output it names no tanh mistake,
    and softmax's own are named there: σ of the output's own net, and a sum without its own
    term."""
    key = _german_key()
    v = key.definition["values"]
    x, W1, b1 = np.array(v["inputs"]), np.array(v["weights"][0]), np.array(v["biases"][0])
    W2, b2 = np.array(v["weights"][1]), np.array(v["biases"][1])
    net1 = np.round(W1 @ x + b1, 4)
    wrong_hidden = np.round(1 / (1 + np.exp(-net1)), 4)  # σ where tanh belongs
    z = np.round(W2 @ wrong_hidden + b2, 4)
    carried = round(float(np.exp(z[0]) / np.exp(z).sum()), 4)
    net2 = np.array([key.by_name[f"net[2][{j}]"]["value"] for j in (1, 2)])
    assert net2 == pytest.approx(np.round(W2 @ np.round(np.tanh(net1), 4) + b2, 4))
    sigma = round(float(1 / (1 + np.exp(-net2[0]))), 4)
    own_left_out = round(float(np.exp(net2[0] - net2[1])), 4)
    right = key.by_name["out[2][1]"]["value"]
    assert len({carried, sigma, own_left_out, right}) == 4
    m = verdicts(key, {"out[2][1]": carried})["out[2][1]"]
    assert m.diagnosis is None and "tanh" not in m.message
    for mode, answer in (("sigmoid_for_softmax", sigma), ("softmax_own_term_left_out",
                                                          own_left_out)):
        m = verdicts(key, {"out[2][1]": answer})["out[2][1]"]
        assert (m.verdict, m.diagnosis) == ("incorrect", mode)
        assert m.message == f"expected {right:.4f}: {words('de')(MISTAKES[mode])}"


# each activation's own mistakes, and the activation they belong to
OWN = {"sigmoid_of_negative": "sigmoid", "sigmoid_for_tanh": "tanh", "tanh_not_applied": "tanh",
       "tanh_slope": "tanh", "tanh_slope_unsquared": "tanh", "relu_not_applied": "relu",
       "sigmoid_for_softmax": "softmax", "softmax_own_term_left_out": "softmax"}


def _layer(name: str, layers: int) -> int | None:
    """The layer a blank belongs to, read off its name: ∂net/∂W is the input it multiplies
    (the layer before's out), J the output layer's, anything else its first index's."""
    plain = name.removeprefix("new ")
    if plain == "J":
        return layers
    idx = [int(i) for i in re.findall(r"\[(\d+)\]", plain)]
    if plain.startswith("dnet") and "/dW" in plain:
        return idx[0] - 1 or None
    return idx[0] if idx else None


@pytest.mark.parametrize("hidden,output,loss", [
    (h, o, loss) for h in ("sigmoid", "tanh", "relu", "identity")
    for o, loss in (("sigmoid", "half_sse"), ("tanh", "half_sse"), ("softmax", "cross_entropy"),
                    ("relu", "mse"), ("identity", "half_sse"))])
def test_every_activation_mistake_is_named_only_at_a_blank_of_its_own_layer(hidden, output,
                                                                            loss):
    d = parse(f"title: combination\nnetwork: {{layers: [2, 2, 2], activation: [{hidden}, "
              f"{output}], loss: {loss}, bias: per_neuron}}\nseed: 11\nversions: 2\n", "c.yaml")
    key = Key.from_json(json.loads(json.dumps(classset.key(d, 1, None))))
    acts = {1: hidden, 2: output}
    named = set()
    for b in key.scheme["blanks"]:
        for r in b["mistakes"]:
            if r["diagnosis"] in OWN:
                named.add((b["name"], r["diagnosis"]))
                assert acts.get(_layer(b["name"], 2)) == OWN[r["diagnosis"]], \
                    (b["name"], r["diagnosis"])
    # each output layer's own mistake is there to be named at its out
    expected = {"tanh": "sigmoid_for_tanh", "softmax": "sigmoid_for_softmax",
                "sigmoid": "sigmoid_of_negative"}.get(output)
    if expected:
        assert ("out[2][1]", expected) in named or ("out[2][2]", expected) in named


def test_a_batch_examples_blanks_keep_their_own_layers_activation_mistakes():
    """A batch's example quantities (dJ@1/dW[2][1][1], out[1][1]@2) belong to the layer their
    indices name, as the batch's own do: σ(−net) at a sigmoid network's every gradient."""
    key = _key_of(WORKSHEETS / "batch-of-two-2-2-2.yaml")
    assert key.definition["network"]["activation"] == ["sigmoid", "sigmoid"]
    grads = [b for b in key.scheme["blanks"] if b["name"].startswith("dJ") and "/dW" in
             b["name"]]
    assert any("@" in b["name"] for b in grads) and any("@" not in b["name"] for b in grads)
    for b in grads:
        assert "sigmoid_of_negative" in {r["diagnosis"] for r in b["mistakes"]}, b["name"]
