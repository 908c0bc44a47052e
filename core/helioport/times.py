"""Times and durations: every way a researcher writes one, to one form.

Times become timezone-aware UTC datetimes (:func:`parse_time`), ``datetime64[ns]``
(:func:`to_datetime64`), integer nanoseconds since 1970 (:func:`to_ns`, and
back with :func:`from_ns`) or ISO text (:func:`format_time`). Durations become
integer nanoseconds (:func:`duration_ns`) or timedeltas (:func:`parse_duration`).

Accepted times: :class:`datetime.datetime` (naive means UTC), :class:`datetime.date`,
ISO 8601 strings (``"2015-10-16"``, ``"2015-10-16T13:05:24Z"``,
``"2015-10-16 13:05"``, with or without an offset), :class:`numpy.datetime64`,
:class:`pandas.Timestamp` and, when astropy is installed, ``astropy.time.Time``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidRequestError

__all__ = [
    "duration_ns",
    "format_time",
    "from_ns",
    "parse_duration",
    "parse_time",
    "request_time",
    "to_datetime64",
    "to_ns",
]

UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def parse_time(value: Any, *, what: str = "time") -> dt.datetime:
    """Return ``value`` as a timezone-aware UTC :class:`datetime.datetime`.

    Parameters
    ----------
    value
        A datetime, date, ISO string, ``numpy.datetime64``, ``pandas.Timestamp``
        or ``astropy.time.Time``. Naive values are taken as UTC; aware values
        are converted to UTC.
    what
        Name used in the error message (``"start"``, ``"end"``).

    Raises
    ------
    InvalidRequestError
        When the value cannot be understood as a single time.

    Examples
    --------
    >>> parse_time("2015-10-16T13:05:24")
    datetime.datetime(2015, 10, 16, 13, 5, 24, tzinfo=datetime.timezone.utc)
    """
    if type(value) is dt.datetime and value.tzinfo is UTC:  # already what is returned
        return value
    if value is None or value is pd.NaT:
        if value is pd.NaT:
            raise InvalidRequestError(f"{what}: got NaT, not a time")
        raise InvalidRequestError(f"{what} is missing: give a time such as '2015-10-16T13:05'")
    if type(value).__module__.startswith("astropy"):
        try:
            value = value.to_datetime(timezone=UTC)  # astropy.time.Time
        except Exception as exc:
            raise InvalidRequestError(
                f"{what}: cannot convert astropy Time {value!r}: {exc}"
            ) from exc
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise InvalidRequestError(
                f"{what} is an empty string: give an ISO time such as '2015-10-16T13:05'"
            )
        try:
            ts = pd.Timestamp(text)
        except (ValueError, TypeError, OverflowError) as exc:
            raise InvalidRequestError(
                f"{what}: cannot parse {value!r} as a time; use ISO 8601, e.g. "
                "'2015-10-16', '2015-10-16T13:05:24' or '2015-10-16 13:05:24Z'"
            ) from exc
        if ts is pd.NaT:
            raise InvalidRequestError(f"{what}: {value!r} is not a time (NaT)")
        value = ts
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise InvalidRequestError(f"{what}: got NaT, not a time")
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        if value is pd.NaT:
            raise InvalidRequestError(f"{what}: got NaT, not a time")
        value = value.to_pydatetime(warn=False)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise InvalidRequestError(
        f"{what}: cannot use {value!r} (type {type(value).__name__}) as a time; give a datetime, "
        "an ISO string, numpy.datetime64, pandas.Timestamp or astropy Time"
    )


#: the years a request may name: the space age, with room (a typo such as 20100 fails early)
YEARS = (1900, 2100)


def request_time(value: Any, *, what: str = "time") -> dt.datetime:
    """:func:`parse_time` for the times of a request: also refused outside :data:`YEARS`.

    Examples
    --------
    >>> request_time("1850-01-01", what="start")
    Traceback (most recent call last):
    ...
    helioport.errors.InvalidRequestError: start: 1850-01-01 is outside the years 1900-2100 helioport serves; check the date
    """
    t = parse_time(value, what=what)
    if not YEARS[0] <= t.year <= YEARS[1]:
        raise InvalidRequestError(
            f"{what}: {t:%Y-%m-%d} is outside the years {YEARS[0]}-{YEARS[1]} helioport serves; "
            "check the date"
        )
    return t


def to_datetime64(value: Any) -> np.datetime64:
    """Return a time as naive-UTC ``numpy.datetime64[ns]``, keeping a string's nanoseconds.

    Examples
    --------
    >>> str(to_datetime64("2015-10-16T13:06:00.123456789+01:00"))
    '2015-10-16T12:06:00.123456789'
    """
    if isinstance(value, str) and any(c.isdigit() for c in value):
        # parse_time works in microseconds; pandas keeps nanoseconds ("now" stays parse_time's)
        try:
            stamp = pd.Timestamp(value.strip())
        except ValueError:
            stamp = None
        if stamp is not None and stamp is not pd.NaT:
            if stamp.tzinfo is not None:
                stamp = stamp.tz_convert("UTC").tz_localize(None)
            return stamp.to_datetime64().astype("datetime64[ns]")
    t = parse_time(value)
    return np.datetime64(t.replace(tzinfo=None), "ns")


def format_time(value: Any) -> str:
    """ISO 8601 text of a time, UTC, with a ``Z`` suffix, to the microsecond when needed."""
    t = parse_time(value).replace(tzinfo=None)
    text = t.isoformat(timespec="microseconds" if t.microsecond else "seconds")
    return text + "Z"


def to_ns(value: Any) -> int:
    """A time as integer nanoseconds since 1970-01-01 UTC.

    Examples
    --------
    >>> to_ns("1970-01-01T00:00:01.5")
    1500000000
    """
    return int(pd.Timestamp(parse_time(value)).value)


def from_ns(ns: int) -> dt.datetime:
    """The UTC datetime of ``ns`` nanoseconds since 1970, floored to the microsecond as pandas does.

    Examples
    --------
    >>> from_ns(1_500_000_999)
    datetime.datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=datetime.timezone.utc)
    """
    return _EPOCH + dt.timedelta(microseconds=int(ns) // 1000)


def duration_ns(value: Any, what: str = "duration") -> int:
    """A non-negative duration as integer nanoseconds.

    Parameters
    ----------
    value
        A pandas-style string (``"120s"``, ``"2min"``, ``"30D"``), a number of
        seconds (also as a string: ``"10"`` from a command line, which pandas
        would read as nanoseconds), a :class:`datetime.timedelta`,
        ``numpy.timedelta64`` or ``pandas.Timedelta``.
    what
        Name used in the error message (``"window"``, ``"step"``).

    Raises
    ------
    InvalidRequestError
        When the value is not a duration, or is negative or NaT.

    Examples
    --------
    >>> duration_ns("2min"), duration_ns(1.5), duration_ns("10")
    (120000000000, 1500000000, 10000000000)
    """
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    try:
        number = isinstance(value, (int, float, np.integer, np.floating))
        if number and not isinstance(value, (bool, np.timedelta64)):  # timedelta64 is an integer
            td = pd.Timedelta(seconds=float(value))
        else:
            td = pd.Timedelta(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidRequestError(
            f"{what}: cannot read {value!r} as a duration; use e.g. '120s', '2min', '30D' or seconds"
        ) from exc
    if td is pd.NaT or td.value < 0:
        raise InvalidRequestError(f"{what} must be a positive duration, not {value!r}")
    return int(td.value)


def parse_duration(value: Any, what: str = "duration") -> dt.timedelta:
    """A non-negative duration as a :class:`datetime.timedelta` (floored to the microsecond).

    Accepts what :func:`duration_ns` accepts and raises what it raises.

    Examples
    --------
    >>> parse_duration("90s")
    datetime.timedelta(seconds=90)
    """
    return dt.timedelta(microseconds=duration_ns(value, what) // 1000)
