"""The command line's arguments: each command, its options and its help, every count read as
a whole number within its bound."""

from __future__ import annotations

import argparse
import os
import sys

from ..definitions.definition import (
    MAX_BUILD_VERSIONS,
    MAX_EPOCHS,
    MAX_SEED,
    MAX_STEPS,
    MAX_VERSIONS,
)
from ..definitions.errors import one_line
from ..definitions.yamlfile import plain_number
from .terminal import EXIT_USAGE, fail

BATCH_SIZE = 32  # train --epochs's mini-batch, when --batch-size is not given

MAX_JOBS = 64
OPTIMIZER_STEPS = 10  # derive's steps: each is derived and verified in full


class _Parser(argparse.ArgumentParser):
    """argparse, with each complaint on one line (and still exit code 2), and no option read
    from its first letters: build --version 3 (derive's option, one version) is no short form
    of --versions 3 (three of them)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs, allow_abbrev=False)

    def error(self, message: str):
        command = self.prog.removeprefix("symbackprop").strip()
        where = f"{command}: " if command else ""
        fail(f"{where}{message} (see '{self.prog} --help')")
        sys.exit(EXIT_USAGE)


def parser() -> argparse.ArgumentParser:
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
    d.set_defaults(command="derive")

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
    # no default here: a batch size given without a data set to batch is refused, not ignored
    t.add_argument("--batch-size", type=_whole(1, 4096), metavar="B",
                   help="with --epochs: examples a gradient-descent step averages over "
                   f"(default {BATCH_SIZE})")
    t.add_argument("--json", action="store_true", help="print the results as one JSON object")
    _seed_options(t)
    t.set_defaults(command="train")

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
    b.add_argument("--out", type=_folder, default="build", metavar="DIR",
                   help="output folder (default: build)")
    b.add_argument("--roster", metavar="FILE",
                   help="one student name a line, printed on the versions in order")
    b.add_argument("--format", choices=("pdf", "tex", "html", "moodle", "moodle-numerical",
                                        "scorm", "scorm2004"),
                   action="append",
                   help="pdf (the default): worksheets, keys and their .tex; tex: the .tex "
                   "files only; html: a practice page per version that marks itself in any "
                   "browser, offline (DIR/<name>-practice.html); moodle: every version as a "
                   "Cloze question for Moodle's question bank (DIR/<name>-moodle.xml); "
                   "moodle-numerical: a numerical question per blank; scorm: the practice "
                   "pages as one SCORM 1.2 package for any LMS, each learner given a version "
                   "by their LMS id, the score sent to its gradebook (DIR/<name>-scorm.zip); "
                   "scorm2004: the same for SCORM 2004 (DIR/<name>-scorm2004.zip). Give it "
                   "more than once for several (--format pdf --format html)")
    b.add_argument("--pass-mark", type=_percent, metavar="P",
                   help="with --format scorm: the score (0 to 100) from which a learner has "
                   "passed (default 50); the package gives it to the LMS, where a teacher may "
                   "change it")
    b.add_argument("--language", metavar="CODE",
                   help="the class's language, over the definition's language: every word "
                   "on the worksheets, keys, practice pages and Moodle questions, and the "
                   "decimal sign: en (English, the default), fr (French), de (German), es "
                   "(Spanish)")
    b.add_argument("--date", metavar="TEXT",
                   help="the date printed in the header (print: date in the definition)")
    b.add_argument("--proofs", choices=("worksheet", "key", "none"),
                   help="where the proofs of the rules go: on the worksheet (and key), on the "
                   "key only, or left out (default: the definition's print: proofs, else the "
                   "worksheet for one sheet and the key only for a class set)")
    b.add_argument("--working-space", metavar="SPACE",
                   help="under each section of a worksheet: lines:N (ruled lines), box:H (a "
                   "frame H cm high) or none (default: the definition's print: working_space)")
    b.add_argument("--simplex", action="store_true",
                   help="a class set for one-sided printing: no blank page after a version of "
                   "an odd number of pages")
    b.add_argument("--jobs", type=_whole(1, MAX_JOBS),
                   default=min(os.cpu_count() or 1, MAX_JOBS),
                   help=f"PDFs compiled at once (default: all cores; at most {MAX_JOBS})")
    b.set_defaults(command="build")

    c = sub.add_parser("check", help="mark a hand calculation against an answer key",
                       description="Mark a student's answers against a key: each answer is "
                       "correct (the key's value as honest rounding to the sheet's decimals "
                       "reaches it), too_few_decimals (right, with fewer decimals than asked), "
                       "carried_forward (right from the student's own earlier values), "
                       "incorrect (with the likely mistake) or missing.")
    c.add_argument("key", help="KEY.json written by 'build', or a definition with --seed and "
                   "--version to regenerate its key")
    c.add_argument("answers", nargs="?", help="file of 'label = value' lines (label like c or "
                   "a canonical name like dJ/dW[2][1][1]); '-' for standard input; leave out to "
                   "be asked for each blank in turn")
    c.add_argument("--json", action="store_true", help="print the marks as one JSON object")
    c.add_argument("--all", action="store_true",
                   help="list every blank, the ones not answered too (by default they are "
                        "counted, and only the answered ones listed)")
    _seed_options(c)
    c.set_defaults(command="check")

    m = sub.add_parser("mark", help="mark a whole class into a gradebook",
                       description="Mark every student's answers (one spreadsheet row each: "
                       "name,version,<label>,... under a header row) with their version's key, "
                       "and write gradebook.csv, summary.csv and a feedback page per student.")
    m.add_argument("keydir", help="the folder of *-key.json files 'build' wrote for the class")
    m.add_argument("answers", help="CSV: a header row name,version,a,b,c,... then a row a student")
    m.add_argument("--out", type=_folder, default="marks", metavar="DIR",
                   help="where the gradebook, summary and feedback go (default: marks)")
    m.add_argument("--points-carried-forward", type=_fraction, default=1.0, metavar="F",
                   help="the points a carried-forward answer earns, 0 to 1 (default 1)")
    m.add_argument("--points-rounded", type=_fraction, default=0.5, metavar="F",
                   help="the points a right answer with fewer decimals than the sheet asks "
                        "earns, 0 to 1 (default 0.5)")
    m.set_defaults(command="mark")

    a = sub.add_parser("audit", help="check the figures a published worked example printed",
                       description="Check every figure listed under 'claimed:' in a definition "
                       "against the engine, and name the likely mistake behind each wrong one.")
    a.add_argument("file", help="worksheet definition (YAML) with a claimed: section")
    a.add_argument("--json", action="store_true", help="print the audit as one JSON object")
    a.set_defaults(command="audit")

    pr = sub.add_parser("proof", help="print a machine-checked proof of a rule",
                        description="Print a step-by-step proof of one of the rules the "
                        "derivations use (σ' = σ(1−σ), tanh', softmax with cross-entropy, ...). "
                        "SymPy checks every step before it is printed.")
    pr.add_argument("name", nargs="?", help="the proof's name (see --list)")
    pr.add_argument("--list", action="store_true", help="list the proofs")
    pr.add_argument("--json", action="store_true",
                    help="print the proof as JSON, each expression as SymPy srepr")
    pr.set_defaults(command="proof")
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


def _percent(text: str) -> float:
    """An argparse type: a number from 0 to 100, typed as the definition writes one (never
    '5_0' or '٥٠', which float() reads as 50)."""
    value = plain_number(text)
    if value is None or not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(
            f"must be a number from 0 to 100, got {one_line(text, 20)}")
    return float(value)


def _folder(text: str) -> str:
    """An argparse type: a folder's name. An empty one (an unset $OUT) is refused, not taken
    as the current folder, where a build or a marking would land without a word."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must name a folder, got {text!r}; give '.' for "
                                         "the current folder")
    return text


def _fraction(text: str) -> float:
    """An argparse type: a number from 0 to 1, typed as the definition writes one."""
    value = plain_number(text)
    if value is None or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {one_line(text, 20)}")
    return float(value)
