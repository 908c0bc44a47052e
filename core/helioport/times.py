"""Time parsing: every way a researcher writes a time, to one UTC form.

Accepted inputs: :class:`datetime.datetime` (naive means UTC), :class:`datetime.date`,
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

__all__ = ["format_time", "parse_time", "to_datetime64"]

UTC = dt.timezone.utc


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
    if value is None:
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
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise InvalidRequestError(
        f"{what}: cannot use {value!r} (type {type(value).__name__}) as a time; give a datetime, "
        "an ISO string, numpy.datetime64, pandas.Timestamp or astropy Time"
    )


def to_datetime64(value: Any) -> np.datetime64:
    """Return a time as naive-UTC ``numpy.datetime64[ns]``."""
    t = parse_time(value)
    return np.datetime64(t.replace(tzinfo=None), "ns")


def format_time(value: Any) -> str:
    """ISO 8601 text of a time, UTC, with a ``Z`` suffix, to the microsecond when needed."""
    t = parse_time(value).replace(tzinfo=None)
    text = t.isoformat(timespec="microseconds" if t.microsecond else "seconds")
    return text + "Z"
