"""The forms and words a sheet writes for each activation and loss, and the network in words.

>>> from symbackprop.sheets.forms import Name
>>> type(activation_form("sigmoid", Name("net[1][1]"))).__name__
'Equation'
>>> print(LOSS_WORDS["cross_entropy"])
Cross-entropy: J = − Σ t · ln out.
"""

from __future__ import annotations

from .forms import Apply, Equation, Form, Frac, Group, Neg, Number, Ops, Power, Sigma, Symbol

E = Symbol("e")


def activation_form(activation: str, net: Form) -> Form:
    """out = f(net) written out: σ(net) = 1/(1 + e^(−net)), tanh(net), max(0, net), ..."""
    if activation == "sigmoid":
        return Equation((Apply("σ", (net,)),
                         Frac(Number(1), Ops((Number(1), Power(E, Neg(net))), ("+",)))))
    if activation == "tanh":
        return Apply("tanh", (net,))
    if activation == "relu":
        return Apply("max", (Number(0), net))
    if activation == "softmax":
        return Frac(Power(E, net), Sigma("k", Power(E, Symbol("net", sub="k", word=True))))
    return net  # the identity


def loss_form(loss: str, pairs: list[tuple[Form, Form]]) -> Form:
    """J written out over (target, output) pairs."""
    squares = Ops.joined((Power(Group(Ops((t, o), ("−",))), Number(2)) for t, o in pairs), "+")
    if loss == "half_sse":
        return Ops((Frac(Number(1), Number(2), small=True), Group(squares, square=True,
                                                                  sized=True)), ("",))
    if loss == "sse":
        return squares
    if loss == "mse":
        return Ops((Frac(Number(1), Number(len(pairs)), small=True),
                    Group(squares, square=True, sized=True)), ("",))
    if loss == "cross_entropy":
        terms = (Ops((t, Apply("ln", (o,))), ("",)) for t, o in pairs)
    else:  # binary cross-entropy
        terms = (Ops((Ops((t, Apply("ln", (o,))), ("",)),
                      Ops((Group(Ops((Number(1), t), ("−",))),
                           Apply("ln", (Ops((Number(1), o), ("−",)),))), ("",))), ("+",))
                 for t, o in pairs)
    return Neg(Group(Ops.joined(terms, "+"), square=True, sized=True))


LOSS_WORDS = {
    "half_sse": "Half the sum of squared errors: J = ½ Σ (t − out)².",
    "sse": "The sum of squared errors: J = Σ (t − out)².",
    "mse": "The mean squared error: J = (1/n) Σ (t − out)².",
    "cross_entropy": "Cross-entropy: J = − Σ t · ln out.",
    "binary_cross_entropy": "Binary cross-entropy: J = − Σ [t · ln out + (1 − t) · ln(1 − out)].",
}


def network_words(layers, activations, bias: str, learning_rate: str, examples: int,
                  batch_loss: str) -> str:
    """The network in a sentence, as the sheet introduces it."""
    biases = {"shared": "one bias per layer, shared by its neurons",
              "per_neuron": "a bias for every neuron", "none": "no biases"}[bias]
    hidden = " and ".join(map(str, layers[1:-1])) or "no"
    neurons = "neuron" if list(layers[1:-1]) == [1] else "neurons"
    return (f"A {'-'.join(map(str, layers))} network: {_count(layers[0], 'input')}, "
            f"{hidden} hidden {neurons}, {_count(layers[-1], 'output')}; "
            f"{activation_words(activations)}; {biases}; learning rate "
            f"η\u00a0=\u00a0{learning_rate}."  # η and its value on one line
            + _batch_words(examples, batch_loss))


def activation_words(activations) -> str:
    """The activations in the order of the layers, as a teacher says them.

    >>> activation_words(("tanh", "softmax"))
    'tanh in the hidden layer, softmax at the output'
    >>> activation_words(("relu", "tanh", "sigmoid"))
    'relu in hidden layer 1, tanh in hidden layer 2, sigmoid at the output'
    """
    if len(set(activations)) == 1:
        return f"activation {activations[0]}"
    *hidden, out = activations
    if len(set(hidden)) == 1:
        inner = f"{hidden[0]} in the hidden layer" + ("s" if len(hidden) > 1 else "")
    else:
        inner = ", ".join(f"{a} in hidden layer {i}" for i, a in enumerate(hidden, 1))
    return f"{inner}, {out} at the output"


def _batch_words(examples: int, batch_loss: str) -> str:
    if not examples:
        return ""
    how = "the sum" if batch_loss == "sum" else "the mean"
    return (f" It learns from a batch of {examples} examples: J is {how} of the examples' "
            "losses, so each gradient is " + how + " of the examples' gradients. A quantity "
            "of example e carries [e] above it. Work each example's forward pass and chain as "
            "if it were the only one, then combine them.")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
