"""Shared fixtures: the bundled data and scenarios, loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")

# The property tests draw the same examples on every run (a CI failure reproduces on a laptop);
# HYPOTHESIS_PROFILE=explore draws fresh ones, to look for new counter-examples.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=400)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
PEERS = ROOT.parent / "shared" / "peers"


@pytest.fixture(scope="session")
def data():
    import simkit

    return simkit.load_data()


@pytest.fixture(scope="session")
def reform():
    import simkit

    return simkit.load_scenario(SCENARIOS / "yiyang_2018_reform.yaml")


@pytest.fixture(scope="session")
def legacy():
    import simkit

    return simkit.load_scenario(SCENARIOS / "legacy_totals.yaml")


@pytest.fixture(scope="session")
def coinr_dir() -> Path:
    path = PEERS / "coinr"
    if not path.exists():
        pytest.skip("../shared/peers/coinr is not beside this checkout")
    return path
