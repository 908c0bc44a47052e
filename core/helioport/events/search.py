"""``find_events``: search a Dataset or a (long) request for events.

The search puts every criterion variable on one regular time grid, evaluates
the criterion, slides windows of ``window`` every ``step`` over the grid
(vectorised with cumulative sums; the final, partial windows count), merges
hit windows into events and measures each event. Requests are processed
chunk by chunk (sequentially with a progress bar, or as dask tasks), each
chunk loaded with one window of overlap; the chunk summaries merge exactly,
so the result does not depend on the chunk size. See :mod:`.windows` for the
precise definitions of hits, event start/stop, merging and durations.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import CriteriaError, DataNotFoundError, InvalidRequestError, UnknownProductError
from ..times import format_time
from .catalog import Event, EventCatalog
from .chunks import _ChunkOut, _dt, _normalise_source, _Plan, _Request, _run_chunk
from .criteria import CriteriaLike, Criterion, parse_criteria
from .engine import Grid, assemble
from .resolve import MARGIN_EXTRA_NS, infer_probes, resolve_series

__all__ = ["find_events", "helioport_version", "to_timedelta_ns"]

log = logging.getLogger(__name__)


def helioport_version() -> str:
    """The installed helioport version (``"unknown"`` when not installed)."""
    try:
        from importlib.metadata import version

        return version("helioport")
    except Exception:  # noqa: BLE001 - not installed, or broken metadata
        return "unknown"


def to_timedelta_ns(value: Any, what: str = "duration") -> int:
    """A duration in ns from ``"120s"``, ``"30D"``, seconds, or a timedelta.

    Examples
    --------
    A bare number, or a string holding one (``"10"`` from a command line), is
    seconds (pandas would read ``"10"`` as nanoseconds).

    >>> to_timedelta_ns("2min"), to_timedelta_ns(1.5), to_timedelta_ns("10")
    (120000000000, 1500000000, 10000000000)
    """
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    try:
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            td = pd.Timedelta(seconds=float(value))
        else:
            td = pd.Timedelta(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidRequestError(
            f"{what}: cannot read {value!r} as a duration; use e.g. '120s', '2min', '30D' or seconds"
        ) from exc
    if td is pd.NaT or td.value < 0:
        raise InvalidRequestError(f"{what} must be a positive duration, not {value!r}")
    return int(td.value)


def _seconds_text(ns: int) -> str:
    """``"600s"``, ``"2592000s"``, ``"0.25s"``: exact text of a duration in seconds."""
    whole, frac = divmod(int(ns), 10**9)
    return f"{whole}s" if not frac else f"{whole}.{frac:09d}".rstrip("0") + "s"


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


# --------------------------------------------------------------------------- driver


def _check_mode(mode: Any) -> str | float:
    if mode in ("any", "all"):
        return mode
    try:
        f = float(mode)
    except (TypeError, ValueError):
        f = float("nan")
    if not 0 < f <= 1:
        raise InvalidRequestError(
            f"mode must be 'any', 'all' or a fraction in (0, 1], not {mode!r}"
        )
    return f


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


def _match_probes(asked: tuple[str, ...], found: list[str | None]) -> tuple[str | None, ...]:
    if not asked or found == [None]:
        return tuple(found)
    out = []
    for p in asked:
        hit = [f for f in found if f is not None and (f == p or f.endswith(str(p)))]
        if not hit:
            raise InvalidRequestError(f"probe {p!r} is not in the data; probes present: {found}")
        out.append(hit[0])
    return tuple(dict.fromkeys(out))


def _series_extent(ds: xr.Dataset, crit: Criterion, probes) -> tuple[int, int, int]:
    """Grid origin, latest sample time and coarsest cadence of the criterion variables.

    The origin is the first sample of the coarsest variable (the grid is its
    time base), or the earliest sample when all have one sample.
    """
    t_min, t_max, coarse, first_of_coarse = None, None, -1, None
    for probe in probes:
        for name, (product, comp) in zip(crit.names, crit.required_variables()):
            s = resolve_series(ds, name, product, comp, probe)
            if s is None:
                raise CriteriaError(
                    f"criterion variable {name!r}: no {product!r} or '{product}_{probe}' in the data; "
                    f"variables present: {', '.join(map(str, ds.data_vars))}"
                )
            if s.times.size:
                t_min = s.times[0] if t_min is None else min(t_min, s.times[0])
                t_max = s.times[-1] if t_max is None else max(t_max, s.times[-1])
                if s.cadence > coarse or (s.cadence == coarse and s.times[0] < first_of_coarse):
                    coarse, first_of_coarse = s.cadence, s.times[0]
    if t_min is None:
        raise CriteriaError("the criterion variables hold no samples")
    origin = first_of_coarse if coarse > 0 else t_min
    return int(origin), int(t_max), int(max(coarse, 0))


def _default_loader() -> Callable[..., xr.Dataset]:
    from helioport.api import load  # lazy: the loader pulls in the registry and plugins

    return load


# chunk="auto": about this many grid samples per chunk (measured on 1-min data: 40 k
# samples per chunk cost 20 % more time than 100-250 k, and 500 k more again, the
# arrays no longer fitting the CPU caches), and never fewer than this many windows
AUTO_CHUNK_SAMPLES = 200_000
AUTO_CHUNK_WINDOWS = 8
_PROBE_LENGTHS_NS = (3600 * 10**9, 86400 * 10**9, 30 * 86400 * 10**9)


def _probe_dataset(
    req: _Request, loader, products: tuple[str, ...], chunk_ns: int | None
) -> xr.Dataset:
    """The first slice of the request holding data (for cadence and probes).

    With a chunk length, slices of that length; with ``None`` (chunk="auto"),
    the first hour, else the first day, else the first 30 days, else the rest,
    until a slice holds two samples of the criterion's first product.
    """
    kwargs = dict(probes=list(req.probes), coords=req.coords, mode=req.mode, **req.extra)

    def load(t0: int, t1: int) -> xr.Dataset:
        try:
            return loader(req.mission, _dt(t0), _dt(t1), products=list(products), **kwargs)
        except UnknownProductError as exc:
            hints = [
                f"{p!r} was read as a product name: a component is written {head}_x, {head}_y, "
                f"{head}_z or {head}_tot (or another label of {head})"
                for p in products
                if repr(p) in str(exc) and (head := p.rpartition("_")[0])
            ]
            if not hints:
                raise
            raise UnknownProductError(f"{exc}. {' '.join(hints)}") from None

    if chunk_ns is None:
        for length in _PROBE_LENGTHS_NS:
            if req.start + length >= req.end:
                break
            try:
                ds = load(req.start, req.start + length)
            except DataNotFoundError:
                continue
            if any(
                str(k).startswith(products[0]) and v.ndim and v.shape[0] >= 2
                for k, v in ds.data_vars.items()
            ):
                return ds
        chunk_ns = req.end - req.start
    t = req.start
    while t < req.end:
        t1 = min(req.end, t + chunk_ns)
        try:
            return load(t, t1)
        except DataNotFoundError:
            t = t1
    raise DataNotFoundError(
        f"no data for {', '.join(products)} of {req.mission!r} between "
        f"{format_time(_dt(req.start))} and {format_time(_dt(req.end))}: nothing to search"
    )


def _dask_batch() -> int:
    try:
        from distributed import default_client

        return max(2, 2 * sum(default_client().nthreads().values()))
    except (ImportError, ValueError):
        return max(2, 2 * (os.cpu_count() or 1))


def _execute(
    plan: _Plan, ds: xr.Dataset | None, progress: bool | None, dask_on: bool
) -> list[_ChunkOut]:
    from tqdm.auto import tqdm

    n = 1 if ds is not None else plan.n_chunks
    bar = tqdm(
        total=n,
        desc="find_events",
        unit="chunk",
        disable=None if progress is None else not progress,
        leave=False,
    )
    outs: list[_ChunkOut] = []
    try:
        if ds is not None:
            outs.append(_run_chunk(plan, 0, ds))
            bar.update(1)
        elif dask_on:
            import dask

            plan_d = dask.delayed(plan, pure=True)
            size = _dask_batch()
            for b in range(0, n, size):
                tasks = [
                    dask.delayed(_run_chunk, pure=True)(plan_d, j)
                    for j in range(b, min(n, b + size))
                ]
                outs.extend(dask.compute(*tasks))
                bar.update(len(tasks))
        else:
            for j in range(n):
                outs.append(_run_chunk(plan, j))
                bar.update(1)
    finally:
        bar.close()
    return outs


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
        returning a Dataset; default :func:`helioport.api.load`.
    progress
        Show a tqdm progress bar over chunks (``None``: only on a terminal).
    use_dask
        Run chunks as dask tasks (``None``: when a ``dask.distributed`` client
        is active). Results are identical to the sequential run.

    Returns
    -------
    EventCatalog
        Events (start/stop = first/last grid sample where the criterion holds
        within the merged hit windows; for window-level criteria the first and
        last sample of the merged windows), with the min/max of each criterion
        variable and the mean ``sc_pos`` (km) during each event, the search
        settings and the provenance.

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
    crit = parse_criteria(criteria)
    mode = _check_mode(mode)
    window_ns, step_ns = to_timedelta_ns(window, "window"), to_timedelta_ns(step, "step")
    gap_ns, mindur_ns = (
        to_timedelta_ns(merge_gap, "merge_gap"),
        to_timedelta_ns(min_duration, "min_duration"),
    )
    auto = isinstance(chunk, str) and chunk.strip().lower() == "auto"
    chunk_ns = None if auto else to_timedelta_ns(chunk, "chunk")
    if not window_ns or not step_ns or chunk_ns == 0:
        raise InvalidRequestError("window, step and chunk must be longer than zero")
    asked = (probes,) if isinstance(probes, (str, int)) else tuple(probes or ())
    asked = tuple(str(p) for p in asked)
    products = tuple(dict.fromkeys(p for p, _ in crit.required_variables()))
    req = None
    if isinstance(source, xr.Dataset):
        ds0: xr.Dataset = source
        mission = ds0.attrs.get("mission")
    else:
        req = _normalise_source(source)
        if asked:
            req = replace(req, probes=asked)
        loader = loader or _default_loader()
        ds0 = _probe_dataset(req, loader, products, chunk_ns)
        mission = req.mission
    probe_list = _match_probes(
        asked or (req.probes if req else ()), infer_probes(ds0, list(products))
    )
    t_first, t_max, coarse = _series_extent(ds0, crit, probe_list)
    if sample_freq is not None:
        if not float(sample_freq) > 0:
            raise InvalidRequestError(
                f"sample_freq must be a positive frequency in Hz, not {sample_freq!r}"
            )
        dt_ns = max(1, round(1e9 / float(sample_freq)))
    else:
        dt_ns = coarse or window_ns
    if req is None:
        origin, n = t_first, (t_max - t_first) // dt_ns + 1
    else:
        origin, n = req.start, -(-(req.end - req.start) // dt_ns)
    w, s = max(1, round(window_ns / dt_ns)), max(1, round(step_ns / dt_ns))
    grid = Grid(origin=int(origin), dt=int(dt_ns), n=int(n), window=int(w), step=int(s))
    if req is None:
        per_chunk = -(-grid.n // s) * s
    elif chunk_ns is None:
        per_chunk = max(AUTO_CHUNK_SAMPLES, AUTO_CHUNK_WINDOWS * w) // s * s or s
    else:
        per_chunk = max(s, round(chunk_ns / dt_ns / s) * s)
    plan = _Plan(
        criterion=crit,
        grid=grid,
        chunk=int(per_chunk),
        mode=mode,
        probes=probe_list,
        margin=2 * dt_ns + MARGIN_EXTRA_NS,
        request=req,
        loader=loader if req else None,
        products=products,
        with_position=True,
    )
    dask_on = req is not None and _want_dask(use_dask)
    outs = _execute(plan, ds0 if req is None else None, progress, dask_on)
    events: list[Event] = []
    with _no_gc():  # thousands of small objects: no full collections while they are made
        for probe in probe_list:
            raws = assemble([o.results[probe] for o in outs], grid, gap_ns, mindur_ns)
            ns = (
                np.array([[r.first, r.last] for r in raws], dtype=np.int64).reshape(-1, 2) * grid.dt
                + grid.origin
            )
            starts, stops = ([_dt(v) for v in ns[:, i].tolist()] for i in (0, 1))
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
    info: dict[str, Any] = {}
    for o in outs:
        for k, v in o.info.items():
            info.setdefault(k, {}).update(v)
    level = next((r.level for o in outs for r in o.results.values()), crit.level)
    settings = {
        "criteria": crit.text,
        "variables": list(crit.names),
        "level": {"loop": "window"}.get(level, level),
        "window": _seconds_text(window_ns),
        "step": _seconds_text(step_ns),
        "window_s": w * dt_ns / 1e9,
        "step_s": s * dt_ns / 1e9,
        "mode": mode,
        "sample_freq": 1e9 / dt_ns,
        "resampling": info.get("resampling", {}),
        "merge_gap": _seconds_text(gap_ns),
        "min_duration": _seconds_text(mindur_ns),
        "chunk": _seconds_text(per_chunk * dt_ns) if req is not None else None,
        "event_times": "first/last grid sample where the criterion holds within the merged hit windows",
    }
    end_ns = req.end if req is not None else grid.origin + (grid.n - 1) * grid.dt
    provenance = {
        "mission": mission,
        "probes": [p for p in probe_list if p is not None],
        "products": list(products),
        "coords": req.coords if req is not None else ds0.attrs.get("coords"),
        "data_mode": req.mode if req is not None else None,
        "start": format_time(_dt(grid.origin)),
        "end": format_time(_dt(end_ns)),
        "variables": info.get("variables", {}),
        "location": info.get("location", {}).get("location"),
        "source": "request" if req is not None else "dataset",
        "created": format_time(dt.datetime.now(dt.timezone.utc)),
        "helioport_version": helioport_version(),
    }
    return EventCatalog(events=events, settings=settings, provenance=provenance)
