"""Definitions: every wrong input stops with one clear message naming file, key and problem."""

import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import DefinitionError, parse

GOOD = """
network: {layers: [2, 2, 1], activation: sigmoid, loss: half_sse, bias: per_neuron}
values:
  inputs: [0.1, 0.2]
  targets: [0.5]
  weights: [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]]
  biases: [[0.1, 0.2], [0.3]]
"""


def test_good_definition_reads_every_number():
    d = parse(GOOD)
    assert d.network.layers == (2, 2, 1)
    assert d.network.activations == ("sigmoid", "sigmoid")
    assert d.values.weights[1] == ((0.5, 0.6),)
    assert d.values.biases == ((0.1, 0.2), (0.3,))
    assert d.learning_rate == 0.5 and d.update_biases is True and d.decimals == 4


@pytest.mark.parametrize("text, key, words", [
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\ncolour: red",
     "colour", "unknown key"),
    ("network: {layers: [2, 1], activation: sigmod, loss: half_sse}",
     "network.activation", "sigmoid, tanh"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\n"
     "values: {weights: [[[0.1, 0.2, 0.3]]]}", "values.weights[0][0]", "must have 2 numbers"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\n"
     "values: {weights: [[[0.1, 0.2], [0.3, 0.4]]]}", "values.weights[0]", "1x2 matrix"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\n"
     "values: {inputs: [0.1, abc]}", "values.inputs[1]", "must be a number"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\n"
     "values: {inputs: [0.1, .nan]}", "values.inputs[1]", "finite"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\n"
     "values: {inputs: [0.1, true]}", "values.inputs[1]", "must be a number"),
    ("network: {layers: [2, 2, 1], activation: [softmax, sigmoid], loss: half_sse}",
     "network.activation", "softmax may only be the output"),
    ("network: {layers: [2, 2], activation: softmax, loss: half_sse}",
     "network.loss", "cross_entropy only"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\nupdate_biases: no",
     "line 2", "yes/no"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\n"
     "values: {inputs: [010, 1]}", "line 2", "ambiguous number"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\nlearning_rate: 0x10",
     "line 2", "ambiguous number"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\nnetwork: {}",
     "line 2", "appears twice"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse\n", "", "bad YAML"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse, bias: none}\n"
     "values: {biases: [[1]]}", "values.biases", "network.bias is none"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\nask: ['W[2][1][1]']",
     "ask[0]", "names nothing in a 2-1 network"),
    ("!!python/object/apply:os.system ['echo hi']", "", "bad YAML"),
    ("network: {layers: [2, 1], activation: relu, loss: binary_cross_entropy}",
     "network.loss", "sigmoid output"),
])
def test_wrong_definitions_name_key_and_problem(text, key, words):
    with pytest.raises(DefinitionError) as err:
        parse(text, source="class.yaml")
    assert err.value.source == "class.yaml"
    assert err.value.key.startswith(key)
    assert words in err.value.problem


def test_scientific_notation_is_a_number_not_text():
    d = parse("network: {layers: [1, 1], activation: sigmoid, loss: half_sse}\n"
              "learning_rate: 1e-3")
    assert d.learning_rate == pytest.approx(0.001)


def test_cli_reports_bad_definition_with_exit_2_and_no_traceback(write, capsys):
    path = write("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\n"
                 "values: {weights: [[[1, 2, 3]]]}\n")
    assert main(["derive", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "values.weights[0][0]" in err and "must have 2 numbers" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_cli_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["derive", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read the file" in capsys.readouterr().err
