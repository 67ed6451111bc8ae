"""Numbers for a definition: the only module that draws at random.

Parts of `values` the definition leaves out are drawn as "nice" numbers (two decimals) from an
explicit NumPy Generator, seeded from (seed, version) so every version is reproducible.

>>> from symbackprop.definitions.definition import parse
>>> d = parse('network: {layers: [2, 1], activation: sigmoid, loss: half_sse, bias: none}')
>>> a, b = instance(d, seed=7, version=1), instance(d, seed=7, version=1)
>>> a == b, a.values.weights == instance(d, seed=7, version=2).values.weights
(True, False)
>>> a.values.inputs
(0.51, 0.99)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace

import numpy as np

from ..definitions.definition import (
    MAX_VERSIONS,
    Definition,
    Example,
    Network,
    Values,
    parameters,
)
from ..definitions.errors import UsageError
from ..definitions.layered import ImageValues, LayerValues
from ..definitions.layers import ConvNetwork, Convolution, Dense
from ..definitions.optimizer import Optimizer

SAMPLE_VERSION = 1  # bump when the drawing changes, so old seeds are not silently reused
DEFAULT_SEED = 2026
MAX_DRAWS = 500
# Each rejected draw is judged by a whole verification, whose cost grows with the network:
# a big network gets fewer draws, so that 784-128-10 is judged 10 times, not 500.
DRAWN_PARAMETERS = 500_000


@dataclass(frozen=True)
class Instance:
    """A definition with every number filled in: what the engine computes on."""

    network: Network
    values: Values
    learning_rate: float
    update_biases: bool
    seed: int | None = None  # None: every number came from the definition
    version: int | None = None
    batch_loss: str = "sum"  # of a batch: J = Σ_e J@e, or the mean
    optimizer: Optimizer = Optimizer()  # how a step is taken: plain gradient descent by default

    @property
    def share(self) -> float:
        """What one example's loss counts for in J: 1, or 1/E in a batch's mean."""
        return 1.0 / len(self.values.examples) if self.batched and \
            self.batch_loss == "mean" else 1.0

    @property
    def batched(self) -> bool:
        """Whether the loss is over values.examples (a batch) rather than one example."""
        return self.values.examples is not None

    def examples(self) -> list[Instance]:
        """Each example of a batch as an instance of its own (the same weights)."""
        return [replace(self, values=replace(self.values, inputs=e.inputs, targets=e.targets,
                                             examples=None))
                for e in self.values.examples]


def generator(seed: int, version: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SAMPLE_VERSION, version)))


class NoGoodDraw(UsageError):
    """No acceptable numbers were found in the allowed number of draws: the definition asks
    for something the draws cannot give, so it is reported like any bad input."""


def fully_given(defn: Definition) -> bool:
    if isinstance(defn.network, ConvNetwork):
        return defn.values.complete_for(defn.network)
    return defn.values.complete and (defn.values.biases is not None or defn.network.bias == "none")


def seed_of(defn: Definition, seed: int | None, option: str = "--seed") -> int | None:
    """The seed numbers are drawn from, refused where every number is given: nothing is drawn,
    and a teacher who asks for other numbers with it must not get the book's in silence."""
    if seed is not None and fully_given(defn):
        raise UsageError(f"{defn.source}: every number is given, so {option} {seed} draws "
                         f"nothing; leave out {option}")
    return seed


def version_of(defn: Definition, version: int | None) -> int | None:
    """The version whose numbers are asked for: required (1 to N) where the definition builds a
    set of versions, refused where every number is given; UsageError otherwise."""
    if fully_given(defn):
        if version is not None:
            raise UsageError(f"{defn.source}: every number is given, so there are no versions; "
                             "leave out --version")
        return None
    source = defn.source
    if version is None:
        if defn.versions:
            raise UsageError(f"{source}: numbers are drawn per version: give --version (1 to "
                             f"{defn.versions}, the versions this set builds)")
        return None  # the one unnumbered sheet 'build FILE' writes
    last = defn.versions or MAX_VERSIONS
    if not 1 <= version <= last:
        which = "this set builds" if defn.versions else "a set can have"
        raise UsageError(f"{source}: --version {version}: {which} versions 1 to {last}")
    return version


def instance(defn: Definition, seed: int | None = None, version: int | None = None,
             accept: Callable[[Instance], bool] | None = None,
             tries: int | None = None) -> Instance:
    """The definition's numbers, with missing ones drawn from (seed, version).

    Draws are repeated (from the same generator, so still reproducible) until `accept` takes
    one: the caller decides what a teacher would reject. At most `tries` draws (by default
    draws(network)).
    """
    if fully_given(defn):
        return Instance(defn.network, defn.values, defn.learning_rate, defn.update_biases,
                        batch_loss=defn.batch_loss, optimizer=defn.optimizer)
    seed = defn.seed if seed is None else seed
    seed = DEFAULT_SEED if seed is None else seed
    rng = generator(seed, version or 0)
    tries = draws(defn.network) if tries is None else tries
    for _ in range(tries):
        inst = replace(sample(defn, rng), seed=seed, version=version)
        if accept is None or accept(inst):
            return inst
    which = f"seed {seed}" + ("" if version is None else f", version {version}")
    given = given_parts(defn.values)
    advice = f"no draw suits the given {' and '.join(given)}: change them, or leave some " \
        "out to be drawn" if given else "give some values or relax the network"
    raise NoGoodDraw(f"{defn.source}: {'values: ' if given else ''}no acceptable numbers in "
                     f"{tries} draws ({which}; at most {MAX_DRAWS}, fewer for networks of more "
                     f"than {DRAWN_PARAMETERS // MAX_DRAWS:,} weights and biases)"
                     f"{_turned_down(accept)}. {advice[0].upper()}{advice[1:]}")


