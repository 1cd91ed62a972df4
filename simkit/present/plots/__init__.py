"""Plots for policymakers (matplotlib), with Chinese labels rendered from the bundled font.

Every function takes results or tables from the library and returns a matplotlib ``Figure``; none of them
computes a rule.
"""

from __future__ import annotations

from .core import *  # noqa: F403
from .core import __all__ as _core
from .fairness import *  # noqa: F403
from .fairness import __all__ as _fairness
from .uncertainty import *  # noqa: F403
from .uncertainty import __all__ as _uncertainty

__all__ = [*_core, *_fairness, *_uncertainty]
