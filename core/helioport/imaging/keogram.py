"""Keograms: the intensity along a north-south line (or any path) against time.

The path is a set of geodetic points at the mapping altitude: by default the
meridian through the site, one point per pixel row spanning the field of view;
or any sequence of ``(lat, lon)``. Each point is seen by the pixel nearest to
its azimuth/elevation (:func:`.lla2pixel`); points below ``min_elevation`` (or
outside the field of view) give NaN. The sampling is one fancy-indexing per
block of frames (:func:`sample_frames`), streamed from a loaded DataArray or
from :func:`.iter_frames`, so memory stays that of one block.

Examples
--------
>>> sky = skymap("themis_asi", "gako", "2011-01-06T17")  # doctest: +SKIP
>>> keo = keogram(iter_frames("themis_asi", "gako", "2011-01-06T04", "2011-01-06T16"), sky)  # doctest: +SKIP
>>> keo.dims  # doctest: +SKIP
('time', 'latitude')
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..errors import DataNotFoundError, InvalidRequestError
from ..naming import TIME
from .frames import UINT16_FILL, frame_chunks, to_float
from .geometry import default_altitude, lla2pixel, mapping_index, site_of

__all__ = ["keogram", "meridian_path", "path_pixels", "sample_frames"]

log = logging.getLogger(__name__)


def meridian_path(
    skymap: xr.Dataset, alt_km: float | None = None, min_elevation: float = 10.0
) -> tuple[np.ndarray, np.ndarray]:
    """Points along the meridian through the site covering the field of view above ``min_elevation``.

    One point per pixel row, evenly spaced in latitude between the lowest
    and highest latitude the skymap maps there at ``alt_km`` (default: the
    skymap's, :func:`.default_altitude`).
    """
    i = mapping_index(skymap, default_altitude(skymap, alt_km))
    lat_map = np.asarray(skymap["latitude"].values[i], dtype=float)
    el = np.asarray(skymap["elevation"].values, dtype=float)
    with np.errstate(invalid="ignore"):
        seen = np.isfinite(lat_map) & (el >= min_elevation)
    if not seen.any():
        raise InvalidRequestError(
            f"no pixel of {skymap.attrs.get('file', 'the skymap')} is above {min_elevation} deg"
        )
    lats = np.linspace(lat_map[seen].min(), lat_map[seen].max(), lat_map.shape[0])
    _, lon0, _ = site_of(skymap)
    return lats, np.full_like(lats, lon0)


def path_pixels(
    skymap: xr.Dataset,
    lat: np.ndarray,
    lon: np.ndarray,
    alt_km: float,
    min_elevation: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and a ``seen`` mask of the pixels seeing each path point.

    ``seen`` is False where the point is outside the field of view or its
    pixel is below ``min_elevation``.
    """
    rows, cols = lla2pixel(skymap, lat, lon, alt_km)
    el = np.asarray(skymap["elevation"].values, dtype=float)
    seen = rows >= 0
    with np.errstate(invalid="ignore"):
        seen[seen] = el[rows[seen], cols[seen]] >= min_elevation
    return rows, cols, seen


def sample_frames(
    frames: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    seen: np.ndarray,
    fill: float | None = UINT16_FILL,
) -> np.ndarray:
    """``[n, K]`` float32 values of ``frames[:, rows, cols]``, NaN where not ``seen`` or fill.

    Examples
    --------
    >>> f = np.arange(8, dtype="u2").reshape(2, 2, 2)
    >>> sample_frames(f, np.array([0, 1]), np.array([1, 0]), np.array([True, False])).tolist()
    [[1.0, nan], [5.0, nan]]
    """
    out = np.full((frames.shape[0], rows.size), np.nan, dtype=np.float32)
    out[:, seen] = to_float(frames[:, rows[seen], cols[seen]], fill)
    return out


def keogram(
    images: Any,
    skymap: xr.Dataset,
    alt_km: float | None = None,
    path: Sequence[tuple[float, float]] | np.ndarray | None = None,
    min_elevation: float = 10.0,
) -> xr.DataArray:
    """A keogram ``(time, latitude)`` of ``images`` along a path at ``alt_km``.

    Parameters
    ----------
    images
        A ``(time, y, x)`` DataArray in the orientation convention (numpy or
        dask), a Dataset holding one, or an iterator of ``(times, frames)``
        such as :func:`.iter_frames` (streamed: one block in memory).
    skymap
        The site's skymap (:func:`.skymap`).
    alt_km
        The mapping altitude, one of the skymap's (90, 110, 150 km for THEMIS);
        default the skymap's ``default_alt_km`` (110 km THEMIS, 230 km REGO).
    path
        ``(lat, lon)`` points in degrees; default the meridian through the site.
    min_elevation
        Points seen below this elevation (degrees) are NaN.

    Returns
    -------
    xarray.DataArray
        float32 values on ``(time, latitude)`` in the images' units (counts,
        or Rayleighs for calibrated frames), coordinates ``latitude``,
        ``longitude`` (along the path), ``elevation``, ``row``/``col`` (the
        pixels sampled) and, when :mod:`aacgmv2` is installed, ``mlat``
        (AACGM-v2 magnetic latitude at the first time).

    Examples
    --------
    >>> keo = keogram(ds["image_gako"], sky, alt_km=110)  # doctest: +SKIP
    >>> keo.sel(latitude=63.0, method="nearest").plot()  # doctest: +SKIP
    """
    alt_km = default_altitude(skymap, alt_km)
    if path is None:
        lat, lon = meridian_path(skymap, alt_km, min_elevation)
        kind = "meridian through the site"
    else:
        pts = np.asarray(path, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] == 0:
            raise InvalidRequestError(
                f"path must be a sequence of (lat, lon) points; got an array of shape {pts.shape}"
            )
        lat, lon = pts[:, 0], pts[:, 1]
        kind = "custom path"
    rows, cols, seen = path_pixels(skymap, lat, lon, alt_km, min_elevation)
    fill = getattr(images, "attrs", {}).get("fill_value", UINT16_FILL)
    times, blocks = [], []
    for t, frames in frame_chunks(images):
        times.append(t)
        blocks.append(sample_frames(frames, rows, cols, seen, fill))
        del frames  # before the next block is read
    if not times:
        raise DataNotFoundError("no frames to make a keogram from")
    el = np.asarray(skymap["elevation"].values, dtype=float)
    coords: dict[str, Any] = {
        TIME: np.concatenate(times),
        "latitude": ("latitude", lat, {"units": "deg"}),
        "longitude": ("latitude", lon, {"units": "deg"}),
        "elevation": ("latitude", np.where(rows >= 0, el[rows, cols], np.nan), {"units": "deg"}),
        "row": ("latitude", rows),
        "col": ("latitude", cols),
    }
    # the imager's mission and light, so plots pick its colours (REGO red)
    known = {**skymap.attrs, **getattr(images, "attrs", {})}
    imager = {k: known[k] for k in ("mission", "colour") if known.get(k)}
    mlat = _magnetic_latitude(lat, lon, alt_km, coords[TIME][0])
    if mlat is not None:
        coords["mlat"] = ("latitude", mlat, {"units": "deg", "description": "AACGM-v2"})
    return xr.DataArray(
        np.concatenate(blocks),
        dims=(TIME, "latitude"),
        coords=coords,
        name="keogram",
        attrs={
            "units": getattr(images, "attrs", {}).get("units") or "counts",
            "description": f"keogram along the {kind} at {alt_km:g} km",
            "alt_km": float(alt_km),
            "min_elevation": float(min_elevation),
            "site": skymap.attrs.get("site", ""),
            "skymap": skymap.attrs.get("file", ""),
            "fill": f"NaN below {min_elevation:g} deg elevation, outside the field of view, "
            f"and for fill value {fill}",
            **imager,
        },
    )


def _magnetic_latitude(
    lat: np.ndarray, lon: np.ndarray, alt_km: float, time: np.datetime64
) -> np.ndarray | None:
    """AACGM-v2 latitudes of the path when :mod:`aacgmv2` is installed (optional), else ``None``."""
    try:
        import aacgmv2
    except ImportError:
        return None
    when = time.astype("datetime64[us]").item()
    try:
        mlat, _, _ = aacgmv2.convert_latlon_arr(lat, lon, np.full_like(lat, alt_km), when)
    except Exception as exc:  # noqa: BLE001 - an optional extra never breaks a keogram
        log.warning("aacgmv2 could not convert the keogram latitudes: %s", exc)
        return None
    return np.asarray(mlat, dtype=float)
