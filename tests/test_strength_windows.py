"""helioport.events.windows against direct, loop-per-window definitions.

The module's vectorised tricks (cumulative sums, +1/-1 marks, reduceat) are
checked sample by sample against the definitions in its docstring, including
the window-level path (:func:`mode_over_window`) the event engine uses for
criteria that judge a whole window at once.
"""

from __future__ import annotations

import numpy as np
import pytest
from helioport.events.windows import (
    merge_close,
    merge_runs,
    mode_over_window,
    runs_of,
    segment_reduce,
    window_hits,
    windows_holding,
)
from hypothesis import given, settings
from hypothesis import strategies as st

MODES = ["any", "all", 0.5, 0.25, 1.0, 0.0]


def direct_hit(count: int, nvalid: int, mode) -> bool:
    if mode == "any":
        return count > 0
    if mode == "all":
        return count > 0 and count == nvalid
    return count > 0 and count >= float(mode) * nvalid - 1e-9


def direct_window_hits(truth, valid, starts, width, mode) -> np.ndarray:
    n = truth.size
    out = []
    for s in starts:
        a, b = min(max(s, 0), n), min(max(s + width, 0), n)
        out.append(direct_hit(int(truth[a:b].sum()), int(valid[a:b].sum()), mode))
    return np.array(out, bool)


@st.composite
def grids(draw):
    n = draw(st.integers(1, 120))
    if draw(st.booleans()):  # sparse: a few true samples (the marking path of "any")
        at = draw(st.lists(st.integers(0, n - 1), max_size=max(n // 10, 0)))
        truth = np.zeros(n, bool)
        truth[at] = True
    else:
        truth = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool)
    valid = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool) | truth
    step = draw(st.integers(1, 12))
    width = draw(st.integers(1, 15))
    starts = np.arange(draw(st.integers(0, step - 1)), n, step)
    return truth, valid, starts, width


@settings(max_examples=120, deadline=None)
@given(grid=grids(), mode=st.sampled_from(MODES))
def test_window_hits_equal_the_definition(grid, mode) -> None:
    truth, valid, starts, width = grid
    got = window_hits(truth, valid, starts, width, mode)
    assert got.dtype == bool
    np.testing.assert_array_equal(got, direct_window_hits(truth, valid, starts, width, mode))


@pytest.mark.parametrize("mode", ["any", "all", 0.5])
def test_window_hits_on_a_fixed_case(mode) -> None:
    truth = np.array([0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], bool)
    valid = np.array([1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], bool)
    starts = np.array([0, 3, 6, 9, 12, 15])
    expected = {
        "any": [True, False, False, False, False, True],
        "all": [False, False, False, False, False, False],
        0.5: [True, False, False, False, False, True],  # 2 of 3 valid; 1 of 2 at the end
    }[mode]
    assert window_hits(truth, valid, starts, 3, mode).tolist() == expected


def test_fraction_counts_only_valid_samples_and_needs_one_hit() -> None:
    truth = np.array([1, 0, 0, 0, 0, 0, 0, 0], bool)
    valid = np.array([1, 0, 0, 0, 1, 1, 1, 1], bool)
    starts = np.array([0, 4])
    # window 0: 1 of 1 valid samples holds -> "all" and any fraction; window 1: none holds
    assert window_hits(truth, valid, starts, 4, "all").tolist() == [True, False]
    assert window_hits(truth, valid, starts, 4, 1.0).tolist() == [True, False]
    assert window_hits(truth, valid, starts, 4, 0.0).tolist() == [True, False]
    # 1 of 4 valid is exactly 0.25, not 0.26
    valid[:4] = True
    assert window_hits(truth, valid, starts, 4, 0.25).tolist() == [True, False]
    assert window_hits(truth, valid, starts, 4, 0.26).tolist() == [False, False]


def test_sparse_and_dense_any_agree_on_the_boundary() -> None:
    # n // 8 true samples is the first count that takes the cumulative-sum path
    n = 64
    for k in (n // 8 - 1, n // 8, n // 8 + 1):
        truth = np.zeros(n, bool)
        truth[np.linspace(0, n - 1, k).astype(int)] = True
        starts = np.arange(0, n, 5)
        expected = direct_window_hits(truth, truth, starts, 3, "any")
        np.testing.assert_array_equal(window_hits(truth, truth, starts, 3, "any"), expected)


# -- windows_holding ------------------------------------------------------------------
def direct_holding(at, starts, width) -> np.ndarray:
    return np.array([bool(((at >= s) & (at < s + width)).any()) for s in starts], bool)


@settings(max_examples=120, deadline=None)
@given(
    at=st.lists(st.integers(-5, 80), max_size=12).map(lambda v: np.array(sorted(set(v)), int)),
    s0=st.integers(0, 10),
    step=st.integers(1, 9),
    nw=st.integers(0, 12),
    width=st.integers(1, 20),
)
def test_windows_holding_regular_starts(at, s0, step, nw, width) -> None:
    starts = s0 + step * np.arange(nw)
    got = windows_holding(at, starts, width)
    assert got.shape == (nw,) and got.dtype == bool
    np.testing.assert_array_equal(got, direct_holding(at, starts, width))


@settings(max_examples=100, deadline=None)
@given(
    at=st.lists(st.integers(0, 80), max_size=12).map(lambda v: np.array(sorted(set(v)), int)),
    starts=st.lists(st.integers(0, 80), min_size=2, max_size=10, unique=True),
    width=st.integers(1, 20),
)
def test_windows_holding_irregular_starts(at, starts, width) -> None:
    starts = np.array(sorted(starts))
    np.testing.assert_array_equal(
        windows_holding(at, starts, width), direct_holding(at, starts, width)
    )


def test_windows_holding_irregular_starts_with_regular_ends() -> None:
    # first and last start 68 apart over 4 steps of 17, but the steps are 17, 1, 1, 49: the
    # marking of regular windows would put sample 37 in the third window, [21, 22)
    starts = np.array([3, 20, 21, 22, 71])
    assert windows_holding(np.array([37]), starts, 1).tolist() == [False] * 5
    assert windows_holding(np.array([21, 71]), starts, 1).tolist() == [0, 0, 1, 0, 1]


def test_windows_holding_special_cases() -> None:
    at = np.array([3, 9])
    assert windows_holding(at, np.array([], int), 3).tolist() == []
    assert windows_holding(at, np.array([8]), 2).tolist() == [True]  # one window
    assert windows_holding(at, np.array([4]), 5).tolist() == [False]  # [4, 9) misses 9
    # irregular: 0, 2, 7 (a regular step of 2 would put the last one at 4)
    assert windows_holding(at, np.array([0, 2, 7]), 3).tolist() == [False, True, True]
    # not increasing: a step <= 0 takes the general path
    assert windows_holding(at, np.array([8, 8, 8]), 2).tolist() == [True, True, True]
    assert windows_holding(at, np.array([9, 3, 0]), 1).tolist() == [True, True, False]


# -- mode_over_window (window-level criteria) -----------------------------------------
@settings(max_examples=100, deadline=None)
@given(
    shape=st.tuples(st.integers(0, 6), st.integers(1, 6)),
    data=st.data(),
    mode=st.sampled_from(MODES),
)
def test_mode_over_window_equals_the_definition(shape, data, mode) -> None:
    cells = shape[0] * shape[1]
    res = np.array(data.draw(st.lists(st.booleans(), min_size=cells, max_size=cells)), bool)
    inside = np.array(data.draw(st.lists(st.booleans(), min_size=cells, max_size=cells)), bool)
    res, inside = res.reshape(shape), inside.reshape(shape)
    expected = [direct_hit(int((r & i).sum()), int(i.sum()), mode) for r, i in zip(res, inside)]
    got = mode_over_window(res, inside, mode)
    assert got.dtype == bool
    assert got.tolist() == expected


def test_mode_over_window_fixed_case() -> None:
    res = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0], [1, 0, 1, 1]], bool)
    inside = np.array([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [0, 1, 1, 1]], bool)
    assert mode_over_window(res, inside, "any").tolist() == [True, True, False, True]
    assert mode_over_window(res, inside, "all").tolist() == [False, True, False, False]
    assert mode_over_window(res, inside, 0.5).tolist() == [True, True, False, True]
    assert mode_over_window(res, inside, 0.75).tolist() == [False, True, False, False]
    # samples outside the window do not count, even when the criterion holds there
    assert mode_over_window(res, ~inside, "any").tolist() == [False, False, False, True]


