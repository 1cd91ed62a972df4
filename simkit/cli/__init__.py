"""The ``simkit`` command: a thin view over the library, one module per family of commands.

Bad input ends with a message naming the file, the row or field and the fix, and exit code 2.
"""

from __future__ import annotations

from . import analyses, dashboard, evaluate, files, office, risk, targets  # noqa: F401 - each module registers its commands
from .app import main

__all__ = ["main"]
