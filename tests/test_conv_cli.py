"""Networks on an image and optimizers at the doors: the YAML read strictly (every refusal one
line naming the file, key and problem), derive and train on the command line and in Python,
build, check and audit refusing in one line, and from_torch on nn.Conv2d models."""

import json

import numpy as np
import pytest

import symbackprop
from symbackprop.cli import main
from symbackprop.definitions.definition import load, parse
from symbackprop.definitions.errors import DefinitionError
from symbackprop.engine import convnumeric as cn
from symbackprop.engine import descent
from symbackprop.engine.sample import instance

from .conftest import WORKSHEETS
from .hostile import assert_refused, run

IMAGE = "input: {channels: 1, height: 4, width: 4}"
NET = f"""network:
  {IMAGE}
  layers:
    - {{kind: convolution, filters: 2, kernel: 2, activation: tanh}}
    - {{kind: max_pool, size: 2, stride: 1}}
    - {{kind: flatten}}
    - {{kind: dense, size: 3, activation: softmax}}
  loss: cross_entropy
seed: 11
"""


def _net(layers: str, rest: str = "", loss: str = "mse") -> str:
    return f"network: {{{IMAGE}, loss: {loss}, layers: [{layers}]}}\n{rest}"


TAIL = "{kind: flatten}, {kind: dense, size: 1, activation: identity}"
CONV = "{kind: convolution, filters: 1, kernel: 2, activation: relu}"

REFUSED = [  # (definition, key, problem)
    (_net("{kind: conv}"), "network.layers[0].kind", "must be one of convolution, max_pool"),
    (_net(f"{{kind: convolution, filters: 1, kernel: 5, activation: relu}}, {TAIL}"),
     "network.layers[0]", "its window does not fit the 1×4×4 map"),
    (_net(f"{{kind: convolution, filters: 1, kernel: 2, padding: 2, activation: relu}}, {TAIL}"),
     "network.layers[0].padding", "must be less than the kernel's rows (2)"),
    (_net(f"{{kind: convolution, filters: 1, kernel: 2}}, {TAIL}"),
     "network.layers[0].activation", "is required but missing"),
    (_net(f"{{kind: convolution, filters: 1, kernel: [2, 2, 2], activation: relu}}, {TAIL}"),
     "network.layers[0].kernel", "must be one whole number or [rows, columns]"),
    (_net("{kind: dense, size: 2, activation: relu}"), "network.layers[0]",
     "a dense layer reads a vector: put {kind: flatten} before it"),
    (_net(f"{{kind: flatten}}, {CONV}"), "network.layers[1]", "a convolution layer reads maps"),
    (_net(f"{CONV}, {{kind: flatten}}"), "network.layers[1]", "the output layer must be dense"),
    (_net(f"{{kind: convolution, filters: 1, kernel: 2, activation: softmax}}, {TAIL}"),
     "network.layers[0].activation", "must be one of sigmoid, tanh, relu, identity"),
    (_net(f"{CONV}, {{kind: flatten}}, {{kind: dense, size: 2, activation: softmax}}"),
     "network.loss", "a softmax output goes with cross_entropy only"),
    (_net(f"{CONV}, {TAIL}", "values: {image: [[[1, 2, 3, 4]]]}"), "values.image[0]",
     "must be 4 rows × 4 columns"),
    (_net(f"{CONV}, {TAIL}", "values: {layers: [{weights: 1}, {}, {}]}"),
     "values.layers[0].weights", "unknown key; allowed keys are kernels, biases"),
    (_net(f"{{kind: max_pool, size: 2}}, {TAIL}", "values: {layers: [{kernels: 1}, {}, {}]}"),
     "values.layers[0]", "layer 1 is max_pool: it has no numbers of its own"),
    (_net(f"{CONV}, {TAIL}", "values: {layers: [{kernels: [[[[1, 2], [3, 4]]]]}, {}]}"),
     "values.layers", "must be a list of 3 entries"),
    (_net(f"{CONV}, {TAIL}", "ask: ['K[1][1][1][1][1]']"), "ask",
     "is not taken for a network of layers on an image yet"),
    (_net(f"{CONV}, {TAIL}", "notation: numbered"), "notation", "numbered names"),
    (_net(f"{CONV}, {TAIL}", "values: {examples: 2}"), "values.examples",
     "a batch of images is not derived yet"),
    ("network: {input: {channels: 1, height: 256, width: 256}, loss: mse, layers: ["
     "{kind: convolution, filters: 64, kernel: 3, activation: relu}, " + TAIL + "]}",
     "network.layers[0]", "at most 65,536 a layer"),
    ("network: {input: {channels: 1, height: 100, width: 100}, loss: mse, layers: ["
     "{kind: convolution, filters: 6, kernel: 5, activation: relu}, " + TAIL + "]}",
     "network.layers", "products; at most 150,000 are derived"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: mse}\noptimizer: {name: adam, "
     "beta1: 1}", "optimizer.beta1", "must be from 0 to less than 1, got 1"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: mse}\noptimizer: {name: momentum, "
     "beta1: 0.9}", "optimizer.beta1", "unknown key for momentum; allowed keys are name, "
     "momentum, nesterov"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: mse}\noptimizer: adam",
     "optimizer", "must be a mapping with a name"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: mse}\noptimizer: {name: nadam}",
     "optimizer.name", "must be one of sgd, momentum, rmsprop, adam"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: mse}\noptimizer: {name: adam, "
     "epsilon: 0}", "optimizer.epsilon", "must be above 0 and at most 1"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: mse}\noptimizer: {name: momentum, "
     "momentum: 0, nesterov: true}", "optimizer.nesterov", "needs a momentum above 0"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: mse}\nweight_decay: {lambda: 0.1, "
     "bias: false}", "weight_decay.bias", "unknown key; allowed keys are lambda, biases"),
    ("network: {layers: [2, 1], activation: sigmoid, loss: mse}\nweight_decay: -0.1",
     "weight_decay", "must be from 0 to 100"),
]


