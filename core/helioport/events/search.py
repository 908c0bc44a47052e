"""``find_events``: search a Dataset or a (long) request for events.

The search puts every criterion variable on one regular time grid, evaluates
the criterion, slides windows of ``window`` every ``step`` over the grid
(vectorised with cumulative sums; the final, partial windows count), merges
hit windows into events and measures each event. Requests are processed
chunk by chunk (sequentially with a progress bar, or as dask tasks), each
chunk loaded with one window of overlap; the chunk summaries merge exactly,
so the result does not depend on the chunk size. See :mod:`.windows` for the
precise definitions of hits, event start/stop, merging and durations.

A search runs in five steps, one function each: check the settings and plan
the chunks (:func:`.planning.check_settings`, :func:`.planning.plan_chunks`,
which probes a request for its cadence and probes), run the chunks
(:func:`_run_chunks`), merge their summaries into events
(:func:`_merge_events`) and build the catalog (:func:`_build_catalog`).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import xarray as xr

from ..errors import InvalidRequestError, warn_caller
from ..lazyblocks import is_lazy
from ..lifecycle.coverage import merge_spans
from ..times import format_time, from_ns
from .catalog import Event, EventCatalog, helioport_version
from .chunks import ChunkResult, Plan, run_chunk
from .criteria import CriteriaLike
from .engine import assemble
from .lazyrun import chunk_bar, lazy_plan, planning_view, run_dataset_chunks
from .planning import SearchSettings, check_settings, plan_chunks

__all__ = ["find_events"]


def find_events(
    source: xr.Dataset | Mapping[str, Any] | tuple | Any,
    criteria: CriteriaLike,
    window: Any = "120s",
    step: Any = "60s",
    *,
    probes: str | list[str] | None = None,
    sample_freq: float | None = None,
    mode: str | float = "any",
    merge_gap: Any = "0s",
    min_duration: Any = "0s",
    chunk: Any = "auto",
    loader: Callable[..., xr.Dataset] | None = None,
    progress: bool | None = None,
    use_dask: bool | None = None,
) -> EventCatalog:
    """Search data for time intervals where a criterion holds.

    Parameters
    ----------
    source
        A Dataset from :func:`helioport.load`, or a request: a dict with
        ``mission, start, end`` and optionally ``probes, mode, coords`` (and
        other loader keywords), a tuple ``(mission, start, end[, probes[, mode[,
        coords]]])``, or a :class:`helioport.schema.Request`.
    criteria
        An expression string (``"dc_mag_tot < 5 and abs(e_bulkv_x) > 4000"``)
        or a callable whose parameter names are products with an optional
        component suffix (see :mod:`helioport.events.criteria`).
    window, step
        Window length and spacing (``"120s"``, seconds, timedelta), rounded to
        whole grid samples.
    probes
        Probes to search (each separately); default: every probe whose data
        holds all criterion variables.
    sample_freq
        Grid frequency in Hz; default the coarsest cadence among the criterion
        variables. Finer variables are averaged per grid cell, coarser ones take
        the nearest sample (stated in ``settings["resampling"]``).
    mode
        For sample-level criteria, when a window counts: ``"any"`` sample
        holds, ``"all"`` samples with data hold, or a fraction in (0, 1].
    merge_gap
        Events closer than this (``next.start - previous.stop``) merge;
        overlapping events always merge.
    min_duration
        Events with ``stop - start`` shorter than this are dropped.
    chunk
        Request mode: length of the pieces loaded one at a time (memory
        bound); each piece also loads one window beyond its edges. ``"auto"``
        (default): about 200 000 grid samples (139 days of 1-min data, 3.5 h
        of 16 Hz data), at least 8 windows.
    loader
        ``loader(mission, start, end, products=, probes=, coords=, mode=)``
        returning a Dataset; default :func:`helioport.api.load` with this
        process's mirrors and offline setting, wherever a chunk runs
        (:class:`.planning.RequestLoader`).
    progress
        Show a tqdm progress bar over chunks (``None``: only on a terminal).
    use_dask
        Run chunks as dask tasks (``None``: when a ``dask.distributed`` client
        is active). Results are identical to the sequential run. A lazy
        Dataset (``helioport.load(..., lazy=True)``) is searched chunk by
        chunk too, reading one chunk (plus a window of overlap) at a time
        (:mod:`.lazyrun`), or as dask tasks on the workers. A worker reads a
        file from the cache of the process that opened the load when it sees
        it there, else fetches it into its own cache (no shared disk needed).

    Returns
    -------
    EventCatalog
        Events (start/stop = first/last grid sample where the criterion holds
        within the merged hit windows; for window-level criteria the first and
        last sample of the merged windows), with the min/max of each criterion
        variable and, when the data has ``sc_pos``, its mean (km) during each
        event as the location (optional: a search without positions gives
        events without location and says why in ``provenance["location"]``),
        the search settings and the provenance. ``provenance["start"]`` and
        ``["end"]`` are the span actually searched, ``["searched"]`` its
        intervals and, for a request, ``["requested"]`` the span asked.

    Warns
    -----
    UserWarning
        When the archive has no data for part of a requested range: those
        parts are not searched, and the catalog records what was.

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> t = pd.date_range("2020-01-01", periods=60, freq="1min").values
    >>> b = np.full((60, 3), 10.0); b[30:33] = 1.0
    >>> ds = xr.Dataset({"dc_mag": (("time_dc_mag", "component"), b)},
    ...                 coords={"time_dc_mag": t, "component": ["x", "y", "z"]})
    >>> cat = find_events(ds, "dc_mag_tot < 5", window="5min", step="1min", progress=False)
    >>> [(str(e.start.time()), str(e.stop.time())) for e in cat]
    [('00:30:00', '00:32:00')]
    """
    settings = check_settings(
        criteria,
        window,
        step,
        probes=probes,
        sample_freq=sample_freq,
        mode=mode,
        merge_gap=merge_gap,
        min_duration=min_duration,
        chunk=chunk,
    )
    if isinstance(source, xr.Dataset) and is_lazy(source):  # read chunk by chunk: .lazyrun
        plan, _ = plan_chunks(planning_view(source), settings, loader)
        plan = lazy_plan(plan, settings)
        results = run_dataset_chunks(plan, source, progress, _want_dask(use_dask))
    else:
        plan, first = plan_chunks(source, settings, loader)
        results = _run_chunks(plan, first, progress, use_dask)
    events = _merge_events(plan, results, settings)
    dataset = source if isinstance(source, xr.Dataset) else None
    return _build_catalog(events, plan, results, settings, dataset)


# --------------------------------------------------------------------------- 3. run


def _run_chunks(
    plan: Plan, first: xr.Dataset | None, progress: bool | None, use_dask: bool | None
) -> list[ChunkResult]:
    """Summarise every chunk: chunk 0 from ``first`` when given, the others loaded
    one by one (with a progress bar) or as dask tasks."""
    n = plan.n_chunks
    todo = range(0 if first is None else 1, n)
    dask_on = plan.request is not None and _want_dask(use_dask)
    bar = chunk_bar(n, progress)
    results: list[ChunkResult] = []
    try:
        if first is not None:
            results.append(run_chunk(plan, 0, first))
            bar.update(1)
        if dask_on:
            import dask

            plan_d = dask.delayed(plan, pure=True)
            size = _dask_batch()
            for b in range(todo.start, n, size):
                tasks = [
                    dask.delayed(run_chunk, pure=True)(plan_d, j)
                    for j in range(b, min(n, b + size))
                ]
                results.extend(dask.compute(*tasks))
                bar.update(len(tasks))
        else:
            for j in todo:
                results.append(run_chunk(plan, j))
                bar.update(1)
    finally:
        bar.close()
    return results


def _want_dask(use_dask: bool | None) -> bool:
    if use_dask is False:
        return False
    if use_dask is None:
        if "distributed" not in sys.modules:
            return False
        try:
            from distributed import default_client

            default_client()
            return True
        except (ImportError, ValueError):
            return False
    try:
        import dask  # noqa: F401
    except ImportError:
        raise InvalidRequestError(
            "use_dask=True needs dask: pip install 'dask[distributed]' (or leave use_dask=None)"
        ) from None
    return True


def _dask_batch() -> int:
    try:
        from distributed import default_client

        return max(2, 2 * sum(default_client().nthreads().values()))
    except (ImportError, ValueError):
        return max(2, 2 * (os.cpu_count() or 1))


# --------------------------------------------------------------------------- 4. merge


def _merge_events(plan: Plan, results: list[ChunkResult], settings: SearchSettings) -> list[Event]:
    """The events of every probe, from the chunk summaries, sorted by start then probe."""
    grid = plan.grid
    events: list[Event] = []
    with _no_gc():  # thousands of small objects: no full collections while they are made
        for probe in plan.probes:
            raws = assemble(
                [r.results[probe] for r in results], grid, settings.merge_gap, settings.min_duration
            )
            ns = (
                np.array([[r.first, r.last] for r in raws], dtype=np.int64).reshape(-1, 2) * grid.dt
                + grid.origin
            )
            starts, stops = ([from_ns(v) for v in ns[:, i].tolist()] for i in (0, 1))
            for raw, start, stop in zip(raws, starts, stops):
                events.append(
                    Event(
                        start=start,
                        stop=stop,
                        values=raw.values,
                        location=raw.location,
                        probe=probe,
                    )
                )
    events.sort(key=lambda e: (e.start, e.probe or ""))
    return events


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (if on) for the block; nothing made there is cyclic garbage."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# --------------------------------------------------------------------------- 5. catalog


def _build_catalog(
    events: list[Event],
    plan: Plan,
    results: list[ChunkResult],
    settings: SearchSettings,
    dataset: xr.Dataset | None,
) -> EventCatalog:
    """The catalog: the events, the search settings and the provenance (``dataset``: the one searched)."""
    info: dict[str, Any] = {}
    for r in results:
        for k, v in r.info.items():
            info.setdefault(k, {}).update(v)
    crit, grid, req = settings.criterion, plan.grid, plan.request
    level = next((p.level for r in results for p in r.results.values()), crit.level)
    dt_ns = grid.dt
    catalog_settings = {
        "criteria": crit.text,
        "variables": list(crit.names),
        "level": {"loop": "window"}.get(level, level),
        "window": _seconds_text(settings.window),
        "step": _seconds_text(settings.step),
        "window_s": grid.window * dt_ns / 1e9,
        "step_s": grid.step * dt_ns / 1e9,
        "mode": settings.mode,
        "sample_freq": 1e9 / dt_ns,
        "resampling": info.get("resampling", {}),
        "merge_gap": _seconds_text(settings.merge_gap),
        "min_duration": _seconds_text(settings.min_duration),
        "chunk": _seconds_text(plan.chunk * dt_ns) if req is not None else None,
        "event_times": "first/last grid sample where the criterion holds within the merged hit windows",
    }
    last_ns = req.end if req is not None else grid.origin + (grid.n - 1) * grid.dt
    searched = merge_spans([s for r in results for s in r.searched])
    start_ns = searched[0][0] if searched else grid.origin
    end_ns = min(searched[-1][1], last_ns) if searched else start_ns
    attrs = dataset.attrs if dataset is not None else {}
    location = info.get("location", {}).get("location")
    if location is None:
        location = "none: " + (plan.no_position or "the data holds no sc_pos (spacecraft position)")
    provenance = {
        "mission": req.mission if req is not None else attrs.get("mission"),
        "probes": [p for p in plan.probes if p is not None],
        "products": list(settings.products),
        "coords": req.coords if req is not None else attrs.get("coords"),
        "data_mode": req.mode if req is not None else None,
        "start": format_time(from_ns(start_ns)),
        "end": format_time(from_ns(end_ns)),
        "searched": [f"{format_time(from_ns(a))}/{format_time(from_ns(b))}" for a, b in searched],
        "variables": info.get("variables", {}),
        "location": location,
        "source": "request" if req is not None else "dataset",
        "created": format_time(dt.datetime.now(dt.timezone.utc)),
        "helioport_version": helioport_version(),
    }
    if req is not None:
        asked = f"{format_time(from_ns(req.start))}/{format_time(from_ns(req.end))}"
        provenance["requested"] = asked
        if searched != [(req.start, req.end)]:
            reasons = [r.missing for r in results if r.missing]
            shown = ", ".join(provenance["searched"]) or "nothing"
            why = f" {len(reasons)} of {len(results)} chunk(s) short of data, e.g.: {reasons[0]}"
            warn_caller(
                f"find_events: {req.mission} has data for only part of {asked}; searched "
                f"{shown} (catalog provenance 'searched').{why if reasons else ''}"
            )
    return EventCatalog(events=events, settings=catalog_settings, provenance=provenance)


def _seconds_text(ns: int) -> str:
    """``"600s"``, ``"2592000s"``, ``"0.25s"``: exact text of a duration in seconds."""
    whole, frac = divmod(int(ns), 10**9)
    return f"{whole}s" if not frac else f"{whole}.{frac:09d}".rstrip("0") + "s"
