"""The hand-worked sheets of issue 23: a convolution (sheets/convsheet.py) and two steps of
Adam or momentum (sheets/stepsheet.py). Their exact values against PyTorch in float64, their
marking (check, mark, the practice page in Chromium), and what a student sees on the PDF."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from symbackprop.cli import main
from symbackprop.definitions.definition import load, parse
from symbackprop.files import classset
from symbackprop.marking import check

ROOT = Path(__file__).resolve().parent.parent
CONV = ROOT / "worksheets" / "convolution-4x4-3x3-maxpool.yaml"
ADAM = ROOT / "worksheets" / "adam-two-steps-2-1.yaml"
STEPPED = [ROOT / "worksheets" / f"{name}-two-steps-2-1.yaml"
           for name in ("rmsprop", "nesterov", "weight-decay")]

torch.set_default_dtype(torch.float64)


def _conv_yaml(pool: str, act: str = "relu", out: str = "sigmoid", loss: str = "half_sse",
               size: int = 4, kernel: int = 2, outputs: int = 1) -> str:
    pooling = f"- {{kind: {pool}, size: 2}}" if pool else ""
    return f"""title: t
network:
  input: {{channels: 1, height: {size}, width: {size}}}
  layers:
    - {{kind: convolution, filters: 1, kernel: {kernel}, activation: {act}}}
    {pooling}
    - {{kind: flatten}}
    - {{kind: dense, size: {outputs}, activation: {out}}}
  loss: {loss}
versions: 3
"""


def _torch_conv(defn, sheet):
    """The sheet's numbers through torch.nn layers: J, and ∂J/∂K and ∂J/∂b by autograd."""
    net = defn.network
    n = sheet.given_numbers
    x = torch.tensor(n["image"]).reshape(1, 1, *torch.tensor(n["image"]).shape)
    conv = torch.nn.Conv2d(1, 1, len(n["kernel"]), bias=n["bias"] is not None)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(n["kernel"]).reshape(conv.weight.shape))
        if n["bias"] is not None:
            conv.bias.copy_(torch.tensor([n["bias"]]))
    act = {"relu": torch.relu, "identity": lambda z: z, "tanh": torch.tanh,
           "sigmoid": torch.sigmoid}[net.layers[0].activation]
    z = conv(x)
    a = act(z)
    kind = [type(layer).__name__ for layer in net.layers]
    p = a
    if "Pooling" in kind:
        pool = net.layers[1]
        p = (torch.nn.MaxPool2d if pool.kind == "max_pool" else torch.nn.AvgPool2d)(2)(a)
    f = torch.flatten(p, 1)
    dense = torch.nn.Linear(f.shape[1], len(n["weights"]), bias=n["biases"] is not None)
    with torch.no_grad():
        dense.weight.copy_(torch.tensor(n["weights"]))
        if n["biases"] is not None:
            dense.bias.copy_(torch.tensor(n["biases"]).expand(len(n["weights"])))
    netout = dense(f)[0]
    t = torch.tensor(n["targets"])
    out_act = net.layers[-1].activation
    if out_act == "softmax":
        out = torch.softmax(netout, 0)
        J = -(t * torch.log(out)).sum()
    else:
        out = {"sigmoid": torch.sigmoid, "identity": lambda v: v, "tanh": torch.tanh}[
            out_act](netout)
        J = 0.5 * ((t - out) ** 2).sum()
    J.backward()
    return {"z": z[0, 0], "p": p[0, 0], "J": J.item(), "dK": conv.weight.grad[0, 0],
            "db": conv.bias.grad[0].item() if n["bias"] is not None else None}


