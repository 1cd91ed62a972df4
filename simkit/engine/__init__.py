"""The engine layer: the pipeline over arrays with draw and year axes.

``compile`` (scenario + data → ``Plan`` and ``Inputs``), ``tree`` and ``aggregate`` (the indicator tree),
``stages`` (leaf → total → rank and grade → money → look back), ``messages`` (problems for people),
``result`` (the one labelled ``Result``) and ``evaluate`` (``run``, ``evaluate``, ``evaluate_history``).
"""
