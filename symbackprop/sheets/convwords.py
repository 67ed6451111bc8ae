"""A convolution sheet's words and given numbers (sheets/convsheet.py builds its blanks): what
the network is, the conventions it follows (cross-correlation; with several filters or
channels, how the indices read and which part of the way back is asked), the pictures of the
image and the kernels, and the given weights and targets."""

from __future__ import annotations

from ..engine import proofs
from .convback import _sym
from .forms import Equation, Number, Symbol
from .model import Given
from .worked import Picture, WorkedSheet


def worksheet(s) -> WorkedSheet:
    """The WorkedSheet of a built _ConvSheet `s`."""
    rules = ["kernel_gradient"] + (["convolution_bias"] if s.b is not None else []) + (
        [s.pool.kind] if s.pool else [])
    numbers = {"image": _nested(s.x), "kernel": _nested(s.K),
               "bias": list(s.b) if s.b is not None else None,
               "weights": [list(r) for r in s.V],
               "biases": list(s.c) if s.c is not None else None, "targets": list(s.t)}
    if s.F == 1 and s.C == 1:  # one image, one kernel, one bias: as the one-filter sheet was
        numbers.update(image=numbers["image"][0], kernel=numbers["kernel"][0][0],
                       bias=s.b[0] if s.b is not None else None)
    return WorkedSheet(s.defn.title, "convolution", s.d, None, None, _network_words(s),
                       _notes(s), _pictures(s), _givens(s), s.sections, s.w.answers,
                       s.w.blanks, numbers, proofs.for_rules(rules),
                       language=s.defn.language, printing=s.defn.printing)


def _nested(rows):
    return [_nested(r) for r in rows] if isinstance(rows[0], (tuple, list)) else list(rows)


def _outputs(_, activation: str, n: int) -> str:
    """The dense output's words by its activation, for n outputs."""
    if activation == "sigmoid":
        said = _.ngettext("{n} sigmoid output out = f(net) with weights v and bias c",
                          "{n} sigmoid outputs out = f(net) with weights v and biases c", n)
    elif activation == "identity":
        said = _.ngettext("{n} linear output out = f(net) with weights v and bias c",
                          "{n} linear outputs out = f(net) with weights v and biases c", n)
    elif activation == "tanh":
        said = _.ngettext("{n} tanh output out = f(net) with weights v and bias c",
                          "{n} tanh outputs out = f(net) with weights v and biases c", n)
    else:
        said = _.ngettext("{n} softmax output out = f(net) with weights v and bias c",
                          "{n} softmax outputs out = f(net) with weights v and biases c", n)
    return said.format(n=n)


def _network_words(s) -> str:
    _ = s._
    h, w = len(s.x[0]), len(s.x[0][0])
    size = f"{s.kh}×{s.kw}"
    then = ""
    act = {"relu": "a = ReLU(z)", "sigmoid": "a = σ(z)", "tanh": "a = tanh(z)",
           "identity": ""}[s.act]
    if act:
        then += " " + _("{formula};").format(formula=act)
    if s.pool:
        (ph, pw), kind = s.pool.size, s.pool.kind.split("_")[0]
        then += " " + (_("{size} max pooling gives p;") if kind == "max" else
                       _("{size} average pooling gives p;")).format(size=f"{ph}×{pw}")
    loss = "J = ½ Σ (t − out)²" if s.defn.network.loss == "half_sse" else \
        _("J = −Σ t·ln out (cross-entropy)")
    channels = _("one channel") if s.C == 1 else _("{n} channels").format(n=s.C)
    bias = s.b is not None
    if s.F == 1:
        kernels = (_("a {size} kernel K with bias b") if bias else
                   _("a {size} kernel K")).format(size=size)
        maps = _("a {size} feature map z").format(size=f"{s.M}×{s.N}")
    else:
        kernels = ((_("{n} filters, each a {size} kernel over every channel with a bias")
                    if bias else _("{n} filters, each a {size} kernel over every channel"))
                   if s.C > 1 else
                   (_("{n} filters, each a {size} kernel with a bias") if bias else
                    _("{n} filters, each a {size} kernel"))).format(n=s.F, size=size)
        maps = _("{n} feature maps z of {size}").format(n=s.F, size=f"{s.M}×{s.N}")
    n = len(s.V)
    outputs = _outputs(_, s.dense.activation, n)
    said = (_("A {size} image x ({channels}) is filtered by {kernels} (stride 1, no padding) "
              "into {maps};{then} read filter by filter, row by row, it feeds {outputs}; the "
              "loss is {loss}.") if s.F > 1 else
            _("A {size} image x ({channels}) is filtered by {kernels} (stride 1, no padding) "
              "into {maps};{then} read row by row, it feeds {outputs}; the loss is {loss}."))
    return said.format(size=f"{h}×{w}", channels=channels, kernels=kernels, maps=maps,
                       then=then, outputs=outputs, loss=loss)


