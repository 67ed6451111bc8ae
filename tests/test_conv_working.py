"""A convolution key writes every blank's working as a teacher does, the numbers put in: the
feature map's sums, ReLU's max(0, −0.1508), a window's max or mean, δ routed to a window's
largest entry, tanh's 1 − a², each ∂J/∂K a sum of products. For each blank of every bundled
convolution key (English, French, German, Spanish), its working is read out of the PDF
(pdftotext), evaluated here in plain Python and compared with the value the key prints, and
that value with PyTorch's (float64 autograd, the sheet's given numbers, nothing rounded);
the practice page's "Show the working" (Chromium's innerText) and a marked student's feedback
page put the same numbers in."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import subprocess

import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import load

from . import browser
from .conftest import WORKSHEETS

torch = pytest.importorskip("torch")
F = torch.nn.functional

SHEETS = ["convolution-4x4-3x3-maxpool", "convolution-2ch-3x3-2filters",
          "spanish-convolution-4x4-average-softmax", "french-convolution-4x4-3x3-maxpool",
          "german-convolution-2ch-3x3-2filters"]
POINTS = re.compile(r" \d+ (?:pts?|p\.|Pkte?\.)$", re.M)  # a blank's points, in the margin
OPERATOR_END, OPERATOR_START = tuple("·+−(,;="), tuple("·+−),;")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("conv-working")
    for name in SHEETS:
        assert main(["build", str(WORKSHEETS / f"{name}.yaml"), "--format", "pdf",
                     "--format", "html", "--out", str(out)]) == 0
    return out


def _key(built, name) -> dict:
    return json.loads((built / f"{name}-key.json").read_text(encoding="utf-8"))


def printed(value: float, comma: bool) -> str:
    shown = f"{value:.4f}"
    shown = shown[1:] if shown.startswith("-") and not shown.strip("-0.") else shown
    return shown.replace("-", "−").replace(".", "," if comma else ".")


def working_in(text: str, label: str, value: str) -> str:
    """The working of (label) as the key's text has it: between the last two = of its line,
    the line that ends in its value."""
    text = POINTS.sub("", text)
    starts = [m.start() for m in re.finditer(rf"^\({label}\) ", text, re.M)]
    assert starts, f"({label}) has no line of its own"
    line = text[starts[-1]:]
    end = re.search(rf"=\s*{re.escape(value)}(?=\s*$|\s+[^·+−\s])", line, re.M)
    assert end, f"({label}) does not end in {value}: {line[:200]!r}"
    before = line[:end.start()]
    return before[before.rindex("=") + 1:].strip()


def python_of(working: str, comma: bool) -> str:
    """The working as a Python expression: a line broken after (or before) an operator is one
    line; a line break anywhere else is a fraction's bar (pdftotext writes the numerator
    over the denominator); a digit after a parenthesis is its square's exponent."""
    lines = [s.strip() for s in working.split("\n") if s.strip()]
    if lines[:1] == ["1"] and len(lines) > 1 and lines[1].startswith("2("):
        lines = ["0.5*" + lines[1][1:], *lines[2:]]  # ½(0.9 − 0.3899)²: the small fraction ½
    parts, current = [], lines[0]
    for nxt in lines[1:]:
        if current.endswith(OPERATOR_END) or nxt.startswith(OPERATOR_START):
            current += " " + nxt
        else:
            parts.append(current)
            current = nxt
    parts.append(current)
    assert len(parts) <= 2, f"more than one fraction bar: {working!r}"
    expr = "(" + ")/(".join(parts) + ")"
    if comma:
        expr = re.sub(r"(\d),(\d)", r"\1.\2", expr).replace(";", ",")
    expr = expr.replace("−", "-").replace("·", "*")
    # no number on the sheet has more than its 4 decimals: a fifth digit is an exponent that
    # pdftotext wrote on the line (0.2358² as 0.23582)
    expr = re.sub(r"(\d+\.\d{4})(\d)\b", r"\1**\2", expr)
    return re.sub(r"\)(\d)", r")**\1", expr)


def evaluated(expr: str) -> float:
    assert re.fullmatch(r"[\d.\s()+\-*/,a-z]*", expr), expr
    names = {"max": max, "exp": math.exp, "ln": math.log, "tanh": math.tanh}
    return float(eval(expr, {"__builtins__": {}}, names))  # noqa: S307 - our own PDF's digits


