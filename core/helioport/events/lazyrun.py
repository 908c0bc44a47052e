"""Event search on a lazy (dask-backed) Dataset, chunk by chunk.

A Dataset from ``helioport.load(..., lazy=True)`` is searched like a long
request: the plan (grid, window, probes) is made from its time coordinates
alone (:func:`planning_view`: the values are not read), then every chunk of
the grid is cut from the Dataset with one window plus the margin of overlap
each side (what :func:`helioport.events.chunks.run_chunk` needs to give the
same summary as a search of the whole), read, and summarised. The chunk
summaries merge exactly, so the catalog is the one an eager search of the
same Dataset gives.

Sequentially, one chunk is in memory at a time. With dask (``use_dask=True``,
or a ``dask.distributed`` client active) each chunk is a task whose lazy
slice is read on the worker that runs it: from the cache the Dataset was
opened from when the worker sees the same file there, else fetched into the
worker's own cache (:func:`helioport.lazy.read_block`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from ..naming import find_time_dim
from .chunks import ChunkResult, Plan, run_chunk
from .planning import AUTO_CHUNK_SAMPLES, AUTO_CHUNK_WINDOWS, SearchSettings

__all__ = ["chunk_dataset", "lazy_plan", "planning_view", "run_dataset_chunks"]


def planning_view(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with every dask-backed variable replaced by zeros that take no memory.

    Planning a search needs the time coordinates (cadence, extent) and the
    variables' names and shapes, not their values.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> planning_view(xr.Dataset({"a": ("t", np.ones(3))}))["a"].values
    array([1., 1., 1.])
    """
    out = ds.copy(deep=False)
    for name, var in ds.data_vars.items():
        if var.chunks is not None:
            zeros = np.broadcast_to(np.zeros((), dtype=var.dtype), var.shape)
            out[name] = var.copy(data=zeros)
    return out


def lazy_plan(plan: Plan, settings: SearchSettings) -> Plan:
    """A Dataset's plan (one chunk) cut into chunks as a request's would be.

    ``chunk="auto"`` gives :data:`~helioport.events.planning.AUTO_CHUNK_SAMPLES`
    grid samples (at least :data:`~helioport.events.planning.AUTO_CHUNK_WINDOWS`
    windows), a multiple of the step.
    """
    g, s = plan.grid, plan.grid.step
    if settings.chunk is None:
        n = max(AUTO_CHUNK_SAMPLES, AUTO_CHUNK_WINDOWS * g.window) // s * s or s
    else:
        n = max(s, round(settings.chunk / g.dt / s) * s)
    return replace(plan, chunk=n, first=n)


def chunk_dataset(ds: xr.Dataset, plan: Plan, j: int) -> xr.Dataset:
    """The part of ``ds`` chunk ``j`` needs: its grid samples, one window and the margin each side.

    Still lazy: nothing is read.
    """
    lo, hi, _, _ = plan.bounds(j)
    g = plan.grid
    t0 = np.datetime64(g.origin + lo * g.dt - plan.margin, "ns")
    t1 = np.datetime64(g.origin + hi * g.dt + plan.margin, "ns")
    cuts = {}
    for name in ds.data_vars:
        tdim = find_time_dim(ds[name])
        if tdim is None or tdim in cuts:
            continue
        t = np.asarray(ds[tdim].values, dtype="datetime64[ns]")
        i0, i1 = np.searchsorted(t, [t0, t1], side="left")
        i1 += int(i1 < t.size and t[i1] == t1)
        cuts[tdim] = slice(int(i0), int(i1))
    return ds.isel(cuts)


def chunk_bar(n: int, progress: bool | None) -> tqdm:
    """The progress bar over a search's ``n`` chunks (``progress=None``: shown on a terminal)."""
    return tqdm(
        total=n,
        desc="find_events",
        unit="chunk",
        disable=None if progress is None else not progress,
        leave=False,
    )


def run_dataset_chunks(
    plan: Plan, ds: xr.Dataset, progress: bool | None, dask_on: bool
) -> list[ChunkResult]:
    """Summarise every chunk of the lazy ``ds``: one at a time, or as dask tasks."""
    n = plan.n_chunks
    bar = chunk_bar(n, progress)
    results: list[ChunkResult] = []
    try:
        if dask_on:
            import dask

            plan_d = dask.delayed(plan, pure=True)
            tasks = [
                dask.delayed(run_chunk, pure=True)(plan_d, j, chunk_dataset(ds, plan, j))
                for j in range(n)
            ]
            results.extend(dask.compute(*tasks))
            bar.update(n)
        else:
            for j in range(n):
                part = chunk_dataset(ds, plan, j).compute(scheduler="synchronous")
                results.append(run_chunk(plan, j, part))
                bar.update(1)
    finally:
        bar.close()
    return results
