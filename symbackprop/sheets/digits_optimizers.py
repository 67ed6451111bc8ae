"""The digits lesson's second optimizer (compare_optimizer:): the cross-entropy network trained a
third time, from the same start on the same mini-batches, with momentum, RMSprop or Adam, and
the questions that compare it with plain gradient descent, answered from the two runs.

>>> from symbackprop.definitions.language import words
>>> from symbackprop.definitions.optimizer import Optimizer
>>> nesterov = Optimizer("momentum", momentum=0.9, nesterov=True)
>>> name(Optimizer("adam")), name(nesterov), name(nesterov, words("fr"))
('Adam', 'Nesterov momentum', 'le momentum de Nesterov')
"""

from __future__ import annotations

from ..definitions.definition import Lesson
from ..definitions.language import N_, Words
from ..definitions.optimizer import Optimizer
from .forms import Equation, Number, Ops, Prose, Symbol
from .lesson_parts import ref

NAMES = {"momentum": N_("momentum"), "rmsprop": N_("RMSprop"), "adam": N_("Adam"),
         "nesterov": N_("Nesterov momentum")}  # Nesterov: a person's name, not translated
_SYMBOLS = {"momentum": Symbol("μ"), "alpha": Symbol("α"), "beta1": Symbol("β", sub="1"),
            "beta2": Symbol("β", sub="2"), "epsilon": Symbol("ε")}


def name(opt: Optimizer, _=None) -> str:
    """The optimizer as the sheet names it, in the sheet's words `_` (in English without):
    the blanks' names, which the scheme's trees refer to, are English in every language."""
    return (_ or (lambda s: s))(NAMES["nesterov" if opt.nesterov else opt.name])


def intro(lesson: Lesson, _: Words) -> Prose:
    """The sentence the intro adds: the third run, its optimizer's settings, its rate."""
    opt = lesson.compare
    settings = [Equation((_SYMBOLS[k], Number(v))) for k, v in opt.settings().items()
                if k in _SYMBOLS]
    filling = {f"s{i}": s for i, s in enumerate(settings)}
    listed = ", ".join(f"{{s{i}}}" for i in range(len(settings)))
    return Prose.of(_("The cross-entropy network was then trained a third time with {optimizer} "
                      "instead of plain gradient descent ({settings}), learning rate {rate}, "
                      "from the same starting weights on the same mini-batches.").format(
        optimizer=name(opt, _), settings=listed, rate=_.number(f"{lesson.compare_rate:g}")),
        **filling)


def rows(lesson: Lesson, sgd, other, ask, line: float | None, n_test: int, _: Words) -> list:
    """The questions comparing the two runs (sgd and other: the lesson's Measured runs):
    accuracies after the asked epochs from the counts given, the loss's ratio, and with the
    curves' line, which reaches it first and by how many epochs."""
    opt, named, out = name(lesson.compare, _), name(lesson.compare), []
    for e in lesson.compare_epochs:
        for key, run, phrase in (("gradient descent", sgd, _("plain gradient descent")),
                                 (named, other, opt)):
            k = correct(run, e)
            out.append(ask(_("After epoch {e}, the cross-entropy network trained with {how} "
                             "gets {k} of the {n} test digits right. Its test accuracy:").format(
                e=e, how=phrase, k=k, n=n_test),
                f"{key}: test accuracy after epoch {e}", k / n_test, False,
                ["div", k, n_test], [("errors_for_accuracy", ["div", n_test - k, n_test])]))
    first = lesson.compare_epochs[0]
    shown = [round(run.run.epochs[first - 1].loss, lesson.decimals) for run in (sgd, other)]
    if min(shown) > 0:  # the numbers the question gives, as it prints them
        a, b = (_.number(f"{v:.{lesson.decimals}f}") for v in shown)
        out.append(ask(_("After epoch {e}, the mean training loss is {a} with gradient descent "
                         "and {b} with {how}. How many times smaller is it with {how} (less "
                         "than 1 if larger)?").format(e=first, a=a, b=b, how=opt),
                       f"{named}: loss after epoch {first}, times smaller", shown[0] / shown[1],
                       False, ["div", shown[0], shown[1]],
                       [("inverted_ratio", ["div", shown[1], shown[0]])]))
    if line is None:
        return out
    percent = _.number(f"{100 * line:g}") + "\u00a0%"
    after = first_above([e.test_accuracy for e in other.run.epochs], line)
    before = first_above([e.test_accuracy for e in sgd.run.epochs], line)
    out.append(ask(_("With {how}: the first epoch after which its test accuracy is above "
                     "{percent} (its curve on the plot):").format(how=opt, percent=percent),
                   f"{named}: first epoch above {100 * line:g}%", after, True))
    sooner = ["sub", ref(f"cross-entropy: first epoch above {100 * line:g}%"),
              ref(f"{named}: first epoch above {100 * line:g}%")]
    out.append(ask(_("Which learns faster? By how many epochs sooner than gradient descent "
                     "does {how} get above {percent} (negative if later)?").format(
        how=opt, percent=percent), f"{named}: epochs sooner than gradient descent",
        before - after, True, sooner, [("opposite_sign", ["neg", sooner])],
        Ops((Number(before), Number(after)), ("−",))))
    return out