def _at(*index) -> str:
    return "".join(f"[{k}]" for k in index)


def torch_values(defn, given: dict) -> dict[str, float]:
    """Every quantity a convolution sheet asks for, by its name on the key, from PyTorch."""
    net = defn.network
    conv, dense = net.layers[0], net.layers[-1]
    pool = net.layers[1] if len(net.layers) == 4 else None
    C, H, W = net.image.shape  # the given numbers drop a filter's or channel's index of one
    x = torch.tensor(given["image"], dtype=torch.float64).reshape(1, C, H, W)
    K = torch.tensor(given["kernel"], dtype=torch.float64).reshape(
        conv.filters, C, *conv.kernel).requires_grad_()
    b = None if given["bias"] is None else torch.tensor(
        given["bias"], dtype=torch.float64).reshape(conv.filters).requires_grad_()
    z = F.conv2d(x, K, b)
    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
           "identity": lambda v: v}[conv.activation]
    a = act(z)
    p = a if pool is None else (F.max_pool2d if pool.kind == "max_pool" else F.avg_pool2d)(
        a, pool.size, pool.stride)
    V = torch.tensor(given["weights"], dtype=torch.float64)
    c = torch.zeros(len(V), dtype=torch.float64) if given["biases"] is None else \
        torch.tensor(given["biases"], dtype=torch.float64).expand(len(V))
    netj = V @ p.flatten() + c
    out = {"softmax": lambda v: torch.softmax(v, 0), "sigmoid": torch.sigmoid,
           "tanh": torch.tanh, "identity": lambda v: v}[dense.activation](netj)
    t = torch.tensor(given["targets"], dtype=torch.float64)
    J = -(t * torch.log(out)).sum() if net.loss == "cross_entropy" else \
        0.5 * ((t - out) ** 2).sum()
    for v in (z, a, p, netj):
        v.retain_grad()
    J.backward()
    Fs, C = K.shape[0], K.shape[1]
    values = {"J": J.item()}
    for j in range(len(V)):
        values[f"net[{j + 1}]"], values[f"out[{j + 1}]"] = netj[j].item(), out[j].item()
        values[f"delta[{j + 1}]"] = netj.grad[j].item()
    for letter, tensor in (("z", z), ("a", a), ("p", p)):
        for (f, i, j), v in _cells(tensor[0]):
            index = ((f,) if Fs > 1 else ()) + (i, j)
            values[letter + _at(*index)] = v.item()
            values[f"dJ/d{letter}" + _at(*index)] = tensor.grad[0][f - 1, i - 1, j - 1].item()
    for (f, ch, u, v), g in _cells(K.grad):
        values["dJ/dK" + _at(*((f,) if Fs > 1 else ()), *((ch,) if C > 1 else ()), u, v)] = \
            g.item()
    if b is not None:
        for f in range(Fs):
            values["dJ/db" + (_at(f + 1) if Fs > 1 else "")] = b.grad[f].item()
    return values


def _cells(tensor):
    import itertools
    return [(tuple(k + 1 for k in at), tensor[at])
            for at in itertools.product(*(range(n) for n in tensor.shape))]


def pdf_text(path) -> str:
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return re.sub(r"\n\d+\n\f[^\n]*\n", "\n", text)  # a page's number, the next one's head


@pytest.mark.parametrize("name", SHEETS)
def test_every_blanks_working_works_out_to_its_value(built, name):
    key = _key(built, name)
    comma = key["definition"].get("language", "en") != "en"
    defn = load(str(WORKSHEETS / f"{name}.yaml"))
    exact = torch_values(defn, key["definition"]["lesson"])
    text = pdf_text(built / f"{name}-key.pdf")
    seen = set()
    for a in key["answers"]:
        shown = printed(a["value"], comma)
        working = working_in(text, a["label"], shown)
        got = evaluated(python_of(working, comma))
        # the working's numbers are the key's own: its value is what they give, rounded
        assert abs(got - a["value"]) <= 0.5e-4 * (1 + 1e-9) + 1e-12, (a["label"], working)
        # and the key's value, worked from rounded numbers, is PyTorch's within their rounding
        assert abs(a["value"] - exact[a["name"]]) < 2e-3, (a["name"], exact[a["name"]])
        seen.add(a["name"].split("[")[0])
    assert {"z", "p", "net", "out", "J", "delta", "dJ/dp", "dJ/dz", "dJ/dK"} <= seen


