"""The shared contract runs over every registered rule of every family (``simkit.rules.contract``)."""

from __future__ import annotations

import pytest

from simkit.rules.contract import FAMILIES, check_registered, check_rule

CASES = [(family, name) for family, (names, _, _) in FAMILIES.items() for name in names]


@pytest.mark.parametrize(("family", "name"), CASES)
def test_every_rule_keeps_the_contract(family, name):
    check_rule(family, name, seed=3)


def test_models_and_functions_come_in_pairs():
    check_registered()


def test_a_rule_that_leaks_across_groups_is_caught(monkeypatch):
    import numpy as np

    from simkit.rules import scoring

    def leaky(p, m, q, d, groups):  # normalises over all units, whatever the group
        lo, hi = np.nanmin(m, axis=1, keepdims=True), np.nanmax(m, axis=1, keepdims=True)
        return (m - lo) / (hi - lo)

    monkeypatch.setitem(scoring.SCORING_RULES, "minmax", leaky)
    with pytest.raises(AssertionError, match="changing group 0 changes the outputs of other groups"):
        check_rule("scoring", "minmax")
