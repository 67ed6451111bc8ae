"""What the commands share: a network definition read, strict JSON, a usage error."""

from __future__ import annotations

import json

from ..definitions import definition
from ..definitions.errors import UsageError


def strict_json(value, source: str) -> str:
    """Strict JSON (RFC 8259 has no NaN or Infinity), or a clear refusal."""
    try:
        return json.dumps(value, indent=2, allow_nan=False)
    except ValueError:
        raise UsageError(f"{source}: a result is not a finite number (NaN or infinity), which "
                         "JSON cannot carry; run without --json to see it") from None


def network_definition(path: str):
    """A backpropagation definition; a lesson page (seed 000's) has no network to derive."""
    defn = definition.load(path)
    if isinstance(defn, definition.Lesson):
        usage(f"{path}: a {defn.kind} worksheet has no network to work on; build it with "
               f"'symbackprop build {path}'")
    return defn


def usage(problem: str):
    raise UsageError(problem)
