"""Geometry of an all-sky imager: geodetic points to azimuth/elevation and pixels.

Pure functions on numpy arrays with a skymap Dataset (:func:`.read_skymap`)
for the site and the pixel maps:

- :func:`lla2azel`: where a point (latitude, longitude, altitude) is seen
  from the site, with :func:`pymap3d.geodetic2aer` (WGS84);
- :func:`lla2pixel`: the pixel whose azimuth/elevation is nearest to that
  direction (smallest angle on the sky), or ``-1`` outside the field of view;
- :func:`pixels_in_box`: the pixels whose mapped latitude/longitude at an
  altitude lie in a box of given size (km) around a point;
- :func:`mapping_index`: which altitude of the skymap's maps to use;
- :func:`default_altitude`: the mapping altitude used when none is given (the
  skymap's ``default_alt_km`` attr: 110 km for THEMIS, 230 km for REGO's 630 nm).

Examples
--------
>>> az, el = lla2azel(sky, sky.attrs["site_latitude"], sky.attrs["site_longitude"], 110)  # doctest: +SKIP
>>> round(float(el), 3)  # doctest: +SKIP
90.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..errors import InvalidRequestError

__all__ = [
    "DEFAULT_ALT_KM",
    "EARTH_RADIUS_KM",
    "default_altitude",
    "lla2azel",
    "lla2pixel",
    "mapping_index",
    "nearest_pixels",
    "pixels_in_box",
    "site_of",
]

EARTH_RADIUS_KM = 6371.0
#: the mapping altitude when neither the caller nor the skymap names one (557.7 nm aurora)
DEFAULT_ALT_KM = 110.0


def default_altitude(skymap: xr.Dataset | None, alt_km: float | None = None) -> float:
    """``alt_km`` when given, else the skymap's ``default_alt_km`` attr, else 110 km.

    An imager plugin states its emission's altitude on its skymaps (REGO's
    630 nm red line: 230 km), so keograms, maps and footprints use it unless
    the caller chooses another.

    Examples
    --------
    >>> default_altitude(xr.Dataset(attrs={"default_alt_km": 230.0}))
    230.0
    >>> default_altitude(xr.Dataset(attrs={"default_alt_km": 230.0}), 150)
    150.0
    >>> default_altitude(None)
    110.0
    """
    if alt_km is not None:
        return float(alt_km)
    attrs = getattr(skymap, "attrs", {}) or {}
    return float(attrs.get("default_alt_km", DEFAULT_ALT_KM))


def site_of(skymap: xr.Dataset) -> tuple[float, float, float]:
    """The site's geodetic latitude, longitude (degrees) and altitude (m)."""
    a = skymap.attrs
    return float(a["site_latitude"]), float(a["site_longitude"]), float(a.get("site_altitude_m", 0))


def mapping_index(skymap: xr.Dataset, alt_km: float) -> int:
    """The index of ``alt_km`` among the skymap's mapping altitudes.

    Raises
    ------
    InvalidRequestError
        The skymap has no map at that altitude (the message lists those it has).
    """
    alts = np.asarray(skymap["altitude"].values, dtype=float)
    hits = np.flatnonzero(np.isclose(alts, float(alt_km), atol=0.5))
    if hits.size == 0:
        raise InvalidRequestError(
            f"the skymap {skymap.attrs.get('file', '')} maps pixels at altitudes "
            f"{', '.join(f'{a:g}' for a in alts)} km, not {alt_km:g} km; use one of those"
        )
    return int(hits[0])


