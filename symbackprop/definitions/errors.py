"""Errors the command line reports to people, and how user text is shown in a message: light,
so that importing them costs nothing."""

import re


class DefinitionError(Exception):
    """A definition is wrong: says which file, which key and what is wrong (on one line)."""

    def __init__(self, source: str, key: str, problem: str):
        self.source, self.key, self.problem = source, key, problem
        where = one_line(source, 200) + (f": {one_line(key, 80)}" if key else "")
        super().__init__(f"{where}: {one_line(problem, 600)}")


class UsageError(Exception):
    """Bad input from the user: one line on stderr, exit code 2."""


class Diverged(UsageError):
    """Gradient descent left the finite numbers: the learning rate is too large for them.
    The command line names the definition's file and its learning_rate."""

    def __init__(self, step: int, learning_rate: float):
        self.step, self.learning_rate = step, learning_rate
        super().__init__(
            "the loss is not a finite number even before training: the numbers are beyond "
            "double precision" if step == 0 else
            f"the loss is no longer a finite number by step {step}: gradient descent with "
            f"learning rate {learning_rate:g} diverges on these numbers; use a smaller one")


class VerificationError(Exception):
    """The three computations disagree: nothing may be printed."""


class BadNumbers(VerificationError):
    """Legal numbers the engine cannot work with (a quantity beyond double precision, an
    output saturated past what a log can take): the input's fault, not the engine's, so the
    command line names the file and exits with 2."""


class NoDerivative(BadNumbers):
    """Legal numbers at which a derivative does not exist (a ReLU exactly at its corner)."""


class LatexMissing(RuntimeError):
    """No TeX on this machine."""


class LatexError(RuntimeError):
    """TeX failed: the first error and where its full log is."""

    def __init__(self, message: str, log=None):
        self.problem, self.log = message, log
        super().__init__(message + (f" (log: {log})" if log else ""))


class LatexTimeout(LatexError):
    """TeX overran its time."""


def one_line(text: str, limit: int = 300) -> str:
    """`text` as one line of at most about `limit` characters, invisible characters shown.

    A message quotes what a user wrote, which may hold a newline, a control character or
    200,000 characters; stderr gets one readable line all the same.

    >>> print(one_line('a\\nb\\x00c ' + 'x' * 50, 10))
    a\\nb\\x00c xxxx…
    """
    cut = text[:limit]
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in cut)
    return shown + ("…" if len(text) > limit else "")


# What a terminal takes as a command rather than text: C0 and C1 controls (ESC starts a
# sequence that can retitle or clear the screen, BEL rings), and every invisible format mark
# (Unicode's Cf, Zl and Zp: the marks that reorder text, zero widths, tags that hide words).
# Tab and newline stay: messages are laid out with them. Written out, not computed from
# unicodedata: `check` must start in a few milliseconds.
_TERMINAL_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
    "\u08e2\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    # a lone surrogate: a file name's byte that is not UTF-8 (0x9b, the 8-bit CSI), which
    # Python would write back raw; shown as \udc9b, an escape JSON reads too
    "\ud800-\udfff]")


def terminal_safe(text: str) -> str:
    """`text` with every character a terminal would act on shown as its escape.

    >>> print(terminal_safe('Ann\x1b]0;pwned\x07\x1b[2J Lee\tok\u202e'))
    Ann\\x1b]0;pwned\\x07\\x1b[2J Lee	ok\\u202e
    """
    return _TERMINAL_CONTROLS.sub(lambda m: repr(m.group())[1:-1], text)
