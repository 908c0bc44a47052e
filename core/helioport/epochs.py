"""CDF time types to and from UTC ``datetime64[ns]``, vectorised.

CDF stores time in three types:

``CDF_TIME_TT2000`` (33)
    int64 nanoseconds since J2000 (2000-01-01T12:00:00 TT), counting leap
    seconds.
``CDF_EPOCH`` (31)
    float64 milliseconds since 0000-01-01T00:00:00, no leap seconds.
``CDF_EPOCH16`` (32)
    two float64: seconds since 0000-01-01 and picoseconds within the second.

Every conversion here is whole-array numpy work; leap seconds come from
cdflib's own table (the CDF library's ``CDFLeapSeconds.txt`` that cdflib
ships and reads into ``cdflib.epochs.CDFepoch.LTS``) and are applied with
:func:`numpy.searchsorted`, so results agree with
:func:`cdflib.cdfepoch.to_datetime` value for value. The file is read here
directly, so that converting times does not import all of cdflib (its reader,
writer and ``urllib``), which the pycdfpp reading path never uses.

Conventions, the same as cdflib's:

- fill and pad values (TT2000 ``-9223372036854775808`` / ``...807``, EPOCH
  ``-1e31`` and ``0.0``, EPOCH16 ``(-1e31, -1e31)`` and imaginary ``-1e30``),
  NaN, and times outside the ``datetime64[ns]`` range (1677-09-21 to
  2262-04-11) all become ``NaT``;
- ``datetime64`` has no leap seconds: a TT2000 time inside a leap second
  (``23:59:60.x``) becomes ``00:00:00.x`` of the next day;
- before 1972 TT2000 uses the CDF library's drifting TAI-UTC offsets.

Two deliberate differences from cdflib: CDF_EPOCH keeps its sub-millisecond
part (rounded to the microsecond, the float's own resolution) where cdflib
truncates to the millisecond; and the 1972-06-30 leap second is handled like
every later one (cdflib's pre-1972 code sends it to 23:59:59.x).
"""

from __future__ import annotations

import bisect
import importlib.util
import logging
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

__all__ = [
    "CDF_EPOCH",
    "CDF_EPOCH16",
    "CDF_TIME_TT2000",
    "EPOCH_FILL",
    "TIME_TYPES",
    "TT2000_FILL",
    "TT2000_PAD",
    "cdf_time_to_datetime64",
    "datetime64_to_epoch",
    "datetime64_to_epoch16",
    "datetime64_to_tt2000",
    "epoch16_to_datetime64",
    "epoch_to_datetime64",
    "tt2000_offset",
    "tt2000_to_datetime64",
]

CDF_EPOCH = 31
CDF_EPOCH16 = 32
CDF_TIME_TT2000 = 33
TIME_TYPES = {
    CDF_EPOCH: "CDF_EPOCH",
    CDF_EPOCH16: "CDF_EPOCH16",
    CDF_TIME_TT2000: "CDF_TIME_TT2000",
}

TT2000_FILL = np.int64(-(2**63))
TT2000_PAD = np.int64(-(2**63) + 1)
EPOCH_FILL = -1.0e31

