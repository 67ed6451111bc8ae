"""Mark a hand calculation against a key: correct, carried forward, incorrect (with the likely
mistake) or missing. Mistakes are modelled as recomputations: a step is recomputed with the
mistake made, and a student's value that matches it names the mistake.

Plain Python on the key's numbers: no SymPy, so marking a whole answer file is instant.

>>> key = Key.from_json(_EXAMPLE)
>>> marks = mark(key, {"a": 0.3775, "b": 0.4067})
>>> [(m.label, m.verdict, m.diagnosis) for m in marks[:3]]
[('a', 'correct', None), ('b', 'incorrect', 'sigmoid_of_negative'), ('c', 'missing', None)]
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from ..definitions.definition import Printed
from ..definitions.yamlfile import lines_of
from . import scheme
from .key import _EXAMPLE, LARGEST, MISTAKES, VERDICTS, Key  # noqa: F401 - a key, re-exported
from .recompute import COMMON_RATES, MODES, Model  # noqa: F401 - the marking model, re-exported
from .scheme import decimals_of, rounds_to  # noqa: F401 - used by audit
from .scheme_writer import scheme_of

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_FRACTION = re.compile(r"([+-]?\d+)/(\d+)")
# 0,7414 as much of Europe writes (ASCII digits: a full-width １,５ is quoted as typed)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?", re.ASCII)
_IDX = re.compile(r"\[(\d+)\]")


def cut_to(printed: float, value: float, places: int) -> bool:
    """`printed` is `value` cut off (truncated) after `places` decimals.

    >>> cut_to(0.455, 0.455964, 3), cut_to(-0.033, -0.0337875, 3), cut_to(0.456, 0.455964, 3)
    (True, True, False)
    """
    scale = 10.0 ** min(places, 300)
    return abs(printed * scale - math.trunc(value * scale + math.copysign(1e-9, value))) < 1e-6


class AnswerError(ValueError):
    """A line of an answer file that is not `label = number`."""


_LONGEST = 40  # characters in a number: more digits than a float holds, and no 5,000-digit ints


_MINUSES = str.maketrans({"\u2212": "-", "\u2013": "-"})
# what is taken off around a number, the same set as the page's script (practice.js AROUND):
# Python's whitespace and JavaScript's, with a byte-order mark copied along with the number
_AROUND = ("\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
           "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")


def parse_number(text: str) -> float:
    """A student's number: decimal (with a point or a decimal comma), scientific or a simple
    fraction, ASCII only, but for the minus sign the sheet prints (−, U+2212) and the dash a
    phone's keyboard puts for a hyphen (–, U+2013), which are read as the hyphen.

    >>> parse_number('3/8'), parse_number('-1.5e-3'), parse_number('0,7414')
    (0.375, -0.0015, 0.7414)
    >>> parse_number('−0.2171'), parse_number('–0.2171')
    (-0.2171, -0.2171)
    """
    text = text.strip(_AROUND).translate(_MINUSES)
    if _DECIMAL_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    if not text.isascii():
        raise AnswerError(f"'{_clip(text)}' has characters that are not plain digits")
    if len(text) > _LONGEST:
        raise AnswerError(f"'{_clip(text)}' is longer than {_LONGEST} characters: not a number "
                          "a worksheet asks for")
    if _NUMBER.fullmatch(text):  # kept with its text: '0.30' was written to 2 decimals
        return _sized(Printed(float(text), text), text)
    m = _FRACTION.fullmatch(text)
    if m:
        if int(m.group(2)) == 0:
            raise AnswerError(f"'{text}' divides by zero")
        return _sized(float(Fraction(int(m.group(1)), int(m.group(2)))), text)
    raise AnswerError(f"'{_clip(text)}' is not a number (write 0.25, 2.5e-3 or 1/4)")


def _sized(value: float, text: str) -> float:
    if not abs(value) <= LARGEST:  # also catches inf, which float() makes of 1e999
        raise AnswerError(f"'{text}' is too large for any answer on a worksheet")
    return value


def _clip(text: str) -> str:
    return text if len(text) <= _LONGEST else text[:_LONGEST] + "..."


def parse_answers(text: str, key: Key | None = None) -> tuple[dict[str, float], list[str]]:
    """`label = value` lines; blank lines and # comments are skipped. Bad lines become problems
    (with their line numbers) and the rest is still read. With a `key`, each answer is kept
    under its blank's label, a label read as mark reads a column (Key.blanks: a, (a), A or
    the blank's name); a label that names no blank is a problem at its line, and so is a blank
    answered a second time (its label again, or its label and its name): the first answer is
    marked, and the line that answers it again is said, not marked in silence.

    >>> answers, problems = parse_answers("(a) = 0.3\\nnet[1][1] = 0.4\\nzz = 1",
    ...                                   Key.from_json(_EXAMPLE))
    >>> answers
    {'a': 0.3}
    >>> print("\\n".join(problems))
    line 2: 'net[1][1]' answers blank a again (line 1 answered it): not marked
    line 3: 'zz' is not a label or name on this sheet
    """
    lines = [(n, line.split("#", 1)[0].strip()) for n, line in enumerate(lines_of(text), 1)]
    lines = [(n, line.rsplit("=", 1) if "=" in line else line) for n, line in lines if line]
    typed = [parts[0].strip() for _, parts in lines if isinstance(parts, list)]
    blanks = {} if key is None else key.blanks(typed)
    answers, problems, seen = {}, [], {}
    for number, parts in lines:
        if not isinstance(parts, list):
            problems.append(f"line {number}: expected 'label = value', got '{_clip(parts)}'")
            continue
        label, value = (part.strip() for part in parts)
        blank = blanks.get(label, label)
        try:
            answer = parse_number(value)
        except AnswerError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if blank is None:
            problems.append(f"line {number}: '{_clip(label)}' is not a label or name on this "
                            "sheet")
        elif blank in seen:
            problems.append(f"line {number}: '{_clip(label)}' answers blank {_clip(blank)} "
                            f"again (line {seen[blank]} answered it): not marked")
        else:
            answers[blank], seen[blank] = answer, number
    return answers, problems


Mark = scheme.Mark


def mark(key: Key, given: dict[str, float], others: dict | None = None) -> list[Mark]:
    """One mark per answer of the key, in the key's order: the key's marking scheme, interpreted
    (scheme.py), the same data and rules as the practice page's script; `others`, the values
    other versions of the set give each blank (scheme.other_values), where they are known."""
    return scheme.mark(scheme_for(key), given, others)


def scheme_for(key: Key) -> dict:
    """The marking scheme the key carries; a key written before keys carried one (or with an
    older scheme) gets it written down from its definition now, once."""
    if key.given_scheme is None:
        key.given_scheme = scheme_of(key)
    return key.given_scheme
