"""Convolution worksheets of several filters or several input channels (sheets/convsheet.py):
every blank against PyTorch's Conv2d, pooling and Linear with autograd in float64, the kernel
gradients against finite differences, their marking (check, mark, the practice page in
Chromium), what a student reads on the PDF, and the shorter sheet asked past 64 blanks."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from symbackprop.cli import main
from symbackprop.definitions.definition import load
from symbackprop.definitions.errors import DefinitionError
from symbackprop.files import classset
from symbackprop.marking import check

from .hostile import assert_refused, run

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "worksheets" / "convolution-2ch-3x3-2filters.yaml"

torch.set_default_dtype(torch.float64)


def _yaml(channels=2, filters=2, side=3, kernel=2, pool="max_pool", act="relu",
          out="sigmoid", loss="half_sse", outputs=1, bias="") -> str:
    pooling = f"- {{kind: {pool}, size: 2}}" if pool else ""
    return f"""title: t
network:
  input: {{channels: {channels}, height: {side}, width: {side}}}
  layers:
    - {{kind: convolution, filters: {filters}, kernel: {kernel}, activation: {act}{bias}}}
    {pooling}
    - {{kind: flatten}}
    - {{kind: dense, size: {outputs}, activation: {out}}}
  loss: {loss}
versions: 2
"""


class _Torch:
    """A sheet's given numbers through torch.nn layers, every intermediate kept with its
    gradient by autograd."""

    def __init__(self, defn, sheet):
        net, n = defn.network, sheet.given_numbers
        self.F, self.C = net.layers[0].filters, net.image.shape[0]
        image, kernel = n["image"], n["kernel"]
        if self.F == 1 and self.C == 1:  # the one-filter sheet's numbers are not nested
            image, kernel = [image], [[kernel]]
        self.x = torch.tensor(image).unsqueeze(0)
        self.K = torch.tensor(kernel)
        bias = n["bias"] if n["bias"] is None or isinstance(n["bias"], list) else [n["bias"]]
        self.conv = torch.nn.Conv2d(self.C, self.F, self.K.shape[-1], bias=bias is not None)
        with torch.no_grad():
            self.conv.weight.copy_(self.K)
            if bias is not None:
                self.conv.bias.copy_(torch.tensor(bias))
        self.net, self.n = net, n
        self.J = self.forward()
        for t in (self.z, self.a, self.p, self.netout):
            t.retain_grad()
        self.J.backward()

    def forward(self, weight=None, bias=None):
        act = {"relu": torch.relu, "identity": lambda z: z, "tanh": torch.tanh,
               "sigmoid": torch.sigmoid}[self.net.layers[0].activation]
        weight = self.conv.weight if weight is None else weight
        bias = self.conv.bias if bias is None else bias
        self.z = torch.nn.functional.conv2d(self.x, weight, bias)
        self.a = act(self.z)
        self.p = self.a
        if len(self.net.layers) == 4:
            pool = self.net.layers[1]
            kind = torch.nn.MaxPool2d if pool.kind == "max_pool" else torch.nn.AvgPool2d
            self.p = kind(pool.size, pool.stride)(self.a)
        V, c = torch.tensor(self.n["weights"]), self.n["biases"]
        self.netout = V @ torch.flatten(self.p) + (torch.tensor(c) if c is not None else 0)
        t = torch.tensor(self.n["targets"])
        kind = self.net.layers[-1].activation
        if kind == "softmax":
            self.out = torch.softmax(self.netout, 0)
            return -(t * torch.log(self.out)).sum()
        self.out = {"sigmoid": torch.sigmoid, "identity": lambda v: v, "tanh": torch.tanh}[
            kind](self.netout)
        return 0.5 * ((t - self.out) ** 2).sum()

    def kernel_index(self, index):
        """[f][c][u][v], 0-based, of a sheet's K index (the filter and channel only where
        there are several)."""
        f = [index.pop(0)] if self.F > 1 else [1]
        c = [index.pop(0)] if self.C > 1 else [1]
        return tuple(k - 1 for k in f + c + index)

    def value(self, name: str) -> float:
        """The blank `name` of the sheet, as PyTorch computes it."""
        index = [int(k) for k in re.findall(r"\[(\d+)\]", name)]
        at = tuple(k - 1 for k in ([1] * (self.F == 1) + index))  # (f, i, j)
        maps = {"z": self.z, "a": self.a, "p": self.p}
        if name == "J":
            return self.J.item()
        if name[0] in maps:
            return maps[name[0]][0][at].item()
        if name.startswith(("net[", "out[")):
            return (self.netout if name[0] == "n" else self.out)[index[0] - 1].item()
        if name.startswith("delta["):
            return self.netout.grad[index[0] - 1].item()
        if name.startswith("dJ/dK"):
            return self.conv.weight.grad[self.kernel_index(index)].item()
        if name.startswith("dJ/db"):
            return self.conv.bias.grad[index[0] - 1 if index else 0].item()
        return maps[name[4]].grad[0][at].item()  # dJ/dz, dJ/da, dJ/dp

    def differences(self, name: str, h: float = 1e-6) -> float:
        """∂J/∂(a kernel entry or bias) by central differences of J."""
        index = [int(k) for k in re.findall(r"\[(\d+)\]", name)]
        kept = self.z, self.a, self.p, self.netout, self.out  # the point's, with their grads
        with torch.no_grad():
            w = self.conv.weight.clone()
            b = self.conv.bias.clone() if self.conv.bias is not None else None
            which, at = (w, self.kernel_index(index)) if "dK" in name else \
                (b, (index[0] - 1 if index else 0,))
            which[at] += h
            up = self.forward(w, b).item()
            which[at] -= 2 * h
            down = self.forward(w, b).item()
        self.z, self.a, self.p, self.netout, self.out = kept
        return (up - down) / (2 * h)


CASES = [
    dict(),  # the bundled shape: 2 channels of 3×3 through 2 filters of 2×2
    dict(channels=1, filters=2, side=4),  # past 64 blanks: filter 1's way back only
    dict(channels=2, filters=1, side=4, pool="average_pool", act="tanh", out="identity",
         outputs=2),
    dict(channels=3, filters=2, side=3, pool="", act="identity", out="softmax",
         loss="cross_entropy", outputs=3, bias=", bias: none"),
    dict(channels=2, filters=3, side=4, kernel=3, act="sigmoid", out="tanh"),
]


@pytest.mark.parametrize("case", CASES)
def test_every_blank_is_pytorchs_and_each_kernel_gradient_its_finite_difference(tmp_path, case):
    path = tmp_path / "c.yaml"
    path.write_text(_yaml(**case))
    defn = load(str(path))
    for version in (1, 2):
        _, sheet = classset.draw(defn, 5, version)
        ref = _Torch(defn, sheet)
        for a in sheet.answers:
            assert abs(a.exact - ref.value(a.name)) < 1e-12, a.name
            if a.name.startswith(("dJ/dK", "dJ/db")):
                assert abs(a.exact - ref.differences(a.name)) < 1e-7, a.name
        F, C = ref.F, ref.C
        names = {a.name for a in sheet.answers}
        # every filter's map is asked, over every channel
        assert sum(n.startswith("z[") for n in names) == F * ref.z.shape[2] * ref.z.shape[3]
        kernels = {n for n in names if n.startswith("dJ/dK")}
        short = F > 1 and _every(ref) > 64  # the sheet's budget of blanks
        assert len(kernels) == (1 if short else F) * C * ref.K.shape[2] * ref.K.shape[3]
        assert short == any("filter 1 only" in note for note in sheet.notes)
        if short:
            assert all(n.startswith("dJ/dK[1]") for n in kernels)


def _every(ref) -> int:
    """The blanks of the whole way forward and back, counted from PyTorch's tensors."""
    pooled = len(ref.net.layers) == 4
    acted = ref.net.layers[0].activation != "identity"
    outs = ref.netout.numel() * (1 + (ref.net.layers[-1].activation != "identity"))
    forward = ref.z.numel() * (1 + acted) + ref.p.numel() * pooled + outs + 1
    biases = ref.F if ref.conv.bias is not None else 0
    back = ref.netout.numel() + ref.p.numel() + ref.z.numel() * (pooled + acted) + \
        ref.K.numel() + biases
    return forward + back