class Judged:
    """An `accept` for instance() that counts why it turns each draw down: `reason(inst)` is
    None for a draw it takes, else the reason (what a teacher would not print), so that a
    refusal after the last draw says why none would do."""

    def __init__(self, reason: Callable[[Instance], str | None]):
        self.reason, self.rejected = reason, {}

    def __call__(self, inst: Instance) -> bool:
        why = self.reason(inst)
        if why is not None:
            self.rejected[why] = self.rejected.get(why, 0) + 1
        return why is None


def _turned_down(accept) -> str:
    """': draws turned down: two entries of a max-pool window tie ... (238 draws); ...', the
    commonest reasons first, from an accept that counts them (Judged, files' Judge)."""
    rejected = getattr(accept, "rejected", None) or {}
    reasons = sorted(rejected.items(), key=lambda r: -r[1])
    if not reasons:
        return ""
    said = [f"{why} ({n} draw{'s' * (n > 1)})" for why, n in reasons[:3]]
    rest = sum(n for _, n in reasons[3:])
    if rest:
        said.append(f"another reason ({rest} draw{'s' * (rest > 1)})")
    return ": draws turned down: " + "; ".join(said)


def given_parts(values) -> list[str]:
    """The parts of `values:` a definition gives, as its keys name them (values.image)."""
    return [f"values.{f.name}" for f in fields(values) if getattr(values, f.name) is not None]


def draws(network: Network) -> int:
    """How many draws a network may be judged on: MAX_DRAWS, fewer for big networks.

    >>> draws(Network((2, 2, 2), ('sigmoid', 'sigmoid'), 'half_sse', 'shared'))
    500
    >>> draws(Network((784, 128, 10), ('sigmoid', 'sigmoid'), 'half_sse', 'per_neuron'))
    10
    """
    return min(MAX_DRAWS, max(10, DRAWN_PARAMETERS // parameters(network)))


def sample(defn: Definition, rng: np.random.Generator, decimals: int = 2) -> Instance:
    """Fill in every number the definition leaves out."""
    if isinstance(defn.network, ConvNetwork):
        return _sample_layered(defn, rng, decimals)
    net, given = defn.network, defn.values
    sizes = net.layers

    def nice(low: float, high: float, shape) -> np.ndarray:
        return np.round(rng.uniform(low, high, size=shape), decimals)

    def matrices(low, high, shapes):
        return tuple(_tuple(nice(low, high, s)) for s in shapes)

    examples = None
    if given.examples is not None:
        examples = tuple(Example(e.inputs or _tuple(nice(0.05, 1.0, sizes[0])),
                                 e.targets or _targets(net, rng, nice))
                         for e in given.examples)
        inputs = targets = None
    else:
        inputs = given.inputs or _tuple(nice(0.05, 1.0, sizes[0]))
        targets = given.targets or _targets(net, rng, nice)
    weights = given.weights or matrices(-1.0, 1.0, [(sizes[l], sizes[l - 1])
                                                    for l in range(1, len(sizes))])
    biases = given.biases
    if biases is None and net.bias != "none":
        per = [1 if net.bias == "shared" else n for n in sizes[1:]]
        biases = matrices(-0.5, 0.5, per)
    values = Values(inputs, targets, weights, biases, examples)
    return Instance(net, values, defn.learning_rate, defn.update_biases,
                    batch_loss=defn.batch_loss, optimizer=defn.optimizer)


def _sample_layered(defn: Definition, rng: np.random.Generator, decimals: int) -> Instance:
    """A network on an image: pixels from [0, 1], kernel entries and weights from [−1, 1],
    biases from [−0.5, 0.5], each with two decimals; what is given is kept."""
    net, given = defn.network, defn.values

    def nice(low: float, high: float, shape) -> np.ndarray:
        return np.round(rng.uniform(low, high, size=shape), decimals)

    image = given.image or _tuple(nice(0.0, 1.0, net.image.shape))
    targets = given.targets or _targets(net, rng, nice)
    shapes, layers = net.shapes, []
    for l, layer in enumerate(net.layers):
        mine = given.layers[l] if given.layers is not None else LayerValues()
        if isinstance(layer, Convolution):
            shape: tuple[int, ...] = (layer.filters, shapes[l][0]) + layer.kernel
            count = layer.filters
        elif isinstance(layer, Dense):
            shape, count = (layer.size, shapes[l][0]), layer.size
            count = 1 if layer.bias == "shared" else count
        else:
            layers.append(LayerValues())
            continue
        weights = mine.weights or _tuple(nice(-1.0, 1.0, shape))
        biases = None if layer.bias == "none" else mine.biases or _tuple(nice(-0.5, 0.5, count))
        layers.append(LayerValues(weights, biases))
    values = ImageValues(image, targets, tuple(layers))
    return Instance(net, values, defn.learning_rate, defn.update_biases,
                    optimizer=defn.optimizer)


def _targets(net: Network | ConvNetwork, rng, nice) -> tuple[float, ...]:
    n = net.shapes[-1][0] if isinstance(net, ConvNetwork) else net.layers[-1]
    if net.activations[-1] == "softmax":
        label = rng.integers(n)
        return tuple(float(i == label) for i in range(n))  # one-hot: the true class
    if net.loss in ("cross_entropy", "binary_cross_entropy") or net.activations[-1] == "sigmoid":
        return _tuple(nice(0.01, 0.99, n))
    return _tuple(nice(-1.0, 1.0, n))


def _tuple(array: np.ndarray):
    return tuple(_tuple(a) for a in array) if array.ndim > 1 else tuple(float(v) for v in array)
