"""What a definition is: its bounds and frozen dataclasses, read by the modules beside it."""

from __future__ import annotations

from dataclasses import dataclass

from .layers import ConvNetwork
from .layers import parameters as layered_parameters
from .optimizer import Optimizer

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softmax")
LOSSES = ("half_sse", "sse", "mse", "cross_entropy", "binary_cross_entropy")
BIAS_STYLES = ("shared", "per_neuron", "none")
NOTATIONS = ("matrix", "numbered")
FORMS = ("scalar", "matrix")  # a worksheet's backpropagation: neuron by neuron, or matrices
DEFAULT_TITLE = "Backpropagation, step by step"
MAX_CLAIMED_STEPS = 100_000  # loss_after_steps / outputs_after_steps: seconds of training
MAX_CLAIMED_WORK = 10_000_000  # and at most this many steps × parameters (× examples)
MAX_LAYER_STEPS = 500_000  # steps × layers of training (train --steps, a claim's audit):
# each layer of a step costs its own, about 25-45 µs, so at most about 20 s
MAX_CLAIMED_LAYER_STEPS = MAX_LAYER_STEPS
CONVENTIONS = {"delta": ("plus", "minus")}  # δ = +∂J/∂net (default) or −∂J/∂net (error = t − y)

# Bounds on what a definition may ask of the machine, so that no file can hang or exhaust it.
MAX_TITLE = 200  # characters
MAX_LAYERS = 64  # layers with weights; SymPy's recursion gives out near 150
MAX_LAYER_SIZE = 4096  # neurons in one layer
MAX_PARAMETERS = 200_000  # weights and biases: 784-128-10 has 101,770
MAX_VERSIONS = 1_000_000  # versions of a class set, built in parts of MAX_BUILD_VERSIONS
MAX_BUILD_VERSIONS = 1000  # versions one build makes
MAX_EPOCHS = 10_000  # of mini-batch training on a data set: 12 ms each on the digits
MAX_STEPS = 100_000  # of gradient descent: about 15 s on a 2-2-2 network, a minute on 784-128-10
MAX_SEED = 2**63 - 1
MAX_EXAMPLES = 100  # of a batch worked by hand (a data set, `data:`, has no such bound)
MAX_BATCH_WORK = 300_000  # examples × parameters of a batch: each example is derived whole
BATCH_LOSSES = ("sum", "mean")  # J = Σ_e J@e, or (1/E) Σ_e J@e

LESSONS = ("forward_matrix", "gradient_descent", "loss_comparison", "digits_classifier")
LESSON_ACTIVATIONS = ("sigmoid", "tanh", "relu")
SQUARED_ERRORS = ("half_sse", "sse", "mse")  # a digits_classifier's sigmoid-output loss
MAX_LESSON_EPOCHS = 100  # of one training run of a digits_classifier sheet
MAX_LESSON_TRAINING = 1200  # epochs of all its runs together: about 15 s at 12 ms an epoch


@dataclass(frozen=True)
class Network:
    layers: tuple[int, ...]  # input size, hidden sizes..., output size
    activations: tuple[str, ...]  # one per non-input layer
    loss: str
    bias: str

    @property
    def depth(self) -> int:
        """Number of layers with weights (L); layer L is the output layer."""
        return len(self.layers) - 1


@dataclass(frozen=True)
class Example:
    """One training example of a batch; a part that is None is drawn at random."""

    inputs: tuple[float, ...] | None = None
    targets: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Values:
    """Numbers of a network; a part that is None is drawn at random. A batch has `examples`
    (one input and one target each) in place of `inputs` and `targets`."""

    inputs: tuple[float, ...] | None = None
    targets: tuple[float, ...] | None = None
    weights: tuple[tuple[tuple[float, ...], ...], ...] | None = None
    biases: tuple[tuple[float, ...], ...] | None = None
    examples: tuple[Example, ...] | None = None

    @property
    def complete(self) -> bool:
        if self.examples is not None:
            return self.weights is not None and all(
                None not in (e.inputs, e.targets) for e in self.examples)
        return None not in (self.inputs, self.targets, self.weights)


@dataclass(frozen=True)
class DataSet:
    """`data:` a file of labelled 8×8 digits to train on (dataset.py reads it)."""

    file: str  # resolved against the definition's folder
    test_fraction: float = 0.2




@dataclass(frozen=True)
class Lesson:
    """A worksheet that is not a backpropagation exercise (seed 000's other pages)."""

    source: str
    title: str
    kind: str  # one of LESSONS
    decimals: int = 4
    seed: int = 2026
    # forward_matrix: f(Wx + b) on one 8x8 digit
    image: tuple[int, ...] = ()
    digit: int | None = None
    hidden: int = 8
    activation: str = "sigmoid"
    # gradient_descent
    starts: tuple[float, ...] = ()
    learning_rate: float = 0.05
    steps: int = 5
    cost: str = "w^4 - 3*w^2 + w + 3"  # read by costexpr: a polynomial in w
    # loss_comparison
    probabilities: tuple[float, ...] = ()
    # digits_classifier: the same network trained twice (squared error, cross-entropy)
    data: str = ""  # the digits file, resolved against the definition's folder
    epochs: int = 30
    batch_size: int = 32
    test_fraction: float = 0.2
    squared_error: str = "half_sse"  # one of SQUARED_ERRORS
    grid_hidden: tuple[int, ...] = ()  # hidden sizes x learning rates, both losses
    grid_rates: tuple[float, ...] = ()
    misclassified: int = 4  # test digits drawn that the cross-entropy network gets wrong
    # and, with compare_optimizer:, the cross-entropy network trained a third time with another
    # optimizer (None: the sheet as without it), at its own rate; the epochs its questions ask
    compare: Optimizer | None = None
    compare_rate: float = 0.0
    compare_epochs: tuple[int, ...] = ()
    language: str = "en"  # the class's: every word the sheet prints (definitions/language.py)


def parameters(network: Network) -> int:
    """Weights and biases of a network: what its size costs the engine.

    >>> parameters(Network((784, 128, 10), ('sigmoid', 'sigmoid'), 'mse', 'per_neuron'))
    101770
    """
    if isinstance(network, ConvNetwork):
        return layered_parameters(network)
    sizes = network.layers
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    biases = {"none": 0, "shared": len(sizes) - 1, "per_neuron": sum(sizes[1:])}[network.bias]
    return weights + biases


def too_many_layer_steps(steps: int, depth: int) -> str | None:
    """Why `steps` steps of a network of `depth` layers are more work than is taken, or None:
    judged before the first step.

    >>> too_many_layer_steps(100_000, 2) is None
    True
    >>> too_many_layer_steps(100_000, 64)
    '100,000 steps of a network of 64 layers is 6,400,000 steps × layers; at most 500,000 are taken'
    """
    if steps * depth <= MAX_LAYER_STEPS:
        return None
    return (f"{steps:,} steps of a network of {depth} layers is {steps * depth:,} steps × "
            f"layers; at most {MAX_LAYER_STEPS:,} are taken")
