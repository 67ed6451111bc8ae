"""What a hostile pass over batches, asked names and matrix sheets found, each kept fixed: bad
input refused on one line naming the file, the key and the problem (exit 2), good input
never a traceback."""

import json

import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import DefinitionError, load, parse
from symbackprop.engine.sample import instance
from symbackprop.engine.verify import run as verify_run
from symbackprop.sheets import worksheet as sheet

from .conftest import WORKSHEETS
from .hostile import assert_refused, files, run

NET = "network: {layers: [2, 2, 1], activation: sigmoid, loss: half_sse}\n"
BLOG = """network: {layers: [2, 2, 2], activation: sigmoid, loss: half_sse, bias: shared}
values:
  examples:
    - {inputs: [0.1, 0.2], targets: [0, 1]}
    - {inputs: INPUTS, targets: TARGETS}
  weights: [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
  biases: [[0.35], [0.60]]
"""


@pytest.mark.parametrize("asked, fragment", [
    ("J", "a worksheet asks for a weight's or bias's gradient"),
    ("out[2][1]", "the forward pass and J are on every sheet"),
])
def test_ask_holds_gradients_and_deltas_only(asked, fragment, tmp_path):
    (tmp_path / "d.yaml").write_text(NET + f"ask: ['{asked}']\n")
    result = run(["build", "d.yaml", "--format", "tex", "--out", "o"], tmp_path)
    assert_refused(result, "d.yaml: ask[0]: ", fragment)
    assert not (tmp_path / "o").exists()


def test_a_batch_asks_an_examples_delta_and_a_gradient_by_its_name(tmp_path):
    d = parse(NET + "values: {examples: 2}\nask: ['dJ/dW[2][1][1]', 'dJ@2/dnet[1][1]@2']\n")
    assert d.ask == ("W[2][1][1]", "dJ@2/dnet[1][1]@2")
    with pytest.raises(DefinitionError, match="ask\\[0\\]: 'J@1': a worksheet asks"):
        parse(NET + "values: {examples: 2}\nask: ['J@1']\n")
    # a quantity of a batch is not told to name its example (that name is refused too)
    for quantity in ("net[1][1]", "out[2][1]@1", "x[1]"):
        with pytest.raises(DefinitionError, match=r"a worksheet asks .* \(dJ@1/dnet\[2\]"):
            parse(NET + f"values: {{examples: 2}}\nask: ['{quantity}']\n")
    with pytest.raises(DefinitionError, match="'dnet\\[1\\]\\[1\\]' is not a canonical name"):
        parse(NET + "values: {examples: 2}\nask: ['dnet[1][1]']\n")


def test_a_relu_class_set_asking_a_delta_builds(tmp_path):
    (tmp_path / "r.yaml").write_text(
        "network: {layers: [2, 3, 2], activation: [relu, sigmoid], loss: half_sse, "
        "bias: none}\nask: ['W[1][1][1]', 'dJ/dnet[1][2]']\n")
    assert main(["build", str(tmp_path / "r.yaml"), "--versions", "2", "--format", "tex",
                 "--out", str(tmp_path / "o")]) == 0
    key = json.loads((tmp_path / "o" / "r-v01-key.json").read_text())
    assert "dJ/dnet[1][2]" in [a["name"] for a in key["answers"]]


def test_huge_inputs_in_one_example_are_worked_not_crashed(tmp_path):
    (tmp_path / "h.yaml").write_text(BLOG.replace("INPUTS", "[1e308, -1e308]")
                                     .replace("TARGETS", "[0, 1]"))
    result = run(["derive", "h.yaml", "--json"], tmp_path)
    assert result.code == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["examples"][1]["layers"][0]["out"] == [0.0, 0.0]  # both nets near −5e306
    assert got["verification"]["finite_difference_max_rel_err"] < 1e-6


def test_numbers_beyond_double_precision_are_the_inputs_fault(tmp_path):
    (tmp_path / "t.yaml").write_text(BLOG.replace("INPUTS", "[0.1, 0.2]")
                                     .replace("TARGETS", "[1e308, -1e308]"))
    result = run(["derive", "t.yaml"], tmp_path)
    assert_refused(result, "t.yaml: values: in example 2 (values.examples[1]), ",
                   "beyond double precision")


def _key(tmp_path, name: str):
    """A bundled sheet's key.json written to tmp_path, and its answers by name."""
    d = load(WORKSHEETS / f"{name}.yaml")
    r = verify_run(d, instance(d))
    key = sheet.key_json(d, sheet.build(d, r), r)
    (path := tmp_path / "k.json").write_text(json.dumps(key))
    return path, {x["name"]: x for x in key["answers"]}


