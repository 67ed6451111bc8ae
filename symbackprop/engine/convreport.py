"""A verified network on an image as plain text and as JSON, as report.py writes a dense one:
the forward pass layer by layer, each δ once (output layer first, through flatten and pooling
back to the feature maps), each gradient naming the δ's it adds, ∂J/∂x of the image, a step.

Convolution is cross-correlation, as PyTorch's Conv2d computes it (the kernel is not turned;
textbooks that define convolution with the kernel turned 180° get the same numbers with the
kernel written turned); the text says so where it starts.

>>> from symbackprop.definitions.definition import parse
>>> from symbackprop.engine.sample import instance
>>> from symbackprop.engine.convverify import run
>>> d = parse('''network: {input: {channels: 1, height: 3, width: 3}, loss: half_sse,
...   layers: [{kind: convolution, filters: 1, kernel: 2, activation: identity, bias: none},
...            {kind: max_pool, size: 2}, {kind: flatten},
...            {kind: dense, size: 1, activation: identity, bias: none}]}
... values: {image: [[[1, 2, 0], [0, 1, 0], [2, 0, 1]]], targets: [0],
...   layers: [{kernels: [[[[1, 0], [0, -1]]]]}, {}, {}, {weights: [[2]]}]}''')
>>> r = run(d, instance(d))
>>> print(gradient_text(r, 'K[1][1][1][1][1]'))
dJ/dK[1][1][1][1][1] = Σ_(i,j) dJ/dnet[1][1][i][j] · x[1][i][j] = 16
  via net[1][1][1][1]: dJ/dnet[1][1][1][1] · x[1][1][1] = 0 · 1 = 0
  via net[1][1][1][2]: dJ/dnet[1][1][1][2] · x[1][1][2] = 8 · 2 = 16
  via net[1][1][2][1]: dJ/dnet[1][1][2][1] · x[1][2][1] = 0 · 0 = 0
  via net[1][1][2][2]: dJ/dnet[1][1][2][2] · x[1][2][2] = 0 · 1 = 0
"""

from __future__ import annotations

import re

from ..definitions.layers import Convolution, Dense, Flatten, Pooling
from .convsteps import FilterBiasPaths, InputPaths, KernelPaths, PoolPaths
from .graph import name
from .printing import form as _form
from .report import _DELTAS_HEAD, LOSS_WORDS, _times, _via, _Writer, verification_text
from .steps import ActivationGradient, Chain, Factor, PathSum, Step, children
from .verify import Verified

__all__ = ["as_json", "gradient_text", "params_json", "text"]

CROSS_CORRELATION = ("convolution is cross-correlation, as PyTorch's Conv2d computes it: the "
                     "kernel slides over the input as it is, not turned 180°")
TIES = ("max pooling sends each window's gradient to its maximum; at a tie, to the first of "
        "the equal maxima in reading order (row by row, left to right), as PyTorch's CPU "
        "kernel does: it replaces its running maximum only by a strictly larger value")


def text(r: Verified, params: list[str] | None = None, steps=None) -> str:
    """The whole report: the forward pass, the δ's the asked gradients need, the gradients,
    ∂J/∂x of the image (when every gradient is asked for), and the step."""
    asked = list(params or r.grads)
    w = _ConvWriter(r)
    parts = [forward_text(r), "", _DELTAS_HEAD.replace("δ[l][j] = dJ/dnet[l][j]", "δ = dJ/dnet"),
             f"  (and dJ/dout of each pooled or flattened pixel; {TIES})"]
    parts += w.deltas(asked)
    parts += ["", "Gradients (chain rule): a kernel entry's adds its map's δ times the input "
              "under it, over every position it touched"]
    for p in asked:
        parts += w.gradient(p) + [""]
    if r.input_grads and not params:
        parts += [f"Through the image: dJ/dx, {_INPUT_RULE}"]
        for x in r.input_grads:
            parts += w.paths(r.derivation.inputs[x], f"dJ/d{x}")
        parts.append("")
    if steps is None or steps[0].optimizer.plain and len(steps) == 1:
        eta = r.instance.learning_rate
        parts += [f"After one gradient-descent step (η = {eta:g}"
                  + ("" if r.instance.update_biases else ", biases fixed") + "):"]
        parts += [f"  {p}: {r.values[p]:.9g} → {r.updated[p]:.9g}" for p in asked]
    else:
        from . import updatereport

        parts.append(updatereport.text(steps, asked))
    return "\n".join(parts + [verification_text(r) + _inputs_checked(r)])


