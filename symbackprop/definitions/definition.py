"""Worksheet definitions: strict YAML in, frozen dataclasses out.

>>> d = parse('''
... network: {layers: [2, 1], activation: sigmoid, loss: half_sse, bias: none}
... values: {inputs: [1, 0.5], targets: [1], weights: [[[0.1, 0.2]]]}
... ''', source='tiny.yaml')
>>> d.network
Network(layers=(2, 1), activations=('sigmoid',), loss='half_sse', bias='none')
>>> d.values.weights
(((0.1, 0.2),),)
"""

from __future__ import annotations

import math
import re
import reprlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

from . import layered, optimizer, printable, yamlfile
from .canonical import LABEL, check_name, example_of, resolve  # noqa: F401 - names
from .errors import DefinitionError
from .layered import ImageValues
from .layers import ConvNetwork
from .layers import parameters as layered_parameters
from .optimizer import Optimizer
from .yamlfile import (  # noqa: F401 - part of what a definition is read with
    MAX_BYTES,
    MAX_DIGITS,
    MAX_NESTING,
    MAX_VALUES,
    Printed,
    TooLong,
    Unreadable,
    read_text,
)
from .yamlfile import describe as _kind
from .yamlfile import quoted as _show

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softmax")
LOSSES = ("half_sse", "sse", "mse", "cross_entropy", "binary_cross_entropy")
BIAS_STYLES = ("shared", "per_neuron", "none")
NOTATIONS = ("matrix", "numbered")
FORMS = ("scalar", "matrix")  # a worksheet's backpropagation: neuron by neuron, or matrices
DEFAULT_TITLE = "Backpropagation, step by step"
MAX_CLAIMED_STEPS = 100_000  # loss_after_steps / outputs_after_steps: seconds of training
MAX_CLAIMED_WORK = 10_000_000  # and at most this many steps × parameters (× examples)
MAX_CLAIMED_LAYER_STEPS = 500_000  # and steps × layers: each layer of a step costs its own
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
class Definition:
    source: str
    title: str
    network: Network | ConvNetwork  # a dense network, or layers of kinds on an image
    values: Values | ImageValues
    learning_rate: float = 0.5
    update_biases: bool = True
    notation: str = "matrix"
    decimals: int = 4
    ask: tuple[str, ...] = ()
    points: tuple[tuple[str, int], ...] = ()  # canonical name -> marks for its blank (else 1)
    claimed: tuple[tuple[str, float], ...] = ()  # canonical name -> Printed number
    claim_labels: tuple[tuple[str, str], ...] = ()  # canonical name -> as the author wrote it
    claim_written: tuple[str, ...] = ()  # each claim as written, in claimed's order (an author
    #                                      may print one quantity twice, under two labels)
    names: tuple[tuple[str, str], ...] = ()  # an author's label -> canonical name
    conventions: tuple[tuple[str, str], ...] = ()  # e.g. (("delta", "minus"),)
    loss_after_steps: tuple[tuple[int, float], ...] = ()
    outputs_after_steps: tuple[tuple[int, tuple[float, ...]], ...] = ()
    seed: int | None = None
    versions: int | None = None  # build a class set of this many versions by default
    data: DataSet | None = None  # train on a data set (values are then drawn from the seed)
    batch_loss: str = "sum"  # of a batch (values.examples): J = Σ_e J@e, or their mean
    form: str = "scalar"  # the worksheet's backpropagation: scalar, or the matrix equations
    optimizer: Optimizer = Optimizer()  # how a step is taken (and weight decay); default SGD

    @property
    def layered(self) -> bool:
        """A network of layers of kinds on an image (convolution, pooling, flatten, dense)."""
        return isinstance(self.network, ConvNetwork)

    @property
    def examples(self) -> int:
        """How many examples the loss is over: 0 for one example given as inputs/targets."""
        return 0 if self.values.examples is None else len(self.values.examples)

    @classmethod
    def from_dict(cls, data: dict, source: str = "<dict>") -> Definition | Lesson:
        """A definition given as Python data, checked as a YAML file is, with its messages.

        >>> Definition.from_dict({"network": {"layers": [2, 2], "activation": "softmax",
        ...                       "loss": "half_sse"}})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        symbackprop.definitions.errors.DefinitionError: <dict>: network.loss: a softmax output ...
        """
        return _Checker(source).definition(data)