def correct(measured, epoch: int) -> int:
    """Test digits right after `epoch`: its accuracy times the test set (a whole count)."""
    accuracy = measured.run.epochs[epoch - 1].test_accuracy
    return round(accuracy * len(measured.predicted))


def first_above(accuracies: list[float], line: float) -> int | None:
    return next((i for i, a in enumerate(accuracies, start=1) if a > line), None)


def conclusion(lesson: Lesson, sgd, other, line: float | None, n_test: int,
               _: Words) -> str:
    """What the two runs show, worded from their numbers."""
    opt, first = name(lesson.compare, _), lesson.compare_epochs[0]
    gap = correct(other, first) - correct(sgd, first)
    if gap >= 0:
        text = _.ngettext("After epoch {e}, {how} gets {k} more test digit of the {n} right than "
                          "plain gradient descent;", "After epoch {e}, {how} gets {k} more test "
                          "digits of the {n} right than plain gradient descent;", gap)
    else:
        text = _.ngettext("After epoch {e}, {how} gets {k} fewer test digit of the {n} right "
                          "than plain gradient descent;", "After epoch {e}, {how} gets {k} fewer "
                          "test digits of the {n} right than plain gradient descent;", -gap)
    text = text.format(e=first, how=opt, k=abs(gap), n=n_test)
    text += " " + _("after epoch {last} it is at {a} against {b}.").format(
        last=lesson.epochs, a=_.number(f"{other.accuracy:.4f}"),
        b=_.number(f"{sgd.accuracy:.4f}"))
    if line is None:
        return text
    after, before = (first_above([e.test_accuracy for e in m.run.epochs], line)
                     for m in (other, sgd))
    percent = _.number(f"{100 * line:g}") + " %"
    if after < before:
        said = _.ngettext("{how} learns faster here: above {percent} after epoch {a}, {d} epoch "
                          "sooner than gradient descent.", "{how} learns faster here: above "
                          "{percent} after epoch {a}, {d} epochs sooner than gradient descent.",
                          before - after).format(how=opt, percent=percent, a=after,
                                                 d=before - after)
    elif after == before:
        said = _("Both get above {percent} after the same epoch, {a}.").format(
            percent=percent, a=after)
    else:
        said = _.ngettext("Gradient descent learns faster here: above {percent} after epoch "
                          "{b}, {d} epoch sooner than {how}.", "Gradient descent learns faster "
                          "here: above {percent} after epoch {b}, {d} epochs sooner than {how}.",
                          after - before).format(percent=percent, b=before, how=opt,
                                                 d=after - before)
    return text + " " + said[:1].upper() + said[1:]  # 'le momentum' starts a sentence
