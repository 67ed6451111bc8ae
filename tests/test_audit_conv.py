"""audit of a worked example on an image (convolution, pooling): every printed figure judged
against PyTorch's own numbers (conv2d, max_pool2d, autograd in float64), the right ones
consistent, the wrong ones flagged with the mistake PyTorch reproduces when made on purpose."""

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from symbackprop.definitions.definition import load
from symbackprop.definitions.yamlfile import Printed
from symbackprop.engine import convnumeric as cn
from symbackprop.engine.sample import instance
from symbackprop.marking.audit_conv import audit

from .conftest import ROOT
from .hostile import assert_refused, run

torch = pytest.importorskip("torch")
F = torch.nn.functional
EXAMPLE = ROOT / "tests" / "examples" / "conv-5x5-2x2-maxpool.yaml"


def rounds_to(printed: str, value: float) -> bool:
    places = Decimal(printed).as_tuple().exponent
    return Decimal(printed) == Decimal(repr(float(value))).quantize(Decimal(1).scaleb(places),
                                                            rounding=ROUND_HALF_UP)


def torch_figures(defn, flip: bool = False) -> dict:
    """Every quantity the example prints, by canonical name, as PyTorch computes it (with the
    kernel turned 180° if `flip`)."""
    inst = instance(defn)
    p = cn.params(inst)
    x = torch.tensor(cn.image(inst)[None], requires_grad=True)
    K = torch.tensor(p.weights[0], requires_grad=True)
    b = torch.tensor(p.biases[0], requires_grad=True)
    W, c = torch.tensor(p.weights[3], requires_grad=True), torch.tensor(p.biases[3])
    z = F.conv2d(x, K.flip(-1, -2) if flip else K, b)
    a = torch.relu(z)
    a.retain_grad()
    z.retain_grad()
    pooled = F.max_pool2d(a, 2)
    pooled.retain_grad()
    net = W @ pooled.flatten() + c
    net.retain_grad()
    y = torch.sigmoid(net)
    J = 0.5 * ((torch.tensor(cn.targets(inst)) - y) ** 2).sum()
    J.backward()
    out = {"J": J.item(), "net[4][1]": net.item(), "out[4][1]": y.item(),
           "dJ/dnet[4][1]": net.grad.item(), "dJ/db[1][1]": b.grad.item()}
    for (i, j), v in np.ndenumerate(z.detach().numpy()[0, 0]):
        out[f"net[1][1][{i + 1}][{j + 1}]"] = v
        out[f"dJ/dnet[1][1][{i + 1}][{j + 1}]"] = z.grad.numpy()[0, 0, i, j]
        out[f"dJ/dout[1][1][{i + 1}][{j + 1}]"] = a.grad.numpy()[0, 0, i, j]
    for (i, j), v in np.ndenumerate(pooled.detach().numpy()[0, 0]):
        out[f"out[2][1][{i + 1}][{j + 1}]"] = v
        out[f"dJ/dout[2][1][{i + 1}][{j + 1}]"] = pooled.grad.numpy()[0, 0, i, j]
    for (u, v), g in np.ndenumerate(K.grad.numpy()[0, 0]):
        name = f"K[1][1][1][{u + 1}][{v + 1}]"
        out[f"dJ/d{name}"] = g
        out[f"new {name}"] = K.detach().numpy()[0, 0, u, v] - inst.learning_rate * g
    for (i, j), g in np.ndenumerate(x.grad.numpy()[0, 0]):
        out[f"dJ/dx[1][{i + 1}][{j + 1}]"] = g
    return out