def _notes(s) -> list[str]:
    _ = s._
    if s.b is None:
        plus = ""
    else:
        plus = _(", plus b") if s.F == 1 else _(", plus its filter's bias")
    notes = [(_("Convolution here is what PyTorch's Conv2d computes, a cross-correlation: "
                "each entry of z is the sum of the kernel entries times the pixels under them "
                "over every channel{plus}, the kernel laid on the image as it is. Many "
                "textbooks turn the kernel half a turn first (true convolution); do not.")
              if s.C > 1 else
              _("Convolution here is what PyTorch's Conv2d computes, a cross-correlation: "
                "each entry of z is the sum of the kernel entries times the pixels under "
                "them{plus}, the kernel laid on the image as it is. Many textbooks turn the "
                "kernel half a turn first (true convolution); do not.")).format(plus=plus)]
    if s.F > 1 or s.C > 1:
        notes.append(_indices(s.F, s.C, _))
    if len(s.back) < s.F:
        notes.append(_("The way back is asked for filter 1 only, to keep the sheet short: "
                       "filters 2 to {last} work the same way with their own maps.").format(
                           last=s.F) if s.F > 2 else
                     _("The way back is asked for filter 1 only, to keep the sheet short: "
                       "filter 2 works the same way with its own map."))
    return notes


def _indices(F: int, C: int, _) -> str:
    """How a sheet of several filters or channels numbers its entries, by example."""
    if F > 1 and C > 1:
        return _("With several filters and several channels, indices read filter, channel, "
                 "row, column, where they apply: K2,1,u,v is filter 2's kernel over channel 1, "
                 "x1,i,j is channel 1 of the image and z2,i,j is filter 2's feature map (a and "
                 "p likewise). Each filter adds over every channel; a kernel entry over "
                 "channel c touches only channel c's pixels, so its gradient sums, over every "
                 "position of its filter's map, ∂J/∂z there times the pixel of channel c it "
                 "covered.")
    if F > 1:
        return _("With several filters, the first index of K, z, a and p names the filter: "
                 "K2,u,v is filter 2's kernel and z2,i,j its feature map.")
    return _("With several channels, the first index of x and K names the channel: x2,i,j is "
             "channel 2 of the image and K2,u,v the kernel over it. Each filter adds over "
             "every channel; a kernel entry over channel c touches only channel c's pixels, "
             "so its gradient sums, over every position of its filter's map, ∂J/∂z there "
             "times the pixel of channel c it covered.")


def _pictures(s) -> list[Picture]:
    _ = s._
    h, w = len(s.x[0]), len(s.x[0][0])
    size = f"{h}×{w}"
    images = [Picture(_("The image x ({size})").format(size=size) if s.C == 1 else
                      _("Channel {c} of the image x ({size})").format(c=c, size=size),
                      s.x[c - 1], "x", (c,) if s.C > 1 else ()) for c in range(1, s.C + 1)]
    kernels = []
    for f in range(1, s.F + 1):
        for c in range(1, s.C + 1):
            if s.F == 1:
                whose = (_("The kernel K over channel {c} ({size})") if s.C > 1 else
                         _("The kernel K ({size})"))
            else:
                whose = (_("Filter {f}'s kernel K over channel {c} ({size})") if s.C > 1 else
                         _("Filter {f}'s kernel K ({size})"))
            kernels.append(Picture(whose.format(f=f, c=c, size=f"{s.kh}×{s.kw}"),
                                   s.K[f - 1][c - 1], "K", s.entry(f, c, 0, 0)[:-2]))
    return images + kernels


def _givens(s) -> list[Given]:
    V, _ = s.V, s._
    givens = [Given(_("Output layer"), (tuple(
        Equation((_sym("v", j, k), Number(wk)))
        for j, row in enumerate(V, start=1) for k, wk in enumerate(row, start=1)),
        tuple(Equation((_sym("c", j), Number(s._c(j))))
              for j in range(1, len(V) + 1) if s._c(j) is not None))),
        Given(_("Targets"), (tuple(Equation((_sym("t", j), Number(t)))
                                   for j, t in enumerate(s.t, start=1)),))]
    if s.b is not None:
        biases = tuple(Equation((_sym("b", *s.filter_of(f)) if s.F > 1 else Symbol("b"),
                                 Number(s.bias(f)))) for f in range(1, s.F + 1))
        givens.insert(0, Given(_("Kernel bias") if s.F == 1 else _("Kernel biases"), (biases,)))
    return givens
