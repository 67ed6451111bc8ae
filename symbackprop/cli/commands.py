"""The `symbackprop` command: wires the stages together. With build.py and checking.py (the
file sides of `build` and `check`) and formats/pdf.py, the only modules that touch files or
print."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from contextlib import contextmanager

from ..definitions import definition
from ..definitions.definition import (
    MAX_BUILD_VERSIONS,
    MAX_EPOCHS,
    MAX_SEED,
    MAX_STEPS,
    MAX_VERSIONS,
    DefinitionError,
)
from ..definitions.errors import (
    BadNumbers,
    LatexError,
    LatexMissing,
    UsageError,
    VerificationError,
    one_line,
    terminal_safe,
)

# The engine (SymPy) is imported inside the commands that need it: `check KEY.json` must
# start fast and never import SymPy.

EXIT_USAGE = 2
OPTIMIZER_STEPS = 10  # derive's steps: each is derived and verified in full
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
MAX_JOBS = 64


def main(argv: list[str] | None = None) -> int:
    with _shown_streams(), warnings.catch_warnings():
        _warnings_as_errors()
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    args = None
    try:
        args = _parser().parse_args(argv)
        code = args.command(args)
        sys.stdout.flush()  # a full disk shows here, not after main has returned
        return code
    except (DefinitionError, UsageError) as exc:
        return _fail(str(exc))
    except (LatexError, LatexMissing) as exc:
        return _fail(str(exc), 1)
    except BadNumbers as exc:  # the numbers' fault: name the file they came from
        return _fail(f"{_source(args)}: values: {exc}")
    except VerificationError as exc:
        return _fail(f"refusing to print unverified numbers: {exc}", 1)
    except KeyboardInterrupt:
        _quiet_stdout()
        return _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        _quiet_stdout()
        return 141
    except OSError as exc:  # standard output on a full disk (> /dev/full), or a file
        _quiet_stdout()
        if exc.filename:
            return _fail(f"{exc.filename}: {exc.strerror or exc}")
        return _fail(f"standard output: cannot write: {exc.strerror or exc}")
    except (MemoryError, RecursionError) as exc:  # the last guard; the schema's bounds come first
        what = "memory" if isinstance(exc, MemoryError) else "stack"
        return _fail(f"{_source(args)}: too large to compute here (out of {what})")
    except (RuntimeWarning, UserWarning) as exc:  # a library's numerical warning, as an error
        return _fail(f"{_source(args)}: cannot be computed here ({exc})")


def _warnings_as_errors() -> None:
    """No library's warning reaches the user: a numerical one (an overflow, a mean of nothing)
    stops the command with one line, as the tests run it; notices meant for developers
    (deprecations) are not shown."""
    warnings.simplefilter("error", RuntimeWarning)
    warnings.simplefilter("error", UserWarning)
    for kind in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, FutureWarning):
        warnings.simplefilter("ignore", kind)


class _Shown:
    """A text stream that shows, never sends, what a terminal would act on: a name or a title
    holding ESC or BEL is printed as \\x1b, so it cannot retitle or clear the terminal.
    `unguarded` is the stream itself, for the progress bar's own line control."""

    def __init__(self, stream):
        self.unguarded = stream

    def write(self, text: str) -> int:
        return self.unguarded.write(terminal_safe(text))

    def __getattr__(self, name: str):
        return getattr(self.unguarded, name)


@contextmanager
def _shown_streams():
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = (_Shown(s) if s is not None else s for s in saved)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"symbackprop: {one_line(message, 1000)}", file=sys.stderr, flush=True)
    return code


def _source(args) -> str:
    return getattr(args, "file", None) or getattr(args, "key", None) or "input"


