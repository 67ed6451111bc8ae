"""The `symbackprop` command: wires the stages together; the only module (with pdf.py) that
touches files or prints."""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import definition, numeric, report
from .build import BuildError
from .definition import DefinitionError
from .pdf import LatexError, LatexMissing
from .sample import instance
from .verify import VerificationError, run

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the user: one line on stderr, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except (DefinitionError, UsageError, BuildError) as exc:
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


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="symbackprop",
        description="Derive, verify and print the chain-rule mathematics of small neural "
                    "networks defined in YAML worksheet definitions.",
        epilog="Run 'symbackprop COMMAND --help' for a command's options.")
    sub = p.add_subparsers(title="commands", required=True, metavar="COMMAND")

    d = sub.add_parser("derive", help="forward pass, loss and every gradient, verified",
                       description="Print the forward pass, the loss and the chain-rule "
                       "derivation of ∂J/∂w and ∂J/∂b for every parameter; every number is "
                       "checked against an independent NumPy evaluator and finite differences.")
    d.add_argument("file", help="worksheet definition (YAML)")
    d.add_argument("--json", action="store_true", help="print the results as one JSON object")
    d.add_argument("--param", action="append", metavar="NAME",
                   help="show only this parameter's derivation, e.g. 'W[2][1][1]' (repeatable)")
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
    defn = definition.load(args.file)
    inst = instance(defn, args.seed, args.version)
    for p in args.param or ():
        definition.check_name(p, defn.network, lambda problem: _usage(f"--param: {problem}"))
        if p.startswith("d") or p[0] not in "Wb":
            _usage(f"--param: '{p}' is not a weight or bias")
    result = run(defn, inst)
    if args.json:
        print(json.dumps(report.as_json(result), indent=2))
    else:
        print(report.text(result, args.param))
    return 0


def cmd_train(args) -> int:
    defn = definition.load(args.file)
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


def _usage(problem: str):
    raise UsageError(problem)


if __name__ == "__main__":
    sys.exit(main())
