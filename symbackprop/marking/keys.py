"""KEY.json files: read with a size bound and checked against their schema before any marking.

A key is written by `build`, but the file `check` is given may have been edited, truncated or
made up. Every part the marking reads is checked first, with the same rules (and messages) as a
definition, so that a bad key is one line naming the file and the key path, never a traceback
or a mark against nonsense. No SymPy: `check KEY.json` stays fast.

>>> key = validate({"definition": {"network": {"layers": [1, 1], "activation": ["identity"],
...     "loss": "half_sse", "bias": "none"}, "values": {"inputs": [2.0], "targets": [1.0],
...     "weights": [[[3.0]]], "biases": None}, "learning_rate": 0.1},
...     "answers": [{"label": "a", "name": "net[1][1]", "value": 6.0, "exact": 6.0}]}, "k.json")
>>> key.by_label["a"]["name"]
'net[1][1]'
>>> validate({"definition": {}, "answers": []}, "k.json")
Traceback (most recent call last):
...
symbackprop.definitions.errors.DefinitionError: k.json: definition.network: is required but missing
"""

from __future__ import annotations

import json
import re

from ..definitions import definition
from ..definitions.definition import LESSONS, DefinitionError
from ..definitions.language import LANGUAGES
from . import agreement, check, keyjson, scheme
from .key import LARGEST, MAX_SCHEME_NODES, MAX_TEXT, WORKED_SHEETS
from .scheme_writer import SchemeTooLarge

MAX_ANSWERS = 10_000
_LABEL = re.compile(r"[a-z]{1,4}")
MAX_DEPTH = 200  # of a scheme's expression: a 64-layer network's recomputation is far less deep
_BLANK_KEYS = ("label", "name", "value", "exact", "tolerance", "recompute", "mistakes",
               "points", "working")
_BAND = ("lo", "hi", "half", "from", "to", "carry", "near")  # rounding.band
SCHEME_VERSION = 2  # scheme_writer's: a key with an older scheme has it written again


def definition_json(defn, inst) -> dict:
    """The network and every number of an instance, as key.json writes them (a batch: its
    examples, each {inputs, targets}, and batch_loss)."""
    v, net = inst.values, defn.network
    if inst.batched:
        given = {"examples": [{"inputs": list(e.inputs), "targets": list(e.targets)}
                              for e in v.examples]}
    else:
        given = {"inputs": list(v.inputs), "targets": list(v.targets)}
    return {
        "network": {"layers": list(net.layers), "activation": list(net.activations),
                    "loss": net.loss, "bias": net.bias},
        "values": given | {"weights": [[list(r) for r in m] for m in v.weights],
                           "biases": None if v.biases is None else [list(b) for b in v.biases]},
        "learning_rate": inst.learning_rate, "update_biases": inst.update_biases,
    } | ({"batch_loss": inst.batch_loss} if inst.batched else {})



def read(path: str) -> check.Key:
    """Read, parse and validate a KEY.json file."""
    data = keyjson.parse(keyjson.read_bounded(path), path)
    return validate(data, path)


class TooLarge(DefinitionError):
    """A number of a key past LARGEST."""


def markable(data: dict, source: str) -> dict:
    """A key as a sheet writes it (`data`, of the definition `source`), read back by the
    reader check and mark read keys with, so that build never writes a key they refuse: a
    number past LARGEST (a learning rate of 1e16, or the new weight it makes) is refused in
    one line naming the definition and the blank whose line holds it."""
    try:
        validate(data, "key")
    except TooLarge as exc:
        raise DefinitionError(source, _blank(data, exc.key), f"{exc.problem} (at most "
                              f"{LARGEST:g}), so check and mark could not read its key: give "
                              "smaller numbers or a smaller learning_rate") from None
    except DefinitionError as exc:
        raise DefinitionError(source, "", f"makes a key check would refuse ({exc.key}: "
                              f"{exc.problem})") from None
    return data