def _quiet_stdout() -> None:
    """Send what is still buffered for stdout nowhere, so that exit does not fail on it again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # stdout closed or not a file
        pass


class _Parser(argparse.ArgumentParser):
    """argparse, with each complaint on one line (and still exit code 2)."""

    def error(self, message: str):
        command = self.prog.removeprefix("symbackprop").strip()
        where = f"{command}: " if command else ""
        _fail(f"{where}{message} (see '{self.prog} --help')")
        sys.exit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="symbackprop",
        description="Derive, verify, prove and print the chain-rule mathematics of small "
                    "neural networks defined in YAML worksheet definitions: printable worksheets "
                    "and answer keys, and marking of hand calculations.",
        epilog="Run 'symbackprop COMMAND --help' for a command's options.")
    sub = p.add_subparsers(title="commands", required=True, metavar="COMMAND")

    d = sub.add_parser("derive", help="forward pass, loss and every gradient, verified",
                       description="Print the forward pass, the loss and the chain-rule "
                       "derivation of ∂J/∂w and ∂J/∂b for every parameter; every number is "
                       "checked against an independent NumPy evaluator and finite differences.")
    d.add_argument("file", help="worksheet definition (YAML)")
    d.add_argument("--json", action="store_true", help="print the results as one JSON object")
    d.add_argument("--param", action="append", metavar="NAME",
                   help="show only this parameter's derivation and the δ's it needs, e.g. "
                   "'W[2][1][1]', or w5 as numbered in seed 003 (repeatable)")
    d.add_argument("--form", choices=("scalar", "matrix"), default="scalar",
                   help="scalar (default): each δ and gradient by the chain rule; matrix: "
                   "the four matrix equations with every matrix's shape (δ^L, δ^l, ∂J/∂W^l, "
                   "∂J/∂b^l), each entry checked equal to the scalar ones; with --json, adds "
                   "\"matrix\"")
    d.add_argument("--steps", type=_whole(1, OPTIMIZER_STEPS), metavar="N",
                   help="take N steps of the definition's optimizer (default 1), each from a "
                   "gradient derived and verified again, and show each step's quantities "
                   f"(velocity, moments) and the parameters after it (at most {OPTIMIZER_STEPS})")
    _seed_options(d)
    d.set_defaults(command=cmd_derive)

    t = sub.add_parser("train", help="run gradient-descent steps and report the loss",
                       description="Run N full gradient-descent steps (NumPy) from the "
                       "definition's numbers and report the loss after each.")
    t.add_argument("file", help="worksheet definition (YAML)")
    t.add_argument("--steps", type=_whole(0, MAX_STEPS), metavar="N",
                   help=f"number of steps on the definition's one example (at most "
                   f"{MAX_STEPS:,})")
    t.add_argument("--epochs", type=_whole(1, MAX_EPOCHS), metavar="N",
                   help="with data: in the definition, passes over its training examples in "
                   f"shuffled mini-batches (at most {MAX_EPOCHS:,})")
    t.add_argument("--batch-size", type=_whole(1, 4096), default=32, metavar="B",
                   help="examples a gradient-descent step averages over (default 32)")
    t.add_argument("--json", action="store_true", help="print the results as one JSON object")
    _seed_options(t)
    t.set_defaults(command=cmd_train)

    b = sub.add_parser("build", help="write worksheets, answer keys, practice pages and keys",
                       description="Build a printable worksheet and its answer key (PDF, with "
                       "the .tex and a key.json) from a definition, and with --format html a "
                       "practice page that marks itself in a browser; with --versions, a class set "
                       "with its own numbers per version, reproducible from --seed.")
    b.add_argument("file", help="worksheet definition (YAML)")
    b.add_argument("--versions", type=_whole(1, MAX_BUILD_VERSIONS), metavar="N",
                   help="build N versions with different numbers, and a class-set PDF "
                   f"(at most {MAX_BUILD_VERSIONS:,})")
    b.add_argument("--first-version", type=_whole(1, MAX_VERSIONS), metavar="K",
                   help="build versions K to K+N-1 of the set (with --versions N; default: to "
                   "the end of the set), with the same files as one build of the whole set, so "
                   "that a big set can be built in parts on many machines; needs the set's "
                   "size (versions: in the definition, or a --roster of the whole class)")
    b.add_argument("--seed", type=_whole(0, MAX_SEED), help="seed for the numbers the "
                   "definition leaves out (default: the definition's seed:, else 2026)")
    b.add_argument("--out", default="build", metavar="DIR", help="output folder (default: build)")
    b.add_argument("--roster", metavar="FILE",
                   help="one student name a line, printed on the versions in order")
    b.add_argument("--format", choices=("pdf", "tex", "html", "moodle", "moodle-numerical"),
                   action="append",
                   help="pdf (the default): worksheets, keys and their .tex; tex: the .tex "
                   "files only; html: a practice page per version that marks itself in any "
                   "browser, offline (DIR/<name>-practice.html); moodle: every version as a "
                   "Cloze question for Moodle's question bank (DIR/<name>-moodle.xml); "
                   "moodle-numerical: a numerical question per blank. Give it "
                   "more than once for several (--format pdf --format html)")
    b.add_argument("--jobs", type=_whole(1, MAX_JOBS),
                   default=min(os.cpu_count() or 1, MAX_JOBS),
                   help=f"PDFs compiled at once (default: all cores; at most {MAX_JOBS})")
    b.set_defaults(command=cmd_build)

    c = sub.add_parser("check", help="mark a hand calculation against an answer key",
                       description="Mark a student's answers against a key: each answer is "
                       "correct, carried_forward (right from the student's own earlier values), "
                       "incorrect (with the likely mistake) or missing.")
    c.add_argument("key", help="KEY.json written by 'build', or a definition with --seed and "
                   "--version to regenerate its key")
    c.add_argument("answers", nargs="?", help="file of 'label = value' lines (label like c or "
                   "a canonical name like dJ/dW[2][1][1]); '-' for standard input; leave out to "
                   "be asked for each blank in turn")
    c.add_argument("--json", action="store_true", help="print the marks as one JSON object")
    _seed_options(c)
    c.set_defaults(command=cmd_check)

    m = sub.add_parser("mark", help="mark a whole class into a gradebook",
                       description="Mark every student's answers (one spreadsheet row each: "
                       "name,version,<label>,... under a header row) with their version's key, "
                       "and write gradebook.csv, summary.csv and a feedback page per student.")
    m.add_argument("keydir", help="the folder of *-key.json files 'build' wrote for the class")
    m.add_argument("answers", help="CSV: a header row name,version,a,b,c,... then a row a student")
    m.add_argument("--out", default="marks", metavar="DIR",
                   help="where the gradebook, summary and feedback go (default: marks)")
    m.add_argument("--points-carried-forward", type=_fraction, default=1.0, metavar="F",
                   help="the points a carried-forward answer earns, 0 to 1 (default 1)")
    m.set_defaults(command=cmd_mark)

    a = sub.add_parser("audit", help="check the figures a published worked example printed",
                       description="Check every figure listed under 'claimed:' in a definition "
                       "against the engine, and name the likely mistake behind each wrong one.")
    a.add_argument("file", help="worksheet definition (YAML) with a claimed: section")
    a.add_argument("--json", action="store_true", help="print the audit as one JSON object")
    a.set_defaults(command=cmd_audit)

    pr = sub.add_parser("proof", help="print a machine-checked proof of a rule",
                        description="Print a step-by-step proof of one of the rules the "
                        "derivations use (σ' = σ(1−σ), tanh', softmax with cross-entropy, ...). "
                        "SymPy checks every step before it is printed.")
    pr.add_argument("name", nargs="?", help="the proof's name (see --list)")
    pr.add_argument("--list", action="store_true", help="list the proofs")
    pr.add_argument("--json", action="store_true",
                    help="print the proof as JSON, each expression as SymPy srepr")
    pr.set_defaults(command=cmd_proof)
    return p


def _seed_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=_whole(0, MAX_SEED), help="seed for numbers the definition "
                   "leaves out (default: the definition's seed:, else 2026)")
    p.add_argument("--version", type=_whole(0, MAX_VERSIONS), default=None,
                   help="which version of a class set (1 to N); required when the definition "
                   "builds versions (versions: N), since each version has its own numbers")


def _whole(low: int, high: int):
    """An argparse type: a whole number from low to high, read without trusting its length."""
    def whole(text: str) -> int:
        digits = text.isascii() and text.isdigit()
        if not digits or len(text) > len(str(high)) or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {low:,} to {high:,}, got {one_line(text, 30)}")
        return int(text)
    return whole


def cmd_derive(args) -> int:
    from ..engine import report
    from ..engine.verify import run, run_params

    defn = _network_definition(args.file)
    inst = _instance(defn, args)
    if defn.layered:
        return _derive_layered(defn, inst, args)
    params = [_param(p, defn.network) for p in args.param or ()]
    if args.form == "matrix" and params:
        _usage("derive: --form matrix shows whole layers; leave out --param")
    whole = args.json or (args.steps or 1) > 1  # a later step moves every parameter
    result = run_params(defn, inst, params) if params and not whole else run(defn, inst)
    steps = _steps(defn, result, args)
    form = None
    if args.form == "matrix":
        from ..engine import matrixform

        form = matrixform.build(result)
    if args.json:
        print(_json(report.as_json(result, steps) | ({} if form is None else {
            "matrix": report.matrix_json(form)}), args.file))
    elif form is not None:
        print(report.matrix_text(form))
    else:
        print(report.text(result, params, defn.notation, steps))
    return 0


def _steps(defn, result, args):
    """The optimizer's steps to show: None for plain gradient descent's one step (printed as
    it always was), else each step derived and checked (optimize.optimize)."""
    if defn.optimizer.plain and not args.steps:
        return None
    from ..engine.optimize import optimize

    return optimize(defn, result, args.steps or 1)


def _derive_layered(defn, inst, args) -> int:
    """derive of a network on an image: text or JSON (the matrix form is for dense ones)."""
    from ..engine import convreport
    from ..engine.convverify import run, run_params

    if args.form == "matrix":
        _usage(f"{args.file}: --form matrix is for dense networks")
    params = [_layered_param(p, defn.network) for p in args.param or ()]
    whole = args.json or (args.steps or 1) > 1
    result = run_params(defn, inst, params) if params and not whole else run(defn, inst)
    steps = _steps(defn, result, args)
    if args.json:
        print(_json(convreport.as_json(result, steps), args.file))
    else:
        print(convreport.text(result, params, steps))
    return 0


def _layered_param(label: str, network) -> str:
    """A --param of a network on an image: its canonical name, a kernel entry, weight or bias."""
    from ..definitions.canonical import check_layered_name

    check_layered_name(label, network, lambda problem: _usage(f"--param: {problem}"),
                       derivatives=False)
    if label[0] not in "KWb":
        _usage(f"--param: '{label}' is not a kernel entry, weight or bias (like "
               "K[1][1][1][2][2], W[4][1][3] or b[1][1])")
    return label


def _param(label: str, network) -> str:
    """A --param as canonical name: 'W[2][1][1]', or a numbered label such as w5 or b1."""
    from ..definitions.names import canonical, parameters

    p = canonical(label, network.layers, network.bias)
    if p is None and label[:1] in ("w", "b") and label[1:].isdigit():
        _usage(f"--param: '{label}' names no parameter of this network "
               f"({parameters(network.layers, network.bias)})")
    p = p or label
    definition.check_name(p, network, lambda problem: _usage(f"--param: {problem}"))
    if p.startswith("d") or p[0] not in "Wb":
        _usage(f"--param: '{label}' is not a weight or bias")
    return p


def cmd_train(args) -> int:
    from ..engine import numeric

    defn = _network_definition(args.file)
    if defn.data is not None or args.epochs is not None:
        return _train_on_data(defn, args)
    if args.steps is None:
        _usage("train: give --steps N (or, for a definition with data:, --epochs N)")
    inst = _instance(defn, args)
    if defn.layered or not defn.optimizer.plain:
        return _train_steps(defn, inst, args)
    history, p = numeric.train(inst, args.steps)
    outputs = numeric.forward(inst, p)[-1].out.T.tolist()  # a batch: a list per example
    if args.json:
        print(_json({"loss_history": history, "outputs": outputs,
                     "W": [w.tolist() for w in p.W],
                     "b": None if p.b is None else [b.tolist() for b in p.b]}, args.file))
        return 0
    width = len(str(args.steps))
    shown = set(range(0, args.steps + 1, max(1, args.steps // 20))) | {args.steps}
    for i in sorted(shown):
        print(f"step {i:>{width}}: J = {history[i]:.10g}")
    for e, out in enumerate(outputs if inst.batched else [outputs], start=1):
        print(("outputs" if not inst.batched else f"outputs of example {e}") + ": "
              + ", ".join(f"{y:.9g}" for y in out))
    return 0


def _train_steps(defn, inst, args) -> int:
    """train --steps with an optimizer, or of a network on an image: the loss after each step
    and, with --json, the optimizer's buffers after each step (descent.train)."""
    from ..engine import descent, trainreport

    states = trainreport.kept_states(inst, args.steps)
    run = descent.train(inst, args.steps, keep=states)
    if args.json:
        print(_json(trainreport.as_json(inst, run), args.file))
        return 0
    print(trainreport.text(inst, run, args.steps))
    return 0


