"""Mini-batch gradient descent on a data set, with the NumPy evaluator the engine is verified
against (numeric.batch_gradients: each batch's mean gradient), reproducible from a seed: the
initial weights and every epoch's shuffle come from it.

>>> from symbackprop import dataset
>>> from symbackprop.definition import Network
>>> net = Network((64, 16, 10), ("sigmoid", "softmax"), "cross_entropy", "per_neuron")
>>> run = train(net, dataset.read("worksheets/data/uci-digits.csv.gz"), epochs=3,
...             batch_size=32, learning_rate=0.5, seed=2026)
>>> [round(e.test_accuracy, 2) > 0.8 for e in run.epochs]
[False, False, True]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import numeric
from .dataset import Examples
from .definition import Network, Values
from .sample import Instance


@dataclass(frozen=True)
class Epoch:
    loss: float  # the mean loss over the training examples after the epoch
    train_accuracy: float
    test_accuracy: float


@dataclass(frozen=True)
class Run:
    epochs: list[Epoch]
    confusion: list[list[int]]  # test examples: row the true digit, column the predicted one
    params: numeric.Params

    def as_json(self) -> dict:
        return {"epochs": [vars(e) for e in self.epochs], "confusion": self.confusion}


def initial(network: Network, rng: np.random.Generator) -> numeric.Params:
    """Glorot's uniform initialization, U(−a, a) with a = √(6 / (fan in + fan out)), biases 0:
    a sigmoid layer of 64 inputs then starts unsaturated."""
    sizes = network.layers
    W = [rng.uniform(-1, 1, (sizes[l], sizes[l - 1])) * np.sqrt(6 / (sizes[l] + sizes[l - 1]))
         for l in range(1, len(sizes))]
    if network.bias == "none":
        return numeric.Params(W, None)
    return numeric.Params(W, [np.zeros(1 if network.bias == "shared" else n)
                              for n in sizes[1:]])


def train(network: Network, data: Examples, epochs: int, batch_size: int,
          learning_rate: float, seed: int, test_fraction: float = 0.2,
          on_epoch: Callable[[int, Epoch], None] | None = None) -> Run:
    """`epochs` passes over the training examples in shuffled mini-batches of `batch_size`."""
    from .sample import generator

    train_set, test_set = data.split(test_fraction, seed)
    rng = generator(seed, 0)
    p = initial(network, rng)
    inst = Instance(network, Values((0.0,) * network.layers[0], (0.0,) * network.layers[-1],
                                    None, None), learning_rate, True)
    X, T = train_set.inputs.T, train_set.targets.T  # a column per example
    history = []
    for number in range(1, epochs + 1):
        order = rng.permutation(X.shape[1])
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            p = numeric.step(inst, p, numeric.batch_gradients(inst, p, X[:, rows], T[:, rows],
                                                              "mean"))
        epoch = Epoch(numeric.batch_loss(inst, p, X, T, "mean"),
                      accuracy(inst, p, train_set), accuracy(inst, p, test_set))
        history.append(epoch)
        if on_epoch:
            on_epoch(number, epoch)
    return Run(history, confusion(inst, p, test_set), p)


def predictions(inst: Instance, p: numeric.Params, examples: Examples) -> np.ndarray:
    return numeric.forward(inst, p, examples.inputs.T)[-1].out.argmax(axis=0)


def accuracy(inst: Instance, p: numeric.Params, examples: Examples) -> float:
    return float((predictions(inst, p, examples) == examples.labels).mean())


def confusion(inst: Instance, p: numeric.Params, examples: Examples) -> list[list[int]]:
    classes = examples.targets.shape[1]
    table = np.zeros((classes, classes), dtype=int)
    np.add.at(table, (examples.labels, predictions(inst, p, examples)), 1)
    return table.tolist()
