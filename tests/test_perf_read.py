"""The per-file read path's shortcuts give what the general path gives, and its caches follow the file.

- the time selection of sorted TT2000 records sharing one UTC offset (no leap
  second inside) is one addition on the records in range; across a leap
  second, with fill records or unsorted times the general conversion runs:
  both must select and convert exactly as :func:`tt2000_to_datetime64` does;
- whether a time variable is sorted is remembered with the file's metadata
  (path, size, mtime): a file rewritten in place must not be read with the
  old answer;
- :func:`plain` remembers numeric attribute values: each caller gets its own
  lists, and values differing only in dtype or bytes are told apart;
- the time index is the one ``pd.DatetimeIndex(values, copy=False)`` makes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helioport import epochs
from helioport.cdf import read_variables, reading_session, to_dataarray
from helioport.cdfvariable import CdfVariable, plain
from helioport.epochs import TT2000_FILL, datetime64_to_tt2000, tt2000_offset, tt2000_to_datetime64
from helioport.testing.cdfwriter import VarSpec, write_cdf

#: TT2000 of 2016-12-31T23:59:60 (a leap second) and a second later, 2017-01-01T00:00:00
_LEAP = int(datetime64_to_tt2000(np.array(["2016-12-31T23:59:59"], "M8[ns]"))[0]) + 10**9
_SPLIT = int(datetime64_to_tt2000(np.array(["2017-01-01T00:00:00"], "M8[ns]"))[0])


@pytest.fixture(params=["pycdfpp", "cdflib"])
def reader(request, monkeypatch):
    monkeypatch.setenv("HELIOPORT_CDF_READER", request.param)
    return request.param


def _write(path: Path, raw: np.ndarray) -> Path:
    values = np.arange(raw.size, dtype=np.float32)
    return write_cdf(
        path,
        {
            "Epoch": VarSpec(raw.astype(np.int64), {"FILLVAL": TT2000_FILL}, cdf_type=33),
            "v": VarSpec(values, {"DEPEND_0": "Epoch", "FILLVAL": np.float32(-1e31)}),
        },
    )


def _expected(raw: np.ndarray, start: str | None, end: str | None) -> tuple[np.ndarray, np.ndarray]:
    """What the general path selects: every record's time converted, then masked to [start, end)."""
    times = tt2000_to_datetime64(raw)
    tv = times.view(np.int64)
    keep = np.ones(raw.size, bool)
    if start is not None or end is not None:  # a ranged read never keeps a fill (NaT) time
        keep &= tv > np.iinfo(np.int64).min
    if start is not None:
        keep &= tv >= np.datetime64(start, "ns").view(np.int64)
    if end is not None:
        keep &= tv < np.datetime64(end, "ns").view(np.int64)
    return times[keep], np.arange(raw.size, dtype=np.float32)[keep]


_STEP = 250_000_000  # 4 records a second
_PLAIN = _SPLIT - 40 * 10**9 + np.arange(120) * _STEP  # before the leap second: one offset
_ACROSS = _LEAP - 10 * 10**9 + np.arange(120) * _STEP  # through 23:59:60
_FILLED = np.concatenate([[int(TT2000_FILL)], _PLAIN[1:]])  # a fill record first
# the records of the middle moved to the end: sorted but for them (a search would miss them)
_UNSORTED = np.concatenate([_PLAIN[:40], _PLAIN[80:], _PLAIN[40:80]])

_RANGES = [
    (None, None),
    ("2016-12-31T23:59:30", "2016-12-31T23:59:50"),
    ("2016-12-31T23:59:58", "2017-01-01T00:00:03"),
    ("2017-01-01T00:00:00", "2017-01-01T00:00:00.5"),
    ("2016-12-31T23:59:59.9", None),
    (None, "2016-12-31T23:59:20"),
    ("2018-01-01", "2018-01-02"),
]


