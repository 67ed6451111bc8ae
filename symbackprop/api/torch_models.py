"""`symbackprop.from_torch` and `symbackprop.compare_torch` for every model they read: an
nn.Sequential of nn.Linear layers goes to torch_bridge as it always has; one with nn.Conv2d,
nn.MaxPool2d, nn.AvgPool2d or nn.Flatten is read here, as a network on an image.

A model on an image reads one image, `inputs` of shape (channels, height, width) (or with a
batch of one in front); its modules are Conv2d (zero padding, no dilation or groups), then
optionally an activation (Sigmoid, Tanh, ReLU, Identity); MaxPool2d and AvgPool2d (no padding,
dilation or ceil mode); Flatten (its defaults: everything after the batch); Linear, each
optionally followed by an activation, and a final Softmax. Anything else is refused naming
the module. PyTorch is imported only when these are called.
"""

from __future__ import annotations

import copy
import re

from ..definitions.errors import DefinitionError
from . import torch_bridge, torch_compare
from .torch_bridge import SOURCE, _torch
from .torch_compare import Comparison

_MAP_ACTIVATIONS = {"Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu", "Identity": "identity"}
_HINT = ("use nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.Flatten and nn.Linear, each Conv2d and "
         "Linear followed by nn.Sigmoid, nn.Tanh, nn.ReLU, nn.Identity or nothing, and "
         "nn.Softmax only at the end")


def from_torch(model, inputs, targets, loss: str = "cross_entropy",
               learning_rate: float = 0.5, title: str = "A PyTorch model",
               reduction: str = "mean"):
    """The definition of `model` on one example (see torch_bridge.from_torch for dense
    models, their batches and the losses; a model on an image reads one image, so
    `reduction` changes nothing)."""
    if not _on_an_image(model):
        return torch_bridge.from_torch(model, inputs, targets, loss, learning_rate, title,
                                       reduction)
    if reduction not in torch_bridge.REDUCTIONS:
        raise DefinitionError(SOURCE, "reduction", f"must be mean or sum, got {reduction!r}")
    from ..definitions.definition import Definition

    layers, specs = _read(model)
    engine_loss = _loss(specs, loss)
    x, shape = _image(inputs)
    spec = {"title": title, "learning_rate": learning_rate,
            "network": {"input": dict(zip(("channels", "height", "width"), shape)),
                        "layers": specs, "loss": engine_loss}}
    shapes = _within_bounds(spec)  # from the image's shape and the modules': nothing read yet
    _fits(model, layers, shapes)
    spec["values"] = {"image": x.detach().double().tolist(), "targets": None, "layers": [
        _numbers(module) for module in layers]}
    defn = Definition.from_dict(spec, source=SOURCE)  # checks the shapes before the targets
    # a class index (cross_entropy), as CrossEntropyLoss takes it, made one-hot as for dense
    spec["values"]["targets"] = torch_bridge._targets(targets, defn.network.shapes[-1][0], 1,
                                                      engine_loss)[0]
    return Definition.from_dict(spec, source=SOURCE)


def _on_an_image(model) -> bool:
    torch = _torch()
    kinds = (torch.nn.Conv2d, torch.nn.MaxPool2d, torch.nn.AvgPool2d, torch.nn.Flatten)
    return isinstance(model, torch.nn.Sequential) and any(isinstance(m, kinds) for m in model)