def test_every_figure_of_the_worked_example_is_judged_as_pytorch_says():
    defn = load(str(EXAMPLE))
    right, flipped = torch_figures(defn), torch_figures(defn, flip=True)
    verdicts = {c.name: c for c in audit(defn)}
    printed = {n: v.text for n, v in defn.claimed}
    eta = defn.learning_rate
    for name, text in printed.items():
        # a figure PyTorch's value rounds to is consistent, and only such a figure, save one
        # worked from the author's own right figure printed with fewer decimals
        if name != "new K[1][1][1][2][1]":
            assert (verdicts[name].verdict == "consistent") == rounds_to(text, right[name]), name
    assert len([c for c in verdicts.values() if c.verdict == "consistent"]) == 12
    z11 = "net[1][1][1][1]"  # the kernel turned 180°: PyTorch's conv2d of the flipped kernel
    assert rounds_to(printed[z11], flipped[z11]) and not rounds_to(printed[z11], right[z11])
    assert verdicts[z11].diagnosis == "kernel_flipped" and verdicts[z11].label == "z11"
    # a pixel that is not its window's maximum, given the window's whole gradient
    pixel = "dJ/dout[1][1][1][1]"
    assert right[pixel] == 0 and rounds_to(printed[pixel], right["dJ/dout[2][1][1][1]"])
    assert verdicts[pixel].diagnosis == "every_window_position"
    entry = "K[1][1][1][2][2]"
    assert rounds_to(printed[f"dJ/d{entry}"], -right[f"dJ/d{entry}"])
    assert verdicts[f"dJ/d{entry}"].diagnosis == "sign"
    # the step from the author's own wrong gradient follows from it
    own = instance(defn).values.layers[0].weights[0][0][1][1] - eta * float(printed[f"dJ/d{entry}"])
    assert rounds_to(printed[f"new {entry}"], own)
    assert not rounds_to(printed[f"new {entry}"], right[f"new {entry}"])
    assert verdicts[f"new {entry}"].verdict == "carried_forward"
    # from −0.09, right to two decimals, a step printed to four
    step = "new K[1][1][1][2][1]"
    assert rounds_to(printed["dJ/dK[1][1][1][2][1]"], right["dJ/dK[1][1][1][2][1]"])
    assert rounds_to(printed[step], 0.4 - eta * -0.09) and not rounds_to(printed[step],
                                                                          right[step])
    assert (verdicts[step].verdict, verdicts[step].diagnosis) == ("inconsistent",
                                                                  "rounded_too_early")
    wrong = verdicts["dJ/dx[1][3][2]"]  # no modelled mistake gives it
    assert (wrong.verdict, wrong.diagnosis) == ("inconsistent", None)
    assert wrong.engine == pytest.approx(right["dJ/dx[1][3][2]"], abs=1e-12)


@pytest.mark.parametrize("seed", [1, 4, 7])
def test_random_networks_right_figures_consistent_and_wrong_ones_flagged(seed):
    """Figures printed from PyTorch's values to six decimals are all consistent; each moved by
    a few percent is not."""
    from .test_conv_torch import random_definition, torch_loss, torch_model

    defn = random_definition(seed)
    inst = instance(defn)
    model = torch_model(inst)
    x = torch.tensor(cn.image(inst), requires_grad=True)
    J = torch_loss(inst.network.loss, model(x), torch.tensor(cn.targets(inst)))
    J.backward()
    figures = {"J": J.item()}
    for (c, i, j), g in np.ndenumerate(x.grad.numpy()):
        figures[f"dJ/dx[{c + 1}][{i + 1}][{j + 1}]"] = g
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    for index, g in np.ndenumerate(convs[0].weight.grad.numpy()):
        figures["dJ/dK[1]" + "".join(f"[{i + 1}]" for i in index)] = g
    names = list(figures)[:: max(1, len(figures) // 12)]  # a dozen or so of them

    def claims(move: float):
        return tuple((n, Printed(float(f"{figures[n] * (1 + move) + move * 0.01:.6f}"),
                                 f"{figures[n] * (1 + move) + move * 0.01:.6f}")) for n in names)

    fine = audit(replace(defn, values=inst.values, claimed=claims(0.0)))
    assert [c.verdict for c in fine] == ["consistent"] * len(names)
    off = audit(replace(defn, values=inst.values, claimed=claims(0.05)))
    assert all(c.verdict != "consistent" for c in off), [(c.name, c.verdict) for c in off]


def test_audit_prints_each_figure_and_refuses_what_it_cannot_audit(tmp_path):
    done = run(["audit", str(EXAMPLE)], tmp_path)
    assert done.code == 0, done.stderr
    assert "12 of 18 printed figures consistent" in done.stdout
    assert "z11 (net[1][1][1][1])" in done.stdout and "[kernel_flipped]" in done.stdout
    text = EXAMPLE.read_text(encoding="utf-8")
    (tmp_path / "partial.yaml").write_text(text.replace(", biases: [-0.25]", ""),
                                           encoding="utf-8")
    assert_refused(run(["audit", "partial.yaml"], tmp_path), "partial.yaml: values: an audit "
                   "needs every number the author used")
    (tmp_path / "steps.yaml").write_text(text + "  loss_after_steps: {10: 0.01}\n",
                                         encoding="utf-8")
    assert_refused(run(["audit", "steps.yaml"], tmp_path),
                   "steps.yaml: claimed.loss_after_steps: training of a network on an image "
                   "is not audited yet")
    (tmp_path / "name.yaml").write_text(text.replace("net[4][1]: 0.293", "net[3][1]: 0.293"),
                                        encoding="utf-8")
    assert_refused(run(["audit", "name.yaml"], tmp_path), "name.yaml: claimed.net[3][1]:")
