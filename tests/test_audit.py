"""The audit's rules, each on a worked example written out as its author printed it.

The main example is Han & Kamber's (Data Mining: Concepts and Techniques, the backpropagation
example): a 3-2-1 sigmoid network, x = (1, 0, 1), target 1, learning rate 0.9, a bias θ added to
each unit's net input, and Err_j = O_j(1 − O_j)(T_j − O_j), which is δ with the minus sign.
Figures an author got wrong are worked out below in plain Python, the way that author did.
"""

import json
import math

import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import DefinitionError, parse
from symbackprop.marking.audit import audit

from .conftest import ROOT, WORKSHEETS

HAN_KAMBER = """\
title: Han & Kamber
network: {layers: [3, 2, 1], activation: sigmoid, loss: half_sse, bias: per_neuron}
values:
  inputs: [1, 0, 1]
  targets: [1]
  weights: [[[0.2, 0.4, -0.5], [-0.3, 0.1, 0.2]], [[-0.3, -0.2]]]
  biases: [[-0.4, 0.2], [0.1]]
learning_rate: 0.9
names: {w14: "W[1][1][1]", w24: "W[1][1][2]", w34: "W[1][1][3]", w15: "W[1][2][1]",
        w25: "W[1][2][2]", w35: "W[1][2][3]", w46: "W[2][1][1]", w56: "W[2][1][2]",
        θ4: "b[1][1]", θ5: "b[1][2]", θ6: "b[2][1]", O4: "out[1][1]", O5: "out[1][2]",
        O6: "out[2][1]", Err4: "dJ/dnet[1][1]", Err5: "dJ/dnet[1][2]", Err6: "dJ/dnet[2][1]"}
"""

# as printed in the book
PRINTED = """\
claimed:
  O4: 0.332
  O5: 0.525
  O6: 0.474
  Err6: 0.1311
  Err5: -0.0065
  Err4: -0.0087
  new w46: -0.261
  new w56: -0.138
  new w14: 0.192
  new w15: -0.306
  new w24: 0.4
  new w34: -0.508
  new w35: 0.194
  new θ6: 0.218
  new θ5: 0.194
  new θ4: -0.408
"""

MINUS = "conventions: {delta: minus}\n"


def sig(z):
    return 1 / (1 + math.exp(-z))


def by_name(claims):
    return {c.label or c.name: c for c in claims}


def run_audit(text):
    return by_name(audit(parse(text, "example.yaml")))


def test_the_book_agrees_at_its_printed_precision_except_err6():
    claims = run_audit(HAN_KAMBER + MINUS + PRINTED)
    wrong = {k: (c.verdict, c.diagnosis) for k, c in claims.items() if c.verdict != "consistent"}
    # Err6 = O6(1 − O6)(1 − O6) = 0.131169 rounds to 0.1312; the book works from O6 = 0.474:
    assert round(0.474 * (1 - 0.474) ** 2, 4) == 0.1311
    o6 = sig(-0.3 * sig(-0.7) - 0.2 * sig(0.1) + 0.1)
    assert round(o6, 3) == 0.474 and round(o6 * (1 - o6) ** 2, 4) == 0.1312
    assert wrong == {"Err6": ("inconsistent", "rounded_too_early")}
    assert "O6 = 0.474" in claims["Err6"].message


def test_a_declared_sign_convention_flips_delta_and_says_so():
    claims = run_audit(HAN_KAMBER + MINUS + PRINTED)
    err5 = claims["Err5"]
    assert err5.verdict == "consistent" and err5.name == "dJ/dnet[1][2]"
    assert err5.engine == pytest.approx(-0.006542085, abs=1e-9)  # in the author's convention
    assert "−∂J/∂net" in claims["Err6"].message  # said once, at the first δ
    # without the declaration, the book's Err6 is δ with the wrong sign, and the hidden
    # errors follow from it
    plain = run_audit(HAN_KAMBER + PRINTED)
    assert (plain["Err6"].verdict, plain["Err6"].diagnosis) == ("inconsistent", "sign")
    assert plain["Err5"].verdict == plain["Err4"].verdict == "carried_forward"