@pytest.mark.parametrize("pool,act,out,loss,size,kernel,outputs", [
    ("max_pool", "relu", "sigmoid", "half_sse", 4, 3, 1),
    ("max_pool", "relu", "sigmoid", "half_sse", 5, 2, 1),
    ("average_pool", "tanh", "identity", "half_sse", 5, 2, 2),
    ("", "identity", "softmax", "cross_entropy", 4, 3, 3),
    ("average_pool", "sigmoid", "tanh", "half_sse", 5, 2, 1),
])
def test_a_convolution_sheets_exact_values_are_pytorchs(tmp_path, pool, act, out, loss, size,
                                                         kernel, outputs):
    path = tmp_path / "c.yaml"
    path.write_text(_conv_yaml(pool, act, out, loss, size, kernel, outputs))
    defn = load(str(path))
    for version in (1, 2, 3):
        _, sheet = classset.draw(defn, 7, version)
        exact = {a.name: a.exact for a in sheet.answers}
        ref = _torch_conv(defn, sheet)
        assert abs(exact["J"] - ref["J"]) < 1e-12
        for (i, j), zij in _cells(ref["z"]):
            assert abs(exact[f"z[{i}][{j}]"] - zij) < 1e-12
        if pool:
            for (i, j), pij in _cells(ref["p"]):
                assert abs(exact[f"p[{i}][{j}]"] - pij) < 1e-12
        for (u, v), g in _cells(ref["dK"]):
            assert abs(exact[f"dJ/dK[{u}][{v}]"] - g) < 1e-12
        assert abs(exact["dJ/db"] - ref["db"]) < 1e-12


@pytest.mark.parametrize("text", [
    CONV.read_text(),  # the bundled sheet, its one unnumbered version
    _conv_yaml("max_pool", size=5, kernel=2),  # a class set of 3
    _conv_yaml("average_pool", "tanh", "identity", "half_sse", 5, 2, 2),
])
def test_derive_and_the_api_show_the_numbers_the_sheet_printed(tmp_path, capsys, text):
    """A student's `derive` (and the API's) of a convolution sheet takes the draw the sheet
    took, not the first draw the engine would take: every net, loss and kernel gradient of
    derive --json is the key's exact value of the same version."""
    import symbackprop

    path = tmp_path / "c.yaml"
    path.write_text(text)
    defn = load(str(path))
    for version in (1, 2, 3) if defn.versions else (None,):
        exact = {a.name: a.exact for a in classset.draw(defn, None, version)[1].answers}
        capsys.readouterr()
        assert main(["derive", "--json", str(path)] + (
            ["--version", str(version)] if version else [])) == 0
        said = json.loads(capsys.readouterr().out)
        nets = said["layers"][0]["net"][0]
        assert len(nets) ** 2 == sum(name.startswith("z[") for name in exact)
        for i, row in enumerate(nets, start=1):
            for j, z in enumerate(row, start=1):
                assert abs(z - exact[f"z[{i}][{j}]"]) < 1e-12
        assert abs(said["loss"] - exact["J"]) < 1e-12
        kernel = said["grad"][0]["K"][0][0]
        for u, row in enumerate(kernel, start=1):
            for v, g in enumerate(row, start=1):
                assert abs(g - exact[f"dJ/dK[{u}][{v}]"]) < 1e-12
        api = symbackprop.derive(str(path), version=version)
        assert abs(api.loss - exact["J"]) < 1e-12


def _cells(t):
    return [((i + 1, j + 1), t[i, j].item()) for i in range(t.shape[0])
            for j in range(t.shape[1])]


def test_a_max_pool_tie_goes_to_the_first_maximum_as_pytorch(tmp_path):
    """Given numbers with a tie in the pooled window are drawn around: a fully given sheet
    whose window ties is refused rather than printed with a rule no one can see."""
    defn = parse(_conv_yaml("max_pool").replace("versions: 3\n", ""), source="c.yaml")
    inst = classset.instance(defn, 3, None, None)
    from symbackprop.sheets import convsheet
    accept = convsheet.acceptable(defn)
    assert isinstance(accept(inst), bool)


def _key(defn, version, seed=7):
    return check.Key.from_json(json.loads(json.dumps(classset.key(defn, version, seed))))


