"""One chunk of an event search, and the assembly of chunk results into events.

A chunk owns the windows starting in ``[own_lo, own_hi)`` and the samples in
that range; it sees the samples ``[own_lo - W, own_hi + W)`` so that every
window touching its samples is evaluated in full. It returns only small
summaries: the runs of hit windows (global window indices, first/last sample
where the criterion holds) and, for segments of its own samples cut wherever an
event could start or stop, the min/max of each criterion variable and the
sum/count of each position component. Assembly merges runs across chunks
exactly and reads event values off the segments, so chunked and in-memory
searches give identical catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import CriteriaError
from .criteria import Criterion
from .windows import (
    merge_close,
    merge_runs,
    mode_over_window,
    runs_of,
    segment_reduce,
    window_hits,
)

__all__ = ["Grid", "ProbeResult", "assemble", "evaluate_chunk"]


@dataclass(frozen=True)
class Grid:
    """The regular time grid of a search: ``origin + i * dt`` for ``i < n`` (ns)."""

    origin: int
    dt: int
    n: int
    window: int  # W, samples
    step: int  # S, samples

    @property
    def n_windows(self) -> int:
        return -(-self.n // self.step)


@dataclass
class ProbeResult:
    """What one chunk returns for one probe."""

    runs: np.ndarray  # (m, 4) int64: k0, k1, first, last
    edges: np.ndarray  # (s + 1,) global sample indices
    stats: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    level: str = "sample"


def _visible_windows(grid: Grid, own_lo: int, own_hi: int) -> tuple[np.ndarray, int, int]:
    """Window indices touching ``[own_lo, own_hi)`` and the owned index range."""
    s, w = grid.step, grid.window
    k_lo = max(0, -(-(own_lo - w) // s))
    k_hi = min(grid.n_windows, -(-own_hi // s))
    own_k_lo, own_k_hi = -(-own_lo // s), min(grid.n_windows, -(-own_hi // s))
    return np.arange(k_lo, k_hi, dtype=np.int64), own_k_lo, own_k_hi


def _window_views(
    arrays: dict[str, np.ndarray], starts: np.ndarray, grid: Grid, lo: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``(n_windows, W)`` strided views (NaN-padded) and the real-sample mask."""
    w, s = grid.window, grid.step
    first = int(starts[0] - lo) if starts.size else 0
    views = {}
    for name, a in arrays.items():
        padded = np.concatenate([a, np.full(w, np.nan)])
        views[name] = sliding_window_view(padded, w)[first::s][: starts.size]
    inside = (starts[:, None] + np.arange(w)[None, :]) < grid.n
    return views, inside


def evaluate_chunk(
    criterion: Criterion,
    arrays: dict[str, np.ndarray],
    positions: dict[str, np.ndarray] | None,
    grid: Grid,
    lo: int,
    own_lo: int,
    own_hi: int,
    mode: str | float,
) -> ProbeResult:
    """Evaluate windows and summarise one chunk for one probe.

    ``arrays`` hold the criterion variables on grid samples ``lo..lo+L-1``,
    which must include ``[own_lo - W, own_hi + W)`` clipped to ``[0, n)``.
    """
    length = len(next(iter(arrays.values())))
    ks, own_k_lo, own_k_hi = _visible_windows(grid, own_lo, own_hi)
    starts = ks * grid.step
    local = starts - lo
    valid = np.ones(length, bool)
    for a in arrays.values():
        valid &= np.isfinite(a)
    level = criterion.level
    raw = None
    if level == "auto":
        with np.errstate(all="ignore"):
            raw = np.asarray(criterion.evaluate(arrays))
        if raw.shape == (length,):
            level = "sample"
        elif raw.size <= 1:
            level = "loop"
        else:
            raise CriteriaError(
                f"criteria {criterion.text!r} returned shape {raw.shape} for {length} samples: "
                "return one boolean per sample, or one per window"
            )
    if level == "sample":
        if raw is None:
            raw = criterion.evaluate(arrays)
        truth = np.asarray(raw, dtype=bool) & valid
        hits = window_hits(truth, valid, local, grid.window, mode)
    else:
        truth = np.ones(length, bool)
        if level == "loop":
            hits = _loop_windows(criterion, arrays, local, grid.window)
        elif ks.size:
            views, inside = _window_views(arrays, starts, grid, lo)
            res = criterion.evaluate_windows(views, inside)
            hits = res if res.ndim == 1 else mode_over_window(res, inside, mode)
        else:
            hits = np.zeros(0, bool)
    # runs of owned hit windows
    owned = (ks >= own_k_lo) & (ks < own_k_hi)
    r0, r1 = runs_of(hits & owned)
    true_at = np.flatnonzero(truth)
    first, last = _run_ends(ks[r0], ks[r1], true_at, grid, lo)
    runs = np.column_stack([ks[r0], ks[r1], first, last]).astype(np.int64)
    # segments of the owned samples, cut wherever an event may start or stop: events start at
    # the first and stop at the last true sample of a run of hit windows, and every run
    # touching the owned samples is visible here (cuts from runs truncated at the edge of
    # what this chunk sees are extra, which is harmless)
    v0, v1 = runs_of(hits)
    v_first, v_last = _run_ends(ks[v0], ks[v1], true_at, grid, lo)
    edges = np.unique(np.concatenate([[own_lo, own_hi], v_first, v_last + 1]).astype(np.int64))
    edges = edges[(edges >= own_lo) & (edges <= own_hi)]
    seg = edges[:-1] - own_lo
    sl = slice(own_lo - lo, own_hi - lo)
    stats = {}
    for name, a in arrays.items():
        stats[name] = segment_reduce(a[sl], seg, ("min", "max"))
    for comp, a in (positions or {}).items():
        stats[f"@pos_{comp}"] = segment_reduce(a[sl], seg, ("sum", "count"))
    return ProbeResult(runs, edges, stats, level)


