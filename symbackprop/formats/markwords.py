"""What a mark tells a student beyond its verdict, in the sheet's language: the words the
feedback pages and `check` print (the practice page says the same in templates/practice.js).
Light on purpose: `check` reads a key and prints these without SymPy or Jinja."""

from __future__ import annotations

from ..definitions.language import Words
from ..marking.scheme import BOTH, fixed
from .plaintext import Said


def language_of(key) -> str:
    """The language of the sheet a key is for (key.json's definition.language)."""
    return key.definition.get("language", "en") if key is not None else "en"


def mark_words(m, key, _: Words) -> str:
    """What a mark tells the student beyond its verdict, in the sheet's language: in English,
    the message `check` gives (marking/scheme.py)."""
    if m.verdict in ("correct", "missing") or key is None or key.scheme is None:
        return "" if m.message in ("", "correct") else m.message
    scheme = key.scheme
    d = scheme["decimals"]

    def number(value: float) -> str:  # with the sheet's minus sign, as the page prints it
        return _.number(fixed(value, d)).replace("-", "\u2212")

    reasons = Said(scheme["messages"], _, key.notation)
    second = reasons(m.also) if m.also else ""
    if m.verdict == "too_few_decimals":
        return _("{message} ({value} to {d} decimals)").format(
            message=scheme["messages"]["too_few_decimals"], value=number(m.expected), d=d) + (
            BOTH + reasons.either(reasons.slip(), second) if second else "")
    if m.verdict == "carried_forward" and m.carried is not None:
        return _("wrong against the key ({key}), but right from your own earlier answers "
                 "({own}): error carried forward").format(key=number(m.expected),
                                                          own=number(m.carried))
    if m.verdict != "incorrect":
        return m.message
    said = _("expected {value}").format(value=number(m.expected))
    # a second mistake that gives the same answer: both in one sentence, the first first
    reason = reasons(m.diagnosis, m.term) if m.diagnosis else ""
    if reason and second:
        reason = reasons.either(reason, second)
    # a dash, not a second colon after the verdict's: Incorrect: expected 0.3147 — the sign …
    return _("{expected} — {reason}").format(expected=said, reason=reason) if reason else said


def quantities(key) -> tuple[dict[str, str], dict[str, str]]:
    """Each blank's quantity and its line of working as the sheet prints them (∂J/∂outₒ₁ for
    dJ/dout[2][1]), read from the working the key holds; a key without it keeps the
    canonical names and the plain working."""
    from ..definitions.language import words
    from ..sheets import forms, forms_json
    from .plaintext import PlainText

    notation, layers = key.notation
    text = PlainText(notation, layers, scripts=True, decimal=words(language_of(key)).decimal)
    out, lines = {}, {}
    for a in key.answers:
        try:
            line = forms_json.read(a["shown"], notation, layers)
        except (KeyError, forms_json.BadForm):  # a key without working: its names will do
            continue
        quantity = line.sides[0] if isinstance(line, forms.Equation) else line
        out[a["label"]] = " ".join(text(quantity).split())
        lines[a["label"]] = text(line)
    return out, lines
