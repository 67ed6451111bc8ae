"""Mini-batch training on the shipped digits: reproducible from its seed, and step for step
the same weights as PyTorch's SGD on the same batches from the same start."""

import numpy as np
import pytest

from symbackprop import dataset, training
from symbackprop.definition import Network
from symbackprop.sample import generator

from .conftest import WORKSHEETS

DIGITS = dataset.read(WORKSHEETS / "data" / "uci-digits.csv.gz")
SOFTMAX = Network((64, 16, 10), ("sigmoid", "softmax"), "cross_entropy", "per_neuron")


def test_a_run_is_reproducible_from_its_seed_and_learns():
    run = training.train(SOFTMAX, DIGITS, epochs=4, batch_size=32, learning_rate=0.5, seed=3)
    again = training.train(SOFTMAX, DIGITS, epochs=4, batch_size=32, learning_rate=0.5, seed=3)
    other = training.train(SOFTMAX, DIGITS, epochs=4, batch_size=32, learning_rate=0.5, seed=4)
    assert run.epochs == again.epochs and run.epochs != other.epochs
    assert run.epochs[-1].loss < run.epochs[0].loss and run.epochs[-1].test_accuracy > 0.8
    confusion = np.array(run.confusion)
    assert confusion.sum() == round(0.2 * 1797)
    assert np.trace(confusion) / confusion.sum() == pytest.approx(run.epochs[-1].test_accuracy)


def test_the_same_weights_as_pytorch_sgd_on_the_same_batches():
    torch = pytest.importorskip("torch")
    seed, epochs, batch, rate = 11, 2, 32, 0.5
    run = training.train(SOFTMAX, DIGITS, epochs=epochs, batch_size=batch, learning_rate=rate,
                         seed=seed)
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
