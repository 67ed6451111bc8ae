"""Seconds to build, derive and verify every parameter, against plain sympy.diff + lambdify.

Targets (issue 2): 64-16-10 (1,210 parameters) in under 3 s on a 2-core machine; at least
50x faster than plain sympy.diff + lambdify on 16-8-4. Issue 14: `derive` on 50 layers of two
neurons prints in under 2 s, whole process, and its text grows linearly with depth. Issue 12:
`derive` and `derive --json` of 784-128-10 (101,770 parameters) in under 10 s and 1 GB, whole
process, and `derive --param` on it in under 2 s; seconds against parameters, so that the
growth shows.

    python benchmarks/bench_derive.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sympy as sp

from symbackprop.definitions.definition import Network, Values
from symbackprop.engine.derivation import derive_all
from symbackprop.engine.evaluate import known
from symbackprop.engine.graph import build, expand
from symbackprop.engine.sample import Instance
from symbackprop.engine.verify import verify

SHAPES = [(2, 2, 2), (16, 8, 4), (64, 16, 10)]


def network(sizes) -> Network:
    return Network(sizes, ("sigmoid",) * (len(sizes) - 1), "half_sse", "per_neuron")


def instance(sizes, seed=0) -> Instance:
    rng = np.random.default_rng(seed)
    weights = tuple(tuple(map(tuple, rng.uniform(-0.5, 0.5, (sizes[l], sizes[l - 1]))))
                    for l in range(1, len(sizes)))
    biases = tuple(tuple(rng.uniform(-0.5, 0.5, n)) for n in sizes[1:])
    values = Values(tuple(rng.uniform(0, 1, sizes[0])), tuple(rng.uniform(0, 1, sizes[-1])),
                    weights, biases)
    return Instance(network(sizes), values, 0.5, True)


def ours(sizes) -> tuple[float, int]:
    """Build the graph, derive every parameter, evaluate and verify three ways."""
    start = time.perf_counter()
    graph = build(network(sizes))
    result = verify(derive_all(graph), instance(sizes))
    return time.perf_counter() - start, len(result.grads)


def plain(sizes) -> float:
    """What one would write without the engine: expand J, diff it by every parameter, and
    lambdify all gradients at once (with common subexpressions shared), then evaluate."""
    start = time.perf_counter()
    graph = build(network(sizes))
    loss = expand(graph, graph.equations["J"])
    inputs = [s for n, s in sorted(graph.symbols.items()) if n[0] in "xtWb"]
    gradient = sp.lambdify(inputs, [sp.diff(loss, graph[p]) for p in graph.params], "numpy",
                           cse=True)
    values = known(graph, instance(sizes))
    grads = gradient(*[values[str(s)] for s in inputs])
    seconds = time.perf_counter() - start
    ours = verify(derive_all(graph), instance(sizes)).grads
    assert np.allclose(grads, [ours[p] for p in graph.params], rtol=1e-9, atol=1e-15)
    return seconds


def deep_derive(depth: int) -> tuple[float, float, int]:
    """Whole-process seconds (wall, then CPU: a loaded machine inflates the first) and bytes of
    `symbackprop derive` on `depth` layers of 2 neurons."""
    yaml = (f"network: {{layers: {[2] * (depth + 1)}, activation: sigmoid, loss: half_sse, "
            "bias: shared}\nvalues: {inputs: [0.05, 0.1], targets: [0.01, 0.99]}\nseed: 1\n")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deep.yaml"
        path.write_text(yaml, encoding="utf-8")
        start, cpu = time.perf_counter(), _children_cpu()
        out = subprocess.run([sys.executable, "-m", "symbackprop.cli", "derive", str(path)],
                             check=True, capture_output=True).stdout
        return time.perf_counter() - start, _children_cpu() - cpu, len(out)


def whole_process(sizes, *options, activations=None) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak megabytes and bytes of output of one
    `symbackprop derive` run on a network given by its shape and a seed."""
    acts = activations or ["sigmoid"] * (len(sizes) - 2) + ["softmax"]
    yaml = (f"network: {{layers: {list(sizes)}, activation: {acts}, loss: cross_entropy, "
            "bias: per_neuron}\nseed: 1\n")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "net.yaml"
        path.write_text(yaml.replace("'", ""), encoding="utf-8")
        out = Path(folder) / "out"
        start = time.perf_counter()
        with out.open("wb") as sink:
            child = subprocess.Popen([sys.executable, "-m", "symbackprop.cli", "derive",
                                      str(path), *options], stdout=sink)
            _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        if status:
            raise SystemExit(f"derive {' '.join(options)} on {sizes} failed")
        # ru_maxrss is in kilobytes on Linux
        return (seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                out.stat().st_size)


def parameters(sizes) -> int:
    return sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes)))


def growth() -> None:
    """Whole-process derive at growing sizes: seconds per 1,000 parameters should stay flat."""
    print(f"\n{'network':>14} {'params':>8} {'options':>20} {'wall s':>7} {'CPU s':>6} "
          f"{'peak MB':>8} {'s/1k params':>11} {'output MB':>9}")
    runs = [((64, 16, 10), ()), ((256, 32, 10), ()), ((16,) * 51, ()), ((784, 32, 10), ()),
            ((784, 128, 10), ()), ((784, 128, 10), ("--json",)),
            ((784, 128, 10), ("--param", "W[1][1][1]")),
            ((64, 16, 10), ("--param", "W[1][1][1]")), ((64, 16, 10), ("--json",))]
    for sizes, options in runs:
        seconds, cpu, peak, size = whole_process(sizes, *options)
        shape = "50 layers of 16" if len(sizes) == 51 else "-".join(map(str, sizes))
        n = parameters(sizes)
        print(f"{shape:>14} {n:>8,} {' '.join(options):>20} {seconds:>7.2f} {cpu:>6.2f} "
              f"{peak:>8.0f} {1000 * seconds / n:>11.3f} {size / 1e6:>9.1f}")
    print("targets: 784-128-10 derive and derive --json < 10 s and < 1 GB; "
          "--param < 2 s (wall seconds; a loaded machine inflates them, CPU seconds less so)")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    print(f"{'network':>10} {'params':>7} {'derive+verify s':>16}")
    for sizes in SHAPES:
        seconds, params = ours(sizes)
        print(f"{'-'.join(map(str, sizes)):>10} {params:>7} {seconds:>16.3f}")
    base = (16, 8, 4)
    ours_s, _ = ours(base)
    plain_s = plain(base)
    print(f"16-8-4: plain sympy.diff + lambdify {plain_s:.2f} s, symbackprop {ours_s:.3f} s, "
          f"ratio {plain_s / ours_s:.0f}x (target >= 50x); both give the same gradients")
    for depth in (12, 50):
        seconds, cpu, size = deep_derive(depth)
        print(f"derive, {depth} layers of 2 neurons: {seconds:.2f} s whole process "
              f"({cpu:.2f} s CPU), "
              f"{size / 1000:.0f} kB of text" + (" (target < 2 s)" if depth == 50 else ""))
    growth()


if __name__ == "__main__":
    main()
