"""The rules layer: how one thing is computed.  One module per rule family, each a set of pure functions over
arrays and a registry from rule name to function, mirroring the parameter models in ``simkit.schema``:
``measures``, ``targets``, ``scoring``, ``adjustments`` (the one home of the veto), ``ranking``, ``grading``
and ``consequences``.  ``contract`` checks every registered rule of every family.
"""
