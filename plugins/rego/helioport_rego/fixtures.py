"""REGO files for tests and the sample archive, in the archives' real structures.

No public REGO file could be found to test against, so every file is
generated with the structure of the real ones:

- :func:`write_rgf_cdf`: an hourly Berkeley L1 file laid out like THEMIS's
  (``thg_l1_asf_gako_2011010617_v01.cdf``) with REGO's names:
  ``clg_rgf_{site}`` CDF_UINT2 ``[N, 512, 512]`` (raw orientation: the
  ``fliplr`` of the convention), ``clg_rgf_{site}_epoch`` CDF_EPOCH,
  ``clg_rgf_{site}_time`` and ``clg_rgf_{site}_tend`` (start and end of
  integration, unix seconds), ``_column``/``_row`` and ISTP attributes;
- :func:`write_rayleighs_sav`, :func:`write_flatfield_sav`: UCalgary
  calibration files (top-level ``rper_dnpersecond_<imager>`` /
  ``flat_field_multiplier_<imager>`` and the ``author``, ``input_data_dir``,
  ``skymap_filename`` strings), names ``REGO_<kind>_<imager>_<start>-+_v02.sav``;
- :func:`write_stream0_day`: the UCalgary raw-tree day folder naming a
  site's imager (``stream0/%Y/%m/%d/{site}_rego-<imager>/ut%H/``);
- :func:`write_site`: all of it for one site, with skymaps from
  :func:`helioport.imaging.fixtures.write_skymap_sav` at 110, 230, 250 km.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from helioport.imaging import read_skymap
from helioport.imaging.fixtures import arc_frames, write_l1_imager_cdf, write_skymap_sav
from helioport.testing.savfile import write_sav

from . import products
from .calfind import imager_folder

__all__ = [
    "EXPOSURE_S",
    "calibration_name",
    "rgf_name",
    "skymap_relpath",
    "write_flatfield_sav",
    "write_rayleighs_sav",
    "write_rgf_cdf",
    "write_site",
    "write_stream0_day",
]

UTC = dt.timezone.utc
#: the generated integration time (s): ``_tend - _time`` of every frame
EXPOSURE_S = 1.9815


def rgf_name(site: str, hour: dt.datetime) -> str:
    """``thg/l1/reg/gill/2021/11/clg_l1_rgf_gill_2021110403_v01.cdf`` (below the Berkeley base)."""
    return products.IMAGES.relpath(hour, site=site).replace("{version}", "01")


def skymap_relpath(site: str, valid_from: dt.datetime, version: str = "01") -> str:
    """``gill/gill_20210101/rego_skymap_gill_20210101-+_v01.sav`` (below the skymap base)."""
    folder = valid_from.strftime(products.SKYMAPS.folder.format(site=site))
    name = valid_from.strftime(
        products.SKYMAPS.name.replace("{version}", version).format(site=site)
    )
    return folder + name


def calibration_name(kind: str, imager: str, start: dt.datetime, version: str = "02") -> str:
    """``REGO_Rayleighs_652_20141001-+_v02.sav`` (``kind``: ``Rayleighs`` or ``flatfield``)."""
    return f"REGO_{kind}_{imager}_{start:%Y%m%d}-+_v{version}.sav"


def write_rgf_cdf(
    path: Path,
    site: str,
    times: np.ndarray,
    frames: np.ndarray,
    *,
    exposure_s: float | np.ndarray | None = EXPOSURE_S,
    compress: int = 1,
    block_factor: int = 20,
) -> Path:
    """An hourly L1 file: ``frames`` in the convention ``[N, y, x]`` written raw (``fliplr``).

    The layout is :func:`helioport.imaging.fixtures.write_l1_imager_cdf`'s;
    ``exposure_s`` is one value or one per frame, ``None`` leaves out
    ``clg_rgf_{site}_tend`` (a file stating no exposure).
    """
    return write_l1_imager_cdf(
        path,
        products.image_variable(site),
        times,
        frames,
        global_attrs={
            "Project": "THEMIS",
            "Source_name": "CLG>Calgary REGO",
            "Logical_source": f"clg_l1_rgf_{site}",
            "Data_type": "RGF>REGO Full resolution images",
        },
        exposure_s=exposure_s,
        compress=compress,
        block_factor=block_factor,
    )


def _generation(imager: str) -> dict[str, str]:
    return {
        "author": "helioport.testing (generated)",
        "input_data_dir": f"/generated/rego-{imager}/",
        "skymap_filename": "",
    }


def write_rayleighs_sav(
    folder: Path, imager: str, start: dt.datetime, rper_dnpersecond: float, *, version: str = "02"
) -> Path:
    """A Rayleighs calibration file in ``folder`` (UCalgary's calibration tree)."""
    path = Path(folder) / calibration_name("Rayleighs", imager, start, version)
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {f"rper_dnpersecond_{imager}": np.float32(rper_dnpersecond), **_generation(imager)}
    return write_sav(path, content)


def write_flatfield_sav(
    folder: Path, imager: str, start: dt.datetime, flat: np.ndarray, *, version: str = "02"
) -> Path:
    """A flat-field file; ``flat`` ``[y, x]`` in the convention, written raw (``flipud``)."""
    path = Path(folder) / calibration_name("flatfield", imager, start, version)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = np.ascontiguousarray(np.asarray(flat, dtype=np.float32)[::-1, :])
    return write_sav(path, {f"flat_field_multiplier_{imager}": raw, **_generation(imager)})


def write_stream0_day(root: Path, site: str, imager: str, hours: list[dt.datetime]) -> Path:
    """The raw tree's day folder naming ``site``'s imager, with its ``utHH`` hour folders.

    Only the folder names are used (the one-minute PGM files are not written).
    """
    folder = Path(root) / hours[0].strftime("%Y/%m/%d") / imager_folder(site, imager)
    for hour in hours:
        (folder / f"ut{hour:%H}").mkdir(parents=True, exist_ok=True)
    return folder


def flat_field(size: int) -> np.ndarray:
    """A smooth vignetting correction ``[size, size]``: 1 at the centre, 1.3 at the lens edge."""
    idx = (np.arange(size) - (size - 1) / 2.0) / (size / 2.0)
    rho2 = idx[:, None] ** 2 + idx[None, :] ** 2
    return (1.0 + 0.3 * np.clip(rho2, 0.0, 1.0)).astype(np.float32)


def write_site(
    roots: dict[str, Path],
    site: str,
    hours: list[dt.datetime],
    *,
    imager: str = "652",
    frames_per_hour: int = 20,
    size: int = 512,
    valid_from: dt.datetime = dt.datetime(2014, 10, 1, tzinfo=UTC),
    rper_dnpersecond: float = 0.6,
    with_flatfield: bool = True,
    start_lat_offset: float = 3.0,
) -> dict[str, list[Path]]:
    """A skymap, hourly frames of a drifting arc, calibration files and the stream0 day.

    ``roots`` maps each source (``rego``, ``rego_skymap``,
    ``rego_calibration``, ``rego_stream0``) to its folder. The arc (at
    230 km) starts ``start_lat_offset`` degrees north of the site and drifts
    equatorward at 1.5 deg/hour; frames are evenly spread over each hour.
    """
    _, lat0, lon0 = products.SITES[site]
    sky_path = write_skymap_sav(
        Path(roots[products.SKYMAPS.source]) / skymap_relpath(site, valid_from),
        site, lat0, lon0, valid_from, size=size, project="rego",
        altitudes_km=products.ALTITUDES_KM, bin_alt_km=products.ALT_KM,
    )  # fmt: skip
    sky = read_skymap(sky_path)
    lat_map = sky["latitude"].sel(altitude=products.ALT_KM).values
    t0 = np.datetime64(hours[0].replace(tzinfo=None), "ns")
    step = np.timedelta64(3600 * 10**9 // frames_per_hour, "ns")
    files = []
    for hour in hours:
        start = np.datetime64(hour.replace(tzinfo=None), "ns")
        times = start + step * np.arange(frames_per_hour)
        frames = arc_frames(
            lat_map, np.concatenate([[t0], times]), start_lat=lat0 + start_lat_offset
        )[1:]
        path = Path(roots[products.MISSION]) / rgf_name(site, hour)
        files.append(write_rgf_cdf(path, site, times, frames))
    cal_root = Path(roots[products.CALIBRATION_SOURCE])
    cal = [write_rayleighs_sav(cal_root, imager, valid_from, rper_dnpersecond)]
    if with_flatfield:
        cal.append(write_flatfield_sav(cal_root, imager, valid_from, flat_field(size)))
    write_stream0_day(Path(roots[products.STREAM0_SOURCE]), site, imager, hours)
    return {"skymap": [sky_path], "images": files, "calibration": cal}
