from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKSHEETS = ROOT / "worksheets"


@pytest.fixture
def write(tmp_path):
    """Write a definition file and return its path."""
    def _write(text: str, name: str = "def.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return _write
