"""Seconds per epoch of the 64-16-10 digits network (batch size 32) in symbackprop's trainer,
against PyTorch (CPU, float64, the same network, start and batches) in the same run when it is
installed; and the test accuracy after 30 epochs with sigmoid outputs and squared error, and
with softmax and cross-entropy (issue 13; target: no slower than PyTorch on 2 cores).

    python benchmarks/bench_train.py
"""

from __future__ import annotations

import time
from pathlib import Path

from symbackprop.definitions import dataset
from symbackprop.definitions.definition import Network
from symbackprop.engine import training
from symbackprop.engine.sample import generator

ROOT = Path(__file__).resolve().parent.parent
DIGITS = dataset.read(ROOT / "worksheets" / "data" / "uci-digits.csv.gz")
EPOCHS, BATCH, RATE, SEED = 30, 32, 0.5, 2026
NETWORKS = {
    "sigmoid + squared error": Network((64, 16, 10), ("sigmoid", "sigmoid"), "half_sse",
                                       "per_neuron"),
    "softmax + cross-entropy": Network((64, 16, 10), ("sigmoid", "softmax"), "cross_entropy",
                                       "per_neuron"),
}


def ours(net: Network) -> tuple[float, float]:
    """Seconds per epoch of training alone (the first batch's verification, once per run, is
    timed by first_batch())."""
    start = time.perf_counter()
    run = training.train(net, DIGITS, EPOCHS, BATCH, RATE, SEED, verify_first=False)
    return (time.perf_counter() - start) / EPOCHS, run.epochs[-1].test_accuracy


def first_batch(net: Network) -> float:
    """Seconds to derive and verify the first mini-batch three ways, as `train` does first."""
    times = []
    for check in (True, False):  # one epoch with the check and without: the difference
        start = time.perf_counter()
        training.train(net, DIGITS, 1, BATCH, RATE, SEED, verify_first=check)
        times.append(time.perf_counter() - start)
    return times[0] - times[1]


def pytorch(net: Network) -> tuple[float, float] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    train_set, test_set = DIGITS.split(0.2, SEED)
    rng = generator(SEED, 0)
    start_params = training.initial(net, rng)
    last = [torch.nn.Sigmoid()] if net.activations[-1] == "sigmoid" else []
    model = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.Sigmoid(),
                                torch.nn.Linear(16, 10), *last).double()
    with torch.no_grad():
        for layer, W, b in zip((model[0], model[2]), start_params.W, start_params.b):
            layer.weight[:] = torch.from_numpy(W)
            layer.bias[:] = torch.from_numpy(b)
    sgd = torch.optim.SGD(model.parameters(), lr=RATE)
    X, T = torch.from_numpy(train_set.inputs), torch.from_numpy(train_set.targets)

    def loss(out, t):
        if last:  # ½Σ(t − out)² per example, the batch's mean, as the trainer takes it
            return 0.5 * ((out - t) ** 2).sum(dim=1).mean()
        return torch.nn.functional.cross_entropy(out, t)

    start = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.from_numpy(rng.permutation(len(train_set.labels)))
        for i in range(0, len(order), BATCH):
            rows = order[i:i + BATCH]
            sgd.zero_grad()
            loss(model(X[rows]), T[rows]).backward()
            sgd.step()
    seconds = (time.perf_counter() - start) / EPOCHS
    with torch.no_grad():
        predicted = model(torch.from_numpy(test_set.inputs)).argmax(dim=1).numpy()
    return seconds, float((predicted == test_set.labels).mean())


def main() -> None:
    print(f"64-16-10 on the 1,797 UCI digits (80 % training), batch {BATCH}, η = {RATE}, "
          f"{EPOCHS} epochs, seed {SEED}")
    for name, net in NETWORKS.items():
        mine, acc = ours(net)
        line = f"  {name:25} symbackprop {mine * 1000:6.1f} ms/epoch, test accuracy {acc:.3f}"
        theirs = pytorch(net)
        if theirs is not None:
            line += (f"; PyTorch {theirs[0] * 1000:6.1f} ms/epoch ({theirs[0] / mine:.1f}× "
                     f"ours), test accuracy {theirs[1]:.3f}")
        print(line)
        print(f"  {'':25} the first batch derived and verified three ways: "
              f"{first_batch(net):.1f} s, once a run")


if __name__ == "__main__":
    main()
