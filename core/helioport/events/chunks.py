"""The chunks of an event search: the search plan, loading data, putting one chunk on the grid.

:func:`run_chunk` is a top-level function so that dask can ship it to workers;
everything it needs travels in the (picklable) :class:`Plan`. Every load of a
request goes through :func:`load_span`, the probe load (:func:`probe_load`)
included, so the probe's data can serve as the first chunk.

The spacecraft location is optional, never a reason to fail: :func:`load_span`
asks for ``sc_pos`` with the criterion products and, when that fails for any
reason (the mission has none, not in this mode or frame, files without the
position variables), loads the criterion products alone and says why the
location is missing. A chunk whose criterion data the archive lacks is not
searched, and says so (:attr:`ChunkResult.searched`); any other failure raises.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import xarray as xr

from ..errors import (
    CriteriaError,
    DataNotFoundError,
    HelioportError,
    InvalidRequestError,
    OfflineError,
    UnknownProductError,
)
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
    "Span",
    "covered_ns",
    "load_span",
    "normalise_source",
    "position_is_unavailable",
    "probe_load",
    "run_chunk",
]

log = logging.getLogger(__name__)
_REQUEST_KEYS = ("mission", "start", "end", "probes", "mode", "coords")
#: the lifecycle's warning that a load's files cover part of its span (see load_span)
_PARTIAL_COVERAGE = r".*the archive's files cover only"
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
    no_position: str | None = None  # why the request has no location (with_position False)

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

    def owned_span(self, j: int) -> tuple[int, int]:
        """The time span (ns) whose events chunk ``j`` owns: ``[first, after last)`` sample,
        ending at the request's end in request mode."""
        _, _, own_lo, own_hi = self.bounds(j)
        g = self.grid
        hi = g.origin + own_hi * g.dt
        if self.request is not None:
            hi = min(hi, self.request.end)
        return g.origin + own_lo * g.dt, hi

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
    """What one chunk returns.

    Attributes
    ----------
    results : a :class:`ProbeResult` per probe.
    info : what it learnt of the data (resampling, variables, location), merged over chunks.
    searched : the spans (ns, ``[start, end)``) of its own part that held data and were
        searched: all of it, the parts the loaded variables' ``covered`` attrs name, or none
        when the archive had no data for it.
    missing : why (part of) the chunk was not searched, ``""`` when all of it was.
    """

    results: dict[str | None, ProbeResult]
    info: dict[str, Any] = field(default_factory=dict)
    searched: list[tuple[int, int]] = field(default_factory=list)
    missing: str = ""


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


@dataclass(frozen=True)
class Span:
    """The data of a span, and why it holds no ``sc_pos`` when it was asked for and is missing.

    ``no_position`` is the error that the load with ``sc_pos`` raised (``None``
    when the position came, or was not asked for).
    """

    data: xr.Dataset
    no_position: HelioportError | None = None


def load_span(
    req: SearchRequest,
    loader: Callable[..., xr.Dataset],
    products: tuple[str, ...],
    t0: int,
    t1: int,
    *,
    with_position: bool = True,
) -> Span:
    """The data of ``products`` (and ``sc_pos`` when it can be had) between ``t0`` and ``t1`` (ns).

    The location is optional: when the load with ``sc_pos`` fails for any
    reason, the criterion products are loaded alone and :attr:`Span.no_position`
    holds the reason.

    Raises
    ------
    DataNotFoundError
        From the loader, when the span holds no data of the criterion products.
    UnknownProductError
        When a criterion product is unknown, with a hint when it reads as a
        product and a component written as one name.
    """
    kwargs = dict(probes=list(req.probes), coords=req.coords, mode=req.mode, **req.extra)
    start, end = from_ns(t0), from_ns(t1)
    no_position: HelioportError | None = None
    with _quiet_coverage():
        if with_position:
            try:
                data = loader(req.mission, start, end, products=[*products, "sc_pos"], **kwargs)
                return Span(data)
            except (InvalidRequestError, DataNotFoundError, OfflineError) as exc:
                # sc_pos not served for this request (mode, frame), not in the archive or
                # the cache: asked again without it. A download or corrupt file raises.
                no_position = exc
        try:
            data = loader(req.mission, start, end, products=list(products), **kwargs)
        except UnknownProductError as exc:
            raise _with_hint(exc, products) from None
    if no_position is not None:
        log.info(
            "%s %s..%s: no sc_pos (%s); events of this span have no location",
            req.mission,
            format_time(start),
            format_time(end),
            no_position,
        )
    return Span(data, no_position)


