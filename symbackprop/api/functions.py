"""symbackprop from Python: the same pipeline as the command line, as objects that display
themselves in Jupyter (IPython's display protocol: `_repr_html_`, `_repr_latex_`) and print
a short line in a terminal.

>>> import symbackprop
>>> defn = symbackprop.load("worksheets/blog-2-2-2.yaml")
>>> result = symbackprop.derive(defn)
>>> result
<Result 2-2-2 sigmoid half_sse: J = 0.298371109, 10 gradients verified>
>>> round(result.grad["W[2][1][1]"], 9), round(result.loss, 9)
(0.082167041, 0.298371109)
>>> chain = result.derivation("w5")
>>> [name for name, _ in chain.factors]
['dJ/dout[2][1]', 'dout[2][1]/dnet[2][1]', 'dnet[2][1]/dW[2][1][1]']
>>> symbackprop.proof("sigmoid")
<Proof sigmoid: The derivative of the sigmoid: σ′(x) = σ(x)(1 − σ(x)), 8 steps, machine-checked>
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path

from ..definitions import definition
from ..definitions.errors import DefinitionError
from . import arguments

__all__ = ["Gradient", "ProofView", "Result", "Sheet", "Training", "derive", "load", "parse",
           "proof", "train", "worksheet"]


def load(path: str | Path) -> definition.Definition | definition.Lesson:
    """Read and check a definition file (YAML); DefinitionError names the file, key, problem."""
    if not isinstance(path, (str, Path)):  # Python's words from open() otherwise
        raise TypeError(f"path must be a definition file's path (a str or a Path), got "
                        f"{type(path).__name__}")
    return definition.load(path)


def parse(text: str, source: str = "<definition>") -> definition.Definition | definition.Lesson:
    """Check a definition given as YAML text (at most 16 MiB, as a file is read)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be the definition's YAML as a str, got {type(text).__name__}")
    if not isinstance(source, str):  # it names the definition in every message
        raise TypeError(f"source must be the name its messages give the definition (a str), "
                        f"got {type(source).__name__}")
    if len(text) > definition.MAX_BYTES or len(text.encode("utf-8", "replace")) > \
            definition.MAX_BYTES:
        raise DefinitionError(source, "", f"larger than {definition.MAX_BYTES // 2**20} MiB, "
                              "the most a definition may be")
    return definition.parse(text, source)


def _network(defn) -> definition.Definition:
    if isinstance(defn, (str, Path)):
        defn = load(defn)
    if isinstance(defn, dict):
        defn = definition.Definition.from_dict(defn)
    if not isinstance(defn, (definition.Definition, definition.Lesson)):
        raise TypeError(f"defn must be a Definition, a path to one or a dict, got "
                        f"{type(defn).__name__}")
    if isinstance(defn, definition.Lesson):
        raise DefinitionError(defn.source, "kind", f"a {defn.kind} lesson has no network to "
                              "derive or sheet of blanks to return; build its pages with "
                              "'symbackprop build'")
    from ..definitions.recheck import recheck

    return recheck(defn)  # a dataclasses.replace of one skipped the reader's checks


def derive(defn, seed: int | None = None, version: int | None = None) -> Result:
    """Build, derive and verify every gradient, exactly as `symbackprop derive` does.

    `defn` is a Definition, a path, or a dict (as Definition.from_dict reads it). Raises
    DefinitionError for a bad definition, VerificationError if the three computations
    disagree (nothing is returned then)."""
    defn = _network(defn)
    if defn.layered:
        from ..engine.convverify import run
    else:
        from ..engine.verify import run
    verified = run(defn, arguments.instance(defn, seed, version))
    steps = None
    if not defn.optimizer.plain:  # the optimizer's first step, derived and checked
        from ..engine.optimize import optimize

        steps = tuple(optimize(defn, verified, 1))
    return Result(defn, verified, steps)


