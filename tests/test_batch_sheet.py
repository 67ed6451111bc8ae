"""A batch on paper: the worksheet of seed 003's network learning from two examples, its key,
`check` with errors carried across examples, and a class set of drawn batches."""

import json

import numpy as np
import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import load, parse
from symbackprop.engine.sample import instance
from symbackprop.engine.verify import run
from symbackprop.sheets import worksheet as sheet

from .conftest import WORKSHEETS
from .test_build import needs_tex, pdf_text

SHEET = WORKSHEETS / "batch-of-two-2-2-2.yaml"
W1 = np.array([[0.15, 0.20], [0.25, 0.30]])
W2 = np.array([[0.40, 0.45], [0.50, 0.55]])


def _example(x, t):
    """One example through the blog's network in plain NumPy: J, ∂J/∂w5 and ∂J/∂w1."""
    s = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = s(W1 @ x + 0.35)
    y = s(W2 @ h + 0.60)
    d2 = (y - t) * y * (1 - y)
    d1 = (W2.T @ d2) * h * (1 - h)
    return 0.5 * np.sum((t - y) ** 2), d2[0] * h[0], d1[0] * x[0]


@pytest.fixture(scope="module")
def key():
    d = load(SHEET)
    r = run(d, instance(d))
    return sheet.key_json(d, sheet.build(d, r), r)


def _answers(key) -> dict[str, dict]:
    return {a["name"]: a for a in key["answers"]}


def test_the_key_is_each_example_then_their_sum(key):
    a = _answers(key)
    # example 1 is the blog's own, with the figures it publishes
    assert a["J@1"]["exact"] == pytest.approx(0.298371109, abs=5e-10)
    assert a["dJ@1/dW[2][1][1]"]["exact"] == pytest.approx(0.082167041, abs=5e-10)
    J1, g5_1, g1_1 = _example(np.array([0.05, 0.10]), np.array([0.01, 0.99]))
    J2, g5_2, g1_2 = _example(np.array([0.10, 0.05]), np.array([0.99, 0.01]))
    assert a["J@2"]["exact"] == pytest.approx(J2, rel=1e-12)
    assert a["J"]["exact"] == pytest.approx(J1 + J2, rel=1e-12)
    assert a["dJ/dW[2][1][1]"]["exact"] == pytest.approx(g5_1 + g5_2, rel=1e-12)
    assert a["dJ/dW[1][1][1]"]["exact"] == pytest.approx(g1_1 + g1_2, rel=1e-12)
    assert a["new W[2][1][1]"]["exact"] == pytest.approx(0.4 - 0.5 * (g5_1 + g5_2), rel=1e-12)
    # what the student writes: the sum of the examples' rounded answers, rounded
    places = key["definition"]["decimals"]
    assert a["J"]["value"] == round(a["J@1"]["value"] + a["J@2"]["value"], places)
    names = [x["name"] for x in key["answers"]]
    assert names.index("J@2") > names.index("dJ@1/dW[1][1][1]")  # example 1 whole, then 2
    assert names.index("J") > names.index("dJ@2/dW[1][1][1]")  # then the batch
    assert key["definition"]["batch_loss"] == "sum"
    assert len(key["definition"]["values"]["examples"]) == 2


def test_check_carries_an_error_across_the_examples_and_names_a_mean(key, tmp_path, capsys):
    (path := tmp_path / "key.json").write_text(json.dumps(key))
    a = _answers(key)
    typed = {n: x["value"] for n, x in a.items()}
    places = key["definition"]["decimals"]
    typed["J@1"] = round(a["J@1"]["value"] + 0.05, places)  # a slip in example 1's loss...
    typed["J"] = round(typed["J@1"] + typed["J@2"], places)  # ...added up correctly
    typed["dJ/dW[2][1][1]"] = round(a["dJ/dW[2][1][1]"]["exact"] / 2, places)  # a mean
    (answers := tmp_path / "a.txt").write_text(
        "".join(f"{a[n]['label']} = {v}\n" for n, v in typed.items()))
    assert main(["check", str(path), str(answers), "--json"]) == 0
    marks = {m["name"]: m for m in json.loads(capsys.readouterr().out)["answers"]}
    assert marks["J@1"]["verdict"] == "incorrect"
    assert marks["J"]["verdict"] == "carried_forward"
    assert (marks["dJ/dW[2][1][1]"]["verdict"], marks["dJ/dW[2][1][1]"]["diagnosis"]) == \
        ("incorrect", "mean_for_sum")
    assert marks["J@2"]["verdict"] == marks["dJ@2/dW[2][1][1]"]["verdict"] == "correct"


@needs_tex
def test_the_pdfs_show_each_example_and_the_sum(tmp_path, key):
    assert main(["build", str(SHEET), "--out", str(tmp_path)]) == 0
    text = pdf_text(tmp_path / "batch-of-two-2-2-2-key.pdf", layout=False)
    for words in ("Example 1: Forward pass", "Example 2: Forward pass", "Example 2: Loss",
                  "The batch: the sum over the 2 examples", "a batch of 2 examples"):
        assert words in " ".join(text.split()), words
    a = _answers(key)
    places = key["definition"]["decimals"]
    for name in ("J@1", "J@2", "J", "dJ/dW[2][1][1]", "new W[2][1][1]"):
        assert f"{a[name]['value']:.{places}f}" in text, name
    sheet_text = pdf_text(tmp_path / "batch-of-two-2-2-2-worksheet.pdf", layout=False)
    assert "Example 2:" in sheet_text and f"{a['J']['value']:.{places}f}" not in sheet_text


def test_a_class_set_of_drawn_batches(tmp_path):
    (path := tmp_path / "drawn.yaml").write_text(
        "title: Two examples\nnetwork: {layers: [2, 2, 1], activation: sigmoid, loss: "
        "half_sse}\nvalues: {examples: 2}\nbatch_loss: mean\nask: ['W[2][1][1]', 'b[1]']\n")
    assert main(["build", str(path), "--versions", "3", "--format", "tex", "--out",
                 str(tmp_path / "out")]) == 0
    keys = [json.loads((tmp_path / "out" / f"drawn-v0{v}-key.json").read_text())
            for v in (1, 2, 3)]
    examples = [k["definition"]["values"]["examples"] for k in keys]
    assert len({json.dumps(e) for e in examples}) == 3  # every version its own numbers
    for k in keys:
        a = _answers(k)
        assert a["J"]["exact"] == pytest.approx((a["J@1"]["exact"] + a["J@2"]["exact"]) / 2)
        assert a["dJ/db[1]"]["exact"] == pytest.approx(
            (a["dJ@1/db[1]"]["exact"] + a["dJ@2/db[1]"]["exact"]) / 2)
        d = parse(path.read_text())  # the version's numbers, derived again from its key
        again = run(d, instance(d, seed=k["seed"], version=k["version"]))
        assert again.values["J"] == pytest.approx(a["J"]["exact"], rel=1e-12)
