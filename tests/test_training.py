"""Mini-batch training on the shipped digits: reproducible from its seed, and step for step
the same weights as PyTorch's SGD on the same batches from the same start."""

import numpy as np
import pytest

from symbackprop.definitions import dataset
from symbackprop.definitions.definition import Network
from symbackprop.engine import training
from symbackprop.engine.sample import generator

from .conftest import WORKSHEETS

DIGITS = dataset.read(WORKSHEETS / "data" / "uci-digits.csv.gz")
SOFTMAX = Network((64, 16, 10), ("sigmoid", "softmax"), "cross_entropy", "per_neuron")


def test_a_run_is_reproducible_from_its_seed_and_learns():
    same = dict(epochs=4, batch_size=32, learning_rate=0.5, verify_first=False)
    run = training.train(SOFTMAX, DIGITS, seed=3, **same)
    again = training.train(SOFTMAX, DIGITS, seed=3, **same)
    other = training.train(SOFTMAX, DIGITS, seed=4, **same)
    assert run.epochs == again.epochs and run.epochs != other.epochs
    assert run.epochs[-1].loss < run.epochs[0].loss and run.epochs[-1].test_accuracy > 0.8
    confusion = np.array(run.confusion)
    assert confusion.sum() == round(0.2 * 1797)
    assert np.trace(confusion) / confusion.sum() == pytest.approx(run.epochs[-1].test_accuracy)


def test_the_same_weights_as_pytorch_sgd_on_the_same_batches():
    torch = pytest.importorskip("torch")
    seed, epochs, batch, rate = 11, 2, 32, 0.5
    run = training.train(SOFTMAX, DIGITS, epochs=epochs, batch_size=batch, learning_rate=rate,
                         seed=seed, verify_first=False)
    train_set, _ = DIGITS.split(0.2, seed)
    rng = generator(seed, 0)  # the run's own draws, in its order: the start, then each shuffle
    start = training.initial(SOFTMAX, rng)
    model = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.Sigmoid(),
                                torch.nn.Linear(16, 10)).double()
    with torch.no_grad():
        for layer, W, b in zip((model[0], model[2]), start.W, start.b):
            layer.weight[:] = torch.from_numpy(W)
            layer.bias[:] = torch.from_numpy(b)
    sgd = torch.optim.SGD(model.parameters(), lr=rate)
    X, T = torch.from_numpy(train_set.inputs), torch.from_numpy(train_set.targets)
    for _ in range(epochs):
        order = rng.permutation(len(train_set.labels))
        for i in range(0, len(order), batch):
            rows = torch.from_numpy(order[i:i + batch])
            sgd.zero_grad()
            torch.nn.functional.cross_entropy(model(X[rows]), T[rows]).backward()
            sgd.step()
    for ours, layer in zip(run.params.W, (model[0], model[2])):
        assert ours == pytest.approx(layer.weight.detach().numpy(), rel=1e-9, abs=1e-12)
    for ours, layer in zip(run.params.b, (model[0], model[2])):
        assert ours == pytest.approx(layer.bias.detach().numpy(), rel=1e-9, abs=1e-12)


def test_the_first_batch_is_derived_and_verified_before_the_first_step(monkeypatch):
    from symbackprop.definitions.errors import VerificationError
    from symbackprop.engine import numeric

    run = training.train(SOFTMAX, DIGITS, epochs=1, batch_size=8, learning_rate=0.5, seed=5)
    first = run.first_batch
    assert len(first.examples) == 8 and first.instance.batch_loss == "mean"
    assert first.finite_differences.method == "every_parameter"
    assert first.numpy_max_abs_diff < 1e-12 and first.fd_max_rel_err < 1e-6
    # the same 8 examples the trainer stepped with: its own draws, in its order
    train_set, _ = DIGITS.split(0.2, 5)
    rng = generator(5, 0)
    start = training.initial(SOFTMAX, rng)
    rows = rng.permutation(len(train_set.labels))[:8]
    assert [e.inputs for e in first.instance.values.examples] == [
        tuple(x) for x in train_set.inputs[rows]]
    W, b = start.W, start.b
    assert first.values["J"] == pytest.approx(np.mean([  # each example's loss, by hand
        -np.log(numeric.softmax(W[1] @ numeric.sigmoid(W[0] @ x + b[0]) + b[1])[t])
        for x, t in zip(train_set.inputs[rows], train_set.labels[rows])]), rel=1e-12)
    # a trainer whose step were wrong is stopped before it trains
    right = numeric.batch_gradients
    monkeypatch.setattr(numeric, "batch_gradients", lambda *a: numeric.Params(
        [w * 1.001 for w in right(*a).W], right(*a).b))
    with pytest.raises(VerificationError, match="the trainer's gradient of its first batch"):
        training.train(SOFTMAX, DIGITS, epochs=1, batch_size=8, learning_rate=0.5, seed=5)


SHIPPED = WORKSHEETS / "training" / "digits-64-16-10.yaml"


def test_train_epochs_on_the_shipped_definition(capsys):
    import json

    from symbackprop.cli import main
    from symbackprop.definitions.definition import load

    assert main(["train", str(SHIPPED), "--epochs", "2", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    defn = load(SHIPPED)
    run = training.train(defn.network, DIGITS, 2, 32, defn.learning_rate, defn.seed, 0.2)
    assert printed == run.as_json()
    assert main(["train", str(SHIPPED), "--epochs", "1"]) == 0
    said = capsys.readouterr().out
    assert said.splitlines()[1].startswith(f"epoch 1/1: loss {run.epochs[0].loss:.6f}")
    assert "first mini-batch (32 examples), verified: NumPy max |diff| " in said


@pytest.mark.parametrize("change, args, words", [
    ("", ["--steps", "3"], "trains with --epochs N"),
    ("", [], "trains with --epochs N"),
    ("file: ../data/missing.csv.gz", ["--epochs", "1"], "missing.csv.gz: cannot read the data"),
    ("test_fraction: 0.9", ["--epochs", "1"], "data.test_fraction: must be from 0.05 to 0.5"),
    ("layers: [64, 16, 9]", ["--epochs", "1"], "network.layers: a network trained on the 8×8"),
    ("values: {inputs: [1]}", ["--epochs", "1"], "values: a definition with data:"),
])
def test_bad_training_input_is_refused_on_one_line(change, args, words, tmp_path):
    from .hostile import assert_refused, run

    text = SHIPPED.read_text(encoding="utf-8")
    if change.startswith("file:"):
        text = text.replace("file: ../data/uci-digits.csv.gz", change)
    elif change.startswith("test_fraction"):
        text = text.replace("test_fraction: 0.2", change)
    elif change.startswith("layers"):
        text = text.replace("layers: [64, 16, 10]", change)
    elif change:
        text += change + "\n"
    (tmp_path / "training").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "uci-digits.csv.gz").write_bytes(
        (WORKSHEETS / "data" / "uci-digits.csv.gz").read_bytes())
    (tmp_path / "training" / "d.yaml").write_text(text, encoding="utf-8")
    result = run(["train", str(tmp_path / "training" / "d.yaml"), *args], tmp_path)
    assert_refused(result)
    assert words in result.stderr


def test_epochs_need_a_data_set(tmp_path):
    from .hostile import assert_refused, run

    result = run(["train", str(WORKSHEETS / "blog-2-2-2.yaml"), "--epochs", "2"], tmp_path)
    assert_refused(result, "--epochs trains on a data set")