_SLOPES = ("sigmoid", "tanh", "relu", "identity")  # general forms in out and net alone

_INPUT_RULE = ("the full convolution of δ with the kernel turned 180° (each pixel adds, over "
               "every output whose window covers it, that output's δ times the kernel entry "
               "that lay on the pixel)")


def _inputs_checked(r: Verified) -> str:
    return f"; and dJ/dx of the {len(r.input_grads):,} pixels" if r.input_grads else ""


def gradient_text(r: Verified, param: str) -> str:
    return "\n".join(_ConvWriter(r).gradient(param))


def forward_text(r: Verified) -> str:
    net = r.instance.network
    shapes, lines = net.shapes, ["Forward pass", f"  ({CROSS_CORRELATION})"]
    c, h, w = shapes[0]
    lines.append(f"Image: {c} channel{'s' if c > 1 else ''} of {h}×{w}, x[c][i][j]")
    for l, layer in enumerate(net.layers, start=1):
        lines.append(f"Layer {l}: {describe(layer, shapes[l - 1], shapes[l])}")
        lines.append(f"  {formula(net, l)}")
        for index in _positions(shapes[l]):
            o = name("out", l, *index)
            if isinstance(layer, (Convolution, Dense)):
                n = name("net", l, *index)
                lines.append(f"  {n} = {r.values[n]:.9g}    {o} = {r.values[o]:.9g}")
            else:
                lines.append(f"  {o} = {r.values[o]:.9g}")
    lines.append(f"Loss {LOSS_WORDS[net.loss]} = {r.values['J']:.9g}")
    return "\n".join(lines)


def describe(layer, before: tuple[int, ...], after: tuple[int, ...]) -> str:
    """One layer in words, with the shape it gives."""
    if isinstance(layer, Convolution):
        (kh, kw), (sh, sw), (ph, pw) = layer.kernel, layer.stride, layer.padding
        return (f"convolution, {layer.filters} filter{'s' if layer.filters > 1 else ''} of "
                f"{kh}×{kw} over {before[0]} channel{'s' if before[0] > 1 else ''}, stride "
                f"{_pair(sh, sw)}, zero padding {_pair(ph, pw)}, "
                f"{'a bias per filter' if layer.bias != 'none' else 'no bias'}, then "
                f"{ACTIVATIONS[layer.activation]}: {after[0]} map{'s' if after[0] > 1 else ''} of "
                f"{after[1]}×{after[2]}")
    if isinstance(layer, Pooling):
        (kh, kw), (sh, sw) = layer.size, layer.stride
        kind = "max" if layer.kind == "max_pool" else "average"
        return (f"{kind} pooling, windows of {kh}×{kw}, stride {_pair(sh, sw)}: "
                f"{after[0]} map{'s' if after[0] > 1 else ''} of {after[1]}×{after[2]}")
    if isinstance(layer, Flatten):
        return (f"flatten: the {before[0]}×{before[1]}×{before[2]} maps as {after[0]} "
                f"number{'s' if after[0] > 1 else ''}, channel by channel, row by row")
    bias = {"none": "no bias", "shared": "one bias shared", "per_neuron": "a bias per neuron"}
    return (f"dense, {layer.size} neuron{'s' if layer.size > 1 else ''}, {bias[layer.bias]}, "
            f"then {ACTIVATIONS[layer.activation]}")


def formula(net, l: int) -> str:
    """Layer l's equation with its own indices, stride and padding."""
    layer, src = net.layers[l - 1], "x" if l == 1 else f"out[{l - 1}]"
    if isinstance(layer, Convolution):
        (sh, sw), (ph, pw) = layer.stride, layer.padding
        bias = f" + b[{l}][f]" if layer.bias != "none" else ""
        return (f"net[{l}][f][i][j] = Σ_c Σ_u Σ_v K[{l}][f][c][u][v] · {src}[c]"
                f"[{_letters('i', 'u', sh, ph)}][{_letters('j', 'v', sw, pw)}]{bias}"
                + (" (a pixel in the padding is 0: its term is left out)" if ph or pw else "")
                + f"; out[{l}][f][i][j] = {_applied(layer.activation, f'net[{l}][f][i][j]')}")
    if isinstance(layer, Pooling):
        (kh, kw), (sh, sw) = layer.size, layer.stride
        what = "max" if layer.kind == "max_pool" else f"(1/{kh * kw})·Σ"
        return (f"out[{l}][c][i][j] = {what} over 1 ≤ u ≤ {kh}, 1 ≤ v ≤ {kw} of {src}[c]"
                f"[{_letters('i', 'u', sh, 0)}][{_letters('j', 'v', sw, 0)}]")
    if isinstance(layer, Flatten):
        _, h, w = net.shapes[l - 1]
        if h * w == 1:  # one pixel a map: k is the map's number
            return f"out[{l}][c] = {src}[c][1][1]"
        row = "(i−1)" if w == 1 else f"(i−1)·{w}"
        return f"out[{l}][(c−1)·{h * w} + {row} + j] = {src}[c][i][j]"
    bias = "" if layer.bias == "none" else f" + b[{l}]" + ("" if layer.bias == "shared"
                                                             else "[j]")
    return (f"net[{l}][j] = Σ_k W[{l}][j][k] · {src}[k]{bias}; out[{l}][j] = "
            + _applied(layer.activation, f"net[{l}][j]"))


