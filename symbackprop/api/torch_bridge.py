"""A small PyTorch model, explained: `from_torch` reads an `nn.Sequential` of `nn.Linear` layers
into a definition, and `compare_torch` puts PyTorch's autograd beside symbackprop's derivation,
factor by factor. PyTorch is optional (`pip install symbackprop[torch]`): it is imported only
here, only when these are called.

Losses, by the name given as `loss` (what PyTorch computes on one example, as the engine names
it):
- "cross_entropy": `nn.CrossEntropyLoss` on the last Linear's logits (engine: softmax output
  with cross_entropy), or −Σ t·log(out) after a final `nn.Softmax` (the same definition);
- "mse": `nn.MSELoss` (mean over the outputs; engine: mse);
- "bce": `nn.BCELoss` after a final `nn.Sigmoid`, one output (engine: binary_cross_entropy;
  with more outputs PyTorch's mean and the engine's sum differ, so that is refused);
- "half_sse", "sse": ½Σ(t − out)² and Σ(t − out)², written out in PyTorch.

Targets for "cross_entropy" may be class indices, as `CrossEntropyLoss` takes them (an integer
tensor, or a Python int, one a example): they are made one-hot. Inputs of shape (E, n), E > 1,
are a batch (`values.examples`), its loss PyTorch's `reduction`: "mean" (PyTorch's default: the
mean over examples, and for MSELoss over outputs too) or "sum" (MSELoss's sum of squares is the
engine's sse, summed over the examples).
"""

from __future__ import annotations

import numbers

from ..definitions.errors import DefinitionError

SOURCE = "from_torch"
LOSSES = {"cross_entropy": "cross_entropy", "mse": "mse", "bce": "binary_cross_entropy",
          "half_sse": "half_sse", "sse": "sse"}
_ACTIVATIONS = {"Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu", "Identity": "identity",
                "Softmax": "softmax"}
_HINT = "use nn.Linear layers, each followed by nn.Sigmoid, nn.Tanh, nn.ReLU, nn.Identity " \
        "or nothing, and nn.Softmax only at the end"


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("PyTorch is not installed: pip install 'symbackprop[torch]'") from None
    return torch


def _layers(model) -> list[tuple[int, object, str]]:
    """(index in the model, the Linear, its activation) for each layer of an nn.Sequential."""
    torch = _torch()
    if not isinstance(model, torch.nn.Sequential):
        raise DefinitionError(SOURCE, "model", f"must be an nn.Sequential, got "
                              f"{type(model).__name__}")
    plain_model(model, torch)
    modules = list(model)
    layers = []
    for i, m in enumerate(modules):
        kind = type(m).__name__
        if isinstance(m, torch.nn.Linear):
            layers.append([i, m, "identity"])
        elif kind in _ACTIVATIONS and type(m).__module__.startswith("torch.nn"):
            if not layers or layers[-1][2] != "identity" or (
                    i > 0 and not isinstance(modules[i - 1], torch.nn.Linear)):
                raise DefinitionError(SOURCE, f"model[{i}]", f"{kind} must follow an nn.Linear "
                                      f"directly; {_HINT}")
            if kind == "Softmax" and (i != len(modules) - 1 or m.dim not in (-1, 1)):
                raise DefinitionError(SOURCE, f"model[{i}]", "nn.Softmax must be the last "
                                      "module, over the last dimension (dim=-1)")
            layers[-1][2] = _ACTIVATIONS[kind]
        else:
            raise DefinitionError(SOURCE, f"model[{i}]", f"{kind} is not supported; {_HINT}")
    if not layers:
        raise DefinitionError(SOURCE, "model", f"has no nn.Linear layer; {_HINT}")
    for (i, a, _), (j, b, _) in zip(layers, layers[1:]):
        if b.in_features != a.out_features:
            raise DefinitionError(SOURCE, f"model[{j}]", f"takes {b.in_features} inputs but "
                                  f"model[{i}] gives {a.out_features}")
    for i, m, _ in layers:  # a lazy module has no sizes: it is refused before they are read
        if isinstance(m.weight, torch.nn.parameter.UninitializedParameter):
            _readable(i, m, torch)
    _within_bounds(layers)  # from the shapes alone, before any number is read
    for i, m, _ in layers:
        _readable(i, m, torch)
    return [tuple(layer) for layer in layers]


