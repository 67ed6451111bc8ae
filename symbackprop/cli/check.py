"""The `check` command's file side: the key to mark against (a KEY.json, or a definition's
version regenerated), the answers (a file, standard input, or asked for in turn), and the
report. Kept beside commands.py, as files/build.py is for `build`."""

from __future__ import annotations

import json
import sys

from ..definitions.errors import UsageError, one_line
from ..definitions.language import N_
from ..definitions.yamlfile import Unreadable, read_bytes
from .common import network_definition, strict_json, usage


def main(args) -> int:
    from ..marking import check, scheme

    key, defn = _load_key(args)
    if args.answers is None:
        given, problems = _ask(key)
    else:
        given, problems = check.parse_answers(_read_answers(args.answers), key)
    where = one_line(args.answers or "input")
    if args.answers is not None and problems and not given:
        # a file none of whose lines is an answer is not a sheet answered with nothing
        raise UsageError(f"{where}: no line is an answer ({one_line(problems[0])}); nothing "
                         "was marked: write one 'label = value' a line, as 'a = 0.3775'")
    for problem in problems[:MAX_PROBLEMS]:
        print(f"symbackprop: {where}: {one_line(problem)}", file=sys.stderr)
    if len(problems) > MAX_PROBLEMS:
        print(f"symbackprop: {where}: ... and {len(problems) - MAX_PROBLEMS} more lines that "
              "are not answers", file=sys.stderr)
    marks = check.mark(key, given)
    score = {v: sum(m.verdict == v for m in marks) for v in check.VERDICTS}
    the_set, version, seed = _set_of(key, defn, args)
    named = {key.by_label[label]["name"]: v for label, v in given.items() if label in key.by_label}
    # a sheet that shows no work already earns no follow-through: no version to look for
    if the_set is not None and (_mostly_wrong(score) or score["carried_forward"]) and not \
            scheme.no_work(check.scheme_for(key), named):
        if sys.stderr.isatty():  # each version is drawn again: seconds, on a large sheet
            print(f"symbackprop: {where}: looking at the set's other versions (up to "
                  f"{MAX_SEARCHED}) for answers copied from one...", file=sys.stderr, flush=True)
        other, theirs = _other_versions(the_set, version, seed, given)
        if other is not None:
            print(f"symbackprop: {where}: most answers are wrong for version {version}, "
                  f"but every one is right for version {other}: is this version {other}?",
                  file=sys.stderr)
        # another version's answers, whole or in part, carry no work of this one's forward
        marks = check.mark(key, given, scheme.other_values(theirs))
        score = {v: sum(m.verdict == v for m in marks) for v in check.VERDICTS}
    if args.json:
        print(strict_json({"answers": [m.as_json() for m in marks], "score": score}, args.key))
    else:
        print(_check_text(marks, score, key, args.all))
    return 0


MAX_PROBLEMS = 20  # lines of an answers file reported as unreadable, before a count of the rest


def _mostly_wrong(score: dict[str, int]) -> bool:
    answered = sum(score.values()) - score["missing"]
    return answered >= 2 and score["correct"] * 2 < answered


def _set_of(key, defn, args):
    """The class set the sheet is a version of, its version and seed: the definition given,
    or the one a KEY.json of a drawn set carries (its recipe); None where neither has
    versions."""
    if defn is not None:
        return (defn if defn.versions else None), args.version, args.seed
    if not key.recipe or key.version is None:
        return None, None, None
    from ..definitions.definition import Definition, parse
    from ..definitions.errors import DefinitionError

    try:
        the_set = parse(key.recipe, source=args.key)
    except (DefinitionError, ValueError, TypeError, RecursionError):
        return None, None, None  # a recipe edited by hand: the key alone is marked
    if not isinstance(the_set, Definition):
        return None, None, None
    return the_set, key.version, key.seed  # built with --versions N: its size is not known


def _other_versions(defn, version: int | None, seed: int | None, given: dict[str, float]):
    """The set's other versions among the first MAX_SEARCHED (a class's set is about that
    size, and each is worked out again: a set may have a million), as their marking schemes,
    and the one for which every answer given is correct, if one is (None if not)."""
    from ..files import classset
    from ..marking import check

    fit, theirs = None, []
    for other in range(1, min(defn.versions or MAX_SEARCHED, MAX_SEARCHED) + 1):
        if other == version:
            continue
        key = check.Key.from_json(json.loads(json.dumps(classset.key(defn, other, seed))))
        theirs.append(check.scheme_for(key))
        marks = [m for m in check.mark(key, given) if m.verdict != "missing"]
        if fit is None and marks and all(m.verdict == "correct" for m in marks):
            fit = other
    return fit, theirs


