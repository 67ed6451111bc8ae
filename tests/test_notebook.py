"""notebooks/backprop-by-hand.ipynb runs top to bottom in a real kernel, and the repository
keeps it without outputs."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("torch")

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "backprop-by-hand.ipynb"


def test_the_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_the_notebook_runs_and_shows_its_objects():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in shown if o.output_type == "error"]
    html = [o.data["text/html"] for o in shown if "text/html" in o.get("data", {})]
    assert len(html) == 5  # the result, the derivation, the comparison, the proof, the sheet
    assert "0.298371109" in html[0] and "<math" in html[1]
    assert "PyTorch autograd" in html[2] and "srcdoc=" in html[4]
