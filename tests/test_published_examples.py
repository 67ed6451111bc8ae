"""Worked examples published outside this project, each written as its author printed it (the
network, the numbers, and the author's printed figures as `claimed:`), each cited by its
address. For every printed figure the audit's verdict is what a careful reading says: the
figure's own value is worked out here in plain Python, the way the author set the example up,
and a figure that is its true value rounded to the decimals printed (an exact half either way)
is `consistent`; a figure that is not is named below with why. Every gradient the engine
derives for each example agrees with PyTorch's autograd (tests/test_torch.py's oracle).

Ten here: nine new and Han & Kamber's textbook exercise (worksheets/). Three more are in the
repository already, judged figure by figure in tests/test_audit.py, and their gradients are
compared with PyTorch's here: PostNetwork's softmax (worksheets/postnetwork-softmax-3-2-2.yaml),
sreekanth9999's ReLU with binary cross-entropy (worksheets/relu-bce-1-1-1.yaml) and the R tanh
XOR example's hidden layer over four examples (tests/examples/tanh-xor-hidden-layer.yaml,
forward only). Of what the issue lists, none found printed a tanh network of two hidden layers.
"""

import math
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal

import pytest

from symbackprop.definitions.definition import parse
from symbackprop.engine.sample import instance
from symbackprop.marking.audit import audit

from .conftest import ROOT, WORKSHEETS


def sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def rounds_to(printed: str, value: float) -> bool:
    """A careful reader's test: `printed` is `value` rounded to the decimals it shows."""
    places = Decimal(printed).as_tuple().exponent
    unit = Decimal(1).scaleb(places)
    d = Decimal(repr(value))
    return Decimal(printed) in {d.quantize(unit, rounding=ROUND_HALF_UP),
                                d.quantize(unit, rounding=ROUND_HALF_DOWN)}


# --- 1. Matt Mazur, "A Step by Step Backpropagation Example" ---------------------------------
MAZUR_URL = "https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/"
# (reproduced in https://huggingface.co/datasets/nvidia/Nemotron-CC-Math-v1). Two sigmoid
# layers of two, a bias per layer that is not trained, E_total = Σ ½(target − out)², η = 0.5.
MAZUR = """\
title: Mazur
network: {layers: [2, 2, 2], activation: sigmoid, loss: half_sse, bias: shared}
values:
  inputs: [0.05, 0.10]
  targets: [0.01, 0.99]
  weights: [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
  biases: [[0.35], [0.60]]
learning_rate: 0.5
update_biases: false
names: {net_h1: "net[1][1]", out_h1: "out[1][1]", out_h2: "out[1][2]", net_o1: "net[2][1]",
        out_o1: "out[2][1]", out_o2: "out[2][2]", E_total: "J"}
claimed:
  net_h1: 0.3775
  out_h1: 0.593269992
  out_h2: 0.596884378
  net_o1: 1.105905967
  out_o1: 0.75136507
  out_o2: 0.772928465
  E_total: 0.298371109
  loss_after_steps: {1: 0.291027924, 10000: 0.0000351085}
  outputs_after_steps: {10000: [0.015912196, 0.984065734]}
"""