def lla2azel(skymap: xr.Dataset, lat: Any, lon: Any, alt_km: Any) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth (east of north) and elevation, degrees, of points seen from the skymap's site.

    Parameters
    ----------
    skymap
        A skymap Dataset (its ``site_*`` attrs are used).
    lat, lon, alt_km
        Geodetic latitude and longitude (degrees) and altitude (km) of the
        points; scalars or arrays broadcasting together.

    Examples
    --------
    >>> az, el = lla2azel(sky, 63.5, -145.16, 110)  # doctest: +SKIP
    >>> float(az) < 1 or float(az) > 359  # due north  # doctest: +SKIP
    True
    """
    import pymap3d  # imported here: it loads astropy (~1 s), which loading data never needs

    lat0, lon0, h0 = site_of(skymap)
    az, el, _ = pymap3d.geodetic2aer(
        np.asarray(lat, dtype=float),
        np.asarray(lon, dtype=float),
        np.asarray(alt_km, dtype=float) * 1000.0,
        lat0,
        lon0,
        h0,
    )
    return np.asarray(az, dtype=float), np.asarray(el, dtype=float)


def _unit(az: np.ndarray, el: np.ndarray) -> np.ndarray:
    """Unit vectors (east, north, up) of directions in degrees, on the last axis."""
    a, e = np.radians(az), np.radians(el)
    return np.stack([np.cos(e) * np.sin(a), np.cos(e) * np.cos(a), np.sin(e)], axis=-1)


def nearest_pixels(
    skymap: xr.Dataset, az: Any, el: Any, *, max_angle: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of the pixel nearest on the sky to each (azimuth, elevation).

    ``-1`` where the direction is more than ``max_angle`` degrees from every
    pixel of the field of view (outside it, or below its horizon).
    """
    az_b, el_b = np.broadcast_arrays(np.asarray(az, dtype=float), np.asarray(el, dtype=float))
    sky_el = np.asarray(skymap["elevation"].values, dtype=float)
    sky_az = np.asarray(skymap["azimuth"].values, dtype=float)
    valid = np.isfinite(sky_el) & np.isfinite(sky_az)
    rows_v, cols_v = np.nonzero(valid)
    pix = _unit(sky_az[valid], sky_el[valid])  # [P, 3]
    want = _unit(az_b.ravel(), el_b.ravel())  # [K, 3]
    rows = np.full(want.shape[0], -1, dtype=np.int64)
    cols = np.full(want.shape[0], -1, dtype=np.int64)
    ok = np.isfinite(want).all(axis=1)
    limit = np.cos(np.radians(max_angle))
    for start in range(0, want.shape[0], 256):  # bounded memory: 256 x P cosines at a time
        block = slice(start, start + 256)
        cosines = want[block][ok[block]] @ pix.T
        if cosines.size == 0:
            continue
        best = np.argmax(cosines, axis=1)
        close = cosines[np.arange(best.size), best] >= limit
        idx = np.flatnonzero(ok[block]) + start
        rows[idx[close]] = rows_v[best[close]]
        cols[idx[close]] = cols_v[best[close]]
    return rows.reshape(az_b.shape), cols.reshape(az_b.shape)


def lla2pixel(
    skymap: xr.Dataset, lat: Any, lon: Any, alt_km: Any, *, max_angle: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """The pixel (row, column) seeing each geodetic point: nearest by azimuth/elevation.

    Rows and columns are in the orientation convention; ``-1`` for a point
    outside the field of view.

    Examples
    --------
    >>> row, col = lla2pixel(sky, 62.41, -145.16, 110)  # doctest: +SKIP
    >>> sky["elevation"].values[row, col] > 85  # doctest: +SKIP
    True
    """
    az, el = lla2azel(skymap, lat, lon, alt_km)
    return nearest_pixels(skymap, az, el, max_angle=max_angle)


def pixels_in_box(
    skymap: xr.Dataset,
    lat: float,
    lon: float,
    alt_km: float,
    box_km: tuple[float, float] = (20.0, 20.0),
    *,
    min_elevation: float = 0.0,
) -> np.ndarray:
    """Boolean ``(y, x)`` mask of the pixels whose mapped point lies in a box around (lat, lon).

    The box is ``box_km[0]`` km east-west by ``box_km[1]`` km north-south,
    centred on the point, on the map at ``alt_km`` (distances on a sphere of
    radius Earth + ``alt_km``); pixels below ``min_elevation`` are left out.
    """
    i = mapping_index(skymap, alt_km)
    plat = np.asarray(skymap["latitude"].values[i], dtype=float)
    plon = np.asarray(skymap["longitude"].values[i], dtype=float)
    radius = EARTH_RADIUS_KM + float(alt_km)
    dlon = (plon - float(lon) + 180.0) % 360.0 - 180.0
    east_km = np.radians(dlon) * radius * np.cos(np.radians(float(lat)))
    north_km = np.radians(plat - float(lat)) * radius
    el = np.asarray(skymap["elevation"].values, dtype=float)
    with np.errstate(invalid="ignore"):
        return (
            (np.abs(east_km) <= box_km[0] / 2.0)
            & (np.abs(north_km) <= box_km[1] / 2.0)
            & (el >= min_elevation)
        )