_NAT = np.iinfo(np.int64).min
_SEC = 1_000_000_000
_DAY = 86_400 * _SEC
_DT_NS = 32_184_000_000  # TT - TAI
_J2000_NS = 946_728_000 * _SEC  # 2000-01-01T12:00:00 since 1970, ns
_EPOCH_MS_1970 = 62_167_219_200_000  # ms from 0000-01-01 to 1970-01-01
_EPOCH_S_1970 = 62_167_219_200
_JD_1970 = 2_440_588  # Julian day number of 1970-01-01
_I64_MAX = np.iinfo(np.int64).max
# datetime64[ns] limits as CDF_EPOCH milliseconds (NaT is the int64 minimum)
_EPOCH_MIN = float(_EPOCH_MS_1970 + (_NAT + 1) // 10**6 + 1)
_EPOCH_MAX = float(_EPOCH_MS_1970 + _I64_MAX // 10**6 - 1)


# rows of the table before this one drift (TAI-UTC grows linearly, before
# 1972); from it on, TAI-UTC is a whole number of seconds (cdflib's NERA1)
_NERA1_ROW = 14


def _leap_rows() -> list[list[float]]:
    """cdflib's leap-second table (rows: y, m, d, TAI-UTC, MJD0, drift), as cdflib reads it.

    Read from the ``CDFLeapSeconds.txt`` inside the installed cdflib, found
    without importing cdflib; if that file cannot be found or parsed, the table
    cdflib itself built (``CDFepoch.LTS``).
    """
    spec = importlib.util.find_spec("cdflib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        rows = _read_leap_file(Path(folder) / "CDFLeapSeconds.txt")
        if rows is not None:
            return rows
    from cdflib.epochs import CDFepoch  # the file was not where expected: let cdflib read it

    return [list(r) for r in CDFepoch.LTS]


def _read_leap_file(path: Path) -> list[list[float]] | None:
    """The rows of a ``CDFLeapSeconds.txt``; ``None`` if it is unreadable or not as cdflib's."""
    try:
        text = path.read_text()
        rows = [
            [int(c) for c in cells[:3]] + [float(c) for c in cells[3:6]]
            for cells in (
                line.split() for line in text.splitlines() if not line.startswith(";")
            )  # comments: ";" in column 1
            if cells
        ]
    except (OSError, ValueError):
        return None
    ok = (
        len(rows) > _NERA1_ROW
        and all(len(r) == 6 for r in rows)
        and rows[_NERA1_ROW][5] == 0  # the first whole-second row, as cdflib's NERA1 says
        and rows[_NERA1_ROW - 1][5] != 0
    )
    return rows if ok else None


def _leap_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Arrays from cdflib's leap-second table (rows: y, m, d, TAI-UTC, MJD0, drift)."""
    lts = np.array(_leap_rows(), dtype=float)
    offsets, mjd0, drift = lts[:, 3].copy(), lts[:, 4].copy(), lts[:, 5].copy()
    nera1 = _NERA1_ROW
    # every row starts on the first of a month at 00:00 UTC: compare times, not months
    dates = np.array(
        [f"{int(y):04d}-{int(m):02d}-{int(d):02d}" for y, m, d in lts[:, :3]], dtype="M8[ns]"
    ).view(np.int64)
    # TT2000 of each post-1972 table date at 00:00:00 UTC (new offset applies)
    starts = dates[nera1:] - _J2000_NS + (offsets[nera1:] * _SEC).astype(np.int64) + _DT_NS
    return dates, offsets, mjd0, drift, starts, nera1


_DATES, _OFFSETS, _MJD0, _DRIFT, _NST, _NERA1 = _leap_table()
_LEAP_NS_POST = (_OFFSETS[_NERA1:] * _SEC).astype(np.int64)
# the same as Python ints, for one value at a time (bisect, no numpy call)
_NST_LIST = [int(v) for v in _NST]
_LEAP_NS_LIST = [int(v) for v in _LEAP_NS_POST]


def _leap_ns_for_utc(ns: np.ndarray) -> np.ndarray:
    """TAI-UTC in ns (truncated like the CDF library) for UTC times ``ns`` (int64 since 1970)."""
    if ns.size and ns.min() >= _DATES[_NERA1]:
        j = np.searchsorted(_DATES, [ns.min(), ns.max()], side="right") - 1
        if j[0] == j[1]:
            return np.full(ns.shape, _LEAP_NS_POST[j[0] - _NERA1])
    j = np.searchsorted(_DATES, ns, side="right") - 1
    out = np.zeros(ns.shape, dtype=np.int64)
    post = j >= _NERA1
    out[post] = _LEAP_NS_POST[j[post] - _NERA1]
    drift = (j >= 0) & ~post
    if drift.any():
        jd = np.floor_divide(ns[drift], _DAY) + _JD_1970
        jj = j[drift]
        da = _OFFSETS[jj] + ((jd - 2400000.5) - _MJD0[jj]) * _DRIFT[jj]
        out[drift] = np.trunc(da * _SEC).astype(np.int64)
    return out


def tt2000_offset(lo: int, hi: int) -> int | None:
    """The one ns offset (UTC since 1970 = TT2000 + offset) of every TT2000 value in ``[lo, hi]``.

    ``None`` when the range spans a leap second, reaches before 1972 (drifting
    offsets) or holds values that do not convert plainly (fill, pad, overflow):
    those need :func:`tt2000_to_datetime64`'s general path. Within one offset the
    conversion keeps the order of the values, so sorted values stay sorted.

    Examples
    --------
    >>> tt2000_offset(498272793048243059, 498272793048243059)
    946727931816000000
    """
    if lo < _NST_LIST[0] or hi > _I64_MAX - _J2000_NS or lo > hi:
        return None
    j = bisect.bisect_right(_NST_LIST, lo) - 1
    if j + 1 < len(_NST_LIST) and hi >= _NST_LIST[j + 1]:
        return None  # a leap second between lo and hi
    return _J2000_NS - _DT_NS - _LEAP_NS_LIST[j]


def tt2000_to_datetime64(values: npt.ArrayLike) -> np.ndarray:
    """Convert CDF_TIME_TT2000 values to UTC ``datetime64[ns]``.

    Parameters
    ----------
    values
        int64 nanoseconds since J2000 (TT), any shape.

    Returns
    -------
    numpy.ndarray
        ``datetime64[ns]`` of the same shape; fill/pad values become ``NaT``.

    Examples
    --------
    >>> tt2000_to_datetime64(np.array([498272793048243059]))
    array(['2015-10-16T13:05:24.864243059'], dtype='datetime64[ns]')
    """
    t = np.asarray(values)
    if t.dtype != np.int64:
        t = t.astype(np.int64)
    shape = t.shape
    t = t.ravel()
    out = np.empty(t.shape, dtype=np.int64)
    if t.size == 0:
        return out.view("M8[ns]").reshape(shape)
    offset = tt2000_offset(int(t.min()), int(t.max()))
    if offset is not None:
        np.add(t, offset, out=out)
        return out.view("M8[ns]").reshape(shape)
    bad = (t <= TT2000_PAD) | (t > _I64_MAX - _J2000_NS)
    any_bad = bool(bad.any())
    if any_bad:
        t = np.where(bad, _NST[-1], t)
    j = np.searchsorted(_NST, t, side="right") - 1
    np.subtract(t + (_J2000_NS - _DT_NS), _LEAP_NS_POST[np.maximum(j, 0)], out=out)
    pre = j < 0
    if pre.any():
        # drifting offsets before 1972: solve u = base - leap(u) by fixed-point
        # iteration, as the CDF library does (at most three corrections)
        b = t[pre] + (_J2000_NS - _DT_NS)
        u = b.copy()
        for _ in range(3):
            u = b - _leap_ns_for_utc(u)
        out[pre] = u
    if any_bad:
        out[bad] = _NAT
    return out.view("M8[ns]").reshape(shape)


def datetime64_to_tt2000(values: npt.ArrayLike) -> np.ndarray:
    """Convert UTC times to CDF_TIME_TT2000 int64.

    Parameters
    ----------
    values
        ``datetime64`` (any unit) or anything :func:`numpy.asarray` turns into
        ``datetime64[ns]``. ``NaT`` and times before 1707-09-22 (outside
        TT2000) become the fill value ``-9223372036854775808``.

    Returns
    -------
    numpy.ndarray
        int64 array of the same shape.

    Examples
    --------
    >>> datetime64_to_tt2000(np.array(["2000-01-01T11:58:55.816"], dtype="M8[ns]"))
    array([0])
    """
    ns = np.asarray(values, dtype="M8[ns]").view(np.int64)
    shape = ns.shape
    ns = ns.ravel()
    bad = ns < _NAT + _J2000_NS + 100 * _SEC
    safe = np.where(bad, 0, ns)
    out = safe - _J2000_NS + _DT_NS + _leap_ns_for_utc(safe)
    out[bad] = TT2000_FILL
    return out.reshape(shape)


def epoch_to_datetime64(values: npt.ArrayLike) -> np.ndarray:
    """Convert CDF_EPOCH (float64 ms since 0000-01-01) to UTC ``datetime64[ns]``.

    The sub-millisecond part is kept, rounded to the microsecond.

    Parameters
    ----------
    values
        float64 milliseconds, any shape. ``-1e31``, ``0.0``, NaN and values
        outside the ``datetime64[ns]`` range become ``NaT``.

    Returns
    -------
    numpy.ndarray
        ``datetime64[ns]`` of the same shape.

    Examples
    --------
    >>> epoch_to_datetime64(np.array([63159508801174.0]))
    array(['2001-06-11T20:00:01.174000000'], dtype='datetime64[ns]')
    """
    x = np.asarray(values, dtype=np.float64)
    shape, x = x.shape, x.reshape(-1)
    good = (x >= _EPOCH_MIN) & (x <= _EPOCH_MAX)  # False for NaN, fill and pad
    ms = np.where(good, x, float(_EPOCH_MS_1970)) - float(_EPOCH_MS_1970)  # exact (Sterbenz)
    whole = np.floor(ms)
    micro = np.rint((ms - whole) * 1000.0).astype(np.int64)
    out = whole.astype(np.int64) * 1_000_000 + micro * 1000
    out[~good] = _NAT
    return out.view("M8[ns]").reshape(shape)


def datetime64_to_epoch(values: npt.ArrayLike) -> np.ndarray:
    """Convert UTC times to CDF_EPOCH float64 milliseconds since 0000-01-01.

    Parameters
    ----------
    values
        ``datetime64`` (any unit); ``NaT`` becomes the fill value ``-1e31``.

    Returns
    -------
    numpy.ndarray
        float64 array of the same shape.

    Examples
    --------
    >>> datetime64_to_epoch(np.array(["1970-01-01T00:00:00.001"], dtype="M8[ms]"))
    array([6.21672192e+13])
    """
    ns = np.asarray(values, dtype="M8[ns]").view(np.int64)
    shape, ns = ns.shape, ns.reshape(-1)
    whole, rem = np.divmod(ns, 1_000_000)
    out = (whole + _EPOCH_MS_1970).astype(np.float64) + rem / 1e6
    out[ns == _NAT] = EPOCH_FILL
    return out.reshape(shape)


def _split_epoch16(values: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values)
    if np.iscomplexobj(v):
        return v.real.astype(np.float64), v.imag.astype(np.float64)
    if v.ndim >= 1 and v.shape[-1] == 2:
        v = v.astype(np.float64)
        return v[..., 0], v[..., 1]
    raise TypeError(
        f"CDF_EPOCH16 values must be complex128 or have a last axis of 2, got {v.dtype} {v.shape}"
    )


def epoch16_to_datetime64(values: npt.ArrayLike) -> np.ndarray:
    """Convert CDF_EPOCH16 to UTC ``datetime64[ns]`` (picoseconds truncated to ns).

    Parameters
    ----------
    values
        complex128 (real: seconds since 0000-01-01, imaginary: picoseconds) or
        float array whose last axis holds those two numbers.

    Returns
    -------
    numpy.ndarray
        ``datetime64[ns]``; fill (``-1e31``), pad (imaginary ``-1e30``), NaN and
        out-of-range values become ``NaT``.

    Examples
    --------
    >>> epoch16_to_datetime64(np.array([63159508801 + 174000000000j]))
    array(['2001-06-11T20:00:01.174000000'], dtype='datetime64[ns]')
    """
    sec, ps = _split_epoch16(values)
    shape, sec, ps = sec.shape, sec.reshape(-1), ps.reshape(-1)
    lo = _EPOCH_S_1970 - (_I64_MAX // _SEC)
    hi = _EPOCH_S_1970 + _I64_MAX // _SEC
    good = (sec >= lo) & (sec <= hi) & (ps >= 0) & (ps < 1e12)
    s = (np.where(good, sec, _EPOCH_S_1970).astype(np.int64) - _EPOCH_S_1970) * _SEC
    out = s + np.floor(np.where(good, ps, 0.0) / 1000.0).astype(np.int64)
    out[~good | (out < s)] = _NAT  # out < s: the last second of the range overflowed
    return out.view("M8[ns]").reshape(shape)


def datetime64_to_epoch16(values: npt.ArrayLike) -> np.ndarray:
    """Convert UTC times to CDF_EPOCH16 complex128 (seconds + 1j * picoseconds).

    Examples
    --------
    >>> datetime64_to_epoch16(np.array(["1970-01-01T00:00:01.5"], dtype="M8[ms]"))
    array([6.21672192e+10+5.e+11j])
    """
    ns = np.asarray(values, dtype="M8[ns]").view(np.int64)
    shape, ns = ns.shape, ns.reshape(-1)
    sec, rem = np.divmod(ns, _SEC)
    out = (sec + _EPOCH_S_1970).astype(np.float64) + 1j * (rem * 1000.0)
    out[ns == _NAT] = complex(EPOCH_FILL, EPOCH_FILL)
    return out.reshape(shape)


_TYPE_NAMES = {name: code for code, name in TIME_TYPES.items()}


def cdf_time_to_datetime64(values: Any, cdf_data_type: int | str) -> np.ndarray:
    """Convert raw CDF time values of type ``cdf_data_type`` to ``datetime64[ns]``.

    Parameters
    ----------
    values
        What ``cdflib.CDF.varget`` returned for the time variable.
    cdf_data_type
        33 / ``"CDF_TIME_TT2000"``, 31 / ``"CDF_EPOCH"`` or 32 / ``"CDF_EPOCH16"``.

    Raises
    ------
    TypeError
        For any other data type.

    Examples
    --------
    >>> cdf_time_to_datetime64(np.array([0]), "CDF_TIME_TT2000")
    array(['2000-01-01T11:58:55.816000000'], dtype='datetime64[ns]')
    """
    code = (
        _TYPE_NAMES.get(cdf_data_type, cdf_data_type)
        if isinstance(cdf_data_type, str)
        else int(cdf_data_type)
    )
    if code == CDF_TIME_TT2000:
        return tt2000_to_datetime64(values)
    if code == CDF_EPOCH:
        return epoch_to_datetime64(values)
    if code == CDF_EPOCH16:
        return epoch16_to_datetime64(values)
    raise TypeError(
        f"CDF data type {cdf_data_type!r} is not a time type; expected one of "
        + ", ".join(f"{c} ({n})" for c, n in TIME_TYPES.items())
    )
