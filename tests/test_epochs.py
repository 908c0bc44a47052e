"""CDF time types <-> datetime64[ns] (helioport.epochs), checked against cdflib and real files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cdflib
import numpy as np
import pytest
from helioport import epochs as E
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


def real(*parts: str) -> Path:
    path = REAL.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"real mission file {path} is not available (../shared/data/real absent)")
    return path


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all((a == b) | (np.isnat(a) & np.isnat(b))))


NST = [int(x) for x in E._NST]  # TT2000 at each post-1972 leap-second table date
TT_1972_07 = NST[1]  # cdflib handles the 1972-06-30 leap second with its pre-1972 code
TT_MAX = int(E.datetime64_to_tt2000(np.datetime64("2262-04-10", "ns")))
TT_MIN = int(E.datetime64_to_tt2000(np.datetime64("1708-01-01", "ns")))
FAST = settings(max_examples=150, deadline=None)


# ---------------------------------------------------------------- TT2000


def test_known_tt2000_values():
    t = np.array([0, 498272793048243059, 536500867184000000, 536500868184000000, 536500868684000000,
                  536500869184000000])  # fmt: skip
    expect = np.array(
        [
            "2000-01-01T11:58:55.816",
            "2015-10-16T13:05:24.864243059",
            "2016-12-31T23:59:59",
            "2017-01-01T00:00:00",  # 2016-12-31T23:59:60 has no datetime64: next day, as cdflib
            "2017-01-01T00:00:00.5",
            "2017-01-01T00:00:00",
        ],
        dtype="M8[ns]",
    )
    np.testing.assert_array_equal(E.tt2000_to_datetime64(t), expect)
    np.testing.assert_array_equal(cdflib.cdfepoch.to_datetime(t), expect)


@FAST
@given(st.lists(st.integers(TT_1972_07, TT_MAX), min_size=1, max_size=50))
def test_tt2000_agrees_with_cdflib(values):
    t = np.array(values, dtype=np.int64)
    assert same(E.tt2000_to_datetime64(t), cdflib.cdfepoch.to_datetime(t))


@FAST
@given(
    st.sampled_from(NST[2:]), st.lists(st.integers(-3 * 10**9, 3 * 10**9), min_size=1, max_size=20)
)
def test_tt2000_around_leap_seconds_agrees_with_cdflib(boundary, offsets):
    t = boundary + np.array(offsets, dtype=np.int64)
    assert same(E.tt2000_to_datetime64(t), cdflib.cdfepoch.to_datetime(t))


def test_first_leap_second_1972_06_30_like_all_others():
    # cdflib sends 1972-06-30T23:59:60.5 to 23:59:59.5 (its pre-1972 code path);
    # helioport treats it like every later leap second: 00:00:00.5 of the next day
    t = np.array([NST[1] - 1_500_000_000, NST[1] - 500_000_000, NST[1]])
    expect = np.array(
        ["1972-06-30T23:59:59.5", "1972-07-01T00:00:00.5", "1972-07-01"], dtype="M8[ns]"
    )
    np.testing.assert_array_equal(E.tt2000_to_datetime64(t), expect)
    assert cdflib.cdfepoch.to_datetime(t)[1] == np.datetime64("1972-06-30T23:59:59.5")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(TT_MIN, NST[0] - 1), min_size=1, max_size=10))
def test_tt2000_before_1972_agrees_with_cdflib(values):
    t = np.array(values, dtype=np.int64)
    assert same(E.tt2000_to_datetime64(t), cdflib.cdfepoch.to_datetime(t))


def test_tt2000_drift_era_day_edges_agree_with_cdflib():
    midnights = np.concatenate(
        [
            np.arange("1960-01-01", "1972-02-01", 97, dtype="M8[D]"),
            E._DATES[: E._NERA1 + 1].view("M8[ns]"),
        ]
    ).astype("M8[ns]")
    offsets = np.array([-(10**9), -(10**8), -5 * 10**7, -1, 0, 1, 5 * 10**7, 10**8, 10**9])
    t = (E.datetime64_to_tt2000(midnights)[:, None] + offsets).ravel()
    assert same(E.tt2000_to_datetime64(t), cdflib.cdfepoch.to_datetime(t))


def test_tt2000_fill_pad_and_out_of_range_are_nat():
    t = np.array([-(2**63), -(2**63) + 1, 2**63 - 1, TT_MAX + 10**17, 0])
    out = E.tt2000_to_datetime64(t)
    assert np.isnat(out[:4]).all() and not np.isnat(out[4])


def test_tt2000_keeps_shape_and_mixes_fill_with_leap_seconds():
    t = np.array([[NST[-1] - 10**9, -(2**63)], [NST[-1], NST[-2]]])
    out = E.tt2000_to_datetime64(t)
    assert out.shape == (2, 2)
    assert same(out.ravel(), cdflib.cdfepoch.to_datetime(t.ravel()))


@FAST
@given(hnp.arrays(np.int64, st.integers(1, 40), elements=st.integers(-(2**62), 2**62)))
def test_datetime64_tt2000_round_trip_after_1972(ns):
    times = np.clip(ns, int(E._DATES[E._NERA1]), 2**62).view("M8[ns]")
    np.testing.assert_array_equal(E.tt2000_to_datetime64(E.datetime64_to_tt2000(times)), times)


@settings(max_examples=40, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1958, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    st.integers(0, 999),
)
def test_datetime64_to_tt2000_agrees_with_cdflib(when, nanos):
    t = np.datetime64(when, "ns") + np.timedelta64(nanos, "ns")
    parts = [when.year, when.month, when.day, when.hour, when.minute, when.second,
             when.microsecond // 1000, when.microsecond % 1000, nanos]  # fmt: skip
    assert int(E.datetime64_to_tt2000(np.array([t]))[0]) == int(
        cdflib.cdfepoch.compute_tt2000(parts)
    )


def test_nat_and_pre_1707_become_tt2000_fill():
    out = E.datetime64_to_tt2000(
        np.array(["NaT", "1690-01-01", "2000-01-01T11:58:55.816"], dtype="M8[ns]")
    )
    np.testing.assert_array_equal(out, [-(2**63), -(2**63), 0])


# ---------------------------------------------------------------- CDF_EPOCH

EPOCH_LO, EPOCH_HI = E._EPOCH_MIN, E._EPOCH_MAX


@FAST
@given(st.lists(st.integers(int(EPOCH_LO), int(EPOCH_HI)), min_size=1, max_size=50))
def test_whole_millisecond_epoch_agrees_with_cdflib(values):
    x = np.array(values, dtype=np.float64)
    assert same(E.epoch_to_datetime64(x), cdflib.cdfepoch.to_datetime(x))


@FAST
@given(st.lists(st.floats(EPOCH_LO, EPOCH_HI), min_size=1, max_size=50))
def test_fractional_epoch_keeps_microseconds_cdflib_truncates(values):
    x = np.array(values, dtype=np.float64)
    diff = (E.epoch_to_datetime64(x) - cdflib.cdfepoch.to_datetime(x)).astype(np.int64)
    assert ((diff >= 0) & (diff <= 1_000_000)).all()
    assert (E.epoch_to_datetime64(x).astype(np.int64) % 1000 == 0).all()


def test_epoch_sub_millisecond_value():
    ms = float(E.datetime64_to_epoch(np.array(["2001-06-11T20:00:01.174"], "M8[ms]"))[0])
    out = E.epoch_to_datetime64(np.array([ms + 0.5]))
    assert out[0] == np.datetime64("2001-06-11T20:00:01.174500", "ns")


def test_epoch_fill_pad_nan_and_out_of_range_are_nat():
    x = np.array([-1e31, 0.0, np.nan, 315569519999000.0, 315569519999999.0, -5.0, 63159508801174.0])
    out = E.epoch_to_datetime64(x)
    assert np.isnat(out[:6]).all() and out[6] == np.datetime64("2001-06-11T20:00:01.174", "ns")


@FAST
@given(
    hnp.arrays(
        np.int64, st.integers(1, 40), elements=st.integers(-(2**63) + 10**12, 2**63 - 10**12)
    )
)
def test_epoch_round_trip(ns):
    ms = ns.view("M8[ns]").astype("M8[ms]").astype("M8[ns]")
    np.testing.assert_array_equal(E.epoch_to_datetime64(E.datetime64_to_epoch(ms)), ms)
    us = ns.view("M8[ns]").astype("M8[us]").astype("M8[ns]")
    err = (E.epoch_to_datetime64(E.datetime64_to_epoch(us)) - us).astype(np.int64)
    assert np.abs(err).max() <= 8000  # a float64 of ~6e13 ms resolves ~8 us


@settings(max_examples=40, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1678, 1, 1), max_value=dt.datetime(2261, 12, 31)))
def test_datetime64_to_epoch_agrees_with_cdflib(when):
    parts = [
        when.year,
        when.month,
        when.day,
        when.hour,
        when.minute,
        when.second,
        when.microsecond // 1000,
    ]
    t = np.datetime64(when, "ms")
    assert float(E.datetime64_to_epoch(np.array([t]))[0]) == float(
        cdflib.cdfepoch.compute_epoch(parts)
    )


def test_nat_becomes_epoch_fill():
    assert E.datetime64_to_epoch(np.array(["NaT"], "M8[ns]"))[0] == -1e31


# ---------------------------------------------------------------- CDF_EPOCH16


@FAST
@given(
    st.lists(
        st.tuples(
            st.integers(int(EPOCH_LO / 1000) + 1, int(EPOCH_HI / 1000) - 1),
            st.integers(0, 10**12 - 1),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_epoch16_agrees_with_cdflib(pairs):
    c = np.array([complex(s, p) for s, p in pairs])
    assert same(E.epoch16_to_datetime64(c), cdflib.cdfepoch.to_datetime(c))
    as_pairs = np.array(pairs, dtype=np.float64)
    assert same(E.epoch16_to_datetime64(as_pairs), E.epoch16_to_datetime64(c))


@FAST
@given(hnp.arrays(np.int64, st.integers(1, 40), elements=st.integers(-(2**63) + 10**10, 2**63 - 1)))
def test_epoch16_round_trip_is_exact(ns):
    t = ns.view("M8[ns]")
    np.testing.assert_array_equal(E.epoch16_to_datetime64(E.datetime64_to_epoch16(t)), t)


def test_epoch16_fill_and_pad_are_nat():
    out = E.epoch16_to_datetime64(
        np.array([complex(-1e31, -1e31), complex(63e9, -1e30), complex(np.nan, 0)])
    )
    assert np.isnat(out).all()


def test_epoch16_rejects_other_shapes():
    with pytest.raises(TypeError, match="EPOCH16"):
        E.epoch16_to_datetime64(np.zeros((3, 3)))


# ---------------------------------------------------------------- dispatch and real files


def test_dispatch_by_type_code_and_name():
    assert E.cdf_time_to_datetime64(np.array([0]), 33)[0] == np.datetime64(
        "2000-01-01T11:58:55.816", "ns"
    )
    assert E.cdf_time_to_datetime64(np.array([0]), "CDF_TIME_TT2000")[0] == np.datetime64(
        "2000-01-01T11:58:55.816", "ns"
    )
    ms = E.datetime64_to_epoch(np.array(["2010-01-01"], "M8[ns]"))
    assert E.cdf_time_to_datetime64(ms, "CDF_EPOCH")[0] == np.datetime64("2010-01-01", "ns")
    assert E.cdf_time_to_datetime64(np.array([complex(62167219200, 0)]), 32)[0] == np.datetime64(
        "1970-01-01", "ns"
    )
    with pytest.raises(TypeError, match="not a time type"):
        E.cdf_time_to_datetime64(np.array([1.0]), 21)


@pytest.mark.real
@pytest.mark.parametrize(
    ("parts", "var"),
    [
        (("mms", "mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf"), "Epoch"),
        (("mms", "mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf"), "Epoch_state"),
        (("mms", "mms1_fpi_fast_l2_des-moms_20151201000000_v3.3.0.cdf"), "Epoch"),
        (
            ("cluster", "C1_CP_FGM_SPIN__20010611_200000_20010611_210000_V070906.cdf"),
            "time_tags__C1_CP_FGM_SPIN",
        ),
        (("themis", "thg_l1_asf_gako_2011010617_v01.cdf"), "thg_asf_gako_epoch"),
    ],
)
def test_real_time_variables_agree_with_cdflib(parts, var):
    cdf = cdflib.CDF(real(*parts))
    raw = cdf.varget(var)
    ours = E.cdf_time_to_datetime64(raw, cdf.varinq(var).Data_Type)
    np.testing.assert_array_equal(ours, cdflib.cdfepoch.to_datetime(raw))
    assert not np.isnat(ours).any() and (np.diff(ours.astype(np.int64)) > 0).all()


@pytest.mark.real
def test_real_fgm_first_epoch_value():
    raw = cdflib.CDF(real("mms", "mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf")).varget("Epoch")
    assert int(raw[0]) == 498272793048243059
    assert E.tt2000_to_datetime64(raw[:1])[0] == np.datetime64("2015-10-16T13:05:24.864243059")
    assert (E.datetime64_to_tt2000(E.tt2000_to_datetime64(raw)) == raw).all()


def test_leap_table_is_cdflibs_own_read_without_importing_cdflib() -> None:
    """The table helioport reads from cdflib's CDFLeapSeconds.txt is the one cdflib builds."""
    from cdflib.epochs import CDFepoch

    assert E._leap_rows() == [list(r) for r in CDFepoch.LTS]
    assert E._NERA1_ROW == CDFepoch.NERA1
    assert len(E._NST) == len(CDFepoch.LTS) - CDFepoch.NERA1


