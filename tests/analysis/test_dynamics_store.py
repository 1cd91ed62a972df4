"""Issue 15: a projection larger than its memory budget is kept in a temporary file, with the same numbers."""

from __future__ import annotations

import mmap
import os
import tempfile

import numpy as np
import pytest

import simkit
from simkit.analysis.dynamics.store import PathStore


def _mapped(arr: np.ndarray) -> bool:
    """True when the array's memory is a memory map (the file), not the process's own."""
    base = arr
    while isinstance(base, np.ndarray):
        base = base.base
    return isinstance(base.obj if isinstance(base, memoryview) else base, mmap.mmap)


@pytest.mark.parametrize("memory", [0, 1 << 30])
def test_the_store_gives_back_what_was_written_chunk_by_chunk(memory):
    """Chunks of 3, 1 and 2 rows of arrays of four dtypes, two of them with more axes: the same arrays back."""
    rng = np.random.default_rng(0)
    full = {"score": rng.normal(size=(6, 3, 5)), "rank": rng.integers(1, 9, (6, 3, 5)).astype(np.float32),
            "vetoed": rng.random((6, 3, 5)) < 0.3, ("gdp", "value"): rng.normal(size=(6, 3)),
            "step": rng.integers(-1, 3, (6, 3, 5)).astype(np.int8)}
    store = PathStore(6, memory)
    for a, b in ((0, 3), (3, 4), (4, 6)):
        store.write({k: v[a:b] for k, v in full.items()}, row=a)
    out = store.finish()
    assert store.spilled is (memory == 0)
    assert list(out) == list(full)
    for k, v in full.items():
        assert out[k].dtype == v.dtype and out[k].shape == v.shape
        assert np.array_equal(out[k], v), k
        assert _mapped(out[k]) is store.spilled
    out["score"][0, 0, 0] = 99.0  # writable (copy-on-write): a user may change a copy of the outcome
    assert out["score"][0, 0, 0] == 99.0


def test_the_file_has_no_name_so_nothing_is_left_behind(tmp_path):
    store = PathStore(4, 0, folder=str(tmp_path))
    store.write({"x": np.ones((4, 2))}, row=0)
    assert list(tmp_path.iterdir()) == []  # unlinked as soon as it is made
    out = store.finish()
    assert out["x"].sum() == 8 and list(tmp_path.iterdir()) == []


def test_a_projection_over_its_budget_has_the_same_numbers_in_a_file(data, reform):
    """With a budget smaller than the outcome, every variable and tracked array is file-backed and equal, to the
    last bit, to the projection kept in memory; statistics read it the same way."""
    kw = {"years": 3, "paths": 120, "seed": 3, "units": ["区县市"]}
    kept = simkit.project(reform, data, **kw)
    before = set(os.listdir(tempfile.gettempdir()))
    spilled = simkit.project(reform, data, memory=64 << 10, **kw)
    assert set(os.listdir(tempfile.gettempdir())) <= before
    for name, arr in kept.result.variables.items():
        other = spilled.result[name]
        assert np.array_equal(arr, other, equal_nan=True) and arr.dtype == other.dtype, name
        assert _mapped(other) is (name != "bonus_base"), name  # every per-path array; the base is per unit
        assert not _mapped(arr), name
    for name in ("value", "share"):
        assert np.array_equal(getattr(kept.tracked["gdp"], name), getattr(spilled.tracked["gdp"], name),
                              equal_nan=True)
    for m, target in kept.tracked["gdp"].target.items():
        assert np.array_equal(target, spilled.tracked["gdp"].target[m], equal_nan=True), m
        assert _mapped(spilled.tracked["gdp"].target[m]) and not _mapped(target)
    assert kept.rank_summary().equals(spilled.rank_summary())
    assert kept.bottom_persistence().equals(spilled.bottom_persistence())
    assert kept.payout_summary().equals(spilled.payout_summary())
