"""Whole-process `derive` of networks on an image, verified three ways (issue 23): an 8×8
image through 2 filters of 3×3, 2×2 max pooling and a dense layer of 10 in under 2 s; a 28×28
image through 8 filters (3×3, ReLU, 2×2 max pooling, 10 outputs) in under 10 s. Seconds,
CPU seconds, peak memory and the text's size, with --json and --param beside them, and the
derivation's size (products in its nets) so that the growth shows; then `train --steps` with
Adam. With --targets, only the two figures the issue sets: `python -m symbackprop derive FILE`
of the 8×8 and the 28×28 network, each the best of three runs (a shared machine's load only
ever adds to a run's time).

    python benchmarks/bench_conv.py [--targets]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NETWORKS = {  # name: (image side, filters, kernel, pooling, outputs)
    "8x8, 2 filters": (8, 2, 3, 2, 10),
    "16x16, 4 filters": (16, 4, 3, 2, 10),
    "28x28, 8 filters": (28, 8, 3, 2, 10),
}
TARGETS = {"8x8, 2 filters": 2.0, "28x28, 8 filters": 10.0}


def definition(side: int, filters: int, kernel: int, pool: int, outputs: int,
               optimizer: str = "") -> str:
    return (f"network:\n  input: {{channels: 1, height: {side}, width: {side}}}\n  layers:\n"
            f"    - {{kind: convolution, filters: {filters}, kernel: {kernel}, "
            "activation: relu}\n"
            f"    - {{kind: max_pool, size: {pool}}}\n    - {{kind: flatten}}\n"
            f"    - {{kind: dense, size: {outputs}, activation: softmax}}\n"
            f"  loss: cross_entropy\nseed: 1\n{optimizer}")


def products(side: int, filters: int, kernel: int, pool: int, outputs: int) -> int:
    mapped = side - kernel + 1
    pooled = mapped // pool
    return (filters * mapped ** 2 * kernel ** 2 + filters * pooled ** 2 * pool ** 2
            + outputs * filters * pooled ** 2)


def whole_process(yaml: str, *args: str) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak megabytes and bytes of output of one command."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "net.yaml"
        path.write_text(yaml, encoding="utf-8")
        out = Path(folder) / "out"
        start = time.perf_counter()
        with out.open("wb") as sink:
            child = subprocess.Popen([sys.executable, "-m", "symbackprop.cli", args[0],
                                      str(path), *args[1:]], stdout=sink)
            _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        if status:
            raise SystemExit(f"{' '.join(args)} failed")
        return (seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                out.stat().st_size)


def targets(repeats: int = 3) -> None:
    """The issue's two figures: whole-process `derive`, verified, best of `repeats` runs."""
    for name, target in TARGETS.items():
        yaml = definition(*NETWORKS[name])
        runs = [whole_process(yaml, "derive") for _ in range(repeats)]
        wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
        print(f"{name}: derive {wall:.2f} s wall, {cpu:.2f} s CPU (best of {repeats}; "
              f"target < {target:g} s)")


def main() -> None:
    if "--targets" in sys.argv[1:]:
        return targets()
    print(f"{'network':>17} {'products':>9} {'command':>28} {'wall s':>7} {'CPU s':>6} "
          f"{'peak MB':>8} {'output MB':>9}")
    for name, shape in NETWORKS.items():
        yaml = definition(*shape)
        runs = [("derive",), ("derive", "--json"), ("derive", "--param", "K[1][1][1][2][2]")]
        for args in runs:
            seconds, cpu, peak, size = whole_process(yaml, *args)
            target = TARGETS.get(name) if args == ("derive",) else None
            print(f"{name:>17} {products(*shape):>9,} {' '.join(args):>28} {seconds:>7.2f} "
                  f"{cpu:>6.2f} {peak:>8.0f} {size / 1e6:>9.2f}"
                  + (f"   (target < {target:g} s)" if target else ""))
    adam = definition(*NETWORKS["28x28, 8 filters"], optimizer="optimizer: {name: adam}\n"
                      "learning_rate: 0.01\n")
    for args in (("train", "--steps", "100"), ("train", "--steps", "100", "--json"),
                 ("derive", "--steps", "2")):
        seconds, cpu, peak, size = whole_process(adam, *args)
        print(f"{'28x28, Adam':>17} {'':>9} {' '.join(args):>28} {seconds:>7.2f} {cpu:>6.2f} "
              f"{peak:>8.0f} {size / 1e6:>9.2f}")
    print("(wall seconds; a machine shared with other work inflates them, CPU seconds less so)")


if __name__ == "__main__":
    main()
