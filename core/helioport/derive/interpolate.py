"""Linear interpolation of several series onto one time base, on numpy arrays.

What multi-input derivations (``j_curl``) need: every input on one time base,
without a labelled object per input. The rule is the one of
:func:`helioport.align.interp_to` with ``method="linear"`` (tests check they
agree value for value): source samples with NaT times are dropped, repeated
times keep their first sample; a target time equal to a sample takes it as is;
between samples the straight line; outside the samples NaN, except up to
``extrapolate`` ns beyond the ends, where the line through the two end samples
is carried on. Sources sharing their time array share the search.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["CHUNK", "interp_linear"]

_NAT = np.iinfo(np.int64).min


def _clean(t: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Sorted, distinct, non-NaT source times and the order that gives them (None: as is)."""
    if t.size and t[0] != _NAT and bool(np.all(t[1:] > t[:-1])):
        return t, None
    keep = np.flatnonzero(t != _NAT)
    order = keep[np.argsort(t[keep], kind="stable")]
    s = t[order]
    if s.size > 1:
        first = np.concatenate(([True], s[1:] != s[:-1]))
        order, s = order[first], s[first]
    return s, order


def _search(s: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """``np.searchsorted(s, dst, side="right")``, searched within the samples that span
    ``dst`` only (a few thousand targets: that stretch of ``s`` stays in cache)."""
    if dst.size < 2:
        return np.searchsorted(s, dst, side="right")
    # every sample up to a is <= min(dst), every one from b on is > max(dst)
    a, b = np.searchsorted(s, [dst.min(), dst.max()], side="right")
    return np.searchsorted(s[a:b], dst, side="right") + a


def _weights(
    s: np.ndarray, dst: np.ndarray, ext: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``lo``, ``hi`` sample indices, weight of ``hi``, exact hits and valid targets."""
    n = s.size
    dst_ok = dst != _NAT
    j = _search(s, dst)
    lo = np.clip(j - 1, 0, n - 1)
    hi = np.minimum(j, n - 1)
    s_lo, s_hi = s[lo], s[hi]
    inside = dst_ok & (dst >= s[0]) & (dst <= s[-1])
    exact = inside & (s_lo == dst)
    span = s_hi - s_lo
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(span > 0, (dst - s_lo) / np.where(span > 0, span, 1), 0.0)
    valid = inside
    if ext and n >= 2:
        before = dst_ok & (dst < s[0]) & (s[0] - dst <= ext)
        after = dst_ok & (dst > s[-1]) & (dst - s[-1] <= ext)
        edge = before | after
        if edge.any():
            lo = np.where(before, 0, np.where(after, n - 2, lo))
            hi = np.where(before, 1, np.where(after, n - 1, hi))
            span = s[hi] - s[lo]
            with np.errstate(invalid="ignore", divide="ignore"):
                w = np.where(edge, (dst - s[lo]) / np.where(span > 0, span, 1), w)
            valid = valid | edge
    return lo, hi, w, exact, valid


#: targets interpolated per pass: the temporaries of a pass stay in the processor's cache
#: (passes over whole million-sample arrays are bound by memory, not by arithmetic)
CHUNK = 1 << 15


@dataclass(frozen=True)
class _Source:
    """One source, prepared once: its cleaned times and its components in that order."""

    times: np.ndarray  # int64, sorted, distinct, no NaT
    columns: np.ndarray  # (c, n) float64, each component contiguous, in the order of times
    ext: int | None
    base: int  # sources with the same times and ``ext`` share their weights
    copy: bool  # the same times as the targets: copied, not resampled


@dataclass(frozen=True)
class _Weights:
    """How the targets of one chunk fall between the samples of one time base."""

    lo: np.ndarray
    hi: np.ndarray
    w: np.ndarray
    run: int | None  # lo is run, run + 1, ...: the samples are read as slices
    exact: np.ndarray | None  # targets on a sample (positions in the chunk)
    lost: np.ndarray | None  # targets without a value


def _prepare(
    sources: Sequence[tuple[np.ndarray, np.ndarray, int | None]], d: np.ndarray
) -> list[_Source]:
    prepared: list[_Source] = []
    seen: list[tuple[np.ndarray, int | None]] = []
    for times, values, ext in sources:
        t = np.asarray(times, dtype="datetime64[ns]").view(np.int64)
        v = np.asarray(values, dtype=np.float64)
        columns = v.reshape(v.shape[0], math.prod(v.shape[1:])).T
        same = t.shape == d.shape and t.size and t[0] != _NAT and np.array_equal(t, d)
        copy = bool(same and np.all(t[1:] > t[:-1]))
        base = next((i for i, (tt, e) in enumerate(seen) if e == ext and np.array_equal(tt, t)), -1)
        if base < 0:
            seen.append((t, ext))
            base = len(seen) - 1
        s, order = _clean(t)
        columns = np.ascontiguousarray(columns if order is None else columns[:, order])
        prepared.append(_Source(s, columns, ext, base, copy))
    return prepared


def _run(lo: np.ndarray) -> int | None:
    """The first of ``lo`` when it is ``a, a + 1, a + 2, ...``."""
    a = int(lo[0])
    if int(lo[-1]) != a + lo.size - 1:
        return None
    return a if lo.size == 1 or bool(np.all(np.diff(lo) == 1)) else None


def _chunk_weights(s: np.ndarray, dst: np.ndarray, ext: int | None) -> _Weights:
    """The weights of the targets ``dst`` (a chunk, not empty) on the samples ``s``."""
    n, m = s.size, dst.size
    d0, d1 = dst.min(), dst.max()
    if n >= 2 and d0 >= s[0] and d1 < s[-1]:
        # every target has a sample at or before it and one after it: no NaT, nothing
        # outside, hi = lo + 1 (the usual case, with fewer passes; the same numbers)
        a, b = np.searchsorted(s, [d0, d1], side="right")
        hi = np.searchsorted(s[a:b], dst, side="right")
        hi += a
        lo = hi - 1
        run = _run(lo)
        s_lo, s_hi = (s[lo], s[hi]) if run is None else (s[run : run + m], s[run + 1 : run + 1 + m])
        exact = s_lo == dst
        w = (dst - s_lo) / (s_hi - s_lo)
        return _Weights(lo, hi, w, run, np.flatnonzero(exact) if exact.any() else None, None)
    lo, hi, w, exact, valid = _weights(s, dst, ext)
    # a run with a sample after its end: hi is lo + 1 wherever the line counts (elsewhere
    # the target is on a sample or has no value), so the samples are two slices
    run = _run(lo)
    return _Weights(
        lo,
        hi,
        w,
        run if run is not None and run + m < n else None,
        np.flatnonzero(exact) if exact.any() else None,
        None if valid.all() else np.flatnonzero(~valid),
    )


def _fill(y: np.ndarray, column: np.ndarray, k: _Weights) -> None:
    """One component ``y`` of a chunk of targets from the source's ``column``:
    ``y0 + w (y1 - y0)``, ``y0`` at exact hits, NaN where there is no value."""
    if k.run is not None:
        y0 = column[k.run : k.run + y.size]
        np.subtract(column[k.run + 1 : k.run + 1 + y.size], y0, out=y)
    else:
        y0 = column.take(k.lo)
        np.take(column, k.hi, out=y)
        y -= y0
    y *= k.w
    y += y0
    if k.exact is not None:
        y[k.exact] = y0[k.exact]
    if k.lost is not None:
        y[k.lost] = np.nan


def interp_linear(
    sources: Sequence[tuple[np.ndarray, np.ndarray, int | None]],
    dst: np.ndarray,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Put every ``(times, values, extrapolate_ns)`` source on the times ``dst``.

    The targets are taken :data:`CHUNK` at a time; in each chunk the sample
    search is done once per distinct source time base, and each component is
    interpolated on its own contiguous array. ``out`` is fastest with each
    component contiguous (a transposed view of a ``(sources, c, m)`` array),
    as the result is made when ``out`` is not given.

    Parameters
    ----------
    sources
        Per source: ``datetime64[ns]`` (or int64 ns) times ``(n,)``, float
        values ``(n, c)`` and how far beyond its ends to extrapolate (ns, or
        None for not at all).
    dst
        Target times ``(m,)``.
    out
        Optional ``(len(sources), m, c)`` float64 array (or view) to fill.

    Returns
    -------
    numpy.ndarray
        ``(len(sources), m, c)`` float64; NaN where a source cannot give a value.

    Examples
    --------
    >>> t = np.array([0, 10], "M8[s]").astype("M8[ns]")
    >>> interp_linear([(t, np.array([[0.0], [10.0]]), None)], t[:1] + np.timedelta64(4, "s"))
    array([[[4.]]])
    """
    d = np.asarray(dst, dtype="datetime64[ns]").view(np.int64)
    first = np.asarray(sources[0][1]) if sources else np.zeros((0, 1))
    c = math.prod(first.shape[1:])
    if out is None:
        out = np.empty((len(sources), c, d.size)).transpose(0, 2, 1)
        out = out.reshape((len(sources), d.size) + first.shape[1:])
    flat = out.reshape(len(sources), d.size, c)
    if flat.size and not np.shares_memory(flat, out):  # not viewable so: fill a copy
        out[...] = interp_linear(sources, dst).reshape(out.shape)
        return out
    prepared = _prepare(sources, d)
    for c0 in range(0, d.size, CHUNK):
        c1 = min(c0 + CHUNK, d.size)
        weights: dict[int, _Weights] = {}
        for k, src in enumerate(prepared):
            for j in range(c):
                y = flat[k, c0:c1, j]
                if src.copy:
                    y[...] = src.columns[j, c0:c1]
                elif src.times.size == 0:
                    y[...] = np.nan
                else:
                    if src.base not in weights:
                        weights[src.base] = _chunk_weights(src.times, d[c0:c1], src.ext)
                    _fill(y, src.columns[j], weights[src.base])
    return out
