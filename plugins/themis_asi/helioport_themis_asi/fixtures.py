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
from helioport.imaging.fixtures import arc_frames, write_l1_imager_cdf, write_skymap_sav

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

    The layout is :func:`helioport.imaging.fixtures.write_l1_imager_cdf`'s.
    """
    return write_l1_imager_cdf(
        path,
        products.image_variable(site),
        times,
        frames,
        global_attrs={
            "Project": "THEMIS",
            "Logical_source": f"thg_l1_asf_{site}",
            "Data_type": "ASF>All Sky Imager, Full resolution images",
        },
        compress=compress,
        block_factor=block_factor,
    )


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