def _train_on_data(defn, args) -> int:
    """Mini-batch training on the definition's data set, an epoch a line as it finishes;
    the first mini-batch's gradient derived and verified three ways before the first step."""
    from ..definitions import dataset
    from ..engine import training
    from ..engine.report import verification_text
    from ..engine.sample import DEFAULT_SEED
    from ..files.output import bar, progress

    if defn.data is None:
        _usage(f"{args.file}: --epochs trains on a data set; the definition has no data: "
               "(use --steps to train on its own values)")
    if args.epochs is None or args.steps is not None:
        _usage(f"{args.file}: a definition with data: trains with --epochs N (not --steps)")
    data = dataset.read(defn.data.file)
    seed = args.seed if args.seed is not None else (
        defn.seed if defn.seed is not None else DEFAULT_SEED)
    if not args.json:
        print("first mini-batch: deriving its gradient and verifying it three ways...",
              flush=True)

    def said(number, e):
        progress("", end="")  # the bar's line, cleared for the epoch's
        if not args.json:
            print(f"epoch {number:>{len(str(args.epochs))}}/{args.epochs}: loss {e.loss:.6f}, "
                  f"train accuracy {e.train_accuracy:.3f}, test accuracy "
                  f"{e.test_accuracy:.3f}", flush=True)

    def stepped(number, done, batches):  # at a terminal only, on stderr
        progress(bar(done, batches, f"mini-batches of epoch {number}/{args.epochs}"), end="")

    run = training.train(defn.network, data, args.epochs, args.batch_size, defn.learning_rate,
                         seed, defn.data.test_fraction, on_epoch=said, on_batch=stepped,
                         optimizer=defn.optimizer)
    if args.json:
        print(_json(run.as_json(), args.file))
    else:
        shown, said = len(run.first_batch.examples), verification_text(run.first_batch)
        which = shown if shown == args.batch_size else f"its first {shown} of {args.batch_size}"
        print(f"first mini-batch ({which} examples), {said[0].lower()}{said[1:]}")
        print("confusion (rows: the digit, columns: the prediction), test examples:")
        for digit, row in enumerate(run.confusion):
            print(f"  {digit}: " + " ".join(f"{n:3d}" for n in row))
    return 0


