"""Wall time of a 30-version class set (worksheets, keys, class-set PDF) against bare pdflatex
on the same .tex files, both on all cores.

Target (issue 4): the whole pipeline within 1.3x of bare pdflatex.

    python benchmarks/bench_build.py [DEFINITION]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from symbackprop import classset

ROOT = Path(__file__).resolve().parent.parent
DEFINITION = ROOT / "worksheets" / "class-set-2-2-2.yaml"


def pipeline(definition: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "symbackprop.cli", "build", str(definition),
                    "--versions", "30", "--seed", "2026", "--out", str(out)],
                   check=True, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def bare_pdflatex(out: Path) -> float:
    """pdflatex once per .tex file (as many at once as there are cores), then the class set."""
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


def main() -> None:
    definition = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFINITION
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        ours = pipeline(definition, out)
        count = len(list(out.glob("*.pdf")))
        bare = bare_pdflatex(out)
    print(f"class set of 30 versions ({count} PDFs) on {os.cpu_count()} cores")
    print(f"  symbackprop build (derive, verify, render, compile): {ours:6.1f} s")
    print(f"  bare pdflatex on the same .tex files:                {bare:6.1f} s")
    print(f"  ratio {ours / bare:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