ACTIVATIONS = {"relu": "ReLU", "sigmoid": "the sigmoid σ", "tanh": "tanh",
               "identity": "the identity", "softmax": "softmax"}


def _applied(activation: str, net: str) -> str:
    """An activation of `net` as a formula: max(0, net), σ(net), net itself."""
    return {"relu": f"max(0, {net})", "sigmoid": f"σ({net})", "tanh": f"tanh({net})",
            "identity": net, "softmax": f"e^{net} / Σ_k e^{net.rsplit('[', 1)[0]}[k]"}.get(
        activation, f"{activation}({net})")


def _letters(i: str, u: str, stride: int, padding: int) -> str:
    """s(i − 1) + u − p, written small: i+u−1 for stride 1 and no padding."""
    head = i if stride == 1 else f"{stride}{i}"
    constant = -stride - padding
    return f"{head}+{u}" + (f"{constant:+d}".replace("-", "−") if constant else "")


def _pair(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}×{b}"


def _positions(shape):
    from itertools import product

    return product(*(range(1, n + 1) for n in shape))


class _ConvWriter(_Writer):
    def __init__(self, r: Verified):
        super().__init__(r, "matrix")
        self.net = r.instance.network

    def deltas(self, params: list[str]) -> list[str]:
        """Each δ, and each pooled or flattened pixel's dJ/dout, the gradients need, output
        layer first (a feature map's or a dense layer's dJ/dout is written inside its δ)."""
        derived = self.r.derivation
        if set(params) == derived.grads.keys():  # every one of them: no walk needed
            found = set(derived.deltas) | {k for k in derived.out_grads if k.startswith(
                "dJ/dout") and isinstance(self.net.layers[_layer(k) - 1], (Pooling, Flatten))}
        else:
            found = self._needed([derived.grads[p] for p in params])
        keys = sorted(found, key=lambda k: (-_layer(k), _indices(k)))
        lines = []
        for key in keys:
            if key.startswith("dJ/dnet"):
                lines += self.delta(self.r.derivation.deltas[key])
            else:
                lines += self.paths(self.r.derivation.out_grads[key], key)
        return lines

    def _needed(self, roots) -> set[str]:
        found: set[str] = set()
        seen: set[int] = set()
        stack = list(roots)
        while stack:
            s = stack.pop()
            if id(s) in seen:
                continue
            seen.add(id(s))
            if s.target.startswith("dJ/dnet[") or (
                    s.target.startswith("dJ/dout[") and " via " not in s.target
                    and isinstance(self.net.layers[_layer(s.target) - 1], (Pooling, Flatten))):
                found.add(s.target)
            stack += [c for c in children(s) if not isinstance(c, Factor)
                      or c.target.startswith("dJ/dnet[")]
        return found

    def delta(self, step: Step) -> list[str]:
        if isinstance(step, Factor):  # softmax with cross-entropy: δ in one rule
            return [self.factor(step, "")]
        upstream, dout = step.factors
        lines = [f"{step.target} = {upstream.target} · {dout.target}"]
        if isinstance(upstream, Factor):
            lines.append(self.factor(upstream, "  "))
        else:
            lines += self.paths(upstream, upstream.target, "  ")
        return lines + [self.factor(dout, "  "), f"  = {self.value(step)}"]

    def paths(self, step: Step, head: str, indent: str = "") -> list[str]:
        """A sum of paths with its rule, each path on its line; a chain through flatten."""
        if isinstance(step, Chain):  # through flatten: one path, its factor 1
            before, moved = step.factors
            return [f"{indent}{head} = {before.target} · {moved.target} = "
                    f"{_times(self.exact.value(before))} · 1 = {self.value(step)}"]
        if not step.terms:
            return [f"{indent}{head} = 0 ({_none(step)})"]
        return ([f"{indent}{head} = {self._rule(step)} = {self.value(step)}"]
                + [f"{indent}  via {_via(t.target)}: {self.term(t)}" for t in step.terms])

    def factor(self, f: Factor, indent: str) -> str:
        """As report's, an activation's slope written from its general form with this
        pixel's names put in (what SymPy prints, without printing thousands of forms)."""
        if not isinstance(f, ActivationGradient) or f.rule not in _SLOPES:
            return super().factor(f, indent)
        general = _form(f.general)
        local = re.sub(r"\bout\b", f.of, re.sub(r"\bnet\b", f.wrt, general))
        forms = [general] + ([local] if local != general else []) + [self.value(f)]
        if forms[-1] == forms[-2]:
            forms.pop()
        if f.rule == "relu":
            forms[-1] += f" ({f.wrt} {'>' if self.exact.value(f) else '<'} 0)"
        return f"{indent}{f.target} = " + " = ".join(forms)

    def term(self, term: Chain) -> str:
        before, factor = term.factors
        if factor.rule == "max_pool":
            first = self.exact.value(factor) == 1
            return (f"{before.target} · {1 if first else 0} = "
                    f"{_times(self.exact.value(before))} · {1 if first else 0} = "
                    f"{self.value(term)} ({'' if first else 'not '}its window's first "
                    "maximum)")
        return super().term(term)

    def gradient(self, param: str) -> list[str]:
        step = self.r.derivation.grads[param]
        if isinstance(step, (KernelPaths, FilterBiasPaths)):
            return self.paths(step, f"dJ/d{param}")
        return super().gradient(param)

    def _back_through_kernel(self, target: str) -> str:
        """dJ/d(input pixel c, r, s) as its sum over the outputs whose window covers it."""
        *layer, c, r, s = _indices(target)
        l = layer[0] + 1 if layer else 1
        conv = self.net.layers[l - 1]
        (sh, sw), (ph, pw) = conv.stride, conv.padding
        f, over = ("f", "Σ_f ") if conv.filters > 1 else ("1", "")
        return (f"{over}Σ_(i,j) dJ/dnet[{l}][{f}][i][j] · K[{l}][{f}][{c}]"
                f"[{_kernel_row(r, 'i', sh, ph)}][{_kernel_row(s, 'j', sw, pw)}], over the "
                "(i, j) whose window covers it")

    def _rule(self, step: PathSum) -> str:
        """A sum written with its running indices."""
        if isinstance(step, KernelPaths):
            l, f, c, u, v = _indices(step.target)
            layer = self.net.layers[l - 1]
            (sh, sw), (ph, pw) = layer.stride, layer.padding
            src = f"x[{c}]" if l == 1 else f"out[{l - 1}][{c}]"
            return (f"Σ_(i,j) dJ/dnet[{l}][{f}][i][j] · {src}[{_shifted('i', sh, u - ph)}]"
                    f"[{_shifted('j', sw, v - pw)}]")
        if isinstance(step, FilterBiasPaths):
            l, f = _indices(step.target)[:2]
            return f"Σ_(i,j) dJ/dnet[{l}][{f}][i][j]"
        if isinstance(step, InputPaths):
            return self._back_through_kernel(step.target)
        if isinstance(step, PoolPaths):
            *layer, c, r, s = _indices(step.target)
            l = layer[0] + 1 if layer else 1
            pixel = step.target.removeprefix("dJ/d")
            return (f"Σ_(i,j) dJ/dout[{l}][{c}][i][j] · dout[{l}][{c}][i][j]/d{pixel}, over "
                    "the windows (i, j) that hold it")
        l = _layer(step.terms[0].factors[0].target)
        return f"Σ_i dJ/dnet[{l}][i] · W[{l}][i][{_indices(step.target)[-1]}]"


