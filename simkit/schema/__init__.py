"""The schema layer: what may be written.  Plain, validated, frozen data and no numpy work.

- ``tables``: the data tables (columns, types, keys, labels) that drive the reader, the validator, the Excel
  template and docs/data-format.md;
- one module per rule family with its parameter models (``measures``, ``targets``, ``scoring``,
  ``adjustments``, ``ranking``, ``grading``, ``consequences``), mirrored by ``simkit.rules`` where the
  computations live;
- ``scenario``: a complete rule set, composed of those models;
- ``levers``: named, validated edits of a scenario.
"""