@contextmanager
def _quiet_coverage() -> Iterator[None]:
    """Silence the lifecycle's partial-coverage warning during a chunk's load.

    A chunk's load reaches a window and a margin beyond its own span: that the
    files cover only part of it is no news, and the catalog records the spans
    searched (with one warning for the search). Warning filters are
    process-wide and not thread-safe, so only the main thread changes them;
    dask worker threads leave them alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_PARTIAL_COVERAGE, category=UserWarning)
        yield


def _with_hint(exc: UnknownProductError, products: tuple[str, ...]) -> UnknownProductError:
    """``exc``, with a hint when a criterion product reads as a product and a component."""
    hints = [
        f"{p!r} was read as a product name: a component is written {head}_x, {head}_y, "
        f"{head}_z or {head}_tot (or another label of {head})"
        for p in products
        if repr(p) in str(exc) and (head := p.rpartition("_")[0])
    ]
    return UnknownProductError(f"{exc}. {' '.join(hints)}") if hints else exc


def position_is_unavailable(exc: HelioportError | None) -> bool:
    """Whether a failed ``sc_pos`` load fails for the whole request (the mission has no
    ``sc_pos``, or not in this mode or frame), not only for one span.

    Examples
    --------
    >>> position_is_unavailable(InvalidRequestError("'sc_pos' is not in mode 'hourly'"))
    True
    >>> position_is_unavailable(DataNotFoundError("no MEC file")), position_is_unavailable(None)
    (False, False)
    """
    return isinstance(exc, (InvalidRequestError, UnknownProductError))


@dataclass(frozen=True)
class Probe:
    """The first slice of a request holding data, loaded as a chunk loads it."""

    data: xr.Dataset
    start: int  # ns: the span loaded
    end: int
    no_position: HelioportError | None = None  # why its data holds no sc_pos


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
                got = load_span(req, loader, products, req.start, req.start + length)
            except DataNotFoundError:
                continue
            if any(
                str(k).startswith(products[0]) and v.ndim and v.shape[0] >= 2
                for k, v in got.data.data_vars.items()
            ):
                return Probe(got.data, req.start, req.start + length, got.no_position)
        chunk_ns = req.end - req.start
    t = req.start
    while t < req.end:
        t1 = min(req.end, t + chunk_ns)
        try:
            got = load_span(req, loader, products, t, t1)
        except DataNotFoundError:
            t = t1
            continue
        return Probe(got.data, t, t1, got.no_position)
    raise DataNotFoundError(
        f"no data for {', '.join(products)} of {req.mission!r} between "
        f"{format_time(from_ns(req.start))} and {format_time(from_ns(req.end))}: nothing to search"
    )


def _load_chunk(plan: Plan, j: int) -> tuple[xr.Dataset | None, str]:
    """Chunk ``j``'s data, or ``None`` and why when the archive has none for its span."""
    req = plan.request
    assert req is not None and plan.loader is not None
    t0, t1 = plan.span(j)
    try:
        got = load_span(req, plan.loader, plan.products, t0, t1, with_position=plan.with_position)
    except DataNotFoundError as exc:
        log.info(
            "no data for %s %s..%s: %s",
            req.mission,
            format_time(from_ns(t0)),
            format_time(from_ns(t1)),
            exc,
        )
        return None, str(exc)
    return got.data, ""


def covered_ns(text: str) -> list[tuple[int, int]] | None:
    """The spans (ns) of a ``covered`` attr (``"a/b, c/d"`` or ``"nothing"``); ``None`` if unreadable.

    Examples
    --------
    >>> covered_ns("1970-01-01T00:00:01Z/1970-01-01T00:00:02Z")
    [(1000000000, 2000000000)]
    >>> covered_ns("nothing")
    []
    """
    text = str(text).strip()
    if text == "nothing":
        return []
    out = []
    for part in text.split(","):
        a, sep, b = part.strip().partition("/")
        if not sep:
            return None
        try:
            out.append((to_ns(a), to_ns(b)))
        except (HelioportError, ValueError):
            return None
    return out


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if lo < hi:
                out.append((lo, hi))
    return sorted(out)


def _searched(
    ds: xr.Dataset, plan: Plan, j: int, variables: set[str]
) -> tuple[list[tuple[int, int]], str]:
    """The parts of chunk ``j``'s own span its criterion variables cover (their ``covered`` attrs)."""
    spans = [plan.owned_span(j)]
    notes = []
    for name in sorted(variables):
        text = ds[name].attrs.get("covered")
        if not text:
            continue
        covered = covered_ns(text)
        if covered is None:
            continue
        spans = _intersect(spans, covered)
        notes.append(f"{name} covers only {text}")
    return [s for s in spans if s[0] < s[1]], "; ".join(notes)


# --------------------------------------------------------------------------- chunks


def _grid_arrays(
    ds: xr.Dataset | None,
    plan: Plan,
    probe: str | None,
    lo: int,
    hi: int,
    info: dict[str, Any],
    used: set[str] | None = None,
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
        if used is not None:
            used.add(series.variable)
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
    missing = ""
    if ds is None and plan.loader is not None:
        ds, missing = _load_chunk(plan, j)
    out = ChunkResult({}, missing=missing)
    used: set[str] = set()
    for probe in plan.probes:
        arrays, positions = _grid_arrays(ds, plan, probe, lo, hi, out.info, used)
        out.results[probe] = evaluate_chunk(
            plan.criterion, arrays, positions, plan.grid, lo, own_lo, own_hi, plan.mode
        )
    if ds is not None:
        out.searched, note = _searched(ds, plan, j, used)
        out.missing = note
    return out
