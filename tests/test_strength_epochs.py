"""Behaviours of helioport.epochs that mutation testing found unpinned.

Units other than ns, NaT, sub-millisecond scaling, the exact edges of every
range guard, and the leap-second table the conversions are built on.
"""

from __future__ import annotations

import cdflib
import numpy as np
import pytest
from cdflib.epochs import CDFepoch
from helioport import epochs as E

I64_MAX = 2**63 - 1
S1970 = 62_167_219_200  # seconds from 0000-01-01 to 1970-01-01
MS1970 = S1970 * 1000


def ns(text: str, unit: str = "ns") -> np.ndarray:
    return np.array([text], dtype=f"M8[{unit}]")


# -- the leap-second table ------------------------------------------------------------
def test_leap_table_rows_match_cdflib() -> None:
    dates, offsets, mjd0, drift, _, nera1 = E._leap_table()
    lts = np.array(CDFepoch.LTS, dtype=float)
    assert nera1 == int(CDFepoch.NERA1) == 14
    assert len(dates) == len(lts)
    expected = [
        np.datetime64(f"{int(y):04d}-{int(m):02d}-{int(d):02d}", "ns") for y, m, d in lts[:, :3]
    ]
    np.testing.assert_array_equal(dates.view("M8[ns]"), expected)
    np.testing.assert_array_equal(offsets, lts[:, 3])
    np.testing.assert_array_equal(mjd0, lts[:, 4])
    np.testing.assert_array_equal(drift, lts[:, 5])
    assert offsets[nera1] == 10.0 and offsets[-1] == 37.0


def test_leap_table_starts_are_the_tt2000_of_each_table_date() -> None:
    dates, _, _, _, starts, nera1 = E._leap_table()
    assert starts.dtype == np.int64
    for date, start in zip(dates[nera1:].view("M8[ns]").astype("M8[D]"), starts):
        y, m, d = (int(x) for x in str(date).split("-"))
        assert int(start) == int(cdflib.cdfepoch.compute_tt2000([y, m, d, 0, 0, 0, 0, 0, 0]))
    assert int(starts[0]) == -883655957816000000  # 1972-01-01T00:00:00
    assert int(starts[-1]) == 536500869184000000  # 2017-01-01T00:00:00


def test_leap_ns_for_utc() -> None:
    t = np.array(
        ["1972-01-01", "1972-06-30T23:59:59", "1972-07-01", "2016-12-31T23:59:59", "2017-01-01"],
        "M8[ns]",
    ).view(np.int64)
    np.testing.assert_array_equal(
        E._leap_ns_for_utc(t), np.array([10, 10, 11, 36, 37]) * 1_000_000_000
    )
    # one era only: the single-offset path
    np.testing.assert_array_equal(E._leap_ns_for_utc(t[-1:].repeat(3)), [37 * 10**9] * 3)
    np.testing.assert_array_equal(E._leap_ns_for_utc(t[3:4]), [36 * 10**9])
    # before the table: no offset; the drift era: the table's formula, truncated to the ns
    old = np.array(["1950-01-01", "1961-01-01", "1965-03-01T12:00"], "M8[ns]").view(np.int64)
    got = E._leap_ns_for_utc(old)
    mjd = np.array([37300.0, 38820.0]) + 0.5  # the CDF library takes the day's noon
    expected = [1.4228180 + (mjd[0] - 37300) * 0.001296, 3.6401300 + (mjd[1] - 38761) * 0.001296]
    assert got[0] == 0
    assert got[1] == int(np.trunc(expected[0] * 1e9))
    assert got[2] == int(np.trunc(expected[1] * 1e9))
    assert E._leap_ns_for_utc(np.zeros(0, np.int64)).shape == (0,)


# -- TT2000 -----------------------------------------------------------------------------
@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_datetime64_to_tt2000_any_unit(unit: str) -> None:
    got = E.datetime64_to_tt2000(ns("2015-10-16T13:05:24", unit))
    assert got.tolist() == [498272792184000000]


def test_datetime64_to_tt2000_accepts_strings_keeps_shape() -> None:
    got = E.datetime64_to_tt2000([["2000-01-01T11:58:55.816", "NaT"], ["2017-01-01", "1972-01-01"]])
    assert got.shape == (2, 2)
    assert got.tolist() == [[0, -(2**63)], [536500869184000000, -883655957816000000]]


def test_datetime64_to_tt2000_edge_of_its_range() -> None:
    first = -(2**63) + 946_728_000 * 10**9 + 100 * 10**9  # the first time TT2000 is given for
    got = E.datetime64_to_tt2000(np.array([first - 1, first, first + 10**9]).view("M8[ns]"))
    dt = 32_184_000_000
    assert got.tolist() == [-(2**63), -(2**63) + 100 * 10**9 + dt, -(2**63) + 101 * 10**9 + dt]


