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

from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

from . import layered, optimizer, printable, printing  # noqa: F401 - printable: build's
from .asked import AskedReader
from .canonical import LABEL, check_name, example_of, resolve  # noqa: F401 - names
from .errors import DefinitionError
from .language import LANGUAGES, words
from .layered import ImageValues
from .layers import ConvNetwork
from .lesson_options import LessonReader
from .optimizer import Optimizer
from .printing import PrintSetup
from .reader import _join, _shape  # noqa: F401 - the key checker's too
from .records import (  # noqa: F401 - a definition's bounds and parts, as they were here
    ACTIVATIONS,
    BATCH_LOSSES,
    BIAS_STYLES,
    CONVENTIONS,
    DEFAULT_TITLE,
    FORMS,
    LESSON_ACTIVATIONS,
    LESSONS,
    LOSSES,
    MAX_BATCH_WORK,
    MAX_BUILD_VERSIONS,
    MAX_CLAIMED_LAYER_STEPS,
    MAX_CLAIMED_STEPS,
    MAX_CLAIMED_WORK,
    MAX_EPOCHS,
    MAX_EXAMPLES,
    MAX_LAYER_SIZE,
    MAX_LAYER_STEPS,
    MAX_LAYERS,
    MAX_LESSON_EPOCHS,
    MAX_LESSON_TRAINING,
    MAX_PARAMETERS,
    MAX_SEED,
    MAX_STEPS,
    MAX_TITLE,
    MAX_VERSIONS,
    NOTATIONS,
    SQUARED_ERRORS,
    DataSet,
    Example,
    Lesson,
    Network,
    Values,
    parameters,
    too_many_layer_steps,
)
from .values import ValuesReader
from .yamlfile import (  # noqa: F401 - part of what a definition is read with
    MAX_BYTES,
    MAX_DIGITS,
    MAX_NESTING,
    MAX_VALUES,
    Printed,
    TooLong,
    Unreadable,
    lines_of,
    read_text,
)
from .yamlfile import describe as _kind  # noqa: F401 - the key checker's too
from .yamlfile import quoted as _show


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
    printing: PrintSetup = PrintSetup()  # header, working space, proofs, duplex (print:)
    language: str = "en"  # the class's: every word its sheets print (definitions/language.py)

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


def in_language(defn: Definition | Lesson, code: str) -> Definition:
    """The definition with its sheets in another language (build --language): its default
    title said in that language too."""
    checker = _Checker("--language")  # the option is the source: named once, with no key
    checker.choice(code, "", tuple(LANGUAGES))
    if code == getattr(defn, "language", "en"):
        return defn
    if isinstance(defn, Lesson):  # a lesson's title is the teacher's: never a default
        return replace(defn, language=code)
    default = defn.title == words(defn.language)(DEFAULT_TITLE)
    return replace(defn, language=code,
                   title=words(code)(DEFAULT_TITLE) if default else defn.title)


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


# --- the schema: the top level here, its parts in the readers it inherits -------------


class _Checker(LessonReader, ValuesReader, AskedReader):
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
            "versions", "data", "batch_loss", "form", "optimizer", "weight_decay", "print",
            "language"), required=("network",))
        language = self.language(top)
        if layered.is_layered(top["network"]):
            return self.layered(top, language)
        title = self.title(top.get("title", words(language)(DEFAULT_TITLE)))
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
        steps = optimizer.read(top.get("optimizer"), top.get("weight_decay"), self)
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
            optimizer=steps,
            printing=printing.read(top["print"], self) if "print" in top else PrintSetup(),
            language=language,
        )

    def layered(self, top: dict, language: str = "en") -> Definition:
        """A network of layers of kinds on an image: derived, verified, trained and audited
        (`claimed:`, `names:`); what its worksheets do not take is refused by key."""
        for key in ("ask", "points", "conventions", "data", "batch_loss"):
            if key in top:
                self.fail(key, "is not taken for a network of layers on an image yet (its "
                          "worksheets choose what they ask, and training on a data set is not "
                          "made yet); derive, train --steps and audit work on it")
        if top.get("notation", "matrix") != "matrix":
            self.fail("notation", "numbered names (w1, w2, ...) are for dense networks; a "
                      "network on an image has canonical names only (K[1][1][1][1][1], ...)")
        form = self.choice(top.get("form", "scalar"), "form", FORMS)  # matrix: a page of shapes
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
        names = self.layered_names(top.get("names", {}), network)
        claimed, labels = self.layered_claimed(top.get("claimed", {}), network, names)
        return Definition(
            source=self.source, title=self.title(top.get("title", words(language)(DEFAULT_TITLE))),
            network=network, values=layered.values(self, values, network), language=language,
            claimed=claimed, claim_labels=labels, names=tuple(names.items()),
            claim_written=tuple(top.get("claimed", {})),
            learning_rate=rate, update_biases=update,
            decimals=self.whole(top.get("decimals", 4), "decimals", 0, 12),
            seed=None if seed is None else self.whole(seed, "seed", 0, MAX_SEED),
            versions=None if top.get("versions") is None else self.whole(
                top["versions"], "versions", 1, MAX_VERSIONS),
            optimizer=optimizer.read(top.get("optimizer"), top.get("weight_decay"), self),
            form=form,
            printing=printing.read(top["print"], self) if "print" in top else PrintSetup(),
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