def _run_ends(
    k0: np.ndarray, k1: np.ndarray, true_at: np.ndarray, grid: Grid, lo: int
) -> tuple[np.ndarray, np.ndarray]:
    """First and last true sample (global) within the spans of window runs ``k0..k1``.

    ``true_at`` holds the local indices where the criterion holds (sorted); every
    run of hit windows holds at least one.
    """
    span_lo = k0 * grid.step - lo
    span_hi = np.minimum(k1 * grid.step + grid.window, grid.n) - lo
    if true_at.size == 0:
        return span_lo + lo, span_hi - 1 + lo
    first = true_at[np.minimum(np.searchsorted(true_at, span_lo), true_at.size - 1)]
    last = true_at[np.maximum(np.searchsorted(true_at, span_hi) - 1, 0)]
    return first + lo, last + lo


def _loop_windows(
    criterion: Criterion, arrays: dict[str, np.ndarray], local: np.ndarray, width: int
) -> np.ndarray:
    """AIDApy-compatible path: a callable answering once per window, called per window."""
    names = criterion.names
    hits = np.zeros(local.size, bool)
    with np.errstate(all="ignore"):
        for i, s in enumerate(local):
            part = [
                np.array(arrays[n][s : s + width]) for n in names
            ]  # copies: the callable may write
            hits[i] = bool(np.any(np.asarray(criterion.source(*part))))
    return hits


@dataclass(frozen=True)
class RawEvent:
    """An assembled event in grid samples, with its values and mean position."""

    first: int
    last: int
    values: dict[str, float]
    location: tuple[float, float, float] | None


def assemble(
    results: list[ProbeResult], grid: Grid, merge_gap_ns: int, min_duration_ns: int
) -> list[RawEvent]:
    """Merge the chunk results of one probe into events with their values."""
    results = [r for r in results if r is not None]
    if not results:
        return []
    runs = np.concatenate([r.runs for r in results]) if results else np.zeros((0, 4), np.int64)
    merged = merge_runs(runs)
    first, last = merge_close(merged[:, 2], merged[:, 3], merge_gap_ns / grid.dt)
    keep = (last - first) * grid.dt >= min_duration_ns
    first, last = first[keep], last[keep]
    if first.size == 0:
        return []
    seg_lo = np.concatenate([r.edges[:-1] for r in results])
    seg_hi = np.concatenate([r.edges[1:] for r in results])
    order = np.argsort(seg_lo, kind="stable")
    seg_lo, seg_hi = seg_lo[order], seg_hi[order]
    keys = list(results[0].stats)
    stats = {
        k: {s: np.concatenate([r.stats[k][s] for r in results])[order] for s in results[0].stats[k]}
        for k in keys
    }
    a = np.searchsorted(seg_lo, first)
    b = np.searchsorted(seg_hi, last + 1)
    ok = (a < seg_lo.size) & (b < seg_hi.size)
    ok[ok] &= (seg_lo[a[ok]] == first[ok]) & (seg_hi[b[ok]] == last[ok] + 1)
    if not ok.all():  # pragma: no cover - would be a bug in evaluate_chunk
        raise RuntimeError("event boundaries do not fall on segment edges; please report this")
    # per-event reductions over the segments a[i]..b[i], all events at once
    # (events are disjoint and sorted, so [a, b] ranges are too: reduceat over
    # the starts, with each event's end cut off by a following boundary)
    bounds = np.stack([a, b + 1], axis=1).reshape(-1)
    tail = bounds[-1] == seg_lo.size
    idx = bounds[:-1] if tail else bounds

    def per_event(ufunc: np.ufunc, arr: np.ndarray) -> np.ndarray:
        return ufunc.reduceat(arr, idx)[::2]

    columns: dict[str, np.ndarray] = {}
    for k in keys:
        if k.startswith("@pos_"):
            continue
        columns[f"{k}_min"] = per_event(np.fmin, stats[k]["min"])
        columns[f"{k}_max"] = per_event(np.fmax, stats[k]["max"])
    loc = None
    if "@pos_x" in stats:
        with np.errstate(invalid="ignore", divide="ignore"):
            loc = np.stack(
                [
                    per_event(np.add, stats[f"@pos_{c}"]["sum"])
                    / per_event(np.add, stats[f"@pos_{c}"]["count"])
                    for c in ("x", "y", "z")
                ],
                axis=1,
            )
        loc[~np.isfinite(loc)] = np.nan
    names = list(columns)
    table = np.stack([columns[n] for n in names], axis=1).tolist() if names else [[]] * first.size
    locs = loc.tolist() if loc is not None else None
    events = []
    for i, (f, l_) in enumerate(zip(first.tolist(), last.tolist())):
        location = None
        if locs is not None and not all(np.isnan(locs[i])):
            location = (locs[i][0], locs[i][1], locs[i][2])
        events.append(RawEvent(f, l_, dict(zip(names, table[i])), location))
    return events
