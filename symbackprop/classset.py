"""Class sets: one version per student, each with its own numbers, its worksheet and its key.

Pure: returns the documents as text and data; the command line writes and compiles them.

>>> from symbackprop.definition import parse
>>> d = parse('network: {layers: [2, 2, 1], activation: sigmoid, loss: half_sse}')
>>> vs = make(d, 'demo', count=2, seed=1)
>>> [v.stem for v in vs], vs[0].key['seed'], vs[1].key['version']
(['demo-v01', 'demo-v02'], 1, 2)
>>> vs[0].key['definition']['values'] != vs[1].key['definition']['values']
True
"""

from __future__ import annotations

from dataclasses import dataclass

from . import render, worksheet
from .definition import Definition
from .sample import Instance, fully_given, instance
from .verify import VerificationError, Verified, run

SATURATED = {"sigmoid": 4.0, "tanh": 2.5}  # |net| beyond which the slope all but vanishes


@dataclass(frozen=True)
class Version:
    stem: str  # file name stem: '<name>' or '<name>-v07'
    worksheet_tex: str
    key_tex: str
    key: dict  # the key.json object


def make(defn: Definition, name: str, count: int | None = None, seed: int | None = None,
         roster: list[str] | None = None) -> list[Version]:
    """One version (count None) or `count` versions numbered 1..count."""
    if count is None:
        return [_version(defn, name, *draw(defn, seed, None), roster[0] if roster else None)]
    if fully_given(defn):
        raise ValueError(f"{defn.source}: every number is given, so all versions would be the "
                         "same; leave some values out (they are then drawn per version)")
    width = max(2, len(str(count)))  # v01, v02, ... as a teacher sorts them
    first_with: dict = {}
    out = []
    for v in range(1, count + 1):
        result, ws = draw(defn, seed, v)
        values = result.instance.values
        if values in first_with:
            raise ValueError(f"{defn.source}: version {v} would repeat the numbers of version "
                             f"{first_with[values]}; leave more values out, or build fewer "
                             "versions")
        first_with[values] = v
        student = roster[v - 1] if roster else None
        out.append(_version(defn, f"{name}-v{v:0{width}d}", result, ws, student))
    return out


def key(defn: Definition, version: int | None, seed: int | None = None) -> dict:
    """The key.json object of one version, without rendering or computing any other version."""
    result, ws = draw(defn, seed, version)
    return worksheet.key_json(defn, ws, result)


def draw(defn: Definition, seed: int | None, version: int | None
         ) -> tuple[Verified, worksheet.Worksheet]:
    """The verified result and worksheet of one version: its numbers come from (seed, version)
    alone, so that `check --version 7` regenerates version 7 without versions 1 to 6."""
    judge = Judge(defn)
    return judge.sheet(instance(defn, seed, version, judge))


def _version(defn: Definition, stem: str, result: Verified, ws: worksheet.Worksheet,
             student: str | None) -> Version:
    return Version(stem, render.worksheet_document(ws, key=False, student=student),
                   render.worksheet_document(ws, key=True, student=student),
                   worksheet.key_json(defn, ws, result))


class Judge:
    """Accepts a draw unless a teacher would reject it: saturated neurons, answers that round to
    zero, or repeated answers. Keeps the verified result and worksheet of the draw it accepted,
    so that they are not computed again."""

    def __init__(self, defn: Definition):
        self.defn = defn
        self.accepted: tuple[Instance, Verified, worksheet.Worksheet] | None = None

    def __call__(self, inst: Instance) -> bool:
        try:
            result = run(self.defn, inst)
        except VerificationError:
            return False  # e.g. a ReLU neuron at its corner
        if _saturated(result):
            return False
        ws = worksheet.build(self.defn, result)
        if _trivial(self.defn, ws):
            return False
        self.accepted = (inst, result, ws)
        return True

    def sheet(self, inst: Instance) -> tuple[Verified, worksheet.Worksheet]:
        """The verified result and worksheet of `inst` (a fully given one is never judged)."""
        if self.accepted is not None and self.accepted[0] is inst:
            return self.accepted[1], self.accepted[2]
        result = run(self.defn, inst)
        return result, worksheet.build(self.defn, result)


def _saturated(result: Verified) -> bool:
    net = result.instance.network
    for l, act in enumerate(net.activations, start=1):
        limit = SATURATED.get(act)
        for j in range(1, net.layers[l] + 1):
            if limit and abs(result.values[f"net[{l}][{j}]"]) > limit:
                return True
    return False


def _trivial(defn: Definition, ws: worksheet.Worksheet) -> bool:
    shown = [a for a in ws.answers if " via " not in a.name  # one path can be the whole sum
             and (a.name == "J" or a.name.startswith(("net", "out", "dJ/dW", "dJ/db")))]
    rounded = [round(a.value, defn.decimals) for a in shown]
    zero_gradient = any(r == 0 for a, r in zip(shown, rounded) if a.name.startswith("dJ/d"))
    return zero_gradient or len(set(rounded)) < len(rounded)


def class_set_tex(worksheets: list[str], keys: list[str]) -> str:
    """A document of every worksheet and then every key, each PDF page as it is."""
    pages = "\n".join(rf"\includepdf[pages=-]{{{name}}}" for name in worksheets + keys)
    return ("\\documentclass{article}\n\\usepackage{pdfpages}\n\\pdfinfoomitdate=1\n"
            "\\pdftrailerid{}\n\\pdfsuppressptexinfo=-1\n\\begin{document}\n"
            f"{pages}\n\\end{{document}}\n")
