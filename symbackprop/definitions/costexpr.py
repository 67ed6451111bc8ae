"""A gradient-descent lesson's cost, as the teacher types it: a polynomial in w read by a small
grammar of its own (never eval, sympify or parse_expr of the text).

    cost   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary | power)*      a power right after a factor: 3w^2
    unary  := ("+" | "-") unary | power
    power  := atom ("^" whole)?                      whole: 0 to 8
    atom   := number | "w" | "(" cost ")"

A number is ASCII digits with at most one decimal point (0.5, 3, .25). Division is by numbers
only, so a cost is a polynomial with exact rational coefficients; its degree is at most 8. The
text is at most 200 characters and its parentheses nest at most 8 deep, and every number the
grammar computes on the way (each coefficient's numerator and denominator) stays within 10^12,
checked after each operation: so no input multiplies out a huge exact number, and the sheet's
floating-point numbers can be checked against finite differences.

>>> read("w^4 - 3*w^2 + w + 3")
(Fraction(3, 1), Fraction(1, 1), Fraction(-3, 1), Fraction(0, 1), Fraction(1, 1))
>>> read("(w - 1)^2 / 2")
(Fraction(1, 2), Fraction(-1, 1), Fraction(1, 2))
>>> read("2w^2 + 3(w + 1)")
(Fraction(3, 1), Fraction(3, 1), Fraction(2, 1))
>>> try:
...     read("w^2 / w")
... except CostError as refused:
...     print(refused)
divides by an expression in w (at character 7); divide only by numbers
"""

from __future__ import annotations

from fractions import Fraction

MAX_LENGTH, MAX_DEPTH, MAX_DEGREE = 200, 8, 8
MAX_CONSTANT = 10**12  # every coefficient's numerator and denominator, at every step
DIGITS = "0123456789"  # ASCII only: '²'.isdigit() and '٣'.isdigit() are true too
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"

Poly = tuple[Fraction, ...]  # coefficients, constant first


class CostError(ValueError):
    """A cost the grammar refuses: the problem, in one line, with where it is."""


def read(text: str) -> Poly:
    """The cost's coefficients (constant first), trailing zeros dropped."""
    if not isinstance(text, str):
        raise CostError(f"must be a formula in w such as \"w^4 - 3*w^2 + w\", got {text!r}")
    if len(text) > MAX_LENGTH:
        raise CostError(f"is {len(text)} characters long; at most {MAX_LENGTH} are allowed")
    parser = _Parser(text)
    poly = parser.cost()
    parser.bounded(poly)
    if parser.peek() is not None:
        parser.refuse(f"cannot read {parser.show()}")
    return _trim(poly)


def degree(poly: Poly) -> int:
    return len(poly) - 1


def value(poly: Poly, w: float) -> float:
    """C(w), by Horner's rule in floats."""
    out = 0.0
    for c in reversed(poly):
        out = out * w + float(c)
    return out


def checked_slope(poly: Poly, w: float) -> tuple[float, float, bool]:
    """C′(w) from the coefficients, the same by a fourth-order difference of C, and whether
    they agree as the sheet requires (sheets/descent_lesson.py Descent.slope checks the same)."""
    slope = value(derivative(poly), w)
    h = 1e-4 * max(1.0, abs(w))
    numeric = (8 * (value(poly, w + h / 2) - value(poly, w - h / 2))
               - (value(poly, w + h) - value(poly, w - h))) / (6 * h)
    agree = abs(slope - numeric) <= 1e-6 * max(1.0, abs(slope), abs(value(poly, w)))
    return slope, numeric, agree


def derivative(poly: Poly) -> Poly:
    """C′ as coefficients: d/dw of Σ c_k w^k is Σ k c_k w^(k−1)."""
    return _trim(tuple(k * c for k, c in enumerate(poly))[1:] or (Fraction(0),))


