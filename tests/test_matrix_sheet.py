"""A matrix-form worksheet: δ's and gradients asked as whole matrices with their shapes, each
entry a blank; its key equal to the matrix form and the scalar chain rule; `check` carrying a
slip forward entry by entry; the PDF laid out as matrices."""

import json
import subprocess

import numpy as np
import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import DefinitionError, load, parse
from symbackprop.engine import matrixform
from symbackprop.engine.sample import instance
from symbackprop.engine.verify import run
from symbackprop.sheets import worksheet as sheet

from .conftest import WORKSHEETS
from .test_build import needs_tex, pdf_text

SHEET = WORKSHEETS / "matrix-form-3-4-2.yaml"


@pytest.fixture(scope="module")
def made():
    d = load(SHEET)
    r = run(d, instance(d))
    ws = sheet.build(d, r)
    return r, ws, sheet.key_json(d, ws, r)


def test_the_key_asks_every_entry_with_the_shapes(made):
    r, ws, key = made
    a = {x["name"]: x for x in key["answers"]}
    form = matrixform.build(r)
    # every δ and every gradient, entry by entry, equal to the matrix products
    assert [a[f"dJ/dnet[1][{j}]"]["exact"] for j in (1, 2, 3, 4)] == pytest.approx(
        form.deltas[0][:, 0], rel=1e-9)
    W1 = np.array([[a[f"dJ/dW[1][{j}][{k}]"]["exact"] for k in (1, 2, 3)] for j in (1, 2, 3, 4)])
    assert np.allclose(W1, form.grad_W[0], rtol=1e-9, atol=0)
    assert [a[f"dJ/db[2][{j}]"]["exact"] for j in (1, 2)] == pytest.approx(form.grad_b[1])
    # the shapes of the products: (W^2)ᵀδ^2 is 4×1, δ^1 xᵀ is 4×3, δ^2 (out^1)ᵀ is 2×4
    assert [a[f"{w} of {m}"]["value"] for w, m in [("rows", "delta[1]"), ("columns", "delta[1]"),
                                                   ("rows", "dJ/dW[1]"),
                                                   ("columns", "dJ/dW[1]"),
                                                   ("rows", "dJ/dW[2]"),
                                                   ("columns", "dJ/dW[2]")]] == [4, 1, 4, 3, 2, 4]
    grids = [(s.grid.rows, s.grid.columns) for s in ws.sections if s.grid]
    assert grids == [(2, 1), (4, 1), (2, 4), (2, 1), (4, 3), (4, 1)]
    assert key["definition"]["form"] == "matrix"
    assert {p.name for p in ws.proofs} >= {"delta_output", "delta_hidden",
                                           "weight_gradient_matrix", "bias_gradient_vector"}


def test_check_carries_a_slip_forward_entry_by_entry(made, tmp_path, capsys):
    r, ws, key = made
    (path := tmp_path / "key.json").write_text(json.dumps(key))
    a = {x["name"]: x for x in key["answers"]}
    typed = {n: x["value"] for n, x in a.items()}
    typed["dJ/dnet[2][1]"] = round(a["dJ/dnet[2][1]"]["value"] + 0.1, 4)  # one slip in δ^2
    W2 = [[r.values[f"W[2][{i}][{j}]"] for j in (1, 2, 3, 4)] for i in (1, 2)]
    for j in (1, 2, 3, 4):  # δ^1 worked right from the slip: (W^2)ᵀ δ^2 ⊙ f'
        out = typed[f"out[1][{j}]"]
        back = W2[0][j - 1] * typed["dJ/dnet[2][1]"] + W2[1][j - 1] * typed["dJ/dnet[2][2]"]
        typed[f"dJ/dnet[1][{j}]"] = round(back * out * (1 - out), 4)
    for k in (1, 2, 3, 4):  # and ∂J/∂W^2's first row from it: δ^2_1 · out^1_k
        typed[f"dJ/dW[2][1][{k}]"] = round(typed["dJ/dnet[2][1]"] * typed[f"out[1][{k}]"], 4)
    typed["rows of dJ/dW[1]"], typed["columns of dJ/dW[1]"] = 3, 4  # rows and columns swapped
    (answers := tmp_path / "a.txt").write_text(
        "".join(f"{a[n]['label']} = {v}\n" for n, v in typed.items()))
    assert main(["check", str(path), str(answers), "--json"]) == 0
    marks = {m["name"]: m for m in json.loads(capsys.readouterr().out)["answers"]}
    assert marks["dJ/dnet[2][1]"]["verdict"] == "incorrect"
    assert {marks[f"dJ/dnet[1][{j}]"]["verdict"] for j in (1, 2, 3, 4)} == {"carried_forward"}
    assert {marks[f"dJ/dW[2][1][{k}]"]["verdict"] for k in (1, 2, 3, 4)} == {"carried_forward"}
    assert marks["dJ/dW[2][2][1]"]["verdict"] == "correct"
    assert (marks["rows of dJ/dW[1]"]["verdict"], marks["rows of dJ/dW[1]"]["diagnosis"]) == \
        ("incorrect", "transposed")


