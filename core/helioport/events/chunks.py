"""The chunks of an event search: the search plan, loading data, putting one chunk on the grid.

:func:`run_chunk` is a top-level function so that dask can ship it to workers;
everything it needs travels in the (picklable) :class:`Plan`. Every load of a
request goes through :func:`load_span`, the probe load (:func:`probe_load`)
included, so the probe's data can serve as the first chunk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import xarray as xr

from ..errors import CriteriaError, DataNotFoundError, InvalidRequestError, UnknownProductError
from ..times import format_time, from_ns, parse_time, to_ns
from .criteria import Criterion
from .engine import Grid, ProbeResult, evaluate_chunk
from .resolve import km_per_unit, resolve_series, series_to_grid

__all__ = [
    "PROBE_LENGTHS_NS",
    "ChunkResult",
    "Plan",
    "Probe",
    "SearchRequest",
    "load_span",
    "normalise_source",
    "probe_load",
    "run_chunk",
]

log = logging.getLogger(__name__)
_REQUEST_KEYS = ("mission", "start", "end", "probes", "mode", "coords")
#: chunk="auto" probes the first hour, else the first day, else the first 30 days (ns)
PROBE_LENGTHS_NS = (3600 * 10**9, 86400 * 10**9, 30 * 86400 * 10**9)


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class SearchRequest:
    """A request to search: what to load, times in ns since 1970."""

    mission: str
    start: int  # ns
    end: int
    probes: tuple[str, ...]
    coords: str | None
    mode: str | None
    extra: Mapping[str, Any]


@dataclass(frozen=True)
class Plan:
    """Everything a chunk needs: the criterion, the grid and how the grid is cut.

    Chunk 0 owns the first ``first`` samples, every later chunk ``chunk``
    samples (the last one the rest); ``first`` differs from ``chunk`` when the
    probe load already holds the data of a shorter first chunk.
    """

    criterion: Criterion
    grid: Grid
    chunk: int  # samples per chunk, a multiple of the step
    first: int  # samples owned by chunk 0, a multiple of the step
    mode: str | float
    probes: tuple[str | None, ...]
    margin: int  # ns of data loaded beyond each chunk edge
    request: SearchRequest | None = None
    loader: Callable[..., xr.Dataset] | None = None
    products: tuple[str, ...] = ()
    with_position: bool = True

    @property
    def n_chunks(self) -> int:
        return 1 + -(-max(0, self.grid.n - self.first) // self.chunk)

    def bounds(self, j: int) -> tuple[int, int, int, int]:
        """Loaded ``[lo, hi)`` and owned ``[own_lo, own_hi)`` samples of chunk ``j``."""
        own_lo = 0 if j == 0 else self.first + (j - 1) * self.chunk
        own_hi = min(self.first if j == 0 else own_lo + self.chunk, self.grid.n)
        lo = max(0, own_lo - self.grid.window)
        hi = min(self.grid.n, own_hi + self.grid.window)
        return lo, hi, own_lo, own_hi

    def span(self, j: int) -> tuple[int, int]:
        """The time span (ns) chunk ``j`` loads: its samples, one window and the margin each side."""
        req, g = self.request, self.grid
        assert req is not None
        lo, hi, _, _ = self.bounds(j)
        return (
            max(req.start, g.origin + lo * g.dt - self.margin),
            min(req.end, g.origin + hi * g.dt + self.margin),
        )


@dataclass
class ChunkResult:
    """What one chunk returns: a :class:`ProbeResult` per probe and what it learnt of the data."""

    results: dict[str | None, ProbeResult]
    info: dict[str, Any] = field(default_factory=dict)


def normalise_source(source: Any) -> SearchRequest:
    """The :class:`SearchRequest` of a request dict, tuple or :class:`helioport.schema.Request`."""
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
    return SearchRequest(
        mission=str(d["mission"]),
        start=to_ns(start),
        end=to_ns(end),
        probes=tuple(str(p) for p in probes),
        coords=d.get("coords"),
        mode=d.get("mode"),
        extra=extra,
    )


# --------------------------------------------------------------------------- loading


def load_span(
    req: SearchRequest,
    loader: Callable[..., xr.Dataset],
    products: tuple[str, ...],
    t0: int,
    t1: int,
    *,
    with_position: bool = True,
) -> xr.Dataset:
    """The data of ``products`` (and ``sc_pos`` when the mission has it) between ``t0`` and ``t1`` (ns).

    Raises
    ------
    DataNotFoundError
        From the loader, when the span holds no data.
    UnknownProductError
        When a criterion product is unknown, with a hint when it reads as a
        product and a component written as one name.
    """
    kwargs = dict(probes=list(req.probes), coords=req.coords, mode=req.mode, **req.extra)
    start, end = from_ns(t0), from_ns(t1)
    if with_position:
        try:
            return loader(req.mission, start, end, products=[*products, "sc_pos"], **kwargs)
        except UnknownProductError:
            pass  # no sc_pos for this mission, or an unknown criterion product: asked again below
    try:
        return loader(req.mission, start, end, products=list(products), **kwargs)
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


@dataclass(frozen=True)
class Probe:
    """The first slice of a request holding data, loaded as a chunk loads it."""

    data: xr.Dataset
    start: int  # ns: the span loaded
    end: int


def probe_load(
    req: SearchRequest,
    loader: Callable[..., xr.Dataset],
    products: tuple[str, ...],
    chunk_ns: int | None,
) -> Probe:
    """The first slice of the request holding data (for cadence and probes).

    With a chunk length, slices of that length; with ``None`` (chunk="auto"),
    the first hour, else the first day, else the first 30 days, else the rest
    (:data:`PROBE_LENGTHS_NS`), until a slice holds two samples of the
    criterion's first product.
    """
    if chunk_ns is None:
        for length in PROBE_LENGTHS_NS:
            if req.start + length >= req.end:
                break
            try:
                ds = load_span(req, loader, products, req.start, req.start + length)
            except DataNotFoundError:
                continue
            if any(
                str(k).startswith(products[0]) and v.ndim and v.shape[0] >= 2
                for k, v in ds.data_vars.items()
            ):
                return Probe(ds, req.start, req.start + length)
        chunk_ns = req.end - req.start
    t = req.start
    while t < req.end:
        t1 = min(req.end, t + chunk_ns)
        try:
            return Probe(load_span(req, loader, products, t, t1), t, t1)
        except DataNotFoundError:
            t = t1
    raise DataNotFoundError(
        f"no data for {', '.join(products)} of {req.mission!r} between "
        f"{format_time(from_ns(req.start))} and {format_time(from_ns(req.end))}: nothing to search"
    )


def _load_chunk(plan: Plan, j: int) -> xr.Dataset | None:
    req = plan.request
    assert req is not None and plan.loader is not None
    t0, t1 = plan.span(j)
    try:
        return load_span(req, plan.loader, plan.products, t0, t1, with_position=plan.with_position)
    except DataNotFoundError as exc:
        log.info(
            "no data for %s %s..%s: %s",
            req.mission,
            format_time(from_ns(t0)),
            format_time(from_ns(t1)),
            exc,
        )
        return None


# --------------------------------------------------------------------------- chunks


def _grid_arrays(
    ds: xr.Dataset | None, plan: Plan, probe: str | None, lo: int, hi: int, info: dict[str, Any]
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


def run_chunk(plan: Plan, j: int, ds: xr.Dataset | None = None) -> ChunkResult:
    """Summarise chunk ``j`` of ``ds``, loading it first in request mode unless given.

    A top-level function, so that dask can ship it to workers.
    """
    lo, hi, own_lo, own_hi = plan.bounds(j)
    if ds is None and plan.loader is not None:
        ds = _load_chunk(plan, j)
    out = ChunkResult({})
    for probe in plan.probes:
        arrays, positions = _grid_arrays(ds, plan, probe, lo, hi, out.info)
        out.results[probe] = evaluate_chunk(
            plan.criterion, arrays, positions, plan.grid, lo, own_lo, own_hi, plan.mode
        )
    return out