def train(defn, steps: int = 100, seed: int | None = None,
          version: int | None = None) -> Training:
    """`steps` steps of gradient descent, as `symbackprop train --steps` takes them (of a
    class set's `version`)."""
    from ..engine import numeric

    defn = _network(defn)
    if defn.data is not None:  # as train --steps refuses it: its seed's numbers are a start only
        raise DefinitionError(defn.source, "data", "the network trains on this data set by "
                              "epochs ('symbackprop train FILE --epochs N'), not by steps")
    if steps is None:
        raise TypeError("steps must be a whole number (an int), got NoneType")
    steps = arguments.whole(steps, "steps", 0, definition.MAX_STEPS, defn.source)
    too_long = definition.too_many_layer_steps(steps, defn.network.depth)
    if too_long:  # refused before the first step, as train --steps refuses it
        raise DefinitionError(defn.source, "steps", too_long)
    inst = arguments.instance(defn, seed, version)
    if defn.layered or not defn.optimizer.plain:
        from ..engine import descent, trainreport

        run = descent.train(inst, steps, keep=trainreport.kept_states(inst, steps))
        data = trainreport.as_json(inst, run)
        return Training(run.history, data["outputs"], data.get("W"), data.get("b"), data)
    history, p = numeric.train(inst, steps)
    return Training(history, numeric.forward(inst, p)[-1].out.T.tolist(),  # a batch: per example
                    [w.tolist() for w in p.W], None if p.b is None else [b.tolist() for b in p.b])


def worksheet(defn, version: int | None = None, seed: int | None = None) -> Sheet:
    """One version's worksheet and key, as `symbackprop build` makes them; ValueError for a
    network too big to print on a page."""
    from ..files import classset

    defn = _network(defn)
    classset.check_printable(defn)  # ValueError: too big for a page (derive and train work)
    result, ws = classset.draw(defn, seed, arguments.instance_version(defn, seed, version))
    return Sheet(ws, classset.key_json(defn, ws, result))  # build's, whatever the sheet's kind


def proof(name: str) -> ProofView:
    """A proof from the library (`symbackprop proof --list`), checked by SymPy step by step."""
    from ..engine import proofs

    if not isinstance(name, str):
        raise TypeError(f"name must be a proof's name (a str), got {type(name).__name__}")
    if name not in proofs.BUILDERS:
        raise KeyError(f"no proof called {name!r}; there are: {', '.join(proofs.BUILDERS)}")
    return ProofView(proofs.get(name))


