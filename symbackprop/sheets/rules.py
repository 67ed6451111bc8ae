"""The forms and words a sheet writes for each activation and loss, and the network in words.

>>> from symbackprop.sheets.forms import Name
>>> type(activation_form("sigmoid", Name("net[1][1]"))).__name__
'Equation'
>>> loss_words("cross_entropy").parts[0]
'Cross-entropy: '
"""

from __future__ import annotations

from ..definitions.language import ENGLISH, N_, Words
from .forms import Apply, Equation, Form, Frac, Group, Neg, Number, Ops, Power, Prose, Sigma, Symbol

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


# a loss named as a textbook names it, its formula ({formula}) set as mathematics
LOSS_WORDS = {
    "half_sse": N_("Half the sum of squared errors: {formula}."),
    "sse": N_("The sum of squared errors: {formula}."),
    "mse": N_("The mean squared error: {formula}."),
    "cross_entropy": N_("Cross-entropy: {formula}."),
    "binary_cross_entropy": N_("Binary cross-entropy: {formula}."),
}


T_K, OUT_K, N = Symbol("t", sub="k"), Symbol("out", sub="k", word=True), Symbol("n")


def loss_formula(loss: str, target: Form = T_K, output: Form = OUT_K, n: Form = N,
                 index: str = "k") -> Equation:
    """J = ½ Σₖ (tₖ − outₖ)², J = − Σₖ tₖ ln outₖ, …: a loss over every output, as the
    words that name it write it."""
    t, o = target, output
    square = Power(Group(Ops((t, o), ("−",))), Number(2))
    entropy = Ops((t, Apply("ln", (o,))), ("",))
    body = {"half_sse": Ops((Frac(Number(1), Number(2), small=True), Sigma(index, square)),
                            ("",)),
            "sse": Sigma(index, square),
            "mse": Ops((Frac(Number(1), n, small=True), Sigma(index, square)), ("",)),
            "cross_entropy": Neg(Sigma(index, entropy)),
            "binary_cross_entropy": Neg(Sigma(index, Group(Ops((entropy, Ops((
                Group(Ops((Number(1), t), ("−",))), Apply("ln", (Ops((Number(1), o), ("−",)),))),
                ("",))), ("+",)), square=True)))}[loss]
    return Equation((Symbol("J"), body))


def loss_words(loss: str, _: Words = ENGLISH) -> Prose:
    """The loss named, with its formula as mathematics."""
    return Prose.of(_(LOSS_WORDS[loss]), formula=loss_formula(loss))
# an activation by the name a teacher says
ACTIVATION_NAMES = {"sigmoid": N_("sigmoid"), "tanh": N_("tanh"), "relu": N_("relu"),
                    "softmax": N_("softmax"), "identity": N_("identity")}
_BIASES = {"shared": N_("one bias per layer, shared by its neurons"),
           "per_neuron": N_("a bias for every neuron"), "none": N_("no biases")}


def network_words(layers, activations, bias: str, learning_rate: str, examples: int,
                  batch_loss: str, _: Words = ENGLISH) -> str:
    """The network in a sentence, as the sheet introduces it."""
    hidden_sizes = layers[1:-1]
    if hidden_sizes:
        count = sum(hidden_sizes) if len(hidden_sizes) == 1 else 2
        hidden = _.ngettext("{sizes} hidden neuron", "{sizes} hidden neurons", count).format(
            sizes=_(" and ").join(map(str, hidden_sizes)))
    else:
        hidden = _("no hidden neurons")
    return (_("A {sizes} network: {inputs}, {hidden}, {outputs}; {activations}; {biases}; "
              "learning rate η\u00a0=\u00a0{rate}.").format(  # η and its value on one line
                sizes="-".join(map(str, layers)),
                inputs=_.ngettext("{n} input", "{n} inputs", layers[0]).format(n=layers[0]),
                hidden=hidden,
                outputs=_.ngettext("{n} output", "{n} outputs", layers[-1]).format(
                    n=layers[-1]),
                activations=activation_words(activations, _), biases=_(_BIASES[bias]),
                rate=_.number(learning_rate))
            + _batch_words(examples, batch_loss, _))


def activation_words(activations, _: Words = ENGLISH) -> str:
    """The activations in the order of the layers, as a teacher says them.

    >>> activation_words(("tanh", "softmax"))
    'tanh in the hidden layer, softmax at the output'
    >>> activation_words(("relu", "tanh", "sigmoid"))
    'relu in hidden layer 1, tanh in hidden layer 2, sigmoid at the output'
    """
    names = [_(ACTIVATION_NAMES[a]) for a in activations]
    if len(set(names)) == 1:
        return _("activation {name}").format(name=names[0])
    *hidden, out = names
    if len(set(hidden)) == 1:
        inner = _.ngettext("{name} in the hidden layer", "{name} in the hidden layers",
                           len(hidden)).format(name=hidden[0])
    else:
        inner = _(", ").join(_("{name} in hidden layer {i}").format(name=a, i=i)
                             for i, a in enumerate(hidden, 1))
    return _("{hidden}, {name} at the output").format(hidden=inner, name=out)


def _batch_words(examples: int, batch_loss: str, _: Words) -> str:
    if not examples:
        return ""
    if batch_loss == "sum":
        return " " + _.ngettext(
            "It learns from a batch of {n} example: J is the sum of the examples' losses, so "
            "each gradient is the sum of the examples' gradients. A quantity of example e "
            "carries [e] above it. Work each example's forward pass and chain as if it were "
            "the only one, then combine them.",
            "It learns from a batch of {n} examples: J is the sum of the examples' losses, so "
            "each gradient is the sum of the examples' gradients. A quantity of example e "
            "carries [e] above it. Work each example's forward pass and chain as if it were "
            "the only one, then combine them.", examples).format(n=examples)
    return " " + _.ngettext(
        "It learns from a batch of {n} example: J is the mean of the examples' losses, so "
        "each gradient is the mean of the examples' gradients. A quantity of example e "
        "carries [e] above it. Work each example's forward pass and chain as if it were the "
        "only one, then combine them.",
        "It learns from a batch of {n} examples: J is the mean of the examples' losses, so "
        "each gradient is the mean of the examples' gradients. A quantity of example e "
        "carries [e] above it. Work each example's forward pass and chain as if it were the "
        "only one, then combine them.", examples).format(n=examples)