@pytest.mark.parametrize(
    "raw", [_PLAIN, _ACROSS, _FILLED, _UNSORTED], ids=["plain", "leap", "fill", "unsorted"]
)
@pytest.mark.parametrize(("start", "end"), _RANGES)
def test_the_time_selection_is_the_general_conversion(tmp_path, reader, raw, start, end):
    path = _write(tmp_path / "t.cdf", raw)
    times, values = _expected(raw, start, end)
    v = read_variables(path, ["v"], start=start, end=end)["v"]
    np.testing.assert_array_equal(v.time, times)
    np.testing.assert_array_equal(v.data, values)
    assert v.time.dtype == np.dtype("M8[ns]") and v.time.flags.writeable


def test_tt2000_offset_is_the_per_value_conversion():
    rng = np.random.default_rng(1)
    starts = [int(s) for s in epochs._NST]
    values = [s + d for s in starts for d in (-1, 0, 1)] + [int(x) for x in rng.integers(
        starts[0] - 10**17, starts[-1] + 10**17, 400
    )]  # fmt: skip
    for lo, hi in zip(sorted(values)[:-1], sorted(values)[1:]):
        offset = tt2000_offset(lo, hi)
        pair = tt2000_to_datetime64(np.array([lo, hi])).view(np.int64)
        if offset is None:
            assert lo < starts[0] or any(lo < s <= hi for s in starts)
        else:
            assert pair.tolist() == [lo + offset, hi + offset]
    assert tt2000_offset(int(TT2000_FILL), _SPLIT) is None
    assert tt2000_offset(_LEAP, _SPLIT) is None  # 23:59:60 and the next day: two offsets


def test_a_rewritten_file_is_not_read_with_its_old_sortedness(tmp_path, reader):
    """The sorted flag is remembered by path, size and mtime: a new mtime makes it new."""
    path = _write(tmp_path / "t.cdf", _PLAIN)
    window = ("2016-12-31T23:59:30", "2016-12-31T23:59:50")
    first = read_variables(path, ["v"], start=window[0], end=window[1])["v"]
    np.testing.assert_array_equal(first.time, _expected(_PLAIN, *window)[0])
    mtime = os.stat(path).st_mtime_ns
    _write(path, _UNSORTED)  # the same size: only the mtime tells the files apart
    os.utime(path, ns=(mtime + 10**9, mtime + 10**9))
    with reading_session():
        again = read_variables(path, ["v"], start=window[0], end=window[1])["v"]
    times, values = _expected(_UNSORTED, *window)
    np.testing.assert_array_equal(again.time, times)
    np.testing.assert_array_equal(again.data, values)


def test_plain_gives_each_caller_its_own_lists():
    value = np.array([[1.5, 2.0], [3.0, 4.0]], np.float32)
    a = plain(value)
    a[0].append("changed")
    a.append("changed")
    assert plain(value) == [[1.5, 2.0], [3.0, 4.0]]
    assert plain(np.array([-20000, 0], "f4")) == [-20000.0, 0.0]


def test_plain_tells_values_apart_by_dtype_and_bytes():
    assert plain(np.float32(-1e31)) == -1e31  # shortest repr of the float32
    assert plain(np.float64(np.float32(-1e31))) != -1e31
    same_bytes = np.array([1065353216], np.int32)  # the bytes of float32 1.0
    assert plain(same_bytes) == 1065353216 and plain(same_bytes.view(np.float32)) == 1.0
    assert plain(np.array([1, 2], ">i4")) == [1, 2] and plain(np.array([1, 2], "<i4")) == [1, 2]
    assert plain(np.array([1, 2, 3])) == [1, 2, 3] and plain(np.array([1, 2, 4])) == [1, 2, 4]
    assert type(plain(np.int16(3))) is int and type(plain(np.bool_(True))) is bool
    assert plain(np.array([], np.float32)) == []
    assert plain(np.array(["a", "b"])) == ["a", "b"]  # not numeric: as before, not remembered


def test_the_time_index_is_the_public_constructors():
    times = tt2000_to_datetime64(_PLAIN)
    var = CdfVariable("v", np.arange(times.size, dtype=np.float32), {}, "Epoch", times)
    da = to_dataarray(var)
    index = da.indexes["time"]
    expected = pd.DatetimeIndex(times, copy=False, name="time")
    assert type(index) is pd.DatetimeIndex and index.equals(expected)
    assert index.name == "time" and index.freq is None and index.dtype == expected.dtype
    assert np.shares_memory(index.values, times)