def _read(model):
    """(the module with numbers, or None) and the layer's definition, for each layer."""
    torch = _torch()
    torch_bridge.plain_model(model, torch)
    nn, layers, specs = torch.nn, [], []
    modules = list(model)
    for i, m in enumerate(modules):
        kind, where = type(m).__name__, f"model[{i}]"
        if not type(m).__module__.startswith("torch.nn"):
            raise DefinitionError(SOURCE, where, f"{kind} is not supported; {_HINT}")
        if isinstance(m, nn.Conv2d):
            torch_bridge._readable(i, m, torch, nn.Conv2d, _HINT)
            _plain_conv(m, where)
            layers.append(m)
            specs.append({"kind": "convolution", "filters": m.out_channels,
                          "kernel": list(m.kernel_size), "stride": list(m.stride),
                          "padding": [0, 0] if m.padding == "valid" else list(m.padding),
                          "bias": "per_filter" if m.bias is not None else "none",
                          "activation": "identity"})
        elif isinstance(m, nn.Linear):
            torch_bridge._readable(i, m, torch, nn.Linear, _HINT)
            layers.append(m)
            specs.append({"kind": "dense", "size": m.out_features, "activation": "identity",
                          "bias": "per_neuron" if m.bias is not None else "none"})
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            _plain_pool(m, where)
            layers.append(None)
            specs.append({"kind": "max_pool" if isinstance(m, nn.MaxPool2d) else "average_pool",
                          "size": _pair(m.kernel_size), "stride": _pair(m.stride)})
        elif isinstance(m, nn.Flatten):
            if (m.start_dim, m.end_dim) != (1, -1):
                raise DefinitionError(SOURCE, where, "nn.Flatten must keep its defaults "
                                      "(start_dim=1, end_dim=-1): everything after the batch")
            layers.append(None)
            specs.append({"kind": "flatten"})
        elif kind in _MAP_ACTIVATIONS or kind == "Softmax":
            before = modules[i - 1] if i else None
            if not isinstance(before, (nn.Conv2d, nn.Linear)):
                raise DefinitionError(SOURCE, where, f"{kind} must follow an nn.Conv2d or "
                                      f"nn.Linear directly; {_HINT}")
            if kind == "Softmax" and (i != len(modules) - 1 or m.dim not in (-1, 1)
                                      or not isinstance(before, nn.Linear)):
                raise DefinitionError(SOURCE, where, "nn.Softmax must be the last module, "
                                      "after an nn.Linear, over the last dimension (dim=-1)")
            specs[-1]["activation"] = _MAP_ACTIVATIONS.get(kind, "softmax")
        else:
            raise DefinitionError(SOURCE, where, f"{kind} is not supported; {_HINT}")
    if not specs or specs[-1]["kind"] != "dense":
        raise DefinitionError(SOURCE, "model", f"must end with an nn.Linear (its outputs are "
                              f"what the loss compares with the targets); {_HINT}")
    return layers, specs


def _plain_conv(m, where: str) -> None:
    if isinstance(m.padding, str) and m.padding != "valid":
        raise DefinitionError(SOURCE, where, f"padding='{m.padding}' is not supported: give "
                              "the padding as numbers")
    for name, value, default in (("dilation", m.dilation, (1, 1)), ("groups", m.groups, 1),
                                 ("padding_mode", m.padding_mode, "zeros")):
        if value != default:
            raise DefinitionError(SOURCE, where, f"nn.Conv2d with {name}={value!r} is not "
                                  f"supported (only {name}={default!r})")


def _plain_pool(m, where: str) -> None:
    kind = type(m).__name__
    checks = [("padding", _pair(m.padding), [0, 0]), ("ceil_mode", m.ceil_mode, False)]
    if kind == "MaxPool2d":
        checks += [("dilation", _pair(m.dilation), [1, 1]),
                   ("return_indices", m.return_indices, False)]
    else:
        checks.append(("divisor_override", m.divisor_override, None))
    for name, value, default in checks:
        if value != default:
            raise DefinitionError(SOURCE, where, f"nn.{kind} with {name}={value!r} is not "
                                  "supported")


def _pair(value) -> list[int]:
    return list(value) if isinstance(value, (tuple, list)) else [value, value]


