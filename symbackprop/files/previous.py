"""An earlier build's files of the same sheet in the --out folder. A teacher who builds a set
with seed 1 and then, into the same folder, with seed 2 must not find seed 1's PDFs beside
seed 2's keys: one set would be printed and the other marked.

Files that agree with this build (the same seed and definition, so the same numbers) are kept:
a practice page built later beside the PDFs is one set. Files that do not agree are replaced
with the whole set when this build makes the whole set, and refused, naming them, when it
makes only a part of one (the other parts' files are not this build's to remove). A version
the whole set does not have (the third of a class of three, rebuilt for two) agrees with
nothing: it is removed with the rest of the earlier set.

>>> set_of({"seed": 1, "version": 3, "definition": {"title": "T", "values": {"inputs": [1]}}})
'{"definition": {"title": "T"}, "seed": 1}'
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..definitions.errors import UsageError
from ..definitions.yamlfile import BOM, Unreadable, read_bytes

KEY_BYTES = 16 * 2**20  # as keys.MAX_BYTES
# the files build writes for one version (stem '<name>' or '<name>-v07')
_OF_A_VERSION = r"-(?:worksheet|key|shapes)\.(?:tex|pdf)|-key\.json|-practice\.html"
# and for a set, or a part of one ('-v0101-v0200')
_OF_A_SET = (r"-(?:class-set(?:-keys)?\.pdf|moodle(?:-numerical)?\.(?:xml|log)"
             r"|scorm(?:2004)?\.zip)")


def set_of(key: dict) -> str:
    """What every version of one set shares: its seed and its definition but for the numbers
    drawn per version."""
    definition = {k: v for k, v in (key.get("definition") or {}).items() if k != "values"}
    return json.dumps({"definition": definition, "seed": key.get("seed")}, sort_keys=True)


def stale(folder: Path, name: str, stage: Path, whole_set: bool) -> list[str]:
    """The names of the earlier build's files of sheet `name` in `folder` that this build
    (its files in `stage`) replaces; UsageError when it cannot replace them."""
    written = {p.name for p in stage.iterdir()}
    found = _files_of(folder, name)
    _refuse_other_sheets(folder, name, written, found)
    if not found:
        return []
    new = {stem: _key(stage / f"{stem}-key.json") for stem in _stems(written, name)}
    sets = {set_of(k) for k in new.values() if k is not None}
    # a version the whole set does not have (Cy's v03, built for a class of three, now of two)
    # is no version of this set, whatever numbers it shares with it
    agree = {stem: (stem in new or not whole_set)
             and _agrees(folder / f"{stem}-key.json", new.get(stem, ...), sets)
             for stem in found if stem is not None}
    agree[None] = all(agree.values())  # a class set or a Moodle file holds every version
    disagree = sorted(f for stem, files in found.items() for f in files
                      if not agree[stem] and f not in written)
    if not disagree or whole_set:
        return disagree
    shown = ", ".join(disagree[:3]) + (f" and {len(disagree) - 3} more" if len(disagree) > 3
                                       else "")
    raise UsageError(f"{folder}: holds files of another build of {name} ({shown}: another "
                     "seed or definition) beside the part of the set this build makes; build "
                     "the whole set again, or build into another folder")


def _refuse_other_sheets(folder: Path, name: str, written: set[str],
                        found: dict[str | None, list[str]]) -> None:
    """A file this build would write over that is not of sheet `name` (the unnumbered sheet
    quiz-v01 beside the set quiz's version 1) is another sheet's: refused, not replaced."""
    ours = {f for files in found.values() for f in files}
    theirs = sorted(f for f in written if f not in ours and (folder / f).is_file()
                    and not (folder / f).is_symlink())  # what is in the way, commit refuses
    if theirs:
        more = f" and {len(theirs) - 1} more files" if len(theirs) > 1 else ""
        raise UsageError(f"{folder}: {theirs[0]}{more} of another sheet than {name} (its key "
                         "says so) would be written over by this build; nothing was written: "
                         "build into another folder")


def _agrees(old_key: Path, new: dict | None, sets: set[str]) -> bool:
    """An old version's files agree when its key has this build's numbers (`new`, the key this
    build wrote for the same version) or, for a version this build did not make (`new` is
    ...), when it is a version of this build's set."""
    old = _key(old_key)
    if old is None:
        return False
    if new is ...:
        return set_of(old) in sets
    # the same numbers for another student (a class's roster, another class's, or none) are
    # another sheet: a page naming a student of the other class must not be handed out
    return new is not None and all(old.get(k) == new.get(k) for k in (
        "definition", "seed", "student", "printed"))  # and the header it printed


def _files_of(folder: Path, name: str) -> dict[str | None, list[str]]:
    """The earlier build's files of sheet `name`, by version stem (None: the set's own)."""
    of_version = re.compile(rf"({re.escape(name)}(?:-v[0-9]{{2,}})?)(?:{_OF_A_VERSION})")
    of_set = re.compile(rf"{re.escape(name)}{_OF_A_SET}|{re.escape(name)}-(?:class-set(?:-keys)?|"
                        r"moodle(?:-numerical)?)-v[0-9]+-v[0-9]+\.(?:pdf|xml|log)")
    found: dict[str | None, list[str]] = {}
    for entry in sorted(os.listdir(folder)):
        if not (folder / entry).is_file() or (folder / entry).is_symlink():
            continue
        m = of_version.fullmatch(entry)
        if m and _is_version_of(folder, m.group(1), name):
            found.setdefault(m.group(1), []).append(entry)
        elif of_set.fullmatch(entry):
            found.setdefault(None, []).append(entry)
    return found


def _is_version_of(folder: Path, stem: str, name: str) -> bool:
    """'blog-v20' is version 20 of sheet 'blog', unless its key says it is a sheet of its own
    (an unnumbered one called blog-v20). The other way round too: the files of the unnumbered
    sheet 'a-v01' are its own only when their key has no version; a key of version 1 is the
    set a's, not this sheet's to replace."""
    key = _key(folder / f"{stem}-key.json")
    if stem == name:
        return key is None or key.get("version") is None
    return key is None or key.get("version") == int(stem.rsplit("-v", 1)[1])


def _stems(names, name: str) -> set[str]:
    """The version stems of sheet `name` among the key.json files in `names`."""
    return {n[:-9] for n in names if n.endswith("-key.json") and (
        n[:-9] == name or re.fullmatch(rf"{re.escape(name)}-v[0-9]{{2,}}", n[:-9]))}


def _key(path: Path) -> dict | None:
    try:
        data = json.loads(read_bytes(path, KEY_BYTES).decode("utf-8").removeprefix(BOM))
    except (Unreadable, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None