def plain_model(model, torch) -> None:
    """A model that computes what its modules say: no hook changes a module's input, output
    or gradient (model(x) would differ from what is read), and no module or parameter is used
    twice (the engine's layers each have their own weights)."""
    from torch.nn.modules import module as torch_module

    if type(model).forward is not torch.nn.Sequential.forward or \
            type(model).__call__ is not torch.nn.Sequential.__call__:
        raise DefinitionError(SOURCE, "model", f"{type(model).__name__} is a kind of "
                              "nn.Sequential that may compute something else (its own forward); "
                              "read here are its modules, one after another: use nn.Sequential")
    hooks = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
    if any(getattr(torch_module, f"_global{h}", None) for h in hooks):
        raise DefinitionError(SOURCE, "model", "a global module hook is registered "
                              "(register_module_forward_hook and the like), which changes what "
                              "the model computes; remove it")
    named = [("model", model)] + [(f"model[{i}]", m) for i, m in enumerate(model)]
    seen: dict[int, str] = {}
    for where, m in named:
        if isinstance(m, torch.nn.modules.lazy.LazyModuleMixin) and \
                m.has_uninitialized_params():  # its hook makes the weights: say that instead
            raise DefinitionError(SOURCE, where, "its weights are not made yet (a lazy "
                                  "module): run the model once, or give the module its sizes")
        if any(getattr(m, h, None) for h in hooks):
            raise DefinitionError(SOURCE, where, "has a hook (register_forward_hook or the "
                                  "like), which changes what the model computes; remove it")
        if where != "model" and id(m) in seen:
            raise DefinitionError(SOURCE, where, f"is {seen[id(m)]} again: a module used twice "
                                  "shares its weights, and each layer here has its own")
        seen[id(m)] = where
        for name, tensor in m.named_parameters(recurse=where != "model"):
            if getattr(tensor, "_backward_hooks", None):
                raise DefinitionError(SOURCE, f"{where}.{name}", "has a gradient hook "
                                      "(register_hook), which changes its gradient; remove it")
            if where != "model" and id(tensor) in seen:
                raise DefinitionError(SOURCE, f"{where}.{name}", f"is {seen[id(tensor)]} again: "
                                      "weights shared between layers are not explained here")
            seen[id(tensor)] = f"{where}.{name}"


def _readable(i: int, m, torch, kind=None, hint: str = _HINT) -> None:
    """A Linear (or `kind`, such as nn.Conv2d) whose weights are real numbers that can be
    read: not a subclass that may compute something else, not lazy, not on the meta device,
    not complex. Judged from the tensors' dtype and device: no number is read."""
    kind = kind or torch.nn.Linear
    where = f"model[{i}]"
    weight = m.weight
    if isinstance(weight, torch.nn.parameter.UninitializedParameter):
        raise DefinitionError(SOURCE, where, "its weights are not made yet (a lazy module): run "
                              f"the model once, or use nn.{kind.__name__} with its sizes")
    if type(m) is not kind:
        raise DefinitionError(SOURCE, where, f"{type(m).__name__} is a kind of "
                              f"nn.{kind.__name__} that may compute something else; {hint}")
    for name, tensor in (("weight", weight), ("bias", m.bias)):
        if tensor is None:
            continue
        if tensor.is_meta:
            raise DefinitionError(SOURCE, where, f"its {name} is on the meta device, which "
                                  "holds no numbers")
        _dense(tensor, f"{where}.{name}")
        if not tensor.is_floating_point():
            raise DefinitionError(SOURCE, where, f"its {name} is {tensor.dtype}, not real "
                                  "numbers (float16, float32 or float64)")


def _within_bounds(layers) -> None:
    """The definition's bounds, judged from the shapes alone: a model too big to explain is
    refused before a single weight is read (nn.Linear(8000, 8000) holds 64 million)."""
    from ..definitions.definition import MAX_LAYER_SIZE, MAX_LAYERS, MAX_PARAMETERS

    if len(layers) > MAX_LAYERS:
        raise DefinitionError(SOURCE, "model", f"has {len(layers)} nn.Linear layers; at most "
                              f"{MAX_LAYERS} are explained")
    for i, m, _ in layers:
        if max(m.in_features, m.out_features) > MAX_LAYER_SIZE:
            raise DefinitionError(SOURCE, f"model[{i}]", f"nn.Linear({m.in_features}, "
                                  f"{m.out_features}) has more than {MAX_LAYER_SIZE:,} "
                                  "neurons on a side; a layer has at most that many")
    count = sum(m.weight.numel() + (m.bias.numel() if m.bias is not None else 0)
                for _, m, _ in layers)
    if count > MAX_PARAMETERS:
        raise DefinitionError(SOURCE, "model", f"has {count:,} weights and biases; at most "
                              f"{MAX_PARAMETERS:,} are explained")