def _kernel_row(r: int, i: str, stride: int, padding: int) -> str:
    """The kernel row on input row r from output row i: r − s(i − 1) + p, written small."""
    head = r + stride + padding
    return f"{head}−{i}" if stride == 1 else f"{head}−{stride}{i}"


def _shifted(i: str, stride: int, offset: int) -> str:
    """The input row s(i − 1) + offset under output row i, written small (i+1, 2i−1)."""
    head, constant = (i if stride == 1 else f"{stride}{i}"), offset - stride
    return head + (f"{constant:+d}".replace("-", "−") if constant else "")


def _none(step: PathSum) -> str:
    if isinstance(step, KernelPaths):
        return "this kernel entry lies on the padding at every position"
    if isinstance(step, PoolPaths):
        return "no pooling window holds this pixel"
    return "no path reaches J"


def _layer(key: str) -> int:
    return _indices(key)[0]


def _indices(key: str) -> list[int]:
    return [int(i) for i in re.findall(r"\[(\d+)\]", key.split(" via ")[0])]


# --- JSON -------------------------------------------------------------------------------

def as_json(r: Verified, steps=None) -> dict:
    """The loss, the outputs, each layer's net and out (nested lists in the shape of its
    maps), each layer's δ (dJ/dnet; dJ/dout of pooling and flatten), dJ/dx of the image,
    every gradient and the parameters after one step, and how it was verified."""
    from .exact import Exact

    net, exact = r.instance.network, Exact(r)
    shapes, deltas, layers = net.shapes, [], []
    derived = r.derivation
    for l, layer in enumerate(net.layers, start=1):
        entry = {"kind": layer.kind}
        if isinstance(layer, (Convolution, Dense)):
            entry["net"] = _nested(shapes[l], lambda i, l=l: r.values[name("net", l, *i)])
            deltas.append(_nested(shapes[l], lambda i, l=l: exact.value(
                derived.deltas[f"dJ/d{name('net', l, *i)}"])))
        else:
            deltas.append(_nested(shapes[l], lambda i, l=l: _out_grad(derived, exact, l, i)))
        entry["out"] = _nested(shapes[l], lambda i, l=l: r.values[name("out", l, *i)])
        layers.append(entry)
    grads = {p: exact.value(s) for p, s in derived.grads.items()}
    result = {
        "loss": r.values["J"], "outputs": layers[-1]["out"], "layers": layers,
        "deltas": deltas,
        "input_grad": None if not r.input_grads else _nested(
            shapes[0], lambda i: exact.value(derived.inputs[name("x", *i)])),
        "grad": params_json(grads, net), "update": params_json(r.updated, net),
        "conventions": {"convolution": "cross-correlation, as torch.nn.Conv2d (the kernel is "
                                       "not turned)",
                        "max_pool_ties": "the first maximum in reading order, as PyTorch"},
        "verification": {"numpy_max_abs_diff": r.numpy_max_abs_diff,
                         "finite_difference_max_rel_err": r.fd_max_rel_err,
                         "finite_differences": r.finite_differences.as_json()},
    }
    if steps is not None and not (steps[0].optimizer.plain and len(steps) == 1):
        from . import updatereport

        result["update"] = params_json(steps[0].new, net)
        result["optimizer"] = updatereport.as_json(steps, lambda v: params_json(v, net))
    return result