def test_check_names_the_known_mistakes_of_a_convolution():
    defn = load(str(CONV))
    key = _key(defn, None, None)
    right = {a["label"]: a["value"] for a in key.answers}
    assert all(m.verdict == "correct" for m in check.mark(key, right))
    by = {a["name"]: a for a in key.answers}
    blanks = {b["name"]: b for b in key.scheme["blanks"]}
    # a kernel turned 180°: the true convolution's number, at z[1][1]
    flipped = check.scheme.evaluate(blanks["z[1][1]"]["mistakes"][0]["candidates"][0],
                                    lambda n: by[n]["value"])
    marks = {m.name: m for m in check.mark(key, {"a": round(flipped, 4)})}
    assert marks["z[1][1]"].diagnosis == "kernel_flipped"
    # every entry of a window given its gradient, not only the largest
    zero = next(n for n in by if n.startswith("dJ/da") and by[n]["value"] == 0)
    g = by["dJ/dp[1][1]"]["value"]
    marks = {m.name: m for m in check.mark(key, {by[zero]["label"]: g})}
    assert marks[zero].diagnosis == "every_window_position"


def test_average_pooling_not_divided_is_named(tmp_path):
    path = tmp_path / "avg.yaml"
    path.write_text(_conv_yaml("average_pool", size=5))
    defn = load(str(path))
    key = _key(defn, 1)
    by = {a["name"]: a for a in key.answers}
    g = by["dJ/dp[1][1]"]["value"]
    marks = {m.name: m for m in check.mark(key, {by["dJ/da[1][1]"]["label"]: g})}
    assert marks["dJ/da[1][1]"].diagnosis == "average_not_divided"


def _torch_steps(sheet, optimizer_of, activation=lambda net: net):
    n = sheet.given_numbers
    w = torch.tensor([n["weights"]], requires_grad=True)
    b = torch.tensor([n["bias"]], requires_grad=True)
    x, t = torch.tensor(n["inputs"]), n["target"]
    opt = optimizer_of([w, b], n["learning_rate"])
    after = []
    for _ in range(2):
        opt.zero_grad()
        J = 0.5 * (t - activation((w @ x) + b)[0]) ** 2
        J.backward()
        opt.step()
        after.append(w.detach()[0].tolist() + b.detach().tolist())
    return after


def _weights_only(make, decay):
    """torch.optim given the weights with weight decay and the bias without it."""
    return lambda ps, lr: make([{"params": [ps[0]], "weight_decay": decay},
                                {"params": [ps[1]], "weight_decay": 0.0}], lr)


@pytest.mark.parametrize("settings,optimizer_of", [
    ("{name: adam, beta1: 0.9, beta2: 0.999, epsilon: 1.0e-8}",
     lambda ps, lr: torch.optim.Adam(ps, lr=lr, betas=(0.9, 0.999), eps=1e-8)),
    ("{name: adam, beta1: 0.8, beta2: 0.99, epsilon: 0.01}",
     lambda ps, lr: torch.optim.Adam(ps, lr=lr, betas=(0.8, 0.99), eps=0.01)),
    ("{name: momentum, momentum: 0.9}",
     lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9)),
    ("{name: momentum, momentum: 0.9, nesterov: true}",
     lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9, nesterov=True)),
    ("{name: momentum, momentum: 0.5, nesterov: true}\nweight_decay: 0.2",
     lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.5, nesterov=True,
                                    weight_decay=0.2)),
    ("{name: rmsprop, alpha: 0.99, epsilon: 1.0e-8}",
     lambda ps, lr: torch.optim.RMSprop(ps, lr=lr, alpha=0.99, eps=1e-8)),
    ("{name: rmsprop, alpha: 0.9, epsilon: 0.01}\nweight_decay: 0.05",
     lambda ps, lr: torch.optim.RMSprop(ps, lr=lr, alpha=0.9, eps=0.01, weight_decay=0.05)),
    ("{name: sgd}\nweight_decay: 0.1",
     lambda ps, lr: torch.optim.SGD(ps, lr=lr, weight_decay=0.1)),
    ("{name: sgd}\nweight_decay: {lambda: 0.3, biases: false}",
     _weights_only(lambda groups, lr: torch.optim.SGD(groups, lr=lr), 0.3)),
    ("{name: adam, beta1: 0.9, beta2: 0.999, epsilon: 1.0e-8}\nweight_decay: 0.1",
     lambda ps, lr: torch.optim.Adam(ps, lr=lr, betas=(0.9, 0.999), eps=1e-8,
                                     weight_decay=0.1)),
])
@pytest.mark.parametrize("activation", ["identity", "sigmoid"])
def test_an_optimizer_sheets_new_weights_are_torch_optims(tmp_path, settings, optimizer_of,
                                                          activation):
    path = tmp_path / "o.yaml"
    path.write_text(f"network: {{layers: [2, 1], activation: {activation}, loss: half_sse}}\n"
                    f"optimizer: {settings}\nlearning_rate: 0.1\nversions: 3\n"
                    f"decimals: {8 if activation == 'sigmoid' else 6}\n")  # σ' makes g small
    defn = load(str(path))
    f = torch.sigmoid if activation == "sigmoid" else (lambda net: net)
    for version in (1, 2, 3):
        _, sheet = classset.draw(defn, 11, version)
        exact = {a.name: a.exact for a in sheet.answers}
        for t, weights in enumerate(_torch_steps(sheet, optimizer_of, f), start=1):
            for p, value in zip(("w1", "w2", "b"), weights):
                assert abs(exact[f"new@{t} {p}"] - value) < 1e-12


