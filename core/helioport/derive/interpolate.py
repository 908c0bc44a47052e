"""Linear interpolation of several series onto one time base, on numpy arrays.

What multi-input derivations (``j_curl``) need: every input on one time base,
without a labelled object per input. The rule is the one of
:func:`helioport.align.interp_to` with ``method="linear"`` (tests check they
agree value for value): source samples with NaT times are dropped, repeated
times keep their first sample; a target time equal to a sample takes it as is;
between samples the straight line; outside the samples NaN, except up to
``extrapolate`` ns beyond the ends, where the line through the two end samples
is carried on. Sources sharing their time array share the search.
:func:`interp_linear` gives the whole result; :func:`interp_linear_chunks` the
same numbers a chunk of targets at a time, for a consumer that uses each chunk
while it is in the processor's cache.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["CHUNK", "interp_linear", "interp_linear_chunks"]

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
    columns: np.ndarray  # (c, n) float64 in the order of times (a view of the caller's if sorted)
    ext: int | None
    base: int  # sources with the same times and ``ext`` share their weights
    copy: bool  # the same times as the targets: copied, not resampled


@dataclass(frozen=True)
class _Weights:
    """How the targets of one chunk fall between the samples of one time base.

    One of three forms, tried in this order: ``run`` (the targets' lower samples
    are ``run, run + 1, ...``: read as slices), ``counts`` (targets in order, the
    first ``counts[0]`` below sample ``start + 1``, the next ``counts[1]`` below
    ``start + 2``...: each sample's value repeated) or the index arrays ``lo``,
    ``hi`` into the samples ``start:stop`` (gathered).
    """

    w: np.ndarray
    run: int | None = None
    start: int = 0
    stop: int = 0
    counts: np.ndarray | None = None
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    exact: np.ndarray | None = None  # targets on a sample (positions in the chunk)
    lost: np.ndarray | None = None  # targets without a value


def _same_times(a: np.ndarray, b: np.ndarray) -> bool:
    """``np.array_equal`` for int64 times, the ends compared first (most differ there)."""
    return (
        a.shape == b.shape
        and (not a.size or (a[0] == b[0] and a[-1] == b[-1]))
        and bool(np.array_equal(a, b))
    )


def _prepare(
    sources: Sequence[tuple[np.ndarray, np.ndarray, int | None]], d: np.ndarray, out: np.ndarray
) -> list[_Source]:
    prepared: list[_Source] = []
    seen: list[tuple[np.ndarray, int | None]] = []
    for times, values, ext in sources:
        t = np.asarray(times, dtype="datetime64[ns]").view(np.int64)
        v = np.asarray(values, dtype=np.float64)
        if np.may_share_memory(v, out):  # read from a copy what out overwrites
            v = v.copy()
        columns = v.reshape(v.shape[0], math.prod(v.shape[1:])).T
        same = t.size and t[0] != _NAT and _same_times(t, d)
        copy = bool(same and np.all(t[1:] > t[:-1]))
        base = next((i for i, (tt, e) in enumerate(seen) if e == ext and _same_times(tt, t)), -1)
        if base < 0:
            seen.append((t, ext))
            base = len(seen) - 1
        s, order = _clean(t)
        # sorted sources are read in place (slices and short windows: no copy of the whole)
        columns = columns if order is None else np.ascontiguousarray(columns[:, order])
        prepared.append(_Source(s, columns, ext, base, copy))
    return prepared


def _run(lo: np.ndarray) -> int | None:
    """The first of ``lo`` when it is ``a, a + 1, a + 2, ...``."""
    a = int(lo[0])
    if int(lo[-1]) != a + lo.size - 1:
        return None
    return a if lo.size == 1 or bool(np.all(np.diff(lo) == 1)) else None


def _exact(s_lo: np.ndarray, dst: np.ndarray) -> np.ndarray | None:
    exact = s_lo == dst
    return np.flatnonzero(exact) if exact.any() else None


def _inner_weights(s: np.ndarray, dst: np.ndarray, d0: int, d1: int) -> _Weights:
    """The weights when every target has a sample at or before it and one after it
    (no NaT, nothing outside, hi = lo + 1: the usual case, with fewer passes)."""
    m = dst.size
    # hi = np.searchsorted(s, dst, side="right") lies in [a, b] for every target
    a, b = (int(i) for i in np.searchsorted(s, [d0, d1], side="right"))
    if b - a == m - 1:
        # a target between each pair of samples (a source on the targets' cadence): check
        # s[a - 1 + i] <= dst[i] < s[a + i], which is hi = a + i, rather than search
        s_lo, s_hi = s[a - 1 : a - 1 + m], s[a : a + m]
        if bool(np.all(s_lo <= dst)) and bool(np.all(dst < s_hi)):
            return _Weights((dst - s_lo) / (s_hi - s_lo), run=a - 1, exact=_exact(s_lo, dst))
    if b - a < m and bool(np.all(dst[1:] >= dst[:-1])):
        # fewer samples than targets, targets in order: search the samples among the targets;
        # counts[k] targets have hi = a + k (k = 0 .. b - a)
        at = np.searchsorted(dst, s[a:b], side="left")
        counts = np.diff(at, prepend=0, append=m)
        s_lo, s_hi = np.repeat(s[a - 1 : b], counts), np.repeat(s[a : b + 1], counts)
        return _Weights(
            (dst - s_lo) / (s_hi - s_lo), start=a - 1, counts=counts, exact=_exact(s_lo, dst)
        )
    hi = np.searchsorted(s[a:b], dst, side="right")
    hi += a
    lo = hi - 1
    s_lo, s_hi = s[lo], s[hi]
    lo -= a - 1
    hi -= a - 1
    w = (dst - s_lo) / (s_hi - s_lo)
    return _Weights(w, start=a - 1, stop=b + 1, lo=lo, hi=hi, exact=_exact(s_lo, dst))


def _chunk_weights(s: np.ndarray, dst: np.ndarray, ext: int | None) -> _Weights:
    """The weights of the targets ``dst`` (a chunk, not empty) on the samples ``s``."""
    n, m = s.size, dst.size
    d0, d1 = dst.min(), dst.max()
    if n >= 2 and d0 >= s[0] and d1 < s[-1]:
        return _inner_weights(s, dst, int(d0), int(d1))
    lo, hi, w, exact, valid = _weights(s, dst, ext)
    lost = None if valid.all() else np.flatnonzero(~valid)
    exact_at = np.flatnonzero(exact) if exact.any() else None
    # a run with a sample after its end: hi is lo + 1 wherever the line counts (elsewhere
    # the target is on a sample or has no value), so the samples are two slices
    run = _run(lo)
    if run is not None and run + m < n:
        return _Weights(w, run=run, exact=exact_at, lost=lost)
    start, stop = int(lo.min()), int(hi.max()) + 1
    return _Weights(
        w, start=start, stop=stop, lo=lo - start, hi=hi - start, exact=exact_at, lost=lost
    )


def _fill(y: np.ndarray, column: np.ndarray, k: _Weights) -> None:
    """One component ``y`` of a chunk of targets from the source's ``column``:
    ``y0 + w (y1 - y0)``, ``y0`` at exact hits, NaN where there is no value."""
    if k.run is not None:
        y0 = column[k.run : k.run + y.size]
        np.subtract(column[k.run + 1 : k.run + 1 + y.size], y0, out=y)
        y *= k.w
    elif k.counts is not None:
        # (y1 - y0) of each pair of samples once, then repeated: the same numbers
        window = column[k.start : k.start + k.counts.size + 1]
        y0 = np.repeat(window[:-1], k.counts)
        # only the pairs some target falls between, as the gather would (inf - inf warns)
        step = np.zeros(k.counts.size)
        np.subtract(window[1:], window[:-1], out=step, where=k.counts > 0)
        np.multiply(np.repeat(step, k.counts), k.w, out=y)
    else:
        # the samples the chunk reads, contiguous (take copies a strided source whole)
        window = np.ascontiguousarray(column[k.start : k.stop])
        y0 = window.take(k.lo, mode="clip")  # indices in range; "raise" would buffer out
        np.take(window, k.hi, out=y, mode="clip")
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
    prepared = _prepare(sources, d, out)
    for c0 in range(0, d.size, CHUNK):
        c1 = min(c0 + CHUNK, d.size)
        _fill_chunk(prepared, d, c0, c1, flat[:, c0:c1])
    return out


def interp_linear_chunks(
    sources: Sequence[tuple[np.ndarray, np.ndarray, int | None]],
    dst: np.ndarray,
    buffer: np.ndarray,
) -> Iterator[tuple[int, int]]:
    """:func:`interp_linear`, :data:`CHUNK` targets at a time, into one small buffer.

    For a consumer that uses each chunk at once (``j_curl`` runs the
    curlometer on it): the whole ``(sources, m, c)`` result is never made, so
    it never goes through main memory. Each chunk holds, bit for bit, what
    :func:`interp_linear` gives for those targets.

    Parameters
    ----------
    sources, dst
        As for :func:`interp_linear`.
    buffer
        A ``(len(sources), k, c)`` float64 array, ``k >= min(CHUNK, len(dst))``,
        viewable as such (each component contiguous is fastest).

    Yields
    ------
    tuple of int
        ``(start, stop)``: ``buffer[:, : stop - start]`` now holds the targets
        ``dst[start:stop]``, until the next chunk is asked for.

    Examples
    --------
    >>> t = np.array([0, 10], "M8[s]").astype("M8[ns]")
    >>> buf = np.empty((1, 2, 1))
    >>> [(a, b, buf[0, : b - a, 0].tolist()) for a, b in interp_linear_chunks(
    ...     [(t, np.array([[0.0], [10.0]]), None)], t + np.timedelta64(4, "s"), buf)]
    [(0, 2, [4.0, nan])]
    """
    d = np.asarray(dst, dtype="datetime64[ns]").view(np.int64)
    prepared = _prepare(sources, d, buffer)
    for c0 in range(0, d.size, CHUNK):
        c1 = min(c0 + CHUNK, d.size)
        _fill_chunk(prepared, d, c0, c1, buffer[:, : c1 - c0])
        yield c0, c1


def _fill_chunk(prepared: list[_Source], d: np.ndarray, c0: int, c1: int, flat: np.ndarray) -> None:
    """Fill ``flat`` ``(sources, c1 - c0, c)`` with every source at the targets ``d[c0:c1]``;
    the sample search is done once per distinct source time base."""
    weights: dict[int, _Weights] = {}
    for k, src in enumerate(prepared):
        for j in range(flat.shape[2]):
            y = flat[k, :, j]
            if src.copy:
                y[...] = src.columns[j, c0:c1]
            elif src.times.size == 0:
                y[...] = np.nan
            else:
                if src.base not in weights:
                    weights[src.base] = _chunk_weights(src.times, d[c0:c1], src.ext)
                _fill(y, src.columns[j], weights[src.base])
