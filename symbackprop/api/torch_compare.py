"""compare_torch: PyTorch's autograd beside symbackprop's derivation of the same dense model,
factor by factor, loss and gradients (from_torch, in torch_bridge, reads the model)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from ..definitions.errors import DefinitionError
from .torch_bridge import SOURCE, _layers, _torch, _vector, from_torch


@dataclass(frozen=True, repr=False)
class Comparison:
    """symbackprop's gradients and one weight's chain of factors beside PyTorch's autograd."""

    loss: tuple[float, float]  # (symbackprop, PyTorch)
    gradients: tuple[tuple[str, float, float], ...]  # (parameter, symbackprop, PyTorch)
    weight: str
    chain: tuple[tuple[str, float, float], ...]  # (factor, symbackprop, PyTorch)

    @property
    def max_rel_diff(self) -> float:
        rows = self.gradients + self.chain + (("J",) + self.loss,)
        return max(abs(a - b) / max(abs(a), abs(b), 1e-300) if a != b else 0.0
                   for _, a, b in rows)

    def __repr__(self) -> str:
        lines = [f"J: symbackprop {self.loss[0]:.12g}, PyTorch {self.loss[1]:.12g}",
                 f"dJ/d{self.weight} as a chain of factors:"]
        lines += [f"  {n:32} {a:>18.12g} {b:>18.12g}" for n, a, b in self.chain]
        lines.append(f"every gradient ({len(self.gradients)}), symbackprop and PyTorch agree "
                     f"to a relative {self.max_rel_diff:.1e}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        def table(rows, first):
            body = "".join(f"<tr><td>{escape(n)}</td><td>{a:.12g}</td><td>{b:.12g}</td>"
                           f"<td>{abs(a - b):.1e}</td></tr>" for n, a, b in rows)
            return (f"<table><thead><tr><th>{first}</th><th>symbackprop</th><th>PyTorch "
                    f"autograd</th><th>|difference|</th></tr></thead><tbody>{body}</tbody>"
                    "</table>")

        return (f"<div><p>J = {self.loss[0]:.12g} (PyTorch {self.loss[1]:.12g})</p>"
                f"<p>∂J/∂{escape(self.weight)}, factor by factor:</p>{table(self.chain, 'factor')}"
                f"<p>Every gradient:</p>{table(self.gradients, 'parameter')}</div>")


def compare_torch(model, inputs, targets, loss: str = "cross_entropy",
                  weight: str | None = None) -> Comparison:
    """Autograd (float64) and symbackprop on the same numbers; `weight` (canonical 'W[1][1][1]'
    or numbered 'w1', default the first) is shown factor by factor."""
    from .functions import derive

    defn = from_torch(model, inputs, targets, loss)
    if defn.values.examples is not None:
        raise DefinitionError(SOURCE, "inputs", "compare_torch puts one example's factors "
                              "beside autograd's; derive(from_torch(...)) takes a batch")
    result = derive(defn)
    weight = result.canonical(weight or next(iter(result.grad)))
    torch = _torch()
    # on its own float64 copy, differentiable whatever the caller's mode (no_grad, a frozen
    # model, inference_mode)
    with torch.inference_mode(False), torch.enable_grad():
        run = _Autograd(model, defn.values.inputs, defn.values.targets, loss)
        gradients = tuple((p, g, run.grad(p)) for p, g in result.grad.items())
        chain = tuple((n, v, run.factor(n)) for n, v in result.derivation(weight).factors)
    return Comparison((result.loss, run.loss), gradients, weight, chain)


class _Autograd:
    """One forward and backward pass in PyTorch with every net and out kept, in float64."""

    def __init__(self, model, inputs, targets, loss: str):
        torch = _torch()
        self.torch, self.layers = torch, _layers(model)
        self.linears = [_float64_copy(torch, m) for _, m, _ in self.layers]
        x = torch.tensor([_vector(inputs, self.linears[0].in_features, "inputs")],
                         dtype=torch.float64)
        t = torch.tensor([_vector(targets, self.linears[-1].out_features, "targets")],
                         dtype=torch.float64)
        self.ins, self.nets, self.outs = [], [], []
        out = x
        for (_, _, act), linear in zip(self.layers, self.linears):
            self.ins.append(out)
            net = linear(out)
            net.retain_grad()
            out = _apply(torch, act, net)
            out.retain_grad()
            self.nets.append(net)
            self.outs.append(out)
        J = torch_loss(torch, loss, self.layers[-1][2], self.nets[-1], out, t)
        J.backward(retain_graph=True)
        self.loss = J.item()

    def grad(self, name: str) -> float:
        idx = [int(i) for i in re.findall(r"\d+", name)]
        linear = self.linears[idx[0] - 1]
        if name[0] == "W":
            return linear.weight.grad[idx[1] - 1, idx[2] - 1].item()
        return linear.bias.grad[idx[1] - 1].item()

    def factor(self, target: str) -> float:
        """A factor of a chain, worked out by autograd: 'dJ/dout[2][1]', 'dJ/dnet[2][1]',
        'dout[2][1]/dnet[2][1]', 'dnet[2][1]/dW[2][1][1]', 'dnet[2][1]/dout[1][1]'."""
        top, bottom = target.split(" via ")[0][1:].split("/d", 1)
        if top == "J":
            return self._tensor(bottom).grad[0, self._index(bottom)[1] - 1].item()
        return self.torch.autograd.grad(self._tensor(top)[0, self._index(top)[1] - 1],
                                        self._leaf(bottom), retain_graph=True,
                                        allow_unused=True)[0].reshape(-1)[
            self._flat(bottom)].item()

    def _index(self, name: str) -> list[int]:
        return [int(i) for i in re.findall(r"\d+", name)]

    def _tensor(self, name: str):
        l = self._index(name)[0]
        return (self.nets if name.startswith("net") else self.outs)[l - 1]

    def _leaf(self, name: str):
        idx = self._index(name)
        if name[0] in "Wb":
            linear = self.linears[idx[0] - 1]
            return linear.weight if name[0] == "W" else linear.bias
        return self._tensor(name)

    def _flat(self, name: str) -> int:
        idx = self._index(name)
        if name[0] == "W":
            return (idx[1] - 1) * self.linears[idx[0] - 1].in_features + idx[2] - 1
        return idx[-1] - 1


def _float64_copy(torch, m):
    """A fresh nn.Linear of m's weights in float64, requiring gradients."""
    copy_ = torch.nn.Linear(m.in_features, m.out_features, bias=m.bias is not None,
                            dtype=torch.float64)
    with torch.no_grad():
        copy_.weight.copy_(m.weight.detach().clone().double())
        if m.bias is not None:
            copy_.bias.copy_(m.bias.detach().clone().double())
    return copy_.requires_grad_(True)


def _apply(torch, act: str, net):
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
            "identity": lambda z: z * 1.0, "softmax": lambda z: torch.softmax(z, dim=-1)}[act](net)


def torch_loss(torch, loss: str, last: str, net, out, t):
    f = torch.nn.functional
    if loss == "cross_entropy":
        if last == "softmax":  # the model's own final nn.Softmax: −Σ t·log(out)
            return -(t * torch.log(out)).sum()
        return f.cross_entropy(net, t)  # logits, probability targets, one example
    if loss == "mse":
        return f.mse_loss(out, t)
    if loss == "bce":
        return f.binary_cross_entropy(out, t)
    return (0.5 if loss == "half_sse" else 1.0) * ((t - out) ** 2).sum()
