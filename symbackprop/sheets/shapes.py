"""A page of shapes as data: a network too big to work by hand, its equations forward and back
with every matrix's shape (engine/matrixform.py's for a dense network, engine/convshapes.py's
for a convolution) and the words around them in the class's language: the subtitle, what the
network is, each equation's caption and the closing note on how the page reads. The drivers
(formats/lesson_tex.py, formats/convpage.py) print it.

>>> from symbackprop.definitions.definition import in_language, load
>>> from symbackprop.engine import convshapes
>>> defn = in_language(load('worksheets/convolution-digits-8x8-3x3.yaml'), 'fr')
>>> page = convolution(defn, convshapes.shapes(defn.network), [[0.0]])
>>> page.captions[1]
'Après l’activation (ReLU), coefficient par coefficient'
>>> page.words[:40]
'Une image de 8×8 passe par un filtre 3×3'
"""

from __future__ import annotations

from dataclasses import dataclass

from ..definitions.language import N_, words
from ..engine.convshapes import activation_symbol
from .forms import Ops, Power, Prose, Symbol
from .rules import ACTIVATION_NAMES


@dataclass(frozen=True)
class ShapesPage:
    """One page of a network's matrix equations; `equations` the engine's, one caption each;
    `image` a convolution's input (rows of pixels), drawn in grey."""

    title: str
    language: str
    subtitle: str
    words: str
    captions: tuple[str, ...]
    equations: tuple
    note: Prose
    image: tuple | None = None


# --- a dense network (engine/matrixform.py) ---------------------------------------------------

_DENSE_CAPTIONS = {
    "softmax_cross_entropy": N_("The output layer's error (softmax, cross-entropy)"),
    "delta_output": N_("The output layer's error"),
    "delta_hidden": N_("Layer {l}'s error, sent back through the weights"),
    "weight_gradient_matrix": N_("Layer {l}'s weight gradient"),
    "bias_gradient_vector": N_("Layer {l}'s bias gradient")}
_LOSSES = {"half_sse": N_("half the sum of squared errors"),
           "sse": N_("the sum of squared errors"), "mse": N_("the mean squared error"),
           "cross_entropy": N_("cross-entropy"),
           "binary_cross_entropy": N_("binary cross-entropy")}


def dense(defn, equations) -> ShapesPage:
    """The page of a dense network's backpropagation in matrix form."""
    _ = words(defn.language)
    network = defn.network
    names = ", ".join(_(ACTIVATION_NAMES[a]) for a in dict.fromkeys(network.activations))
    said = _("A {sizes} network ({activations}; loss: {loss}): each δ is a column of its "
             "layer's neurons, each weight gradient has the shape of its weight matrix.")
    note = Prose.of(
        _("Shapes are rows × columns. {product} multiplies entry by entry; two matrices side "
          "by side are a matrix product, which needs the columns of the first to match the "
          "rows of the second. Each equation is the chain rule of one weight, written for all "
          "of a layer's weights at once."), product=_two("A", "⊙", "B"))
    return ShapesPage(
        defn.title, defn.language, _("Backpropagation in matrix form: where each matrix goes"),
        said.format(sizes="-".join(map(str, network.layers)), activations=names,
                    loss=_(_LOSSES[network.loss])),
        tuple(_(_DENSE_CAPTIONS[e.rule]).format(l=e.lhs.rsplit("^", 1)[1])
              for e in equations), tuple(equations), note)


# --- a convolution (engine/convshapes.py) ------------------------------------------------------

