"""A key file's bytes and its JSON, read with bounds: a regular file of at most MAX_BYTES, UTF-8
(a byte-order mark dropped), no constant JSON allows but no key holds, no name twice in a mapping,
no whole number past MAX_DIGITS. Every refusal is a DefinitionError naming the file."""

from __future__ import annotations

import json

from ..definitions.definition import DefinitionError
from ..definitions.yamlfile import BOM, MAX_DIGITS, Unreadable, read_bytes

MAX_BYTES = 16 * 2**20  # a key of the largest network the engine admits is a few MB


def read_bounded(path: str) -> bytes:
    """A regular file's bytes: a FIFO, a device or a folder is refused unread, never waited on."""
    try:
        return read_bytes(path, MAX_BYTES)
    except Unreadable as exc:
        raise DefinitionError(path, "", f"cannot read the key ({exc}); give a key.json "
                              "written by 'symbackprop build'") from None


class _NotOfAKey(ValueError):
    """What no key written by build holds (a number past its bounds, a name given twice):
    said in the key's own words, not the JSON reader's."""


def parse(raw: bytes, path: str):
    def refuse(constant: str):
        raise _NotOfAKey(f"holds {constant}: {constant} is not a number a key can hold")

    def whole(text: str) -> int:
        # Python's own refusal of 4,300 digits and more tells a programmer how to raise it
        digits = len(text.lstrip("-"))
        if digits > MAX_DIGITS:
            raise _NotOfAKey(f"holds a whole number of {digits:,} digits (at most "
                             f"{MAX_DIGITS})")
        return int(text)

    def mapping(pairs: list) -> dict:
        # a key edited by hand with "answers" twice would be read with the last in silence
        seen = set()
        for name, _ in pairs:
            if name in seen:
                raise _NotOfAKey(f"gives {json.dumps(name)[:60]} twice in one mapping")
            seen.add(name)
        return dict(pairs)

    try:
        # Notepad saves a key it opened with a byte-order mark: not part of the JSON
        return json.loads(raw.decode("utf-8").removeprefix(BOM), parse_constant=refuse,
                          parse_int=whole, object_pairs_hook=mapping)
    except UnicodeDecodeError:
        problem = "is not UTF-8 text"
    except RecursionError:
        problem = "is nested too deeply"
    except _NotOfAKey as exc:
        problem = str(exc)
    except ValueError as exc:
        problem = f"is not JSON ({exc})"
    raise DefinitionError(path, "", f"{problem}: not a key written by 'symbackprop build'")
