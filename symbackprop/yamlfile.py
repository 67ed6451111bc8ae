"""Reading a definition file: a regular file of bounded size, and YAML read strictly.

YAML 1.1 reads `010` as 8, `0x10` as 16, `no` as False and `1e-3` as text; PyYAML expands an
alias as often as it is used and nests as deep as the text does. Here `1e-3` is the number it
looks like, the others are refused, a document is bounded in size, nesting and values, and each
number keeps the text it was written with (`Printed`).
"""

from __future__ import annotations

import os
import re
import reprlib
import stat
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import DefinitionError

MAX_BYTES = 2**20  # a definition file (the shipped ones are 1 to 3 KB) or a lesson's image file
MAX_NESTING = 32  # lists and mappings inside one another (a definition needs 4)
MAX_VALUES = 250_000  # scalars, lists and mappings, with every alias expanded
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


# --- YAML: safe, bounded, and strict about the forms YAML 1.1 silently reinterprets ---------


if yaml.__with_libyaml__:  # libyaml's scanner and parser, our composer: 4x faster on big files
    from yaml._yaml import CParser

    class _SafeLoader(yaml.composer.Composer, CParser, yaml.constructor.SafeConstructor,
                      yaml.resolver.Resolver):
        def __init__(self, stream):
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
else:
    _SafeLoader = yaml.SafeLoader


class _StrictLoader(_SafeLoader):
    """SafeLoader that refuses duplicate keys, surprising scalars and unbounded documents.

    YAML 1.1 reads `010` as 8, `0x10` as 16, `no` as False and `1e-3` as text.
    We read `1e-3` as the number it looks like and refuse the others. Keys must be scalars,
    nesting is at most MAX_NESTING deep, and the document, with every alias expanded (a
    "billion laughs" expands to 10^9 values from a few lines), at most MAX_VALUES values.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0
        self.sizes: dict[int, int] = {}  # id(node) -> values it stands for, aliases expanded

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            node = super().compose_node(parent, index)
            if id(node) not in self.sizes:
                raise yaml.composer.ComposerError(
                    None, None, "an alias refers to the list or mapping it is inside", mark)
            return node
        mark = self.peek_event().start_mark
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise yaml.composer.ComposerError(
                None, None, f"lists and mappings are nested more than {MAX_NESTING} deep", mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        self.sizes[id(node)] = size = 1 + sum(self.sizes[id(child)] for child in _children(node))
        if size > MAX_VALUES:
            raise yaml.composer.ComposerError(
                None, None, f"the document holds more than {MAX_VALUES:,} values (counting each "
                "use of an alias in full)", mark)
        return node

    def construct_object(self, node, deep=False):
        # an explicit tag PyYAML cannot honour (`!!float shared`) raises plain Python errors
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this as {node.tag.rsplit(':', 1)[-1]} ({exc})",
                node.start_mark) from None


def _children(node: yaml.Node):
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return ()


@dataclass(frozen=True)
class TooLong:
    """A whole number with more digits than any in a definition (Python refuses to read one of
    more than 4,300, and one of 400 overflows a float): kept, so the schema can say where."""

    digits: int


_FLOAT_12 = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))
# what YAML itself refuses to read, caught first to say where (YAML's own message is two lines)
_UNREADABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD"
                         "\U00010000-\U0010FFFF]")


def _construct_int(loader, node):
    text = node.value
    if not re.fullmatch(r"[-+]?(0|[1-9][0-9]*)", text):
        raise yaml.constructor.ConstructorError(
            None, None, f"{_REPR.repr(text)} is an ambiguous number (YAML 1.1 reads it in "
            "another base or ignores '_'); write it in plain decimal", node.start_mark)
    digits = len(text.lstrip("+-"))
    return TooLong(digits) if digits > MAX_DIGITS else int(text)


def _construct_bool(loader, node):
    if node.value.lower() not in ("true", "false"):
        raise yaml.constructor.ConstructorError(
            None, None, f"'{node.value}' is read by YAML as a yes/no value; write true or false "
            "(or quote it if you meant text)", node.start_mark)
    return node.value.lower() == "true"


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a name or a number, not a "
                f"{'list' if isinstance(key_node, yaml.SequenceNode) else 'mapping'}",
                key_node.start_mark)
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:  # `? !!set a`: a scalar node made into a set
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a name or a number", key_node.start_mark) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {_REPR.repr(key)} appears twice", key_node.start_mark)
        seen.add(key)
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


def _construct_float(loader, node):
    # keep the text: an author's printed precision is in it (0.30 is not 0.3)
    return Printed(yaml.SafeLoader.construct_yaml_float(loader, node), node.value)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_StrictLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


class Unreadable(Exception):
    """Why a file cannot be read: not a regular file, too large, or not UTF-8 text."""


def read_text(path: str | Path, limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes, read without ever blocking
    or reading more: /dev/zero, a FIFO or a folder is refused, not read.

    >>> read_text('/dev/zero')
    Traceback (most recent call last):
    symbackprop.yamlfile.Unreadable: it is a device, not a file
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise Unreadable(getattr(exc, "strerror", None) or str(exc)) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise Unreadable(f"it is {_file_kind(mode)}, not a file")
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise Unreadable(exc.strerror or str(exc)) from None
    if len(data) > limit:
        raise Unreadable(f"it is larger than {_bytes(limit)}, the most that is read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Unreadable(f"it is not UTF-8 text (byte 0x{data[exc.start]:02X} on line {line})") \
            from None


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def _bytes(n: int) -> str:
    return f"{n // 2**20} MiB" if n % 2**20 == 0 else f"{n // 1024} KiB"


def parse(text: str, source: str):
    """The YAML document in `text`, read strictly and within the bounds; DefinitionError with
    the line otherwise."""
    bad = _UNREADABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise DefinitionError(source, f"line {line}", f"the character U+{ord(bad.group()):04X} "
                              "(a control character) is not allowed in a definition")
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except (ValueError, TypeError, OverflowError) as exc:  # in a constructor PyYAML defers
        raise DefinitionError(source, "", f"bad YAML: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        context, first = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and first and first.line != getattr(mark, "line", None):
            context += f" (line {first.line + 1})"
        said = [context, getattr(exc, "problem", None)]
        problem = ": ".join(p for p in said if p) or str(exc)
        raise DefinitionError(source, where, f"bad YAML: {problem}") from None
    return data
