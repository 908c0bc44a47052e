"""Building blocks of the event engine: cadence estimate and segment reductions."""

from __future__ import annotations

import numpy as np
from helioport.events.resolve import CADENCE_PAIRS, cadence_ns
from helioport.events.windows import segment_reduce
from hypothesis import given
from hypothesis import strategies as st


def test_cadence_of_a_long_series_with_gaps_and_jitter_is_its_step():
    n = 4 * CADENCE_PAIRS
    t = np.arange(n, dtype=np.int64) * 60_000_000_000  # 1 min
    t[n // 3 :] += 3_600_000_000_000  # a one-hour gap
    t[::7] += 1_000  # 1 us jitter on some samples, removed by the rounding above 1 ms
    assert cadence_ns(t) == 60_000_000_000
    assert cadence_ns(t[:1000]) == 60_000_000_000  # the short path agrees
    fast = np.arange(n, dtype=np.int64) * 62_500_000  # 16 Hz FGM survey
    assert cadence_ns(fast) == 62_500_000
    burst = (
        np.arange(n, dtype=np.int64) * 7_812_500
    )  # 128 Hz: 7.8125 ms, rounded to the microsecond
    assert cadence_ns(burst) == round(7_812_500, -3)
    assert cadence_ns(np.array([5], np.int64)) == 0


def test_segment_reduce_computes_only_what_is_asked():
    v = np.array([1.0, np.nan, 3.0, -2.0, np.nan, 8.0])
    starts = np.array([0, 2, 4])
    both = segment_reduce(v, starts)
    np.testing.assert_array_equal(both["min"], [1.0, -2.0, 8.0])
    np.testing.assert_array_equal(both["max"], [1.0, 3.0, 8.0])
    np.testing.assert_array_equal(both["sum"], [1.0, 1.0, 8.0])
    np.testing.assert_array_equal(both["count"], [1, 2, 1])
    mm = segment_reduce(v, starts, ("min", "max"))
    assert set(mm) == {"min", "max"}
    np.testing.assert_array_equal(mm["max"], both["max"])
    sc = segment_reduce(v, starts, ("sum", "count"))
    assert set(sc) == {"sum", "count"}
    assert set(segment_reduce(v[:0], starts, ("min",))) == {"min"}


def test_durations_bare_numbers_are_seconds_and_bad_ones_are_refused():
    import pytest
    from helioport.errors import InvalidRequestError
    from helioport.times import duration_ns

    assert duration_ns("10") == duration_ns(10) == duration_ns("10s") == 10 * 10**9
    assert duration_ns("2.5") == 2_500_000_000 and duration_ns("5min") == 300 * 10**9
    for bad in ("ten", "inf", "-3", "nan"):
        with pytest.raises(InvalidRequestError, match="duration"):
            duration_ns(bad, "window")


@given(st.integers(min_value=-(2**62), max_value=2**62))
def test_ns_to_datetime_and_back_is_exact_to_the_microsecond(ns):
    import datetime as dt

    from helioport.times import from_ns, to_ns

    t = from_ns(ns)
    assert t.tzinfo is dt.timezone.utc
    assert to_ns(t) == ns // 1000 * 1000  # floored to the microsecond, as pandas does
    assert to_ns(t.replace(tzinfo=None)) == to_ns(t.isoformat()) == to_ns(np.datetime64(ns, "ns"))


@given(st.integers(min_value=0, max_value=10**17))
def test_durations_in_every_spelling_agree(ns):
    import datetime as dt

    import pandas as pd
    from helioport.times import duration_ns, parse_duration

    td = pd.Timedelta(ns, "ns")
    assert duration_ns(td) == duration_ns(np.timedelta64(ns, "ns")) == duration_ns(str(td)) == ns
    assert parse_duration(td) == dt.timedelta(microseconds=ns // 1000)
    assert duration_ns(parse_duration(td)) == ns // 1000 * 1000


def test_sparse_window_marking_equals_a_direct_check():
    from helioport.events.windows import window_hits, windows_holding

    rng = np.random.default_rng(0)
    for _ in range(500):
        n, width, step = (
            int(rng.integers(1, 200)),
            int(rng.integers(1, 20)),
            int(rng.integers(1, 10)),
        )
        truth = rng.random(n) < rng.random() * 0.3
        starts = int(rng.integers(-width, 5)) + np.arange(int(rng.integers(0, 60))) * step
        direct = np.array(
            [truth[max(s, 0) : max(min(s + width, n), 0)].any() for s in starts], bool
        )
        np.testing.assert_array_equal(windows_holding(np.flatnonzero(truth), starts, width), direct)
        np.testing.assert_array_equal(
            window_hits(truth, np.ones(n, bool), starts, width, "any"), direct
        )
    irregular = np.array([0, 3, 4, 10])  # not evenly spaced: the binary-search path
    np.testing.assert_array_equal(
        windows_holding(np.array([4]), irregular, 2), [False, True, True, False]
    )


def test_a_callable_writing_into_its_input_never_touches_the_data():
    import pandas as pd
    import xarray as xr
    from helioport.events import find_events

    t = pd.date_range("2020-01-01", periods=600, freq="1min").values
    dens = np.full(600, 5.0)
    dens[100:110] = 50.0
    ds = xr.Dataset({"i_dens": (("time",), dens)}, coords={"time": t})

    def rude(i_dens):
        i_dens[i_dens > 40] = -1.0  # a criterion that edits its argument
        return i_dens < 0

    cat = find_events(ds, rude, "5min", "5min", progress=False)
    assert [(e.start, e.stop) for e in cat] == [
        (pd.Timestamp(t[100], tz="UTC"), pd.Timestamp(t[109], tz="UTC"))
    ]
    assert ds["i_dens"].values[100] == 50.0 and dens[105] == 50.0  # the Dataset is unchanged
    again = find_events(ds, "i_dens > 40", "5min", "5min", progress=False)
    assert [(e.start, e.stop) for e in again] == [(e.start, e.stop) for e in cat]