def _blank(data: dict, key: str) -> str:
    """The blank a key path of the answers names, as a sheet labels it: '(x) new W[2][1][1]'."""
    m = re.match(r"answers\[(\d+)\]", key)
    if m is None:
        return key
    a = data["answers"][int(m.group(1))]
    return f"({a['label']}) {a['name']}"


def validate(data, source: str) -> check.Key:
    """A Key whose every part the marking reads has been checked; DefinitionError otherwise."""
    checker = _KeyChecker(source)
    top = checker.mapping(data, "", ("definition", "seed", "version", "student", "printed",
                                     "recipe", "answers", "scheme"),
                          required=("definition", "answers"))
    if "recipe" in top and (not isinstance(top["recipe"], str) or len(top["recipe"]) > 2**16):
        checker.fail("recipe", "must be the text of the definition the set was drawn from")
    if "printed" in top and not isinstance(top["printed"], dict):
        checker.fail("printed", "must be the print setup the sheet was printed with")
    if top.get("student") is not None and not isinstance(top["student"], str):
        checker.fail("student", "must be the name of the student the sheet was printed for")
    network = checker.sheet(top["definition"])
    for key in ("seed", "version"):
        if top.get(key) is not None:
            checker.whole(top[key], key, 0, 2**63 - 1)
    checker.answers(top["answers"], network)
    if "scheme" in top and _current(top["scheme"]):
        # a lesson's or a hand-worked sheet's blanks are worked in the order they are asked
        checker.scheme(top["scheme"], top["answers"], in_order=network is None)
    else:  # none, or written by an older build: one is written down now, by today's rule
        data = {k: v for k, v in data.items() if k != "scheme"}
        if network is not None:
            _printed(network, checker)
    key = check.Key.from_json(data)
    try:
        found = agreement.disagreement(key)  # marked by one part, a key must say what the others do
    except SchemeTooLarge as exc:  # written down now: bounded before it is marked
        checker.fail("scheme", f"is missing, and {exc}: not a key written by 'symbackprop "
                     "build'")
    if found is not None:
        checker.fail(*found)
    key.nodes = checker.nodes
    key.copied = _copied(data)
    return key


def _copied(data: dict) -> int:
    """What a feedback page copies of a checked key, at most: its title, every blank's working
    and every answer's line (as JSON: about their printed length)."""
    blanks = data.get("scheme", {}).get("blanks", [])
    return len(str(data["definition"].get("title", ""))) + \
        sum(len(b.get("working", "")) for b in blanks) + \
        sum(len(json.dumps(a.get("shown", ""))) for a in data["answers"])


# a blank's working line: the longest a sheet prints (a sum over 64 inputs) is about 3,000
MAX_WORKING = 10_000
# The largest sheet printed, the matrix-form digits (64-16-10), has 1,184 weights; a
# scheme's work grows with the widest layer too (a mistake of one path kept per neuron).
UNSCHEMED_WEIGHTS, UNSCHEMED_LAYER = 2000, 64


def _printed(network: definition.Network, checker: definition._Checker) -> None:
    """A key whose scheme is written down here came from a printed sheet: bounded by what a
    sheet prints, as the work of writing its scheme is (a made-up 1-1000-40 key is not)."""
    sizes = network.layers
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    if weights > UNSCHEMED_WEIGHTS or max(sizes) > UNSCHEMED_LAYER:
        checker.fail("scheme", f"is missing, and a {'-'.join(map(str, sizes))} network is "
                     "larger than any printed sheet: not a key written by 'symbackprop build'")


def _current(scheme) -> bool:
    return not isinstance(scheme, dict) or scheme.get("version", 1) == SCHEME_VERSION


