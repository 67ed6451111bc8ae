"""A Definition made without the reader, checked again by the reader's own checks.

A Definition is a frozen dataclass, so a notebook changes one with `dataclasses.replace(defn,
decimals=6)`, which calls the constructor and skips every check of the file: decimals=10**6
reached the decimal module, learning_rate="0.5" the engine's arithmetic. The API's doors
(derive, train, worksheet) take every Definition through `recheck`, so such a change is
refused as the same key in a file would be, naming the field (definition.decimals). Each
field holding one value (a number, a name, a choice, the title) is read again; a field holding
a part (the network, the values, the optimizer, print:) must be a part of its kind, as the
reader makes it (a part changed within, replace(defn.network, ...), is not read again).

>>> from dataclasses import replace
>>> from symbackprop.definitions.definition import load
>>> blog = load("worksheets/blog-2-2-2.yaml")
>>> recheck(replace(blog, decimals=6)).decimals
6
>>> recheck(replace(blog, learning_rate="0.5"))  # doctest: +ELLIPSIS
Traceback (most recent call last):
symbackprop.definitions.errors.DefinitionError: ...: definition.learning_rate: must be a ...
"""

from __future__ import annotations

from dataclasses import replace

from .definition import _Checker
from .language import LANGUAGES
from .layered import ImageValues
from .layers import ConvNetwork
from .optimizer import Optimizer
from .printing import PrintSetup
from .records import (
    BATCH_LOSSES,
    FORMS,
    MAX_SEED,
    MAX_VERSIONS,
    NOTATIONS,
    DataSet,
    Network,
    Values,
)

# the parts the reader makes, by field: (the kinds it may be, what the message calls it)
_PARTS = {"network": ((Network, ConvNetwork), "a network as the reader makes it"),
          "values": ((Values, ImageValues), "values as the reader makes them"),
          "optimizer": ((Optimizer,), "an optimizer as the reader makes it"),
          "printing": ((PrintSetup,), "print: options as the reader makes them"),
          "data": ((DataSet, type(None)), "a data set as the reader makes it, or None")}
_TUPLES = ("ask", "points", "claimed", "claim_labels", "claim_written", "names",
           "conventions", "loss_after_steps", "outputs_after_steps")


class _Fields(_Checker):
    """The reader, naming a Definition's field (definition.decimals), not a key of its file:
    the field is what was changed, the file still holds what it held."""

    def fail(self, key: str, problem: str):
        super().fail(f"definition.{key}", problem)


def recheck(defn):
    """`defn` with each field of one value read again as the reader reads it (an int
    learning rate made a float, as a file's is); DefinitionError naming the field otherwise."""
    if not isinstance(defn.source, str):
        raise TypeError(f"source must be the name its messages give the definition (a str), "
                        f"got {type(defn.source).__name__}")
    check = _Fields(defn.source)
    for field, (kinds, said) in _PARTS.items():
        if not isinstance(getattr(defn, field), kinds):
            check.fail(field, f"must be {said}, got {type(getattr(defn, field)).__name__}")
    for field in _TUPLES:
        if not isinstance(getattr(defn, field), tuple):
            check.fail(field, f"must be a tuple, as the reader makes it, got "
                       f"{type(getattr(defn, field)).__name__}")
    layered = isinstance(defn.network, ConvNetwork)
    if layered != isinstance(defn.values, ImageValues):  # an image's values for dense layers
        check.fail("values", "must be values of the network's kind (an image's for layers on "
                   "an image, inputs and targets for dense layers)")
    rate = check.number(defn.learning_rate, "learning_rate")
    if rate <= 0:
        check.fail("learning_rate", f"must be positive, got {rate}")
    if not isinstance(defn.update_biases, bool):
        check.fail("update_biases", f"must be true or false, got {check.show(defn.update_biases)}")
    check.choice(defn.notation, "notation", ("matrix",) if layered else NOTATIONS)
    if layered:
        check.whole(defn.decimals, "decimals", 0, 12)
    else:
        check.decimals(defn.decimals, defn.network)
    check.choice(defn.language, "language", tuple(LANGUAGES))
    check.choice(defn.batch_loss, "batch_loss", BATCH_LOSSES)
    if layered:
        check.choice(defn.form, "form", FORMS)
    else:
        check.form(defn.form, defn.values)
    if defn.seed is not None:
        check.whole(defn.seed, "seed", 0, MAX_SEED)
    if defn.versions is not None:
        check.whole(defn.versions, "versions", 1, MAX_VERSIONS)
    check.title(defn.title)
    if type(defn.learning_rate) is float:
        return defn  # as the reader made it: the same object, not a copy
    return replace(defn, learning_rate=rate)
