"""``heap_arrays``: large arrays from the heap and no huge-page advice while simkit evaluates, undone after,
and no number that depends on it."""

from __future__ import annotations

import importlib
import threading

import numpy as np
import pandas as pd
import pytest

import simkit
from simkit.engine import memory


@pytest.fixture
def calls(monkeypatch):
    """The mallopt calls and the huge-page switch's settings, recorded instead of made."""
    made: list[tuple] = []
    state = {"huge": True}

    def switch(on: bool) -> bool:
        made.append(("huge", on))
        old, state["huge"] = state["huge"], on
        return old

    monkeypatch.setattr(memory, "_mallopt", lambda: lambda p, v: made.append(("mallopt", p, v)) or 1)
    monkeypatch.setattr(memory, "_hugepage_switch", lambda: switch)
    monkeypatch.delenv("SIMKIT_MALLOC", raising=False)
    monkeypatch.setattr(memory, "_MALLOC_TUNED", True)  # thresholds set already (see the test of the first block)
    return made


def test_the_first_block_sets_the_thresholds_first(calls, monkeypatch):
    """M_MMAP_MAX ends glibc's adaptive thresholds, so they are set explicitly first, once."""
    monkeypatch.setattr(memory, "_MALLOC_TUNED", False)
    with memory.heap_arrays():
        pass
    with memory.heap_arrays():
        pass
    assert calls[:3] == [("mallopt", memory.M_MMAP_THRESHOLD, 32 * 2**20),
                         ("mallopt", memory.M_TRIM_THRESHOLD, 64 * 2**20), ("mallopt", memory.M_MMAP_MAX, 0)]
    assert sum(c[1] == memory.M_MMAP_THRESHOLD for c in calls if c[0] == "mallopt") == 1


def test_set_inside_and_undone_after(calls):
    with memory.heap_arrays():
        assert memory.active()
        assert calls == [("mallopt", memory.M_MMAP_MAX, 0), ("huge", False)]
    assert not memory.active()
    assert calls[2:] == [("mallopt", memory.M_MMAP_MAX, 65536), ("huge", True)]


def test_nested_blocks_undo_once_at_the_end(calls):
    with memory.heap_arrays():
        with memory.heap_arrays():
            pass
        assert memory.active() and len(calls) == 2  # the inner block's end undoes nothing
    assert len(calls) == 4 and not memory.active()


def test_undone_after_an_error(calls):
    with pytest.raises(ZeroDivisionError), memory.heap_arrays():
        1 / 0  # noqa: B018
    assert not memory.active() and calls[-1] == ("huge", True)


def test_concurrent_blocks_share_one_setting(calls):
    inside, go = threading.Barrier(2), threading.Event()

    def work():
        with memory.heap_arrays():
            inside.wait()
            go.wait()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    while not memory.active():
        pass
    go.set()
    for t in threads:
        t.join()
    assert not memory.active()
    assert calls.count(("mallopt", memory.M_MMAP_MAX, 0)) == calls.count(("huge", False))
    assert calls[-2:] == [("mallopt", memory.M_MMAP_MAX, 65536), ("huge", True)]


def test_system_leaves_the_c_library_alone(calls, monkeypatch):
    monkeypatch.setenv("SIMKIT_MALLOC", "system")
    with memory.heap_arrays():
        assert not memory.active()
    assert calls == []


def test_the_entry_points_run_inside(monkeypatch):
    seen = []
    engine = importlib.import_module("simkit.engine.evaluate")
    real = engine._evaluate

    def spy(*a, **k):
        seen.append(memory.active())
        return real(*a, **k)

    monkeypatch.setattr(engine, "_evaluate", spy)
    r = simkit.evaluate("yiyang_2018_reform")
    simkit.compare("legacy_totals", "yiyang_2018_reform")
    assert seen and all(seen)
    assert simkit.evaluate.__doc__.startswith("Evaluate a scenario")  # the decorator keeps the docstring
    assert not memory.active() and len(r.units) > 0


def test_real_switch_restored_and_numbers_unchanged(monkeypatch):
    """With the real mallopt and numpy switch: the advice is off inside, back after, and the tables of a run
    with the C library left alone are identical."""
    switch = memory._hugepage_switch()
    if switch is not None:
        before = switch(True)
        with memory.heap_arrays():
            assert switch(False) is False  # off inside the block
        assert switch(before) is True  # back as it was
    tuned = simkit.evaluate("yiyang_2018_reform")
    monkeypatch.setenv("SIMKIT_MALLOC", "system")
    plain = simkit.evaluate("yiyang_2018_reform")
    pd.testing.assert_frame_equal(tuned.units, plain.units)
    pd.testing.assert_frame_equal(tuned.indicators, plain.indicators)
    assert float(np.ones((1200, 1200)).sum()) == 1200 * 1200