def test_the_printed_precision_is_what_was_printed():
    # O4 = σ(−0.7) = 0.33181: '0.33' is right to 2 decimals, '0.330' is wrong to 3
    assert sig(-0.7) == pytest.approx(0.331812, abs=1e-6)
    claims = run_audit(HAN_KAMBER + "claimed: {O4: 0.33, O5: 0.525}\n")
    assert claims["O4"].verdict == "consistent"
    claims = run_audit(HAN_KAMBER + "claimed: {O4: 0.330, O5: 0.5250, new w24: 0.40}\n")
    assert claims["O4"].verdict == "inconsistent" and claims["O4"].printed == "0.330"
    # σ(0.1) = 0.524979 rounds to 0.5250 at the 4 decimals printed; w24 does not move (x2 = 0)
    assert (claims["O5"].verdict, claims["new w24"].verdict) == ("consistent", "consistent")


def test_seed_003_trailing_zero_is_a_tenth_decimal():
    """The post prints J = 0.298371109; the true J = 0.2983711088 to ten decimals."""
    blog = (WORKSHEETS / "blog-2-2-2.yaml").read_text().split("\nclaimed:")[0] + "\n"
    right = run_audit(blog + "claimed: {J: 0.298371109}\n")
    assert right["J"].verdict == "consistent"
    wrong = run_audit(blog + "claimed: {J: 0.2983711090}\n")
    assert wrong["J"].verdict == "inconsistent"


def updated_weights_author():
    """A textbook that computes the hidden errors through the output weights it has just
    updated (w46, w56 new), then the new hidden weights, printed to 3 decimals."""
    x, th = [1, 0, 1], [-0.4, 0.2]
    W1 = [[0.2, 0.4, -0.5], [-0.3, 0.1, 0.2]]
    O = [sig(sum(w * xi for w, xi in zip(W1[j], x)) + th[j]) for j in range(2)]
    O6 = sig(-0.3 * O[0] - 0.2 * O[1] + 0.1)
    err6 = O6 * (1 - O6) * (1 - O6)
    new_out = [-0.3 + 0.9 * err6 * O[0], -0.2 + 0.9 * err6 * O[1]]  # updated first
    err = [O[j] * (1 - O[j]) * err6 * new_out[j] for j in range(2)]
    printed = {"new w14": W1[0][0] + 0.9 * err[0], "new w34": W1[0][2] + 0.9 * err[0],
               "new w15": W1[1][0] + 0.9 * err[1], "new w35": W1[1][2] + 0.9 * err[1],
               "new θ4": th[0] + 0.9 * err[0], "new θ5": th[1] + 0.9 * err[1]}
    right = {"new w14": 0.19214789, "new w34": -0.50785211, "new w15": -0.30588788,
             "new w35": 0.19411212, "new θ4": -0.40785211, "new θ5": 0.19411212}
    return {k: f"{v:.3f}" for k, v in printed.items()}, right


def test_a_mistake_inside_the_tolerance_is_still_a_mistake():
    printed, right = updated_weights_author()
    assert printed["new w14"] == "0.193" and printed["new w34"] == "-0.507"
    inside = [k for k in printed if abs(float(printed[k]) - right[k]) <= 0.005 * abs(right[k])]
    assert {"new w14", "new w34", "new θ4"} <= set(inside)  # within 0.5 % of the right value
    forward = "  O4: 0.332\n  O5: 0.525\n  O6: 0.474\n"  # as the book prints them
    claims = run_audit(HAN_KAMBER + "claimed:\n" + forward + "".join(
        f"  {k}: {v}\n" for k, v in printed.items()))
    for k in printed:
        assert (claims[k].verdict, claims[k].diagnosis) == ("inconsistent", "updated_weights"), \
            (k, claims[k].message)