def cmd_build(args) -> int:
    from ..files import build

    return build.main(args)


def cmd_check(args) -> int:
    from . import check as checking

    return checking.main(args)


def _version_of(defn, args) -> int | None:
    """The version to regenerate: required where the definition builds a set of versions."""
    from ..engine.sample import fully_given

    if fully_given(defn):
        if args.version:
            _usage(f"{defn.source}: every number is given, so there are no versions; leave "
                   "out --version")
        return None
    source = defn.source
    if args.version is None:
        if defn.versions:
            _usage(f"{source}: numbers are drawn per version: give --version (1 to "
                   f"{defn.versions}, the versions this set builds)")
        return None  # the one unnumbered sheet 'build FILE' writes
    last = defn.versions or MAX_VERSIONS
    if not 1 <= args.version <= last:
        which = "this set builds" if defn.versions else "a set can have"
        _usage(f"{source}: --version {args.version}: {which} versions 1 to {last}")
    return args.version


def _instance(defn, args):
    """The numbers of the version asked for, drawn and judged exactly as its sheet was (the
    unnumbered sheet too: `derive` prints what `build` printed); a network too big to print
    takes the definition's own first draw (it trains in seconds but would take minutes to
    judge, and has no sheet to agree with)."""
    from ..engine.sample import NoGoodDraw, fully_given, instance

    version = _version_of(defn, args)
    if fully_given(defn):
        return instance(defn, args.seed)
    if defn.layered:  # no sheet yet: drawn again only where a corner or tie is too near
        from ..engine.convverify import clear_of_corners

        return instance(defn, args.seed, version, clear_of_corners)
    from ..files import classset  # worksheets and proofs: only a drawn sheet needs them
    try:
        classset.check_printable(defn)
    except ValueError:
        return instance(defn, args.seed, version)
    try:
        return classset.draw(defn, args.seed, version)[0].instance
    except NoGoodDraw as exc:
        # no sheet prints this definition, so there is none to agree with: its first draw
        print(f"symbackprop: note: {exc}. No worksheet prints this definition, so derive "
              "shows its first draw.", file=sys.stderr)
        return instance(defn, args.seed, version)