MAX_SEARCHED = 60
MAX_ANSWER_BYTES = 2**20  # far more than any sheet's answers; /dev/zero must not be read forever


def _load_key(args):
    """The key to mark against, and the definition it was regenerated from (None: a KEY.json)."""
    from ..marking import check, keys

    if not args.key.endswith(".json"):  # a definition: regenerate its key (needs the engine)
        from ..engine.sample import version_of
        from ..files import classset

        defn = network_definition(args.key)
        try:  # at once, as build refuses it: a sheet it would not print has no blanks to check
            classset.check_printable(defn)
        except (ValueError, classset.NotBuiltYet) as exc:
            shapes = " (it prints as a page of shapes, with no blanks)" if getattr(
                defn, "form", None) == "matrix" else ""
            raise UsageError(f"{one_line(str(exc), 600)}; check marks a worksheet's blanks, "
                             f"and this definition has none to mark{shapes}") from None
        key = classset.key(defn, version_of(defn, args.version), args.seed)
        return check.Key.from_json(json.loads(json.dumps(key))), defn
    if args.version is not None or args.seed is not None:
        usage(f"{args.key}: a KEY.json is one version already; --seed and --version go with "
               "a definition")
    return keys.read(args.key), None


def _read_answers(path: str) -> str:
    if path == "-":
        if sys.stdin is None or sys.stdin.closed:
            raise UsageError("standard input is closed; give an answers file")
        stream = getattr(sys.stdin, "buffer", sys.stdin)
        return _decode(stream.read(MAX_ANSWER_BYTES + 1), "standard input")
    try:  # a regular file only: a pipe or a device is refused, never waited on
        return _decode(read_bytes(path, MAX_ANSWER_BYTES + 1), path)
    except Unreadable as exc:
        raise UsageError(f"{path}: cannot read the answers ({exc})") from None


def _decode(raw: bytes | str, where: str) -> str:
    if len(raw) > MAX_ANSWER_BYTES:
        raise UsageError(f"{where}: more than {MAX_ANSWER_BYTES // 1024} KiB of answers; an "
                         "answers file has one 'label = value' line per blank")
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")  # Notepad's UTF-8 starts with one
    except UnicodeDecodeError as exc:
        raise UsageError(f"{where}: not UTF-8 text (byte {exc.start + 1}); save the answers "
                         "as plain text") from None


def _ask(key) -> tuple[dict[str, float], list[str]]:
    from ..marking import check

    if sys.stdin is None or sys.stdin.closed:
        raise UsageError("standard input is closed; give an answers file")
    given, read = {}, 0
    print("Type each answer (Enter to skip it).", file=sys.stderr)
    for a in key.answers:
        for attempt in range(1, MAX_TRIES + 1):
            # prompts on stderr, so that --json output stays one JSON object
            print(f"({a['label']}) {a['name']} = ", end="", file=sys.stderr, flush=True)
            try:
                line = sys.stdin.readline(1000)
                line.encode("utf-8")  # a C locale reads stray bytes as surrogates: refuse them
            except UnicodeError:
                print(file=sys.stderr)  # end the prompt's line
                raise UsageError("standard input is not UTF-8 text") from None
            if not line:  # end of input
                return given, []
            read += len(line)
            if "\x00" in line:
                print(file=sys.stderr)
                raise UsageError("standard input holds a NUL character: not typed answers")
            if read > MAX_ANSWER_BYTES:  # a stream that never ends (yes, /dev/zero)
                print(file=sys.stderr)
                raise UsageError(f"standard input: more than {MAX_ANSWER_BYTES:,} characters "
                                 "typed for one sheet's answers; stopping")
            text = line.strip()
            if not text:
                break
            try:
                given[a["label"]] = check.parse_number(text)
                break
            except check.AnswerError as exc:
                again = "" if attempt < MAX_TRIES else f" ({MAX_TRIES} tries: skipped)"
                print(f"  {exc}{again}", file=sys.stderr)
    return given, []


