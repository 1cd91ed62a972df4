"""Tests for simkit.measures: level, increment and growth, with hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from simkit.present.labels import MEASURE_LABELS
from simkit.rules.measures import MEASURES, growth, increment, level
from simkit.schema.measures import MEASURE_MODELS


def test_registry_names():
    assert set(MEASURES) == {"level", "increment", "growth"}
    assert set(MEASURE_LABELS) == set(MEASURES) == set(MEASURE_MODELS)
    assert MEASURES["level"] is level
    assert MEASURES["increment"] is increment
    assert MEASURES["growth"] is growth


# ------------------------------------------------------------------------------------------------ level
def test_level_is_the_value_as_float_copy():
    x = np.array([3, 5, -2])  # integers in
    out, bad = level(x)
    assert out.dtype == float
    assert_array_equal(out, [3.0, 5.0, -2.0])  # the value itself
    assert_array_equal(bad, [False, False, False])  # level never has a bad base
    out[0] = 99.0
    assert x[0] == 3  # a copy: the input is not modified


def test_level_keeps_nan_and_shape():
    x = np.array([[1.0, np.nan], [np.nan, 4.0]])
    out, bad = level(x)
    assert out.shape == bad.shape == (2, 2)
    assert_array_equal(np.isnan(out), [[False, True], [True, False]])
    assert not bad.any()


# -------------------------------------------------------------------------------------------- increment
def test_increment_first_year_missing():
    out, bad = increment(np.array([100.0, 110.0, 105.0, 105.0]))
    # [NaN (no previous year), 110-100 = 10, 105-110 = -5, 105-105 = 0]
    assert_allclose(out, [np.nan, 10.0, -5.0, 0.0])
    assert not bad.any()


def test_increment_from_zero_and_negative_is_defined():
    out, bad = increment(np.array([-5.0, 0.0, 3.0]))
    # [NaN, 0-(-5) = 5, 3-0 = 3]: an increment from 0 or below is fine
    assert_allclose(out, [np.nan, 5.0, 3.0])
    assert not bad.any()


def test_increment_missing_year_makes_two_missing_increments():
    out, _ = increment(np.array([10.0, np.nan, 14.0, 15.0]))
    # [NaN, NaN-10 = NaN, 14-NaN = NaN, 15-14 = 1]
    assert_allclose(out, [np.nan, np.nan, np.nan, 1.0])


def test_increment_along_last_axis_of_2d():
    x = np.array([[1.0, 2.0, 4.0], [10.0, 7.0, 7.0]])
    out, bad = increment(x)
    # row 0: [NaN, 2-1 = 1, 4-2 = 2]; row 1: [NaN, 7-10 = -3, 7-7 = 0]
    assert_allclose(out, [[np.nan, 1.0, 2.0], [np.nan, -3.0, 0.0]])
    assert bad.shape == (2, 3)


def test_increment_single_year():
    out, bad = increment(np.array([5.0]))
    assert out.shape == (1,)
    assert np.isnan(out[0])  # only a first year: no increment
    assert not bad.any()


# ----------------------------------------------------------------------------------------------- growth
def test_growth_first_year_missing_and_values():
    out, bad = growth(np.array([100.0, 110.0, 99.0, 99.0]))
    # [NaN, 110/100-1 = 0.1, 99/110-1 = -0.1, 99/99-1 = 0]
    assert_allclose(out, [np.nan, 0.1, -0.1, 0.0])
    assert_array_equal(bad, [False, False, False, False])  # the first year is missing, not "bad"


def test_growth_from_zero_base_is_nan_and_flagged():
    out, bad = growth(np.array([0.0, 5.0, 10.0]))
    # [NaN (first year), 5/0 → undefined: NaN, 10/5-1 = 1]
    assert_allclose(out, [np.nan, np.nan, 1.0])
    assert_array_equal(bad, [False, True, False])  # the year whose base (previous year) is 0


def test_growth_to_zero_is_minus_one_not_flagged():
    out, bad = growth(np.array([100.0, 110.0, 0.0, 5.0]))
    # [NaN, 0.1, 0/110-1 = -1, 5/0 → NaN (base 0)]
    assert_allclose(out, [np.nan, 0.1, -1.0, np.nan])
    assert_array_equal(bad, [False, False, False, True])


def test_growth_from_negative_base_is_nan_and_flagged():
    out, bad = growth(np.array([-10.0, -5.0, 5.0, 10.0]))
    # [NaN, base -10 ≤ 0 → NaN, base -5 ≤ 0 → NaN, 10/5-1 = 1]
    assert_allclose(out, [np.nan, np.nan, np.nan, 1.0])
    assert_array_equal(bad, [False, True, True, False])


def test_growth_missing_base_is_nan_but_not_flagged():
    out, bad = growth(np.array([np.nan, 10.0, np.nan, 12.0]))
    # [NaN, base NaN → NaN, value NaN → NaN, base NaN → NaN]; a missing base is not a "bad" base
    assert np.isnan(out).all()
    assert not bad.any()


def test_growth_2d_flags_per_row():
    x = np.array([[100.0, 120.0, 0.0], [50.0, 0.0, 25.0]])
    out, bad = growth(x)
    # row 0: [NaN, 120/100-1 = 0.2, 0/120-1 = -1]; row 1: [NaN, 0/50-1 = -1, base 0 → NaN]
    assert_allclose(out, [[np.nan, 0.2, -1.0], [np.nan, -1.0, np.nan]])
    assert_array_equal(bad, [[False, False, False], [False, False, True]])


def test_growth_3d_batch_shape():
    x = np.arange(1.0, 1.0 + 2 * 3 * 4).reshape(2, 3, 4)
    out, bad = growth(x)
    assert out.shape == bad.shape == (2, 3, 4)
    assert np.isnan(out[..., 0]).all()
    # x[0, 0] = [1, 2, 3, 4]: growth [NaN, 2/1-1 = 1, 3/2-1 = 0.5, 4/3-1 = 1/3]
    assert_allclose(out[0, 0], [np.nan, 1.0, 0.5, 1.0 / 3.0])


@pytest.mark.parametrize("fn", [level, increment, growth])
def test_input_never_modified(fn):
    x = np.array([1.0, 0.0, -2.0, np.nan, 4.0])
    before = x.copy()
    fn(x)
    assert_array_equal(x, before)
