"""The public API: missions, products, and ``load()``.

``load()`` validates the request against the mission (:class:`Request`) and
hands it to the one request lifecycle all data takes (:mod:`helioport.lifecycle`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import xarray as xr

from .config import Config
from .errors import InvalidRequestError
from .lifecycle import run
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
    registry: Registry | None = None,
    **options: Any,
) -> xr.Dataset:
    """Load products of a mission over ``[start, end)`` as one labelled Dataset.

    Parameters
    ----------
    mission
        An installed mission (``"omni"``, ``"mms"``...); see :func:`missions`.
    start, end
        Datetimes (naive = UTC), ISO strings, ``numpy.datetime64``,
        ``pandas.Timestamp`` or ``astropy.time.Time``.
    products
        Product names (``"dc_mag"``, ``["i_dens", "mag_elev_angle"]``);
        derived products are computed from their inputs.
    probes
        Spacecraft or stations (``["mms1", "mms2"]``; ``1`` works for ``mms1``).
    coords
        Coordinate system (``"gse"``, ``"gsm"``), default the mission's.
    mode
        Data rate / resolution (``"1min"``, ``"brst"``), default the mission's.
    offline
        Use only the local cache (default: ``HELIOPORT_OFFLINE`` or config).
    version
        ``None``/"latest" (newest), ``"4.18"`` (pinned) or ``">=4.18"`` (minimum).
    base_url
        A mirror for the mission's main source (str) or per source key (dict):
        ``https://`` server, ``file://`` URL or a folder path.
    cache_dir
        Cache folder (default: ``HELIOPORT_CACHE_DIR`` or the user cache dir).
    **options
        Plugin-specific options, passed on in ``request.options``.

    Returns
    -------
    xarray.Dataset
        A variable per product (and probe: ``dc_mag_mms1``), each on its own
        ``time_<variable>`` dimension unless it shares a time base; attrs with
        units, frame and provenance (files, versions).

    Examples
    --------
    >>> ds = helioport.load("omni", "2010-01-01", "2010-01-02", products=["dc_mag"], mode="hourly")  # doctest: +SKIP
    >>> ds["dc_mag"].sel(component="z")  # doctest: +SKIP
    """
    reg = registry or get_registry()
    spec = reg.mission(mission)
    cfg = Config.load(
        cache_dir=cache_dir,
        offline=offline,
        urls=_mirror_urls(spec, base_url),
        progress=progress,
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
        options=dict(options),
    )
    return run(reg, spec, cfg, derivs, request)


def load_data(
    mission: str,
    start_time: Any,
    end_time: Any,
    prod: Iterable[str] | str | None = None,
    probes: Iterable[str] | str | None = None,
    coords: str | None = None,
    mode: str | None = None,
    **kwargs: Any,
) -> xr.Dataset:
    """The AIDApy signature of :func:`load` (``prod`` for ``products``).

    Examples
    --------
    >>> ds = helioport.load_data("mms", "2015-10-16T13:05", "2015-10-16T13:07",
    ...                          prod=["dc_mag"], probes=["1"], coords="gse", mode="brst")  # doctest: +SKIP
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
