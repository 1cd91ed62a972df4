"""The analysis layer: questions asked of a Result (compare, fairness, persistence, explain, sensitivity,
dynamics, uncertainty) and the statistics they share (stats, outcomes)."""
