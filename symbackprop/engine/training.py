"""Mini-batch gradient descent on a data set, with the NumPy evaluator the engine is verified
against (numeric.batch_gradients: each batch's mean gradient), reproducible from a seed: the
initial weights and every epoch's shuffle come from it.

>>> from symbackprop.definitions import dataset
>>> from symbackprop.definitions.definition import Network
>>> net = Network((64, 16, 10), ("sigmoid", "softmax"), "cross_entropy", "per_neuron")
>>> run = train(net, dataset.read("worksheets/data/uci-digits.csv.gz"), epochs=3,
...             batch_size=32, learning_rate=0.5, seed=2026)
>>> [round(e.test_accuracy, 2) > 0.8 for e in run.epochs]
[False, False, True]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..definitions.dataset import Examples
from ..definitions.definition import Example, Network, Values
from ..definitions.errors import UsageError
from ..definitions.optimizer import Optimizer
from . import numeric, optimizers
from .sample import Instance
from .verify import Verified, agree_with, verify

PLAIN = Optimizer()  # plain gradient descent: the step the digits lessons take


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
    first_batch: Verified | None = None  # the first step's batch (or its first examples),
    #                                      derived and verified
    batch_size: int = 0
    optimizer: Optimizer = Optimizer()
    state: dict | None = None  # the optimizer's buffers after the last step, by name
    steps: int = 0  # steps taken (mini-batches)
    learning_rate: float = 0.0
    network: Network | None = None

    def as_json(self) -> dict:
        out = {"epochs": [vars(e) for e in self.epochs], "confusion": self.confusion}
        if not self.optimizer.plain:
            from .graph import build
            from .report import _params

            names = build(self.network).params
            out["optimizer"] = {
                "name": self.optimizer.name, "learning_rate": self.learning_rate,
                "settings": self.optimizer.settings(), "steps_taken": self.steps,
                "state": {k: _params(dict(zip(names, v.tolist())), self.network)
                          for k, v in (self.state or {}).items()}}
        if self.first_batch is not None:
            r = self.first_batch
            out["first_batch"] = {
                "examples": len(r.examples), "of": self.batch_size, "loss": r.values["J"],
                "numpy_max_abs_diff": r.numpy_max_abs_diff,
                "finite_difference_max_rel_err": r.fd_max_rel_err,
                "finite_differences": r.finite_differences.as_json()}
        return out



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


# examples × weights and biases × epochs of one command's training: the digits' 64-16-10 for
# 30 epochs is 5e7, done in 0.4 s; at most about three minutes of steps
MAX_TRAINING_WORK = 30_000_000_000
MAX_TRAINING_STEPS = 2_000_000  # mini-batch steps, which cost their own overhead each


def check_work(network: Network, examples: int, epochs: int, batch_size: int, source: str,
               runs: int = 1) -> None:
    """Refuse (UsageError) training that would run for hours: counted before the first step."""
    from ..definitions.definition import parameters

    work = runs * epochs * examples * parameters(network)
    steps = runs * epochs * -(-examples // batch_size)
    if work > MAX_TRAINING_WORK or steps > MAX_TRAINING_STEPS:
        raise UsageError(
            f"{source}: {runs * epochs:,} epochs of {examples:,} training examples through "
            f"{parameters(network):,} weights and biases in mini-batches of {batch_size} is more "
            f"training than one run does (at most {MAX_TRAINING_WORK:,} examples × parameters "
            f"× epochs, and {MAX_TRAINING_STEPS:,} steps): use fewer epochs, a smaller network "
            "or data set, or larger mini-batches")


def split_for(network: Network, data: Examples, epochs: int, batch_size: int,
              test_fraction: float, seed: int) -> tuple[Examples, Examples]:
    """The training and test examples, once the data set is known to be large enough to split
    and the training small enough to run: every refusal before any work is done or said."""
    train_set, test_set = data.split(test_fraction, seed)
    check_work(network, len(train_set.labels), epochs, batch_size, data.source)
    return train_set, test_set


def train(network: Network, data: Examples, epochs: int, batch_size: int,
          learning_rate: float, seed: int, test_fraction: float = 0.2,
          on_epoch: Callable[[int, Epoch], None] | None = None,
          verify_first: bool = True,
          on_batch: Callable[[int, int, int], None] | None = None,
          optimizer: Optimizer = PLAIN) -> Run:
    """`epochs` passes over the training examples in shuffled mini-batches of `batch_size`;
    on_batch(epoch, batches done, batches in an epoch) after each step, for a progress bar.

    With `verify_first`, the first mini-batch's gradient is also derived by the engine and
    verified three ways (SymPy, NumPy, finite differences), and the step the trainer takes
    with it must agree: the code that trains is the code that was checked (3 s on 64-16-10
    with 32 examples)."""
    from .sample import generator

    train_set, test_set = split_for(network, data, epochs, batch_size, test_fraction, seed)
    rng = generator(seed, 0)
    p = initial(network, rng)
    inst = Instance(network, Values((0.0,) * network.layers[0], (0.0,) * network.layers[-1],
                                    None, None), learning_rate, True)
    X, T = train_set.inputs.T, train_set.targets.T  # a column per example
    history, first = [], None
    stepping = _Stepping(network, optimizer, learning_rate)
    for number in range(1, epochs + 1):
        order = rng.permutation(X.shape[1])
        batches = -(-len(order) // batch_size)
        for done, start in enumerate(range(0, len(order), batch_size), start=1):
            rows = order[start:start + batch_size]
            grad = numeric.batch_gradients(inst, p, X[:, rows], T[:, rows], "mean")
            if verify_first and first is None:
                first = _verified(inst, p, X[:, rows], T[:, rows], grad)
            p = numeric.step(inst, p, grad) if optimizer.plain else stepping(p, grad)
            if on_batch:
                on_batch(number, done, batches)
        epoch = Epoch(numeric.batch_loss(inst, p, X, T, "mean"),
                      accuracy(inst, p, train_set), accuracy(inst, p, test_set))
        history.append(epoch)
        if on_epoch:
            on_epoch(number, epoch)
    # the first mini-batch holds the whole training set when that is smaller
    return Run(history, confusion(inst, p, test_set), p, first,
               min(batch_size, len(train_set.labels)), optimizer,
               stepping.state.buffers, stepping.state.t, learning_rate, network)


class _Stepping:
    """An optimizer's steps on the parameters as one vector, its state carried between them."""

    def __init__(self, network: Network, optimizer: Optimizer, learning_rate: float):
        from .graph import build

        self.optimizer, self.learning_rate = optimizer, learning_rate
        self.decay, self.fixed = optimizers.masks(list(build(network).params), optimizer, True)
        self.state = optimizers.State()

    def __call__(self, p: numeric.Params, grad: numeric.Params) -> numeric.Params:
        w, self.state, _ = optimizers.step(self.optimizer, self.learning_rate,
                                           numeric.flatten(p), numeric.flatten(grad),
                                           self.state, self.decay, self.fixed)
        return numeric.unflatten(w, p)


