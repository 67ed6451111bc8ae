"""The `symbackprop` command: each command wires the stages together, and every failure is one
line and an exit code (cli/terminal.py). With files/ (the file sides of `build` and `mark`),
cli/check.py and formats/pdf.py, the only modules that touch files or print."""

from __future__ import annotations

import sys
import warnings

from ..definitions import definition
from ..definitions.definition import DefinitionError
from ..definitions.errors import (
    BadNumbers,
    Diverged,
    LatexError,
    LatexMissing,
    UsageError,
    VerificationError,
)
from .common import network_definition, strict_json, usage
from .parser import BATCH_SIZE, parser
from .terminal import EXIT_INTERRUPTED, fail, quiet_stdout, shown_streams, warnings_as_errors

# The engine (SymPy) is imported inside the commands that need it: `check KEY.json` must
# start fast and never import SymPy.


def main(argv: list[str] | None = None) -> int:
    with shown_streams(), warnings.catch_warnings():
        warnings_as_errors()
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    args = None
    try:
        args = parser().parse_args(argv)
        code = COMMANDS[args.command](args)
        sys.stdout.flush()  # a full disk shows here, not after main has returned
        return code
    except Diverged as exc:  # the definition's numbers, not the command: name its file
        return fail(f"{_source(args)}: {'values' if exc.step == 0 else 'learning_rate'}: {exc}")
    except (DefinitionError, UsageError) as exc:
        return fail(str(exc))
    except (LatexError, LatexMissing) as exc:
        return fail(str(exc), 1)
    except BadNumbers as exc:  # the numbers' fault: name the file they came from
        return fail(f"{_source(args)}: values: {exc}")
    except VerificationError as exc:
        return fail(f"refusing to print unverified numbers: {exc}", 1)
    except KeyboardInterrupt:
        quiet_stdout()
        return fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        quiet_stdout()
        return 141
    except OSError as exc:  # standard output on a full disk (> /dev/full), or a file
        quiet_stdout()
        if exc.filename:
            return fail(f"{exc.filename}: {exc.strerror or exc}")
        return fail(f"standard output: cannot write: {exc.strerror or exc}")
    except (MemoryError, RecursionError) as exc:  # the last guard; the schema's bounds come first
        what = "memory" if isinstance(exc, MemoryError) else "stack"
        return fail(f"{_source(args)}: too large to compute here (out of {what})")
    except (RuntimeWarning, UserWarning) as exc:  # a library's numerical warning, as an error
        return fail(f"{_source(args)}: cannot be computed here ({exc})")


def _source(args) -> str:
    return getattr(args, "file", None) or getattr(args, "key", None) or "input"


def cmd_derive(args) -> int:
    from ..engine import report
    from ..engine.verify import run, run_params

    if args.json and args.param:  # said before any work, of either kind of network
        usage("derive: --param: --json prints every gradient (its JSON has one shape); "
              "leave out --param, or --json")
    defn = network_definition(args.file)
    inst, note = _instance(defn, args)
    if defn.layered:
        return _derive_layered(defn, inst, args)
    params = [_param(p, defn.network) for p in args.param or ()]
    if args.form == "matrix" and params:
        usage("derive: --form matrix shows whole layers; leave out --param")
    whole = args.json or (args.steps or 1) > 1  # a later step moves every parameter
    result = run_params(defn, inst, params) if params and not whole else run(defn, inst)
    steps = _steps(defn, result, args)
    form = None
    if args.form == "matrix":
        from ..engine import matrixform

        form = matrixform.build(result)
    _say(note)
    if args.json:
        print(strict_json(report.as_json(result, steps) | ({} if form is None else {
            "matrix": report.matrix_json(form)}), args.file))
    elif form is not None:
        print(report.matrix_text(form))
        if steps is not None:  # --steps N, or an optimizer's step: shown, not dropped
            print(report.steps_text(result, steps, defn.notation))
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
    """derive of a network on an image: text or JSON, the scalar chain rule or the matrix
    shape (convmatrix)."""
    from ..engine import convreport
    from ..engine.convverify import run, run_params

    params = [_layered_param(p, defn.network) for p in args.param or ()]
    if args.form == "matrix":
        from ..engine import convmatrix

        why = convmatrix.check_network(defn.network)
        if why or params:
            usage(f"{args.file}: {why or '--form matrix shows whole layers; leave out --param'}")
    whole = args.json or (args.steps or 1) > 1
    result = run_params(defn, inst, params) if params and not whole else run(defn, inst)
    steps = _steps(defn, result, args)
    form = convmatrix.build(result) if args.form == "matrix" else None
    if args.json:
        print(strict_json(convreport.as_json(result, steps) | ({} if form is None else {
            "matrix": convmatrix.as_json(form)}), args.file))
    elif form is not None:
        print(convmatrix.text(form))
        if steps is not None:  # --steps N, or an optimizer's step: shown, not dropped
            from ..engine import updatereport

            print(updatereport.text(steps, list(result.grads)))
    else:
        print(convreport.text(result, params, steps))
    return 0


