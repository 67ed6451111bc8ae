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
                       s.w.blanks, numbers, proofs.for_rules(rules))


def _nested(rows):
    return [_nested(r) for r in rows] if isinstance(rows[0], (tuple, list)) else list(rows)


def _network_words(s) -> str:
    h, w = len(s.x[0]), len(s.x[0][0])
    pool = ""
    if s.pool:
        (ph, pw), kind = s.pool.size, s.pool.kind.split("_")[0]
        pool = f" {ph}×{pw} {kind} pooling gives p;"
    act = {"relu": "a = ReLU(z)", "sigmoid": "a = σ(z)", "tanh": "a = tanh(z)",
           "identity": ""}[s.act]
    outs = {"sigmoid": "sigmoid", "identity": "linear", "tanh": "tanh",
            "softmax": "softmax"}[s.dense.activation]
    loss = "J = ½ Σ (t − out)²" if s.defn.network.loss == "half_sse" else \
        "J = −Σ t·ln out (cross-entropy)"
    channels = "one channel" if s.C == 1 else f"{s.C} channels"
    bias = s.b is not None
    if s.F == 1:
        kernels = f"a {s.kh}×{s.kw} kernel K{' with bias b' if bias else ''}"
        maps = f"a {s.M}×{s.N} feature map z"
    else:
        kernels = (f"{s.F} filters, each a {s.kh}×{s.kw} kernel"
                   f"{' over every channel' if s.C > 1 else ''}{' with a bias' if bias else ''}")
        maps = f"{s.F} feature maps z of {s.M}×{s.N}"
    n = len(s.V)
    return (f"A {h}×{w} image x ({channels}) is filtered by {kernels} (stride 1, no padding) "
            f"into {maps};{' ' + act + ';' if act else ''}{pool} read "
            f"{'filter by filter, ' if s.F > 1 else ''}row by row, it feeds "
            f"{n} {outs} output{'s' if n > 1 else ''} out = f(net) with weights v and "
            f"bias{'es' if n > 1 else ''} c; the loss is {loss}.")


def _notes(s) -> list[str]:
    plus = "" if s.b is None else ", plus b" if s.F == 1 else ", plus its filter's bias"
    over = " over every channel" if s.C > 1 else ""
    notes = ["Convolution here is what PyTorch's Conv2d computes, a cross-correlation: "
             f"each entry of z is the sum of the kernel entries times the pixels under "
             f"them{over}{plus}, the kernel laid on the image as it is. Many textbooks turn "
             "the kernel half a turn first (true convolution); do not."]
    if s.F > 1 or s.C > 1:
        notes.append(_indices(s.F, s.C))
    if len(s.back) < s.F:
        notes.append(f"The way back is asked for filter 1 only, to keep the sheet short: "
                     f"filters 2 to {s.F} work the same way with their own maps."
                     if s.F > 2 else "The way back is asked for filter 1 only, to keep the "
                     "sheet short: filter 2 works the same way with its own map.")
    return notes


def _indices(F: int, C: int) -> str:
    """How a sheet of several filters or channels numbers its entries, by example."""
    if F > 1 and C > 1:
        said = ("indices read filter, channel, row, column, where they apply: K2,1,u,v is "
                "filter 2's kernel over channel 1, x1,i,j is channel 1 of the image and "
                "z2,i,j is filter 2's feature map (a and p likewise)")
    elif F > 1:
        said = ("the first index of K, z, a and p names the filter: K2,u,v is filter 2's "
                "kernel and z2,i,j its feature map")
    else:
        said = ("the first index of x and K names the channel: x2,i,j is channel 2 of the "
                "image and K2,u,v the kernel over it")
    over = (" Each filter adds over every channel; a kernel entry over channel c touches "
            "only channel c's pixels, so its gradient sums, over every position of its "
            "filter's map, ∂J/∂z there times the pixel of channel c it covered." if C > 1
            else "")
    return f"With {'several filters' if F > 1 else ''}{' and ' if F > 1 and C > 1 else ''}" \
        f"{'several channels' if C > 1 else ''}, {said}.{over}"


def _pictures(s) -> list[Picture]:
    h, w = len(s.x[0]), len(s.x[0][0])
    images = [Picture(f"The image x ({h}×{w})" if s.C == 1 else
                      f"Channel {c} of the image x ({h}×{w})", s.x[c - 1], "x",
                      (c,) if s.C > 1 else ()) for c in range(1, s.C + 1)]
    kernels = []
    for f in range(1, s.F + 1):
        for c in range(1, s.C + 1):
            whose = ("The kernel K" if s.F == 1 else f"Filter {f}'s kernel K") + (
                f" over channel {c}" if s.C > 1 else "")
            kernels.append(Picture(f"{whose} ({s.kh}×{s.kw})", s.K[f - 1][c - 1], "K",
                                   s.entry(f, c, 0, 0)[:-2]))
    return images + kernels


def _givens(s) -> list[Given]:
    V = s.V
    givens = [Given("Output layer", (tuple(
        Equation((_sym("v", j, k), Number(wk)))
        for j, row in enumerate(V, start=1) for k, wk in enumerate(row, start=1)),
        tuple(Equation((_sym("c", j), Number(s._c(j))))
              for j in range(1, len(V) + 1) if s._c(j) is not None))),
        Given("Targets", (tuple(Equation((_sym("t", j), Number(t)))
                                for j, t in enumerate(s.t, start=1)),))]
    if s.b is not None:
        biases = tuple(Equation((_sym("b", *s.filter_of(f)) if s.F > 1 else Symbol("b"),
                                 Number(s.bias(f)))) for f in range(1, s.F + 1))
        givens.insert(0, Given("Kernel bias" if s.F == 1 else "Kernel biases", (biases,)))
    return givens
