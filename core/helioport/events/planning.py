"""Planning an event search: from the arguments of ``find_events`` to a :class:`.chunks.Plan`.

:func:`check_settings` parses and checks the arguments before any data is
loaded. :func:`plan_chunks` probes a request for its cadence and probes
(:func:`.chunks.probe_load`), lays the search grid over the Dataset or the
request (the coarsest cadence of the criterion variables, or ``sample_freq``)
and cuts it into chunks: ``chunk`` long, or with ``chunk="auto"`` about
:data:`AUTO_CHUNK_SAMPLES` grid samples. When the probe's data holds all that
the first chunk needs, the first chunk is cut to it and the probe's data is
its data, so no span of the request is loaded twice.

A request's chunks load through :class:`RequestLoader` unless a loader is
given: :func:`helioport.api.load` with the mirrors and offline setting of the
process that plans the search, so that a chunk run on a ``dask.distributed``
worker reads the same archive, and caches its files in the worker's own
cache folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import xarray as xr

from .. import api
from ..config import Config
from ..errors import CriteriaError, InvalidRequestError
from ..registry import get_registry
from ..times import duration_ns
from .chunks import (
    Plan,
    Probe,
    SearchRequest,
    normalise_source,
    position_is_unavailable,
    probe_load,
)
from .criteria import CriteriaLike, Criterion, parse_criteria
from .engine import Grid
from .resolve import MARGIN_EXTRA_NS, infer_probes, resolve_series

__all__ = [
    "AUTO_CHUNK_SAMPLES",
    "AUTO_CHUNK_WINDOWS",
    "RequestLoader",
    "SearchSettings",
    "check_settings",
    "plan_chunks",
]

# chunk="auto": about this many grid samples per chunk (measured on 1-min data: 40 k
# samples per chunk cost 20 % more time than 100-250 k, and 500 k more again, the
# arrays no longer fitting the CPU caches), and never fewer than this many windows
AUTO_CHUNK_SAMPLES = 200_000
AUTO_CHUNK_WINDOWS = 8


@dataclass(frozen=True)
class SearchSettings:
    """The checked arguments of :func:`.search.find_events`; durations in ns."""

    criterion: Criterion
    products: tuple[str, ...]  # the products the criterion reads, in order
    window: int
    step: int
    merge_gap: int
    min_duration: int
    chunk: int | None  # None: chunk="auto"
    mode: str | float
    probes: tuple[str, ...]  # the probes asked for; () for every probe in the data
    sample_freq: float | None  # Hz


@dataclass(frozen=True)
class RequestLoader:
    """:func:`helioport.api.load` with the archive settings of the process that made it.

    The default loader of a request's chunks. A chunk may run on a
    ``dask.distributed`` worker, whose environment and config file may name
    other mirrors (or none): the chunk loads from the mirrors this process
    resolved (``base_url=`` of the request, else ``HELIOPORT_<SOURCE>_URL`` or
    the config file here) with its offline setting, and caches the files in
    the worker's own cache folder (its ``HELIOPORT_CACHE_DIR``, config file or
    default), unless the request names one (``cache_dir=``).

    Examples
    --------
    >>> load = RequestLoader(urls=(("omni", "file:///srv/omni/"),), offline=False)
    >>> load
    RequestLoader(urls=(('omni', 'file:///srv/omni/'),), offline=False)
    """

    urls: tuple[tuple[str, str], ...]
    offline: bool

    @classmethod
    def here(cls, req: SearchRequest) -> RequestLoader:
        """The loader of ``req`` with this process's mirrors for its mission, and offline setting."""
        cfg = Config.load(offline=req.extra.get("offline"))
        reg = req.extra.get("registry") or get_registry()
        keys = [s.key for s in reg.mission(req.mission).sources]
        return cls(tuple((k, cfg.urls[k]) for k in keys if k in cfg.urls), cfg.offline)

    def __call__(self, mission: str, start: Any, end: Any, **kwargs: Any) -> xr.Dataset:
        if kwargs.get("offline") is None:
            kwargs["offline"] = self.offline
        if kwargs.get("base_url") is None and self.urls:
            kwargs["base_url"] = dict(self.urls)
        return api.load(mission, start, end, **kwargs)


# --------------------------------------------------------------------------- settings