MAX_TRIES = 5  # of one answer, before it is skipped


# what check says, in the sheet's language (a French sheet's student reads French)
COUNTED = {"correct": N_("{n} correct"), "too_few_decimals": N_("{n} too few decimals"),
           "carried_forward": N_("{n} carried forward"), "incorrect": N_("{n} incorrect")}
VERDICT = {"correct": N_("correct"), "too_few_decimals": N_("too few decimals"),
           "carried_forward": N_("carried forward"), "incorrect": N_("incorrect"),
           "missing": N_("not answered")}


def _check_text(marks, score, key, every: bool = False) -> str:
    """What a student reads, in the sheet's language: how many blanks were answered and how
    they fared, the first wrong step with its working, then each answered blank (every blank
    with --all), its quantity printed as the sheet prints it."""
    from ..definitions.language import words
    from ..formats.markwords import language_of, mark_words

    _ = words(language_of(key))
    answered = [m for m in marks if m.verdict != "missing"]
    counts = ", ".join(_(COUNTED[v]).format(n=score[v]) for v in score if v != "missing")
    lines = [_("{n} of {total} blanks answered: {counts}.").format(
        n=len(answered), total=len(marks), counts=counts)]
    from ..formats.markwords import quantities

    shown, working = quantities(key)
    _said(marks, key)
    wrong = [m for m in marks if m.verdict == "incorrect"]
    if wrong:
        first = wrong[0]
        lines += ["", _("First wrong step: ({label}) {quantity}: you wrote {given}, "
                        "{message}").format(label=first.label,
                                            quantity=shown.get(first.label, first.name),
                                            given=_typed(first.given, _),
                                            message=mark_words(first, key, _)),
                  "  " + _("working: {working}").format(
                      working=working.get(first.label, first.working))]
    listed = marks if every else answered
    worth = {b["label"]: b.get("points", 1) for b in (key.scheme or {}).get("blanks", [])}
    width = max((len(m.label) for m in listed), default=1) + 2
    names = max((len(shown.get(m.label, m.name)) for m in listed), default=0)
    if listed:
        lines.append("")
    for m in listed:
        given = "" if m.given is None else _typed(m.given, _)
        said = mark_words(m, key, _)
        detail = f"  ({said})" if said and m.verdict not in ("correct", "missing") else ""
        lines.append(f"{'(' + m.label + ')':<{width}} {shown.get(m.label, m.name):<{names}} "
                     f"{given:>10}  {_(VERDICT[m.verdict])}" + _part(m, worth, _) + detail)
    missing = [m.label for m in marks if m.verdict == "missing"]
    if missing and not every:
        lines += ["", _("{n} not answered: {labels} (check --all lists them)").format(
            n=len(missing), labels=_labels(missing, [m.label for m in marks], _))]
    return "\n".join(lines)


def _part(m, worth: dict, _) -> str:
    """The points a mark earns where it earns part of its blank's (a right value with too few
    decimals: half), as the key holds them: ' (1 of 2 points)'."""
    from ..marking.gradebook import share

    points = worth.get(m.label, 1)
    earned = points * share(m.verdict, 1.0)
    if not 0 < earned < points:
        return ""
    return " " + _.ngettext("({earned} of {points} point)", "({earned} of {points} points)",
                            points).format(earned=_.number(f"{earned:g}"),
                                           points=_.number(f"{points:g}"))


def _typed(given: float, _) -> str:
    """A student's number as they wrote it (1234.567890617000), or its shortest form, with the
    sheet's decimal sign."""
    text = getattr(given, "text", None)
    return _.number(text if text is not None else repr(float(given)))


def _labels(labels: list[str], order: list[str], _) -> str:
    """(d) to (z) for a run of blanks in the sheet's order, else each of them."""
    at = [order.index(x) for x in labels]
    if len(labels) > 2 and at == list(range(at[0], at[0] + len(at))):
        return _("({first}) to ({last})").format(first=labels[0], last=labels[-1])
    return ", ".join(f"({x})" for x in labels)


def _said(marks, key) -> None:
    """A sign slip's term in each message as the sheet writes it: w⁽¹⁾₁₁·x₁, not
    W[1][1][1]·x[1]."""
    from ..formats.plaintext import term_words

    for m in marks:
        if m.term:
            m.message = m.message.replace(m.term, term_words(m.term, *key.notation))
