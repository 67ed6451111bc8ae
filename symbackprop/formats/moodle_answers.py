"""Each blank's answers for Moodle, in `check`'s order: the right one as `check`'s band, the
right one with too few decimals, the right one cut off, then each known mistake's value worked
from the key's own numbers, with its diagnosis as feedback; where a second mistake gives the
same numbers, a band of its own whose feedback names both, as `check`'s message does."""

from __future__ import annotations

from decimal import Decimal
from math import ceil, copysign, floor, isfinite, trunc

from ..definitions.language import ENGLISH, Words
from ..marking import scheme
from .plaintext import Said


def scheme_message(diagnosis: str) -> str:
    from ..marking.check import MISTAKES

    return MISTAKES[diagnosis]


def number(value: float) -> str:
    """A number as Moodle's NUMERICAL answer reads it: plain decimal (its answer pattern takes
    no exponent), every digit of the float, so that Moodle's band is `check`'s to the last bit.

    >>> number(0.1 + 0.2), number(5.877550264086357e-10), number(-2.0)
    ('0.30000000000000004', '0.0000000005877550264086357', '-2')
    """
    text = format(Decimal(repr(float(value))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# Moodle gives a right answer with too few decimals this part of the marks (Moodle's own
# grades only: 50 %); `mark --points-rounded` sets it for a gradebook
ROUNDED_FRACTION = 50


def right_band(blank: dict) -> tuple[float, float]:
    """The accepted answers (rounding.band) as Moodle's one answer and absolute tolerance: the
    middle of lo..hi, and half of it plus half a unit, so that Moodle accepts exactly what
    `check` accepts."""
    tol = blank["tolerance"]
    return (tol["lo"] + tol["hi"]) / 2, (tol["hi"] - tol["lo"]) / 2 + tol["half"]


MAX_CANDIDATES = 50  # p-decimal numbers a band may hold for each to be a wrong answer of its own


def _finite(*values: float) -> bool:
    return all(isfinite(v) for v in values)


def _few(low: float, high: float) -> bool:
    """Whether the whole numbers from low to high are finite and at most MAX_CANDIDATES: a band
    wider than that (a huge learning rate or number) lists no answers one by one."""
    return _finite(low, high) and high - low <= MAX_CANDIDATES


def fewer_decimals(blank: dict, decimals: int) -> list[float]:
    """The right answers with fewer decimals than the sheet asks (check's too_few_decimals):
    each p-decimal number that rounds from one of lo..hi, nonzero, not the old parameter, and
    not already inside the right band."""
    tol, (middle, band) = blank["tolerance"], right_band(blank)
    if not tol["half"] or not _finite(tol["lo"], tol["hi"], middle, band):
        return []
    out = []
    for p in range(decimals - 1, 0, -1):
        unit, half = 10.0 ** -p, 0.5 * 10.0 ** -p * (1 + 1e-9)
        low, high = (tol["lo"] - half) / unit, (tol["hi"] + half) / unit
        if not _few(low, high):
            continue
        for k in range(ceil(low), floor(high) + 1):
            v = round(k * unit, p)
            if v != 0 and v != tol.get("before") and abs(v - middle) > band and v not in out \
                    and scheme.decimals_of(v) == p:  # 0.250 is 0.25 to Moodle: p = 2's
                out.append(v)
    return out


def cut_off(blank: dict, decimals: int, taken: list[float]) -> list[float]:
    """The values honest working reaches, cut off instead of rounded (check's cut_off): each
    p-decimal number between the cut-offs of `from` and `to` that is no rounding of theirs,
    not 0, nor an answer already `taken`."""
    tol, (middle, band) = blank["tolerance"], right_band(blank)
    if not tol["half"] or not _finite(tol["from"], tol["to"], middle, band):
        return []
    out = []
    for p in range(decimals, 0, -1):
        scaled = [x * 10.0 ** p + copysign(1e-9, x) for x in (tol["from"], tol["to"])]
        if not _few(*scaled):
            continue
        low, high = (trunc(x) for x in scaled)
        for k in range(low, high + 1):
            v = round(k * 10.0 ** -p, p)
            if v != 0 and scheme.cut_within(v, p, tol["from"], tol["to"]) and \
                    abs(v - middle) > band and v not in taken and v not in out and \
                    scheme.decimals_of(v) == p:  # 0.750 is 0.75 to Moodle: not a cut at p = 2
                out.append(v)
    return out


def alternatives(blank: dict, values: dict[str, float], decimals: int = 4,
                 messages: dict | None = None, _: Words = ENGLISH, notation=("matrix", None)
                 ) -> tuple[list[tuple], list[str], int]:
    """The blank's answers for Moodle, (fraction %, value, absolute tolerance, feedback), in
    `check`'s order: the right one, the right one with too few decimals, the right one cut off,
    then each mistake's value worked from the key's own numbers; what was left out, and why;
    and how many mistakes were kept. Moodle reads a number, not how it was written: 1.106 and
    1.1060 are one answer to it, where `check` reads four decimals in the second. The
    feedback is in the sheet's words (its scheme's `messages`, in its language; a term of a net
    in its notation)."""
    said = Said(messages, _, notation)
    middle, tolerance = right_band(blank)
    answers = [(100, middle, tolerance, _("Correct"))]
    if scheme.zero_at(blank, decimals) and abs(middle) > tolerance:  # 0 is right too (check)
        answers.append((100, 0.0, 0.0, _("Correct")))
    fewer = fewer_decimals(blank, decimals)
    answers += [(ROUNDED_FRACTION, v, 0.0, _also_at(blank, values, v, "too_few_decimals", said))
                for v in fewer]
    answers += [(0, v, 0.0, _also_at(blank, values, v, "cut_off", said))
                for v in cut_off(blank, decimals, fewer)]
    near = blank["tolerance"]["near"]
    # every mistake's value in check's order, so that Moodle's first match is check's first
    # rule; one inside the right answer coincides with it (its student is marked correct, by
    # check too): it is said in the log, and kept, since a value just outside the band and
    # within `near` of it is still that mistake
    dropped, listed, every = [], [], []
    for rule in blank["mistakes"]:
        feedback = said(rule["diagnosis"], rule.get("term"))
        slack = scheme.evaluate(rule["slack"], values.get) if "slack" in rule else None
        for tree in rule["candidates"]:
            v = scheme.evaluate(tree, values.get)
            if v is None:
                continue
            reach = near if slack is None else max(slack, near)
            every.append((v, reach, rule["diagnosis"], feedback))
            if any(abs(v - s) <= 1e-9 * max(1.0, abs(s)) for s, _, _, _ in listed):
                continue
            listed.append((v, feedback, reach, len(every) - 1))
            if abs(v - middle) <= tolerance:
                dropped.append(f"({blank['label']}) {blank['name']}: {rule['diagnosis']} gives "
                               f"{v:.10g}, inside the right answer's band")
    for v, feedback, reach, at in listed:
        answers += _overlaps(every, at, said) + [(0, v, reach, feedback)]
    return answers, dropped, len(listed) - len(dropped)


def _also_at(blank: dict, values: dict[str, float], v: float, named: str, said: Said) -> str:
    """The feedback for the answer v, a rounding (`named`) it is: its words, and where another
    mistake gives it too, both in one sentence, as check's message names them."""
    other = next((f for f in scheme.explanations(blank, v, values.get, blank["tolerance"])
                  if f[0] != named), None)
    if other is None:
        return said(named)
    second = said(other[0], other[1])
    if named == "too_few_decimals":
        return said(named) + scheme.BOTH + said.either(said.slip(), second)
    return said.either(said(named), second)


def _overlaps(every: list[tuple], at: int, said: Said) -> list[tuple]:
    """The answers, before the mistake every[at]'s own, where a later mistake of another
    diagnosis reaches the same numbers: there check names both (scheme._also), so Moodle's
    feedback does, on the overlap of the two reaches (a band of its own, matched first)."""
    v, reach, named, feedback = every[at]
    out, lo, hi = [], v - reach, v + reach
    for w, r, diagnosis, words in every[at + 1:]:
        a, b = max(lo, w - r), min(hi, w + r)
        if diagnosis != named and a <= b:
            out.append((0, (a + b) / 2, (b - a) / 2, said.either(feedback, words)))
    return out
