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

from collections.abc import Sequence

import numpy as np

__all__ = ["interp_linear"]

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


def _weights(
    s: np.ndarray, dst: np.ndarray, ext: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``lo``, ``hi`` sample indices, weight of ``hi``, exact hits and valid targets."""
    n = s.size
    dst_ok = dst != _NAT
    j = np.searchsorted(s, dst, side="right")
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


def interp_linear(
    sources: Sequence[tuple[np.ndarray, np.ndarray, int | None]],
    dst: np.ndarray,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Put every ``(times, values, extrapolate_ns)`` source on the times ``dst``.

    Parameters
    ----------
    sources
        Per source: ``datetime64[ns]`` (or int64 ns) times ``(n,)``, float
        values ``(n, c)`` and how far beyond its ends to extrapolate (ns, or
        None for not at all).
    dst
        Target times ``(m,)``.
    out
        Optional ``(len(sources), m, c)`` float64 array to fill.

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
    shape = (len(sources), d.size) + first.shape[1:]
    out = np.empty(shape) if out is None else out
    searched: list[tuple[np.ndarray, int | None, tuple]] = []
    for k, (times, values, ext) in enumerate(sources):
        t = np.asarray(times, dtype="datetime64[ns]").view(np.int64)
        v = np.asarray(values, dtype=np.float64)
        same = t.shape == d.shape and t.size and t[0] != _NAT and np.array_equal(t, d)
        if same and bool(np.all(t[1:] > t[:-1])):  # the same times: copied, not resampled
            out[k] = v
            continue
        s, order = _clean(t)
        if s.size == 0:
            out[k] = np.nan
            continue
        found = next((r for tt, e, r in searched if e == ext and np.array_equal(tt, t)), None)
        if found is None:
            found = _weights(s, d, ext)
            searched.append((t, ext, found))
        lo, hi, w, exact, valid = found
        if order is not None:
            lo, hi = order[lo], order[hi]
        any_exact = bool(exact.any())
        lost = None if valid.all() else ~valid
        rows = np.ascontiguousarray(v.reshape(v.shape[0], -1))
        res = out[k].reshape(d.size, -1)
        direct = np.may_share_memory(res, out)  # a view: written in place
        y = res if direct else np.empty_like(res)
        # all components at once: whole-row gathers, then y0 + w (y1 - y0)
        y0 = rows.take(lo, axis=0)
        np.take(rows, hi, axis=0, out=y)
        y -= y0
        y *= w[:, None]
        y += y0
        if any_exact:
            y[exact] = y0[exact]
        if lost is not None:
            y[lost] = np.nan
        if not direct:
            out[k] = y.reshape(out[k].shape)
    return out