def test_carried_forward_only_from_the_authors_own_wrong_figures():
    # Err4 worked through the updated w46 (wrong), then w14 from that Err4: carried forward
    O4, O6 = sig(-0.7), sig(-0.3 * sig(-0.7) - 0.2 * sig(0.1) + 0.1)
    err6 = O6 * (1 - O6) ** 2
    err4 = O4 * (1 - O4) * err6 * (-0.3 + 0.9 * err6 * O4)
    claimed = f"claimed:\n  Err4: {err4:.4f}\n  new w14: {0.2 + 0.9 * round(err4, 4):.3f}\n"
    claims = run_audit(HAN_KAMBER + MINUS + claimed)
    assert (claims["Err4"].verdict, claims["Err4"].diagnosis) == ("inconsistent",
                                                                  "updated_weights")
    assert claims["new w14"].verdict == "carried_forward"
    assert "Err4 = -0.0076" in claims["new w14"].message
    # from right figures rounded early it is not carried forward: Err6 above, and here w46
    claims = run_audit(HAN_KAMBER + MINUS + "claimed: {Err6: 0.13, new w46: -0.2609}\n")
    assert claims["Err6"].verdict == "consistent"
    assert round(-0.3 + 0.9 * 0.13 * sig(-0.7), 4) == -0.2612  # from Err6 = 0.13
    claims = run_audit(HAN_KAMBER + MINUS + "claimed: {Err6: 0.13, new w46: -0.2612}\n")
    assert (claims["new w46"].verdict, claims["new w46"].diagnosis) == (
        "inconsistent", "rounded_too_early")
    assert "follows from the author's figures Err6 = 0.13" in claims["new w46"].message


def test_weight_changes_are_claimable():
    # Δw46 = l · Err6 · O4 = 0.9 · 0.131169 · 0.331812 = 0.039171
    claims = run_audit(HAN_KAMBER + "claimed: {delta w46: 0.0392, delta w24: 0.0, "
                                    "dJ/dw46: -0.0435}\n")
    assert claims["delta w46"].name == "delta W[2][1][1]"
    assert {k: c.verdict for k, c in claims.items()} == {
        "delta w46": "consistent", "delta w24": "consistent", "dJ/dw46": "consistent"}
    claims = run_audit(HAN_KAMBER + "claimed: {delta w46: -0.0392}\n")
    assert claims["delta w46"].diagnosis == "sign"


def blog_with_sse():
    """Seed 003's 2-2-2 network worked by an author whose J is Σ(t − y)² (no ½)."""
    x, t = [0.05, 0.10], [0.01, 0.99]
    h = [sig(0.15 * x[0] + 0.20 * x[1] + 0.35), sig(0.25 * x[0] + 0.30 * x[1] + 0.35)]
    o = [sig(0.40 * h[0] + 0.45 * h[1] + 0.60), sig(0.50 * h[0] + 0.55 * h[1] + 0.60)]
    J = sum((ti - oi) ** 2 for ti, oi in zip(t, o))
    g5 = 2 * (o[0] - t[0]) * o[0] * (1 - o[0]) * h[0]
    return {"J": f"{J:.9f}", "dJ/dW[2][1][1]": f"{g5:.9f}",
            "new W[2][1][1]": f"{0.4 - 0.5 * g5:.8f}"}


def test_a_loss_convention_is_said_once():
    blog = (WORKSHEETS / "blog-2-2-2.yaml").read_text().split("\nclaimed:")[0] + "\n"
    figures = blog_with_sse()
    assert figures["J"] == "0.596742218"  # twice the post's 0.298371109
    claims = audit(parse(blog + "claimed:\n" + "".join(
        f'  "{k}": {v}\n' for k, v in figures.items()) + '  "out[2][1]": 0.75136507\n', "b.yaml"))
    verdicts = {c.name: (c.verdict, c.diagnosis) for c in claims}
    assert verdicts["out[2][1]"] == ("consistent", None)  # the forward pass has no loss in it
    assert {verdicts[k] for k in figures} == {("inconsistent", "loss_convention")}
    notes = [c.message for c in claims if "check `loss:`" in c.message]
    assert len(notes) == 1 and notes[0].startswith("J is 2× the engine's value")


def test_a_forward_pass_only_example():
    no_targets = HAN_KAMBER.replace("  targets: [1]\n", "")
    claims = run_audit(no_targets + "claimed: {O4: 0.332, O5: 0.525, O6: 0.474}\n")
    assert {c.verdict for c in claims.values()} == {"consistent"}
    with pytest.raises(DefinitionError, match=r"claimed\.Err6: needs values\.targets"):
        audit(parse(no_targets + "claimed: {O6: 0.474, Err6: 0.1311}\n", "fwd.yaml"))
    with pytest.raises(DefinitionError, match=r"claimed\.t\[1\]: needs values\.targets"):
        audit(parse(no_targets + "claimed: {\"t[1]\": 1}\n", "fwd.yaml"))