# --- what they return ----------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Result:
    """A derived and verified network: numbers, derivations, and how they were checked."""

    definition: definition.Definition
    verified: object  # verify.Verified
    steps: tuple | None = None  # an optimizer's first step (updates.OptimizerStep), if not SGD

    @property
    def loss(self) -> float:
        return self.verified.values["J"]

    @property
    def outputs(self) -> list[float] | list[list[float]]:
        """The output layer's values; of a batch, a list per example."""
        net = self.definition.network
        last, n = (net.depth, net.shapes[-1][0]) if self.definition.layered else (
            len(net.layers) - 1, net.layers[-1])
        rows = [[one.values[f"out[{last}][{j}]"] for j in range(1, n + 1)]
                for one in self.verified.examples or (self.verified,)]
        return rows if self.verified.examples else rows[0]

    @property
    def input_grad(self) -> dict[str, float]:
        """A network on an image: ∂J/∂x of every pixel, by name ('x[1][2][3]')."""
        return dict(self.verified.input_grads)

    @property
    def grad(self) -> dict[str, float]:
        """∂J/∂p for every weight and bias p, by canonical name ('W[2][1][1]', 'b[1]')."""
        return dict(self.verified.grads)

    @property
    def updated(self) -> dict[str, float]:
        """Every parameter after one step (of gradient descent, or of the optimizer)."""
        if self.steps:
            return dict(self.verified.updated) | self.steps[0].new
        return dict(self.verified.updated)

    def derivation(self, param: str) -> Gradient:
        """∂J/∂param as its chain of factors; `param` canonical ('W[2][1][1]') or as the sheet
        numbers it ('w5')."""
        from ..engine.report import deltas_text, derivation_text, text
        from ..engine.steps import PathSum, flatten

        p = self.canonical(param)
        r, step = self.verified, self.verified.derivation.grads[p]
        if self.definition.layered:
            from ..engine.convreport import text as layered_text

            parts = step.terms if isinstance(step, PathSum) else flatten(step)
            return Gradient(p, r.grads[p], tuple((f.target, r.steps[f.target]) for f in parts),
                            isinstance(step, PathSum), layered_text(r, [p], self.steps),
                            "canonical", ())
        if r.examples:  # a batch: the sum over its examples of each one's gradient
            factors = tuple((f"dJ@{e}/d{p}", one.grads[p])
                            for e, one in enumerate(r.examples, start=1))
            return Gradient(p, r.grads[p], factors, True,
                            text(r, [p], self.definition.notation),
                            self.definition.notation, tuple(self.definition.network.layers))
        parts = step.terms if isinstance(step, PathSum) else flatten(step)
        factors = tuple((f.target, r.steps[f.target]) for f in parts)
        shown = deltas_text(r, [p]) + "\n" + derivation_text(r, p, self.definition.notation)
        return Gradient(p, r.grads[p], factors, isinstance(step, PathSum), shown,
                        self.definition.notation, tuple(self.definition.network.layers))

    def to_json(self) -> str:
        """Exactly what `symbackprop derive --json` prints (without its final newline)."""
        if self.definition.layered:
            from ..engine.convreport import as_json
        else:
            from ..engine.report import as_json

        return json.dumps(as_json(self.verified, self.steps), indent=2, allow_nan=False)

    def text(self) -> str:
        """What `symbackprop derive` prints."""
        if self.definition.layered:
            from ..engine.convreport import text as layered_text

            return layered_text(self.verified, [], self.steps)
        from ..engine.report import text

        return text(self.verified, [], self.definition.notation, self.steps)

    def canonical(self, param: str) -> str:
        """A weight or bias's canonical name, from itself or as the sheet numbers it (w5)."""
        from ..definitions.names import canonical

        if not isinstance(param, str):
            raise TypeError(f"param must be a weight or bias's name, such as 'W[2][1][1]' or "
                            f"'w5', got {type(param).__name__}")
        net = self.definition.network
        p = param if self.definition.layered else canonical(param, net.layers, net.bias) or param
        if p not in self.verified.grads:
            raise KeyError(f"{param!r} is not a weight or bias of this network (e.g. "
                           f"{next(iter(self.verified.grads))})")
        return p

    def __repr__(self) -> str:
        net = self.definition.network
        if self.definition.layered:
            kinds = "-".join(_layer_word(layer) for layer in net.layers)
            shape = "×".join(map(str, net.shapes[0]))
            return (f"<Result {shape} image, {kinds}, {net.loss}: J = {self.loss:.9g}, "
                    f"{len(self.verified.grads)} gradients verified>")
        acts = "/".join(dict.fromkeys(net.activations))
        return (f"<Result {'-'.join(map(str, net.layers))} {acts} {net.loss}: "
                f"J = {self.loss:.9g}, {len(self.verified.grads)} gradients verified>")

    def _repr_html_(self) -> str:
        from .display import result_html

        return result_html(self)


@dataclass(frozen=True, repr=False)
class Gradient:
    """∂J/∂param: its factors (name, value) in chain order; for a shared bias its paths, for a
    batch each example's gradient (dJ@e/d...), to add."""

    param: str
    value: float
    factors: tuple[tuple[str, float], ...]
    paths: bool  # True: `factors` are terms to add (paths or examples), not factors to multiply
    text: str  # as `symbackprop derive --param` prints it
    notation: str
    layers: tuple[int, ...]

    def form(self):
        """The equation with symbols and numbers: ∂J/∂w = ∂J/∂out · ... = 0.74 · ... = 0.08."""
        from ..api.display import partial
        from ..sheets.forms import Equation, Number, Ops

        op = "+" if self.paths else "·"
        names = Ops.joined((partial(n) for n, _ in self.factors), op)
        values = Ops.joined((Number(v, significant=9) for _, v in self.factors), op)
        return Equation((partial(f"dJ/d{self.param}"), names, values,
                         Number(self.value, significant=9)))

    def latex(self) -> str:
        """The equation as LaTeX (a notebook's LaTeX display)."""
        from ..formats.texmath import TexMath

        return str(TexMath(self.notation, self.layers)(self.form()))

    def __repr__(self) -> str:
        return self.text

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def _repr_html_(self) -> str:
        from .display import gradient_html

        return gradient_html(self)