def _loss(specs: list[dict], loss: str) -> str:
    """The engine's loss, and the output layer's activation as the loss reads it (a
    CrossEntropyLoss on the last Linear's logits is a softmax output with cross-entropy)."""
    if loss not in torch_bridge.LOSSES:
        raise DefinitionError(SOURCE, "loss", f"must be one of "
                              f"{', '.join(torch_bridge.LOSSES)}, got {loss!r}")
    last = specs[-1]
    if loss == "cross_entropy":
        if last["activation"] not in ("identity", "softmax"):
            raise DefinitionError(SOURCE, "loss", "cross_entropy needs the last Linear's "
                                  "logits (CrossEntropyLoss) or a final nn.Softmax, not "
                                  f"{last['activation']}")
        last["activation"] = "softmax"
    elif last["activation"] == "softmax":
        raise DefinitionError(SOURCE, "loss", "a final nn.Softmax goes with cross_entropy only")
    if loss == "bce" and (last["activation"] != "sigmoid" or last["size"] != 1):
        raise DefinitionError(SOURCE, "loss", "bce needs one output after a final nn.Sigmoid "
                              "(BCELoss averages over outputs, the engine sums)")
    return torch_bridge.LOSSES[loss]


def _image(inputs):
    """The image as a tensor of real numbers, and its (channels, height, width); none of its
    numbers is read here, so that the bounds are judged from the shape alone."""
    torch = _torch()
    x = inputs if isinstance(inputs, torch.Tensor) else torch.as_tensor(inputs)
    if x.dim() == 4 and x.shape[0] == 1:
        x = x[0]
    if x.dim() != 3:
        raise DefinitionError(SOURCE, "inputs", "must be one image, (channels, height, "
                              f"width), got a tensor of shape {tuple(x.shape)}")
    if x.is_meta:
        raise DefinitionError(SOURCE, "inputs", "is on the meta device, which holds no numbers")
    if x.is_complex():
        raise DefinitionError(SOURCE, "inputs", "must be real numbers, not complex")
    return x, tuple(int(n) for n in x.shape)


def _within_bounds(spec: dict) -> tuple:
    """The definition's bounds, from the shapes alone, before any weight is read; the shape
    each layer reads and gives."""
    from ..definitions.definition import Definition

    return Definition.from_dict({k: v for k, v in spec.items() if k != "values"},
                                source=SOURCE).network.shapes


def _fits(model, layers, shapes) -> None:
    """Each Conv2d and Linear takes what the layer before it gives."""
    torch = _torch()
    where = [i for i, m in enumerate(model) if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear,
                                                            torch.nn.MaxPool2d, torch.nn.AvgPool2d,
                                                            torch.nn.Flatten))]
    for l, (i, m) in enumerate(zip(where, layers)):
        if m is None:
            continue
        takes = m.in_channels if isinstance(m, torch.nn.Conv2d) else m.in_features
        what = "channels" if isinstance(m, torch.nn.Conv2d) else "inputs"
        if takes != shapes[l][0]:
            raise DefinitionError(SOURCE, f"model[{i}]", f"takes {takes} {what} but the layer "
                                  f"before gives {shapes[l][0]}")


def _numbers(module) -> dict:
    if module is None:
        return {}
    name = "kernels" if module.weight.dim() == 4 else "weights"
    out = {name: module.weight.detach().double().tolist()}
    if module.bias is not None:
        out["biases"] = module.bias.detach().double().tolist()
    return out


# --- side by side ----------------------------------------------------------------------

def compare_torch(model, inputs, targets, loss: str = "cross_entropy",
                  weight: str | None = None) -> Comparison:
    """Autograd (float64) and symbackprop on the same numbers; `weight` (a canonical name,
    default the first parameter) is shown path by path or factor by factor."""
    if not _on_an_image(model):
        return torch_compare.compare_torch(model, inputs, targets, loss, weight)
    from .functions import derive

    result = derive(from_torch(model, inputs, targets, loss))
    weight = result.canonical(weight or next(iter(result.grad)))
    torch = _torch()
    # on its own float64 copy, differentiable whatever the caller's mode (no_grad, a frozen
    # model, inference_mode), as torch_compare.compare_torch
    with torch.inference_mode(False), torch.enable_grad():
        run = _Autograd(model, result, loss)
        gradients = tuple((p, g, run.grad(p)) for p, g in result.grad.items())
        chain = tuple((n, v, run.part(n)) for n, v in result.derivation(weight).factors)
    return Comparison((result.loss, run.loss), gradients, weight, chain)