_CONV_CAPTIONS = {
    "feature_map": N_("The feature map: the kernel slid over the image (cross-correlation)"),
    "activation": N_("After the activation ({activation}), entry by entry"),
    "max_pool": N_("{size} max pooling"), "average_pool": N_("{size} average pooling"),
    "flatten": N_("Flattened, row by row"),
    "dense": N_("The dense layer"),
    "output": N_("The output ({activation})"),
    "softmax_cross_entropy": N_("The output's error (softmax, cross-entropy)"),
    "delta_output": N_("The output's error"),
    "weight_gradient": N_("The dense weights' gradient"),
    "bias_gradient": N_("The dense biases' gradient"),
    "back_to_flatten": N_("Back to the flattened map"),
    "back_to_map": N_("Back into the map's shape"),
    "back_max_pool": N_("Back through the pooling: each window's gradient to its first "
                        "maximum"),
    "back_average_pool": N_("Back through the pooling: each window's gradient shared, 1/n "
                            "each"),
    "back_activation": N_("Back through the activation"),
    "kernel_gradient": N_("The kernel's gradient: the image correlated with ∂J/∂Z"),
    "convolution_bias": N_("The filter's bias: ∂J/∂Z added up"),
    "input_gradient": N_("What would go back to the image: the full convolution with K")}
# the layers after the convolution, as the page's first sentence names them
_LAYERS = {"max_pool": N_("a {size} max pooling"), "average_pool": N_("a {size} average pooling"),
           "flatten": N_("flattening"), "dense": N_("a dense layer of {n} ({activation})")}


def convolution(defn, equations, image) -> ShapesPage:
    """The page of a convolution's matrices forward and back; `image` its input's pixels."""
    _ = words(defn.language)
    network = defn.network
    conv, dense_ = network.layers[0], network.layers[-1]
    pool = next((layer for layer in network.layers if type(layer).__name__ == "Pooling"), None)
    filling = {"activation": {"conv": activation_symbol(conv.activation),
                              "dense": activation_symbol(dense_.activation)},
               "size": f"{pool.size[0]}×{pool.size[1]}" if pool else ""}
    captions = []
    for e in equations:
        act = filling["activation"]["dense" if e.rule == "output" else "conv"]
        captions.append(_(_CONV_CAPTIONS[e.rule]).format(activation=act, size=filling["size"]))
    then = ", ".join(_layer_words(layer, _) for layer in network.layers[1:])
    _c, h, w = network.image.shape
    said = _("A {size} image through one {kernel} filter, then {layers}: each line below is a "
             "whole map or layer at once, every matrix with its shape under it.").format(
                 size=f"{h}×{w}", kernel="×".join(map(str, conv.kernel)), layers=then)
    note = Prose.of(
        _("Shapes are rows × columns. {correlation} is the cross-correlation PyTorch's Conv2d "
          "computes: {K} slid over {X} as it is, each entry the sum of {K}'s entries times the "
          "entries under them; {convolution} is the full convolution ({K} turned half a turn, "
          "slid over {M} padded with zeros). {product} multiplies entry by entry; two matrices "
          "side by side are a matrix product; {vec} reads a map row by row into a column and "
          "{unvec} puts the column back."),
        correlation=_two("X", "⋆", "K"), convolution=_two("M", "∗", "K"),
        product=_two("A", "⊙", "B"), vec=Symbol("vec", word=True),
        K=Symbol("K"), X=Symbol("X"), M=Symbol("M"),
        unvec=Power(Symbol("vec", word=True), Symbol("-1")))
    return ShapesPage(defn.title, defn.language,
                      _("A convolution in matrices: where each one goes"), said,
                      tuple(captions), tuple(equations), note,
                      tuple(tuple(row) for row in image))


def _layer_words(layer, _) -> str:
    kind = type(layer).__name__
    if kind == "Pooling":
        return _(_LAYERS[layer.kind]).format(size="×".join(map(str, layer.size)))
    if kind == "Flatten":
        return _(_LAYERS["flatten"])
    return _(_LAYERS["dense"]).format(n=layer.size,
                                      activation=_(ACTIVATION_NAMES[layer.activation]))


def _two(left: str, op: str, right: str) -> Ops:
    return Ops((Symbol(left), Symbol(right)), (op,))