def test_leap_table_falls_back_to_cdflib_when_its_file_is_not_found(monkeypatch) -> None:
    import importlib.util

    from cdflib.epochs import CDFepoch

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert E._leap_rows() == [list(r) for r in CDFepoch.LTS]


def test_leap_table_falls_back_to_cdflib_when_its_file_does_not_parse(
    monkeypatch, tmp_path: Path
) -> None:
    import importlib.machinery
    import importlib.util

    from cdflib.epochs import CDFepoch

    (tmp_path / "CDFLeapSeconds.txt").write_text("; header\n1960 1 1 1.4178180 37300.0\n")
    spec = importlib.machinery.ModuleSpec("cdflib", None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    assert E._leap_rows() == [list(r) for r in CDFepoch.LTS]


def test_leap_table_falls_back_when_its_eras_are_not_where_cdflib_puts_them(
    monkeypatch, tmp_path: Path
) -> None:
    """A file that parses but whose first whole-second row is not row 14 (cdflib's NERA1)."""
    import importlib.machinery
    import importlib.util

    from cdflib.epochs import CDFepoch

    rows = [f"{1972 + i} 1 1 {10.0 + i} 0.0 0.0" for i in range(20)]  # no drifting era
    (tmp_path / "CDFLeapSeconds.txt").write_text("\n".join(rows) + "\n")
    spec = importlib.machinery.ModuleSpec("cdflib", None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    assert E._leap_rows() == [list(r) for r in CDFepoch.LTS]