def test_tt2000_to_datetime64_exact_values() -> None:
    # the leap second 2016-12-31T23:59:60 becomes the next day's 00:00:00
    t = [498272792184000000, 536500867184000000, 536500868184000000, 0]
    got = E.tt2000_to_datetime64(np.array(t))
    expected = [
        "2015-10-16T13:05:24",
        "2016-12-31T23:59:59",
        "2017-01-01T00:00:00",
        "2000-01-01T11:58:55.816",
    ]
    np.testing.assert_array_equal(got, np.array(expected, "M8[ns]"))


def test_tt2000_to_datetime64_input_types_and_shapes() -> None:
    # float and int32 input are converted; a list too; shapes are kept, empty ones included
    assert E.tt2000_to_datetime64(np.array([0.0]))[0] == np.datetime64("2000-01-01T11:58:55.816")
    assert E.tt2000_to_datetime64(np.array([0], np.int32))[0] == np.datetime64(
        "2000-01-01T11:58:55.816"
    )
    out = E.tt2000_to_datetime64([[0, 0], [0, 0]])
    assert out.shape == (2, 2) and out.dtype == np.dtype("M8[ns]")
    empty = E.tt2000_to_datetime64(np.zeros((0, 3), np.int64))
    assert empty.shape == (0, 3) and empty.dtype == np.dtype("M8[ns]")


@pytest.mark.parametrize(
    "values",
    [[2**63 - 1], [-(2**63)], [-(2**63) + 1], [2**63 - 1, 2**63 - 2], [-(2**63), 2**63 - 1]],
)
def test_tt2000_only_out_of_range_values_are_nat(values) -> None:
    assert np.isnat(E.tt2000_to_datetime64(np.array(values, np.int64))).all()


def test_tt2000_upper_edge() -> None:
    top = I64_MAX - 946_728_000 * 10**9  # the largest TT2000 that stays in datetime64[ns]
    got = E.tt2000_to_datetime64(np.array([top, top + 1], np.int64))
    assert got[0].astype(np.int64) == top + 946_728_000 * 10**9 - 32_184_000_000 - 37 * 10**9
    assert np.isnat(got[1])
    # alone, in the one-offset path
    assert not np.isnat(E.tt2000_to_datetime64(np.array([top]))[0])


def test_tt2000_fill_next_to_pre_1972_values() -> None:
    t = np.array([-(2**63), -1_000_000_000_000_000_000, 2**63 - 1])  # fill, 1968, too large
    out = E.tt2000_to_datetime64(t)
    assert np.isnat(out[0]) and np.isnat(out[2])
    expected = cdflib.cdfepoch.to_datetime(t[1:2])[0]
    assert out[1] == expected


# -- CDF_EPOCH --------------------------------------------------------------------------
def test_datetime64_to_epoch_keeps_sub_milliseconds() -> None:
    # 0.375 ms and 0.0078125 ms are exact in float64 at this magnitude: nothing rounds away
    got = E.datetime64_to_epoch(
        np.array([375_000, 1_000_007_812, -625_000, 0], np.int64).view("M8[ns]")
    )
    assert got.tolist() == [MS1970 + 0.375, MS1970 + 1000.0078125, MS1970 - 0.625, float(MS1970)]


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_datetime64_to_epoch_any_unit(unit: str) -> None:
    assert E.datetime64_to_epoch(ns("2001-06-11T20:00:01", unit)).tolist() == [63159508801000.0]


def test_datetime64_to_epoch_shape_and_nat() -> None:
    got = E.datetime64_to_epoch(np.array([["NaT", "1970-01-01"]], "M8[s]"))
    assert got.shape == (1, 2) and got.tolist() == [[-1e31, float(MS1970)]]


def test_epoch_to_datetime64_sub_milliseconds() -> None:
    got = E.epoch_to_datetime64([MS1970 + 0.375, MS1970 - 0.625, MS1970 + 0.0078125, MS1970 + 2])
    assert got.astype(np.int64).tolist() == [375_000, -625_000, 8_000, 2_000_000]


def test_epoch_range_edges() -> None:
    lo, hi = E._EPOCH_MIN, E._EPOCH_MAX
    assert lo == 52943847163146.0 and hi == 71390591236853.0
    got = E.epoch_to_datetime64(np.array([lo - 1, lo, hi, hi + 1]))
    assert np.isnat(got[0]) and np.isnat(got[3])
    assert got[1] == np.datetime64("1677-09-21T00:12:43.146", "ns")
    assert got[2] == np.datetime64("2262-04-11T23:47:16.853", "ns")


def test_epoch_to_datetime64_keeps_shape() -> None:
    got = E.epoch_to_datetime64(np.full((2, 3), float(MS1970)))
    assert got.shape == (2, 3) and (got.astype(np.int64) == 0).all()


# -- CDF_EPOCH16 ------------------------------------------------------------------------
@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_datetime64_to_epoch16_any_unit(unit: str) -> None:
    got = E.datetime64_to_epoch16(ns("2001-06-11T20:00:01", unit))
    assert got.tolist() == [complex(63159508801, 0)]