def check_settings(
    criteria: CriteriaLike,
    window: Any,
    step: Any,
    *,
    probes: str | list[str] | None,
    sample_freq: float | None,
    mode: Any,
    merge_gap: Any,
    min_duration: Any,
    chunk: Any,
) -> SearchSettings:
    """The arguments of :func:`.search.find_events` parsed and checked, before any data is loaded."""
    crit = parse_criteria(criteria)
    mode = _check_mode(mode)
    window_ns, step_ns = duration_ns(window, "window"), duration_ns(step, "step")
    gap_ns, mindur_ns = (
        duration_ns(merge_gap, "merge_gap"),
        duration_ns(min_duration, "min_duration"),
    )
    auto = isinstance(chunk, str) and chunk.strip().lower() == "auto"
    chunk_ns = None if auto else duration_ns(chunk, "chunk")
    if not window_ns or not step_ns or chunk_ns == 0:
        raise InvalidRequestError("window, step and chunk must be longer than zero")
    asked = (probes,) if isinstance(probes, (str, int)) else tuple(probes or ())
    if sample_freq is not None and not float(sample_freq) > 0:
        raise InvalidRequestError(
            f"sample_freq must be a positive frequency in Hz, not {sample_freq!r}"
        )
    return SearchSettings(
        criterion=crit,
        products=tuple(dict.fromkeys(p for p, _ in crit.required_variables())),
        window=window_ns,
        step=step_ns,
        merge_gap=gap_ns,
        min_duration=mindur_ns,
        chunk=chunk_ns,
        mode=mode,
        probes=tuple(str(p) for p in asked),
        sample_freq=None if sample_freq is None else float(sample_freq),
    )


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


# --------------------------------------------------------------------------- plan


def plan_chunks(
    source: Any, settings: SearchSettings, loader: Callable[..., xr.Dataset] | None
) -> tuple[Plan, xr.Dataset | None]:
    """The search plan, and the data of chunk 0 when it is already loaded.

    A Dataset is one chunk. A request is probed first (:func:`.chunks.probe_load`)
    for its cadence and probes; when the probe's data holds everything chunk 0
    needs, chunk 0 is cut to it and the probe's data is its data, so no span is
    loaded twice.
    """
    req: SearchRequest | None = None
    probe: Probe | None = None
    if isinstance(source, xr.Dataset):
        data = source
    else:
        req = normalise_source(source)
        if settings.probes:
            req = replace(req, probes=settings.probes)
        loader = loader or RequestLoader.here(req)
        probe = probe_load(req, loader, settings.products, settings.chunk)
        data = probe.data
    probes = _match_probes(
        settings.probes or (req.probes if req else ()), infer_probes(data, list(settings.products))
    )
    grid = _grid(data, settings, probes, req)
    chunk = _chunk_samples(grid, settings, req)
    # a request whose mission cannot give sc_pos at all (none, or not in this mode or frame)
    # is searched without asking for it again in every chunk
    no_position = probe.no_position if probe is not None else None
    unavailable = position_is_unavailable(no_position)
    plan = Plan(
        criterion=settings.criterion,
        grid=grid,
        chunk=chunk,
        first=chunk,
        mode=settings.mode,
        probes=probes,
        margin=2 * grid.dt + MARGIN_EXTRA_NS,
        request=req,
        loader=loader if req else None,
        products=settings.products,
        with_position=not unavailable,
        no_position=str(no_position) if unavailable else None,
    )
    if probe is None:
        return plan, data
    first = _samples_in_probe(plan, probe)
    return (replace(plan, first=first), probe.data) if first else (plan, None)


def _grid(
    data: xr.Dataset,
    settings: SearchSettings,
    probes: tuple[str | None, ...],
    req: SearchRequest | None,
) -> Grid:
    """The search grid: the coarsest criterion cadence (or ``sample_freq``) over the data or request."""
    t_first, t_max, coarse = _series_extent(data, settings.criterion, probes)
    if settings.sample_freq is not None:
        dt_ns = max(1, round(1e9 / settings.sample_freq))
    else:
        dt_ns = coarse or settings.window
    if req is None:
        origin, n = t_first, (t_max - t_first) // dt_ns + 1
    else:
        origin, n = req.start, -(-(req.end - req.start) // dt_ns)
    w = max(1, round(settings.window / dt_ns))
    s = max(1, round(settings.step / dt_ns))
    return Grid(origin=int(origin), dt=int(dt_ns), n=int(n), window=int(w), step=int(s))


def _chunk_samples(grid: Grid, settings: SearchSettings, req: SearchRequest | None) -> int:
    """Grid samples per chunk, a multiple of the step: all of a Dataset, else ``chunk`` or auto."""
    s = grid.step
    if req is None:
        return -(-grid.n // s) * s
    if settings.chunk is None:
        return max(AUTO_CHUNK_SAMPLES, AUTO_CHUNK_WINDOWS * grid.window) // s * s or s
    return max(s, round(settings.chunk / grid.dt / s) * s)


def _samples_in_probe(plan: Plan, probe: Probe) -> int:
    """How many samples chunk 0 can own with the probe's data alone (at most a chunk; 0: none).

    Chunk 0 loads from the request start to one window and the margin beyond
    its last sample (:meth:`.chunks.Plan.span`): that span must lie in the probe's.
    """
    req, g = plan.request, plan.grid
    assert req is not None
    if probe.start > req.start:
        return 0
    if probe.end >= req.end:
        first = plan.chunk
    else:
        fit = (probe.end - plan.margin - g.origin) // g.dt - g.window
        first = min(plan.chunk, max(0, fit) // g.step * g.step)
    if not first:
        return 0
    t0, t1 = replace(plan, first=first).span(0)
    return first if probe.start <= t0 and t1 <= probe.end else 0


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
