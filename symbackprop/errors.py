"""Errors the command line reports to people: light, so that importing them costs nothing."""


class UsageError(Exception):
    """Bad input from the user: one line on stderr, exit code 2."""


class VerificationError(Exception):
    """The three computations disagree: nothing may be printed."""
