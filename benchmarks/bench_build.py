"""Wall time of a 30-version class set (worksheets, keys, class-set PDF) against bare pdflatex
on the same .tex files, both on all cores, measured in the same run; with --big, also a
1,000-version class set.

Targets (issue 12): the whole pipeline, compiling from the cached LaTeX format of the preamble,
in at most 0.5x the time of bare pdflatex; 1,000 versions in under 3 minutes.

The format cache is a fresh temporary folder (XDG_CACHE_HOME), so the first build makes the
formats: it is timed and printed apart ("cold"); the timed build finds them made, as every
build after the first does on a machine.

    python benchmarks/bench_build.py [DEFINITION] [--big]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from symbackprop.files import classset

ROOT = Path(__file__).resolve().parent.parent
DEFINITION = ROOT / "worksheets" / "class-set-2-2-2.yaml"
BIG = 1000


def pipeline(definition: Path, versions: int, out: Path, cache: Path) -> float:
    """Seconds of `symbackprop build` as a fresh process, start-up included."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "symbackprop.cli", "build", str(definition),
                    "--versions", str(versions), "--seed", "2026", "--out", str(out)],
                   check=True, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   env={**os.environ, "XDG_CACHE_HOME": str(cache)})
    return time.perf_counter() - start


def bare_pdflatex(out: Path) -> float:
    """pdflatex once per .tex file (as many at once as there are cores), then the class set
    (the same class-set document the build compiles)."""
    texs = sorted(out.glob("*.tex"))
    work = Path(tempfile.mkdtemp())

    def one(tex: Path) -> None:
        job = work / tex.stem
        job.mkdir()
        shutil.copy(tex, job / "doc.tex")
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                       cwd=job, check=True, stdout=subprocess.DEVNULL)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(one, texs))
    pdfs = [f"{t.stem}.pdf" for t in texs]
    job = work / "class-set"
    job.mkdir()
    for t in texs:
        shutil.copy(work / t.stem / "doc.pdf", job / f"{t.stem}.pdf")
    sheets = [p for p in pdfs if p.endswith("worksheet.pdf")]
    keys = [p for p in pdfs if p.endswith("key.pdf")]
    (job / "doc.tex").write_text(classset.class_set_tex(sheets, keys))
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                   cwd=job, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    shutil.rmtree(work)
    return seconds


def sized(definition: Path, versions: int, folder: Path) -> Path:
    """A copy of the definition whose set has `versions` versions."""
    text = re.sub(r"(?m)^versions:.*\n?", "", definition.read_text(encoding="utf-8"))
    copy = folder / definition.name
    copy.write_text(text + f"versions: {versions}\n", encoding="utf-8")
    return copy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("definition", nargs="?", type=Path, default=DEFINITION)
    parser.add_argument("--big", action="store_true", help=f"also build {BIG:,} versions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cache = tmp / "cache"
        definition = sized(args.definition, 30, tmp)
        cold = pipeline(definition, 30, tmp / "cold", cache)
        ours = pipeline(definition, 30, tmp / "out", cache)
        count = len(list((tmp / "out").glob("*.pdf")))
        bare = bare_pdflatex(tmp / "out")
        print(f"class set of 30 versions ({count} PDFs) on {os.cpu_count()} cores")
        print(f"  symbackprop build, formats cached (derive, verify, render, compile): "
              f"{ours:6.1f} s")
        print(f"  bare pdflatex on the same .tex files:                                "
              f"{bare:6.1f} s")
        print(f"  ratio {ours / bare:.2f} (target <= 0.5)")
        print(f"  the first build, which makes the formats:                            "
              f"{cold:6.1f} s")
        if args.big:
            definition = sized(args.definition, BIG, tmp)
            big = pipeline(definition, BIG, tmp / "big", cache)
            count = len(list((tmp / "big").glob("*.pdf")))
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"class set of {BIG:,} versions ({count} PDFs): {big:6.1f} s "
                  f"(target < 180 s); the largest process peaked at {peak:.0f} MB")


if __name__ == "__main__":
    main()
