"""YAML read strictly: safe, bounded in size, nesting and values, and strict about the forms
YAML 1.1 silently reinterprets (`010`, `0x10`, `no`); `1e-3` is the number it looks like and
every float keeps its text (`Printed`). Imported only when a YAML file is read."""

from __future__ import annotations

import re

import yaml

from .errors import DefinitionError
from .yamlfile import _REPR, MAX_DIGITS, MAX_NESTING, MAX_VALUES, Printed, TooLong, lines_of

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


_FLOAT_12 = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))
# -.22 and +.5, as authors print them (YAML 1.1 reads .22 but not -.22 as a number)
_SIGNED_DOT = re.compile(r"^[-+]\.[0-9]+$")
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _SIGNED_DOT, list("-+"))
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
    if "_" in node.value or ":" in node.value:  # 1_0.5 is 10.5 and 1:30.0 is 90.0 to YAML 1.1
        raise yaml.constructor.ConstructorError(
            None, None, f"{_REPR.repr(node.value)} is an ambiguous number (YAML 1.1 ignores "
            "'_' and reads 1:30.0 in base 60); write it in plain decimal", node.start_mark)
    # keep the text: an author's printed precision is in it (0.30 is not 0.3)
    return Printed(yaml.SafeLoader.construct_yaml_float(loader, node), node.value)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_StrictLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)




def parse(text: str, source: str):
    """The YAML document in `text`, read strictly and within the bounds; DefinitionError with
    the line otherwise, numbered as an editor and `grep -n` number it."""
    bad = _UNREADABLE.search(text)
    if bad:
        line, column = _line_column(text, bad.start())
        raise DefinitionError(source, f"line {line}, column {column}", f"the character "
                              f"U+{ord(bad.group()):04X} (a control character) is not allowed "
                              "in a definition")
    text, back = _stand_ins(text)
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except (ValueError, TypeError, OverflowError) as exc:  # in a constructor PyYAML defers
        raise DefinitionError(source, "", f"bad YAML: {str(exc).translate(back)}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        context, first = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and first and first.line != getattr(mark, "line", None):
            context += f" (line {first.line + 1})"
        said = [context, getattr(exc, "problem", None)]
        problem = (": ".join(p for p in said if p) or str(exc)).translate(back)
        if "maximum nesting depth" in problem:  # PyYAML ≥ 6.0.3's scanner, before our own
            problem = f"lists and mappings are nested more than {MAX_NESTING} deep"
        raise DefinitionError(source, where, f"bad YAML: {problem}") from None
    return _restored(data, back) if back else data


def _line_column(text: str, index: int) -> tuple[int, int]:
    """The line and column of text[index] as an editor shows them (yamlfile.lines_of)."""
    lines = lines_of(text[:index])
    return len(lines), len(lines[-1]) + 1


# YAML 1.1 ends a line at NEL, U+2028 and U+2029 too, where an editor, `grep -n` and every
# other file this tool reads (lines_of) do not: a comment pasted from a web page holding one
# would end there, and every line after it be numbered one more than the editor shows. Each
# is read as a character of its own instead (as YAML 1.2 reads them): a stand-in the YAML
# reader takes for one, a private-use character the text does not hold, is put back after.
_SEPARATORS = "\x85\u2028\u2029"
_PRIVATE = range(0xE000, 0xF900)


def _stand_ins(text: str) -> tuple[str, dict[int, str]]:
    """`text` with each line separator YAML 1.1 alone reads as a line end replaced by a
    stand-in, and the table that puts them back ({} if it holds none). A text holding all
    6,400 private-use characters keeps its separators, read as YAML 1.1 reads them.

    >>> text, back = _stand_ins("a: 1 # x" + chr(0x2028) + "y")
    >>> text == "a: 1 # x" + chr(0xE000) + "y", back == {0xE000: chr(0x2028)}
    (True, True)
    """
    held = [c for c in _SEPARATORS if c in text]
    if not held:
        return text, {}
    free = (chr(c) for c in _PRIVATE if chr(c) not in text)
    to = {ord(c): next(free, c) for c in held}
    return text.translate(to), {ord(s): chr(c) for c, s in to.items()}


def _restored(value, back: dict[int, str]):
    """The document with each stand-in put back, in its texts and its keys."""
    if isinstance(value, str):
        return value.translate(back)
    if isinstance(value, dict):
        return {_restored(k, back): _restored(v, back) for k, v in value.items()}
    if isinstance(value, (list, tuple)):  # a tuple: an !!omap's pair
        return type(value)(_restored(v, back) for v in value)
    return value
