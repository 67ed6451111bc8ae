"""symbackprop: derive, verify, prove and print the mathematics of small neural networks.

The Python API (see symbackprop.api): `load`, `parse`, `Definition.from_dict`, `derive`,
`train`, `worksheet`, `proof`; with PyTorch installed, `from_torch` and `compare_torch`. Bad
definitions raise `DefinitionError` (file, key path and problem). Everything is imported when
first used, so that `symbackprop check` stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

_API = {"load", "parse", "derive", "train", "worksheet", "proof", "Result", "Gradient",
        "Training", "Sheet", "ProofView"}
_TORCH = {"from_torch", "compare_torch"}

__all__ = sorted(_API | _TORCH | {"Definition", "DefinitionError", "VerificationError"})


def __getattr__(name: str):
    if name in _API:
        from .api import functions as api

        return getattr(api, name)
    if name in _TORCH:
        from .api import torch_models  # dense models go on to torch_bridge

        return getattr(torch_models, name)
    if name == "Definition":
        from .definitions.definition import Definition

        return Definition
    if name in ("DefinitionError", "VerificationError"):
        from .definitions import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'symbackprop' has no attribute {name!r}")
