"""Seconds to mark a whole answer file with `symbackprop check KEY.json ANSWERS`, as a fresh
process (start-up included), and whether SymPy was imported.

Targets: under 0.5 s (issue 5), then under 0.1 s (issue 12); SymPy never imported when KEY.json
is given.

    python benchmarks/bench_check.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from symbackprop.definitions.definition import load
from symbackprop.files import classset

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    defn = load(ROOT / "worksheets" / "class-set-2-2-2.yaml")
    version = classset.make(defn, "bench", count=1)[0]
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "key.json"
        key.write_text(json.dumps(version.key))
        answers = Path(tmp) / "answers.txt"
        # every blank answered, a few of them wrong
        lines = [f"{a['label']} = {a['value'] * (1.1 if i % 7 == 3 else 1):.4f}"
                 for i, a in enumerate(version.key["answers"])]
        answers.write_text("\n".join(lines) + "\n")
        code = ("import sys; from symbackprop.cli import main; main(sys.argv[1:]); "
                "print('sympy imported:', 'sympy' in sys.modules, file=sys.stderr)")
        times, note = [], ""
        for _ in range(7):
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", code, "check", str(key), str(answers)],
                                  capture_output=True, text=True, check=True)
            times.append(time.perf_counter() - start)
            note = done.stderr.strip().splitlines()[-1]
    print(f"check of {len(lines)} answers: median {statistics.median(times):.3f} s, "
          f"best {min(times):.3f} s over {len(times)} runs (target < 0.1 s); {note}")


if __name__ == "__main__":
    main()
