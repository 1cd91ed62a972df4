"""Plots: fairness (being written)."""

__all__: list[str] = []
