"""Skymap files (IDL SAVE, UCalgary layout) read into the orientation convention.

THEMIS and REGO skymaps are IDL SAVE files holding one structure ``skymap``
(both the older ``vXX`` and the newer ``v01``/``v02`` files): ``FULL_AZIMUTH``
and ``FULL_ELEVATION`` ``[N, N]`` (degrees, NaN outside the field of view),
``FULL_MAP_ALTITUDE`` (metres), ``FULL_MAP_LATITUDE``/``FULL_MAP_LONGITUDE``
``[n_alt, N+1, N+1]`` at pixel *corners* (longitudes 0..360 east),
``SITE_MAP_LATITUDE``/``LONGITUDE``/``ALTITUDE`` and ``GENERATION_INFO``
(``VALID_INTERVAL_START`` as ``YYYYMMDDHH``).

:func:`read_skymap` gives the Dataset every imaging function takes:
``azimuth`` and ``elevation`` on ``(y, x)``, ``latitude`` and ``longitude``
on ``(altitude, y, x)`` at pixel **centres** (mean of the four corners,
longitudes averaged across the 0/360 seam and given in -180..180), the
``altitude`` coordinate in km, every array ``flipud`` from the file into the
convention of :mod:`.orientation`. :func:`to_product` and
:func:`from_product` wrap it for the request lifecycle (product ``skymap``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import CorruptFileError, quiet
from ..naming import TIME, find_time_dim
from .geometry import DEFAULT_ALT_KM
from .orientation import apply, describe

__all__ = [
    "PRODUCT_PREFIX",
    "centres_from_corners",
    "from_product",
    "read_skymap",
    "to_product",
    "wrap_longitude",
]

#: the skymap product's variables are ``skymap_azimuth``, ``skymap_elevation``...
PRODUCT_PREFIX = "skymap_"
_VARIABLES = ("azimuth", "elevation", "latitude", "longitude")
_NAME_DATE = re.compile(r"_(\d{8})(?:-|_|\.)")


def wrap_longitude(lon: Any) -> Any:
    """Longitudes in degrees east brought into ``[-180, 180)`` (NaN kept).

    Examples
    --------
    >>> wrap_longitude(np.array([214.84, -190.0, 10.0])).round(2).tolist()
    [-145.16, 170.0, 10.0]
    """
    return (np.asarray(lon, dtype=np.float64) + 180.0) % 360.0 - 180.0


def centres_from_corners(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre latitude and longitude from ``[..., N+1, N+1]`` corner grids.

    Each centre is the mean of its four corners (NaN when any corner is NaN).
    Longitudes are averaged as offsets from the first corner, so pixels
    straddling the 0/360 (or ±180) seam average correctly; results are in
    ``[-180, 180)``.

    Examples
    --------
    >>> lat = np.array([[60.0, 60.0], [61.0, 61.0]])
    >>> lon = np.array([[359.0, 1.0], [359.0, 1.0]])
    >>> [a.item() for a in centres_from_corners(lat, lon)]
    [60.5, 0.0]
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    corners_lat = (lat[..., :-1, :-1], lat[..., 1:, :-1], lat[..., :-1, 1:], lat[..., 1:, 1:])
    corners_lon = (lon[..., :-1, :-1], lon[..., 1:, :-1], lon[..., :-1, 1:], lon[..., 1:, 1:])
    clat = sum(corners_lat) / 4.0
    ref = corners_lon[0]
    offsets = [wrap_longitude(c - ref) for c in corners_lon]
    clon = wrap_longitude(ref + sum(offsets) / 4.0)
    return clat, clon


def _field(struct: np.recarray, name: str) -> Any:
    return struct[name.upper()][0]


def _text(value: Any) -> str:
    return value.decode("latin1") if isinstance(value, bytes) else str(value)


def _valid_from(struct: np.recarray, path: Path) -> dt.datetime:
    """The start of the skymap's validity: ``GENERATION_INFO.VALID_INTERVAL_START``, else the name's date."""
    try:
        text = _text(_field(_field(struct, "GENERATION_INFO"), "VALID_INTERVAL_START")).strip()
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 8:
            return dt.datetime.strptime(digits[:10].ljust(10, "0"), "%Y%m%d%H")
    except (KeyError, ValueError, IndexError, TypeError):
        pass
    match = _NAME_DATE.search(path.name)
    if match is None:
        raise CorruptFileError(
            f"skymap {path} states no validity start (GENERATION_INFO.VALID_INTERVAL_START) and "
            "its name holds no date; re-download it or check the mirror"
        )
    return dt.datetime.strptime(match.group(1), "%Y%m%d")


def read_skymap(
    path: str | Path, *, mission: str = "", default_alt_km: float = DEFAULT_ALT_KM
) -> xr.Dataset:
    """Read a UCalgary skymap ``.sav`` into the convention of :mod:`.orientation`.

    Parameters
    ----------
    path
        The ``.sav`` file.
    mission
        The mission named in attrs.
    default_alt_km
        The mapping altitude imaging functions use when not told one (attr
        ``default_alt_km``; 110 km for 557.7 nm imagers, 230 km for REGO's 630 nm).

    Returns
    -------
    xarray.Dataset
        ``azimuth``, ``elevation`` ``(y, x)``; ``latitude``, ``longitude``
        ``(altitude, y, x)`` at pixel centres; coordinate ``altitude`` (km);
        attrs ``site``, ``site_latitude``, ``site_longitude`` (-180..180),
        ``site_altitude_m``, ``file``, ``valid_from`` (ISO), ``mission``,
        ``default_alt_km``, ``orientation``, ``raw_transform``.

    Raises
    ------
    CorruptFileError
        The file is not an IDL SAVE file with a ``skymap`` structure.

    Examples
    --------
    >>> sky = read_skymap("themis_skymap_gako_20110305-+_vXX.sav")  # doctest: +SKIP
    >>> sky.attrs["site_longitude"], sky["elevation"].dims  # doctest: +SKIP
    (-145.16, ('y', 'x'))
    """
    from scipy.io import readsav  # scipy.io pulls in much; only skymap readers need it

    path = Path(path)
    try:
        # scipy warns on every structure of real IDL files ("Not able to verify number of bytes")
        with quiet(UserWarning):
            struct = readsav(str(path), python_dict=True)["skymap"]
        az = np.asarray(_field(struct, "FULL_AZIMUTH"), dtype=np.float64)
        el = np.asarray(_field(struct, "FULL_ELEVATION"), dtype=np.float64)
        alt = np.atleast_1d(np.asarray(_field(struct, "FULL_MAP_ALTITUDE"), dtype=np.float64))
        lat_c = np.asarray(_field(struct, "FULL_MAP_LATITUDE"), dtype=np.float64)
        lon_c = np.asarray(_field(struct, "FULL_MAP_LONGITUDE"), dtype=np.float64)
        site = _text(_field(struct, "SITE_UID")).strip().lower()
        # float32 in the files: rounded to their precision (62.41, not 62.40999984741211)
        site_lat = round(float(_field(struct, "SITE_MAP_LATITUDE")), 5)
        site_lon = round(float(wrap_longitude(float(_field(struct, "SITE_MAP_LONGITUDE")))), 5)
        site_alt = round(float(_field(struct, "SITE_MAP_ALTITUDE")), 2)
    except Exception as exc:  # scipy raises bare Exception on a bad file
        raise CorruptFileError(
            f"cannot read skymap {path}: {type(exc).__name__}: {exc}. Delete it from the cache "
            "to fetch it again, or check that the mirror serves IDL SAVE skymaps"
        ) from exc
    n = el.shape[-1]
    if el.shape != (n, n) or az.shape != el.shape or lat_c.shape != (alt.size, n + 1, n + 1):
        raise CorruptFileError(
            f"skymap {path} has azimuth {az.shape}, elevation {el.shape} and corner maps "
            f"{lat_c.shape}; expected [N, N] and [n_alt, N+1, N+1]"
        )
    lat, lon = centres_from_corners(apply(lat_c, "flipud"), apply(lon_c, "flipud"))
    el = apply(el, "flipud").copy()
    az = apply(az, "flipud").copy()
    az[~np.isfinite(el)] = np.nan
    alt_km = alt / 1000.0 if np.nanmax(alt) > 1000.0 else alt  # metres in the files
    attrs = {
        "site": site,
        "site_latitude": site_lat,
        "site_longitude": site_lon,
        "site_altitude_m": site_alt,
        "file": path.name,
        "valid_from": _valid_from(struct, path).isoformat(),
        "mission": mission,
        "default_alt_km": float(default_alt_km),
        **describe("flipud", "IDL skymap arrays; lat/lon corners averaged to centres"),
    }
    return xr.Dataset(
        {
            "azimuth": (("y", "x"), az, {"units": "deg", "description": "azimuth east of north"}),
            "elevation": (("y", "x"), el, {"units": "deg", "description": "elevation"}),
            "latitude": (("altitude", "y", "x"), lat, {"units": "deg", "description": "geodetic"}),
            "longitude": (("altitude", "y", "x"), lon, {"units": "deg", "description": "east"}),
        },
        coords={"altitude": ("altitude", alt_km, {"units": "km"})},
        attrs=attrs,
    )


def to_product(sky: xr.Dataset, times: Any = None) -> xr.Dataset:
    """The skymap as the lifecycle carries it: ``skymap_*`` variables on a time axis.

    The lifecycle wants a time axis inside the request: a loader passes
    ``times`` inside it and the same skymap (broadcast, not copied) is the
    record of each, as it is in force over the whole request; without
    ``times`` the one record is at ``valid_from``. Attrs (the skymap's) go on
    each variable, so they survive assembly into the output Dataset.
    """
    if times is None:
        times = [sky.attrs["valid_from"]]
    t = np.array([np.datetime64(x, "ns") for x in times])
    out = xr.Dataset(attrs={**sky.attrs, "product": "skymap"})
    for name in _VARIABLES:
        da = sky[name].expand_dims({TIME: t})
        da.attrs = {**sky.attrs, **sky[name].attrs}
        out[PRODUCT_PREFIX + name] = da
    return out


def from_product(value: xr.Dataset, site: str | None = None) -> xr.Dataset:
    """The skymap Dataset back from :func:`to_product`'s form, or from a loaded Dataset.

    ``value`` is what the plugin returned (``skymap_azimuth``...) or what
    :func:`helioport.load` assembled (``skymap_azimuth_gako``...: give ``site``).
    """
    suffix = f"_{site}" if site else ""
    out = {}
    attrs: dict[str, Any] = {}
    for name in _VARIABLES:
        key = PRODUCT_PREFIX + name + suffix
        if key not in value.data_vars:
            raise CorruptFileError(
                f"no skymap variable {key!r} in the loaded data (it has {sorted(value.data_vars)})"
            )
        da = value[key]
        tdim = find_time_dim(da)
        if tdim is not None:
            da = da.isel({tdim: 0}, drop=True)
        da = da.rename({d: str(d).split("_")[0] for d in da.dims})
        attrs = attrs or dict(da.attrs)
        keep = {k: da.attrs[k] for k in ("units", "description") if k in da.attrs}
        out[name] = da.drop_vars([c for c in da.coords if c != "altitude"])
        out[name].attrs = keep
    skip = ("units", "description", "product", "level", "probe", "coords", "source_variable")
    return xr.Dataset(out, attrs={k: v for k, v in attrs.items() if k not in skip})
