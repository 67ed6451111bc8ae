"""The reader every part of a definition is checked with: typed values, each refusal naming
the file, the key and the problem."""

from __future__ import annotations

import math

from . import printable
from .errors import DefinitionError
from .language import LANGUAGES
from .records import MAX_TITLE
from .yamlfile import MAX_DIGITS, key_text, too_long
from .yamlfile import describe as _kind
from .yamlfile import quoted as _show

SMALLEST_GIVEN = 1e-12  # a given value's size, written out on a sheet in full



class Reader:
    def __init__(self, source: str):
        self.source = source
        self.examples = 0  # of a batch, once values are read: names may then carry '@e'

    def fail(self, key: str, problem: str):
        raise DefinitionError(self.source, key, problem)

    def show(self, value) -> str:
        return _show(value)

    def mapping(self, value, key: str, allowed: tuple[str, ...], required=()) -> dict:
        if not isinstance(value, dict):
            self.fail(key or "(top level)", f"must be a mapping of keys, got {_show(value)}")
        for k in value:
            if k not in allowed:
                self.fail(_join(key, key_text(k)),
                          f"unknown key; allowed keys are {', '.join(allowed)}")
        for k in required:
            if k not in value:
                self.fail(_join(key, k), "is required but missing")
        return value

    def number(self, value, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"must be a number, got {_show(value)}")
        if isinstance(value, int) and abs(value) >= 10**MAX_DIGITS:  # the Python API's, as
            self.fail(key, f"must be a number, got {_kind(too_long(value))}")  # YAML says it
        if isinstance(value, int) and not -1e300 < value < 1e300:  # JSON and Python whole
            # numbers have any length; float() of 10**400 overflows
            self.fail(key, f"must be a number a computer's float holds, got {_show(value)}")
        if not math.isfinite(value):
            self.fail(key, f"must be a finite number, got {value}")
        if key.startswith("values") and 0 < abs(value) < SMALLEST_GIVEN:
            # a given number is printed on the sheet as written out: 1e-300 is 300 zeros
            self.fail(key, f"{value:g} is too close to 0 to print on a sheet; give 0, or a "
                           f"number of at least {SMALLEST_GIVEN:g} in size")
        return float(value)

    def whole(self, value, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(key, f"must be a whole number from {low} to {high}, got {_show(value)}")
        return value

    def choice(self, value, key: str, options: tuple[str, ...]) -> str:
        if value not in options or not isinstance(value, str):
            self.fail(key, f"must be one of {', '.join(options)}, got {_show(value)}")
        return value

    def vector(self, value, key: str, size: int) -> tuple[float, ...]:
        if not isinstance(value, list):
            self.fail(key, f"must be a list of {size} numbers, got {_show(value)}")
        if len(value) != size:
            self.fail(key, f"must have {size} numbers, got {len(value)}")
        return tuple(self.number(v, f"{key}[{i}]") for i, v in enumerate(value))

    def language(self, top: dict) -> str:
        """The class's language (definitions/language.py); English where none is given."""
        return self.choice(top.get("language", "en"), "language", tuple(LANGUAGES))

    def title(self, title) -> str:
        """Text pdflatex can print, of at most MAX_TITLE characters."""
        if not isinstance(title, str) or not title.strip():
            self.fail("title", f"must be non-empty text, got {_show(title)}")
        if len(title) > MAX_TITLE:
            self.fail("title", f"has {len(title):,} characters; at most {MAX_TITLE} fit a page")
        try:
            printable.check(title)
        except printable.UnprintableText as exc:
            self.fail("title", str(exc))
        return title


def _join(prefix: str, key) -> str:
    return f"{prefix}.{key}" if prefix else str(key)



def _shape(matrix) -> str:
    if not isinstance(matrix, list):
        return _kind(matrix)
    return f"{len(matrix)} rows"
