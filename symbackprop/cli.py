"""The `symbackprop` command: wires the stages together; the only module (with pdf.py) that
touches files or prints."""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import definition
from .definition import DefinitionError
from .errors import UsageError, VerificationError
from .pdf import LatexError, LatexMissing

# The engine (SymPy) is imported inside the commands that need it: `check KEY.json` must
# start fast and never import SymPy.

EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except (DefinitionError, UsageError) as exc:
        print(f"symbackprop: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (LatexError, LatexMissing) as exc:
        print(f"symbackprop: {exc}", file=sys.stderr)
        return 1
    except VerificationError as exc:
        print(f"symbackprop: refusing to print unverified numbers: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
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
    _seed_options(d)
    d.set_defaults(command=cmd_derive)

    t = sub.add_parser("train", help="run gradient-descent steps and report the loss",
                       description="Run N full gradient-descent steps (NumPy) from the "
                       "definition's numbers and report the loss after each.")
    t.add_argument("file", help="worksheet definition (YAML)")
    t.add_argument("--steps", type=_count, required=True, metavar="N", help="number of steps")
    t.add_argument("--json", action="store_true", help="print the results as one JSON object")
    _seed_options(t)
    t.set_defaults(command=cmd_train)

    b = sub.add_parser("build", help="write worksheets, answer keys and key.json files",
                       description="Build a printable worksheet and its answer key (PDF, with "
                       "the .tex and a key.json) from a definition; with --versions, a class set "
                       "with its own numbers per version, reproducible from --seed.")
    b.add_argument("file", help="worksheet definition (YAML)")
    b.add_argument("--versions", type=_positive, metavar="N",
                   help="build N versions with different numbers, and a class-set PDF")
    b.add_argument("--seed", type=_count, help="seed for the numbers the definition leaves out "
                   "(default: the definition's seed:, else 2026)")
    b.add_argument("--out", default="build", metavar="DIR", help="output folder (default: build)")
    b.add_argument("--roster", metavar="FILE",
                   help="one student name a line, printed on the versions in order")
    b.add_argument("--format", choices=("pdf", "tex"), default="pdf",
                   help="pdf (default) or tex: stop at the .tex files")
    b.add_argument("--jobs", type=_positive, default=os.cpu_count() or 1,
                   help="PDFs compiled at once (default: all cores)")
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
    p.add_argument("--seed", type=_count, help="seed for numbers the definition leaves out "
                   "(default: the definition's seed:, else 2026)")
    p.add_argument("--version", type=_count, default=None,
                   help="version number of a randomized class set (default 0)")


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _count(text: str) -> int:
    if not text.isdigit() or not text.isascii():
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number ≥ 0")
    return int(text)


def cmd_derive(args) -> int:
    from . import report
    from .sample import instance
    from .verify import run

    defn = _network_definition(args.file)
    inst = instance(defn, args.seed, args.version)
    params = [_param(p, defn.network) for p in args.param or ()]
    result = run(defn, inst)
    if args.json:
        print(json.dumps(report.as_json(result), indent=2))
    else:
        print(report.text(result, params, defn.notation))
    return 0


def _param(label: str, network) -> str:
    """A --param as canonical name: 'W[2][1][1]', or a numbered label such as w5 or b1."""
    from .names import canonical, parameters

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
    from . import numeric
    from .sample import instance

    defn = _network_definition(args.file)
    inst = instance(defn, args.seed, args.version)
    history, p = numeric.train(inst, args.steps)
    outputs = numeric.forward(inst, p)[-1].out.tolist()
    if args.json:
        print(json.dumps({"loss_history": history, "outputs": outputs,
                          "W": [w.tolist() for w in p.W],
                          "b": None if p.b is None else [b.tolist() for b in p.b]}, indent=2))
        return 0
    width = len(str(args.steps))
    shown = set(range(0, args.steps + 1, max(1, args.steps // 20))) | {args.steps}
    for i in sorted(shown):
        print(f"step {i:>{width}}: J = {history[i]:.10g}")
    print("outputs: " + ", ".join(f"{y:.9g}" for y in outputs))
    return 0


def cmd_build(args) -> int:
    from . import build

    return build.main(args)


def cmd_check(args) -> int:
    from . import check

    key = _load_key(args)
    if args.answers is None:
        given, problems = _ask(key)
    else:
        given, problems = check.parse_answers(_read_answers(args.answers))
    where = args.answers or "input"
    _, unknown = check.resolve(key, given)
    problems += [f"'{u}' is not a label or name on this sheet" for u in unknown]
    for problem in problems:
        print(f"symbackprop: {where}: {problem}", file=sys.stderr)
    marks = check.mark(key, given)
    score = {v: sum(m.verdict == v for m in marks) for v in check.VERDICTS}
    if args.json:
        print(json.dumps({"answers": [m.as_json() for m in marks], "score": score}, indent=2))
    else:
        print(_check_text(marks, score, key))
    return 0


def _load_key(args):
    from . import check

    if not args.key.endswith(".json"):  # a definition: regenerate its key (needs the engine)
        from pathlib import Path

        from . import classset

        defn = _network_definition(args.key)
        name = Path(args.key).stem
        count = args.version if args.version else None
        versions = classset.make(defn, name, count, args.seed)
        return check.Key.from_json(json.loads(json.dumps(versions[-1].key)))
    try:
        with open(args.key, encoding="utf-8") as handle:
            return check.Key.from_json(json.load(handle))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{args.key}: not a key written by 'symbackprop build' ({exc})") from None


def _read_answers(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the answers ({exc})") from None


def _ask(key) -> tuple[dict[str, float], list[str]]:
    from . import check

    given = {}
    print("Type each answer (Enter to skip it).", file=sys.stderr)
    for a in key.answers:
        while True:
            # prompts on stderr, so that --json output stays one JSON object
            print(f"({a['label']}) {a['name']} = ", end="", file=sys.stderr, flush=True)
            line = sys.stdin.readline()
            if not line:  # end of input
                return given, []
            text = line.strip()
            if not text:
                break
            try:
                given[a["label"]] = check.parse_number(text)
                break
            except check.AnswerError as exc:
                print(f"  {exc}", file=sys.stderr)
    return given, []


def _check_text(marks, score, key) -> str:
    lines = [", ".join(f"{n} {v.replace('_', ' ')}" for v, n in score.items())]
    wrong = [m for m in marks if m.verdict == "incorrect"]
    if wrong:
        first = wrong[0]
        lines += ["", f"First wrong step: ({first.label}) {first.name}: you wrote {first.given}, "
                  f"{first.message}" + (f" [{first.diagnosis}]" if first.diagnosis else ""),
                  f"  working: {first.working}"]
    lines.append("")
    for m in marks:
        given = "" if m.given is None else f"{m.given:g}"
        detail = f"  ({m.message})" if m.verdict not in ("correct", "missing") else ""
        lines.append(f"({m.label:>2}) {m.name:32} {given:>12}  {m.verdict}"
                     + (f" [{m.diagnosis}]" if m.diagnosis else "") + detail)
    return "\n".join(lines)


def cmd_audit(args) -> int:
    from . import audit

    defn = _network_definition(args.file)
    if not (defn.claimed or defn.loss_after_steps or defn.outputs_after_steps):
        _usage(f"{args.file}: claimed: lists no figures to audit")
    claims = audit.audit(defn)
    if args.json:
        print(json.dumps({"source": args.file, "claims": [c.as_json() for c in claims]},
                         indent=2))
    else:
        print(audit.text(claims, args.file))
    return 0


def cmd_proof(args) -> int:
    from . import proofs  # only this command needs the proofs

    if args.list:
        for name in proofs.BUILDERS:
            print(f"{name:32} {proofs.get(name).title}")
        return 0
    if not args.name:
        _usage("proof: name a proof, or use --list to see them")
    if args.name not in proofs.BUILDERS:
        _usage(f"proof: no proof called '{args.name}'; 'symbackprop proof --list' lists them")
    proof = proofs.get(args.name)
    print(json.dumps(proofs.as_json(proof), indent=2) if args.json else proofs.text(proof))
    return 0


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