# -- runs, merging and segments -------------------------------------------------------
@pytest.mark.parametrize(
    ("mask", "first", "last"),
    [
        ([], [], []),
        ([0, 0], [], []),
        ([1], [0], [0]),
        ([1, 1, 1], [0], [2]),
        ([0, 1, 1, 0, 1], [1, 4], [2, 4]),
    ],
)
def test_runs_of(mask, first, last) -> None:
    a, b = runs_of(np.array(mask, bool))
    assert a.tolist() == first and b.tolist() == last


def test_runs_of_accepts_integers() -> None:
    a, b = runs_of(np.array([0, 2, 5, 0, 7]))
    assert (a.tolist(), b.tolist()) == ([1, 4], [2, 4])


def test_merge_runs_joins_adjacent_and_overlapping_only() -> None:
    runs = np.array(
        [
            [10, 12, 100, 125],
            [0, 8, 1, 85],  # reaches window 8: [2, 3] lies inside it
            [2, 3, 20, 30],
            [9, 9, 95, 96],  # window 9 follows 8: joins; window 10 follows 9: joins
            [14, 15, 140, 151],  # window 13 missing: a new run
        ]
    )
    assert merge_runs(runs).tolist() == [[0, 12, 1, 125], [14, 15, 140, 151]]


def test_merge_runs_uses_the_reach_of_all_earlier_rows() -> None:
    runs = np.array([[0, 10, 0, 99], [2, 3, 20, 30], [11, 11, 110, 111], [13, 14, 130, 140]])
    # [2, 3] does not reach 10, but [0, 10] does: [11, 11] joins; [13, 14] does not
    assert merge_runs(runs).tolist() == [[0, 11, 0, 111], [13, 14, 130, 140]]