def test_one_examples_value_for_the_batchs_is_named_by_check(tmp_path, capsys):
    path, a = _key(tmp_path, "batch-of-two-2-2-2")
    (answers := tmp_path / "a.txt").write_text(
        f"{a['J']['label']} = {a['J@1']['value']}\n"
        f"{a['new W[2][1][1]']['label']} = "
        f"{round(0.4 - 0.5 * a['dJ@2/dW[2][1][1]']['value'], 6)}\n")
    assert main(["check", str(path), str(answers), "--json"]) == 0
    marks = {m["name"]: m for m in json.loads(capsys.readouterr().out)["answers"]}
    assert marks["J"]["diagnosis"] == marks["new W[2][1][1]"]["diagnosis"] == "one_example"


@pytest.mark.parametrize("written, fragment", [
    ("x[1]@1@", "'x[1]@1@' is not a canonical name of an example"),
    ("@1", "'@1' is not a canonical name of an example"),
    ("O1@2", "'O1@2': 'O1' is not a canonical name"),
    ("W[1][1][1]@1", "write W[1][1][1]"),
    ("out[1][1]@3", "the batch has 2 examples"),
])
def test_names_with_an_example_are_checked_with_useful_words(written, fragment, tmp_path):
    with pytest.raises(DefinitionError) as err:
        parse(NET + f"values: {{examples: 2}}\nclaimed: {{'{written}': 0.5}}\n", "m.yaml")
    assert err.value.key == f"claimed.{written}" and fragment in err.value.problem


def test_a_label_cannot_carry_an_example():
    with pytest.raises(DefinitionError, match="names.J@2: a label must be one word without"):
        parse(NET + "values: {examples: 2}\nnames: {J@2: J@1}\n")


def test_forty_drawn_examples_build(tmp_path):
    (tmp_path / "d.yaml").write_text(NET + "values: {examples: 40}\n")
    assert main(["build", str(tmp_path / "d.yaml"), "--format", "tex", "--out",
                 str(tmp_path / "o")]) == 0


def test_audit_refuses_a_diverging_run_and_too_many_layer_steps(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "network: {layers: [1, 1], activation: identity, loss: sse, bias: none}\n"
        "values: {examples: [{inputs: [10], targets: [1]}, {inputs: [-10], targets: [0]}],"
        " weights: [[[1]]]}\nlearning_rate: 5\nclaimed: {loss_after_steps: {50: 1.0}}\n")
    result = run(["audit", "a.yaml"], tmp_path)
    assert_refused(result, "learning rate 5 diverges")
    assert "RuntimeWarning" not in result.stderr
    with pytest.raises(DefinitionError, match="at most 500,000 steps × layers"):
        parse("network: {layers: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], activation: tanh, loss: sse}"
              "\nclaimed: {loss_after_steps: {60000: 1.0}}\n")


def test_shapes_are_whole_numbers_with_no_tolerance(tmp_path, capsys):
    path, a = _key(tmp_path, "matrix-form-3-4-2")
    (answers := tmp_path / "a.txt").write_text(
        f"{a['rows of delta[1]']['label']} = 3.99\n{a['columns of delta[1]']['label']} = 1\n")
    assert main(["check", str(path), str(answers), "--json"]) == 0
    marks = {m["name"]: m for m in json.loads(capsys.readouterr().out)["answers"]}
    assert marks["rows of delta[1]"]["verdict"] == "incorrect"
    assert marks["columns of delta[1]"]["verdict"] == "correct"


def test_derive_prints_the_numbers_build_printed(tmp_path, capsys):
    """A drawn sheet's numbers are judged before they are printed; derive takes the same."""
    sheet_file = WORKSHEETS / "matrix-form-3-4-2.yaml"
    assert main(["build", str(sheet_file), "--format", "tex", "--out", str(tmp_path)]) == 0
    key = json.loads((tmp_path / "matrix-form-3-4-2-key.json").read_text())
    capsys.readouterr()
    assert main(["derive", str(sheet_file), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["grad"]["W"][0][0][0] == pytest.approx(
        next(a["exact"] for a in key["answers"] if a["name"] == "dJ/dW[1][1][1]"), rel=1e-12)
    assert files(tmp_path)  # the build wrote its files


def test_a_keys_path_is_the_product_of_the_factors_it_lists():
    """The key's value for a path is what a student gets from the factors printed above it,
    each as printed: not from a δ rounded on the way that the sheet does not show."""
    d = load(WORKSHEETS / "batch-of-two-2-2-2.yaml")
    r = verify_run(d, instance(d))
    ws = sheet.build(d, r)
    for section in ws.sections:
        for line in section.lines:
            if line.answer is not None and " via " in line.answer.name and line.first:
                i = section.lines.index(line)
                factors = [x.answer.value if x.answer else x.stated.value  # a given weight
                           for x in section.lines[i - 3:i]]
                product = factors[0] * factors[1] * factors[2]
                assert line.answer.value == round(product, d.decimals), line.answer.name