@pytest.mark.parametrize("rate, off", [("0.1", 1e-7), ("1.0e6", 1e-4)])
def test_the_sheets_check_against_the_engine_refuses_a_new_weight_off_by_more_than_rounding(
        tmp_path, rate, off):
    """The RMSprop sheet's exact new weight moved by more than 1e-9 and the rounding of its
    terms (at η = 1e6 two terms of 1e7 cancel to 2.85; the check allows some 3e-6) is
    refused; as computed, it agrees at either rate."""
    from symbackprop.definitions.errors import VerificationError
    from symbackprop.engine.optimize import optimize
    from symbackprop.sheets import stepsheet

    path = tmp_path / "r.yaml"
    path.write_text("network: {layers: [2, 1], activation: identity, loss: half_sse}\n"
                    f"optimizer: {{name: rmsprop}}\nlearning_rate: {rate}\ndecimals: 8\n"
                    "seed: 23\n")
    defn = load(str(path))
    result, sheet = classset.draw(defn, 23, None)
    steps = optimize(defn, result, stepsheet.STEPS)
    stepsheet.check_against(sheet, steps)
    at = next(i for i, a in enumerate(sheet.answers) if a.name == "new@2 w1")
    a = sheet.answers[at]
    sheet.answers[at] = type(a)(a.label, a.name, a.value, a.exact + off)
    with pytest.raises(VerificationError, match="new@2 w1"):
        stepsheet.check_against(sheet, steps)


def test_check_names_adams_known_mistakes():
    defn = load(str(ADAM))
    key = _key(defn, None, None)
    by = {a["name"]: a for a in key.answers}
    right = {a["label"]: a["value"] for a in key.answers}
    assert all(m.verdict == "correct" for m in check.mark(key, right))
    # m̂ without the correction is m itself
    marks = {m.name: m for m in check.mark(key, {by["mhat@1 w1"]["label"]: by["m@1 w1"]["value"]})}
    assert marks["mhat@1 w1"].diagnosis == "no_bias_correction"
    # step 2's moment worked with step 1's gradient
    blanks = {b["name"]: b for b in key.scheme["blanks"]}
    rule = next(r for r in blanks["m@2 w1"]["mistakes"] if r["diagnosis"] == "old_gradient")
    old = check.scheme.evaluate(rule["candidates"][0], lambda n: by[n]["value"])
    d = key.scheme["decimals"]
    marks = {m.name: m for m in check.mark(key, {by["m@2 w1"]["label"]: round(old, d)})}
    assert marks["m@2 w1"].diagnosis == "old_gradient"


