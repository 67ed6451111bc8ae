"""The schema of a network of layers of kinds on an image (`network.input`, and `network.layers`
as mappings with a `kind`), and of its numbers (`values.image`, `values.targets`,
`values.layers`): read into layers.py's dataclasses, every problem reported by file, key and
problem through the definition's checker, every bound stated in its refusal.

>>> from symbackprop.definitions.definition import parse
>>> d = parse('''
... network:
...   input: {channels: 1, height: 4, width: 4}
...   layers:
...     - {kind: convolution, filters: 1, kernel: 2, activation: relu}
...     - {kind: max_pool, size: 3}
...     - {kind: flatten}
...     - {kind: dense, size: 2, activation: softmax}
...   loss: cross_entropy
... ''', source='small.yaml')
>>> d.network.shapes
((1, 4, 4), (1, 3, 3), (1, 1, 1), (1,), (2,))
>>> parse('''network: {input: {channels: 1, height: 4, width: 4}, loss: mse,
...   layers: [{kind: dense, size: 2, activation: identity}]}''', source='bad.yaml')
Traceback (most recent call last):
symbackprop.definitions.errors.DefinitionError: bad.yaml: network.layers[0]: a dense layer \
reads a vector: put {kind: flatten} before it
"""

from __future__ import annotations

from dataclasses import dataclass

from .layers import (
    CONV_BIASES,
    DENSE_BIASES,
    ConvNetwork,
    Convolution,
    Dense,
    Flatten,
    Image,
    Pooling,
    connections,
    output_shape,
    parameters,
)

KINDS = ("convolution", "max_pool", "average_pool", "flatten", "dense")
MAP_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")  # a convolution's, pixel by pixel
MAX_CHANNELS = 256  # of the image, and filters of a convolution
MAX_SIDE = 256  # rows or columns of the image
MAX_WINDOW = 32  # a kernel's or a pooling window's side, and a stride
MAX_MAP = 65_536  # numbers one layer gives: 8 filters over 28×28 give 5,408
# Products in every net, pooling windows included: each is a term of a net's sum and a path of
# a gradient in the derivation, so they are what a derivation's time and memory grow with
# (8 filters of 3×3 on 28×28, 2×2 pooling and 10 outputs have 67,600 and derive in about
# 7 s; 16 filters, 135,200, in about 12 s).
MAX_CONNECTIONS = 150_000


@dataclass(frozen=True)
class LayerValues:
    """One layer's numbers: `weights` are a convolution's kernels [filter][channel][row][column]
    or a dense layer's matrix [neuron][input]; `biases` one per filter, per neuron, or one (a
    shared bias); None where drawn, and both None for pooling and flatten."""

    weights: tuple | None = None
    biases: tuple[float, ...] | None = None


@dataclass(frozen=True)
class ImageValues:
    """Numbers of a network on an image; a part that is None is drawn at random."""

    image: tuple | None = None  # [channel][row][column]
    targets: tuple[float, ...] | None = None
    layers: tuple[LayerValues, ...] | None = None  # one per layer of network.layers
    examples: None = None  # a batch of images is not derived (yet): one image

    def complete_for(self, network: ConvNetwork) -> bool:
        """Every number given: nothing left to draw."""
        if self.image is None or self.targets is None or self.layers is None:
            return False
        return all(v.weights is not None and (v.biases is not None or not _has_bias(layer))
                   for layer, v in zip(network.layers, self.layers) if _has_weights(layer))


def is_layered(network) -> bool:
    """Whether `network:` (as read from YAML) is a network of layers of kinds on an image."""
    return isinstance(network, dict) and ("input" in network or (
        isinstance(network.get("layers"), list)
        and any(isinstance(layer, dict) for layer in network["layers"])))


