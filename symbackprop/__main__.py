"""python -m symbackprop: the same command as symbackprop."""

import sys

from .cli import main

sys.exit(main())
