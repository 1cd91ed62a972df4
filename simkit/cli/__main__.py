"""``python -m simkit.cli``."""

from . import main

main()
