"""The chunks of an event search: the search plan, loading one chunk, putting it on the grid.

:func:`_run_chunk` is a top-level function so that dask can ship it to workers;
everything it needs travels in the (picklable) :class:`_Plan`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import CriteriaError, DataNotFoundError, InvalidRequestError, UnknownProductError
from ..times import format_time, parse_time
from .criteria import Criterion
from .engine import Grid, ProbeResult, evaluate_chunk
from .resolve import km_per_unit, resolve_series, series_to_grid

log = logging.getLogger(__name__)
_REQUEST_KEYS = ("mission", "start", "end", "probes", "mode", "coords")


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class _Request:
    mission: str
    start: int  # ns
    end: int
    probes: tuple[str, ...]
    coords: str | None
    mode: str | None
    extra: Mapping[str, Any]


@dataclass(frozen=True)
class _Plan:
    criterion: Criterion
    grid: Grid
    chunk: int  # samples per chunk, a multiple of the step
    mode: str | float
    probes: tuple[str | None, ...]
    margin: int  # ns of data loaded beyond each chunk edge
    request: _Request | None = None
    loader: Callable[..., xr.Dataset] | None = None
    products: tuple[str, ...] = ()
    with_position: bool = True

    @property
    def n_chunks(self) -> int:
        return -(-self.grid.n // self.chunk)

    def bounds(self, j: int) -> tuple[int, int, int, int]:
        """Loaded ``[lo, hi)`` and owned ``[own_lo, own_hi)`` samples of chunk ``j``."""
        own_lo, own_hi = j * self.chunk, min((j + 1) * self.chunk, self.grid.n)
        lo = max(0, own_lo - self.grid.window)
        hi = min(self.grid.n, own_hi + self.grid.window)
        return lo, hi, own_lo, own_hi


@dataclass
class _ChunkOut:
    results: dict[str | None, ProbeResult]
    info: dict[str, Any] = field(default_factory=dict)


def _normalise_source(source: Any) -> _Request:
    if hasattr(source, "mission") and hasattr(source, "start") and not isinstance(source, Mapping):
        source = {k: getattr(source, k, None) for k in _REQUEST_KEYS}
    elif isinstance(source, (tuple, list)):
        if len(source) < 3:
            raise InvalidRequestError(
                f"a request tuple is (mission, start, end[, probes[, mode[, coords]]]), got {source!r}"
            )
        source = dict(zip(_REQUEST_KEYS, source))
    if not isinstance(source, Mapping):
        raise InvalidRequestError(
            f"source must be an xarray.Dataset or a request (dict, tuple or Request), "
            f"not {type(source).__name__}"
        )
    d = dict(source)
    d.setdefault("start", d.pop("start_time", None))
    d.setdefault("end", d.pop("end_time", None))
    if not d.get("mission"):
        raise InvalidRequestError(f"the request names no mission: {source!r}")
    start = parse_time(d.pop("start"), what="start")
    end = parse_time(d.pop("end"), what="end")
    if end <= start:
        raise InvalidRequestError(
            f"start {format_time(start)} is not before end {format_time(end)}"
        )
    probes = d.pop("probes", None) or ()
    probes = (probes,) if isinstance(probes, (str, int)) else tuple(probes)
    extra = {
        k: v for k, v in d.items() if k not in ("mission", "mode", "coords", "products", "prod")
    }
    return _Request(
        mission=str(d["mission"]),
        start=_ns(start),
        end=_ns(end),
        probes=tuple(str(p) for p in probes),
        coords=d.get("coords"),
        mode=d.get("mode"),
        extra=extra,
    )


def _ns(t: dt.datetime) -> int:
    return int(pd.Timestamp(t).value)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _dt(ns: int) -> dt.datetime:
    """UTC datetime of ns since 1970, to the microsecond (floored, as pandas does)."""
    return _EPOCH + dt.timedelta(microseconds=int(ns) // 1000)


# --------------------------------------------------------------------------- chunks


def _load(plan: _Plan, lo: int, hi: int) -> xr.Dataset | None:
    req, g = plan.request, plan.grid
    assert req is not None and plan.loader is not None
    t0 = max(req.start, g.origin + lo * g.dt - plan.margin)
    t1 = min(req.end, g.origin + hi * g.dt + plan.margin)
    products = list(plan.products) + (["sc_pos"] if plan.with_position else [])
    kwargs = dict(
        products=products, probes=list(req.probes), coords=req.coords, mode=req.mode, **req.extra
    )
    try:
        return plan.loader(req.mission, _dt(t0), _dt(t1), **kwargs)
    except UnknownProductError:
        if not plan.with_position:
            raise
        kwargs["products"] = list(plan.products)
        try:
            return plan.loader(req.mission, _dt(t0), _dt(t1), **kwargs)
        except DataNotFoundError:
            return None
    except DataNotFoundError as exc:
        log.info(
            "no data for %s %s..%s: %s",
            req.mission,
            format_time(_dt(t0)),
            format_time(_dt(t1)),
            exc,
        )
        return None


def _grid_arrays(
    ds: xr.Dataset | None, plan: _Plan, probe: str | None, lo: int, hi: int, info: dict[str, Any]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray] | None]:
    g, crit = plan.grid, plan.criterion
    arrays: dict[str, np.ndarray] = {}
    clip = (plan.request.start, plan.request.end) if plan.request else None
    for name, (product, comp) in zip(crit.names, crit.required_variables()):
        series = resolve_series(ds, name, product, comp, probe) if ds is not None else None
        if series is None:
            if plan.request is None:
                raise CriteriaError(
                    f"criterion variable {name!r}: no {product!r} or {product}_{probe} in the data; "
                    f"variables present: {', '.join(map(str, ds.data_vars)) if ds is not None else 'none'}"
                )
            arrays[name] = np.full(hi - lo, np.nan)
            continue
        if clip is not None:  # times are sorted: a slice (a view), not a mask and two copies
            i0, i1 = np.searchsorted(series.times, [clip[0], clip[1]], side="left")
            i1 += int(i1 < series.times.size and series.times[i1] == clip[1])
            if i0 > 0 or i1 < series.times.size:
                series = replace(series, times=series.times[i0:i1], values=series.values[i0:i1])
        arrays[name], method = series_to_grid(series, g.origin, g.dt, lo, hi, plan.margin)
        info.setdefault("resampling", {})[name] = method
        var = ds[series.variable]
        meta = info.setdefault("variables", {}).setdefault(series.variable, {})
        for key in ("units", "versions", "dataset"):
            if key in var.attrs:
                meta[key] = _jsonable(var.attrs[key])
    positions = None
    if plan.with_position and ds is not None:
        pos = {c: resolve_series(ds, f"sc_pos_{c}", "sc_pos", c, probe) for c in ("x", "y", "z")}
        if all(p is not None for p in pos.values()):
            units = ds[pos["x"].variable].attrs.get("units")
            scale = km_per_unit(units)
            if scale is None:
                log.warning(
                    "sc_pos units %r are not a length helioport knows; event locations left out",
                    units,
                )
            else:
                positions = {
                    c: scale * series_to_grid(s, g.origin, g.dt, lo, hi, plan.margin)[0]
                    for c, s in pos.items()
                }
                info.setdefault("location", {})["location"] = (
                    f"mean of sc_pos over each event, km (sc_pos in {units or 'km'}, x {scale:g})"
                )
    if plan.with_position and positions is None and plan.request is not None:
        positions = {c: np.full(hi - lo, np.nan) for c in ("x", "y", "z")}
    return arrays, positions


def _jsonable(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return str(v)


def _run_chunk(plan: _Plan, j: int, ds: xr.Dataset | None = None) -> _ChunkOut:
    """Load (request mode) and summarise chunk ``j``: a top-level function for dask."""
    lo, hi, own_lo, own_hi = plan.bounds(j)
    if ds is None and plan.loader is not None:
        ds = _load(plan, lo, hi)
    out = _ChunkOut({})
    for probe in plan.probes:
        arrays, positions = _grid_arrays(ds, plan, probe, lo, hi, out.info)
        out.results[probe] = evaluate_chunk(
            plan.criterion, arrays, positions, plan.grid, lo, own_lo, own_hi, plan.mode
        )
    return out