VERIFIED_WORK = 150_000  # examples × parameters the engine works at the start: about 10 s
# ...and at most this many examples: each is an exact SymPy pass of its own whatever the
# network's size, so 512 of a small network cost seconds a run (a lesson has three runs).
# A wrong gradient rule is wrong on every example; 64 of them check it as well as 512.
VERIFIED_EXAMPLES = 64


def _verified(inst: Instance, p: numeric.Params, X: np.ndarray, T: np.ndarray,
              grad: numeric.Params) -> Verified:
    """The batch (a column per example) as the engine's batch of examples, derived and
    verified; the trainer's own gradient for it is then held to the verified one. A batch
    too big to derive in seconds is checked on its first examples, as a batch of their own,
    against the trainer's gradient for those."""
    from ..definitions.definition import parameters
    from .derivation import derive_all
    from .graph import build

    keep = max(1, min(X.shape[1], VERIFIED_EXAMPLES,
                       VERIFIED_WORK // parameters(inst.network)))
    if keep < X.shape[1]:
        X, T = X[:, :keep], T[:, :keep]
        grad = numeric.batch_gradients(inst, p, X, T, "mean")

    examples = tuple(Example(tuple(x.tolist()), tuple(t.tolist())) for x, t in zip(X.T, T.T))
    values = Values(weights=tuple(tuple(map(tuple, w.tolist())) for w in p.W),
                    biases=None if p.b is None else tuple(tuple(b.tolist()) for b in p.b),
                    examples=examples)
    batch = replace(inst, values=values, batch_loss="mean")
    result = verify(derive_all(build(inst.network)), batch)
    agree_with(result, numeric.flatten(grad), "the trainer's gradient of its first batch")
    return result


def predictions(inst: Instance, p: numeric.Params, examples: Examples) -> np.ndarray:
    return numeric.forward(inst, p, examples.inputs.T)[-1].out.argmax(axis=0)


def accuracy(inst: Instance, p: numeric.Params, examples: Examples) -> float:
    return float((predictions(inst, p, examples) == examples.labels).mean())


def confusion(inst: Instance, p: numeric.Params, examples: Examples) -> list[list[int]]:
    classes = examples.targets.shape[1]
    table = np.zeros((classes, classes), dtype=int)
    np.add.at(table, (examples.labels, predictions(inst, p, examples)), 1)
    return table.tolist()