class _Autograd:
    """One forward and backward pass of the model in float64, on a batch of one, every layer's
    net and out kept with its gradient."""

    def __init__(self, model, result, loss: str):
        torch = _torch()
        self.torch, self.result = torch, result
        with torch.no_grad():  # a fresh float64 copy, requiring gradients (even if frozen)
            self.model = copy.deepcopy(model).double()
            for module in self.model.modules():
                for name, p in list(module.named_parameters(recurse=False)):
                    setattr(module, name, torch.nn.Parameter(p.detach().clone()))
        net, values = result.definition.network, result.verified.values
        c, h, w = net.shapes[0]
        self.x = torch.tensor([[[values[f"x[{k}][{i}][{j}]"] for j in range(1, w + 1)]
                                for i in range(1, h + 1)] for k in range(1, c + 1)],
                              dtype=torch.float64, requires_grad=True)
        t = torch.tensor([[values[f"t[{j}]"] for j in range(1, net.shapes[-1][0] + 1)]],
                         dtype=torch.float64)
        self.modules, self.nets, self.outs = [], {}, {0: self.x[None]}
        a, l = self.x[None], 0
        for m in self.model:
            a = m(a)
            kind = type(m).__name__
            if kind not in _MAP_ACTIVATIONS and kind != "Softmax":  # a layer of its own
                l += 1
                self.modules.append(m if kind in ("Conv2d", "Linear") else None)
                if kind in ("Conv2d", "Linear"):
                    self.nets[l] = a
            a.retain_grad()
            self.outs[l] = a
        ends = "softmax" if type(list(self.model)[-1]).__name__ == "Softmax" else "identity"
        J = torch_compare.torch_loss(torch, loss, ends, self.nets[l], a, t)
        J.backward(retain_graph=True)
        self.loss = J.item()

    def grad(self, name: str) -> float:
        idx = [int(i) - 1 for i in re.findall(r"\d+", name)]
        module = self.modules[idx[0]]
        if name[0] in "KW":
            return module.weight.grad[tuple(idx[1:])].item()
        return module.bias.grad[idx[1] if len(idx) > 1 else 0].item()

    def part(self, target: str) -> float:
        """A path of a kernel entry's or bias's sum, autograd's δ of that net times what the
        parameter multiplies there (torch's value of it); or a factor of a chain, dJ/dnet by
        autograd's gradient, d(net)/d(parameter) and d(out)/d(net) by torch.autograd.grad."""
        head, _, via = target.partition(" via ")
        top, bottom = head[1:].split("/d", 1)
        if via:
            step = self.result.verified.derivation.grads[bottom]
            term = next(t for t in step.terms if t.target == target)
            under = term.factors[1]
            multiplies = 1.0 if under.expr.is_number else self._value(under.expr.name)
            return self._element(via, grad=True) * multiplies
        if top == "J":
            return self._element(bottom, grad=True)
        element = self._element(top)
        leaf, index = self._leaf(bottom)
        g = self.torch.autograd.grad(element, leaf, retain_graph=True, allow_unused=True)[0]
        return 0.0 if g is None else g[index].item()

    def _element(self, name: str, grad: bool = False):
        idx = [int(i) - 1 for i in re.findall(r"\d+", name)]
        tensor = (self.nets if name.startswith("net") else self.outs)[idx[0] + 1]
        if grad:
            return tensor.grad[0][tuple(idx[1:])].item()
        return tensor[0][tuple(idx[1:])]

    def _value(self, name: str) -> float:
        if name.startswith("x"):
            return self.x[tuple(int(i) - 1 for i in re.findall(r"\d+", name))].item()
        return self._element(name).item()

    def _leaf(self, name: str):
        idx = [int(i) - 1 for i in re.findall(r"\d+", name)]
        if name[0] in "KWb":
            module = self.modules[idx[0]]
            if name[0] == "b":
                return module.bias, (idx[1] if len(idx) > 1 else 0)
            return module.weight, tuple(idx[1:])
        tensor = (self.nets if name.startswith("net") else self.outs)[idx[0] + 1]
        return tensor, (0,) + tuple(idx[1:])