LESSONS = ("forward_matrix", "gradient_descent", "loss_comparison", "digits_classifier")
LESSON_ACTIVATIONS = ("sigmoid", "tanh", "relu")
SQUARED_ERRORS = ("half_sse", "sse", "mse")  # a digits_classifier's sigmoid-output loss
MAX_LESSON_EPOCHS = 100  # of one training run of a digits_classifier sheet
MAX_LESSON_TRAINING = 1200  # epochs of all its runs together: about 15 s at 12 ms an epoch


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


def load(path: str | Path) -> Definition | Lesson:
    """Read and check a definition file; raises DefinitionError on any problem."""
    try:
        text = read_text(path)
    except Unreadable as exc:
        raise DefinitionError(str(path), "", f"cannot read the file ({exc})") from None
    return parse(text, source=str(path))


def parse(text: str, source: str = "<definition>") -> Definition | Lesson:
    from . import yamlstrict  # here, not above: `check` reads a key's definition, no YAML

    return _Checker(source).definition(yamlstrict.parse(text, source))


# --- the schema ---------------------------------------------------------------------


class _Checker:
    def __init__(self, source: str):
        self.source = source
        self.examples = 0  # of a batch, once values are read: names may then carry '@e'

    def fail(self, key: str, problem: str):
        raise DefinitionError(self.source, key, problem)

    def show(self, value) -> str:
        return _show(value)

    def mapping(self, value, key: str, allowed: tuple[str, ...], required=()) -> dict:
        if not isinstance(value, dict):
            self.fail(key or "(top level)", f"must be a mapping of keys, got {_show(value)}")
        for k in value:
            if k not in allowed:
                self.fail(_join(key, _show(k) if not isinstance(k, str) else k),
                          f"unknown key; allowed keys are {', '.join(allowed)}")
        for k in required:
            if k not in value:
                self.fail(_join(key, k), "is required but missing")
        return value

    def number(self, value, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"must be a number, got {_show(value)}")
        if isinstance(value, int) and not -1e300 < value < 1e300:  # JSON and Python whole
            # numbers have any length; float() of 10**400 overflows
            self.fail(key, f"must be a number a computer's float holds, got {_show(value)}")
        if not math.isfinite(value):
            self.fail(key, f"must be a finite number, got {value}")
        return float(value)

    def whole(self, value, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(key, f"must be a whole number from {low} to {high}, got {_show(value)}")
        return value

    def choice(self, value, key: str, options: tuple[str, ...]) -> str:
        if value not in options or not isinstance(value, str):
            self.fail(key, f"must be one of {', '.join(options)}, got {_show(value)}")
        return value

    def vector(self, value, key: str, size: int) -> tuple[float, ...]:
        if not isinstance(value, list):
            self.fail(key, f"must be a list of {size} numbers, got {_show(value)}")
        if len(value) != size:
            self.fail(key, f"must have {size} numbers, got {len(value)}")
        return tuple(self.number(v, f"{key}[{i}]") for i, v in enumerate(value))

    def decimals(self, value, network: Network) -> int:
        decimals = self.whole(value, "decimals", 0, 12)
        if decimals == 0 and network.loss in ("cross_entropy", "binary_cross_entropy"):
            self.fail("decimals", f"must be at least 1 with {network.loss}: an output rounded "
                      "to a whole number is 0 or 1, and the loss takes its logarithm")
        return decimals

    def definition(self, data) -> Definition | Lesson:
        if isinstance(data, dict) and "kind" in data and data["kind"] != "backprop":
            return self.lesson(data)
        top = self.mapping(data, "", (
            "kind", "title", "network", "values", "learning_rate", "update_biases", "notation",
            "decimals", "ask", "points", "claimed", "names", "conventions", "seed",
            "versions", "data", "batch_loss", "form", "optimizer", "weight_decay"),
            required=("network",))
        if layered.is_layered(top["network"]):
            return self.layered(top)
        title = self.title(top.get("title", DEFAULT_TITLE))
        network = self.network(top["network"])
        data = None if top.get("data") is None else self.data_set(top, network)
        rate = self.number(top.get("learning_rate", 0.5), "learning_rate")
        if rate <= 0:
            self.fail("learning_rate", f"must be positive, got {rate}")
        update = top.get("update_biases", True)
        if not isinstance(update, bool):
            self.fail("update_biases", f"must be true or false, got {_show(update)}")
        values = self.values(top.get("values", {}), network)
        self.examples = 0 if values.examples is None else len(values.examples)
        if self.examples * parameters(network) > MAX_BATCH_WORK:
            self.fail("values.examples", f"{self.examples} examples of a network of "
                      f"{parameters(network):,} weights and biases are too many to derive "
                      f"each in full: at most {MAX_BATCH_WORK:,} examples × parameters (for a "
                      "data set, use data: and train --epochs)")
        names = self.names(top.get("names", {}), network)
        claimed, labels, after, outs = self.claimed(top.get("claimed", {}), network, names)
        written = tuple(w for w in top.get("claimed", {}) if w not in (
            "loss_after_steps", "outputs_after_steps"))
        seed = top.get("seed")
        if "batch_loss" in top and values.examples is None:
            self.fail("batch_loss", "is for a batch: give values.examples (a list of inputs "
                      "and targets, or how many to draw)")
        return Definition(
            source=self.source, title=title, network=network,
            values=values,
            learning_rate=rate, update_biases=update,
            notation=self.choice(top.get("notation", "matrix"), "notation", NOTATIONS),
            decimals=self.decimals(top.get("decimals", 4), network),
            ask=self.ask(top.get("ask", []), network),
            points=self.points(top.get("points", {}), network),
            claimed=claimed, claim_labels=labels, claim_written=written,
            names=tuple(names.items()),
            conventions=self.conventions(top.get("conventions", {})),
            loss_after_steps=after, outputs_after_steps=outs,
            seed=None if seed is None else self.whole(seed, "seed", 0, MAX_SEED),
            versions=None if top.get("versions") is None else self.whole(
                top["versions"], "versions", 1, MAX_VERSIONS),
            data=data,
            batch_loss=self.choice(top.get("batch_loss", "sum"), "batch_loss", BATCH_LOSSES),
            form=self.form(top.get("form", "scalar"), values),
            optimizer=optimizer.read(top.get("optimizer"), top.get("weight_decay"), self),
        )

    def layered(self, top: dict) -> Definition:
        """A network of layers of kinds on an image: derived, verified and trained; its
        worksheets, marking and audits are not made yet, so their keys are refused."""
        for key in ("ask", "points", "claimed", "names", "conventions", "data", "batch_loss"):
            if key in top:
                self.fail(key, "is not taken for a network of layers on an image yet (its "
                          "worksheets, audits and training on a data set are not made yet); "
                          "derive and train --steps work on it")
        if top.get("notation", "matrix") != "matrix":
            self.fail("notation", "numbered names (w1, w2, ...) are for dense networks; a "
                      "network on an image has canonical names only (K[1][1][1][1][1], ...)")
        if top.get("form", "scalar") != "scalar":
            self.fail("form", "the matrix form is for dense networks")
        limits = SimpleNamespace(layers=MAX_LAYERS, layer_size=MAX_LAYER_SIZE,
                                 parameters=MAX_PARAMETERS, activations=ACTIVATIONS,
                                 losses=LOSSES)
        network = layered.network(self, top["network"], limits)
        rate = self.number(top.get("learning_rate", 0.5), "learning_rate")
        if rate <= 0:
            self.fail("learning_rate", f"must be positive, got {rate}")
        update = top.get("update_biases", True)
        if not isinstance(update, bool):
            self.fail("update_biases", f"must be true or false, got {_show(update)}")
        values = top.get("values", {})
        if isinstance(values, dict) and "examples" in values:
            self.fail("values.examples", "a batch of images is not derived yet: give one "
                      "image (values.image) and its targets")
        seed = top.get("seed")
        return Definition(
            source=self.source, title=self.title(top.get("title", DEFAULT_TITLE)),
            network=network, values=layered.values(self, values, network),
            learning_rate=rate, update_biases=update,
            decimals=self.whole(top.get("decimals", 4), "decimals", 0, 12),
            seed=None if seed is None else self.whole(seed, "seed", 0, MAX_SEED),
            versions=None if top.get("versions") is None else self.whole(
                top["versions"], "versions", 1, MAX_VERSIONS),
            optimizer=optimizer.read(top.get("optimizer"), top.get("weight_decay"), self),
        )

    def form(self, value, values: Values) -> str:
        form = self.choice(value, "form", FORMS)
        if form == "matrix" and values.examples is not None:
            self.fail("form", "a matrix-form worksheet works one example; for a batch's "
                      "matrices (a column per example) use derive --form matrix")
        return form

    def data_set(self, top: dict, network: Network) -> DataSet:
        """The digits file, relative to the definition's folder; a 64-…-10 network to fit it."""
        spec = self.mapping(top["data"], "data", ("file", "test_fraction"), required=("file",))
        if not isinstance(spec["file"], str) or not spec["file"].strip():
            self.fail("data.file", f"must be a file name, got {_show(spec['file'])}")
        fraction = self.number(spec.get("test_fraction", 0.2), "data.test_fraction")
        if not 0.05 <= fraction <= 0.5:
            self.fail("data.test_fraction", f"must be from 0.05 to 0.5, got {fraction:g}")
        if network.layers[0] != 64 or network.layers[-1] != 10:
            self.fail("network.layers", "a network trained on the 8×8 digits takes 64 inputs "
                      f"and gives 10 outputs, got {'-'.join(map(str, network.layers))}")
        if "values" in top:
            self.fail("values", "a definition with data: starts from weights drawn from its "
                      "seed; leave values out")
        folder = Path(self.source).parent if self.source not in ("<dict>", "<definition>") \
            else Path(".")
        return DataSet(str(folder / spec["file"]), fraction)

    def lesson(self, data) -> Lesson:
        top = self.mapping(data, "", ("kind", "title", "decimals", "seed", "lesson"),
                           required=("title", "lesson"))
        kind = self.choice(top["kind"], "kind", ("backprop",) + LESSONS)
        common = {"source": self.source, "title": self.title(top["title"]), "kind": kind,
                  "decimals": self.whole(top.get("decimals", 4), "decimals", 0, 12),
                  "seed": self.whole(top.get("seed", 2026), "seed", 0, MAX_SEED)}
        options = {
            "forward_matrix": ("image", "digit", "hidden", "activation"),
            "gradient_descent": ("starts", "learning_rate", "steps"),
            "loss_comparison": ("probabilities",),
            "digits_classifier": ("data", "hidden", "epochs", "batch_size", "learning_rate",
                                  "test_fraction", "squared_error", "grid", "misclassified"),
        }[kind]
        required = () if kind == "digits_classifier" else options[:1]  # it has defaults
        opts = self.mapping(top["lesson"], "lesson", options, required=required)
        return Lesson(**common, **getattr(self, f"_{kind}")(opts))

    def title(self, title) -> str:
        """Text pdflatex can print, of at most MAX_TITLE characters."""
        if not isinstance(title, str) or not title.strip():
            self.fail("title", f"must be non-empty text, got {_show(title)}")
        if len(title) > MAX_TITLE:
            self.fail("title", f"has {len(title):,} characters; at most {MAX_TITLE} fit a page")
        try:
            printable.check(title)
        except printable.UnprintableText as exc:
            self.fail("title", str(exc))
        return title

    def _forward_matrix(self, opts) -> dict:
        digit = self.whole(opts.get("digit", 4), "lesson.digit", 0, 9)
        path = opts["image"]
        if not isinstance(path, str):
            self.fail("lesson.image", f"must be a file name, got {_show(path)}")
        full = Path(self.source).parent / path
        try:
            lines = read_text(full, yamlfile.MAX_IMAGE_BYTES).splitlines()
        except Unreadable as exc:
            self.fail("lesson.image", f"cannot read {full} ({exc})")
        rows = [line.split(",") for line in lines if line.strip() and not line.startswith("#")]
        match = [r for r in rows if r[0].strip() == str(digit)]
        if not match or len(match[0]) != 65:
            self.fail("lesson.image", f"{full} has no line for digit {digit} with 64 pixels")
        try:
            pixels = tuple(int(v) for v in match[0][1:])
        except ValueError:
            self.fail("lesson.image", f"{full}: pixels must be whole numbers 0..16")
        if any(not 0 <= v <= 16 for v in pixels):
            self.fail("lesson.image", f"{full}: pixels must be whole numbers 0..16")
        return {"image": pixels, "digit": digit,
                "hidden": self.whole(opts.get("hidden", 8), "lesson.hidden", 1, 16),
                "activation": self.choice(opts.get("activation", "sigmoid"), "lesson.activation",
                                          LESSON_ACTIVATIONS)}

    def _gradient_descent(self, opts) -> dict:
        starts = opts["starts"]
        if not isinstance(starts, list) or not 1 <= len(starts) <= 4:
            self.fail("lesson.starts", "must be a list of 1 to 4 starting points")
        starts = tuple(self.number(v, f"lesson.starts[{i}]") for i, v in enumerate(starts))
        if any(abs(v) > 2.5 for v in starts):
            self.fail("lesson.starts", "starting points must lie in [-2.5, 2.5], the plotted range")
        rate = self.number(opts.get("learning_rate", 0.05), "lesson.learning_rate")
        if not 0 < rate <= 0.2:
            self.fail("lesson.learning_rate", f"must be in (0, 0.2] for this cost, got {rate}")
        return {"starts": starts, "learning_rate": rate,
                "steps": self.whole(opts.get("steps", 5), "lesson.steps", 1, 12)}

    def _loss_comparison(self, opts) -> dict:
        probs = opts["probabilities"]
        if not isinstance(probs, list) or not 1 <= len(probs) <= 8:
            self.fail("lesson.probabilities", "must be a list of 1 to 8 probabilities")
        probs = tuple(self.number(v, f"lesson.probabilities[{i}]") for i, v in enumerate(probs))
        if any(not 0 < p < 1 for p in probs):
            self.fail("lesson.probabilities", "each must lie strictly between 0 and 1")
        return {"probabilities": probs}

    def _digits_classifier(self, opts) -> dict:
        """A 64-h-10 network trained on a digits file, twice; bounded to seconds of training."""
        from . import dataset

        path = opts.get("data", "data/uci-digits.csv.gz")
        if not isinstance(path, str) or not path.strip():
            self.fail("lesson.data", f"must be a file name, got {_show(path)}")
        full = Path(self.source).parent / path
        try:
            examples = dataset.read(full)
        except DefinitionError as exc:
            where = f" ({exc.key})" if exc.key else ""
            self.fail("lesson.data", f"{full}{where}: {exc.problem}")
        hidden = self.whole(opts.get("hidden", 16), "lesson.hidden", 1, 64)
        epochs = self.whole(opts.get("epochs", 30), "lesson.epochs", 1, MAX_LESSON_EPOCHS)
        batch = self.whole(opts.get("batch_size", 32), "lesson.batch_size", 8, 512)
        rate = self.number(opts.get("learning_rate", 0.5), "lesson.learning_rate")
        if not 0 < rate <= 10:
            self.fail("lesson.learning_rate", f"must be in (0, 10], got {rate:g}")
        fraction = self.number(opts.get("test_fraction", 0.2), "lesson.test_fraction")
        if not 0.05 <= fraction <= 0.5:
            self.fail("lesson.test_fraction", f"must be from 0.05 to 0.5, got {fraction:g}")
        test = int(round(fraction * len(examples.labels)))
        if test < 10 or len(examples.labels) - test < batch:
            self.fail("lesson.data", f"{full} has {len(examples.labels)} digits: too few for a "
                      f"test set of at least 10 and a training set of at least one batch "
                      f"({batch})")
        grid = self.mapping(opts.get("grid", {}), "lesson.grid", ("hidden", "learning_rates"))
        sizes, rates = grid.get("hidden", [8, 16, 32]), grid.get("learning_rates", [0.1, 0.5, 2])
        for key, value in (("hidden", sizes), ("learning_rates", rates)):
            if not isinstance(value, list) or not 1 <= len(value) <= 4:
                self.fail(f"lesson.grid.{key}", f"must be a list of 1 to 4 values, got "
                          f"{_show(value)}")
        sizes = tuple(self.whole(h, f"lesson.grid.hidden[{i}]", 1, 64)
                      for i, h in enumerate(sizes))
        rates = tuple(self.number(r, f"lesson.grid.learning_rates[{i}]")
                      for i, r in enumerate(rates))
        for i, r in enumerate(rates):
            if not 0 < r <= 10:
                self.fail(f"lesson.grid.learning_rates[{i}]", f"must be in (0, 10], got {r:g}")
        for key, value in (("hidden", sizes), ("learning_rates", rates)):
            if len(set(value)) != len(value):
                self.fail(f"lesson.grid.{key}", "lists a value twice")
        runs = 2 + 2 * len(sizes) * len(rates)
        if runs * epochs > MAX_LESSON_TRAINING:
            self.fail("lesson.epochs", f"{epochs} epochs for each of {runs} training runs (2, and "
                      f"2 for each of the grid's {len(sizes) * len(rates)} settings) are "
                      f"{runs * epochs:,} epochs; at most {MAX_LESSON_TRAINING:,} are allowed "
                      "(about 15 s)")
        return {"data": str(full), "hidden": hidden, "epochs": epochs, "batch_size": batch,
                "learning_rate": rate, "test_fraction": fraction,
                "squared_error": self.choice(opts.get("squared_error", "half_sse"),
                                             "lesson.squared_error", SQUARED_ERRORS),
                "grid_hidden": sizes, "grid_rates": rates,
                "misclassified": self.whole(opts.get("misclassified", 4),
                                            "lesson.misclassified", 0, 8)}

    def network(self, value) -> Network:
        net = self.mapping(value, "network", ("layers", "activation", "loss", "bias"),
                           required=("layers", "activation", "loss"))
        layers = net["layers"]
        if not isinstance(layers, list) or not 2 <= len(layers) <= MAX_LAYERS + 1:
            self.fail("network.layers", f"must be a list of 2 to {MAX_LAYERS + 1} layer sizes "
                      f"(inputs, ..., outputs), got {_show(layers)}")
        layers = tuple(self.whole(n, f"network.layers[{i}]", 1, MAX_LAYER_SIZE)
                       for i, n in enumerate(layers))
        depth = len(layers) - 1
        act = net["activation"]
        if isinstance(act, list):
            if len(act) != depth:
                self.fail("network.activation", f"must name one activation per layer after the "
                          f"inputs ({depth}), got {len(act)}")
            acts = tuple(self.choice(a, f"network.activation[{i}]", ACTIVATIONS)
                         for i, a in enumerate(act))
        else:
            acts = (self.choice(act, "network.activation", ACTIVATIONS),) * depth
        loss = self.choice(net["loss"], "network.loss", LOSSES)
        self.pairing(acts, loss)
        bias = self.choice(net.get("bias", "shared"), "network.bias", BIAS_STYLES)
        network = Network(layers, acts, loss, bias)
        if parameters(network) > MAX_PARAMETERS:
            self.fail("network.layers", f"a {'-'.join(map(str, layers))} network has "
                      f"{parameters(network):,} weights and biases; at most {MAX_PARAMETERS:,} "
                      "are allowed (784-128-10 has 101,770)")
        return network

    def pairing(self, acts: tuple[str, ...], loss: str) -> None:
        key = "network.activation"
        if "softmax" in acts[:-1]:
            self.fail(key, "softmax may only be the output layer's activation")
        if acts[-1] == "softmax" and loss != "cross_entropy":
            self.fail("network.loss", "a softmax output goes with cross_entropy only")
        if loss == "binary_cross_entropy" and acts[-1] != "sigmoid":
            self.fail("network.loss", "binary_cross_entropy needs a sigmoid output layer")
        if loss == "cross_entropy" and acts[-1] not in ("softmax", "sigmoid"):
            self.fail("network.loss", "cross_entropy needs a softmax or sigmoid output layer")

    def values(self, value, network: Network) -> Values:
        if value is None:
            return Values()
        vals = self.mapping(value, "values",
                            ("inputs", "targets", "weights", "biases", "examples"))
        weights = self.weights(vals.get("weights"), network.layers)
        biases = self.biases(vals.get("biases"), network)
        if "examples" in vals:
            for key in ("inputs", "targets"):
                if key in vals:
                    self.fail(f"values.{key}", "given beside values.examples: a batch gives "
                              "each example's inputs and targets in its examples")
            return Values(weights=weights, biases=biases,
                          examples=self.batch(vals["examples"], network))
        example = self.example(vals, "values", network)
        return Values(example.inputs, example.targets, weights, biases)

    def example(self, vals: dict, key: str, network: Network) -> Example:
        sizes = network.layers
        inputs, targets = vals.get("inputs"), vals.get("targets")
        out = Example(
            inputs=None if inputs is None else self.vector(inputs, f"{key}.inputs", sizes[0]),
            targets=None if targets is None else self.vector(targets, f"{key}.targets",
                                                             sizes[-1]))
        self.targets_fit(out.targets, network, f"{key}.targets")
        return out

    def batch(self, value, network: Network) -> tuple[Example, ...]:
        """A list of examples ({inputs, targets}, either drawn when left out), or how many to
        draw."""
        key = "values.examples"
        if isinstance(value, int) and not isinstance(value, bool):
            return (Example(),) * self.whole(value, key, 1, MAX_EXAMPLES)
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_EXAMPLES:
            self.fail(key, f"must be a list of 1 to {MAX_EXAMPLES} examples ({{inputs: [...], "
                      f"targets: [...]}}) or how many to draw, got {_show(value)}")
        return tuple(self.example(self.mapping(e, f"{key}[{i}]", ("inputs", "targets")),
                                  f"{key}[{i}]", network) for i, e in enumerate(value))

    def weights(self, value, sizes):
        if value is None:
            return None
        key = "values.weights"
        if not isinstance(value, list) or len(value) != len(sizes) - 1:
            self.fail(key, f"must be a list of {len(sizes) - 1} matrices (one per layer after "
                      f"the inputs), got {_show(value)}")
        matrices = []
        for l, matrix in enumerate(value, start=1):
            rows, cols = sizes[l], sizes[l - 1]
            mkey = f"{key}[{l - 1}]"
            if not isinstance(matrix, list) or len(matrix) != rows:
                self.fail(mkey, f"layer {l} must be a {rows}x{cols} matrix (one row per neuron, "
                          f"one column per input to it), got {_shape(matrix)}")
            matrices.append(tuple(self.vector(r, f"{mkey}[{j}]", cols)
                                  for j, r in enumerate(matrix)))
        return tuple(matrices)

    def biases(self, value, network: Network):
        key = "values.biases"
        if network.bias == "none":
            if value is not None:
                self.fail(key, "given, but network.bias is none")
            return None
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != network.depth:
            self.fail(key, f"must be a list of {network.depth} lists (one per layer after the "
                      f"inputs), got {_show(value)}")
        per_layer = [1 if network.bias == "shared" else n for n in network.layers[1:]]
        return tuple(self.vector(v, f"{key}[{l}]", per_layer[l]) for l, v in enumerate(value))

    def targets_fit(self, targets, network: Network, key: str = "values.targets") -> None:
        if targets is None:
            return
        if network.loss in ("cross_entropy", "binary_cross_entropy"):
            if any(not 0 <= t <= 1 for t in targets):
                self.fail(key, f"{network.loss} needs targets between 0 and 1")
        # exactly 1 in the decimals written: δ = out − t, the rule a softmax sheet teaches,
        # holds only then (in general δ = out·Σt − t)
        total = sum(Fraction(getattr(t, "text", None) or repr(float(t))) for t in targets)
        if network.activations[-1] == "softmax" and total != 1:
            self.fail(key, "softmax targets must add up to exactly 1 (a "
                      f"probability distribution), they add up to {float(total):.12g}")

    def ask(self, value, network: Network) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.fail("ask", f"must be a list of canonical names, got {_kind(value)}")
        asked = []
        for i, name in enumerate(value):
            if isinstance(name, str) and len(name) > 100:
                self.fail(f"ask[{i}]", f"{_show(name)} is not a canonical name")
            if self.examples and isinstance(name, str) and "@" not in name \
                    and re.match(r"(net|out|x|t)\[|J$", name):
                self._not_asked(i, name)  # not a batch's "name its example": that won't do either
            check_name(name, network, lambda p, i=i: self.fail(f"ask[{i}]", p),
                       examples=self.examples)
            if name.startswith(("dJ/dW", "dJ/db")):  # a gradient: asked by its parameter
                name = name[4:]
            if name[0] not in "Wb" and not example_of(name)[0].startswith("dJ/dnet"):
                self._not_asked(i, name)
            asked.append(name)
        return tuple(asked)

    def _not_asked(self, i: int, name: str) -> None:
        e = "@1" if self.examples else ""
        self.fail(f"ask[{i}]", f"'{name}': a worksheet asks for a weight's or bias's gradient "
                  f"(W[2][1][1] or dJ/dW[2][1][1]) or a neuron's δ (dJ{e}/dnet[2][1]{e}); the "
                  "forward pass and J are on every sheet")

    def points(self, value, network: Network) -> tuple[tuple[str, int], ...]:
        """Marks for a blank, by canonical name; a blank not named is worth 1."""
        if not isinstance(value, dict):
            self.fail("points", f"must map canonical names to whole marks, got {_kind(value)}")
        for name, marks in value.items():
            key = f"points.{_show(name)[:60]}"
            check_name(name, network, lambda p, key=key: self.fail(key, p), updated=True,
                       examples=self.examples)
            self.whole(marks, key, 1, 100)
        return tuple(sorted(value.items()))

    def names(self, value, network: Network) -> dict[str, str]:
        """An author's own labels (w5, Err6, O4) for canonical names."""
        if not isinstance(value, dict):
            self.fail("names", f"must map an author's label to a canonical name, got "
                      f"{_kind(value)}")
        for label, canonical in value.items():
            key = f"names.{label}"
            if not isinstance(label, str) or not LABEL.fullmatch(label) or label == "J":
                self.fail(key, "a label must be one word without '/', '[', ']' or '@' (like "
                          "w5, Err6 or O4)")
            check_name(canonical, network, lambda p, key=key: self.fail(key, p), updated=True,
                       examples=self.examples)
        return dict(value)

    def conventions(self, value) -> tuple[tuple[str, str], ...]:
        convs = self.mapping(value, "conventions", tuple(CONVENTIONS))
        return tuple((k, self.choice(v, f"conventions.{k}", CONVENTIONS[k]))
                     for k, v in convs.items())

    def claimed(self, value, network: Network, names: dict[str, str]):
        if not isinstance(value, dict):
            self.fail("claimed", f"must be a mapping of canonical name to number, got "
                      f"{_kind(value)}")
        claims, labels, after, outs, seen = [], [], [], [], {}
        for written, number in value.items():
            key = f"claimed.{written}"
            if written in ("loss_after_steps", "outputs_after_steps"):
                if not isinstance(number, dict):
                    self.fail(key, "must map a number of steps to what the author printed")
                for steps, v in number.items():
                    k = f"{key}.{steps}"
                    steps = self.whole(steps, k, 0, MAX_CLAIMED_STEPS)
                    examples = max(1, self.examples)
                    if steps * parameters(network) * examples > MAX_CLAIMED_WORK:
                        self.fail(k, f"{steps} steps of a network of {parameters(network)} "
                                  "parameters" + (f" on {examples} examples" if self.examples
                                                  else "") + " is too long to audit: at most "
                                  f"{MAX_CLAIMED_WORK} steps × parameters"
                                  + (" × examples" if self.examples else ""))
                    if steps * network.depth > MAX_CLAIMED_LAYER_STEPS:
                        self.fail(k, f"{steps} steps of a network of {network.depth} layers is "
                                  f"too long to audit: at most {MAX_CLAIMED_LAYER_STEPS:,} "
                                  "steps × layers")
                    if written == "outputs_after_steps" and self.examples:
                        self.fail(k, "a batch's outputs after training are one list per "
                                  "example: claim its loss_after_steps instead")
                    if written == "loss_after_steps":
                        after.append((steps, self.printed(v, k)))
                    else:
                        self.vector(v, k, network.layers[-1])
                        outs.append((steps, tuple(self.printed(x, f"{k}[{i}]")
                                                  for i, x in enumerate(v))))
                continue
            name = resolve(written, names) if isinstance(written, str) else written
            check_name(name, network, lambda p, key=key: self.fail(key, p), updated=True,
                       examples=self.examples)
            if name in seen and name in (written, seen[name]):  # two labels may: as printed
                self.fail(key, f"names the same quantity ({name}) as claimed.{seen[name]}; an "
                          "author who prints it twice is claimed under two labels (names:)")
            claims.append((name, self.printed(number, key)))
            if written != name and name not in seen:
                labels.append((name, written))
            seen.setdefault(name, written)
        return tuple(claims), tuple(labels), tuple(sorted(after)), tuple(sorted(outs))

    def printed(self, value, key: str) -> Printed:
        """A number an author printed, with its text (and so its decimals) kept."""
        number = self.number(value, key)
        return Printed(number, getattr(value, "text", None) or str(value))


def _join(prefix: str, key) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


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


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict = 3, 8, 4


def _shape(matrix) -> str:
    if not isinstance(matrix, list):
        return _kind(matrix)
    return f"{len(matrix)} rows"