@pytest.mark.parametrize("text,key,problem", REFUSED, ids=[k for _, k, _ in REFUSED])
def test_a_bad_definition_is_refused_naming_its_key_and_problem(text, key, problem):
    with pytest.raises(DefinitionError) as caught:
        parse(text, source="bad.yaml")
    assert caught.value.key == key
    assert problem in caught.value.problem


def test_a_bad_definition_is_one_line_and_exit_code_2(tmp_path):
    (tmp_path / "bad.yaml").write_text(REFUSED[1][0], encoding="utf-8")
    assert_refused(run(["derive", "bad.yaml"], tmp_path), "bad.yaml: network.layers[0]: ")


def test_dense_definitions_read_as_before():
    """Every bundled dense worksheet: no layers of kinds, and plain gradient descent (the
    convolution and optimizer worksheets of issue 23, in any language, are the ones that are
    not)."""
    worked = ("convolution-", "adam-", "rmsprop-", "nesterov-", "weight-decay-")
    for path in WORKSHEETS.glob("*.yaml"):
        defn = load(path)
        if hasattr(defn, "network") and not any(w in path.name for w in worked):
            assert not defn.layered and defn.optimizer.plain, path.name


@pytest.fixture
def conv(tmp_path):
    path = tmp_path / "conv.yaml"
    path.write_text(NET, encoding="utf-8")
    return path


