"""The public API: missions, products, and ``load()``.

``load()`` validates the request against the mission (:class:`Request`) and
hands it to the one request lifecycle all data takes (:mod:`helioport.lifecycle`).
Importing this module registers the ``.helio`` accessor (:mod:`helioport.accessor`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import xarray as xr

from . import accessor as _accessor  # noqa: F401  (registers the ``.helio`` accessor)
from .align import align
from .config import Config
from .errors import InvalidRequestError
from .lazy import check_download, run_lazy, wanted_chunks
from .lifecycle import run
from .naming import variable_name
from .registry import Registry, get_registry
from .schema import MissionSpec, Request

__all__ = ["load", "load_data", "mission_info", "missions", "products"]


def missions(*, registry: Registry | None = None) -> list[str]:
    """Names of the installed missions.

    Examples
    --------
    >>> import helioport
    >>> "omni" in helioport.missions()  # doctest: +SKIP
    True
    """
    return sorted((registry or get_registry()).missions())


def mission_info(mission: str, *, registry: Registry | None = None) -> MissionSpec:
    """The :class:`~helioport.schema.MissionSpec` of an installed mission."""
    return (registry or get_registry()).mission(mission)


def products(mission: str, *, as_frame: bool = False, registry: Registry | None = None):
    """The products of ``mission``: stored (L2) and derived (L3), with units.

    Parameters
    ----------
    mission
        An installed mission (see :func:`missions`).
    as_frame
        Return a :class:`pandas.DataFrame` (one row a product) instead of a
        list of :class:`~helioport.schema.ProductSpec`.

    Examples
    --------
    >>> [p.name for p in helioport.products("omni")][:3]  # doctest: +SKIP
    ['dc_mag', 'i_dens', 'i_bulkv']
    """
    specs = (registry or get_registry()).products(mission)
    if not as_frame:
        return specs
    rows = [
        {
            "product": p.name,
            "level": p.level,
            "kind": p.kind,
            "units": p.units or "",
            "coords": ",".join(p.coords),
            "inputs": ",".join(p.inputs),
            "description": p.description,
        }
        for p in specs
    ]
    return pd.DataFrame(rows).set_index("product")


def load(
    mission: str,
    start: Any = None,
    end: Any = None,
    products: Iterable[str] | str | None = None,
    probes: Iterable[str] | str | None = None,
    coords: str | None = None,
    mode: str | None = None,
    *,
    trange: Sequence[Any] | None = None,
    time: str | None = None,
    time_method: str = "linear",
    time_tolerance: Any = None,
    offline: bool | None = None,
    version: str | None = None,
    base_url: str | Mapping[str, str] | None = None,
    cache_dir: str | None = None,
    progress: bool | None = None,
    max_files: int | None = None,
    registry: Registry | None = None,
    chunks: str | int | None = None,
    lazy: bool | None = None,
    download: str = "client",
    **options: Any,
) -> xr.Dataset:
    """Load products of a mission over ``[start, end)`` as one labelled Dataset.

    Parameters
    ----------
    mission
        An installed mission (``"omni"``, ``"mms"``...); see :func:`missions`.
    start, end
        Datetimes (naive = UTC), ISO strings, ``numpy.datetime64``,
        ``pandas.Timestamp`` or ``astropy.time.Time``. Or give ``trange``.
    products
        Product names (``"dc_mag"``, ``["i_dens", "mag_elev_angle"]``);
        derived products are computed from their inputs.
    probes
        Spacecraft or stations (``["mms1", "mms2"]``; ``1`` works for ``mms1``).
    coords
        Coordinate system (``"gse"``, ``"gsm"``), default the mission's.
    mode
        Data rate / resolution (``"1min"``, ``"brst"``), default the mission's.
    trange
        ``[start, end]`` as pySPEDAS takes it (``["2015-10-16/13:06", "2015-10-16/13:07"]``),
        instead of ``start`` and ``end``.
    time
        ``None`` (default): each variable keeps its own ``time_<variable>``
        dimension. An output variable (``"dc_mag_mms1"``) or a requested
        product (``"dc_mag"``: its variable of the first probe requested):
        every variable is put on that variable's times, one ``time``
        dimension, by :func:`helioport.align.align` with ``time_method`` and
        ``time_tolerance``; the Dataset's ``alignment`` attr states how. Or
        the times themselves (an array of datetime64, a pandas index, a list
        of ISO strings). A lazy load stays lazy: the resampling is planned
        from the time coordinates and each output chunk reads only the files
        around its times.
    time_method, time_tolerance
        ``"linear"`` (default) or ``"nearest"``, and the largest gap bridged
        (linear) or distance to the nearest sample (seconds, ``"2s"``,
        timedelta); used with ``time`` only.
    offline
        Use only the local cache (default: ``HELIOPORT_OFFLINE`` or config).
    version
        ``None``/"latest" (newest), ``"4.18"`` (pinned) or ``">=4.18"`` (minimum).
    base_url
        A mirror for the mission's main source (str) or per source key (dict):
        ``https://`` server, ``file://`` URL, a folder path, or an object store
        (``s3://bucket/prefix/``, ``gs://``, ``az://``; ``pip install helioport[s3]``).
    cache_dir
        Cache folder (default: ``HELIOPORT_CACHE_DIR`` or the user cache dir).
    max_files
        The most files (and folder listings) one request may involve before it
        stops with an :class:`InvalidRequestError` (default 5000, or
        ``max_files`` in the config file); raise it to confirm a huge request.
    chunks, lazy
        ``chunks="file"`` (or ``"auto"``) or ``lazy=True``: a lazy load
        (:mod:`helioport.lazy`), dask-backed variables with one chunk per
        file (``chunks=100_000``: at most that many records per chunk,
        large files cut in record ranges), read from the cache when computed (files are downloaded up
        front, in parallel); ``sel`` of a time span reads only its files.
        With a ``dask.distributed`` client the reads run on its workers:
        each reads a file from this cache when it sees the same file, else
        fetches it into its own cache (no shared disk needed). Needs dask.
        With ``time=`` the alignment stays lazy too.
    download
        Lazy loads: who fetches the files up front (their times make the time
        index): ``"client"`` (default: this process) or ``"workers"`` (a
        worker of the active ``dask.distributed`` client, into its own cache).
    **options
        Plugin-specific options, passed on in ``request.options``.

    Returns
    -------
    xarray.Dataset
        A variable per product (and probe: ``dc_mag_mms1``), with dimensions
        that depend on the variable alone (:mod:`helioport.naming`): its own
        ``time_<variable>``, ``component`` (``x, y, z``) for vectors, whose
        magnitude the archive gives is a variable of its own
        (``dc_mag_tot_mms1``), ``component_1``/``component_2`` for tensors
        and ``<axis>_<variable>`` for other axes; attrs with units, frame and
        provenance (files, versions). ``ds.helio.sel(time=slice(a, b))``
        selects on every time dimension at once.

    Raises
    ------
    InvalidRequestError
        Both or neither of ``start``/``end`` and ``trange``, or a ``time``
        that names no output variable nor requested product (the valid ones
        are listed), besides every check of the request.

    Examples
    --------
    >>> ds = helioport.load("omni", "2010-01-01", "2010-01-02", products=["dc_mag"], mode="hourly")  # doctest: +SKIP
    >>> ds["dc_mag"].sel(component="z")  # doctest: +SKIP
    >>> ds = helioport.load("mms", trange=["2015-10-16/13:05", "2015-10-16/13:07"],
    ...                     products=["dc_mag", "i_dens"], probes=1, time="i_dens")  # doctest: +SKIP
    """
    start, end = _time_range(start, end, trange)
    if time is not None and time_method not in ("linear", "nearest"):
        raise InvalidRequestError(
            f"time_method={time_method!r} is not known; use 'linear' or 'nearest'"
        )
    is_lazy = wanted_chunks(chunks, lazy)
    check_download(download, is_lazy)
    reg, spec, cfg, derivs, request = prepare(
        mission,
        start,
        end,
        products,
        probes,
        coords,
        mode,
        offline=offline,
        version=version,
        base_url=base_url,
        cache_dir=cache_dir,
        progress=progress,
        max_files=max_files,
        registry=registry,
        options=options,
    )
    if is_lazy:
        records = chunks if isinstance(chunks, int) else None
        ds = run_lazy(reg, spec, cfg, derivs, request, records=records, download=download)
    else:
        ds = run(reg, spec, cfg, derivs, request)
    if time is None:
        return ds
    source = _time_source(ds, time, list(request.products), list(request.probes))
    return align(ds, source, method=time_method, tolerance=time_tolerance)  # type: ignore[arg-type]


def prepare(
    mission: str,
    start: Any,
    end: Any,
    products: Iterable[str] | str | None = None,
    probes: Iterable[str] | str | None = None,
    coords: str | None = None,
    mode: str | None = None,
    *,
    offline: bool | None = None,
    version: str | None = None,
    base_url: str | Mapping[str, str] | None = None,
    cache_dir: str | None = None,
    progress: bool | None = None,
    max_files: int | None = None,
    registry: Registry | None = None,
    options: Mapping[str, Any] | None = None,
) -> tuple[Registry, MissionSpec, Config, dict, Request]:
    """The registry, mission, config, derivations and validated :class:`Request` of a
    :func:`load` call (the same keywords); what :func:`load` and
    :func:`helioport.prefetch.prefetch` run the lifecycle with.

    Examples
    --------
    >>> reg, spec, cfg, derivs, request = prepare("omni", "2010-01-01", "2010-02-01", "dc_mag")  # doctest: +SKIP
    """
    reg = registry or get_registry()
    spec = reg.mission(mission)
    cfg = Config.load(
        cache_dir=cache_dir,
        offline=offline,
        urls=_mirror_urls(spec, base_url),
        progress=progress,
        max_files=max_files,
    )
    derivs = reg.derivations_for(spec.name)
    request = Request.for_mission(
        spec,
        start,
        end,
        products,
        probes,
        coords,
        mode,
        known_products=list(derivs),
        known_options={k: v for d in derivs.values() for k, v in d.options.items()},
        version=version,
        offline=cfg.offline,
        options=dict(options or {}),
    )
    return reg, spec, cfg, derivs, request


def _time_range(start: Any, end: Any, trange: Sequence[Any] | None) -> tuple[Any, Any]:
    """``(start, end)`` from ``start``/``end`` or ``trange``: exactly one of the two forms."""
    if trange is None:
        if start is None or end is None:
            raise InvalidRequestError(
                f"load needs a time range: give start and end (start={start!r}, end={end!r}) "
                "or trange=[start, end]"
            )
        return start, end
    if start is not None or end is not None:
        raise InvalidRequestError(
            "give the time range once: start and end, or trange=[start, end], not both "
            f"(start={start!r}, end={end!r}, trange={trange!r})"
        )
    if isinstance(trange, (str, bytes)) or len(trange) != 2:
        raise InvalidRequestError(
            f"trange must be two times [start, end], e.g. ['2015-10-16/13:05', '2015-10-16/13:07'], "
            f"not {trange!r}"
        )
    return trange[0], trange[1]


def _time_source(ds: xr.Dataset, time: Any, products: list[str], probes: list[str]) -> Any:
    """The output variable whose times ``load(time=...)`` names (itself, or a product's), or
    the times given."""
    names = [str(v) for v in ds.data_vars]
    if not isinstance(time, str):
        return time  # times: helioport.align reads them (and says what it cannot read)
    if isinstance(time, str):
        if time in names:
            return time
        for probe in probes or [None]:
            if time in products and variable_name(time, probe) in names:
                return variable_name(time, probe)
        if time in products and time in names:  # a product made across probes (j_curl)
            return time
    raise InvalidRequestError(
        f"time={time!r} names no variable of this request; give one of its variables "
        f"({', '.join(names)}) or products ({', '.join(products)}), or time=None to keep "
        "each variable on its own time dimension"
    )


def load_data(
    mission: str,
    start_time: Any = None,
    end_time: Any = None,
    prod: Iterable[str] | str | None = None,
    probes: Iterable[str] | str | None = None,
    coords: str | None = None,
    mode: str | None = None,
    **kwargs: Any,
) -> xr.Dataset:
    """The AIDApy signature of :func:`load` (``prod`` for ``products``).

    Keyword arguments are :func:`load`'s (``trange=[start, end]`` instead of the
    two times, ``time=`` for one time axis, ``base_url=``...).

    Examples
    --------
    >>> ds = helioport.load_data("mms", "2015-10-16T13:05", "2015-10-16T13:07",
    ...                          prod=["dc_mag"], probes=["1"], coords="gse", mode="brst")  # doctest: +SKIP
    >>> ds = helioport.load_data("mms", trange=["2015-10-16/13:05", "2015-10-16/13:07"],
    ...                          prod=["dc_mag"], probes=["1"], mode="brst")  # doctest: +SKIP
    """
    return load(
        mission,
        start_time,
        end_time,
        products=prod,
        probes=probes,
        coords=coords,
        mode=mode,
        **kwargs,
    )


def _mirror_urls(
    spec: MissionSpec, base_url: str | Mapping[str, str] | None
) -> dict[str, str] | None:
    if base_url is None:
        return None
    if isinstance(base_url, Mapping):
        keys = {s.key for s in spec.sources}
        bad = [k for k in base_url if k.lower() not in keys]
        if bad:
            raise InvalidRequestError(
                f"mission {spec.name!r} has no source {', '.join(bad)}; its sources: {', '.join(sorted(keys))}"
            )
        return {k.lower(): v for k, v in base_url.items()}
    if not spec.sources:
        raise InvalidRequestError(f"mission {spec.name!r} declares no archive source to replace")
    return {spec.sources[0].key: str(base_url)}
