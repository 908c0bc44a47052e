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

import numpy as np

from ..schema import RemoteFile, Request
from ..times import format_time

__all__ = ["covered_spans", "describe_gaps"]


def _merge(spans: list[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    out: list[list[dt.datetime]] = []
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
        spans = _merge([(max(f.start, start), min(f.end, end)) for f in files])
    if times is not None:
        t = np.asarray(times, dtype="datetime64[ns]")
        t = t[~np.isnat(t)]
        if t.size == 0:
            return []
        if t.size == 1:  # one sample gives no cadence: the files' spans stand
            return [(a, b) for a, b in spans if a < b]
        # on int64: numpy's median of timedelta64 takes a slow generic path (~20x)
        step = np.timedelta64(int(np.median(np.diff(t.view(np.int64)))), "ns")
        first, last = _dt(t[0]), _dt(t[-1] + step)
        # a first sample within two intervals of the start (or of a file's start) is on time
        slack = _dt(t[0] - 2 * step)
        spans = [(a if slack <= a else max(a, first), min(b, last)) for a, b in spans]
        if spans and spans[-1][1] > _dt(t[-1] - step) and end - spans[-1][1] <= 2 * _td(step):
            spans[-1] = (spans[-1][0], end)
    return [(a, b) for a, b in spans if a < b]


def _td(step: np.timedelta64) -> dt.timedelta:
    return dt.timedelta(microseconds=int(np.timedelta64(step, "us").astype(np.int64)))


def _dt(t: np.datetime64) -> dt.datetime:
    us = int(np.datetime64(t, "us").astype(np.int64))
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=us)


def describe_gaps(request: Request, spans: list[tuple[dt.datetime, dt.datetime]]) -> str | None:
    """``None`` when ``spans`` cover the whole request, else the covered span(s) as text."""
    if spans == [(request.start, request.end)]:
        return None
    if not spans:
        return "nothing"
    return ", ".join(f"{format_time(a)}/{format_time(b)}" for a, b in spans)