def _loss_and_output(layers, loss: str) -> tuple[str, list[str]]:
    acts = [a for _, _, a in layers]
    if not isinstance(loss, str):
        raise TypeError(f"loss must be the name of a loss ({', '.join(LOSSES)}), got "
                        f"{type(loss).__name__}")
    if loss not in LOSSES:
        raise DefinitionError(SOURCE, "loss", f"must be one of {', '.join(LOSSES)}, got "
                              f"{loss!r}")
    if loss == "cross_entropy":
        if acts[-1] not in ("identity", "softmax"):
            raise DefinitionError(SOURCE, "loss", "cross_entropy needs the last Linear's logits "
                                  f"(CrossEntropyLoss) or a final nn.Softmax, not {acts[-1]}")
        acts[-1] = "softmax"
    elif "softmax" in acts:
        raise DefinitionError(SOURCE, "loss", "a final nn.Softmax goes with cross_entropy only")
    if loss == "bce" and (acts[-1] != "sigmoid" or layers[-1][1].out_features != 1):
        raise DefinitionError(SOURCE, "loss", "bce needs one output after a final nn.Sigmoid "
                              "(BCELoss averages over outputs, the engine sums)")
    return LOSSES[loss], acts


REDUCTIONS = ("mean", "sum")


def _rows(values, size: int, key: str) -> list[list[float]]:
    """One example's numbers, or a batch's (a tensor or list of shape (E, size)), as rows;
    a batch past MAX_EXAMPLES refused from its length, before a number of it is read."""
    torch = _torch()
    if isinstance(values, torch.Tensor) and values.dim() == 2 and values.shape[0] > 1:
        _at_most_a_batch(values.shape[0], key)
        return [_vector(row, size, f"{key}[{i}]") for i, row in enumerate(values)]
    if isinstance(values, (list, tuple)) and len(values) > 1 and all(
            isinstance(v, (list, tuple)) or isinstance(v, torch.Tensor) and v.dim() == 1
            for v in values):
        _at_most_a_batch(len(values), key)
        return [_vector(row, size, f"{key}[{i}]") for i, row in enumerate(values)]
    return [_vector(values, size, key)]


def _at_most_a_batch(examples: int, key: str) -> None:
    from ..definitions.records import MAX_EXAMPLES

    if examples > MAX_EXAMPLES:
        raise DefinitionError(SOURCE, key, f"holds {examples:,} examples; a batch worked by "
                              f"hand has at most {MAX_EXAMPLES} (values.examples)")


def _targets(targets, size: int, examples: int, loss: str) -> list[list[float]]:
    """Each example's targets: given as numbers, or (cross_entropy) as class indices, one an
    example, made one-hot."""
    torch, targets = _torch(), _dense(targets, "targets")
    indices = None
    if loss == "cross_entropy":
        if isinstance(targets, int) and not isinstance(targets, bool):
            indices = [targets]
        elif isinstance(targets, torch.Tensor) and not targets.is_floating_point() and \
                targets.dim() <= 1 and not (  # [0, 1, 0] for one example: a one-hot already
                    examples == 1 and targets.dim() == 1 and targets.numel() == size):
            if targets.numel() != examples:  # counted before 10 million are made ints
                raise DefinitionError(SOURCE, "targets", f"must have one class index for "
                                      f"each of the {examples} examples, got "
                                      f"{targets.numel():,}")
            indices = [int(i) for i in targets.reshape(-1).tolist()]
    if indices is None:
        rows = _rows(targets, size, "targets")
        if len(rows) != examples:
            raise DefinitionError(SOURCE, "targets", f"must have one row of {size} numbers "
                                  f"for each of the {examples} examples, got {len(rows)}")
        return rows
    if len(indices) != examples:
        raise DefinitionError(SOURCE, "targets", f"must have one class index for each of the "
                              f"{examples} examples, got {len(indices)}")
    for i in indices:
        if not 0 <= i < size:
            raise DefinitionError(SOURCE, "targets", f"class index {i} is not one of the "
                                  f"{size} classes (0 to {size - 1})")
    return [[1.0 if k == i else 0.0 for k in range(size)] for i in indices]


def _dense(values, key: str):
    """Numbers as a tensor: a dense one (a sparse one is refused by name, not by PyTorch) of
    numbers: a bool tensor is no numbers, as True is none (and is no class index: not
    floating point, torch.tensor(True) would be read as class 1)."""
    torch = _torch()
    if isinstance(values, torch.Tensor) and values.layout != torch.strided:
        raise DefinitionError(SOURCE, key, f"is a {values.layout} tensor: give tensor.to_dense()")
    if isinstance(values, torch.Tensor) and values.dtype == torch.bool:
        raise DefinitionError(SOURCE, key, "must be numbers, got a tensor of yes/no values "
                              "(torch.bool)")
    return values