def test_datetime64_to_epoch16_nat_picoseconds_and_shape() -> None:
    t = np.array([[-1, 1], [1_500_000_001, np.iinfo(np.int64).min]], np.int64).view("M8[ns]")
    got = E.datetime64_to_epoch16(t)
    assert got.shape == (2, 2) and got.dtype == np.complex128
    assert got.tolist() == [
        [complex(S1970 - 1, 999_999_999_000), complex(S1970, 1000)],
        [complex(S1970 + 1, 500_000_001_000), complex(-1e31, -1e31)],
    ]


def test_datetime64_to_epoch16_nat_of_another_unit() -> None:
    got = E.datetime64_to_epoch16(np.array(["NaT", "1970-01-01T00:00:01.5"], "M8[ms]"))
    assert got.tolist() == [complex(-1e31, -1e31), complex(S1970 + 1, 5e11)]


def test_epoch16_range_edges() -> None:
    lo = S1970 - I64_MAX // 10**9
    hi = S1970 + I64_MAX // 10**9
    pairs = np.array(
        [
            [lo - 1, 0],
            [lo, 0],
            [hi, 0],
            [hi, 854_775_807_000],  # the last ns datetime64 holds
            [hi, 854_775_808_000],  # one ns more overflows
            [hi + 1, 0],
            [S1970, -1],
            [S1970, 1e12],
            [S1970, 1e12 - 1],
            [S1970, 1999],
        ]
    )
    got = E.epoch16_to_datetime64(pairs).astype(np.int64)
    nat = np.iinfo(np.int64).min
    assert got.tolist() == [
        nat,
        -(I64_MAX // 10**9) * 10**9,
        (I64_MAX // 10**9) * 10**9,
        I64_MAX,
        nat,
        nat,
        nat,
        nat,
        999_999_999,
        1,
    ]


def test_epoch16_input_forms() -> None:
    one = complex(S1970 + 2, 3_000)
    as_complex = E.epoch16_to_datetime64(np.array([[one, one]]))
    as_pairs = E.epoch16_to_datetime64(np.array([[[S1970 + 2, 3_000]] * 2], np.int64))
    assert as_complex.shape == (1, 2) and as_pairs.shape == (1, 2)
    assert as_complex.astype(np.int64).tolist() == [[2_000_000_003, 2_000_000_003]]
    assert as_pairs.astype(np.int64).tolist() == [[2_000_000_003, 2_000_000_003]]
    with pytest.raises(TypeError, match=r"last axis of 2, got float64 \(\)"):
        E.epoch16_to_datetime64(np.float64(5.0))
    with pytest.raises(TypeError, match=r"got int64 \(4, 3\)"):
        E.epoch16_to_datetime64(np.zeros((4, 3), np.int64))


# -- dispatch ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (np.array([63159508801174.0]), 31),
        (np.array([63159508801174.0]), "CDF_EPOCH"),
        (np.array([63159508801 + 174000000000j]), 32),
        (np.array([63159508801 + 174000000000j]), "CDF_EPOCH16"),
        (np.array([45561665358000000]), np.int32(33)),
        (np.array([45561665358000000]), "CDF_TIME_TT2000"),
    ],
)
def test_dispatch(values, kind) -> None:
    got = E.cdf_time_to_datetime64(values, kind)
    assert got.dtype == np.dtype("M8[ns]")
    assert got.tolist() == [np.datetime64("2001-06-11T20:00:01.174", "ns").astype(np.int64)]


@pytest.mark.parametrize("kind", [45, "CDF_DOUBLE", "cdf_epoch"])
def test_dispatch_refuses_other_types(kind) -> None:
    with pytest.raises(TypeError) as err:
        E.cdf_time_to_datetime64(np.array([0.0]), kind)
    assert str(err.value) == (
        f"CDF data type {kind!r} is not a time type; expected one of "
        "31 (CDF_EPOCH), 32 (CDF_EPOCH16), 33 (CDF_TIME_TT2000)"
    )


def test_epoch_sub_millisecond_rounds_to_the_microsecond() -> None:
    # 127/128 ms is exact in float64 at this magnitude: 992.1875 us rounds to 992 us
    got = E.epoch_to_datetime64([MS1970 + 0.9921875, MS1970 + 0.5078125])
    assert got.astype(np.int64).tolist() == [992_000, 508_000]


def test_epoch16_single_pair_and_other_leading_shapes() -> None:
    one = E.epoch16_to_datetime64(np.array([S1970 + 2.0, 3_000.0]))
    assert one.shape == () and int(one.astype(np.int64)) == 2_000_000_003
    three = E.epoch16_to_datetime64(np.array([[[S1970, 0.0], [S1970 + 1, 0.0], [S1970 + 2, 0.0]]]))
    assert three.shape == (1, 3)
    assert three.astype(np.int64).tolist() == [[0, 1_000_000_000, 2_000_000_000]]


def test_epoch16_range_guards_are_on_whole_seconds() -> None:
    lo = S1970 - I64_MAX // 10**9
    hi = S1970 + I64_MAX // 10**9
    got = E.epoch16_to_datetime64(np.array([[lo - 0.5, 0.0], [hi + 0.5, 0.0]]))
    assert np.isnat(got).all()