def test_a_kernel_entry_sums_over_every_position_of_its_filters_map():
    """∂J/∂K of filter f over channel c: one term per position of f's map, ∂J/∂z there times
    the pixel of channel c under that entry, as the scheme recomputes it."""
    defn = load(str(BUNDLED))
    _, sheet = classset.draw(defn, None, None)
    blanks = {b["name"]: b for b in sheet.blanks}
    x = sheet.given_numbers["image"]
    tree = blanks["dJ/dK[2][1][1][2]"]["recompute"]
    assert tree[0] == "add" and len(tree) - 1 == 4  # the 2×2 map's positions
    for (_, (_, name), pixel), (i, j) in zip(tree[1:], [(1, 1), (1, 2), (2, 1), (2, 2)]):
        assert name == f"dJ/dz[2][{i}][{j}]" and pixel == x[0][i - 1][j]


def _key(defn, version=None, seed=None):
    return check.Key.from_json(json.loads(json.dumps(classset.key(defn, version, seed))))


def test_check_names_a_turned_kernel_and_a_whole_window_on_the_second_filter():
    defn = load(str(BUNDLED))
    key = _key(defn)
    by = {a["name"]: a for a in key.answers}
    assert all(m.verdict == "correct" for m in check.mark(
        key, {a["label"]: a["value"] for a in key.answers}))
    blanks = {b["name"]: b for b in key.scheme["blanks"]}
    flipped = check.scheme.evaluate(blanks["z[2][1][1]"]["mistakes"][0]["candidates"][0],
                                    lambda n: by[n]["value"])
    marks = {m.name: m for m in check.mark(key, {by["z[2][1][1]"]["label"]: round(flipped, 4)})}
    assert marks["z[2][1][1]"].diagnosis == "kernel_flipped"
    zero = next(n for n in by if n.startswith("dJ/da[2]") and by[n]["value"] == 0)
    g = by["dJ/dp[2][1][1]"]["value"]
    marks = {m.name: m for m in check.mark(key, {by[zero]["label"]: g})}
    assert marks[zero].diagnosis == "every_window_position"


