"""Generated imager data for tests, samples and benchmarks (any site, any size).

- :func:`synthetic_skymap`: the geometry of an ideal equidistant fisheye
  looking up at a site, in the orientation convention: elevation falls
  linearly from 90 at the centre to 0 at the edge of the inscribed circle;
  azimuth is east of north with north at high rows and east at low
  columns; pixel-corner latitude/longitude at the mapping altitudes, where
  the line of sight meets a sphere of radius Earth + altitude.
- :func:`write_skymap_sav`: that geometry as a genuine IDL SAVE file in the
  UCalgary layout (raw orientation, i.e. ``flipud`` of the convention,
  corner maps, ``GENERATION_INFO.VALID_INTERVAL_START``), written with
  :func:`.write_sav` and read back by :func:`scipy.io.readsav`.
- :func:`arc_frames`: ``uint16`` frames of an east-west auroral arc moving
  equatorward over a dark sky with dark corners outside the lens.

Examples
--------
>>> geo = synthetic_skymap(62.41, -145.16, size=64)
>>> geo["elevation"].shape, bool(np.nanmax(geo["elevation"]) > 85)
((64, 64), True)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pymap3d

from .geometry import EARTH_RADIUS_KM
from .savwriter import write_sav

__all__ = [
    "ALTITUDES_KM",
    "arc_frames",
    "synthetic_skymap",
    "write_l1_imager_cdf",
    "write_skymap_sav",
]

#: the mapping altitudes of THEMIS and REGO skymaps
ALTITUDES_KM = (90.0, 110.0, 150.0)
DARK, SKY, ARC = 2300, 3000, 9000  # counts: outside the lens, night sky, arc peak


def _aer_at(row: np.ndarray, col: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation (degrees) of fractional pixel positions in the convention."""
    centre = (size - 1) / 2.0
    north, west = row - centre, col - centre  # high rows north, high columns west
    rho = np.hypot(north, west) / (size / 2.0)
    el = 90.0 * (1.0 - rho)
    az = np.degrees(np.arctan2(-west, north)) % 360.0
    el = np.where(el >= 0.0, el, np.nan)
    return np.where(np.isfinite(el), az, np.nan), el


def _ground(lat0: float, lon0: float, az: np.ndarray, el: np.ndarray, alt_km: float):
    """Where lines of sight meet the sphere of radius Earth + ``alt_km`` (lat, lon degrees)."""
    e = np.radians(el)
    r = EARTH_RADIUS_KM
    slant = -r * np.sin(e) + np.sqrt((r * np.sin(e)) ** 2 + 2 * r * alt_km + alt_km**2)
    lat, lon, _ = pymap3d.aer2geodetic(az, el, slant * 1000.0, lat0, lon0, 0.0)
    return np.asarray(lat, dtype=float), (np.asarray(lon, dtype=float) + 180.0) % 360.0 - 180.0


def synthetic_skymap(
    lat0: float, lon0: float, *, size: int = 256, altitudes_km=ALTITUDES_KM
) -> dict[str, np.ndarray]:
    """Geometry in the convention: ``azimuth``, ``elevation`` ``[N, N]``; corner
    ``lat_corners``/``lon_corners`` ``[n_alt, N+1, N+1]`` (longitudes -180..180)."""
    idx = np.arange(size, dtype=float)
    az, el = _aer_at(idx[:, None], idx[None, :], size)
    edges = np.arange(size + 1, dtype=float) - 0.5
    caz, cel = _aer_at(edges[:, None], edges[None, :], size)
    lats, lons = [], []
    for alt in altitudes_km:
        la, lo = _ground(lat0, lon0, np.nan_to_num(caz), np.nan_to_num(cel), alt)
        lats.append(np.where(np.isfinite(cel), la, np.nan))
        lons.append(np.where(np.isfinite(cel), lo, np.nan))
    return {
        "azimuth": az,
        "elevation": el,
        "lat_corners": np.array(lats),
        "lon_corners": np.array(lons),
    }


