"""THEMIS ASI files for tests, the sample archive and the benchmark.

:func:`write_asf_cdf` writes an hourly L1 file with the real variables and
types (see ``thg_l1_asf_gako_2011010617_v01.cdf``): ``thg_asf_{site}``
CDF_UINT2 ``[N, 256, 256]`` (raw orientation: the ``fliplr`` of the
convention), ``thg_asf_{site}_epoch`` CDF_EPOCH, ``thg_asf_{site}_time``
(unix seconds), ``thg_asf_{site}_column``/``_row`` support variables and
the ISTP attributes. :func:`write_site` writes a skymap and hourly files
of a moving arc in the archives' layouts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from helioport.imaging import read_skymap
from helioport.imaging.fixtures import arc_frames, write_skymap_sav
from helioport.testing.cdfwriter import VarSpec, write_cdf

from . import products

__all__ = ["asf_name", "skymap_relpath", "write_asf_cdf", "write_site"]

UTC = dt.timezone.utc


def asf_name(site: str, hour: dt.datetime) -> str:
    """``thg/l1/asi/gako/2011/01/thg_l1_asf_gako_2011010617_v01.cdf`` (below the Berkeley base)."""
    return products.IMAGES.relpath(hour, site=site).replace("{version}", "01")


def skymap_relpath(site: str, valid_from: dt.datetime, version: str = "XX") -> str:
    """``gako/gako_20110305/themis_skymap_gako_20110305-+_vXX.sav`` (below the UCalgary base)."""
    folder = valid_from.strftime(products.SKYMAPS.folder.format(site=site))
    name = valid_from.strftime(
        products.SKYMAPS.name.replace("{version}", version).format(site=site)
    )
    return folder + name


def write_asf_cdf(
    path: Path,
    site: str,
    times: np.ndarray,
    frames: np.ndarray,
    *,
    compress: int = 1,
    block_factor: int = 20,
) -> Path:
    """An hourly L1 file: ``frames`` in the convention ``[N, y, x]`` written raw (``fliplr``).

    The frames are GZIP-compressed in blocks of records, as in the real files
    (which use level 6 and 7 records: here level 1 is faster to write). Blocks
    let a reader take a few records without inflating the whole hour.
    """
    raw = np.ascontiguousarray(frames[:, :, ::-1]).astype(np.uint16)
    _, ny, nx = raw.shape
    var = products.image_variable(site)
    unix = (times.astype("datetime64[ns]").astype(np.int64) / 1e9).astype(np.float64)
    fill16 = np.uint16(products.FILL)
    variables = {
        f"{var}_epoch": VarSpec(
            times.astype("datetime64[ns]"),
            {"CATDESC": "Epoch of start of image exposure", "FIELDNAM": f"{var}_epoch",
             "FILLVAL": -1e31, "LABLAXIS": "UT", "VAR_TYPE": "support_data"},
            cdf_type="CDF_EPOCH",
        ),
        f"{var}_time": VarSpec(
            unix, {"CATDESC": f"{var}_time, UTC, in seconds since 01-Jan-1970 00:00:00",
                   "UNITS": "sec", "VAR_TYPE": "support_data"},
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
    attrs = {
        "Project": "THEMIS",
        "Logical_source": f"thg_l1_asf_{site}",
        "Logical_file_id": Path(path).stem,
        "Data_type": "ASF>All Sky Imager, Full resolution images",
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_cdf(path, variables, global_attrs=attrs)


def write_site(
    images_root: Path,
    skymaps_root: Path,
    site: str,
    hours: list[dt.datetime],
    *,
    frames_per_hour: int = 40,
    valid_from: dt.datetime = dt.datetime(2010, 10, 1, 0, tzinfo=UTC),
    start_lat_offset: float = 2.5,
) -> dict[str, list[Path]]:
    """A skymap and hourly files of an arc drifting equatorward at 1.5 deg/hour.

    The arc starts ``start_lat_offset`` degrees north of the site at the first
    hour; frames are evenly spread over each hour.
    """
    _, lat0, lon0 = products.SITES[site]
    sky_path = write_skymap_sav(
        Path(skymaps_root) / skymap_relpath(site, valid_from), site, lat0, lon0, valid_from
    )
    sky = read_skymap(sky_path)
    lat_map = sky["latitude"].sel(altitude=110.0).values
    t0 = np.datetime64(hours[0].replace(tzinfo=None), "ns")
    step = np.timedelta64(3600 * 10**9 // frames_per_hour, "ns")
    files = []
    for hour in hours:
        start = np.datetime64(hour.replace(tzinfo=None), "ns")
        times = start + step * np.arange(frames_per_hour)
        frames = arc_frames(
            lat_map, np.concatenate([[t0], times]), start_lat=lat0 + start_lat_offset
        )[1:]
        files.append(write_asf_cdf(Path(images_root) / asf_name(site, hour), site, times, frames))
    return {"skymap": [sky_path], "images": files}
