"""What a convolution worksheet can print: one convolution (stride 1, no padding), optional
pooling, flatten and one dense output, on an image small enough to work by hand, and how many
blanks its sheet asks (the way back asked for the first filter alone where every filter's would
make it long)."""

from __future__ import annotations

from ..definitions.layers import Convolution, Dense, Flatten, Pooling

OUTPUTS = {("half_sse", "sigmoid"), ("half_sse", "identity"), ("half_sse", "tanh"),
           ("cross_entropy", "softmax")}
MAX_SIDE = 8  # an image side a hand-worked sheet prints (the digits are 8 × 8)
MAX_FILTERS, MAX_CHANNELS = 4, 3  # kernels a hand-worked sheet draws: at most 12
MAX_BLANKS = 64  # past this, several filters' way back is asked for the first filter only
MAX_SHEET = 100  # and past this even so, no sheet of several filters or channels is made


def layers_of(defn):
    """(convolution, pooling or None, dense) of a sheet's network, or ValueError naming the
    file and key of what a hand-worked sheet does not print."""
    net, src = defn.network, defn.source
    kinds = [type(layer) for layer in net.layers]
    if kinds not in ([Convolution, Flatten, Dense], [Convolution, Pooling, Flatten, Dense]):
        raise ValueError(f"{src}: network.layers: a convolution worksheet is one convolution, "
                         "optional max_pool or average_pool, flatten, then one dense layer")
    conv, dense = net.layers[0], net.layers[-1]
    pool = net.layers[1] if len(net.layers) == 4 else None
    c, h, w = net.image.shape
    if c > MAX_CHANNELS or conv.filters > MAX_FILTERS or max(h, w) > MAX_SIDE:
        raise ValueError(f"{src}: network.input: a convolution worksheet has at most "
                         f"{MAX_CHANNELS} channels and {MAX_FILTERS} filters on an image of "
                         f"at most {MAX_SIDE}×{MAX_SIDE}")
    if conv.stride != (1, 1) or conv.padding != (0, 0):
        raise ValueError(f"{src}: network.layers[0]: a convolution worksheet uses stride 1 "
                         "and no padding")
    if (c > 1 or conv.filters > 1) and blanks(net) > MAX_SHEET:
        raise ValueError(f"{src}: network.input: a convolution worksheet of several filters "
                         f"or channels asks at most {MAX_SHEET} blanks; these layers would "
                         f"ask {blanks(net)} (fewer filters, a smaller image, kernel or "
                         "output make it fewer)")
    if (net.loss, dense.activation) not in OUTPUTS:
        raise ValueError(f"{src}: network.loss: a convolution worksheet ends in a sigmoid, "
                         "tanh or identity output with half_sse, or softmax with "
                         "cross_entropy")
    return conv, pool, dense


def asked_filters(net) -> list[int]:
    """The filters whose way back the sheet asks for: every one, or the first alone where
    every one would ask more than MAX_BLANKS blanks (the others' work is the same).

    >>> from symbackprop.definitions.definition import parse
    >>> def net(c, f, side): return parse(f'''network:
    ...   input: {{channels: {c}, height: {side}, width: {side}}}
    ...   layers:
    ...     - {{kind: convolution, filters: {f}, kernel: 2, activation: relu}}
    ...     - {{kind: max_pool, size: 2}}
    ...     - {{kind: flatten}}
    ...     - {{kind: dense, size: 1, activation: sigmoid}}
    ...   loss: half_sse''', source='c.yaml').network
    >>> asked_filters(net(2, 2, 3)), asked_filters(net(2, 2, 4)), blanks(net(2, 2, 4))
    ([1, 2], [1], 70)
    """
    forward, back = _counts(net)
    F = net.layers[0].filters
    return list(range(1, F + 1)) if F == 1 or forward + F * back <= MAX_BLANKS else [1]


def blanks(net) -> int:
    """How many blanks the sheet asks, its way back shortened as asked_filters says."""
    forward, back = _counts(net)
    return forward + len(asked_filters(net)) * back


def _counts(net) -> tuple[int, int]:
    """The blanks of the way forward (with each output's δ), and of one filter's way back."""
    conv, dense = net.layers[0], net.layers[-1]
    pool = net.layers[1] if isinstance(net.layers[1], Pooling) else None
    F, (C, h, w), (kh, kw) = conv.filters, net.image.shape, conv.kernel
    mapped = (h - kh + 1) * (w - kw + 1)  # one filter's feature map
    pooled = (mapped if pool is None else
              ((h - kh + 1 - pool.size[0]) // pool.stride[0] + 1) *
              ((w - kw + 1 - pool.size[1]) // pool.stride[1] + 1))
    acted = conv.activation != "identity"
    forward = F * (mapped * (1 + acted) + pooled * (pool is not None)) + \
        dense.size * (2 + (dense.activation != "identity")) + 1
    back = pooled + mapped * ((pool is not None) + acted) + C * kh * kw + \
        (conv.bias != "none")
    return forward, back