def cmd_mark(args) -> int:
    from ..files import classroom

    return classroom.main(args)


def _fraction(text: str) -> float:
    """An argparse type: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {text[:20]!r}")
    return value


def cmd_audit(args) -> int:
    from ..marking import audit

    defn = _network_definition(args.file)
    if not defn.optimizer.plain:
        key = "optimizer" if defn.optimizer.name != "sgd" else "weight_decay"
        _usage(f"{args.file}: {key}: audits of steps with an optimizer or weight decay are not "
               "made yet; derive shows each step")
    if not (defn.claimed or defn.loss_after_steps or defn.outputs_after_steps):
        _usage(f"{args.file}: claimed: lists no figures to audit")
    claims = audit.audit(defn)
    if args.json:
        print(_json({"source": args.file, "claims": [c.as_json() for c in claims]}, args.file))
    else:
        print(audit.text(claims, args.file))
    return 0


def cmd_proof(args) -> int:
    from ..engine import proofs  # only this command needs the proofs

    if args.list:
        for name in proofs.BUILDERS:
            print(f"{name:32} {proofs.get(name).title}")
        return 0
    if not args.name:
        _usage("proof: name a proof, or use --list to see them")
    if args.name not in proofs.BUILDERS:
        _usage(f"proof: no proof called '{args.name}'; 'symbackprop proof --list' lists them")
    proof = proofs.get(args.name)
    print(_json(proofs.as_json(proof), args.name) if args.json else proofs.text(proof))
    return 0


def _json(value, source: str) -> str:
    """Strict JSON (RFC 8259 has no NaN or Infinity), or a clear refusal."""
    try:
        return json.dumps(value, indent=2, allow_nan=False)
    except ValueError:
        raise UsageError(f"{source}: a result is not a finite number (NaN or infinity), which "
                         "JSON cannot carry; run without --json to see it") from None


def _network_definition(path: str):
    """A backpropagation definition; a lesson page (seed 000's) has no network to derive."""
    defn = definition.load(path)
    if isinstance(defn, definition.Lesson):
        _usage(f"{path}: a {defn.kind} worksheet has no network to work on; build it with "
               f"'symbackprop build {path}'")
    return defn


def _usage(problem: str):
    raise UsageError(problem)


if __name__ == "__main__":
    sys.exit(main())
