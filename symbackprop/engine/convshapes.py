"""A network on an image as matrices, each with its shape: the page of shapes of a convolution
too big to work by hand (seed 000's 8×8 digit through one 3×3 filter), as engine/matrixform.py
gives a dense network's. One convolution of one filter on one channel, optional pooling,
flatten and one dense layer (the networks a convolution worksheet works), forward and back.

Each equation's shapes are the network's own (network.shapes: what the engine computes and
PyTorch's Conv2d, MaxPool2d, Flatten and Linear give, the tests check), and each equation is
checked here to be one that can be computed: a correlation's output is the input less the
kernel plus 1 (divided by the stride), a matrix product's inner sizes agree, ⊙ and + join
matrices of one shape.

>>> from symbackprop.definitions.definition import load
>>> [str(e) for e in shapes(load('worksheets/convolution-digits-8x8-3x3.yaml').network)][:3]
['Z (6×6) = X (8×8) ⋆ K (3×3) + b (1×1)', 'A (6×6) = ReLU(Z) (6×6)', 'P (3×3) = maxpool(A) (6×6)']
"""

from __future__ import annotations

from dataclasses import dataclass

from ..definitions.errors import VerificationError
from ..definitions.layers import Convolution, Dense, Flatten, Pooling

Shape = tuple[int, int]


@dataclass(frozen=True)
class Shaped:
    """lhs = operands joined by ops ('⋆' correlation, '∗' full convolution, '⊙', '+', '−', ''
    a matrix product), each a name with its shape; `rule` names what the line is (the sheet
    says it in the class's language: sheets/shapes.py)."""

    rule: str
    lhs: tuple[str, Shape]
    operands: tuple[tuple[str, Shape], ...]
    ops: tuple[str, ...] = ()
    kind: str = "="  # how the sides' shapes agree: '=', 'reshape', 'pool' or 'unpool'

    def __str__(self) -> str:
        right = " ".join(f"{op} {n} ({r}×{c})".strip() for op, (n, (r, c)) in zip(
            ("",) + self.ops, self.operands))
        return f"{self.lhs[0]} ({self.lhs[1][0]}×{self.lhs[1][1]}) = {right}"


