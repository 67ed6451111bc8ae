"""Class sets: one version per student, each with its own numbers, its worksheet and its key.

Pure: returns the documents as text and data; the command line writes and compiles them.

>>> from symbackprop.definitions.definition import parse
>>> d = parse('network: {layers: [2, 2, 1], activation: sigmoid, loss: half_sse}')
>>> vs = make(d, 'demo', count=2, seed=1)
>>> [v.stem for v in vs], vs[0].key['seed'], vs[1].key['version']
(['demo-v01', 'demo-v02'], 1, 2)
>>> vs[0].key['definition']['values'] != vs[1].key['definition']['values']
True
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import partial

from ..definitions.canonical import example_of
from ..definitions.definition import Definition
from ..definitions.errors import UsageError
from ..definitions.printable import PRINTED_LAYER, PRINTED_PARAMETERS
from ..engine import numeric
from ..engine.sample import Instance, NoGoodDraw, fully_given, instance
from ..engine.verify import VerificationError, Verified, run
from ..formats import tex
from ..sheets import (
    worked,
    worksheet,  # the module; `worksheet` reads better beside Worksheet
)
from ..sheets.zeros import misprinted

SATURATED = {"sigmoid": 4.0, "tanh": 2.5}  # |net| beyond which the slope all but vanishes
RELU_CORNER = 1e-6  # verify refuses a ReLU neuron whose |net| is below this
VERIFIED_DRAWS = 25  # draws of one version that may go through the whole verification
# A chain writes every path to J out in full, for each example of a batch: about 40 pages.
PRINTED_CHAIN_LINES = 1000


@dataclass(frozen=True)
class Version:
    stem: str  # file name stem: '<name>' or '<name>-v07'
    worksheet_tex: str
    key_tex: str
    key: dict  # the key.json object
    sheet: object = None  # the worksheet model, for the other formats (the practice page)
    student: str | None = None


def make(defn: Definition, name: str, count: int | None = None, seed: int | None = None,
         roster: list[str] | None = None, first: int = 1, width: int | None = None,
         map=map) -> list[Version]:
    """One version (count None) or `count` versions numbered first..first+count-1.

    Version v depends on (seed, v) alone and takes line v of the roster (the whole class), so
    that a set built in parts on many machines gives the same files as one build. File names
    pad v to `width` digits (by default that of the last version built; see number_width).
    `map` may be a process pool's, to make versions on every core: they come back in order."""
    return list(generate(defn, name, count, seed, roster, first, width, map))


def generate(defn: Definition, name: str, count: int | None = None, seed: int | None = None,
             roster: list[str] | None = None, first: int = 1, width: int | None = None,
             map=map) -> Iterator[Version]:
    """make's versions one at a time, each as soon as it is made."""
    if count is None:
        yield _version(defn, name, *draw(defn, seed, None), roster[0] if roster else None)
        return
    if fully_given(defn):
        raise ValueError(f"{defn.source}: every number is given, so all versions would be the "
                         "same; leave some values out (they are then drawn per version)")
    width = width or number_width(first + count - 1)
    numbers = range(first, first + count)
    first_with: dict = {}
    for v, (values, version) in zip(numbers, map(
            partial(numbered, defn, name, seed, roster, width), numbers)):
        if values in first_with:
            raise ValueError(f"{defn.source}: version {v} would repeat the numbers of version "
                             f"{first_with[values]}; leave more values out, or build fewer "
                             "versions")
        first_with[values] = v
        yield version


def numbered(defn: Definition, name: str, seed: int | None, roster: list[str] | None,
             width: int, v: int) -> tuple[object, Version]:
    """Version v of a set, with the numbers it drew."""
    result, ws = draw(defn, seed, v)
    student = roster[v - 1] if roster else None
    return result.instance.values, _version(defn, f"{name}-v{v:0{width}d}", result, ws, student)


