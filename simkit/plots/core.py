"""Plots: core (being written)."""

__all__: list[str] = []