@dataclass(frozen=True, repr=False)
class Training:
    """Gradient descent's losses step by step, and the network it ends with (a network on an
    image: W and b are None; `data` holds its parameters layer by layer, and an optimizer's
    buffers after each step, as train --json prints them)."""

    loss_history: list[float]
    outputs: list[float]
    W: list | None
    b: list | None
    data: dict | None = None

    def to_json(self) -> str:
        """Exactly what `symbackprop train --json` prints (without its final newline)."""
        if self.data is not None:
            return json.dumps(self.data, indent=2, allow_nan=False)
        return json.dumps({"loss_history": self.loss_history, "outputs": self.outputs,
                           "W": self.W, "b": self.b}, indent=2, allow_nan=False)

    def __repr__(self) -> str:
        return (f"<Training {len(self.loss_history) - 1} steps: J {self.loss_history[0]:.6g} → "
                f"{self.loss_history[-1]:.6g}>")


@dataclass(frozen=True, repr=False)
class Sheet:
    """A worksheet version: `.pdf(path)`, `.html(path)` (the practice page), `.key`."""

    model: object  # worksheet.Worksheet
    key: dict  # as key.json holds it

    def pdf(self, path: str | Path, key: bool = False) -> Path:
        """The worksheet (or, key=True, its answer key) as a PDF; needs TeX Live."""
        from ..files import classset
        from ..files.output import destination
        from ..formats import pdf

        if not isinstance(key, bool):  # key="no" is true: the answers on the students' sheet
            raise TypeError(f"key must be True (the answer key) or False (the worksheet), got "
                            f"{type(key).__name__}")
        path = destination(path)  # TeX's PDF is moved onto it: never onto a device or a pipe
        return pdf.compile_tex(classset.document(self.model, key), path)

    def page(self) -> str:
        """The practice page: one self-contained HTML file that marks itself."""
        from ..formats import practice_page

        return practice_page(self.model, self.key["scheme"])

    def html(self, path: str | Path) -> Path:
        """The practice page as the file `path`, written as pdf() writes a PDF: beside it,
        then moved into place (a link there is replaced, not written through; a device, a
        pipe or a folder is refused)."""
        from ..files.output import write_beside

        return write_beside(path, self.page().encode("utf-8"))

    def __repr__(self) -> str:
        version = self.key.get("version")
        return (f"<Sheet {self.model.title!r}{'' if version is None else f' v{version}'}: "
                f"{len(self.key['answers'])} blanks>")

    def _repr_html_(self) -> str:
        # the page in a frame of its own: its script and style stay out of the notebook's
        return (f'<iframe title="{html.escape(self.model.title)}" srcdoc="'
                f'{html.escape(self.page(), quote=True)}" style="width:100%;height:36rem;'
                'border:1px solid #ccc"></iframe>')


@dataclass(frozen=True, repr=False)
class ProofView:
    """A proof of a rule, each step with its reason, checked by SymPy."""

    proof: object  # proofs.Proof

    @property
    def text(self) -> str:
        from ..engine import proofs

        return proofs.text(self.proof)

    def __repr__(self) -> str:
        p = self.proof
        return f"<Proof {p.name}: {p.title}, {len(p.steps)} steps, machine-checked>"

    def _repr_latex_(self) -> str:
        from ..formats import tex

        lhs = tex.proof_view(self.proof)["lhs"]
        rows = [f"{lhs} &= {s.latex} && \\text{{{s.reason}}}" for s in self.proof.steps[:1]]
        rows += [f"&= {s.latex} && \\text{{{s.reason}}}" for s in self.proof.steps[1:]]
        return "$$\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}$$"

    def _repr_html_(self) -> str:
        from .display import proof_html

        return proof_html(self.proof)


def _layer_word(layer) -> str:
    """A layer in a word or two, for a result's one line: conv 2×3×3 relu, max_pool 2×2."""
    kind = layer.kind
    if kind == "convolution":
        return f"conv {layer.filters}×{layer.kernel[0]}×{layer.kernel[1]} {layer.activation}"
    if kind in ("max_pool", "average_pool"):
        return f"{kind} {layer.size[0]}×{layer.size[1]}"
    if kind == "dense":
        return f"dense {layer.size} {layer.activation}"
    return kind


def _number(v: float) -> str:
    return f"{v:.9g}" if math.isfinite(v) else str(v)
