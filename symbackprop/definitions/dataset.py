"""A data set of labelled 8×8 digits, as the UCI optical digits file ships in worksheets/data/:
read by NumPy within bounds, pixels scaled to [0, 1], targets one-hot, and a seeded split into
training and test examples.

>>> d = read("worksheets/data/uci-digits.csv.gz")
>>> d.inputs.shape, d.targets.shape, int(d.labels[:10].sum()), float(d.inputs.max())
((1797, 64), (1797, 10), 45, 1.0)
>>> train, test = d.split(0.2, seed=2026)
>>> len(train.labels), len(test.labels)
(1438, 359)
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DefinitionError
from .yamlfile import BOM, Unreadable, lines_of, plain_number, quoted, read_bytes, read_text

MAX_BYTES = 2**20  # the compressed file (the digits are 54 KB)
MAX_TEXT = 16 * 2**20  # its text once decompressed (the digits are 470 KB): no gzip bomb
PIXELS, CLASSES, DARKEST = 64, 10, 16
# a test part of 5 % (the least test_fraction) must hold one example, and training the rest
MIN_EXAMPLES = 20


@dataclass(frozen=True)
class Examples:
    inputs: np.ndarray  # (n, 64) in [0, 1]
    labels: np.ndarray  # (n,) digits 0..9
    targets: np.ndarray  # (n, 10) one-hot
    source: str = "data"

    def split(self, test_fraction: float, seed: int) -> tuple[Examples, Examples]:
        """Training and test examples: a seeded shuffle, then the last `test_fraction` held
        out (the same split for the same seed on every machine); a data set too small for
        both to hold an example is refused (its test accuracy would be 0/0)."""
        if len(self.labels) < MIN_EXAMPLES:
            raise DefinitionError(self.source, "", f"holds {len(self.labels)} examples; "
                                  f"training and testing on a split of it need at least "
                                  f"{MIN_EXAMPLES}")
        order = np.random.default_rng(seed).permutation(len(self.labels))
        cut = len(order) - int(round(test_fraction * len(order)))
        return self._take(order[:cut]), self._take(order[cut:])

    def _take(self, rows: np.ndarray) -> Examples:
        return Examples(self.inputs[rows], self.labels[rows], self.targets[rows], self.source)


def read(path: str | Path) -> Examples:
    """Each line `label,p1,...,p64` (pixels 0..16), `#` lines are comments; `.gz` or plain."""
    text = _text(Path(path))
    numbered = [(n, line.split("#", 1)[0].strip())  # a comment may follow a row
                for n, line in enumerate(lines_of(text), start=1)]
    numbered = [(n, line) for n, line in numbered if line]
    if not numbered:
        raise DefinitionError(str(path), "", "holds 0 examples (every line is empty or a # "
                              "comment)")
    table = np.array([_row(str(path), n, line) for n, line in numbered], dtype=float)
    labels, pixels = table[:, 0], table[:, 1:]
    for what, values, top in (("label", labels, CLASSES - 1), ("pixel", pixels, DARKEST)):
        bad = np.argwhere((values != np.round(values)) | (values < 0) | (values > top))
        if len(bad):
            raise DefinitionError(str(path), f"line {numbered[bad[0][0]][0]}",
                                  f"a {what} must be a whole number from 0 to {top}")
    labels = labels.astype(int)
    return Examples(pixels / DARKEST, labels, np.eye(CLASSES)[labels], str(path))


def _row(source: str, number: int, line: str) -> list[float]:
    """One line's numbers, or a refusal naming the file's own line (not NumPy's row)."""
    cells = line.split(",")
    if len(cells) != PIXELS + 1:
        raise DefinitionError(source, f"line {number}", f"must hold a label and {PIXELS} "
                              f"pixels ({PIXELS + 1} numbers), got {len(cells)}")
    try:
        if not line.isascii() or "_" in line:  # float() reads '1_0' as 10, a '٣' as 3
            raise ValueError(line)
        return [float(cell) for cell in cells]
    except ValueError:
        # spaces and tabs around a cell are a CSV's; a no-break space is the fault, shown
        bad = next(c for c in cells if plain_number(c) is None).strip(" \t")
        raise DefinitionError(source, f"line {number}", f"{quoted(bad)} is not a "
                              "number") from None


def _text(path: Path) -> str:
    try:
        if path.suffix != ".gz":
            return read_text(path, MAX_BYTES)
        raw = read_bytes(path, MAX_BYTES)
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as unpacked:
            data = unpacked.read(MAX_TEXT + 1)
    except Unreadable as exc:
        raise DefinitionError(str(path), "", f"cannot read the data ({exc})") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DefinitionError(str(path), "", f"not a gzip file ({exc})") from None
    if len(data) > MAX_TEXT:
        raise DefinitionError(str(path), "", f"unpacks to more than {MAX_TEXT // 2**20} MiB")
    try:
        return data.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError:
        raise DefinitionError(str(path), "", "does not unpack to UTF-8 text") from None

