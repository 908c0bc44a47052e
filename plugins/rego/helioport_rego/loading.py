"""Finding and reading REGO files: hourly L1 CDF frames, UCalgary skymaps and calibration files.

Orientation: the Berkeley REGO L1 CDFs are read as THEMIS L1 CDFs are
(``fliplr`` of each raw frame), the skymaps' and flat fields' IDL arrays
``flipud``: see :mod:`helioport.imaging.orientation` and the plugin's tests.

Exposure: the L1 CDFs of the THEMIS/REGO ground pipeline carry the start
(``<var>_time``) and the end of integration (``<var>_tend``, unix seconds)
of each frame; their difference is the exposure used for Rayleighs. A file
without them (or with NaN) falls back on REGO's nominal 2 s, with a warning
and ``exposure_source`` in attrs saying so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from helioport.cdf import read_first, read_merged
from helioport.dress import dress, istp_attrs
from helioport.errors import DataNotFoundError, warn_caller
from helioport.imaging import find_skymap_files, read_skymap, to_product
from helioport.imaging.orientation import apply, describe
from helioport.naming import TIME
from helioport.schema import RemoteFile, Request
from helioport.templates import find_files as find_template_files
from helioport.times import to_datetime64
from helioport.transport import ArchiveContext

from . import products
from .calfind import find_calibration_files
from .calibration import Calibration, read_calibration, to_rayleighs

__all__ = ["exposures", "find_files", "load_image", "load_product"]


def find_files(
    request: Request, product: str, probe: str | None, ctx: ArchiveContext
) -> list[RemoteFile]:
    """The hourly frame files over the range (and the calibration files when calibrating),
    or the one skymap valid at the start."""
    if product == "skymap":
        return find_skymap_files(products.SKYMAPS, request, ctx, site=probe)
    files = find_template_files(products.IMAGES, request, ctx, site=probe)
    if files and products.calibrate_requested(ctx.mission, request, product):
        files += find_calibration_files(request, ctx, probe)
    return files


def exposures(paths: list[Path], variable: str, request: Request, n: int) -> tuple[np.ndarray, str]:
    """Each frame's exposure (s) from ``<variable>_tend - <variable>_time``, and its source.

    The THEMIS/REGO ground L1 CDFs (Berkeley) record, per frame, the start
    (``_time``) and the end of integration (``_tend``, unix seconds); the real
    GAKO THEMIS file gives 0.98 s. Where they are missing or unusable the
    nominal REGO exposure is used, with a warning.

    Parameters
    ----------
    paths
        The hourly CDF files.
    variable
        The frames' variable (``clg_rgf_gill``).
    request
        The request whose ``[start, end)`` the frames were read over.
    n
        The number of frames read.

    Returns
    -------
    tuple
        ``[n]`` exposures in seconds, and a sentence saying where they came from.

    Examples
    --------
    >>> exposures(cdfs, "clg_rgf_gill", request, 1200)[0][:2]  # doctest: +SKIP
    array([1.9815, 1.9815])
    """
    var = variable
    try:
        got = read_merged(
            paths, [f"{var}_time", f"{var}_tend"], start=request.start, end=request.end,
            time_var=f"{var}_epoch", support=False,
        )  # fmt: skip
        end, start = (np.asarray(got[f"{var}_{k}"].data, float) for k in ("tend", "time"))
        exp = end - start
    except DataNotFoundError:
        exp = np.array([])
    per_frame = f"{var}_tend - {var}_time (end minus start of integration, per frame)"
    if exp.shape == (n,):
        bad = ~(np.isfinite(exp) & (exp > 0))
        if not bad.any():
            return exp, per_frame
        if not bad.all():  # a few frames without a usable exposure: those alone get the nominal
            warn_caller(
                f"{var}: {int(bad.sum())} of {n} frames state no usable exposure; they use the "
                f"nominal REGO {products.NOMINAL_EXPOSURE_S:g} s for Rayleighs"
            )
            return np.where(bad, products.NOMINAL_EXPOSURE_S, exp), (
                f"{per_frame}; the nominal {products.NOMINAL_EXPOSURE_S:g} s for "
                f"{int(bad.sum())} of {n} frames without one"
            )
    warn_caller(
        f"{var}: the files state no usable exposure ({var}_tend - {var}_time); using the "
        f"nominal REGO {products.NOMINAL_EXPOSURE_S:g} s for Rayleighs"
    )
    return np.full(n, products.NOMINAL_EXPOSURE_S), "nominal REGO exposure (not in the files)"


def _calibrations(paths: list[Path]) -> tuple[Calibration, Calibration | None]:
    read = [read_calibration(p) for p in paths]
    ray = [c for c in read if c.name.kind == "rayleighs"]
    flat = [c for c in read if c.name.kind == "flatfield"]
    if not ray:
        raise DataNotFoundError(
            "REGO Rayleighs need a calibration file (REGO_Rayleighs_<imager>_*.sav) and none "
            f"reached the loader (files given: {', '.join(p.name for p in paths) or 'none'}); "
            "load counts (calibrate=False) or check HELIOPORT_REGO_CALIBRATION_URL"
        )
    return ray[-1], (flat[-1] if flat else None)


def load_image(
    request: Request,
    site: str,
    paths: list[Path],
    *,
    calibrate: bool = False,
    product: str = "image",
) -> xr.DataArray:
    """Frames ``(time, y, x)`` in ``[start, end)``, each raw frame ``fliplr``.

    Counts stay ``uint16`` (a view of what the files gave, fill 65535 named
    in ``attrs['fill_value']``); with ``calibrate`` they become float32
    Rayleighs (:func:`.to_rayleighs`) and attrs state the calibration used.
    """
    cdfs = sorted(p for p in paths if p.suffix.lower() == ".cdf")
    var = read_first(cdfs, [products.image_variable(site)], start=request.start, end=request.end)
    frames = apply(var.data, "fliplr")
    extra: dict = {"fill_value": products.FILL}
    if calibrate:
        ray, flat = _calibrations([p for p in paths if p.suffix.lower() == ".sav"])
        exposure, exposure_source = exposures(cdfs, var.name, request, frames.shape[0])
        frames = to_rayleighs(
            frames, ray.rper_dnpersecond, exposure, None if flat is None else flat.flat_field
        )
        extra = {
            "units": "R",
            "calibration": "UCalgary REGO: counts minus the per-frame dark (mean of the 5x5 "
            "corner box UCalgary uses, the north-east corner here, fill left out, truncated), "
            "x flat field"
            + ("" if flat is not None else " (none available: not applied)")
            + ", x rper_dnpersecond / exposure_s",
            "imager": f"rego-{ray.name.imager}",
            "calibration_rayleighs_file": ray.file,
            "rper_dnpersecond": ray.rper_dnpersecond,
            "calibration_flatfield_file": flat.file if flat is not None else "none",
            "exposure_s": float(np.median(exposure)),
            "exposure_source": exposure_source,
        }
    da = xr.DataArray(frames, dims=(TIME, "y", "x"), coords={TIME: var.time})
    da.attrs = istp_attrs(var.attrs)
    if calibrate:
        da.attrs["units"] = "R"
    spec = next(p for p in products.PRODUCTS if p.name == product)
    return dress(
        da,
        spec,
        dataset=f"clg_l1_rgf_{site}",
        source_variable=var.name,
        site=site,
        mission=products.MISSION,
        colour="red",
        **extra,
        **describe("fliplr", "L1 CDF frames"),
    )


def load_product(
    request: Request, product: str, probe: str | None, paths: list[Path]
) -> xr.DataArray | xr.Dataset:
    """``image``/``image_rayleighs``: the frames; ``skymap``: the skymap in force over the request.

    The skymap is stamped at the request's first, middle and last instant
    (the same arrays) so the core's coverage check sees the range covered;
    its ``default_alt_km`` is 230 km (630 nm).
    """
    if product == "skymap":
        t0 = to_datetime64(request.start)
        t1 = to_datetime64(request.end) - np.timedelta64(1, "ns")
        sky = read_skymap(paths[-1], mission=products.MISSION, default_alt_km=products.ALT_KM)
        sky.attrs["colour"] = "red"
        return to_product(sky, [t0, t0 + (t1 - t0) // 2, t1])
    spec = products.mission_spec()
    calibrate = products.calibrate_requested(spec, request, product)
    return load_image(request, probe, paths, calibrate=calibrate, product=product)