def network(checker, value, limits) -> ConvNetwork:
    """`network:` of a layered network: its image, its layers in order, and the loss."""
    net = checker.mapping(value, "network", ("input", "layers", "loss"),
                          required=("input", "layers", "loss"))
    image = _image(checker, net["input"])
    layers = net["layers"]
    if not isinstance(layers, list) or not 1 <= len(layers) <= limits.layers:
        checker.fail("network.layers", f"must be a list of 1 to {limits.layers} layers, each "
                     f"a mapping with a kind ({', '.join(KINDS)}), got {checker.show(layers)}")
    shape: tuple[int, ...] = image.shape
    read = []
    for i, spec in enumerate(layers):
        layer = _layer(checker, spec, f"network.layers[{i}]", shape, limits)
        before, shape = shape, output_shape(layer, shape)
        if len(shape) == 3 and min(shape[1:]) < 1:
            checker.fail(f"network.layers[{i}]", f"its window does not fit the {_map(before)} "
                         "it reads (with its padding)")
        if _numbers(shape) > MAX_MAP:
            checker.fail(f"network.layers[{i}]", f"gives {_numbers(shape):,} numbers "
                         f"({_map(shape)}); at most {MAX_MAP:,} a layer")
        read.append(layer)
    if not isinstance(read[-1], Dense):
        checker.fail(f"network.layers[{len(read) - 1}]", "the output layer must be dense: its "
                     "outputs are what the loss compares with the targets")
    loss = checker.choice(net["loss"], "network.loss", limits.losses)
    checker.pairing(tuple(a.activation for a in read if hasattr(a, "activation")), loss)
    result = ConvNetwork(image, tuple(read), loss)
    count = parameters(result)
    if count > limits.parameters:
        checker.fail("network.layers", f"the network has {count:,} weights and biases; at most "
                     f"{limits.parameters:,} are allowed")
    links = connections(result)
    if links > MAX_CONNECTIONS:
        checker.fail("network.layers", f"the network's nets and pooling windows have "
                     f"{links:,} products; at most {MAX_CONNECTIONS:,} are derived (8 filters of "
                     "3×3 on 28×28, 2×2 pooling and 10 outputs have 67,600)")
    return result


def _image(checker, value) -> Image:
    spec = checker.mapping(value, "network.input", ("channels", "height", "width"),
                           required=("channels", "height", "width"))
    channels = checker.whole(spec["channels"], "network.input.channels", 1, MAX_CHANNELS)
    height = checker.whole(spec["height"], "network.input.height", 1, MAX_SIDE)
    width = checker.whole(spec["width"], "network.input.width", 1, MAX_SIDE)
    if channels * height * width > MAX_MAP:
        checker.fail("network.input", f"a {channels}×{height}×{width} image has "
                     f"{channels * height * width:,} numbers; at most {MAX_MAP:,}")
    return Image(channels, height, width)


_KEYS = {
    "convolution": (("filters", "kernel", "activation"), ("stride", "padding", "bias")),
    "max_pool": (("size",), ("stride",)),
    "average_pool": (("size",), ("stride",)),
    "flatten": ((), ()),
    "dense": (("size", "activation"), ("bias",)),
}


def _layer(checker, spec, key: str, shape: tuple[int, ...], limits):
    if not isinstance(spec, dict) or "kind" not in spec:
        checker.fail(key, f"must be a mapping with a kind ({', '.join(KINDS)}), such as "
                     f"{{kind: convolution, filters: 2, kernel: 3, activation: relu}}, got "
                     f"{checker.show(spec)}")
    kind = checker.choice(spec["kind"], f"{key}.kind", KINDS)
    required, optional = _KEYS[kind]
    checker.mapping(spec, key, ("kind",) + required + optional, required=required)
    if kind == "dense":
        if len(shape) != 1:
            checker.fail(key, "a dense layer reads a vector: put {kind: flatten} before it")
        return Dense(checker.whole(spec["size"], f"{key}.size", 1, limits.layer_size),
                     checker.choice(spec["activation"], f"{key}.activation", limits.activations),
                     checker.choice(spec.get("bias", "per_neuron"), f"{key}.bias",
                                    DENSE_BIASES))
    if len(shape) != 3:
        checker.fail(key, f"a {kind} layer reads maps (channels × rows × columns), not the "
                     "vector a flatten or dense layer gives")
    if kind == "flatten":
        return Flatten()
    if kind == "convolution":
        kernel = _pair(checker, spec["kernel"], f"{key}.kernel", 1, MAX_WINDOW)
        padding = _pair(checker, spec.get("padding", 0), f"{key}.padding", 0, MAX_WINDOW - 1)
        for p, k, which in zip(padding, kernel, ("rows", "columns")):
            if p >= k:
                checker.fail(f"{key}.padding", f"must be less than the kernel's {which} ({k}): "
                             f"a wider padding adds outputs that see only zeros")
        return Convolution(
            checker.whole(spec["filters"], f"{key}.filters", 1, MAX_CHANNELS), kernel,
            _pair(checker, spec.get("stride", 1), f"{key}.stride", 1, MAX_WINDOW), padding,
            checker.choice(spec.get("bias", "per_filter"), f"{key}.bias", CONV_BIASES),
            checker.choice(spec["activation"], f"{key}.activation", MAP_ACTIVATIONS))
    size = _pair(checker, spec["size"], f"{key}.size", 1, MAX_WINDOW)
    stride = _pair(checker, spec.get("stride", spec["size"]), f"{key}.stride", 1, MAX_WINDOW)
    return Pooling(kind, size, stride)


