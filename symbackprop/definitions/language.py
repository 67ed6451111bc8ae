"""The class's language: the words a sheet prints, from gettext catalogs (locale/, made with
Babel's pybabel extract/update/compile), and how the language writes a decimal number (Babel's
CLDR data). English is the source language: its words are the messages themselves.

>>> fr = words("fr")
>>> fr("Answer key"), fr.decimal, fr.number("-0.25")
('Corrigé', ',', '-0,25')
>>> words("en")("Answer key"), words("en").number("-0.25")
('Answer key', '-0.25')
"""

from __future__ import annotations

import gettext
from functools import cache
from importlib import util
from pathlib import Path

DOMAIN = "symbackprop"


def N_(message: str) -> str:
    """A message marked for the catalogs where it is defined, translated where it is used."""
    return message


class Words:
    """One language's words: `_(message)`, `_.ngettext(one, many, n)`, and its numbers."""

    def __init__(self, code: str, catalog: gettext.NullTranslations):
        self.code, self.catalog = code, catalog
        if code == "en":
            self.decimal = "."
        else:
            from babel.numbers import get_decimal_symbol  # CLDR: how the language writes 0.5

            self.decimal = get_decimal_symbol(code)

    def __call__(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, one: str, many: str, n: int) -> str:
        return self.catalog.ngettext(one, many, n)

    def number(self, text: str) -> str:
        """A number written with a point, as this language writes it."""
        return text.replace(".", self.decimal) if self.decimal != "." else text

    def __repr__(self) -> str:
        return f"Words({self.code!r})"


def _languages() -> tuple[str, ...]:
    """English, and every language locale/ has a compiled catalog of: adding a language is
    adding its catalog."""
    found = sorted(p.parent.parent.name for p in locale_dir().glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return ("en", *(c for c in found if c != "en"))


def locale_dir() -> Path:
    """locale/: inside the installed package, or beside it in a source checkout."""
    try:
        spec = util.find_spec("symbackprop.locale")
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return Path(__file__).resolve().parents[2] / "locale"
    return Path(list(spec.submodule_search_locations)[0])


ENGLISH = Words("en", gettext.NullTranslations())


LANGUAGES = _languages()


@cache
def words(code: str = "en") -> Words:
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}; known: {', '.join(LANGUAGES)}")
    if code == "en":
        return ENGLISH
    path = locale_dir() / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with open(path, "rb") as f:
        return Words(code, gettext.GNUTranslations(f))
