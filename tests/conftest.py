import os
import tempfile
from pathlib import Path

import pytest

# Two test processes on two cores: BLAS and PyTorch threads of their own in each only contend
# (a digits lesson's training took 60 % more processor time with them); set before NumPy loads
for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

from symbackprop.formats import pdf  # noqa: E402  (after the threads are set)

ROOT = Path(__file__).resolve().parent.parent
WORKSHEETS = ROOT / "worksheets"

# Every TeX compile of the run, in this process or a command it starts, notes here each line
# set past the margin by more than 1 pt; the test that made it fails (the guard of issue 24).
_OVERFULL = Path(tempfile.mkstemp(prefix="symbackprop-overfull-", suffix=".log")[1])
os.environ[pdf.WATCH] = str(_OVERFULL)


@pytest.fixture(autouse=True)
def nothing_past_the_margin(request):
    before = _OVERFULL.stat().st_size
    yield
    with open(_OVERFULL, encoding="utf-8") as log:
        log.seek(before)
        lines = log.read().splitlines()
    if lines:
        pytest.fail(f"{len(lines)} line(s) past the margin: " + "; ".join(lines[:5]),
                    pytrace=False)


@pytest.fixture
def write(tmp_path):
    """Write a definition file and return its path."""
    def _write(text: str, name: str = "def.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return _write
