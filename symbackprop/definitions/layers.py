"""A network of layers of kinds on an image: convolution, max and average pooling, flatten and
dense layers, as frozen dataclasses, with the shapes they give and the parameters they hold.

Sizes follow PyTorch's Conv2d and MaxPool2d/AvgPool2d (floor division, no ceil mode): an
output side is ⌊(n + 2p − k)/s⌋ + 1 for input side n, padding p, kernel k and stride s.

>>> net = ConvNetwork(Image(1, 8, 8), (Convolution(2, (3, 3), activation='relu'),
...                   Pooling('max_pool', (2, 2), (2, 2)), Flatten(), Dense(10, 'softmax')),
...                   'cross_entropy')
>>> net.shapes
((1, 8, 8), (2, 6, 6), (2, 3, 3), (18,), (10,))
>>> parameters(net), net.activations
(210, ('relu', None, None, 'softmax'))
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

Pair = tuple[int, int]  # (rows, columns): a kernel's size, a stride, a padding

CONV_BIASES = ("per_filter", "none")
DENSE_BIASES = ("per_neuron", "shared", "none")


@dataclass(frozen=True)
class Image:
    """What the network reads: channels × height × width numbers."""

    channels: int
    height: int
    width: int

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.channels, self.height, self.width


@dataclass(frozen=True)
class Convolution:
    """Conv2d: `filters` kernels of `kernel` over every input channel, zero padding; one bias
    per filter (or none); then the activation, pixel by pixel."""

    filters: int
    kernel: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    bias: str = "per_filter"  # or "none"
    activation: str = "identity"
    kind = "convolution"


@dataclass(frozen=True)
class Pooling:
    """MaxPool2d or AvgPool2d: each window of `size`, `stride` apart, gives one pixel."""

    kind: str  # "max_pool" or "average_pool"
    size: Pair
    stride: Pair


@dataclass(frozen=True)
class Flatten:
    """The maps as one vector: channel by channel, row by row (PyTorch's order)."""

    kind = "flatten"


@dataclass(frozen=True)
class Dense:
    """A fully connected layer, as every layer of a dense network is."""

    size: int
    activation: str
    bias: str = "per_neuron"  # or "shared", "none"
    kind = "dense"


Layer = Convolution | Pooling | Flatten | Dense


@dataclass(frozen=True)
class ConvNetwork:
    """An image through layers of kinds to a dense output layer, and the loss on its outputs."""

    image: Image
    layers: tuple[Layer, ...]
    loss: str

    @property
    def depth(self) -> int:
        """Layers after the image (pooling and flatten included); layer `depth` is the output."""
        return len(self.layers)

    @cached_property
    def shapes(self) -> tuple[tuple[int, ...], ...]:
        """The image's shape, then each layer's output shape: (channels, rows, columns) for a
        map, (size,) for a vector."""
        shapes = [self.image.shape]
        for layer in self.layers:
            shapes.append(output_shape(layer, shapes[-1]))
        return tuple(shapes)

    @property
    def activations(self) -> tuple[str | None, ...]:
        """Each layer's activation; None for pooling and flatten, which have none."""
        return tuple(getattr(layer, "activation", None) for layer in self.layers)

    @property
    def sizes(self) -> tuple[int, ...]:
        """How many numbers the image and each layer hold."""
        return tuple(_count(s) for s in self.shapes)


def side(n: int, kernel: int, stride: int, padding: int = 0) -> int:
    """One side of an output map: ⌊(n + 2p − k)/s⌋ + 1 (0 or less when the kernel does not fit).

    >>> side(8, 3, 1), side(5, 2, 2), side(4, 3, 2, 1)
    (6, 2, 2)
    """
    return (n + 2 * padding - kernel) // stride + 1


def output_shape(layer: Layer, shape: tuple[int, ...]) -> tuple[int, ...]:
    if isinstance(layer, Dense):
        return (layer.size,)
    if isinstance(layer, Flatten):
        return (_count(shape),)
    _, h, w = shape
    if isinstance(layer, Convolution):
        (kh, kw), (sh, sw), (ph, pw) = layer.kernel, layer.stride, layer.padding
        return layer.filters, side(h, kh, sh, ph), side(w, kw, sw, pw)
    (kh, kw), (sh, sw) = layer.size, layer.stride
    return shape[0], side(h, kh, sh), side(w, kw, sw)


def layer_parameters(layer: Layer, shape: tuple[int, ...]) -> int:
    """Weights and biases of one layer, given the shape it reads."""
    if isinstance(layer, Convolution):
        kh, kw = layer.kernel
        return layer.filters * shape[0] * kh * kw + (layer.bias != "none") * layer.filters
    if isinstance(layer, Dense):
        bias = {"none": 0, "shared": 1, "per_neuron": layer.size}[layer.bias]
        return layer.size * _count(shape) + bias
    return 0


def parameters(network: ConvNetwork) -> int:
    """Every weight (kernel entries included) and bias of the network."""
    shapes = network.shapes
    return sum(layer_parameters(layer, shapes[l]) for l, layer in enumerate(network.layers))


def connections(network: ConvNetwork) -> int:
    """Products in every net: what a derivation's size grows with (each is a term of a net's
    sum and a path of a gradient)."""
    shapes, total = network.shapes, 0
    for l, layer in enumerate(network.layers):
        if isinstance(layer, Convolution):
            kh, kw = layer.kernel
            total += _count(shapes[l + 1]) * shapes[l][0] * kh * kw
        elif isinstance(layer, Dense):
            total += layer.size * _count(shapes[l])
        elif isinstance(layer, Pooling):
            total += _count(shapes[l + 1]) * layer.size[0] * layer.size[1]
    return total


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
