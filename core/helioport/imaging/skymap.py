"""The skymap of a site at a time, through the one request lifecycle.

A mission's skymaps are its product ``skymap``: the plugin's
``helioport_find_files`` lists the site's skymap folders and answers the one
file valid at the request's start (:func:`.find_skymap_files`), the core
fetches and caches it like any file (mirrors, offline, versions), and the
plugin's ``helioport_load`` reads it (:func:`.read_skymap`, :func:`.to_product`).
:func:`skymap` asks :func:`helioport.load` for it and gives back the plain
skymap Dataset every imaging function takes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import xarray as xr

from ..api import load
from ..times import parse_time
from .skymapfile import from_product

__all__ = ["skymap"]


def skymap(
    mission: str, site: str, time: Any, *, registry: Any = None, **load_kwargs: Any
) -> xr.Dataset:
    """The skymap of ``site`` valid at ``time``: the newest starting at or before it.

    When every skymap of the site starts after ``time``, the earliest is
    used and a warning names both dates.

    Parameters
    ----------
    mission
        An imager mission whose plugin serves the product ``skymap`` (``"themis_asi"``).
    site
        The site (the mission's probe), e.g. ``"gako"``.
    time
        Any time :func:`helioport.load` takes.
    registry, **load_kwargs
        Passed on to :func:`helioport.load` (``offline=``, ``base_url=``, ``cache_dir=``...).

    Returns
    -------
    xarray.Dataset
        ``azimuth``, ``elevation`` ``(y, x)`` (degrees, NaN outside the field
        of view); ``latitude``, ``longitude`` ``(altitude, y, x)`` at pixel
        centres (longitude -180..180); coordinate ``altitude`` (km); attrs
        ``site``, ``site_latitude``, ``site_longitude``, ``site_altitude_m``,
        ``file``, ``valid_from``, ``mission``, ``orientation``, ``raw_transform``.

    Examples
    --------
    >>> sky = skymap("themis_asi", "gako", "2011-06-01")  # doctest: +SKIP
    >>> sky.attrs["valid_from"], float(sky["elevation"].max())  # doctest: +SKIP
    ('2011-03-05T08:00:00', 89.71)
    """
    t = parse_time(time)
    ds = load(
        mission,
        t,
        t + dt.timedelta(seconds=1),
        products=["skymap"],
        probes=[site],
        registry=registry,
        **load_kwargs,
    )
    return from_product(ds, site=str(site).lower())