def _vector(values, size: int, key: str) -> list[float]:
    torch = _torch()
    if isinstance(values, (str, bytes)):
        raise DefinitionError(SOURCE, key, f"must be {size} numbers, not text")
    if isinstance(_dense(values, key), torch.Tensor):
        if values.is_complex():
            raise DefinitionError(SOURCE, key, f"must be {size} real numbers, not complex")
        if values.numel() != size:  # said from the shape, before the numbers are read
            raise DefinitionError(SOURCE, key, f"must have {size} numbers, got "
                                  f"{values.numel():,}")
        values = values.detach().reshape(-1).tolist()
    if isinstance(values, (bool, int, float)):  # one number where a list of them is asked
        index = " (a class index is a whole number: 1, not 1.0)" if key == "targets" else ""
        raise DefinitionError(SOURCE, key, f"must be {size} numbers, got the one number "
                              f"{values!r}{index}")
    try:
        values = [_entry(v, f"{key}[{i}]") for i, v in enumerate(values)]
    except TypeError:
        raise DefinitionError(SOURCE, key, f"must be {size} numbers, got "
                              f"{type(values).__name__}") from None
    if len(values) != size:
        raise DefinitionError(SOURCE, key, f"must have {size} numbers, got {len(values)}")
    return values


def _entry(value, key: str) -> float:
    """One number of a list, as a definition reads it: text and True/False are no numbers
    (float('1') and float(True) would take them)."""
    if isinstance(value, (str, bytes)):
        raise DefinitionError(SOURCE, key, f"must be a number, got the text {value!r}")
    if isinstance(value, bool):
        raise DefinitionError(SOURCE, key, f"must be a number, got the yes/no value {value}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DefinitionError(SOURCE, key, f"must be a number, got "
                              f"{type(value).__name__}") from None


def _typed(**arguments) -> None:
    """TypeError for an argument of the wrong type, as the rest of the API raises (a bool is
    no number); its value is the definition's to judge."""
    for name, (value, kind) in arguments.items():
        if isinstance(value, bool) or not isinstance(value, kind):
            wanted = "a str" if kind is str else "a number (an int or a float)"
            raise TypeError(f"{name} must be {wanted}, got {type(value).__name__}")


def from_torch(model, inputs, targets, loss: str = "cross_entropy",
               learning_rate: float = 0.5, title: str = "A PyTorch model",
               reduction: str = "mean"):
    """The definition of `model` on one example or a batch: its layers, activations, weights
    and biases, and the examples' inputs and targets (class indices made one-hot).

    Biases: every Linear with one (per_neuron) or none without (mixed models are refused, as
    the engine has one bias style). Raises DefinitionError naming what it cannot read."""
    from ..definitions.definition import Definition

    _typed(loss=(loss, str), title=(title, str), reduction=(reduction, str),
           learning_rate=(learning_rate, numbers.Real))
    layers = _layers(model)
    engine_loss, acts = _loss_and_output(layers, loss)
    if reduction not in REDUCTIONS:
        raise DefinitionError(SOURCE, "reduction", f"must be mean or sum, got {reduction!r}")
    if loss == "mse" and reduction == "sum":  # MSELoss(reduction="sum"): Σ over the outputs
        engine_loss = "sse"
    with_bias = {m.bias is not None for _, m, _ in layers}
    if len(with_bias) > 1:
        i = next(i for i, m, _ in layers if m.bias is None)
        raise DefinitionError(SOURCE, f"model[{i}]", "has no bias while other layers have one; "
                              "give every Linear a bias or none")
    bias = "per_neuron" if with_bias == {True} else "none"
    sizes = [layers[0][1].in_features] + [m.out_features for _, m, _ in layers]
    rows = _rows(inputs, sizes[0], "inputs")
    aims = _targets(targets, sizes[-1], len(rows), loss)
    values = {"weights": [m.weight.detach().double().tolist() for _, m, _ in layers]}
    batch = {}
    if len(rows) == 1:
        values |= {"inputs": rows[0], "targets": aims[0]}
    else:  # a batch: each row an example, J PyTorch's reduction of their losses
        values["examples"] = [{"inputs": x, "targets": t} for x, t in zip(rows, aims)]
        batch = {"batch_loss": reduction}
    if bias == "per_neuron":
        values["biases"] = [m.bias.detach().double().tolist() for _, m, _ in layers]
    return Definition.from_dict({
        "title": title, "learning_rate": learning_rate,
        "network": {"layers": sizes, "activation": acts, "loss": engine_loss, "bias": bias},
        "values": values} | batch, source=SOURCE)