def number_width(size: int) -> int:
    """Digits of a version number in file names: those of the set's last version, at least
    two (v01, v02, ... as a teacher sorts them).

    >>> number_width(30), number_width(5), number_width(1000)
    (2, 2, 4)
    """
    return max(2, len(str(size)))


class NotBuiltYet(UsageError, ValueError):
    """A definition whose worksheets this version does not make (a network on an image, or
    an optimizer's steps, that no hand-worked sheet prints): derive and train work on it. A
    usage error (one line, exit code 2) wherever it reaches the command line, and the
    ValueError that check_printable raises for a sheet it cannot print."""


def not_built_yet(defn: Definition) -> None:
    """Refuse, in one line, a definition no worksheet is made for yet."""
    if defn.layered:
        from ..sheets import convfit

        if defn.form == "matrix":
            raise NotBuiltYet(f"{defn.source}: form: a page of shapes has no blanks; build "
                              "prints it, derive and train work on it")
        try:
            convfit.layers_of(defn)
        except ValueError as exc:
            raise NotBuiltYet(f"{exc}; derive and train work on it") from None
        return
    if not defn.optimizer.plain:  # its steps worked by hand (sheets/stepsheet.py)
        from ..sheets import stepsheet

        try:
            stepsheet.printable(defn)
        except ValueError as exc:
            raise NotBuiltYet(f"{exc}; derive and train work on it") from None


def key(defn: Definition, version: int | None, seed: int | None = None) -> dict:
    """The key.json object of one version, without rendering or computing any other version."""
    result, ws = draw(defn, seed, version)
    return key_json(defn, ws, result)


def key_json(defn: Definition, ws, result: Verified) -> dict:
    """The key.json object of a drawn sheet: a worked sheet's (convolution, an optimizer's
    steps) or a dense worksheet's."""
    key = worked.key_json(ws, defn.source) if isinstance(ws, worked.WorkedSheet) else \
        worksheet.key_json(defn, ws, result)
    if getattr(defn, "printing", None) is not None:  # the header and layout it printed with
        key["printed"] = json.loads(json.dumps(asdict(defn.printing)))
    recipe = _recipe(defn)
    if recipe is not None and key.get("version") is not None:
        key["recipe"] = recipe
    return key


RECIPE_BYTES = 2**16  # a drawn set's definition, kept in each key; a class set's is ~1 KiB


def _recipe(defn: Definition) -> str | None:
    """The definition's text, where its numbers are drawn: with the key's seed, check draws
    the set's other versions from it, so that a neighbour's sheet of another version earns
    no follow-through (scheme.no_work). None for a definition of no file or a large one."""
    from ..engine.sample import fully_given

    try:
        if fully_given(defn) or not defn.source or os.path.getsize(defn.source) > RECIPE_BYTES:
            return None
        with open(defn.source, encoding="utf-8") as f:
            return f.read(RECIPE_BYTES + 1)[:RECIPE_BYTES]
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def document(ws, key: bool, student: str | None = None) -> str:
    """The LaTeX source of a drawn sheet (key=True: its answer key), by the driver of its
    kind."""
    if isinstance(ws, worked.WorkedSheet):
        from ..formats import worked as printed

        return printed.document(ws, key=key, student=student)
    return tex.worksheet_document(ws, key=key, student=student)


def _worked_draw(defn: Definition, seed: int | None, version: int | None):
    """A convolution sheet's verified result and sheet: the draw is judged on the sheet's own
    numbers (no SymPy), and only the accepted one is verified three ways by the engine."""
    from ..engine import convverify
    from ..sheets import convsheet, stepsheet

    if not defn.layered:  # an optimizer's two steps, checked against the engine's
        from ..engine.optimize import optimize

        inst = instance(defn, seed, version, stepsheet.acceptable(defn))
        result = run(defn, inst)
        sheet = _given(defn, stepsheet.build, inst)
        sheet.seed, sheet.version = inst.seed, inst.version
        stepsheet.check_against(sheet, optimize(defn, result, stepsheet.STEPS))
        return result, sheet
    inst = instance(defn, seed, version, convsheet.acceptable(defn))
    result = convverify.run(defn, inst)
    sheet = _given(defn, convsheet.build, inst)
    sheet.seed, sheet.version = inst.seed, inst.version
    convsheet.check_against(sheet, result)
    return result, sheet