def test_check_names_the_forward_passs_own_mistakes():
    """A ReLU left out where z < 0 (a = z), a max pool's window averaged, the dense net
    without its bias and the loss without its ½, each worked by hand from the key's numbers
    and the sheet's givens (not from the scheme's trees), are named; an a whose z is positive
    (a = z is right) has no rule to name."""
    defn = load(str(ROOT / "worksheets" / "convolution-4x4-3x3-maxpool.yaml"))
    key = _key(defn)
    by = {a["name"]: a["value"] for a in key.answers}
    label = {a["name"]: a["label"] for a in key.answers}
    given = key.definition["lesson"]
    dead = next(n for n in by if n.startswith("z[") and by[n] < 0)
    live = next(n for n in by if n.startswith("z[") and by[n] > 0)
    window = [by[f"a[{i}][{j}]"] for i in (1, 2) for j in (1, 2)]  # the 2×2 map's one window
    t, out = given["targets"][0], by["out[1]"]
    hand = {"a" + dead[1:]: (by[dead], "activation_not_applied"),
            "p[1][1]": (round(sum(window) / 4, 4), "average_for_max"),
            "net[1]": (round(by["net[1]"] - given["biases"][0], 4), "no_bias"),
            "J": (round((t - out) ** 2, 4), "loss_half_missing")}
    for name, (typed, diagnosis) in hand.items():
        m = {m.name: m for m in check.mark(key, {label[name]: typed})}[name]
        assert (m.verdict, m.diagnosis) == ("incorrect", diagnosis), (name, typed, m.message)
    blanks = {b["name"]: b for b in key.scheme["blanks"]}
    assert not blanks["a" + live[1:]]["mistakes"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("filters")
    assert main(["build", str(BUNDLED), "--format", "pdf", "--format", "html", "--format",
                 "moodle", "--out", str(out)]) == 0
    return out


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_the_pdf_says_how_the_indices_read_and_nothing_of_the_project(built):
    for kind in ("worksheet", "key"):
        text = subprocess.run(["pdftotext", str(built / f"{BUNDLED.stem}-{kind}.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        flat = " ".join(text.split())
        for words in ("2 channels", "2 filters", "cross-correlation", "Channel 2 of the image",
                      "Filter 2's kernel K over channel 1", "The feature map, filter 2",
                      "The kernel's gradient, filter 2", "indices read filter, channel, row",
                      "read filter by filter, row by row", "plus its filter's bias"):
            assert words in flat, words
        worked = text.split("The rules used, with proofs")[0]
        for leak in ("_", "\\", "max_pool", "half_sse", "None", "nan", "**", "sum("):
            assert leak not in worked
    for log in built.glob("*.log"):
        assert "Overfull" not in log.read_text(errors="replace"), log.name


def test_mark_and_moodle_read_the_bundled_key(built, tmp_path):
    key = json.loads((built / f"{BUNDLED.stem}-key.json").read_text())
    keys = tmp_path / "keys"
    keys.mkdir()
    shutil.copy(built / f"{BUNDLED.stem}-key.json", keys)
    answers = tmp_path / "class.csv"
    with answers.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "version", *(a["label"] for a in key["answers"])])
        w.writerow(["Ada", "", *(f"{a['value']:.4f}" for a in key["answers"])])
    assert main(["mark", str(keys), str(answers), "--out", str(tmp_path / "marks")]) == 0
    with (tmp_path / "marks" / "gradebook.csv").open(encoding="utf-8-sig") as f:
        ada = next(row for row in csv.DictReader(f) if row.get("name") == "Ada")
    assert str(len(key["answers"])) in ada.values()
    xml = (built / f"{BUNDLED.stem}-moodle.xml").read_text()
    assert xml.count(":NUMERICAL:") >= len(key["answers"]) and xml.count("<table") == 6


@pytest.mark.skipif(shutil.which("chromedriver") is None, reason="needs Chromium")
@pytest.mark.parametrize("width", [390, 1280])
def test_the_page_marks_right_answers_and_names_a_turned_kernel(built, width):
    sys.path.insert(0, str(Path(__file__).parent))
    import browser

    key = check.Key.from_json(json.loads((built / f"{BUNDLED.stem}-key.json").read_text()))
    by = {a["name"]: a for a in key.answers}
    blank = next(b for b in key.scheme["blanks"] if b["name"] == "z[2][1][2]")
    wrong = round(check.scheme.evaluate(blank["mistakes"][0]["candidates"][0],
                                        lambda n: by[n]["value"]), key.scheme["decimals"])
    d = browser.start(width=width, mobile=width == 390)
    try:
        browser.open_page(d, built / f"{BUNDLED.stem}-practice.html")
        right = {a["label"]: repr(a["value"]) for a in key.answers}
        browser.paste_answers(d, right)
        result = browser.press_check(d)
        assert result["score"]["correct"] == len(key.answers)
        assert browser.console_errors(d) == []
        wide, inner = d.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        assert wide <= inner
        cells = d.execute_script(
            "return [...document.querySelectorAll('table.given-grid td[aria-label]')]"
            ".map(td => td.getAttribute('aria-label'))")
        assert len(cells) == 2 * 9 + 4 * 4
        assert cells[9].startswith("x 2,1,1 = ") and cells[-1].startswith("K 2,2,2,2 = ")
        rows = d.execute_script(  # the grids share rows where the page is wide enough
            "return new Set([...document.querySelectorAll('table.given-grid')]"
            ".map(t => Math.round(t.getBoundingClientRect().top))).size")
        assert rows < 6 if width == 1280 else rows <= 6
        browser.type_answers(d, {blank["label"]: repr(wrong)})
        verdict, diagnosis, text = browser.press_check(d)["marks"][blank["label"]]
        assert (verdict, diagnosis) == ("incorrect", "kernel_flipped")
        assert "180°" in text
    finally:
        d.quit()


def test_derive_shows_the_numbers_the_sheet_printed(capsys):
    """derive --json of the bundled sheet: its maps and kernel gradients are the key's."""
    defn = load(str(BUNDLED))
    exact = {a.name: a.exact for a in classset.draw(defn, None, None)[1].answers}
    capsys.readouterr()
    assert main(["derive", "--json", str(BUNDLED)]) == 0
    said = json.loads(capsys.readouterr().out)
    for f, fmap in enumerate(said["layers"][0]["net"], start=1):
        for i, row in enumerate(fmap, start=1):
            for j, z in enumerate(row, start=1):
                assert abs(z - exact[f"z[{f}][{i}][{j}]"]) < 1e-12
    for f, over in enumerate(said["grad"][0]["K"], start=1):
        for c, kernel in enumerate(over, start=1):
            for u, row in enumerate(kernel, start=1):
                for v, g in enumerate(row, start=1):
                    assert abs(g - exact[f"dJ/dK[{f}][{c}][{u}][{v}]"]) < 1e-12


@pytest.mark.parametrize("sheet", [
    BUNDLED, ROOT / "worksheets" / "convolution-4x4-3x3-maxpool.yaml"])
def test_a_notebook_shows_a_convolution_sheets_result(sheet):
    """A network on an image that a sheet prints has no dense diagram: the notebook's view
    of its result is the table, not the dense sheet's builder failing on it."""
    import symbackprop

    html = symbackprop.derive(sheet)._repr_html_()
    assert "<table>" in html and "<img" not in html


TWO_CONVOLUTIONS = """network:
  input: {channels: 2, height: 6, width: 6}
  layers:
    - {kind: convolution, filters: 2, kernel: 3, padding: 1, activation: tanh}
    - {kind: average_pool, size: 2}
    - {kind: convolution, filters: 1, kernel: 2, stride: 2, activation: relu}
    - {kind: flatten}
    - {kind: dense, size: 3, activation: softmax}
  loss: cross_entropy
seed: 4
"""
CODE_LIKE = ("**", "*", "sum(", "..", "half_sse", "cross_entropy", "relu(", "sigmoid(",
             "identity(", "softmax(", "d(it)", "_pool", "·1 +", "then relu")


def _derived(capsys, path) -> str:
    capsys.readouterr()
    assert main(["derive", str(path)]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("text", [BUNDLED.read_text(), TWO_CONVOLUTIONS])
def test_derive_prints_the_convolution_rules_as_mathematics(tmp_path, capsys, text):
    """derive's rules of a network on an image read as the dense ones do (Σ, ·, the loss as a
    formula, max(0, net)), nothing in a programming language's syntax or the YAML's option
    names; and each rule's indices are the ones its paths below it take."""
    path = tmp_path / "c.yaml"
    path.write_text(text)
    out = _derived(capsys, path)
    for token in CODE_LIKE:
        assert token not in out, token
    assert "Loss J = " in out and "Σ_c Σ_u Σ_v K[1][f][c][u][v] · x[c]" in out
    lines = out.splitlines()
    checked = 0
    for k, line in enumerate(lines):
        rule = re.match(r"\s*dJ/dx\[(\d+)\]\[(\d+)\]\[(\d+)\] = (?:Σ_f )?Σ_\(i,j\) .*"
                        r"K\[1\]\[\w\]\[(\d+)\]\[(\d+)−i\]\[(\d+)−j\]", line)
        if not rule:
            continue
        c, r, s, kc, a, b = map(int, rule.groups())
        assert kc == c
        for via in lines[k + 1:]:
            m = re.match(r"\s*via net\[1\]\[\d+\]\[(\d+)\]\[(\d+)\]: .* · "
                         r"K\[1\]\[\d+\]\[(\d+)\]\[(\d+)\]\[(\d+)\] =", via)
            if not m:
                break
            i, j, cc, u, v = map(int, m.groups())
            assert (cc, u, v) == (c, a - i, b - j)  # the rule's kernel entry on this path
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "momentum, momentum: 0.9"])
@pytest.mark.parametrize("sheet", [BUNDLED, ROOT / "worksheets" / "blog-2-2-2.yaml"])
def test_derive_writes_an_optimizers_steps_as_mathematics(tmp_path, capsys, sheet, optimizer):
    """Adam's bias correction as β1^t and its root as √, on an image and on a dense network:
    never Python's ** and sqrt, nor the ·· a product's · made of **."""
    path = tmp_path / "o.yaml"
    path.write_text(sheet.read_text() + f"optimizer: {{name: {optimizer}}}\n")
    capsys.readouterr()
    assert main(["derive", str(path), "--steps", "2"]) == 0
    steps = capsys.readouterr().out.split("steps (η = ")[1]
    for token in ("**", "*", "··", "sqrt(", " - "):
        assert token not in steps, token
    if optimizer == "adam":
        assert "m/(1 − β1^t)" in steps and "/(√(vhat) + ε)" in steps


def test_a_sheet_of_several_filters_past_100_blanks_is_refused_in_one_line(tmp_path):
    """8×8 through 2 filters to 10 outputs would ask 284 blanks even with filter 1's way back
    only: build and check refuse it naming the key and the count, and write nothing; derive
    works on it."""
    (tmp_path / "big.yaml").write_text(_yaml(channels=1, filters=2, side=8, kernel=3,
                                             out="softmax", loss="cross_entropy", outputs=10))
    said = "big.yaml: network.input: a convolution worksheet of several filters or channels " \
        "asks at most 100 blanks; these layers would ask 284"
    assert_refused(run(["build", "big.yaml", "--out", "out"], tmp_path), said)
    assert not (tmp_path / "out").exists()
    (tmp_path / "answers.txt").write_text("a = 1\n")
    assert_refused(run(["check", "big.yaml", "answers.txt", "--version", "1"], tmp_path), said)
    derived = run(["derive", "big.yaml", "--version", "1"], tmp_path)
    assert derived.code == 0 and "Verified: NumPy" in derived.stdout


def test_from_torch_takes_a_class_index_for_a_model_on_an_image():
    """CrossEntropyLoss's class index, as a dense model takes it: made one-hot, and the
    derivation of a 2-channel, 2-filter model agrees with autograd's."""
    import symbackprop

    torch.manual_seed(4)
    model = torch.nn.Sequential(torch.nn.Conv2d(2, 2, 2), torch.nn.ReLU(),
                                torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                torch.nn.Linear(2, 3)).double()
    x = torch.rand(2, 3, 3)
    defn = symbackprop.from_torch(model, x, torch.tensor(1), loss="cross_entropy")
    assert defn.values.targets == (0.0, 1.0, 0.0)
    result = symbackprop.derive(defn)
    J = torch.nn.functional.cross_entropy(model(x.unsqueeze(0)), torch.tensor([1]))
    J.backward()
    assert abs(result.loss - J.item()) < 1e-12
    for (f, c, u, v), g in _indexed(model[0].weight.grad):
        assert abs(result.grad[f"K[1][{f}][{c}][{u}][{v}]"] - g) < 1e-12
    with pytest.raises(DefinitionError, match="class index 3 is not one of the 3 classes"):
        symbackprop.from_torch(model, x, torch.tensor(3), loss="cross_entropy")


def _indexed(t):
    return [(tuple(k + 1 for k in i), t[i].item()) for i in
            __import__("itertools").product(*(range(n) for n in t.shape))]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_the_python_api_makes_a_convolution_sheet_as_build_does(tmp_path):
    """symbackprop.worksheet of a sheet worked by hand: its key is build's key.json, its page
    draws the grids and its PDF key is the worked sheet's (it ran the dense sheet's key and
    failed on an image's numbers)."""
    import symbackprop

    sheet = symbackprop.worksheet(BUNDLED)
    assert sheet.key == classset.key(load(str(BUNDLED)), None)
    assert repr(sheet).endswith(f": {len(sheet.key['answers'])} blanks>")
    assert sheet.page().count('class="matrix given-grid"') == 6
    text = subprocess.run(["pdftotext", str(sheet.pdf(tmp_path / "k.pdf", key=True)), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Answer key" in text and "Filter 2's kernel K over channel 2" in text