@pytest.mark.parametrize("sheet,named", [
    ("rmsprop-two-steps-2-1.yaml", {"no_square_root", "gradient_not_squared", "old_gradient",
                                    "epsilon_inside_root", "no_step", "sign"}),
    ("nesterov-two-steps-2-1.yaml", {"no_lookahead", "no_momentum",
                                     "old_gradient", "no_step", "sign"}),
    ("weight-decay-two-steps-2-1.yaml", {"no_weight_decay", "weight_decay_sign", "no_step",
                                         "sign"}),
])
def test_check_names_each_optimizers_known_mistakes(sheet, named):
    """Every mistake each bundled optimizer sheet knows, worked from the key's numbers and
    rounded as a student would write it, is named by check on its blank; the right answers
    are all correct."""
    key = _key(load(str(ROOT / "worksheets" / sheet)), None, None)
    by = {a["name"]: a for a in key.answers}
    right = {a["label"]: a["value"] for a in key.answers}
    assert all(m.verdict == "correct" for m in check.mark(key, right))
    d, seen = key.scheme["decimals"], set()
    for blank in key.scheme["blanks"]:
        for rule in blank["mistakes"]:
            wrong = check.scheme.evaluate(rule["candidates"][0], lambda n: by[n]["value"])
            marks = {m.name: m for m in check.mark(key, {blank["label"]: round(wrong, d)})}
            assert marks[blank["name"]].verdict != "correct", (blank["name"], rule)
            if marks[blank["name"]].diagnosis == rule["diagnosis"]:
                seen.add(rule["diagnosis"])
    assert named <= seen, named - seen
    assert all(check.MISTAKES.get(n) for n in named)  # each told in words


