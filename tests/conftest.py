"""Shared fixtures: the bundled data and scenarios, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

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