def shapes(network) -> list[Shaped]:
    """The forward and backward equations of `network` with their shapes (ValueError for a
    network that is not one convolution, optional pooling, flatten and a dense layer)."""
    kinds = [type(layer) for layer in network.layers]
    if kinds not in ([Convolution, Flatten, Dense], [Convolution, Pooling, Flatten, Dense]) or \
            network.image.shape[0] != 1 or network.layers[0].filters != 1 or \
            network.layers[0].padding != (0, 0):
        raise ValueError("a page of a convolution's shapes is one convolution of one filter "
                         "on one channel, without padding, optional pooling, flatten, then "
                         "one dense layer")
    conv, dense = network.layers[0], network.layers[-1]
    pool = network.layers[1] if len(network.layers) == 4 else None
    _, h, w = network.image.shape
    X, K, Z = (h, w), conv.kernel, network.shapes[1][1:]
    act, out_act = conv.activation, dense.activation
    # a stride spreads ∂J/∂Z out (s − 1 zeros between its entries) on its way back
    back = ("∂J/∂Z", Z) if conv.stride == (1, 1) else ("spread(∂J/∂Z)", tuple(
        s * (z - 1) + 1 for s, z in zip(conv.stride, Z)))
    P = network.shapes[2][1:] if pool else Z
    n, m = P[0] * P[1], dense.size
    pooled = "P" if pool else ("A" if act != "identity" else "Z")
    one = (1, 1)
    lines = [Shaped("feature_map", ("Z", Z), (("X", X), ("K", K)) + (
                        (("b", one),) if conv.bias != "none" else ()),
                    ("⋆", "+") if conv.bias != "none" else ("⋆",))]
    if act != "identity":
        lines.append(Shaped("activation", ("A", Z), ((f"{activation_symbol(act)}(Z)", Z),)))
    map_ = "A" if act != "identity" else "Z"
    if pool:
        lines.append(Shaped(pool.kind, ("P", P), ((
            f"{'max' if pool.kind == 'max_pool' else 'avg'}pool({map_})", Z),), kind="pool"))
    lines += [
        Shaped("flatten", ("f", (n, 1)), ((f"vec({pooled})", P),), kind="reshape"),
        Shaped("dense", ("net", (m, 1)),
               (("W", (m, n)), ("f", (n, 1))) + ((("c", (m, 1)),) if dense.bias != "none"
                                                 else ()),
               ("", "+") if dense.bias != "none" else ("",)),
        Shaped("output", ("out", (m, 1)), ((f"{activation_symbol(out_act)}(net)", (m, 1)),)),
    ]
    if out_act == "softmax":
        lines.append(Shaped("softmax_cross_entropy", ("δ", (m, 1)),
                            (("out", (m, 1)), ("t", (m, 1))), ("−",)))
    else:
        lines.append(Shaped("delta_output", ("δ", (m, 1)),
                            (("∇_out J", (m, 1)), ("f′(net)", (m, 1))), ("⊙",)))
    lines += [
        Shaped("weight_gradient", ("∂J/∂W", (m, n)),
               (("δ", (m, 1)), ("fᵀ", (1, n))), ("",)),
    ]
    if dense.bias != "none":
        lines.append(Shaped("bias_gradient", ("∂J/∂c", (m, 1)), (("δ", (m, 1)),)))
    lines += [
        Shaped("back_to_flatten", ("∂J/∂f", (n, 1)),
               (("Wᵀ", (n, m)), ("δ", (m, 1))), ("",)),
        Shaped("back_to_map", (f"∂J/∂{pooled}", P),
               (("vec⁻¹(∂J/∂f)", (n, 1)),), kind="reshape"),
    ]
    if pool:
        lines.append(Shaped(f"back_{pool.kind}", (f"∂J/∂{map_}", Z),
                            ((f"{'route' if pool.kind == 'max_pool' else 'share'}(∂J/∂P)",
                              P),), kind="unpool"))
    if act != "identity":
        lines.append(Shaped("back_activation", ("∂J/∂Z", Z),
                            (("∂J/∂A", Z), (f"{activation_symbol(act)}′(Z)", Z)), ("⊙",)))
    lines.append(Shaped("kernel_gradient", ("∂J/∂K", K), (("X", X), back), ("⋆",)))
    if conv.bias != "none":
        lines.append(Shaped("convolution_bias", ("∂J/∂b", one),
                            (("1ᵀ", (1, Z[0])), ("∂J/∂Z", Z), ("1", (Z[1], 1))), ("", "")))
    lines.append(Shaped("input_gradient", ("∂J/∂X", X), (back, ("K", K)), ("∗",)))
    for line in lines:
        _computable(line, conv.stride, pool)
    return lines


def activation_symbol(activation: str) -> str:
    """An activation as the equations write it (ReLU, σ): the same in every language."""
    return {"relu": "ReLU", "sigmoid": "σ", "tanh": "tanh", "identity": "id",
            "softmax": "softmax"}[activation]


def _computable(line: Shaped, stride, pool) -> None:
    """Each operation's sizes agree, and the left side has the shape the right side makes."""
    shape = line.operands[0][1]
    for op, (_, right) in zip(line.ops, line.operands[1:]):
        if op == "⋆":  # the second slid over the first, the forward pass with its stride
            steps = stride if line.lhs[0] == "Z" else (1, 1)
            shape = tuple((b - k) // s + 1 for b, k, s in zip(shape, right, steps))
        elif op == "∗":
            shape = tuple(a + b - 1 for a, b in zip(shape, right))
        elif op == "":
            if shape[1] != right[0]:
                raise VerificationError(f"{line}: {shape[1]} columns times {right[0]} rows")
            shape = (shape[0], right[1])
        elif shape != right and right != (1, 1):
            raise VerificationError(f"{line}: {op} of {shape} and {right}")
    left = line.lhs[1]
    windows = lambda a: tuple((n - k) // s + 1 for n, k, s in zip(  # noqa: E731
        a, pool.size, pool.stride))
    same = {"=": lambda: shape == left,
            "reshape": lambda: shape[0] * shape[1] == left[0] * left[1],
            "pool": lambda: windows(shape) == left, "unpool": lambda: windows(left) == shape
            }[line.kind]()
    if not same:
        raise VerificationError(f"{line}: the right side is {shape[0]}×{shape[1]}")
