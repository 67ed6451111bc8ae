"""The command line, a door: `symbackprop COMMAND` (`commands`) and the `check` command's reading of
keys and answers (`check`). `python -m symbackprop.cli` runs it too."""

from .commands import main

__all__ = ["main"]