def test_epsilon_inside_the_root_is_named_where_it_shows(tmp_path):
    path = tmp_path / "eps.yaml"
    path.write_text("network: {layers: [2, 1], activation: identity, loss: half_sse}\n"
                    "optimizer: {name: adam, epsilon: 0.1}\nlearning_rate: 0.1\n"
                    "decimals: 6\nseed: 4\n")
    key = _key(load(str(path)), None, None)
    blanks = {b["name"]: b for b in key.scheme["blanks"]}
    by = {a["name"]: a for a in key.answers}
    rule = next(r for r in blanks["new@1 w1"]["mistakes"]
                if r["diagnosis"] == "epsilon_inside_root")
    wrong = check.scheme.evaluate(rule["candidates"][0], lambda n: by[n]["value"])
    d = key.scheme["decimals"]
    marks = {m.name: m for m in check.mark(key, {by["new@1 w1"]["label"]: round(wrong, d)})}
    assert marks["new@1 w1"].diagnosis == "epsilon_inside_root"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("worked")
    for f in (CONV, ADAM, *STEPPED):
        assert main(["build", str(f), "--format", "pdf", "--format", "html", "--format",
                     "moodle", "--out", str(out)]) == 0
    return out


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_the_pdfs_say_what_a_student_needs_and_nothing_of_the_project(built):
    conv = subprocess.run(["pdftotext", str(built / f"{CONV.stem}-worksheet.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "cross-correlation" in conv and "PyTorch" in conv and "first of them" in conv
    adam = subprocess.run(["pdftotext", str(built / f"{ADAM.stem}-key.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "outside the root" in adam and "Seed" not in adam  # the version, never the seed
    said = {"rmsprop": ("RMSprop as PyTorch computes it", "outside the root", "α = 0.99"),
            "nesterov": ("w − η·(g + ", "Nesterov", "this step's velocity"),  # µ: pdftotext
            "weight-decay": ("g = ∂J/∂w + λ·w", "λ = 0.1", "the bias too")}
    stepped = []
    for f in STEPPED:
        for kind in ("worksheet", "key"):
            text = subprocess.run(["pdftotext", str(built / f"{f.stem}-{kind}.pdf"), "-"],
                                  capture_output=True, text=True, check=True).stdout
            flat = " ".join(text.split())  # a line may break anywhere
            assert all(words in flat for words in said[f.stem.removesuffix("-two-steps-2-1")])
            stepped.append(text)
    for text in (conv, adam, *stepped):
        worked = text.split("The rules used, with proofs")[0]  # the engine's proofs: theirs
        for leak in ("_", "\\", "max_pool", "half_sse", "None", "nan"):
            assert leak not in worked
    for log in built.glob("*.log"):
        assert "Overfull" not in log.read_text(errors="replace"), log.name


def test_mark_reads_the_worked_keys(built, tmp_path):
    key = json.loads((built / f"{CONV.stem}-key.json").read_text())
    keys = tmp_path / "keys"
    keys.mkdir()
    shutil.copy(built / f"{CONV.stem}-key.json", keys)
    labels = [a["label"] for a in key["answers"]]
    answers = tmp_path / "class.csv"
    with answers.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "version", *labels])
        w.writerow(["Ada", "", *(f"{a['value']:.4f}" for a in key["answers"])])
    code = main(["mark", str(keys), str(answers), "--out", str(tmp_path / "marks")])
    assert code == 0
    gradebook = (tmp_path / "marks" / "gradebook.csv").read_text(encoding="utf-8-sig")
    assert "Ada" in gradebook


def test_the_moodle_export_has_a_cloze_blank_per_answer(built):
    xml = (built / f"{CONV.stem}-moodle.xml").read_text()
    key = json.loads((built / f"{CONV.stem}-key.json").read_text())
    assert xml.count(":NUMERICAL:") >= len(key["answers"])
    assert "<table" in xml and "cross-correlation" in xml


@pytest.mark.skipif(shutil.which("chromedriver") is None, reason="needs Chromium")
@pytest.mark.parametrize("width", [390, 1280])
def test_right_answers_in_the_page_are_correct_and_nothing_is_past_the_edge(built, width):
    sys.path.insert(0, str(Path(__file__).parent))
    import browser

    for stem in (CONV.stem, ADAM.stem, *(f.stem for f in STEPPED)):
        key = json.loads((built / f"{stem}-key.json").read_text())
        d = browser.start(width=width, mobile=width == 390)
        try:
            browser.open_page(d, built / f"{stem}-practice.html")
            browser.paste_answers(d, {a["label"]: repr(a["value"]) for a in key["answers"]})
            result = browser.press_check(d)
            assert result["score"]["correct"] == len(key["answers"])
            assert browser.console_errors(d) == []
            wide, inner = d.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]")
            assert wide <= inner
            if stem == CONV.stem:
                cells = d.execute_script(
                    "return [...document.querySelectorAll('table.given-grid td[aria-label]')]"
                    ".map(td => td.getAttribute('aria-label'))")
                assert cells[0].startswith("x 1,1 = ") and len(cells) == 16 + 9
        finally:
            d.quit()


@pytest.mark.skipif(shutil.which("chromedriver") is None, reason="needs Chromium")
def test_the_page_names_rmsprops_missing_root_as_check_does(built):
    """A student who divides by s, not √s, on the RMSprop page is told so, as check tells it."""
    sys.path.insert(0, str(Path(__file__).parent))
    import browser

    stem = STEPPED[0].stem
    key = check.Key.from_json(json.loads((built / f"{stem}-key.json").read_text()))
    by = {a["name"]: a for a in key.answers}
    blank = next(b for b in key.scheme["blanks"] if b["name"] == "new@1 w1")
    rule = next(r for r in blank["mistakes"] if r["diagnosis"] == "no_square_root")
    wrong = round(check.scheme.evaluate(rule["candidates"][0], lambda n: by[n]["value"]),
                  key.scheme["decimals"])
    typed = {a["label"]: repr(a["value"]) for a in key.answers if a["name"] < "new@1 w1"
             or a["name"].startswith(("g@1", "s@1"))}
    d = browser.start(width=1280)
    try:
        browser.open_page(d, built / f"{stem}-practice.html")
        browser.paste_answers(d, typed | {blank["label"]: repr(wrong)})
        verdict, diagnosis, text = browser.press_check(d)["marks"][blank["label"]]
        assert (verdict, diagnosis) == ("incorrect", "no_square_root")
        assert "square root" in text
    finally:
        d.quit()