@needs_tex
def test_the_pdf_lays_each_matrix_out_with_its_shape(tmp_path):
    assert main(["build", str(SHEET), "--out", str(tmp_path)]) == 0
    key = json.loads((tmp_path / "matrix-form-3-4-2-key.json").read_text())
    text = pdf_text(tmp_path / "matrix-form-3-4-2-key.pdf")
    for shape in ("2×1", "4×1", "2×4", "4×3"):
        assert shape in text, shape
    a = {x["name"]: x for x in key["answers"]}
    first_row = [f"({a[f'dJ/dW[1][1][{k}]']['label']})" for k in (1, 2, 3)]
    row = next(line for line in text.splitlines() if first_row[0] in line)
    assert all(label in row for label in first_row)  # a row of the matrix on one line
    for k in (1, 2, 3):
        assert f"{abs(a[f'dJ/dW[1][1][{k}]']['value']):.4f}" in row


def test_a_matrix_form_class_set_and_a_batch_refused(tmp_path):
    (path := tmp_path / "m.yaml").write_text(
        "network: {layers: [2, 3, 2], activation: [tanh, softmax], loss: cross_entropy}\n"
        "form: matrix\n")
    assert main(["build", str(path), "--versions", "2", "--format", "tex", "--out",
                 str(tmp_path / "out")]) == 0
    keys = [json.loads((tmp_path / "out" / f"m-v0{v}-key.json").read_text()) for v in (1, 2)]
    assert keys[0]["definition"]["values"] != keys[1]["definition"]["values"]
    names = [x["name"] for x in keys[0]["answers"]]
    assert "dJ/dnet[2][1]" in names and "dJ/dout[2][1]" not in names
    with pytest.raises(DefinitionError, match="form: a matrix-form worksheet works one"):
        parse("network: {layers: [2, 1], activation: sigmoid, loss: sse}\n"
              "values: {examples: 2}\nform: matrix\n")


@needs_tex
def test_the_digits_network_prints_as_one_page_of_shapes(tmp_path):
    digits = WORKSHEETS / "matrix-form-digits-64-16-10.yaml"
    assert main(["build", str(digits), "--out", str(tmp_path)]) == 0
    page = tmp_path / "matrix-form-digits-64-16-10-shapes.pdf"
    info = subprocess.run(["pdfinfo", str(page)], capture_output=True, text=True).stdout
    assert "Pages:           1" in info
    text = pdf_text(page, layout=False)
    for shape in ("10×1", "16×10", "16×64", "1×64", "10×16", "1×16"):
        assert shape in text, shape
    assert "Layer 1's weight gradient" in text and "0." not in text  # shapes, no numbers
    forms = [e.form for e in matrixform.shapes(load(digits).network)]
    assert "∂J/∂W^1 (16×64) = δ^1 (16×1) xᵀ (1×64)" in forms
    assert main(["build", str(digits), "--versions", "2", "--out", str(tmp_path / "v")]) == 2


@needs_tex
def test_the_worksheet_never_gives_a_shape_it_asks_for(tmp_path):
    """The teacher's review: the words said 'the transposed weight matrix is 4×2 and the next
    δ is 2×1' before asking the product's shape, and ∂J/∂b⁽¹⁾ (which is δ⁽¹⁾) showed 4×1 under
    it. Neither the worksheet nor the practice page shows an asked shape; the key does."""
    import html
    import re

    assert main(["build", str(SHEET), "--format", "pdf", "--format", "html", "--out",
                 str(tmp_path)]) == 0
    key = json.loads((tmp_path / "matrix-form-3-4-2-key.json").read_text())
    value = {a["name"]: int(a["value"]) for a in key["answers"]}
    asked = {f"{value[n]}×{value[n.replace('rows', 'columns', 1)]}" for n in value
             if n.startswith("rows of ")}
    assert asked == {"4×1", "2×4", "4×3"}  # δ⁽¹⁾, ∂J/∂W⁽²⁾, ∂J/∂W⁽¹⁾ (independently: 3-4-2)
    sheet_text = pdf_text(tmp_path / "matrix-form-3-4-2-worksheet.pdf", layout=False)
    page = html.unescape(re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ",
                                (tmp_path / "matrix-form-3-4-2-practice.html").read_text(),
                                flags=re.S))
    page = re.sub(r"\s+", "", page)  # MathML spaces its tokens: 4 × 1
    for shape in asked:
        assert shape not in sheet_text.replace(" ", ""), shape
        assert shape not in page, shape
    key_text = pdf_text(tmp_path / "matrix-form-3-4-2-key.pdf", layout=False)
    assert all(shape in key_text for shape in asked)
