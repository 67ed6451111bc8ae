"""Errors the command line reports to people: light, so that importing them costs nothing."""


class DefinitionError(Exception):
    """A definition is wrong: says which file, which key and what is wrong (on one line)."""

    def __init__(self, source: str, key: str, problem: str):
        self.source, self.key, self.problem = source, key, problem
        where = one_line(source, 200) + (f": {one_line(key, 80)}" if key else "")
        super().__init__(f"{where}: {one_line(problem, 600)}")


class UsageError(Exception):
    """Bad input from the user: one line on stderr, exit code 2."""


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
