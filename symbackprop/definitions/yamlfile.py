"""Reading a definition file: a regular file of bounded size, and YAML read strictly.

The bounds of a document (yamlstrict.py reads the YAML within them), each number with the
text it was written with (`Printed`), and how what a user wrote is quoted in a message.
"""

from __future__ import annotations

import os
import re
import reprlib
import stat
from dataclasses import dataclass
from pathlib import Path

# A definition file: the shipped ones are 1 to 3 KB, but a network of the largest size admitted
# (200,000 weights and biases), every number written out in full double precision in block
# YAML (`      - -1.4359875291065994e-05`, 35 bytes a number), is about 7 MB: read up to 16 MiB.
MAX_BYTES = 16 * 2**20
MAX_IMAGE_BYTES = 2**20  # a lesson's image file (a digit's line of the UCI file is 200 bytes)
MAX_NESTING = 32  # lists and mappings inside one another (a definition needs 4)
# scalars, lists and mappings, with every alias expanded: the largest network admitted has at
# most 200,000 numbers and a list a neuron (fewer than its weights), and a few thousand more
MAX_VALUES = 500_000
MAX_DIGITS = 19  # of a whole number: 2**63 - 1, the largest seed, has 19

_REPR = reprlib.Repr()  # quotes what a user wrote, shortened
_REPR.maxstring = _REPR.maxother = 60


class Printed(float):
    """A number as it was printed: its value, and its text (`-0.1360` keeps its last zero).

    >>> p = Printed(-0.136, "-0.1360")
    >>> p == -0.136, p.text, p.decimals
    (True, '-0.1360', 4)
    """

    text: str

    def __new__(cls, value: float, text: str):
        self = super().__new__(cls, value)
        self.text = text
        return self

    @property
    def decimals(self) -> int:
        """Decimals printed: '0.30' -> 2, '1.0' -> 1, '3.51e-5' -> 7, '2' -> 0."""
        from decimal import Decimal, InvalidOperation

        try:
            exponent = Decimal(self.text.replace("_", "")).as_tuple().exponent
        except InvalidOperation:
            return 0
        return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass(frozen=True)
class TooLong:
    """A whole number with more digits than any in a definition (Python refuses to read one of
    more than 4,300, and one of 400 overflows a float): kept, so the schema can say where."""

    digits: int


def too_long(value: int) -> TooLong:
    """A whole number of more digits than a definition's, as the YAML reader keeps one (the
    Python API's: the digits of 10**5000 are not written out to be counted)."""
    return TooLong(len(str(abs(value))) if abs(value) < 10**4000 else 4000)


class Unreadable(Exception):
    """Why a file cannot be read: not a regular file, too large, or not UTF-8 text."""


BOM = "\ufeff"  # a byte-order mark: Notepad's UTF-8 and a spreadsheet's "CSV UTF-8" start so


def read_text(path: str | Path, limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes, read without ever blocking
    or reading more: /dev/zero, a FIFO or a folder is refused, not read. A byte-order mark
    at its start is not part of its text.

    >>> read_text('/dev/zero')
    Traceback (most recent call last):
    symbackprop.definitions.yamlfile.Unreadable: it is a device, not a file
    """
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Unreadable(f"it is not UTF-8 text (byte 0x{data[exc.start]:02X} on line {line})") \
            from None


def lines_of(text: str) -> list[str]:
    """The lines of a user's text file as an editor shows them, and as a spreadsheet's CSV is
    read (mark's csv reader): a line ends at a newline, a CR LF or a lone CR (a Mac's old
    line end, which Excel's "CSV (Macintosh)" still writes) only. str.splitlines also ends one
    at U+2028, \\x0b, \\x0c, \\x1c-\\x1e and \\x85, which a comment or a name pasted
    from a web page may hold.

    >>> lines_of("# note" + chr(0x2028) + " ok\\r\\na = 1\\rb = 2\\n")
    ['# note\\u2028 ok', 'a = 1', 'b = 2', '']
    """
    return _LINE_END.split(text)


_LINE_END = re.compile("\r\n|\r|\n")


def read_bytes(path: str | Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, with read_text's refusals."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise Unreadable(getattr(exc, "strerror", None) or str(exc)) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise Unreadable(f"it is {file_kind(mode)}, not a file")
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise Unreadable(exc.strerror or str(exc)) from None
    if len(data) > limit:
        raise Unreadable(f"it is larger than {_bytes(limit)}, the most that is read")
    return data


def file_kind(mode: int) -> str:
    """What a path that is not a regular file is, in words: 'a pipe', 'a device'."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def _bytes(n: int) -> str:
    return f"{n // 2**20} MiB" if n % 2**20 == 0 else f"{n // 1024} KiB"


def describe(value) -> str:
    """What a user wrote, in words: 'a mapping', 'the text 'abc'', 'a whole number of 25
    digits'."""
    if isinstance(value, TooLong):
        return f"a whole number of {value.digits:,} digits (at most {MAX_DIGITS})"
    if isinstance(value, bool):
        return f"the yes/no value {value}"
    if isinstance(value, str):
        return f"the text {_REPR.repr(value)}"
    return {dict: "a mapping", list: "a list", type(None): "nothing"}.get(
        type(value)) or _REPR.repr(value)


# A number as a definition writes one and as a person types one: plain decimal, ASCII digits,
# no '_' (which YAML 1.1 and Python's int() and float() skip), no other script's digits (which
# Python reads as 0-9), no base 60 (YAML 1.1's 1:30), at most 40 characters.
PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_PLAIN_WHOLE = re.compile(r"[-+]?[0-9]+")


def plain_number(text: str) -> int | float | None:
    """What a typed number is (a whole number as an int), or None if it is not one as the
    definition's YAML reads numbers: the command line's numbers are read by this, not by
    Python's int() and float(), which take '1_0' for 10 and a Bengali '৪' for 4.

    >>> plain_number("50"), plain_number("0.5"), plain_number("-.25"), plain_number("1e-3")
    (50, 0.5, -0.25, 0.001)
    >>> [plain_number(t) for t in ("1_0", "\u0665\u0660", "\uff14", "nan", "1:30")]
    [None, None, None, None, None]
    """
    text = text.strip(" \t")
    if len(text) > 40 or not PLAIN_NUMBER.fullmatch(text):
        return None
    return int(text) if _PLAIN_WHOLE.fullmatch(text) else float(text)


def key_text(key) -> str:
    """A mapping's key as a key path names it (`points.J`, `names.h`): a text as written, cut
    after 60 characters, anything else as `quoted` shows it.

    >>> key_text("J"), key_text(3), key_text("x" * 70)[-5:]
    ('J', '3', 'xx...')
    """
    if isinstance(key, str):
        return key if len(key) <= 60 else key[:60] + "..."
    return quoted(key)


def quoted(value) -> str:
    """What a user wrote, shown short: reprlib cuts long lists and texts, and aliases are
    already bounded by MAX_VALUES.

    >>> quoted([1] * 100), quoted("x" * 100)[:20]
    ('[1, 1, 1, 1, 1, 1, ...]', "the text 'xxxxxxxxxx")
    """
    if isinstance(value, (dict, str, bool, type(None), TooLong)):
        return describe(value)
    if isinstance(value, int) and abs(value) >= 10**30:  # repr of 10**5000 is refused
        digits = len(str(abs(value))) if abs(value) < 10**4000 else "over 4,000"
        return f"a whole number of {digits} digits"
    return _REPR.repr(value)