def _layered_param(label: str, network) -> str:
    """A --param of a network on an image: its canonical name, a kernel entry, weight or bias."""
    from ..definitions.canonical import check_layered_name

    check_layered_name(label, network, lambda problem: usage(f"--param: {problem}"),
                       derivatives=False)
    if label[0] not in "KWb":
        usage(f"--param: '{label}' is not a kernel entry, weight or bias (like "
              "K[1][1][1][2][2], W[4][1][3] or b[1][1])")
    return label


def _param(label: str, network) -> str:
    """A --param as canonical name: 'W[2][1][1]', or a numbered label such as w5 or b1."""
    from ..definitions.names import canonical, parameters

    p = canonical(label, network.layers, network.bias)
    if p is None and label[:1] in ("w", "b") and label[1:].isdigit():
        usage(f"--param: '{label}' names no parameter of this network "
               f"({parameters(network.layers, network.bias)})")
    p = p or label
    definition.check_name(p, network, lambda problem: usage(f"--param: {problem}"))
    if p.startswith("d") or p[0] not in "Wb":
        usage(f"--param: '{label}' is not a weight or bias")
    return p


def cmd_train(args) -> int:
    from ..engine import numeric

    defn = network_definition(args.file)
    if defn.data is not None or args.epochs is not None:
        return _train_on_data(defn, args)
    if args.steps is None:
        usage("train: give --steps N (or, for a definition with data:, --epochs N)")
    if args.batch_size is not None:  # as --epochs: an option that would not be used is said
        usage(f"{args.file}: --batch-size goes with --epochs on a data set; the definition has "
              "no data: (--steps trains on its own values, one example or its batch)")
    too_long = definition.too_many_layer_steps(args.steps, defn.network.depth)
    if too_long:  # refused before the first step, from the network's shape alone
        raise DefinitionError(args.file, "--steps", too_long)
    inst, note = _instance(defn, args)
    if defn.layered or not defn.optimizer.plain:
        return _train_steps(defn, inst, args, note)
    history, p = numeric.train(inst, args.steps)
    outputs = numeric.forward(inst, p)[-1].out.T.tolist()  # a batch: a list per example
    _say(note)
    if args.json:
        print(strict_json({"loss_history": history, "outputs": outputs,
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


def _train_steps(defn, inst, args, note: str | None) -> int:
    """train --steps with an optimizer, or of a network on an image: the loss after each step
    and, with --json, the optimizer's buffers after each step (descent.train)."""
    from ..engine import descent, trainreport

    states = trainreport.kept_states(inst, args.steps)
    run = descent.train(inst, args.steps, keep=states)
    _say(note)
    if args.json:
        print(strict_json(trainreport.as_json(inst, run), args.file))
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
        usage(f"{args.file}: --epochs trains on a data set; the definition has no data: "
               "(use --steps to train on its own values)")
    if args.steps is not None:
        usage(f"{args.file}: a definition with data: trains with --epochs N (not --steps)")
    if args.version is not None:  # as --steps: an option it would not use is said, not dropped
        usage(f"{args.file}: --version {args.version}: a definition with data: has no versions "
              "(its training starts from weights drawn from its seed); leave out --version")
    if args.epochs is None:  # --batch-size alone: the epochs are what is missing
        given = "" if args.batch_size is None else f" (--batch-size {args.batch_size} given)"
        usage(f"{args.file}: a definition with data: trains with --epochs N, which is "
              f"missing{given}")
    data = dataset.read(defn.data.file)
    seed = args.seed if args.seed is not None else (
        defn.seed if defn.seed is not None else DEFAULT_SEED)
    # too few examples, or too much training, refused before a word of progress
    batch = BATCH_SIZE if args.batch_size is None else args.batch_size
    training.split_for(defn.network, data, args.epochs, batch,
                       defn.data.test_fraction, seed)
    if not args.json:
        print("first mini-batch: deriving its gradient and verifying it three ways...",
              flush=True)

    def said(number, e):
        progress("", end="")  # the bar's line, cleared for the epoch's
        if not args.json:
            print(f"epoch {number:>{len(str(args.epochs))}}/{args.epochs}: loss {_loss(e.loss)}, "
                  f"train accuracy {e.train_accuracy:.3f}, test accuracy "
                  f"{e.test_accuracy:.3f}", flush=True)

    def stepped(number, done, batches):  # at a terminal only, on stderr
        progress(bar(done, batches, f"mini-batches of epoch {number}/{args.epochs}"), end="")

    run = training.train(defn.network, data, args.epochs, batch, defn.learning_rate,
                         seed, defn.data.test_fraction, on_epoch=said, on_batch=stepped,
                         optimizer=defn.optimizer)
    if args.json:
        print(strict_json(run.as_json(), args.file))
    else:
        shown, said = len(run.first_batch.examples), verification_text(run.first_batch)
        which = shown if shown == run.batch_size else f"its first {shown} of {run.batch_size}"
        print(f"first mini-batch ({which} examples), {said[0].lower()}{said[1:]}")
        print("confusion (rows: the digit, columns: the prediction), test examples:")
        for digit, row in enumerate(run.confusion):
            print(f"  {digit}: " + " ".join(f"{n:3d}" for n in row))
    return 0


def _loss(value: float) -> str:
    """A loss as train --epochs prints it: six decimals, in e-notation from a million on (a
    diverging run's 3e200 would be 201 digits).

    >>> _loss(0.0554241), _loss(3.2644069457e200)
    ('0.055424', '3.264407e+200')
    """
    return f"{value:.6f}" if abs(value) < 1e6 else f"{value:.6e}"


def cmd_build(args) -> int:
    from ..files import build

    return build.main(args)


def cmd_check(args) -> int:
    from . import check as checking

    return checking.main(args)


def _version(defn, args) -> int | None:
    from ..engine.sample import version_of

    return version_of(defn, args.version)


def _instance(defn, args):
    """The numbers of the version asked for, drawn and judged exactly as its sheet was (the
    unnumbered sheet too: `derive` prints what `build` printed); a network too big to print
    takes the definition's own first draw (it trains in seconds but would take minutes to
    judge, and has no sheet to agree with). With them, a note for the command to say once its
    work is done (`_say`), or None: said first, it would make a refusal that follows two lines."""
    from ..engine.sample import NoGoodDraw, fully_given, instance, seed_of

    version = _version(defn, args)
    if fully_given(defn):
        return instance(defn, seed_of(defn, args.seed)), None
    if defn.layered:  # its worksheet's numbers where a sheet prints it
        from ..sheets.convsheet import drawn

        said = []  # a note for the command to say once its work is done
        return drawn(defn, args.seed, version, note=said.append), (said[0] if said else None)
    from ..files import classset  # worksheets and proofs: only a drawn sheet needs them
    try:
        classset.check_printable(defn)
    except ValueError:
        return instance(defn, args.seed, version), None
    try:
        return classset.draw(defn, args.seed, version)[0].instance, None
    except NoGoodDraw as exc:
        # no sheet prints this definition, so there is none to agree with: its first draw
        return instance(defn, args.seed, version), (
            f"{exc}. No worksheet prints this definition, so {args.command} "
            f"{'shows' if args.command == 'derive' else 'uses'} its first draw.")


def _say(note: str | None) -> None:
    if note is not None:
        print(f"symbackprop: note: {note}", file=sys.stderr)


def cmd_mark(args) -> int:
    from ..files import classroom

    return classroom.main(args)


def cmd_audit(args) -> int:
    from ..marking import audit

    defn = network_definition(args.file)
    if not defn.optimizer.plain:
        key = "optimizer" if defn.optimizer.name != "sgd" else "weight_decay"
        usage(f"{args.file}: {key}: audits of steps with an optimizer or weight decay are not "
              "made yet; derive shows each step")
    if not (defn.claimed or defn.loss_after_steps or defn.outputs_after_steps):
        usage(f"{args.file}: claimed: lists no figures to audit")
    if defn.layered:
        from ..marking import audit_conv

        claims = audit_conv.audit(defn)
    else:
        claims = audit.audit(defn)
    if args.json:
        claimed = {"source": args.file, "claims": [c.as_json() for c in claims]}
        print(strict_json(claimed, args.file))
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
        usage("proof: name a proof, or use --list to see them")
    if args.name not in proofs.BUILDERS:
        usage(f"proof: no proof called '{args.name}'; 'symbackprop proof --list' lists them")
    proof = proofs.get(args.name)
    print(strict_json(proofs.as_json(proof), args.name) if args.json else proofs.text(proof))
    return 0


COMMANDS = {"derive": cmd_derive, "train": cmd_train, "build": cmd_build, "check": cmd_check,
            "mark": cmd_mark, "audit": cmd_audit, "proof": cmd_proof}


if __name__ == "__main__":
    sys.exit(main())