def test_derive_json_of_a_network_on_an_image(conv, capsys):
    assert main(["derive", str(conv), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"loss", "outputs", "layers", "deltas", "input_grad", "grad", "update",
                        "conventions", "verification"}
    inst = instance(load(conv))
    p = cn.params(inst)
    grads, dx = cn.gradients(inst, p)
    assert [layer["kind"] for layer in out["layers"]] == ["convolution", "max_pool",
                                                          "flatten", "dense"]
    assert np.array(out["layers"][0]["net"]).shape == (2, 3, 3)
    assert np.allclose(out["grad"][0]["K"], grads.weights[0], rtol=1e-12, atol=1e-15)
    assert np.allclose(out["grad"][3]["W"], grads.weights[3], rtol=1e-12, atol=1e-15)
    assert out["grad"][1] is None and out["grad"][2] is None
    assert np.allclose(out["input_grad"], dx, rtol=1e-12, atol=1e-15)
    assert np.allclose(out["deltas"][3], cn.deltas(inst, p)[3], rtol=1e-12)
    assert np.allclose(out["update"][0]["K"], p.weights[0] - 0.5 * grads.weights[0])
    assert out["verification"]["finite_differences"]["method"] == "every_parameter"
    assert out == json.loads(symbackprop.derive(load(conv)).to_json())


def test_derive_param_shows_that_kernel_entrys_paths_only(conv, capsys):
    assert main(["derive", str(conv), "--param", "K[1][2][1][1][2]"]) == 0
    out = capsys.readouterr().out
    assert "dJ/dK[1][2][1][1][2] = Σ_(i,j) dJ/dnet[1][2][i][j] · x[1][i][j+1]" in out
    assert "dJ/dK[1][1][1][1][1]" not in out and "Through the image" not in out
    assert main(["derive", str(conv), "--param", "K[1][3][1][1][1]"]) == 2
    assert "layer 1 has filters 1 to 2" in capsys.readouterr().err


def test_train_with_adam_reports_the_moments_after_each_step(tmp_path, capsys):
    path = tmp_path / "adam.yaml"
    path.write_text(NET + "optimizer: {name: adam, beta2: 0.99}\nweight_decay: 0.01\n"
                    "learning_rate: 0.05\n", encoding="utf-8")
    assert main(["train", str(path), "--steps", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ours = descent.train(instance(load(path)), 3)
    assert len(out["loss_history"]) == 4 and out["loss_history"] == ours.history
    opt = out["optimizer"]
    assert (opt["name"], opt["settings"]["beta2"], len(opt["steps"])) == ("adam", 0.99, 3)
    assert np.allclose(opt["steps"][2]["state"]["m"][0]["K"], ours.states[2]["m"][:8].reshape(
        2, 1, 2, 2), rtol=0, atol=0)
    assert opt["state"] == opt["steps"][-1]["state"]
    assert main(["train", str(path), "--steps", "3"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("optimizer: adam (η = 0.05, β1 = 0.9, β2 = 0.99, ε = 1e-08, "
                           "weight decay λ = 0.01)")


def test_derive_steps_of_momentum_show_the_velocity(tmp_path, capsys):
    path = tmp_path / "mom.yaml"
    path.write_text((WORKSHEETS / "blog-2-2-2.yaml").read_text(encoding="utf-8")
                    + "optimizer: {name: momentum, momentum: 0.9}\n", encoding="utf-8")
    assert main(["derive", str(path), "--param", "w5", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert "After 2 momentum steps (η = 0.5; μ = 0.9):" in out
    assert "velocity_2 W[2][1][1] = μ·v + g = 0.9·velocity_1 W[2][1][1] + g_2 W[2][1][1] = " \
        in out
    assert main(["derive", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    step = out["optimizer"]["steps"][0]
    assert step["state"]["velocity"]["W"] == out["grad"]["W"]  # v₁ = g₁
    assert out["update"]["W"] == step["parameters"]["W"]


@pytest.mark.parametrize("change,key,words", [
    (("filters: 2", "filters: 5"), "network.input", "a convolution worksheet has at most 3 "
     "channels and 4 filters on an image of at most 8×8; derive and train work on it"),
    (("kernel: 2,", "kernel: 2, stride: 2,"), "network.layers[0]",
     "a convolution worksheet uses stride 1 and no padding; derive and train work on it"),
])
def test_build_refuses_a_network_on_an_image_in_one_line(change, key, words, tmp_path):
    conv = tmp_path / "conv.yaml"
    conv.write_text(NET.replace(*change), encoding="utf-8")
    assert_refused(run(["build", str(conv), "--out", str(tmp_path / "out")], tmp_path),
                   f"{conv}: {key}: {words}")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_build_check_and_audit_refuse_an_optimizer_in_one_line(tmp_path):
    path = tmp_path / "adam.yaml"
    path.write_text((WORKSHEETS / "blog-2-2-2.yaml").read_text(encoding="utf-8")
                    + "optimizer: {name: adam}\n", encoding="utf-8")
    # an optimizer's worksheet is one neuron (sheets/stepsheet.py): a 2-2-2 network is not
    one = "network: an optimizer worksheet is one neuron of 1 to 4 inputs"
    assert_refused(run(["build", "adam.yaml", "--out", "out"], tmp_path), one)
    (tmp_path / "answers.txt").write_text("a = 1\n", encoding="utf-8")
    assert_refused(run(["check", "adam.yaml", "answers.txt"], tmp_path), one)
    assert_refused(run(["audit", "adam.yaml"], tmp_path), "adam.yaml: optimizer: audits of steps")
    decay = tmp_path / "decay.yaml"  # weight decay's sheet is one neuron too
    decay.write_text((WORKSHEETS / "blog-2-2-2.yaml").read_text(encoding="utf-8")
                     + "weight_decay: 0.01\n", encoding="utf-8")
    assert_refused(run(["build", "decay.yaml"], tmp_path), "decay.yaml: " + one)


def test_the_python_api_on_a_network_on_an_image(conv):
    result = symbackprop.derive(conv)
    assert repr(result).startswith("<Result 1×4×4 image, conv 2×2×2 tanh-max_pool 2×2-flatten-"
                                   "dense 3 softmax, cross_entropy: J = ")
    chain = result.derivation("K[1][1][1][2][1]")
    assert chain.paths and len(chain.factors) == 9
    assert sum(v for _, v in chain.factors) == pytest.approx(chain.value, rel=1e-12)
    assert "<table>" in result._repr_html_() and "<math" in chain._repr_html_()
    assert set(result.input_grad) == {f"x[1][{i}][{j}]" for i in range(1, 5)
                                      for j in range(1, 5)}
    trained = symbackprop.train(conv, steps=4)
    assert len(trained.loss_history) == 5 and trained.W is None
    wide = conv.with_name("wide.yaml")
    wide.write_text(NET.replace("filters: 2", "filters: 5"), encoding="utf-8")
    with pytest.raises(ValueError, match="a convolution worksheet has at most 3 channels"):
        symbackprop.worksheet(wide)


torch = pytest.importorskip("torch")
nn = torch.nn


def test_from_torch_reads_a_convolutional_model_and_agrees_with_autograd():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(2, 3, (3, 2), stride=(1, 2), padding=1), nn.ReLU(),
                          nn.AvgPool2d(2, 1), nn.Flatten(), nn.Linear(3 * 4 * 1, 4), nn.Tanh(),
                          nn.Linear(4, 2))
    x = torch.rand(2, 5, 3, dtype=torch.float64)
    defn = symbackprop.from_torch(model, x, [0.3, 0.7], loss="cross_entropy")
    assert defn.network.layers[0].padding == (1, 1) and defn.network.layers[-1].activation == \
        "softmax"
    shown = symbackprop.compare_torch(model, x, [0.3, 0.7], loss="cross_entropy",
                                      weight="K[1][2][1][3][2]")
    assert shown.max_rel_diff < 1e-12
    assert len(shown.gradients) == len(symbackprop.derive(defn).grad)
    assert {n.split(" via ")[0] for n, _, _ in shown.chain} == {"dJ/dK[1][2][1][3][2]"}


@pytest.mark.parametrize("model,where,words", [
    (lambda: nn.Sequential(nn.Conv2d(1, 1, 2), nn.Dropout(), nn.Flatten(), nn.Linear(9, 1)),
     "model[1]", "Dropout is not supported"),
    (lambda: nn.Sequential(nn.Conv2d(1, 1, 2, dilation=2), nn.Flatten(), nn.Linear(4, 1)),
     "model[0]", "dilation=(2, 2) is not supported"),
    (lambda: nn.Sequential(nn.Conv2d(1, 1, 2, padding="same"), nn.Flatten(), nn.Linear(16, 1)),
     "model[0]", "padding='same' is not supported"),
    (lambda: nn.Sequential(nn.Conv2d(1, 1, 2), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(),
                           nn.Linear(1, 1)), "model[2]", "ReLU must follow an nn.Conv2d"),
    (lambda: nn.Sequential(nn.Conv2d(1, 1, 2), nn.MaxPool2d(2, padding=1), nn.Flatten(),
                           nn.Linear(4, 1)), "model[1]", "padding=[1, 1] is not supported"),
    (lambda: nn.Sequential(nn.Conv2d(1, 1, 2), nn.Flatten()), "model", "must end with an "
     "nn.Linear"),
    (lambda: nn.Sequential(nn.Conv2d(1, 2, 2), nn.Flatten(), nn.Linear(9, 1)), "model[2]",
     "takes 9 inputs but the layer before gives 18"),
    (lambda: nn.Sequential(nn.Conv2d(3, 2, 2), nn.Flatten(), nn.Linear(18, 1)), "model[0]",
     "takes 3 channels but the layer before gives 1"),
    (lambda: nn.Sequential(nn.Conv2d(1, 300, 3), nn.Flatten(), nn.Linear(1200, 1)),
     "network.layers[0].filters", "must be a whole number from 1 to 256"),
])
def test_from_torch_refuses_what_it_cannot_read_by_name(model, where, words):
    with pytest.raises(DefinitionError) as caught:
        symbackprop.from_torch(model(), torch.rand(1, 4, 4), [0.0], loss="mse")
    assert caught.value.key == where and words in caught.value.problem