def test_cli_forward_only_and_step_bound_fail_in_one_line(tmp_path, capsys):
    path = tmp_path / "fwd.yaml"
    path.write_text(HAN_KAMBER.replace("  targets: [1]\n", "") + "claimed: {J: 0.13}\n")
    assert main(["audit", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "claimed.J: needs values.targets" in err
    path.write_text(HAN_KAMBER + "claimed: {loss_after_steps: {1000000: 0.1}}\n")
    assert main(["audit", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "100000" in err and "loss_after_steps.1000000" in err


def test_names_map_must_name_real_quantities():
    with pytest.raises(DefinitionError, match=r"names\.w9: 'W\[3\]\[1\]\[1\]' names nothing"):
        parse(HAN_KAMBER.replace("θ6: \"b[2][1]\"", "θ6: \"b[2][1]\", w9: \"W[3][1][1]\""))
    with pytest.raises(DefinitionError, match=r"claimed\.w46: names the same quantity"):
        parse(HAN_KAMBER + 'claimed: {"W[2][1][1]": 1, w46: 2}\n')


def test_shipped_han_kamber_audit(capsys):
    assert main(["audit", str(WORKSHEETS / "han-kamber-3-2-1.yaml"), "--json"]) == 0
    claims = json.loads(capsys.readouterr().out)["claims"]
    assert len(claims) == 20
    off = {c["label"]: c["diagnosis"] for c in claims if c["verdict"] != "consistent"}
    assert off == {"Err6": "rounded_too_early"}
    assert next(c for c in claims if c["label"] == "I6")["printed"] == "-0.105"


@pytest.mark.parametrize("text, decimals", [("-0.1360", 4), ("1.0", 1), ("0.0", 1), ("0.30", 2),
                                            ("1", 0), ("3.51e-5", 7), ("0.0000351085", 10)])
def test_the_loader_keeps_each_claim_as_printed(text, decimals):
    d = parse(HAN_KAMBER + f"claimed: {{O4: {text}}}\n")
    (name, value), = d.claimed
    assert (name, value.text, value.decimals) == ("out[1][1]", text, decimals)
    assert value == float(text)


def test_minus_0_1360_is_not_minus_0_13609():
    """The issue's own case: a figure printed as -0.1360 claims four decimals."""
    from symbackprop.marking.check import rounds_to
    assert not rounds_to(-0.1360, -0.13609, 4) and rounds_to(-0.1361, -0.13609, 4)
    assert rounds_to(-0.136, -0.13609, 3)


def test_claimed_training_is_bounded_by_steps_times_parameters():
    big = "network: {layers: [64, 16, 10], activation: sigmoid, loss: half_sse}\n"
    with pytest.raises(DefinitionError, match=r"at most 10000000 steps × parameters"):
        parse(big + "claimed: {loss_after_steps: {20000: 0.1}}\n")
    parse(big + "claimed: {loss_after_steps: {8000: 0.1}}\n")  # 8000 × 1210 is allowed


def test_a_label_may_name_an_updated_weight():
    """Some authors write the new weight under a label of its own (w46+ = −0.261)."""
    text = HAN_KAMBER.replace('θ6: "b[2][1]",', 'θ6: "b[2][1]", w46+: "new W[2][1][1]",')
    claims = run_audit(text + "claimed: {w46+: -0.261, w46: -0.3}\n")
    assert claims["w46+"].name == "new W[2][1][1]" and claims["w46+"].verdict == "consistent"
    assert claims["w46"].verdict == "consistent"  # the given weight, as printed


# --- every figure authors print ------------------------------------------------------------


def test_a_softmax_outputs_own_slopes_are_judged():
    """PostNetwork's 3-2-2 softmax example (worksheets/), its z4 misprinted: ∂J/∂ŷ1 = −1/ŷ1
    and the Jacobian's diagonal ŷ1(1 − ŷ1), as authors print them, are computed and judged
    (not 'the engine does not compute this quantity')."""
    text = (WORKSHEETS / "postnetwork-softmax-3-2-2.yaml").read_text(encoding="utf-8")
    a1, a2 = sig(-0.3), sig(0.0)
    z3, z4 = 0.3 * a1 + 0.4 * a2 + 0.1, -0.1 * a1 + 0.2 * a2 + 0.1
    y1 = math.exp(z3) / (math.exp(z3) + math.exp(z4))
    assert (round(z4, 4), round(-1 / y1, 4), round(y1 * (1 - y1), 3)) == (0.1574, -1.7632, 0.245)
    claims = run_audit(text + '  "dJ/dout[2][1]": -1.7632\n  "dout[2][1]/dnet[2][1]": 0.245\n'
                       '  "dJ/dout[2][2]": 0.0\n')
    assert {k: claims[k].verdict for k in ("dJ/dout[2][1]", "dout[2][1]/dnet[2][1]",
                                           "dJ/dout[2][2]")} == dict.fromkeys(
        ("dJ/dout[2][1]", "dout[2][1]/dnet[2][1]", "dJ/dout[2][2]"), "consistent")
    assert claims["z4"].verdict == "inconsistent" and claims["ŷ1"].verdict == "carried_forward"
    assert claims["L"].verdict == "carried_forward"  # −ln 0.561 from the post's own ŷ1


def test_the_diagonal_only_chain_rule_is_named():
    """An author who takes softmax's Jacobian as diagonal gets δ_j = ∂J/∂ŷ_j · ŷ_j(1 − ŷ_j) =
    −t_j(1 − ŷ_j): 0 for the class that is not the target, where the engine's is ŷ_j − t_j."""
    text = (WORKSHEETS / "postnetwork-softmax-3-2-2.yaml").read_text(encoding="utf-8")
    text = text.split("claimed:")[0] + "claimed:\n"
    a1, a2 = sig(-0.3), sig(0.0)
    z3, z4 = 0.3 * a1 + 0.4 * a2 + 0.1, -0.1 * a1 + 0.2 * a2 + 0.1
    y2 = math.exp(z4) / (math.exp(z3) + math.exp(z4))
    diagonal = (-0 / y2) * y2 * (1 - y2)  # t2 = 0: the diagonal term alone is 0
    claims = run_audit(text + f'  "dJ/dnet[2][2]": {diagonal:.4f}\n'
                              f'  "dJ/dW[2][2][1]": {diagonal * a1:.4f}\n')
    assert (claims["dJ/dnet[2][2]"].verdict, claims["dJ/dnet[2][2]"].diagnosis) == (
        "inconsistent", "softmax_diagonal")
    assert round(y2, 4) == 0.4329 and "the output minus its target" in claims[
        "dJ/dnet[2][2]"].message


def test_out_minus_t_written_for_the_loss_slope():
    """The ReLU/sigmoid example with binary cross-entropy (worksheets/relu-bce-1-1-1.yaml): its
    dL/da2 = a2 − y is ∂L/∂z2, and every later figure follows from it."""
    claims = by_name(audit(parse((WORKSHEETS / "relu-bce-1-1-1.yaml").read_text("utf-8"),
                                 "relu-bce-1-1-1.yaml")))
    a2 = sig(0.5 * 0.5)
    assert (round(a2, 3), round(a2 / (a2 * (1 - a2)), 3)) == (0.562, 2.284)
    assert (claims["dL/da2"].verdict, claims["dL/da2"].diagnosis) == ("inconsistent",
                                                                      "delta_for_dout")
    assert {claims[k].verdict for k in ("dL/dz2", "dL/dw2", "dL/da1", "dL/dz1", "dL/dw1",
                                        "new w2", "new w1")} == {"carried_forward"}
    assert {claims[k].verdict for k in ("z1", "a1", "z2", "a2", "da2/dz2", "da1/dz1")} == {
        "consistent"}


def test_a_batch_forward_pass_with_leading_dots_and_a_quantity_printed_twice():
    """The tanh XOR example's hidden layer (tests/examples/): no targets, numbers as the R
    author prints them (-.22), and net[1][2] of examples 1 and 2 printed twice, rounded
    differently (−1.7 then −1.69; −.83 then −0.82, −0.825 being a tie)."""
    text = (ROOT / "tests" / "examples" / "tanh-xor-hidden-layer.yaml").read_text("utf-8")
    claims = audit(parse(text, "tanh-xor.yaml"))
    nets = {(e, j): [.23, -.24][j - 1] + sum(
        w * x for w, x in zip([[.23, .73], [-1.13, -.48]][j - 1], xs))
        for e, xs in enumerate([(.9, .9), (.9, -.9), (-.9, .9), (-.9, -.9)], start=1)
        for j in (1, 2)}
    assert round(nets[1, 2], 1) == -1.7 and round(nets[1, 2], 2) == -1.69
    assert math.isclose(nets[2, 2], -0.825)
    assert len(claims) == 10 and {c.verdict for c in claims} == {"consistent"}
    twice = [c for c in claims if c.name == "net[1][2]@1"]
    assert [(c.label, c.printed) for c in twice] == [("h2e1", "-1.7"), ("h2e1r", "-1.69")]
    assert next(c for c in claims if c.label == "h1e2").printed == "-.22"
    with pytest.raises(DefinitionError, match=r"claimed\.J: needs values\.targets"):
        audit(parse(text + "  J: 0.5\n", "tanh-xor.yaml"))


def test_a_step_with_its_decimal_point_moved():
    """The blog's new w1 = 0.15 − 0.5 · 0.000438568 = 0.149780716; printed as 0.149978072 its
    change is the right one a place off (a rate of 0.05 would give it too: the point, not the
    rate, is what moved)."""
    blog = (WORKSHEETS / "blog-2-2-2.yaml").read_text().split("\nclaimed:")[0] + "\n"
    moved = 0.15 - 0.5 * 0.000438568 / 10
    assert f"{moved:.9f}" == "0.149978072"
    claims = run_audit(blog + f'claimed: {{"new W[1][1][1]": {moved:.9f}}}\n')
    c = claims["new W[1][1][1]"]
    assert (c.verdict, c.diagnosis) == ("inconsistent", "decimal_point")
    assert "decimal point moved" in c.message


def test_the_loss_convention_found_for_j_applies_to_the_loss_after_steps(tmp_path):
    """An author whose J is Σ(t − y)² (twice the definition's ½Σ) prints the loss after one
    step as that loss after one step taken with its own gradient: the same convention."""
    blog = (WORKSHEETS / "blog-2-2-2.yaml").read_text().split("\nclaimed:")[0] + "\n"
    sse = parse(blog.replace("loss: half_sse", "loss: sse"), "sse.yaml")
    from symbackprop.api.functions import train

    after = train(sse, steps=1).loss_history[-1]  # the author's own training, as `train` runs it
    figures = blog_with_sse()
    claims = audit(parse(blog + "claimed:\n" + "".join(f'  "{k}": {v}\n' for k, v in
                                                       figures.items())
                         + f"  loss_after_steps: {{1: {after:.9f}}}\n", "b.yaml"))
    verdicts = {c.name: (c.verdict, c.diagnosis) for c in claims}
    assert verdicts["loss after 1 step"] == ("inconsistent", "loss_convention")
    assert {verdicts[k] for k in figures} == {("inconsistent", "loss_convention")}
    assert "2× the engine's loss" in claims[-1].message


def test_a_batchs_mean_for_its_sum_applies_to_the_loss_after_steps():
    """The batch of two, its J a sum: an author who prints the mean prints the loss after one
    step as the mean too, after a step with the mean's gradient (half the sum's)."""
    text = (WORKSHEETS / "batch-of-two-2-2-2.yaml").read_text(encoding="utf-8")
    from symbackprop.api.functions import derive, train

    mean = parse(text.replace("batch_loss: sum", "batch_loss: mean"), "mean.yaml")
    J, after = derive(mean).loss, train(mean, steps=1).loss_history[-1]
    total = derive(parse(text, "sum.yaml")).loss
    assert J == pytest.approx(total / 2)
    claims = audit(parse(text + f"claimed:\n  J: {J:.6f}\n  loss_after_steps: {{1: {after:.6f}}}\n",
                         "batch.yaml"))
    assert [(c.name, c.verdict, c.diagnosis) for c in claims] == [
        ("J", "inconsistent", "mean_for_sum"),
        ("loss after 1 step", "inconsistent", "loss_convention")]