def _out_grad(derived, exact, l: int, index) -> float | None:
    step = derived.out_grads.get(f"dJ/d{name('out', l, *index)}")
    return None if step is None else exact.value(step)


def _nested(shape: tuple[int, ...], value, prefix=()):
    if len(prefix) == len(shape):
        return value(prefix)
    return [_nested(shape, value, prefix + (i,)) for i in range(1, shape[len(prefix)] + 1)]


def params_json(by_name: dict[str, float], net) -> list:
    """Values by parameter name into one entry per layer: {"K", "b"} for a convolution,
    {"W", "b"} for a dense layer (b null without biases), null for pooling and flatten; a
    parameter not in `by_name` is null."""
    shapes, out = net.shapes, []
    for l, layer in enumerate(net.layers, start=1):
        if isinstance(layer, Convolution):
            kernel = (layer.filters, shapes[l - 1][0]) + layer.kernel
            entry = {"K": _nested(kernel, lambda i, l=l: by_name.get(name("K", l, *i)))}
            entry["b"] = None if layer.bias == "none" else [
                by_name.get(name("b", l, f)) for f in range(1, layer.filters + 1)]
        elif isinstance(layer, Dense):
            entry = {"W": _nested((layer.size, shapes[l - 1][0]),
                                  lambda i, l=l: by_name.get(name("W", l, *i)))}
            entry["b"] = None if layer.bias == "none" else [by_name.get(name("b", l))] \
                if layer.bias == "shared" else [by_name.get(name("b", l, j))
                                                for j in range(1, layer.size + 1)]
        else:
            entry = None
        out.append(entry)
    return out

