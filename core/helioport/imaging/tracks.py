"""Intensity in an area, and conjunctions of a satellite footprint with an imager.

- :func:`area_intensity`: mean counts of the pixels whose mapped point lies in a
  box around a point, per frame;
- :func:`conjunctions`: the intervals when a footprint track is in the field
  of view above a minimum elevation;
- :func:`intensity_along`: the counts at the footprint, per frame (nearest
  pixel, or the mean of a box around it).

A *track* is a :class:`pandas.DataFrame` (time index or a ``time`` column)
or an :class:`xarray.Dataset` on a time dimension, with ``lat``, ``lon``
(degrees) and optionally ``alt`` (km) of the footprint; without ``alt``
every point is at ``alt_km`` (default: the skymap's mapping altitude,
:func:`.default_altitude`: 110 km THEMIS, 230 km REGO).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import DataNotFoundError, InvalidRequestError
from ..naming import TIME, find_time_dim
from .frames import UINT16_FILL, frame_chunks, to_float
from .geometry import default_altitude, lla2azel, lla2pixel, pixels_in_box

__all__ = ["area_intensity", "conjunctions", "intensity_along", "track_frame"]


def track_frame(track: Any, alt_km: float = 110.0) -> pd.DataFrame:
    """The track as a DataFrame indexed by time (``datetime64[ns]``) with ``lat``, ``lon``, ``alt``."""
    if isinstance(track, xr.Dataset):
        tdim = find_time_dim(track)
        if tdim is None:
            raise InvalidRequestError("the track Dataset has no datetime64 time dimension")
        df = track.to_dataframe()
        df.index.name = TIME
    elif isinstance(track, pd.DataFrame):
        df = track.set_index(TIME) if TIME in track.columns else track
    else:
        raise InvalidRequestError(
            f"a track is a pandas DataFrame or xarray Dataset, not {type(track).__name__}"
        )
    missing = [c for c in ("lat", "lon") if c not in df.columns]
    if missing:
        raise InvalidRequestError(
            f"the track lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, df.columns))}"
        )
    out = pd.DataFrame(
        {
            "lat": df["lat"].to_numpy(float),
            "lon": df["lon"].to_numpy(float),
            "alt": df["alt"].to_numpy(float) if "alt" in df.columns else float(alt_km),
        },
        index=pd.DatetimeIndex(df.index).tz_localize(None) if getattr(df.index, "tz", None)
        else pd.DatetimeIndex(df.index),
    )  # fmt: skip
    return out.sort_index()


def _series(times: list[np.ndarray], values: list[np.ndarray], name: str, **attrs: Any):
    if not times:
        raise DataNotFoundError("no frames were given")
    return xr.DataArray(
        np.concatenate(values),
        dims=(TIME,),
        coords={TIME: np.concatenate(times)},
        name=name,
        attrs={"units": "counts", **attrs},
    )


def area_intensity(
    images: Any,
    skymap: xr.Dataset,
    lat: float,
    lon: float,
    alt_km: float | None = None,
    box_km: tuple[float, float] = (20.0, 20.0),
) -> xr.DataArray:
    """Mean counts per frame of the pixels mapped within ``box_km`` (east-west, north-south) of a point.

    Parameters
    ----------
    images
        Frames as :func:`.keogram` takes them (DataArray or ``(times, frames)`` iterator).
    skymap
        The site's skymap.
    lat, lon, alt_km
        The box's centre and the mapping altitude (one of the skymap's).
    box_km
        The box's size in km.

    Raises
    ------
    InvalidRequestError
        No pixel maps into the box (outside the field of view, or too small).

    Examples
    --------
    >>> area_intensity(ds["image_gako"], sky, 62.9, -145.2, 110, box_km=(30, 30))  # doctest: +SKIP
    """
    alt_km = default_altitude(skymap, alt_km)
    mask = pixels_in_box(skymap, lat, lon, alt_km, box_km)
    if not mask.any():
        raise InvalidRequestError(
            f"no pixel of {skymap.attrs.get('file', 'the skymap')} maps within {box_km} km of "
            f"({lat}, {lon}) at {alt_km} km: the point is outside the field of view or the box "
            "is smaller than a pixel; enlarge box_km"
        )
    rows, cols = np.nonzero(mask)
    fill = getattr(images, "attrs", {}).get("fill_value", UINT16_FILL)
    times, values = [], []
    for t, frames in frame_chunks(images):
        times.append(t)
        with np.errstate(invalid="ignore"):
            values.append(np.nanmean(to_float(frames[:, rows, cols], fill), axis=1))
        del frames  # before the next block is read
    return _series(
        times,
        values,
        "area_intensity",
        units=getattr(images, "attrs", {}).get("units") or "counts",
        lat=float(lat),
        lon=float(lon),
        alt_km=float(alt_km),
        box_km=list(box_km),
        n_pixels=int(rows.size),
    )


def _inside(skymap: xr.Dataset, df: pd.DataFrame, min_elevation: float) -> pd.DataFrame:
    az, el = lla2azel(skymap, df["lat"].to_numpy(), df["lon"].to_numpy(), df["alt"].to_numpy())
    rows, _ = lla2pixel(skymap, df["lat"].to_numpy(), df["lon"].to_numpy(), df["alt"].to_numpy())
    return df.assign(azimuth=az, elevation=el, inside=(rows >= 0) & (el >= min_elevation))


def conjunctions(
    skymap: xr.Dataset, track: Any, min_elevation: float = 20.0, alt_km: float | None = None
) -> pd.DataFrame:
    """The intervals when the footprint ``track`` is in the field of view above ``min_elevation``.

    Returns
    -------
    pandas.DataFrame
        One row per interval: ``start`` and ``end`` (the first and last track
        times inside), ``n_points``, ``max_elevation`` (degrees) and
        ``closest_time`` (when the elevation is highest). Empty when there is
        no conjunction.

    Examples
    --------
    >>> conjunctions(sky, footprint, min_elevation=20)  # doctest: +SKIP
                      start                 end  n_points  max_elevation  closest_time
    0   2011-01-06 17:02:00  2011-01-06 17:09:30        16          83.1  2011-01-06 17:06:00
    """
    df = _inside(skymap, track_frame(track, default_altitude(skymap, alt_km)), min_elevation)
    flag = df["inside"].to_numpy()
    edges = np.diff(np.concatenate([[0], flag.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    rows = []
    for a, b in zip(starts, ends):
        part = df.iloc[a:b]
        best = int(np.argmax(part["elevation"].to_numpy()))
        rows.append(
            {
                "start": part.index[0],
                "end": part.index[-1],
                "n_points": b - a,
                "max_elevation": float(part["elevation"].iloc[best]),
                "closest_time": part.index[best],
            }
        )
    columns = ["start", "end", "n_points", "max_elevation", "closest_time"]
    return pd.DataFrame(rows, columns=columns)


def _at_times(df: pd.DataFrame, times: np.ndarray) -> pd.DataFrame:
    """The track linearly interpolated to ``times`` (longitude unwrapped); NaN outside it."""
    t = df.index.to_numpy().astype("datetime64[ns]").astype(np.int64).astype(float)
    x = times.astype("datetime64[ns]").astype(np.int64).astype(float)
    lon = np.degrees(np.unwrap(np.radians(df["lon"].to_numpy())))
    out = {}
    for name, v in (("lat", df["lat"].to_numpy()), ("lon", lon), ("alt", df["alt"].to_numpy())):
        out[name] = np.interp(x, t, v, left=np.nan, right=np.nan)
    out["lon"] = (out["lon"] + 180.0) % 360.0 - 180.0
    return pd.DataFrame(out, index=pd.DatetimeIndex(times))


def intensity_along(
    images: Any,
    skymap: xr.Dataset,
    track: Any,
    box_km: tuple[float, float] | None = None,
    alt_km: float | None = None,
    min_elevation: float = 0.0,
) -> xr.DataArray:
    """Counts at the footprint ``track`` in each frame: its nearest pixel, or the mean of a box.

    The track is interpolated to the frame times (NaN outside its span, out
    of the field of view or below ``min_elevation``). With ``box_km`` the
    mean of the pixels mapped within the box around the footprint (at the
    skymap altitude nearest to the footprint's) is taken instead.

    Examples
    --------
    >>> intensity_along(iter_frames("themis_asi", "gako", t0, t1), sky, footprint)  # doctest: +SKIP
    """
    df = track_frame(track, default_altitude(skymap, alt_km))
    fill = getattr(images, "attrs", {}).get("fill_value", UINT16_FILL)
    alts = np.asarray(skymap["altitude"].values, dtype=float)
    times, values = [], []
    for t, frames in frame_chunks(images):
        pos = _at_times(df, t)
        out = np.full(t.size, np.nan, dtype=np.float32)
        ok = np.isfinite(pos["lat"].to_numpy())
        if box_km is None and ok.any():
            rows, cols = lla2pixel(skymap, pos["lat"][ok], pos["lon"][ok], pos["alt"][ok])
            el = np.asarray(skymap["elevation"].values, dtype=float)
            hit = rows >= 0
            with np.errstate(invalid="ignore"):
                hit[hit] = el[rows[hit], cols[hit]] >= min_elevation
            idx = np.flatnonzero(ok)[hit]
            out[idx] = to_float(frames[idx, rows[hit], cols[hit]], fill)
        elif box_km is not None:
            for i in np.flatnonzero(ok):
                p = pos.iloc[i]
                a = float(alts[np.argmin(np.abs(alts - p["alt"]))])
                mask = pixels_in_box(
                    skymap, p["lat"], p["lon"], a, box_km, min_elevation=min_elevation
                )
                if mask.any():
                    with np.errstate(invalid="ignore"):
                        out[i] = np.nanmean(to_float(frames[i][mask], fill))
        times.append(t)
        values.append(out)
        del frames
    how = "nearest pixel" if box_km is None else f"mean of a {box_km} km box"
    units = getattr(images, "attrs", {}).get("units") or "counts"
    return _series(
        times,
        values,
        "intensity_along",
        units=units,
        description=f"{units} at the footprint ({how})",
    )