def _pair(checker, value, key: str, low: int, high: int) -> tuple[int, int]:
    """A side given once for both (3) or as [rows, columns] ([3, 2])."""
    if isinstance(value, list):
        if len(value) != 2:
            checker.fail(key, f"must be one whole number or [rows, columns], got "
                         f"{checker.show(value)}")
        return (checker.whole(value[0], f"{key}[0]", low, high),
                checker.whole(value[1], f"{key}[1]", low, high))
    n = checker.whole(value, key, low, high)
    return n, n


def values(checker, value, network: ConvNetwork) -> ImageValues:
    """`values:` of a layered network: the image, the targets, and each layer's numbers."""
    if value is None:
        return ImageValues()
    vals = checker.mapping(value, "values", ("image", "targets", "layers"))
    c, h, w = network.image.shape
    image = None
    if vals.get("image") is not None:
        image = _array(checker, vals["image"], "values.image", (c, h, w),
                       ("channels", "rows", "columns"))
    targets = None
    if vals.get("targets") is not None:
        targets = checker.vector(vals["targets"], "values.targets", network.shapes[-1][0])
        checker.targets_fit(targets, network)
    layers = None
    if vals.get("layers") is not None:
        layers = _layers(checker, vals["layers"], network)
    return ImageValues(image, targets, layers)


def _layers(checker, value, network: ConvNetwork) -> tuple[LayerValues, ...]:
    key = "values.layers"
    if not isinstance(value, list) or len(value) != network.depth:
        checker.fail(key, f"must be a list of {network.depth} entries, one per layer of "
                     "network.layers ({} for pooling and flatten), got "
                     f"{checker.show(value)}")
    shapes, read = network.shapes, []
    for l, (layer, spec) in enumerate(zip(network.layers, value)):
        k = f"{key}[{l}]"
        if not _has_weights(layer):
            if spec not in (None, {}):
                checker.fail(k, f"layer {l + 1} is {layer.kind}: it has no numbers of its own "
                             "(write {})")
            read.append(LayerValues())
            continue
        name = "kernels" if isinstance(layer, Convolution) else "weights"
        spec = checker.mapping({} if spec is None else spec, k, (name, "biases"))
        weights = None
        if spec.get(name) is not None:
            if isinstance(layer, Convolution):
                kh, kw = layer.kernel
                weights = _array(checker, spec[name], f"{k}.{name}",
                                 (layer.filters, shapes[l][0], kh, kw),
                                 ("filters", "channels", "rows", "columns"))
            else:
                weights = _array(checker, spec[name], f"{k}.{name}",
                                 (layer.size, shapes[l][0]), ("neurons", "inputs"))
        biases = None
        if "biases" in spec:
            if not _has_bias(layer):
                checker.fail(f"{k}.biases", f"given, but layer {l + 1}'s bias is none")
            count = layer.filters if isinstance(layer, Convolution) else (
                1 if layer.bias == "shared" else layer.size)
            biases = checker.vector(spec["biases"], f"{k}.biases", count)
        read.append(LayerValues(weights, biases))
    return tuple(read)


def _array(checker, value, key: str, shape: tuple[int, ...], axes: tuple[str, ...]):
    """Nested lists of numbers of exactly `shape`, as nested tuples."""
    if len(shape) == 1:
        return checker.vector(value, key, shape[0])
    described = " × ".join(f"{n} {a}" for n, a in zip(shape, axes))
    if not isinstance(value, list) or len(value) != shape[0]:
        got = f"{len(value)} {axes[0]}" if isinstance(value, list) else checker.show(value)
        checker.fail(key, f"must be {described} (a list of {shape[0]} {axes[0]}), got {got}")
    return tuple(_array(checker, v, f"{key}[{i}]", shape[1:], axes[1:])
                 for i, v in enumerate(value))


def _has_weights(layer) -> bool:
    return isinstance(layer, (Convolution, Dense))


def _has_bias(layer) -> bool:
    return _has_weights(layer) and layer.bias != "none"


def _numbers(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _map(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) + (" map" if len(shape) == 3 else " vector")
