"""Seconds to mark a class of 300 students (30 versions, each answered ten times with one
mistake in three rows) with `symbackprop mark`, as a fresh process, files written.

Target (issue 9): under 2 s.

    python benchmarks/bench_mark.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS, PER_VERSION = 30, 10


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        keys = Path(tmp) / "keys"
        subprocess.run([sys.executable, "-m", "symbackprop.cli", "build",
                        str(ROOT / "worksheets" / "class-set-2-2-2.yaml"), "--format", "tex",
                        "--out", str(keys)], check=True, capture_output=True)
        rows = []
        for v in range(1, VERSIONS + 1):
            key = json.loads((keys / f"class-set-2-2-2-v{v:02d}-key.json").read_text())
            labels = [a["label"] for a in key["answers"]]
            for i in range(PER_VERSION):
                values = [a["value"] * (1.5 if i % 3 == 0 and n == 5 else 1.0)
                          for n, a in enumerate(key["answers"])]
                rows.append(f"student {v}-{i},{v}," + ",".join(map(str, values)))
        (answers := Path(tmp) / "class.csv").write_text(
            "name,version," + ",".join(labels) + "\n" + "\n".join(rows) + "\n")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "symbackprop.cli", "mark", str(keys),
                        str(answers), "--out", str(Path(tmp) / "marks")], check=True,
                       capture_output=True)
        seconds = time.perf_counter() - start
    print(f"mark: {len(rows)} students, {VERSIONS} versions: {seconds:.2f} s whole process "
          "(target < 2 s)")


if __name__ == "__main__":
    main()
