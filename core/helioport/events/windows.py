"""Pure numpy window logic: window counts, hits, runs, event merging, segments.

Everything works on integer sample indices of a regular grid; no Python loop
runs over windows or samples.

Definitions (``S`` step and ``W`` window in samples, ``N`` grid samples):

- window ``k`` covers samples ``[k*S, min(k*S + W, N))``; windows exist for
  every ``k`` with ``k*S < N``, so the last, partial windows are kept;
- with a sample-level criterion a window is a *hit* when the number of samples
  where the criterion holds is ``> 0`` (``mode="any"``), equals the number of
  samples with finite data (``"all"``), or is at least ``fraction`` of it;
- hit windows with consecutive indices (or overlapping spans) form a run; an
  event spans from the first to the last sample where the criterion holds
  inside its run's windows (window-level criteria: the run's first and last
  samples);
- events whose gap (``next.start - previous.stop``) is ``<= 0`` or
  ``< merge_gap`` merge; events with ``stop - start < min_duration`` are dropped.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "merge_close",
    "merge_runs",
    "mode_over_window",
    "runs_of",
    "segment_reduce",
    "window_hits",
    "windows_holding",
]

Mode = str | float


def window_hits(
    truth: np.ndarray, valid: np.ndarray, starts: np.ndarray, width: int, mode: Mode
) -> np.ndarray:
    """Whether each window ``[s, s + width)`` (clipped to the arrays) is a hit.

    Examples
    --------
    >>> t = np.array([0, 1, 1, 0, 0, 1], bool)
    >>> window_hits(t, np.ones(6, bool), np.array([0, 1, 4]), 2, "all")
    array([False,  True, False])
    >>> window_hits(t, np.ones(6, bool), np.array([0, 2, 4, 5]), 2, "any")
    array([ True,  True,  True,  True])
    """
    n = truth.size
    a = np.clip(starts, 0, n)
    b = np.clip(starts + width, 0, n)
    if mode == "any":
        at = np.flatnonzero(truth)
        if at.size < n // 8:  # few true samples: mark the windows each one falls in
            return windows_holding(at, starts, width)
    c_true = np.concatenate(([0], np.cumsum(truth, dtype=np.int64)))
    count = c_true[b] - c_true[a]
    if mode == "any":
        return count > 0
    c_valid = np.concatenate(([0], np.cumsum(valid, dtype=np.int64)))
    nvalid = c_valid[b] - c_valid[a]
    if mode == "all":
        return (count > 0) & (count == nvalid)
    return (count > 0) & (count >= float(mode) * nvalid - 1e-9)


def windows_holding(at: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Whether each window ``[s, s + width)`` holds one of the sample indices ``at``.

    For regularly spaced ``starts`` (as windows are): sample ``i`` lies in the
    windows ``k`` with ``s0 + k S <= i < s0 + k S + width``, a range of ``k``
    marked with +1/-1 at its ends; the running sum is then positive exactly in
    the windows holding a sample. Costs O(len(at) + len(starts)), not
    O(samples).

    Examples
    --------
    >>> windows_holding(np.array([3, 9]), np.arange(0, 12, 2), 3)
    array([False,  True, False, False,  True, False])
    """
    nw = starts.size
    if nw == 0:
        return np.zeros(0, bool)
    step = int(starts[1] - starts[0]) if nw > 1 else 1
    s0 = int(starts[0])
    if nw > 1 and (step <= 0 or (np.diff(starts) != step).any()):  # not regular: binary search
        return np.searchsorted(at, starts + width) > np.searchsorted(at, starts)
    k_lo = np.maximum(-((s0 + width - 1 - at) // step), 0)  # ceil((i - width + 1 - s0) / step)
    k_hi = np.minimum((at - s0) // step, nw - 1)
    keep = k_lo <= k_hi
    marks = np.bincount(k_lo[keep], minlength=nw + 1) - np.bincount(
        k_hi[keep] + 1, minlength=nw + 1
    )
    return np.cumsum(marks[:nw]) > 0


def mode_over_window(res: np.ndarray, inside: np.ndarray, mode: Mode) -> np.ndarray:
    """Window hits from ``(n_windows, width)`` booleans (window-level criteria)."""
    count = np.sum(res & inside, axis=1)
    if mode == "any":
        return count > 0
    nvalid = np.sum(inside, axis=1)
    if mode == "all":
        return (count > 0) & (count == nvalid)
    return (count > 0) & (count >= float(mode) * nvalid - 1e-9)


def runs_of(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last index (inclusive) of each run of ``True``.

    Examples
    --------
    >>> runs_of(np.array([1, 1, 0, 1, 0, 0, 1], bool))
    (array([0, 3, 6]), array([1, 3, 6]))
    """
    m = np.concatenate(([False], mask.astype(bool), [False]))
    d = np.diff(m.astype(np.int8))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1


def _groups(new_group: np.ndarray) -> np.ndarray:
    """Start positions of groups given a 'starts a new group' mask (first is True)."""
    return np.flatnonzero(new_group)


def merge_runs(runs: np.ndarray) -> np.ndarray:
    """Merge run rows ``[k0, k1, first, last]`` with consecutive or overlapping windows.

    Rows may come from several chunks, in any order; returns merged rows
    sorted by ``k0`` (``first``/``last`` the extremes of the merged rows).

    Examples
    --------
    >>> merge_runs(np.array([[5, 6, 52, 61], [0, 2, 3, 20], [3, 3, 30, 31]]))
    array([[ 0,  3,  3, 31],
           [ 5,  6, 52, 61]])
    """
    if runs.size == 0:
        return runs.reshape(0, 4)
    runs = runs[np.argsort(runs[:, 0], kind="stable")]
    reach = np.maximum.accumulate(runs[:, 1])
    new = np.ones(len(runs), bool)
    new[1:] = runs[1:, 0] > reach[:-1] + 1
    starts = _groups(new)
    return np.column_stack(
        [
            runs[starts, 0],
            np.maximum.reduceat(runs[:, 1], starts),
            np.minimum.reduceat(runs[:, 2], starts),
            np.maximum.reduceat(runs[:, 3], starts),
        ]
    )


def merge_close(first: np.ndarray, last: np.ndarray, gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge events (sample indices) that overlap or are closer than ``gap`` samples.

    Examples
    --------
    >>> merge_close(np.array([0, 10, 13]), np.array([5, 11, 20]), 3)
    (array([ 0, 10]), array([ 5, 20]))
    """
    if first.size == 0:
        return first, last
    order = np.argsort(first, kind="stable")
    first, last = first[order], last[order]
    reach = np.maximum.accumulate(last)
    d = first[1:] - reach[:-1]
    new = np.ones(first.size, bool)
    new[1:] = (d > 0) & ~(d < gap)
    starts = _groups(new)
    return first[starts], np.maximum.reduceat(last, starts)


def segment_reduce(
    values: np.ndarray, starts: np.ndarray, what: tuple[str, ...] = ("min", "max", "sum", "count")
) -> dict[str, np.ndarray]:
    """Per-segment ``min``, ``max`` (NaN ignored), ``sum`` and ``count`` of finite values.

    ``starts`` are segment starts relative to ``values`` (each segment runs to
    the next start, the last to the end); ``what`` names the reductions wanted.
    """
    if values.size == 0 or starts.size == 0:
        return {k: np.zeros(0) for k in what}
    out: dict[str, np.ndarray] = {}
    if "min" in what:
        out["min"] = np.fmin.reduceat(values, starts)
    if "max" in what:
        out["max"] = np.fmax.reduceat(values, starts)
    if "sum" in what or "count" in what:
        finite = np.isfinite(values)
        if "sum" in what:
            out["sum"] = np.add.reduceat(np.where(finite, values, 0.0), starts)
        if "count" in what:
            out["count"] = np.add.reduceat(finite.astype(np.int64), starts)
    return out