N_BINS = 1024  # the real skymaps' binned pixels


def _bins(geo: dict, size: int, lat0: float, lon0: float, alt_km: float) -> dict[str, np.ndarray]:
    """The ``BIN_*`` fields: 32 x 32 square blocks of pixels (raw orientation), each bin's
    centre pixel, its azimuth/elevation there and its four corners mapped at ``alt_km``;
    ``FULL_BIN`` (convention orientation) is each pixel's bin, ``N_BINS`` outside the lens."""
    side = int(np.sqrt(N_BINS))
    step = size / side
    rows = np.arange(size)
    block = np.minimum((rows / step).astype(int), side - 1)
    raw_bin = block[:, None] * side + block[None, :]  # in the raw orientation
    full_bin = np.where(np.isfinite(geo["elevation"][::-1]), raw_bin, N_BINS)[::-1]
    b = np.arange(N_BINS)
    r0, c0 = (b // side) * step, (b % side) * step
    r_mid = np.minimum((r0 + step / 2).astype(int), size - 1)
    c_mid = np.minimum((c0 + step / 2).astype(int), size - 1)
    el_raw, az_raw = geo["elevation"][::-1], geo["azimuth"][::-1]
    corners_r = np.stack([r0, r0, r0 + step, r0 + step])  # raw rows and columns of corners
    corners_c = np.stack([c0, c0 + step, c0 + step, c0])
    # the convention's fractional row of a raw row r is size - 1 - r; corners sit half a pixel out
    az_c, el_c = _aer_at(size - 0.5 - corners_r, corners_c - 0.5, size)
    lat, lon = _ground(lat0, lon0, np.nan_to_num(az_c), np.nan_to_num(el_c), alt_km)
    seen = np.isfinite(el_c)
    return {
        "full_bin": full_bin.astype(np.uint16),
        "row": r_mid.astype(np.uint16),
        "column": c_mid.astype(np.uint16),
        "elevation": el_raw[r_mid, c_mid].astype(np.float32),
        "azimuth": az_raw[r_mid, c_mid].astype(np.float32),
        "latitude": np.where(seen, lat, np.nan).astype(np.float32),
        "longitude": np.where(seen, lon % 360.0, np.nan).astype(np.float32),
    }


def write_skymap_sav(
    path: str | Path,
    site: str,
    lat0: float,
    lon0: float,
    valid_from: dt.datetime,
    *,
    size: int = 256,
    project: str = "themis",
    altitudes_km: tuple[float, ...] = ALTITUDES_KM,
    bin_alt_km: float = 110.0,
) -> Path:
    """Write the synthetic skymap of ``site`` as a UCalgary-layout IDL SAVE file.

    Arrays are written in the files' raw orientation (``flipud`` of the
    convention), longitudes 0..360 east and altitudes in metres, as the
    real files have them. ``altitudes_km`` are the mapping altitudes (THEMIS
    90, 110, 150 km by default). Every field of the real skymaps is written,
    in their order and types (``FULL_ROW``/``COLUMN`` indices, ``FULL_IGNORE``,
    ``FULL_SUBTRACT``, ``FULL_MULTIPLY``, and the 1024 ``BIN_*`` bins: here
    32 x 32 blocks, mapped at ``bin_alt_km``), so readers see the real structure.
    """
    geo = synthetic_skymap(lat0, lon0, size=size, altitudes_km=altitudes_km)

    def flip(a: np.ndarray) -> np.ndarray:  # the convention -> the files' raw orientation
        return np.ascontiguousarray(a[..., ::-1, :])

    lon360 = np.where(np.isfinite(geo["lon_corners"]), geo["lon_corners"] % 360.0, np.nan)
    idx = np.arange(size, dtype=np.uint16)
    bins = _bins(geo, size, lat0, lon0, bin_alt_km)
    centre = (size - 1) / 2.0
    skymap = {
        "GENERATION_INFO": {
            "DATE_GENERATED": "generated by helioport.imaging.fixtures",
            "AUTHOR": "helioport",
            "VALID_INTERVAL_START": valid_from.strftime("%Y%m%d%H"),
            "VALID_INTERVAL_STOP": "+",
            "DATE_TIME_USED": valid_from.strftime("%Y%m%d_UT%H"),
            "DATA_LOC": f"generated/{site}_{project}_synthetic_full-average.pgm.gz",
            "CODE_USED": "helioport.imaging.fixtures.write_skymap_sav",
            "OPTICAL_PROJECTION": np.zeros((2, 9)),  # an ideal equidistant lens: no polynomial
            "OPTICAL_ORIENTATION": np.zeros(3),
            "CCD_CENTER": np.array([centre, centre]),
            "IMG_FLIP": np.array([1, 0], dtype=np.uint8),  # as in the real THEMIS files
            "PIXEL_ASPECT_RATIO": 1.0,
            "BYTSCL_VALUES": np.array([-1, -1], dtype=np.int16),
        },
        "SITE_UID": site,
        "IMAGER_UID": f"{project}_synthetic",
        "PROJECT_UID": project,
        "IMAGER_UNIX_TIME": np.int32(0),
        "SITE_MAP_LATITUDE": np.float32(lat0),
        "SITE_MAP_LONGITUDE": np.float32(lon0 % 360.0),
        "SITE_MAP_ALTITUDE": np.float32(0.0),
        "FULL_ROW": np.ascontiguousarray(np.broadcast_to(idx[:, None], (size, size))),
        "FULL_COLUMN": np.ascontiguousarray(np.broadcast_to(idx[None, :], (size, size))),
        "FULL_IGNORE": np.zeros((size, size), dtype=np.uint8),
        "FULL_SUBTRACT": np.full((size, size), DARK, dtype=np.uint16),
        "FULL_MULTIPLY": np.ones((size, size), dtype=np.float32),
        "FULL_ELEVATION": flip(geo["elevation"]).astype(np.float32),
        "FULL_AZIMUTH": flip(geo["azimuth"]).astype(np.float32),
        "FULL_MAP_ALTITUDE": (np.array(altitudes_km) * 1000.0).astype(np.float32),
        "FULL_MAP_LATITUDE": flip(geo["lat_corners"]).astype(np.float32),
        "FULL_MAP_LONGITUDE": flip(lon360).astype(np.float32),
        "FULL_BIN": flip(bins["full_bin"]),
        "BIN_ROW": bins["row"],
        "BIN_COLUMN": bins["column"],
        "BIN_ELEVATION": bins["elevation"],
        "BIN_AZIMUTH": bins["azimuth"],
        "BIN_MAP_ALTITUDE": np.float32(bin_alt_km * 1000.0),
        "BIN_MAP_LATITUDE": bins["latitude"],
        "BIN_MAP_LONGITUDE": bins["longitude"],
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_sav(path, {"skymap": skymap})


def arc_frames(
    lat_map: np.ndarray,
    times: np.ndarray,
    *,
    start_lat: float,
    speed_deg_per_hour: float = -1.5,
    width_deg: float = 0.25,
) -> np.ndarray:
    """``uint16`` frames ``[n, N, N]`` (convention) of an east-west arc drifting in latitude.

    ``lat_map`` is the pixel-centre latitude at the arc's altitude (NaN
    outside the lens, where frames are dark); the arc is at
    ``start_lat + speed * hours since times[0]``.
    """
    hours = (times - times[0]).astype("timedelta64[ms]").astype(float) / 3.6e6
    centre = start_lat + speed_deg_per_hour * hours
    lat = np.nan_to_num(lat_map, nan=-90.0)
    out = np.empty((times.size, *lat_map.shape), dtype=np.uint16)
    inside = np.isfinite(lat_map)
    for i, c in enumerate(centre):
        glow = SKY + (ARC - SKY) * np.exp(-(((lat - c) / width_deg) ** 2))
        out[i] = np.where(inside, glow, DARK).astype(np.uint16)
    return out


def write_l1_imager_cdf(
    path: Path,
    variable: str,
    times: np.ndarray,
    frames: np.ndarray,
    *,
    global_attrs: dict[str, str],
    exposure_s: float | np.ndarray | None = None,
    compress: int = 1,
    block_factor: int = 20,
) -> Path:
    """A Berkeley ground-imager L1 hourly CDF (THEMIS ``thg_asf_*``, REGO ``clg_rgf_*``).

    ``frames`` in the convention ``[N, y, x]`` are written raw (``fliplr``)
    as CDF_UINT2 ``variable`` (fill 65535), with ``<variable>_epoch``
    (CDF_EPOCH), ``<variable>_time`` (unix seconds), the ``_column``/``_row``
    support variables and, when ``exposure_s`` is given (one value or one
    per frame), ``<variable>_tend``, the end of integration, as the real
    files carry them. The frames are GZIP-compressed in blocks of
    ``block_factor`` records, as in the real files (level 6 there; level 1
    here is faster to write), so a reader can take a few records without
    inflating the whole hour.
    """
    from ..testing.cdfwriter import VarSpec, write_cdf  # test tooling, only when writing

    raw = np.ascontiguousarray(frames[:, :, ::-1]).astype(np.uint16)
    _, ny, nx = raw.shape
    var = variable
    unix = (times.astype("datetime64[ns]").astype(np.int64) / 1e9).astype(np.float64)
    fill16 = np.uint16(65535)
    unix_attrs = {"UNITS": "sec", "VAR_TYPE": "support_data", "FILLVAL": np.float64(np.nan)}
    variables = {
        f"{var}_epoch": VarSpec(
            times.astype("datetime64[ns]"),
            {"CATDESC": "Epoch of start of image exposure", "FIELDNAM": f"{var}_epoch",
             "FILLVAL": -1e31, "LABLAXIS": "UT", "VAR_TYPE": "support_data"},
            cdf_type="CDF_EPOCH",
        ),
        f"{var}_time": VarSpec(
            unix, {"CATDESC": f"{var}_time, UTC, in seconds since 01-Jan-1970 00:00:00",
                   "VAR_NOTES": "Unleaped seconds", **unix_attrs},
        ),
        f"{var}_column": VarSpec(
            np.arange(1, nx + 1, dtype=np.uint16), {"VAR_TYPE": "support_data"}, record_varying=False
        ),
        f"{var}_row": VarSpec(
            np.arange(1, ny + 1, dtype=np.uint16), {"VAR_TYPE": "support_data"}, record_varying=False
        ),
        var: VarSpec(
            raw,
            {"CATDESC": f"Images of {ny}x{nx} pixels", "DEPEND_0": f"{var}_epoch",
             "DEPEND_1": f"{var}_column", "DEPEND_2": f"{var}_row", "DISPLAY_TYPE": "image",
             "FIELDNAM": var, "FILLVAL": fill16, "UNITS": "counts", "VALIDMIN": np.uint16(0),
             "VALIDMAX": fill16, "VAR_TYPE": "data"},
            compress=compress, block_factor=block_factor,
        ),
    }  # fmt: skip
    if exposure_s is not None:
        variables[f"{var}_tend"] = VarSpec(
            unix + np.asarray(exposure_s, dtype=np.float64),
            {"CATDESC": f"{var}_tend, UTC, in seconds since 01-Jan-1970 00:00:00",
             "VAR_NOTES": "Unleaped seconds, end time of integration", **unix_attrs},
        )  # fmt: skip
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_cdf(path, variables, global_attrs={**global_attrs, "Logical_file_id": path.stem})
