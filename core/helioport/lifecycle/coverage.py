"""Which part of the asked range the archive's files cover (no silent partial result).

A request for a year of which the archive holds three days returns those
three days, a warning naming the span actually covered, and the ``covered``
attr on each variable (its provenance). Coverage comes from the files' own
spans (``RemoteFile.start``/``end``, known for every templated archive) where
all files have them, narrowed to the loaded times (first and last sample,
with a tolerance of two sampling intervals), so an empty delivery at an edge
of the range shows too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

import numpy as np

from ..cdfvariable import NAT
from ..schema import RemoteFile, Request
from ..times import format_time

__all__ = ["covered_spans", "describe_gaps", "merge_spans"]

T = TypeVar("T")

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def merge_spans(spans: Iterable[tuple[T, T]]) -> list[tuple[T, T]]:
    """Spans sorted, those touching or overlapping joined (times, integers: anything ordered).

    Examples
    --------
    >>> merge_spans([(5, 7), (0, 2), (2, 3)])
    [(0, 3), (5, 7)]
    """
    out: list[list[T]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def covered_spans(
    request: Request, files: list[RemoteFile], times: np.ndarray | None
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of ``[request.start, request.end)`` the data cover, merged.

    Examples
    --------
    >>> covered_spans(request, files, None)  # doctest: +SKIP
    [(datetime(2010, 1, 1, tzinfo=utc), datetime(2010, 1, 4, tzinfo=utc))]
    """
    start, end = request.start, request.end
    spans = [(start, end)]
    if files and all(f.start is not None and f.end is not None for f in files):
        spans = merge_spans([(max(f.start, start), min(f.end, end)) for f in files])
    if times is not None:
        t = np.asarray(times, dtype="datetime64[ns]").reshape(-1)
        if t.size and t.view(np.int64).min() == NAT:  # NaT is the smallest int64: one pass
            t = t[~np.isnat(t)]
        if t.size == 0:
            return []
        if t.size == 1:  # one sample gives no cadence: the files' spans stand
            return [(a, b) for a, b in spans if a < b]
        ns = t.view(np.int64)
        step, t0, tn = _median_step(ns), int(ns[0]), int(ns[-1])  # ns
        first, last = _dt(t0), _dt(tn + step)
        # a first sample within two intervals of the start (or of a file's start) is on time
        slack = _dt(t0 - 2 * step)
        spans = [(a if slack <= a else max(a, first), min(b, last)) for a, b in spans]
        if spans and spans[-1][1] > _dt(tn - step) and end - spans[-1][1] <= 2 * _td(step):
            spans[-1] = (spans[-1][0], end)
    return [(a, b) for a, b in spans if a < b]


def _median_step(ns: np.ndarray) -> int:
    """``int(np.median(np.diff(ns)))`` with one array made: the differences, partitioned in place.

    On int64 (numpy's median of timedelta64 takes a slow generic path, ~20x);
    an even count averages the two middle differences as float, as numpy does.

    Examples
    --------
    >>> _median_step(np.array([0, 10, 30, 31]))
    10
    """
    d = np.diff(ns)
    k = d.size // 2
    if d.size % 2:
        d.partition(k)
        return int(d[k])
    d.partition((k - 1, k))
    return int((float(d[k - 1]) + float(d[k])) / 2)


def _td(ns: int) -> dt.timedelta:
    """``ns`` nanoseconds to the microsecond below, as numpy converts ``timedelta64``."""
    return dt.timedelta(microseconds=ns // 1000)


def _dt(ns: int) -> dt.datetime:
    """``ns`` since 1970 as an aware UTC datetime, to the microsecond below (as numpy)."""
    return _EPOCH + _td(ns)


def describe_gaps(request: Request, spans: list[tuple[dt.datetime, dt.datetime]]) -> str | None:
    """``None`` when ``spans`` cover the whole request, else the covered span(s) as text."""
    if spans == [(request.start, request.end)]:
        return None
    if not spans:
        return "nothing"
    return ", ".join(f"{format_time(a)}/{format_time(b)}" for a, b in spans)
