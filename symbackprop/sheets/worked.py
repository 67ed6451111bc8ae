"""A sheet worked by hand whose every blank is written with its marking: the convolution and
optimizer sheets (convsheet.py, stepsheet.py). Each blank is given as the expression tree that
recomputes it from earlier blanks and given numbers (the scheme's own tree language,
marking/scheme.py), so that its printed value, its exact value, its carried-forward credit
and its known mistakes all come from one tree: the key's value is the tree evaluated on the
key's rounded answers (as a student works), the exact value the same tree on exact values,
and the sheet's builder checks the exact values against the engine's verified ones.

>>> from .forms import Symbol
>>> w = Worked(2)
>>> a = w.blank("a", ["mul", 3, 0.123], Symbol("a"), ())
>>> b = w.blank("b", ["add", ["ref", "a"], 0.004], Symbol("b"), (),
...             mistakes=[("sign", ["neg", ["ref", "a"]])])
>>> (a.answer.value, b.answer.value, round(b.answer.exact, 6))  # b from the rounded a
(0.37, 0.37, 0.373)
>>> w.blanks[1]["recompute"], [r["diagnosis"] for r in w.blanks[1]["mistakes"]]
(['add', ['ref', 'a'], 0.004], ['sign'])
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from ..definitions.language import words
from ..definitions.printing import PrintSetup
from ..definitions.rounding import rounded as sheet_rounded
from ..marking import rounding
from ..marking.key import MISTAKES
from ..marking.keys import markable
from ..marking.scheme import evaluate
from ..marking.scheme_writer import SCHEME_VERSION, used_by
from ..marking.written import worked_from
from .forms import Apply, Equation, Form, Frac, Group, Neg, Number, Ops, Power
from .forms_json import to_json
from .model import Answer, Line, Section, label
from .notation import answer_decimals

ref = lambda name: ["ref", name]  # noqa: E731 - the scheme's reference to an earlier blank


class Unworkable(ValueError):
    """A draw whose rounded numbers leave a blank undefined: drawn again."""


@dataclass(frozen=True)
class Picture:
    """A given grid of numbers (an image, a kernel): drawn as a table, with its words."""

    caption: str  # 'The image x (4 × 4)'
    rows: tuple[tuple[float, ...], ...]
    symbol: str = ""  # the letter its entries are named by on the sheet
    at: tuple[int, ...] = ()  # its entries' leading indices: a channel, a filter (K2,1,u,v)


@dataclass
class WorkedSheet:
    """A worksheet of hand-worked blanks: its words, given pictures and numbers, sections of
    lines (model.Section, model.Line) and the scheme blank of each answer."""

    title: str
    kind: str  # 'convolution', 'optimizer'
    decimals: int
    seed: int | None
    version: int | None
    network_words: str
    notes: list[str]  # the conventions the sheet follows (cross-correlation, ties, ε)
    pictures: list[Picture]
    givens: list  # model.Given rows of single numbers (weights, targets, settings)
    sections: list[Section]
    answers: list[Answer]
    blanks: list[dict]
    given_numbers: dict  # every given number by name, for the key's definition
    proofs: list = field(default_factory=list)
    notation: str = "indexed"  # the printers' settings: every symbol is spelled out
    layers: tuple | None = None
    language: str = "en"  # every word the drivers print is in it (definitions/language.py)
    printing: PrintSetup = field(default_factory=PrintSetup)  # header, space, proofs (print:)


class Worked:
    """Blanks in order, each valued from the key's earlier (rounded) blanks and exactly."""

    def __init__(self, decimals: int):
        self.decimals = decimals
        self.key: dict[str, float] = {}  # a blank's value as the key prints it
        self.exact: dict[str, float] = {}
        self.answers: list[Answer] = []
        self.blanks: list[dict] = []
        self.lines: dict[str, Line] = {}

    def blank(self, name: str, tree, quantity: Form, forms: tuple[Form, ...],
              working: Form | None = None, mistakes=(), points: int = 1) -> Line:
        """The line asking for `name`; `mistakes` are (diagnosis, tree) pairs, in the order
        they are tried (a candidate that gives the right value is left out)."""
        d = self.decimals
        value, exact = evaluate(tree, self.key.__getitem__), evaluate(tree,
                                                                      self.exact.__getitem__)
        if value is None or exact is None:  # √0 or ln 0 of numbers rounded away to nothing
            raise Unworkable(f"{name} cannot be worked from the rounded numbers")
        value = sheet_rounded(value, d)
        self.key[name], self.exact[name] = value, exact
        a = Answer(label(len(self.answers)), name, value, exact)
        self.answers.append(a)
        band = rounding.exact_band(value, exact, d)
        rules = []
        for diagnosis, candidate in mistakes:
            wrong = evaluate(candidate, self.key.__getitem__)
            if wrong is not None and abs(wrong - value) > 2 * band["half"]:
                rules.append({"diagnosis": diagnosis, "candidates": [candidate]})
        if working is None and isinstance(tree, list) and tree[0] != "ref":
            working = self.form(tree)  # the numbers put in, as a teacher writes the key
        line = Line(quantity, forms, a, True, working)
        self.blanks.append({"label": a.label, "name": name, "value": value, "exact": exact,
                            "tolerance": band, "recompute": tree, "mistakes": rules,
                            "points": points,
                            "working": f"{name} = {self.text(tree)} = {fixed(value, d)}"})
        self.lines[name] = line
        return line

    def form(self, tree, first: bool = True) -> Form:
        """A tree with the key's numbers put in, as a sheet's form (the key's working); a
        negative number after an operator in parentheses."""
        if isinstance(tree, (int, float)):
            n = Number(float(tree))
            return n if first or tree >= 0 else Group(n)
        op, *args = tree
        if op == "ref":
            return self.form(self.key[args[0]], first)
        if op == "exp" and isinstance(args[0], list) and args[0][:2] == ["mul", 0.5] and \
                isinstance(args[0][2], list) and args[0][2][0] == "log":
            return Apply("√", (self.form(args[0][2][1]),))
        if op == "step":  # ReLU's slope: its value, 1 or 0
            return Number(evaluate(tree, self.key.__getitem__))
        if op in ("add", "mul", "sub"):
            sign = {"add": "+", "mul": "·", "sub": "−"}[op]
            items = [self.form(a, first and i == 0) for i, a in enumerate(args)]
            # a sum inside a product, or after a minus, keeps its parentheses:
            # ½·(0.9 − 0.3899)², never 0.5·0.9 − 0.3899·0.9 − 0.3899
            items = [Group(x) if _sum(x) and (sign == "·" or (sign == "−" and i)) else x
                     for i, x in enumerate(items)]
            return Ops.joined(items, sign) if len(items) > 1 else items[0]
        if op == "div":
            return Frac(self.form(args[0]), self.form(args[1]))
        if op == "pow":  # a power of a negative number or of a sum keeps its parentheses
            base = self.form(args[0])
            return Power(Group(base) if _sum(base) or isinstance(base, (Neg, Ops)) or (
                isinstance(base, Number) and base.value < 0) else base, Number(args[1]))
        if op == "neg":
            return Neg(Group(self.form(args[0])))
        names = {"exp": "exp", "log": "ln", "tanh": "tanh", "max": "max", "step": "step"}
        return Apply(names.get(op, op), tuple(self.form(a) for a in args))

    def text(self, tree) -> str:
        """A tree with the key's numbers put in, as check and a feedback page write it: a
        minus sign, and parentheses only where the order of operations needs them
        (e^(−0.4859), 0.9·(−0.63), (0.9 − 0.39)^2), never e^(−((-0.4859)))."""
        return self._plain(tree)[0]

    def _plain(self, tree, first: bool = True) -> tuple[str, str]:
        """The tree's text and its kind: 'atom', 'power', 'neg' (a minus first), 'sum' or
        'product' (what an operator around it must put in parentheses); a negative number after an
        operator in parentheses, as the sheet writes it."""
        if isinstance(tree, (int, float)) or tree[0] == "ref":
            shown = _number(float(tree) if isinstance(tree, (int, float)) else
                            self.key[tree[1]])
            if not shown.startswith("−"):
                return shown, "atom"
            return (shown, "neg") if first else (f"({shown})", "atom")
        op, *args = tree
        if op == "exp" and isinstance(args[0], list) and args[0][:2] == ["mul", 0.5] and \
                isinstance(args[0][2], list) and args[0][2][0] == "log":  # stepsheet's √
            return f"√({self.text(args[0][2][1])})", "atom"
        if op in ("add", "sub", "mul", "div"):  # an operand in parentheses starts afresh
            return _joined(op, [self._plain(a, _grouped(op, i, a) or first and i == 0)
                                for i, a in enumerate(args)], args)
        if op == "pow":
            base, kind = self._plain(args[0])
            return f"{base if kind == 'atom' else f'({base})'}^{args[1]}", "power"
        if op == "neg":
            inner, kind = self._plain(args[0], False)
            shown = f"−{inner if kind in ('atom', 'power', 'product') else f'({inner})'}"
            return (shown, "neg") if first else (f"({shown})", "atom")
        inside = ", ".join(self.text(a) for a in args)
        return {"exp": f"e^({inside})", "log": f"ln({inside})", "abs": f"|{inside}|",
                "nonzero": inside}.get(op, f"{op}({inside})"), "atom"

    def again(self, name: str, quantity: Form, forms: tuple[Form, ...] = ()) -> Line:
        """A line that uses an earlier blank's value: `(b)` again, nothing new to fill in."""
        return Line(quantity, forms, self.lines[name].answer, False)