def _given(defn: Definition, build, inst):
    """The worked sheet of an accepted draw; for numbers all given (never judged by the draw),
    a refusal in one line naming the file and what the numbers make that no sheet prints."""
    from ..sheets.convback import _Rejected

    try:
        return build(defn, inst.values)
    except (_Rejected, worked.Unworkable) as exc:
        raise NoGoodDraw(f"{defn.source}: values: the given numbers make no worksheet: {exc}; "
                         "change them, or leave some out to be drawn") from None


def draw(defn: Definition, seed: int | None, version: int | None
         ) -> tuple[Verified, worksheet.Worksheet]:
    """The verified result and worksheet of one version: its numbers come from (seed, version)
    alone, so that `check --version 7` regenerates version 7 without versions 1 to 6."""
    not_built_yet(defn)
    if defn.layered or not defn.optimizer.plain:
        return _worked_draw(defn, seed, version)
    judge = Judge(defn)
    result, ws = judge.sheet(instance(defn, seed, version, judge))
    wrong = misprinted(ws.answers, result, defn.decimals)
    if wrong:  # the definition's own numbers (a drawn one is drawn again instead)
        raise ValueError(f"{defn.source}: decimals: {wrong}")
    return result, ws


def _version(defn: Definition, stem: str, result: Verified, ws: worksheet.Worksheet,
             student: str | None) -> Version:
    # the key names its student: a set rebuilt for another class replaces the pages that name
    # this one's (files/previous.py), though the numbers are the same
    key = key_json(defn, ws, result) | ({"student": student} if student is not None else {})
    return Version(stem, document(ws, False, student), document(ws, True, student), key, ws,
                   student)


def check_printable(defn: Definition) -> None:
    """Refuse (ValueError) a network too big to print on a worksheet, or whose asked chains
    would fill more pages than a worksheet has, before any work on its numbers.

    >>> from symbackprop.definitions.definition import parse
    >>> check_printable(parse('network: {layers: [784, 128, 10], activation: sigmoid, '
    ...                       'loss: half_sse}', source='mnist.yaml'))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: mnist.yaml: network.layers: a 784-128-10 network is too big ...has 101,634)...
    """
    not_built_yet(defn)
    if defn.layered or not defn.optimizer.plain:
        return  # a hand-worked sheet: its builder refuses what it does not print
    sizes = defn.network.layers
    count = parameters(defn)
    if max(sizes) > PRINTED_LAYER or count > PRINTED_PARAMETERS:
        raise ValueError(
            f"{defn.source}: network.layers: a {'-'.join(map(str, sizes))} network is too big "
            f"to print on a worksheet (at most {PRINTED_LAYER} neurons a layer and "
            f"{PRINTED_PARAMETERS} weights and biases; this one has {count:,}); derive and "
            "train work on it")
    lines = worksheet.chain_lines(defn)
    if lines > PRINTED_CHAIN_LINES:
        key = "ask" if defn.ask else "network.layers"
        raise ValueError(
            f"{defn.source}: {key}: the asked chains of a {'-'.join(map(str, sizes))} network "
            f"take {lines:,} lines on a worksheet"
            f"{f', over its {defn.examples} examples' if defn.examples else ''} "
            f"(every path to J written out; at most "
            f"{PRINTED_CHAIN_LINES:,} print): ask for parameters nearer the output, use fewer "
            f"{'examples or ' if defn.examples else ''}layers, or form: matrix; derive and "
            "train work on it")


def parameters(defn: Definition) -> int:
    """Weights and biases of the network."""
    net, sizes = defn.network, defn.network.layers
    per = {"none": 0, "shared": 1}
    biases = sum(per.get(net.bias, n) for n in sizes[1:])
    return sum(a * b for a, b in zip(sizes, sizes[1:])) + biases