class _Parser:
    def __init__(self, text: str):
        self.text, self.at, self.depth = text, 0, 0

    # --- characters -------------------------------------------------------------------
    def peek(self) -> str | None:
        while self.at < len(self.text) and self.text[self.at] in " \t":
            self.at += 1
        return self.text[self.at] if self.at < len(self.text) else None

    def take(self) -> str:
        c = self.peek()
        self.at += 1
        return c

    def show(self) -> str:
        c = self.text[self.at]
        name = repr(c) if c.isprintable() else f"U+{ord(c):04X}"
        return f"{name} at character {self.at + 1}"

    def bounded(self, poly: Poly) -> Poly:
        """The polynomial, once each coefficient is known to stay within MAX_CONSTANT."""
        for c in poly:
            if abs(c.numerator) > MAX_CONSTANT or c.denominator > MAX_CONSTANT:
                where = min(self.at, len(self.text))
                raise CostError(f"makes a number past 10^12 by character {where}"
                                " (its coefficients or their fractions grow too large for the "
                                "sheet's numbers to be checked); use smaller numbers")
        return poly

    def refuse(self, problem: str):
        raise CostError(f"{problem}; a cost is a formula in w of numbers, w, + − * / ^ "
                        "and parentheses, such as \"w^4 - 3*w^2 + w\"")

    # --- grammar ----------------------------------------------------------------------
    def cost(self) -> Poly:
        out = self.term()
        while self.peek() in ("+", "-", "−"):
            sign = 1 if self.take() == "+" else -1
            out = self.bounded(_add(out, _scale(self.term(), sign)))
        return out

    def term(self) -> Poly:
        out = self.unary()
        while True:
            c = self.peek()
            if c in ("*", "·", "×"):
                self.take()
                out = self.bounded(_mul(out, self.unary()))
            elif c == "/":
                self.take()
                self.peek()
                where = self.at + 1
                divisor = self.unary()
                if degree(_trim(divisor)) > 0:
                    raise CostError(f"divides by an expression in w (at character {where}); "
                                    "divide only by numbers")
                if divisor[0] == 0:
                    raise CostError(f"divides by zero (at character {where})")
                out = self.bounded(_scale(out, 1 / divisor[0]))
            elif c is not None and (c == "w" or c == "(" or c in DIGITS or c == "."):
                out = self.bounded(_mul(out, self.power()))  # 3w^2, 2(w + 1): written together
            else:
                return out
            if degree(_trim(out)) > MAX_DEGREE:
                raise CostError(f"has degree {degree(_trim(out))}; at most {MAX_DEGREE} is "
                                "allowed")

    def unary(self) -> Poly:
        c = self.peek()
        if c in ("+", "-", "−"):
            self.take()
            return _scale(self.unary(), 1 if c == "+" else -1)
        return self.power()

    def power(self) -> Poly:
        base = self.atom()
        if self.peek() != "^":
            return base
        self.take()
        if self.peek() is None:
            raise CostError("ends with ^: a whole power from 0 to 8 is missing")
        start = self.at
        if self.peek() not in DIGITS:
            self.refuse(f"^ must be followed by a whole number from 0 to 8, not {self.show()}")
        digits = ""
        while self.at < len(self.text) and self.text[self.at] in DIGITS + ".":
            digits += self.text[self.at]
            self.at += 1
        if "." in digits or len(digits) > 2 or int(digits) > MAX_DEGREE:
            raise CostError(f"has the power {digits} at character {start + 1}; powers are whole "
                            f"numbers from 0 to {MAX_DEGREE}")
        n = int(digits)
        if degree(_trim(base)) * n > MAX_DEGREE:
            raise CostError(f"has degree {degree(_trim(base)) * n}; at most {MAX_DEGREE} is "
                            "allowed")
        out: Poly = (Fraction(1),)
        for _ in range(n):
            out = self.bounded(_mul(out, base))
        return out

    def atom(self) -> Poly:
        c = self.peek()
        if c is None:
            raise CostError("ends too soon: a number, w or ( is missing at the end"
                            if self.text.strip() else "is empty: write a formula in w, such as "
                            "\"w^4 - 3*w^2 + w\"")
        if c == "w":
            self.take()
            return (Fraction(0), Fraction(1))
        if c == "(":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise CostError(f"nests parentheses more than {MAX_DEPTH} deep")
            inner = self.cost()
            if self.peek() != ")":
                if self.peek() is None:
                    raise CostError("has a ( that is never closed")
                self.refuse(f"expected ) but found {self.show()}")
            self.take()
            self.depth -= 1
            return inner
        if c in DIGITS or c == ".":
            return (self.number(),)
        if c in SUPERSCRIPTS:
            self.refuse(f"cannot read the superscript {self.show()}: write a power with ^, "
                        "as w^2")
        if c.isdigit():
            self.refuse(f"cannot read {self.show()}: write numbers with the digits 0-9")
        self.refuse(f"cannot read {self.show()}")

    def number(self) -> Fraction:
        start, digits = self.at, ""
        while self.at < len(self.text) and self.text[self.at] in DIGITS + ".":
            digits += self.text[self.at]
            self.at += 1
        if digits.count(".") > 1 or digits == "." or len(digits) > 12:
            raise CostError(f"has a number {digits!r} at character {start + 1} that is not one; "
                            "write numbers as 3, 0.5 or .25 (at most 12 characters)")
        return Fraction(digits)


def _trim(p: Poly) -> Poly:
    p = tuple(p)
    while len(p) > 1 and p[-1] == 0:
        p = p[:-1]
    return p


def _add(a: Poly, b: Poly) -> Poly:
    n = max(len(a), len(b))
    return tuple((a[i] if i < len(a) else 0) + (b[i] if i < len(b) else 0) for i in range(n))


def _scale(a: Poly, k) -> Poly:
    return tuple(Fraction(k) * c for c in a)


def _mul(a: Poly, b: Poly) -> Poly:
    out = [Fraction(0)] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return tuple(out)