def fixed(x: float, decimals: int) -> str:
    """A result as a working line ends: its decimals, a minus sign."""
    return f"{x:.{decimals}f}".replace("-", "−")


def _number(x: float) -> str:
    shown = f"{x:.10f}".rstrip("0").rstrip(".")
    return "0" if shown in ("-0", "") else shown.replace("-", "−")


def _grouped(op: str, i: int, arg) -> bool:
    """Whether operand `i` of `op` goes in parentheses: a sum in a product or after a minus,
    a product too under a fraction bar written on one line."""
    kind = arg[0] if isinstance(arg, list) else None
    return kind in ("add", "sub") and (op in ("mul", "div") or op == "sub" and i > 0) or (
        op == "div" and i > 0 and kind in ("mul", "div"))


def _joined(op: str, parts: list[tuple[str, str]], args: list) -> tuple[str, str]:
    sign = {"add": " + ", "sub": " − ", "mul": "·", "div": " / "}[op]
    shown = [f"({text})" if _grouped(op, i, a) else text
             for i, ((text, _), a) in enumerate(zip(parts, args))]
    return sign.join(shown), "sum" if op in ("add", "sub") else "product"


def key_json(sheet: WorkedSheet, source: str) -> dict:
    """The key.json object: the sheet's given numbers, its answers with their lines, and its
    marking scheme, written here from the blanks' own trees; one check reads (markable), or
    a refusal naming `source`, the definition."""
    definition = {"title": sheet.title, "kind": sheet.kind, "decimals": sheet.decimals,
                  "lesson": sheet.given_numbers} | (
        {"language": sheet.language} if sheet.language != "en" else {})
    shown = {}
    for s in sheet.sections:
        for line in s.lines:
            if line.answer is not None and line.first:
                a = line.answer
                value = Number(a.value, answer_decimals(a.name, a.value, sheet.decimals))
                worked = (line.working,) if line.working is not None else ()
                shown[a.label] = to_json(Equation((line.quantity, *line.forms, *worked, value)))
    answers = [asdict(a) | ({"shown": shown[a.label]} if a.label in shown else {})
               for a in sheet.answers]
    data = {"definition": definition, "seed": sheet.seed, "version": sheet.version,
            "answers": answers, "scheme": scheme_of(sheet.blanks, sheet.decimals,
                                                    sheet.language, definition)}
    return markable(json.loads(json.dumps(data, allow_nan=False)), source)


def scheme_of(blanks: list[dict], decimals: int, language: str = "en",
              definition: dict | None = None) -> dict:
    """The marking scheme of blanks written with their trees (a worked sheet's, a lesson's):
    the blanks, the key's values their trees refer to, the messages of their mistakes, in
    the sheet's language, and the fingerprints of the key's `definition` they were worked
    from (check refuses a key whose definition was edited alone)."""
    used = used_by(blanks)
    values = {b["name"]: b["value"] for b in blanks}
    _ = words(language)
    body = {"version": SCHEME_VERSION, "decimals": decimals,
            "messages": {k: _(t) for k, t in MISTAKES.items() if k in used},
            "values": values, "blanks": blanks} | (
        {} if definition is None else {"worked_from": worked_from(definition)})
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return {"id": digest} | body


def _sum(form) -> bool:
    """A sum or a difference: what a product of it must put in parentheses."""
    return isinstance(form, Ops) and any(op in ("+", "−") for op in form.ops)
