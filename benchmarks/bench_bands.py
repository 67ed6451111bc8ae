"""CPU time of the marking scheme's bands with and without the search of rounding choices
(marking/rounding.py: where the first-order bound of an answer's reach reaches another
answer, each result's keeping or rounding is searched), and how many bands the search
narrows: the bundled class sets and random sheets up to 4-4-4.

    python benchmarks/bench_bands.py [VERSIONS] [SEARCHED]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from symbackprop.definitions.definition import parse
from symbackprop.files import classset
from symbackprop.marking import rounding, scheme_writer
from symbackprop.marking.key import Key

ROOT = Path(__file__).resolve().parent.parent
SHEETS = ["class-set-2-2-2", "german-class-set-3-3-2", "spanish-class-set-2-3-1"]
RANDOM = """title: Random {sizes}
network: {{layers: {sizes}, activation: sigmoid, loss: half_sse, bias: per_neuron}}
learning_rate: 0.5
versions: 30
"""


def keys(defn, versions: int) -> list[dict]:
    """The key.json objects of `versions` versions, their schemes left out."""
    return [{k: v for k, v in key.items() if k != "scheme"}
            for key in (json.loads(json.dumps(classset.key(defn, n, 2026)))
                        for n in range(1, versions + 1))]


def timed(written: list[dict], searched: int) -> tuple[float, list]:
    rounding.SEARCHED = searched
    start = time.process_time()
    bands = [[b["tolerance"] for b in scheme_writer.scheme_of(Key.from_json(k))["blanks"]]
             for k in written]
    return time.process_time() - start, bands


def main() -> None:
    versions = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    budget = int(sys.argv[2]) if len(sys.argv) > 2 else rounding.SEARCHED
    cases = [(name, (ROOT / "worksheets" / f"{name}.yaml").read_text(encoding="utf-8"))
             for name in SHEETS]
    cases += [(f"random {s}", RANDOM.format(sizes=s)) for s in ("[3, 3, 3]", "[4, 4, 4]")]
    print(f"{'sheet':<26} {'bands':>6} {'narrowed':>9} {'first order':>12} {'searched':>9}")
    for name, text in cases:
        written = keys(parse(text, name), versions)
        plain, wide = timed(written, -1)
        searched, narrow = timed(written, budget)
        count = sum(len(v) for v in wide)
        changed = sum((a["lo"], a["hi"]) != (b["lo"], b["hi"])
                      for v, w in zip(wide, narrow) for a, b in zip(v, w))
        print(f"{name:<26} {count:>6} {changed:>9} {plain:>10.2f} s {searched:>7.2f} s")


if __name__ == "__main__":
    main()
