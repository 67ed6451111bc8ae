"""What every lesson's sheet is made with: the question it ends on, and the check that a
number worked symbolically is the number computed numerically."""

from __future__ import annotations

from ..definitions.errors import VerificationError
from ..engine.verify import rel_err


def closing(heading: str, question: str, answer: list[str], space: str = "3cm") -> dict:
    """The question a lesson ends with, asking the student to conclude: its heading, the
    question, the key's answer in sentences (worded from the sheet's numbers), and the space
    the worksheet leaves for it."""
    return {"heading": heading, "question": question, "answer": answer, "space": space}


def agree(what: str, a: float, b: float) -> None:
    if rel_err(a, b) > 1e-9:
        raise VerificationError(f"{what}: {a!r} (symbolic) vs {b!r} (numeric)")