def test_the_key_routes_max_pooling_to_the_largest_entry(built):
    """(o)…(r) of the one-filter sheet: ∂J/∂a is ∂J/∂p times 1 at the window's first largest
    entry and 0 elsewhere, the largest worked out here from the key's a."""
    name = "convolution-4x4-3x3-maxpool"
    key = _key(built, name)
    text = pdf_text(built / f"{name}-key.pdf")
    by = {a["name"]: a for a in key["answers"]}
    window = [by[f"a[{i}][{j}]"]["value"] for i in (1, 2) for j in (1, 2)]
    largest = window.index(max(window))
    g = by["dJ/dp[1][1]"]["value"]
    for k, (i, j) in enumerate([(1, 1), (1, 2), (2, 1), (2, 2)]):
        a = by[f"dJ/da[{i}][{j}]"]
        factors = python_of(working_in(text, a["label"], printed(a["value"], False)), False)
        assert factors == f"({g} * {1 if k == largest else 0})"


def _numbers(text: str, comma: bool) -> list[float]:
    """The numbers of a working, in order, however it is spaced (MathML's innerText spaces
    a sign from its digits: a minus first or after an operator or a parenthesis is a sign)."""
    text = re.sub(r"(^|[(=·,;*])\s*[−-]\s*(?=\d)", r"\1-", text.strip())
    text = re.sub(r"(\d+[.,]\d{4})(\d)", r"\1 \2", text)  # 0.2358² as pdftotext has it
    found = re.findall(r"-?\d+(?:,\d+)?" if comma else r"-?\d+(?:\.\d+)?", text)
    return [float(n.replace(",", ".")) for n in found]


@pytest.mark.parametrize("name", ["convolution-4x4-3x3-maxpool",
                                  "spanish-convolution-4x4-average-softmax"])
def test_the_page_shows_the_same_working(built, name):
    """Every blank typed wrong, Check, then each "Show the working": the page's working (its
    MathML, as Chromium lays it out) puts in the numbers the key's PDF puts in."""
    key = _key(built, name)
    comma = key["definition"].get("language", "en") != "en"
    text = pdf_text(built / f"{name}-key.pdf")
    driver = browser.start()
    try:
        browser.open_page(driver, built / f"{name}-practice.html")
        browser.paste_answers(driver, {a["label"]: "9" for a in key["answers"]})
        browser.press_check(driver)
        shown = driver.execute_script("""
            const out = {};
            for (const b of document.querySelectorAll('button.reveal')) {
              if (b.hidden) continue;
              b.click();
              const w = document.getElementById('working-' + b.dataset.for);
              out[b.dataset.for] = w.innerText;
            }
            return out;""")
    finally:
        driver.quit()
    assert set(shown) == {a["label"] for a in key["answers"]}
    for a in key["answers"]:
        pdf = working_in(text, a["label"], printed(a["value"], comma))
        page = shown[a["label"]].split("=")
        assert _numbers(page[-2], comma) == _numbers(pdf, comma), a["label"]
        assert _numbers(page[-1], comma) == [a["value"]]


def test_a_feedback_page_shows_the_working_of_every_wrong_blank(built, tmp_path):
    name = "convolution-4x4-3x3-maxpool"
    key = _key(built, name)
    text = pdf_text(built / f"{name}-key.pdf")
    labels = [a["label"] for a in key["answers"]]
    with open(tmp_path / "class.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["name", "version", *labels],
                                      ["Ana", "", *(["9"] * len(labels))]])
    (tmp_path / "keys").mkdir()
    shutil.copy(built / f"{name}-key.json", tmp_path / "keys")
    assert main(["mark", str(tmp_path / "keys"), str(tmp_path / "class.csv"), "--out",
                 str(tmp_path / "marks")]) == 0
    (page,) = sorted((tmp_path / "marks").rglob("*.html"))
    driver = browser.start()
    try:
        driver.get(page.resolve().as_uri())
        shown = driver.execute_script("""
            const out = {};
            for (const w of document.querySelectorAll('[data-working-for]'))
              out[w.dataset.workingFor] = w.innerText;
            return out;""")
    finally:
        driver.quit()
    assert set(shown) == set(labels)
    for a in key["answers"]:
        pdf = working_in(text, a["label"], printed(a["value"], False))
        assert _numbers(shown[a["label"]].split("=")[-2], False) == _numbers(pdf, False)
