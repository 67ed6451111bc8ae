"""The Python API's arguments held to the command line's bounds: a seed or a version is a whole
number in the same range, and a version's numbers are drawn as the command line draws them,
with the same refusals (TypeError or DefinitionError naming the argument)."""

from __future__ import annotations

from ..definitions import definition
from ..definitions.errors import DefinitionError


def whole(value, name: str, low: int, high: int, source: str) -> int | None:
    """An argument the command line takes as a whole number, held to the same bounds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number (an int), got {type(value).__name__}")
    if not low <= value <= high:
        raise DefinitionError(source, name, f"must be a whole number from {low:,} to "
                              f"{high:,}, got {value:,}")
    return value


def instance(defn: definition.Definition, seed: int | None, version: int | None):
    """The numbers of a version as the command line draws them (and the same refusals)."""
    from ..engine.sample import instance

    version = instance_version(defn, seed, version)
    if defn.layered:  # as the command line draws it
        from ..sheets.convsheet import drawn

        return drawn(defn, seed, version)
    if version is None:
        return instance(defn, seed)
    from ..files import classset

    return classset.draw(defn, seed, version)[0].instance


def instance_version(defn: definition.Definition, seed, version) -> int | None:
    """The version a worksheet is drawn for, with the command line's bounds and refusals."""
    from ..definitions.errors import UsageError
    from ..engine.sample import seed_of, version_of

    whole(seed, "seed", 0, definition.MAX_SEED, defn.source)
    version = whole(version, "version", 1, definition.MAX_VERSIONS, defn.source)
    try:
        seed_of(defn, seed, "seed")
    except UsageError as exc:
        raise DefinitionError(defn.source, "seed", str(exc).removeprefix(
            f"{defn.source}: ")) from None
    try:
        return version_of(defn, version)
    except UsageError as exc:
        said = str(exc).removeprefix(f"{defn.source}: ").replace("--version", "version")
        raise DefinitionError(defn.source, "version", said) from None