class _KeyChecker(definition._Checker):
    """The definition schema, read at the key path 'definition', plus the answers."""

    def sheet(self, value) -> definition.Network | None:
        if isinstance(value, dict) and value.get("kind", "backprop") != "backprop":
            self.lesson_sheet(value)
            return None
        try:
            defn = self.definition(value)
        except DefinitionError as exc:
            raise DefinitionError(self.source, definition._join("definition", exc.key),
                                  exc.problem) from None
        values = defn.values
        if not values.complete or (values.biases is None and defn.network.bias != "none"):
            self.fail("definition.values", "a key must give every number (inputs, targets, "
                      "weights and biases)")
        return defn.network

    def lesson_sheet(self, value) -> None:
        top = self.mapping(value, "definition", ("title", "kind", "decimals", "lesson",
                                                 "language"), required=("kind",))
        self.choice(top["kind"], "definition.kind", LESSONS + WORKED_SHEETS)
        self.choice(top.get("language", "en"), "definition.language", tuple(LANGUAGES))
        if "title" in top:
            try:
                self.title(top["title"])
            except DefinitionError as exc:
                raise DefinitionError(self.source, "definition.title", exc.problem) from None
        self.whole(top.get("decimals", 4), "definition.decimals", 0, 12)

    def answers(self, value, network: definition.Network | None) -> None:
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_ANSWERS:
            self.fail("answers", f"must be a list of 1 to {MAX_ANSWERS} answers")
        labels, names = set(), set()
        for i, entry in enumerate(value):
            key = f"answers[{i}]"
            a = self.mapping(entry, key, ("label", "name", "value", "exact", "shown"),
                             required=("label", "name", "value", "exact"))
            if "shown" in a:
                self.plain(a["shown"], f"{key}.shown")
            label, name = a["label"], a["name"]
            if not isinstance(label, str) or not _LABEL.fullmatch(label) or label in labels:
                self.fail(f"{key}.label", f"must be a new label like a, b, ..., aa, got "
                          f"{definition._show(label)}")
            if not isinstance(name, str) or not 0 < len(name) <= 200 or name in names:
                self.fail(f"{key}.name", f"must be a new name, got {definition._show(name)}")
            if network is not None:
                self.answer_name(name, network, f"{key}.name")
            for part in ("value", "exact"):
                if abs(self.number(a[part], f"{key}.{part}")) > LARGEST:
                    self.too_large(f"{key}.{part}", a[part])
            labels.add(label)
            names.add(name)

    def scheme(self, value, answers: list[dict], in_order: bool = False) -> None:
        """The marking scheme: one blank per answer, every tree made of known operations,
        every reference to a quantity of the scheme (`in_order`: to a blank before it; a
        dense sheet's softmax or matrix entry refers to its layer's others, asked after)."""
        top = self.mapping(value, "scheme", ("id", "version", "decimals", "messages", "values",
                                             "blanks", "worked_from"),
                           required=("decimals", "values", "blanks", "messages"))
        self.whole(top["decimals"], "scheme.decimals", 0, 30)
        if "worked_from" in top:  # a lesson's: its definition's fingerprints (written.py)
            held = top["worked_from"]
            for k, v in self.mapping(held, "scheme.worked_from", tuple(held) if isinstance(
                    held, dict) else ()).items():
                if not isinstance(v, str) or len(v) > 64:
                    self.fail(f"scheme.worked_from.{definition._show(k)[:40]}",
                              "must be a fingerprint written by 'symbackprop build'")
        messages = self.mapping(top["messages"], "scheme.messages", tuple(check.MISTAKES),
                                required=("too_few_decimals", "cut_off"))  # said by the rule
        for k, text in messages.items():
            if not isinstance(text, str) or len(text) > 500:
                self.fail(f"scheme.messages.{k}", "must be a message of at most 500 characters")
        for k, v in self.mapping(top["values"], "scheme.values",
                                 tuple(top["values"]) if isinstance(top["values"], dict)
                                 else ()).items():
            self.finite(v, f"scheme.values.{definition._show(k)[:40]}")
        blanks = top["blanks"]
        if not isinstance(blanks, list) or [(b.get("label"), b.get("name")) if isinstance(
                b, dict) else None for b in blanks] != [(a["label"], a["name"]) for a in answers]:
            self.fail("scheme.blanks", "must have one blank per answer, in the same order")
        # the scheme's values hold the given numbers and (a worked sheet's) every blank's own:
        # in order, a blank is known from where it is asked on
        names = {b.get("name") for b in blanks}
        known = set(top["values"]) - names if in_order else set(top["values"]) | names
        for i, b in enumerate(blanks):
            self.blank(b, f"scheme.blanks[{i}]", messages)
            self.refers(b, f"scheme.blanks[{i}]", known)
            known.add(b["name"])
        if not in_order:  # a dense sheet's may refer ahead, never round to the blank itself
            self.acyclic(blanks)

    def acyclic(self, blanks: list[dict]) -> None:
        """No blank is recomputed from itself, directly or through others: a recomputation is
        worked from what the student worked out before it (else every answer there would be
        'carried forward' from itself)."""
        at = {b["name"]: i for i, b in enumerate(blanks)}
        after = {b["name"]: [n for n in scheme.refs(b["recompute"]) if n in at] for b in blanks}
        done: set = set()
        for start in after:
            if start in done:
                continue
            on = [start]  # the path walked from start, each with what it still refers to
            todo = [iter(after[start])]
            while todo:
                nxt = next(todo[-1], None)
                if nxt is None:
                    done.add(on.pop())
                    todo.pop()
                elif nxt in on:
                    self.fail(f"scheme.blanks[{at[nxt]}]", "is recomputed from itself"
                              + ("" if nxt == on[-1] else f" (through {on[-1]})")
                              + ": a recomputation takes the student's earlier answers")
                elif nxt not in done:
                    on.append(nxt)
                    todo.append(iter(after[nxt]))

    def refers(self, blank: dict, key: str, known: set) -> None:
        """Every reference of a blank's trees names a quantity the scheme knows (in order: an
        earlier blank, or a given value): a tree recomputes a blank from what the student
        has already worked out."""
        trees = [blank["recompute"], *(r[part] for r in blank["mistakes"]
                                       for part in ("candidates", "slack") if part in r)]
        for name in scheme.refs(trees):
            if name not in known:
                self.fail(key, f"refers to {definition._show(name)[:60]}, which is neither an "
                          "earlier blank nor a value of the scheme")

    def blank(self, value, key: str, messages: dict) -> None:
        b = self.mapping(value, key, _BLANK_KEYS, required=_BLANK_KEYS[:-2])
        self.whole(b.get("points", 1), f"{key}.points", 1, 100)
        if not isinstance(b.get("working", ""), str) or len(b.get("working", "")) > MAX_WORKING:
            self.fail(f"{key}.working", f"must be a line of at most {MAX_WORKING:,} characters")
        for part in ("value", "exact"):
            self.finite(b[part], f"{key}.{part}")
        tol = self.mapping(b["tolerance"], f"{key}.tolerance", (*_BAND, "before"), _BAND)
        if "before" in tol:
            self.finite(tol["before"], f"{key}.tolerance.before")
        for part in _BAND:
            self.finite(tol[part], f"{key}.tolerance.{part}")
        for part in ("half", "carry", "near"):
            if tol[part] < 0:
                self.fail(f"{key}.tolerance.{part}", "must not be negative")
        for low, high in (("lo", "hi"), ("from", "to")):
            if tol[low] > tol[high]:
                self.fail(f"{key}.tolerance", f"'{low}' must not be above '{high}'")
        if b["recompute"] is not None:
            self.tree(b["recompute"], f"{key}.recompute")
        rules = b["mistakes"]
        if not isinstance(rules, list) or len(rules) > 200:
            self.fail(f"{key}.mistakes", "must be a list of at most 200 rules")
        for i, rule in enumerate(rules):
            where = f"{key}.mistakes[{i}]"
            r = self.mapping(rule, where, ("diagnosis", "candidates", "slack", "term"),
                             ("diagnosis", "candidates"))
            self.choice(r["diagnosis"], f"{where}.diagnosis", tuple(messages))
            self.trees(r["candidates"], f"{where}.candidates")
            if "slack" in r:
                self.tree(r["slack"], f"{where}.slack")
            if "term" in r and (not isinstance(r["term"], str) or len(r["term"]) > 200):
                self.fail(f"{where}.term", "must be a term's name of at most 200 characters")

    def trees(self, value, key: str) -> None:
        if not isinstance(value, list) or len(value) > 50:
            self.fail(key, "must be a list of at most 50 expressions")
        for i, tree in enumerate(value):
            self.tree(tree, f"{key}[{i}]")

    nodes = 0  # of every tree checked: the work of marking one student against the key

    def plain(self, value, key: str, depth: int = 0) -> None:
        """The key's line as a sheet's forms write it: lists of names, numbers and short texts,
        bounded (the feedback page reads it as forms, and refuses what is not one)."""
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_SCHEME_NODES:
            self.fail(key, "is not a line of the key (too deep or too large)")
        if isinstance(value, list):
            for part in value:
                self.plain(part, key, depth + 1)
        elif isinstance(value, str):
            if len(value) > MAX_TEXT:
                self.fail(key, f"holds a text of more than {MAX_TEXT} characters")
        elif isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
            if not abs(value) <= LARGEST:
                self.too_large(key, value)
        elif value is not None and not isinstance(value, bool):
            self.fail(key, "is not a line of the key")

    def tree(self, tree, key: str, depth: int = 0) -> None:
        """number | ["ref", name] | [op, tree, ...], at most MAX_DEPTH deep."""
        self.nodes += 1
        if self.nodes > MAX_SCHEME_NODES:
            self.fail("scheme", f"its expressions have more than {MAX_SCHEME_NODES:,} parts; a "
                      "key written by 'symbackprop build' has far fewer")
        if depth > MAX_DEPTH:
            self.fail(key, f"an expression more than {MAX_DEPTH} deep")
        if isinstance(tree, (int, float)) and not isinstance(tree, bool):
            self.finite(tree, key)
            return
        if not isinstance(tree, list) or not tree or tree[0] not in (*scheme.OPS, "ref"):
            self.fail(key, f"not an expression of the scheme: {definition._show(tree)[:60]}")
        if tree[0] == "ref":
            if len(tree) != 2 or not isinstance(tree[1], str) or len(tree[1]) > 200:
                self.fail(key, "a reference is [\"ref\", name]")
            return
        if tree[0] == "pow" and (len(tree) != 3 or isinstance(tree[2], bool) or not isinstance(
                tree[2], int) or tree[2] not in scheme.POWERS):
            self.fail(key, f"'pow' raises to a whole number {scheme.POWERS[0]} to "
                      f"{scheme.POWERS[-1]} written in the tree, not "
                      f"{definition._show(tree[2:])[:40]}")
        arity = scheme.ARITY.get(tree[0])
        if arity is not None and len(tree) != arity + 1:
            self.fail(key, f"'{tree[0]}' takes {arity} argument{'s' * (arity > 1)}, not "
                      f"{len(tree) - 1}")
        if not 2 <= len(tree) <= 65:
            self.fail(key, f"'{tree[0]}' takes 1 to 64 arguments")
        for part in tree[1:]:
            self.tree(part, key, depth + 1)

    def finite(self, value, key: str) -> float:
        number = self.number(value, key)
        if abs(number) > LARGEST:
            self.too_large(key, number)
        return number

    def too_large(self, key: str, number) -> None:
        raise TooLarge(self.source, key, f"{number!r} is larger than any worksheet number")

    def answer_name(self, name: str, network: definition.Network, key: str) -> None:
        """A quantity of this network; a path of a sum is 'dJ/d... via net[l][j]'."""
        head, _, via = name.partition(" via ")
        fail = lambda problem: self.fail(key, problem)  # noqa: E731
        definition.check_name(head, network, fail, updated=True, examples=self.examples)
        if via:
            if not via.startswith("net["):
                fail(f"'{name}': a path goes via a neuron's net, like net[2][1]")
            definition.check_name(via, network, fail, examples=self.examples)