class Judge:
    """Accepts a draw unless a teacher would reject it: saturated neurons, answers that round to
    zero, or repeated answers. Keeps the verified result and worksheet of the draw it accepted,
    so that they are not computed again.

    A NumPy forward pass rejects saturated and ReLU-corner draws first, so that only a promising
    draw pays for the whole verification; at most VERIFIED_DRAWS draws are verified, and then it
    gives up (NoGoodDraw) with the reason, instead of running for hours on a big network."""

    def __init__(self, defn: Definition):
        self.defn = defn
        self.accepted: tuple[Instance, Verified, worksheet.Worksheet] | None = None
        self.verified = 0
        self.rejected: dict[str, int] = {}

    def __call__(self, inst: Instance) -> bool:
        cheap = _forward_problem(inst, self.defn.ask or worksheet.default_ask(self.defn))
        if cheap:
            return self._reject(cheap)
        if self.verified == VERIFIED_DRAWS:
            raise NoGoodDraw(
                f"{self.defn.source}: no acceptable numbers after verifying {VERIFIED_DRAWS} "
                f"draws in full (the bound; draws rejected: {self._reasons()}); give some "
                "values or relax the network")
        self.verified += 1
        try:
            result = run(self.defn, inst)
        except VerificationError:
            return self._reject("not verified")  # e.g. a ReLU neuron at its corner
        if _saturated(result):
            return self._reject("saturated")
        ws = worksheet.build(self.defn, result)
        if _trivial(self.defn, ws, result):
            return self._reject("an answer rounds to zero or repeats")
        self.accepted = (inst, result, ws)
        return True

    def _reject(self, reason: str) -> bool:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        return False

    def _reasons(self) -> str:
        return ", ".join(f"{n} {why}" for why, n in sorted(self.rejected.items()))

    def sheet(self, inst: Instance) -> tuple[Verified, worksheet.Worksheet]:
        """The verified result and worksheet of `inst` (a fully given one is never judged)."""
        if self.accepted is not None and self.accepted[0] is inst:
            return self.accepted[1], self.accepted[2]
        result = run(self.defn, inst)
        return result, worksheet.build(self.defn, result)


def _forward_problem(inst: Instance, asked: tuple[str, ...]) -> str | None:
    """Why a draw fails before any SymPy work: NumPy sees saturation, ReLU corners and asked
    gradients that a dead ReLU makes exactly 0. Only what the full judge would also reject, so
    that the same seed draws the same numbers as without this shortcut."""
    p = numeric.params(inst)
    layers = numeric.forward(inst, p)
    for act, layer in zip(inst.network.activations, layers):
        nets = abs(layer.net)
        limit = SATURATED.get(act)
        if limit and nets.max() > limit * (1 + 1e-9):  # margin: NumPy and SymPy may differ
            return "saturated"  # in the last digit
        if act == "relu" and nets.min() < RELU_CORNER * (1 - 1e-9):
            return "at a ReLU corner"
    if "relu" in inst.network.activations:
        grads = numeric.gradients(inst, p)
        for asked_name in (a for a in asked if a[0] in "Wb"):  # a δ is judged in full
            kind, l, *jk = (int(i) if i.isdigit() else i for i in re.findall(r"\w+", asked_name))
            g = (grads.W if kind == "W" else grads.b)[l - 1]
            if g[tuple(i - 1 for i in jk)] == 0 if jk else g[0] == 0:
                return "an answer rounds to zero or repeats"  # 0 on the sheet too
    return None


def _saturated(result: Verified) -> bool:
    net = result.instance.network
    for one in result.examples or (result,):  # a batch: any of its examples
        for l, act in enumerate(net.activations, start=1):
            limit = SATURATED.get(act)
            for j in range(1, net.layers[l] + 1):
                if limit and abs(one.values[f"net[{l}][{j}]"]) > limit:
                    return True
    return False