def mazur_train(steps: int, updated_first: bool):
    """Mazur's network trained by hand; `updated_first`: the hidden error worked through the
    output weights already stepped (the updated_weights mistake)."""
    x, t, b1, b2 = [0.05, 0.10], [0.01, 0.99], 0.35, 0.60
    W1, W2 = [[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]

    def forward():
        h = [sig(W1[j][0] * x[0] + W1[j][1] * x[1] + b1) for j in (0, 1)]
        return h, [sig(W2[i][0] * h[0] + W2[i][1] * h[1] + b2) for i in (0, 1)]

    for _ in range(steps):
        h, o = forward()
        d = [(o[i] - t[i]) * o[i] * (1 - o[i]) for i in (0, 1)]
        W2 = [[W2[i][k] - 0.5 * d[i] * h[k] for k in (0, 1)] for i in (0, 1)] if \
            updated_first else W2
        dh = [sum(d[i] * W2[i][j] for i in (0, 1)) * h[j] * (1 - h[j]) for j in (0, 1)]
        W2 = W2 if updated_first else [[W2[i][k] - 0.5 * d[i] * h[k] for k in (0, 1)]
                                       for i in (0, 1)]
        W1 = [[W1[j][k] - 0.5 * dh[j] * x[k] for k in (0, 1)] for j in (0, 1)]
    h, o = forward()
    return sum(0.5 * (t[i] - o[i]) ** 2 for i in (0, 1)), o


def test_mazur():
    J, out_o = mazur_train(0, False)
    net_h1 = 0.15 * 0.05 + 0.20 * 0.10 + 0.35
    out_h = [sig(net_h1), sig(0.25 * 0.05 + 0.30 * 0.10 + 0.35)]
    net_o1 = 0.40 * out_h[0] + 0.45 * out_h[1] + 0.60
    true = {"net_h1": net_h1, "out_h1": out_h[0], "out_h2": out_h[1], "net_o1": net_o1,
            "out_o1": out_o[0], "out_o2": out_o[1], "E_total": J}
    claims = {c.label or c.name: c for c in audit(parse(MAZUR, "mazur.yaml"))}
    for label, value in true.items():  # the forward pass and the error: every digit right
        assert rounds_to(claims[label].printed, value) and claims[label].verdict == "consistent"
    # after one step: 0.291027924 is the error with the hidden gradients worked through the
    # output weights already updated; plain backpropagation gives 0.291027774
    right, mistaken = mazur_train(1, False)[0], mazur_train(1, True)[0]
    assert not rounds_to("0.291027924", right) and rounds_to("0.291027924", mistaken)
    one = claims["loss after 1 step"]
    assert (one.verdict, one.diagnosis) == ("inconsistent", "updated_weights")
    # after 10,000 steps the outputs are the mistaken training's, and the error is neither's
    (j_right, o_right), (j_mistaken, o_mistaken) = mazur_train(10000, False), \
        mazur_train(10000, True)
    assert all(rounds_to(p, v) for p, v in zip(("0.015912196", "0.984065734"), o_mistaken))
    assert not rounds_to("0.015912196", o_right[0])
    outputs = claims["outputs after 10000 steps"]
    assert (outputs.verdict, outputs.diagnosis) == ("inconsistent", "updated_weights")
    assert not rounds_to("0.0000351085", j_right) and not rounds_to("0.0000351085", j_mistaken)
    loss = claims["loss after 10000 steps"]
    assert (loss.verdict, loss.diagnosis) == ("inconsistent", None)


# --- 2. A 2-2-1 sigmoid network with binary cross-entropy, no biases ---------------------------
SURAFEL_URL = "https://surafelml.github.io/nn-timeline/supp/04_mlp_backprop_numerical.html"
# NumPy's round(·, 4) prints 0.5250 as 0.525 and 0.4350 as 0.435: the figures as printed.
SURAFEL = """\
title: surafelml
network: {layers: [2, 2, 1], activation: sigmoid, loss: binary_cross_entropy, bias: none}
values:
  inputs: [1.0, 0.0]
  targets: [1.0]
  weights: [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]]
learning_rate: 0.5
names: {z1_1: "net[1][1]", z1_2: "net[1][2]", a1_1: "out[1][1]", a1_2: "out[1][2]",
        z2: "net[2][1]", yhat: "out[2][1]", loss: "J", d2: "dJ/dnet[2][1]",
        dW2_1: "dJ/dW[2][1][1]", dW2_2: "dJ/dW[2][1][2]"}
claimed: {z1_1: 0.1, z1_2: 0.3, a1_1: 0.525, a1_2: 0.5744, z2: 0.6072, yhat: 0.6473,
          loss: 0.435, d2: -0.3527, dW2_1: -0.1852, dW2_2: -0.2026}
"""


def test_surafel():
    z1 = [0.1 * 1 + 0.2 * 0, 0.3 * 1 + 0.4 * 0]
    a1 = [sig(z) for z in z1]
    z2 = 0.5 * a1[0] + 0.6 * a1[1]
    yhat = sig(z2)
    true = {"z1_1": z1[0], "z1_2": z1[1], "a1_1": a1[0], "a1_2": a1[1], "z2": z2,
            "yhat": yhat, "loss": -math.log(yhat), "d2": yhat - 1,
            "dW2_1": (yhat - 1) * a1[0], "dW2_2": (yhat - 1) * a1[1]}
    _all_consistent(SURAFEL, true)


# --- 3. Backpropagation solved step by step: a 2-2-1 sigmoid network without biases ----------
PRIME_URL = "https://primelearnpoint.com/deep-learning/backpropagation-solved-step-by-step/"
# L = ½(ŷ − y)²; the page prints no learning rate for this forward pass (0.5 here, unused)
PRIME = """\
title: primelearnpoint
network: {layers: [2, 2, 1], activation: sigmoid, loss: half_sse, bias: none}
values:
  inputs: [0.35, 0.7]
  targets: [1.0]
  weights: [[[0.2, 0.2], [0.3, 0.3]], [[0.3, 0.9]]]
learning_rate: 0.5
names: {z_h1: "net[1][1]", a_h1: "out[1][1]", z_h2: "net[1][2]", a_h2: "out[1][2]",
        z_o3: "net[2][1]", ŷ: "out[2][1]", L: "J"}
claimed: {z_h1: 0.2100, a_h1: 0.5523, z_h2: 0.3150, a_h2: 0.5781, z_o3: 0.6860, ŷ: 0.6651,
          L: 0.0561}
"""


def test_primelearnpoint():
    a = [sig(0.2 * 0.35 + 0.2 * 0.7), sig(0.3 * 0.35 + 0.3 * 0.7)]
    z_o3 = 0.3 * a[0] + 0.9 * a[1]
    true = {"z_h1": 0.2 * 0.35 + 0.2 * 0.7, "a_h1": a[0], "z_h2": 0.3 * 0.35 + 0.3 * 0.7,
            "a_h2": a[1], "z_o3": z_o3, "ŷ": sig(z_o3), "L": 0.5 * (1 - sig(z_o3)) ** 2}
    _all_consistent(PRIME, true)


# --- 4. A one-parameter linear regression, its mean squared error, one step --------------------
ML530_URL = "https://cross-entropy.net/ML530/Question1.txt"
ML530 = """\
title: ML530 question 1
network: {layers: [1, 1], activation: identity, loss: mse, bias: none}
values: {inputs: [-0.05], targets: [-0.05], weights: [[[0.90]]]}
learning_rate: 0.1
names: {y_hat: "out[1][1]", mse: "J", gradient: "dJ/dW[1][1][1]", new_weight: "new W[1][1][1]"}
claimed:
  y_hat: -0.045
  mse: 0.000025
  gradient: -0.0005
  new_weight: 0.90005
  loss_after_steps: {1: 0.00002497500625}
"""


def test_ml530():
    x, y, w = -0.05, -0.05, 0.90
    gradient = 2 * (w * x - y) * x
    new = w - 0.1 * gradient
    true = {"y_hat": w * x, "mse": (y - w * x) ** 2, "gradient": gradient, "new_weight": new,
            "loss after 1 step": (y - new * x) ** 2}
    _all_consistent(ML530, true)


# --- 5. One linear neuron, four examples, the batch's mean squared error -----------------------
FILO_URL = ("https://askfilo.com/user-question-answers-smart-solutions/"
            "consider-a-single-neuron-neural-network-no-hidden-layers-3432393538363939")
# MSE = (1/N) Σ (ŷ − y)²: the batch's loss is the mean of each example's squared error; the
# figures of its part (a), batch gradient descent, one epoch (one step)
FILO = """\
title: askfilo batch gradient descent
network: {layers: [1, 1], activation: identity, loss: sse, bias: per_neuron}
values:
  examples:
    - {inputs: [1], targets: [3]}
    - {inputs: [2], targets: [5]}
    - {inputs: [3], targets: [7]}
    - {inputs: [4], targets: [9]}
  weights: [[[0]]]
  biases: [[0]]
batch_loss: mean
learning_rate: 0.1
names: {dLdw: "dJ/dW[1][1][1]", dLdb: "dJ/db[1][1]", w1: "new W[1][1][1]", b1: "new b[1][1]"}
claimed: {dLdw: -35, dLdb: -12, w1: 3.5, b1: 1.2}
"""


def test_askfilo_batch_mean():
    data = [(1, 3), (2, 5), (3, 7), (4, 9)]
    gw = sum(2 * (0 - y) * x for x, y in data) / 4
    gb = sum(2 * (0 - y) for _, y in data) / 4
    _all_consistent(FILO, {"dLdw": gw, "dLdb": gb, "w1": -0.1 * gw, "b1": -0.1 * gb})
    # read as the sum of the four losses, each figure is the mean's, a quarter of the sum's
    summed = audit(parse(FILO.replace("batch_loss: mean", "batch_loss: sum"), "sum.yaml"))
    assert {(c.verdict, c.diagnosis) for c in summed} == {("inconsistent", "mean_for_sum")}


# --- 6. Softmax over three classes: the cross-entropy's gradient at the logits -----------------
ONENOUGHT_URL = ("https://www.onenoughtone.com/learning-path/machine-learning-patterns/"
                 "problem/softmax-cross-entropy-gradient")
# logits [1, 2, 3] as a layer whose weights pass the inputs through; "rounded to 4 decimal
# places" prints −0.9100 as −0.91
LOGITS = """\
network: {layers: [3, 3], activation: softmax, loss: cross_entropy, bias: none}
values:
  inputs: [1.0, 2.0, 3.0]
  targets: TARGETS
  weights: [[[1, 0, 0], [0, 1, 0], [0, 0, 1]]]
learning_rate: 0.1
"""
ONENOUGHT = "title: onenoughtone\n" + LOGITS.replace("TARGETS", "[1, 0, 0]") + """\
names: {g1: "dJ/dnet[1][1]", g2: "dJ/dnet[1][2]", g3: "dJ/dnet[1][3]"}
claimed: {g1: -0.91, g2: 0.2447, g3: 0.6652}
"""


def softmax(z):
    e = [math.exp(v) for v in z]
    return [v / sum(e) for v in e]


def test_onenoughtone_softmax_three_classes():
    p = softmax([1.0, 2.0, 3.0])
    _all_consistent(ONENOUGHT, {"g1": p[0] - 1, "g2": p[1], "g3": p[2]})


# --- 7. The same logits, the target the third class: one printed figure is wrong -------------
PIXELBANK_URL = "https://pixelbank.dev/problems/69600de72a516eab5414e9cf"
# The page prints the softmax [0.09, 0.24, 0.67], the gradient's third entry worked as
# 0.67 − 1 = −0.33 in its explanation, and its expected output as [[0.09, 0.24, -0.67]]: the
# third entry printed twice, under two labels
PIXELBANK = "title: pixelbank\n" + LOGITS.replace("TARGETS", "[0, 0, 1]") + """\
names: {p1: "out[1][1]", p2: "out[1][2]", p3: "out[1][3]", g1: "dJ/dnet[1][1]",
        g2: "dJ/dnet[1][2]", g3: "dJ/dnet[1][3]", g3_worked: "dJ/dnet[1][3]"}
claimed: {p1: 0.09, p2: 0.24, p3: 0.67, g1: 0.09, g2: 0.24, g3: -0.67, g3_worked: -0.33}
"""


def test_pixelbank_prints_the_probability_with_a_minus_for_the_gradient():
    p = softmax([1.0, 2.0, 3.0])
    claims = {c.label: c for c in audit(parse(PIXELBANK, "pixelbank.yaml"))}
    true = {"p1": p[0], "p2": p[1], "p3": p[2], "g1": p[0], "g2": p[1], "g3_worked": p[2] - 1}
    for label, value in true.items():
        assert rounds_to(claims[label].printed, value) and claims[label].verdict == "consistent"
    # −0.67 is −ŷ3, the probability with a minus sign, where the gradient is ŷ3 − 1 = −0.33,
    # as the page's own explanation works it out
    assert rounds_to("-0.67", -p[2]) and not rounds_to("-0.67", p[2] - 1)
    assert claims["g3"].verdict == "inconsistent"


# --- 8. A dead ReLU: its pre-activation is negative, so nothing flows back --------------------
HEITOR_URL = "https://github.com/HeitorKun/TCC-exploration"
# the notebook's printout: z = −0.5, a = 0.0, loss = (a − target)² = 0.25, dL/dz = −0.0, the
# weight and the bias unchanged (0.5, −1.0)
HEITOR = """\
title: a dead ReLU
network: {layers: [1, 1], activation: relu, loss: sse, bias: per_neuron}
values: {inputs: [1.0], targets: [0.5], weights: [[[0.5]]], biases: [[-1.0]]}
learning_rate: 0.1
names: {z: "net[1][1]", a: "out[1][1]", loss: "J", dz: "dJ/dnet[1][1]", w_new: "new W[1][1][1]",
        b_new: "new b[1][1]"}
claimed: {z: -0.5, a: 0.0, loss: 0.25, dz: -0.0, w_new: 0.5, b_new: -1.0}
"""


def test_a_dead_relu():
    z = 0.5 * 1.0 - 1.0
    a = max(0.0, z)
    dz = 2 * (a - 0.5) * (1.0 if z > 0 else 0.0)
    _all_consistent(HEITOR, {"z": z, "a": a, "loss": (a - 0.5) ** 2, "dz": dz,
                             "w_new": 0.5 - 0.1 * dz * 1.0, "b_new": -1.0 - 0.1 * dz})


# --- 9. A ReLU layer by hand, one neuron zeroed (a forward pass, no targets) ------------------
EGTRY_URL = "https://www.egtry.com/neural-net-by-hand/relu/"
EGTRY = """\
title: egtry ReLU
network: {layers: [2, 2], activation: relu, loss: half_sse, bias: per_neuron}
values: {inputs: [1, 2], weights: [[[1, 1], [1, -1]]], biases: [[-1, 0]]}
learning_rate: 0.1
names: {z1: "net[1][1]", h1: "out[1][1]", z2: "net[1][2]", h2: "out[1][2]"}
claimed: {z1: 2, h1: 2, z2: -1, h2: 0}
"""


def test_egtry_relu_forward_only():
    z = [1 * 1 + 1 * 2 - 1, 1 * 1 - 1 * 2 + 0]
    _all_consistent(EGTRY, {"z1": z[0], "h1": max(0, z[0]), "z2": z[1], "h2": max(0, z[1])})


# --- 10. Han & Kamber's textbook exercise -----------------------------------------------------
HAN_KAMBER_URL = "https://huggingface.co/datasets/nvidia/Nemotron-CC-Math-v1"
# Data Mining: Concepts and Techniques, the backpropagation example of its classification
# chapter, reproduced at that address as "Appendix B: An Example of Back-propagation
# Algorithm" (November 2011), its tables 2 to 4 as worksheets/han-kamber-3-2-1.yaml writes
# them (the book's names, its Err = −∂J/∂net). Err6 = 0.1311 is worked from O6 already
# rounded to 0.474.


def test_han_kamber():
    text = (WORKSHEETS / "han-kamber-3-2-1.yaml").read_text(encoding="utf-8")
    claims = {c.label: c for c in audit(parse(text, "han-kamber.yaml"))}
    o4, o5 = sig(0.2 - 0.5 - 0.4), sig(-0.3 + 0.2 + 0.2)
    o6 = sig(-0.3 * o4 - 0.2 * o5 + 0.1)
    err6 = o6 * (1 - o6) * (1 - o6)
    assert not rounds_to("0.1311", err6) and rounds_to("0.1311", 0.474 * 0.526 * 0.526)
    assert (claims["Err6"].verdict, claims["Err6"].diagnosis) == ("inconsistent",
                                                                  "rounded_too_early")
    true = {"I4": 0.2 - 0.5 - 0.4, "O4": o4, "O5": o5, "O6": o6,
            "Err5": o5 * (1 - o5) * err6 * -0.2, "Err4": o4 * (1 - o4) * err6 * -0.3,
            "new w46": -0.3 + 0.9 * err6 * o4, "new θ6": 0.1 + 0.9 * err6}
    for label, value in true.items():
        assert rounds_to(claims[label].printed, value), label
        assert claims[label].verdict == "consistent", (label, claims[label].message)


# --- shared ------------------------------------------------------------------------------------


def _all_consistent(text: str, true: dict[str, float]):
    """Every figure printed is its true value rounded (checked here first), and the audit says
    so, for every figure the example prints."""
    claims = {c.label or c.name: c for c in audit(parse(text, "example.yaml"))}
    assert set(true) == set(claims)
    for label, value in true.items():
        printed = claims[label].printed
        assert rounds_to(printed if isinstance(printed, str) else printed[0], value), label
        assert claims[label].verdict == "consistent", (label, claims[label].message)


CITED = {"mazur": (MAZUR_URL, MAZUR), "surafelml": (SURAFEL_URL, SURAFEL),
         "primelearnpoint": (PRIME_URL, PRIME), "ml530": (ML530_URL, ML530),
         "askfilo": (FILO_URL, FILO), "onenoughtone": (ONENOUGHT_URL, ONENOUGHT),
         "pixelbank": (PIXELBANK_URL, PIXELBANK), "heitor": (HEITOR_URL, HEITOR),
         "han-kamber": (HAN_KAMBER_URL,
                        (WORKSHEETS / "han-kamber-3-2-1.yaml").read_text(encoding="utf-8")),
         "postnetwork": (
             "https://www.postnetwork.co/understanding-neural-networks-softmax-cross-entropy-"
             "and-backpropagation",
             (WORKSHEETS / "postnetwork-softmax-3-2-2.yaml").read_text(encoding="utf-8")),
         "sreekanth": ("https://github.com/sreekanth9999/Interview_Prep",
                       (WORKSHEETS / "relu-bce-1-1-1.yaml").read_text(encoding="utf-8"))}


@pytest.mark.parametrize("name", list(CITED))
def test_every_gradient_agrees_with_pytorch(name):
    """The engine's J, outputs and every gradient of each example against autograd (float64),
    the examples with targets; a forward pass only (egtry's, the tanh XOR's hidden layer) has
    no loss to differentiate."""
    pytest.importorskip("torch")
    from .test_torch import _compare

    _compare(instance(parse(CITED[name][1], f"{name}.yaml")))


def test_the_forward_only_examples_have_no_loss():
    for text in (EGTRY, (ROOT / "tests" / "examples" / "tanh-xor-hidden-layer.yaml").read_text(
            encoding="utf-8")):
        assert parse(text, "fwd.yaml").values.targets is None