def test_merge_runs_empty() -> None:
    out = merge_runs(np.zeros((0, 4), np.int64))
    assert out.shape == (0, 4)
    assert merge_runs(np.zeros(0, np.int64)).shape == (0, 4)


@pytest.mark.parametrize(
    ("gap", "first", "last"),
    [
        (0, [0, 10, 12], [5, 11, 20]),  # gaps 5 and 1 are not < 0
        (1, [0, 10, 12], [5, 11, 20]),  # a gap must be < 1
        (2, [0, 10], [5, 20]),
        (5, [0, 10], [5, 20]),  # 5 is not < 5
        (6, [0], [20]),
    ],
)
def test_merge_close_gap_is_strict(gap, first, last) -> None:
    # gaps: [0, 5] -> [10, 11]: 5; [10, 11] -> [12, 20]: 1; [13, 14] lies inside [12, 20]
    a, b = merge_close(np.array([10, 0, 13, 12]), np.array([11, 5, 14, 20]), gap)
    assert (a.tolist(), b.tolist()) == (first, last)


def test_merge_close_touching_events_merge_at_zero_gap() -> None:
    a, b = merge_close(np.array([0, 5, 10]), np.array([5, 9, 12]), 0)
    assert (a.tolist(), b.tolist()) == ([0, 10], [9, 12])


def test_merge_close_keeps_the_largest_last_of_a_group() -> None:
    a, b = merge_close(np.array([0, 1, 2]), np.array([30, 5, 6]), 0)
    assert (a.tolist(), b.tolist()) == ([0], [30])


def test_merge_close_empty() -> None:
    a, b = merge_close(np.array([], int), np.array([], int), 3)
    assert a.size == 0 and b.size == 0


def test_segment_reduce_values() -> None:
    values = np.array([1.0, np.nan, -2.0, 4.0, np.nan, np.nan, 7.0])
    out = segment_reduce(values, np.array([0, 3, 4]))
    np.testing.assert_array_equal(out["min"], [-2.0, 4.0, 7.0])
    np.testing.assert_array_equal(out["max"], [1.0, 4.0, 7.0])
    np.testing.assert_array_equal(out["sum"], [-1.0, 4.0, 7.0])
    assert out["count"].tolist() == [2, 1, 1]
    assert out["count"].dtype == np.int64
    # an all-NaN segment: min/max NaN, sum 0, count 0
    out = segment_reduce(values, np.array([0, 4, 6]))
    assert np.isnan(out["min"][1]) and np.isnan(out["max"][1])
    assert out["sum"].tolist() == [3.0, 0.0, 7.0] and out["count"].tolist() == [3, 0, 1]


@pytest.mark.parametrize("what", [("min",), ("max",), ("sum",), ("count",), ("sum", "count")])
def test_segment_reduce_only_what_is_asked(what) -> None:
    out = segment_reduce(np.array([1.0, 2.0, 3.0]), np.array([0, 2]), what)
    assert sorted(out) == sorted(what)
    expected = {"min": [1.0, 3.0], "max": [2.0, 3.0], "sum": [3.0, 3.0], "count": [2, 1]}
    for k in what:
        assert out[k].tolist() == expected[k]


@pytest.mark.parametrize(
    ("values", "starts"), [(np.zeros(0), np.array([0])), (np.ones(3), np.array([], int))]
)
def test_segment_reduce_empty(values, starts) -> None:
    out = segment_reduce(values, starts, ("min", "count"))
    assert sorted(out) == ["count", "min"]
    assert all(v.size == 0 for v in out.values())


def test_segment_reduce_single_segment() -> None:
    out = segment_reduce(np.array([3.0, np.nan, -1.0]), np.array([0]))
    assert {k: v.tolist() for k, v in out.items()} == {
        "min": [-1.0],
        "max": [3.0],
        "sum": [2.0],
        "count": [2],
    }


@pytest.mark.parametrize("mode", ["all", 0.5])
def test_windows_starting_before_the_grid_are_clipped(mode) -> None:
    truth = np.array([1, 1, 0, 0, 1, 1], bool)
    valid = np.ones(6, bool)
    # [-9, -7) is empty; [-3, -1) too; [-1, 1) holds sample 0; [3, 5) holds samples 3 and 4
    starts = np.array([-9, -3, -1, 3])
    expected = {"all": [False, False, True, False], 0.5: [False, False, True, True]}[mode]
    assert window_hits(truth, valid, starts, 2, mode).tolist() == expected
    assert expected == direct_window_hits(truth, valid, starts, 2, mode).tolist()