def _trivial(defn: Definition, ws: worksheet.Worksheet, result: Verified) -> bool:
    shown = [a for a in ws.answers if " via " not in a.name  # one path can be the whole sum
             and (a.name == "J" or a.name.startswith(("net", "out", "dJ/dW", "dJ/db")))]
    rounded = [round(a.value, defn.decimals) for a in shown]
    net = defn.network
    # a softmax layer's shared bias has ∂J/∂b = Σ(out − t) = 0 whatever the numbers
    always_zero = f"dJ/db[{net.depth}]" if net.activations[-1] == "softmax" and \
        net.bias == "shared" else None
    zero_gradient = any(r == 0 for a, r in zip(shown, rounded)
                        if a.name.startswith("dJ/d") and a.name != always_zero)
    # out = net is ReLU's (and the identity's) definition, not a coincidence to avoid
    linear = tuple(f"out[{l}][" for l, act in enumerate(defn.network.activations, start=1)
                   if act in ("relu", "identity"))
    # within one example (a batch's examples may share a value: they are worked apart)
    groups: dict[int | None, list[float]] = {}
    for a, r in zip(shown, rounded):
        if not (linear and a.name.startswith(linear)):
            groups.setdefault(example_of(a.name)[1], []).append(r)
    return zero_gradient or misprinted(ws.answers, result, defn.decimals) is not None or any(
        len(set(g)) < len(g) for g in groups.values())


_SAFE_NAME = re.compile(r"[A-Za-z0-9-]+\.pdf")


def class_set_tex(worksheets: list[str], keys: list[str], duplex: bool = False) -> str:
    """A document of every worksheet and then every key, each PDF page as it is.

    pdfTeX's own \\pdfximage, page by page at each page's size, not pdfpages: pdfpages takes
    nine times as long (3.6 s against 0.4 s for 60 PDFs; minutes for a 1,000-version set), for
    the same pages. No \\documentclass: nothing of LaTeX is needed, so nothing is loaded.

    The names are TeX source, so only plain ones are taken: a file name from a user (with `#`,
    `%`, `}`, `\\` or bytes that are not UTF-8) is copied to a plain name first.

    With `duplex`, a PDF of an odd number of pages is followed by a blank page of its last
    page's size, so that the next starts on an odd page: on the front of a sheet of paper.

    >>> print(class_set_tex(['w1.pdf'], ['k1.pdf']).splitlines()[-3])
    \\pdfofclassset{w1.pdf}
    >>> class_set_tex(['a#b.pdf'], [])
    Traceback (most recent call last):
    ...
    ValueError: 'a#b.pdf' is not a plain file name (letters, digits, '-', then .pdf)
    """
    for name in worksheets + keys:
        if not _SAFE_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a plain file name (letters, digits, '-', then .pdf)")
    pages = "\n".join(rf"\pdfofclassset{{{name}}}" for name in worksheets + keys)
    return _CLASS_SET.replace("DUPLEX", "1" if duplex else "0").replace("PAGES", pages)


# Every page of a PDF, shipped out as a page of its own size; \@@end is TeX's \end.
_CLASS_SET = r"""\pdfinfoomitdate=1
\pdftrailerid{}
\pdfsuppressptexinfo=-1
\pdfhorigin=0pt
\pdfvorigin=0pt
\newcount\classsetpages
\newcount\classsetpage
\newcount\classsetduplex \classsetduplex=DUPLEX
\def\pdfofclassset#1{\pdfximage{#1}\classsetpages=\pdflastximagepages \classsetpage=1
  \loop \pdfximage page\classsetpage{#1}%
    \setbox0=\hbox{\pdfrefximage\pdflastximage}%
    \pdfpagewidth=\wd0 \pdfpageheight=\ht0
    \shipout\box0
  \ifnum\classsetpage<\classsetpages \advance\classsetpage 1 \repeat
  \ifodd\classsetpages \ifnum\classsetduplex=1 \shipout\hbox{}\fi\fi}
PAGES
\csname @@end\endcsname
"""
