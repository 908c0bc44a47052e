"""Finding and reading THEMIS ASI files: hourly L1 CDF frames and UCalgary skymaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from helioport.cdf import read_first
from helioport.dress import dress, istp_attrs
from helioport.imaging import find_skymap_files, read_skymap, to_product
from helioport.imaging.orientation import apply, describe
from helioport.naming import TIME
from helioport.schema import RemoteFile, Request
from helioport.templates import find_files as find_template_files
from helioport.times import to_datetime64
from helioport.transport import ArchiveContext

from . import products

__all__ = ["find_files", "load_image", "load_product"]


def find_files(
    request: Request, product: str, probe: str | None, ctx: ArchiveContext
) -> list[RemoteFile]:
    """The hourly frame files over the range, or the one skymap valid at its start."""
    if product == "skymap":
        return find_skymap_files(products.SKYMAPS, request, ctx, site=probe)
    return find_template_files(products.IMAGES, request, ctx, site=probe)


def load_image(request: Request, site: str, paths: list[Path]) -> xr.DataArray:
    """Frames ``(time, y, x)`` in ``[start, end)``: uint16 kept, each raw frame ``fliplr``.

    Times come from the CDF_EPOCH variable ``thg_asf_{site}_epoch`` (start of
    exposure). The data is a view of what the files gave (no float copy); the
    fill value 65535 stays as it is and is named in ``attrs['fill_value']``.
    """
    var = read_first(paths, [products.image_variable(site)], start=request.start, end=request.end)
    frames = apply(var.data, "fliplr")
    da = xr.DataArray(frames, dims=(TIME, "y", "x"), coords={TIME: var.time})
    da.attrs = istp_attrs(var.attrs)
    spec = next(p for p in products.PRODUCTS if p.name == "image")
    return dress(
        da,
        spec,
        dataset=f"thg_l1_asf_{site}",
        source_variable=var.name,
        fill_value=products.FILL,
        site=site,
        **describe("fliplr", "L1 CDF frames"),
    )


def load_product(
    request: Request, product: str, probe: str | None, paths: list[Path]
) -> xr.DataArray | xr.Dataset:
    """``image``: the frames; ``skymap``: the skymap in force over the request.

    The skymap is time-invariant; it is stamped at the request's first,
    middle and last instant (the same arrays, broadcast) so the core's
    coverage check sees the whole range covered, as it is.
    """
    if product == "skymap":
        t0 = to_datetime64(request.start)
        t1 = to_datetime64(request.end) - np.timedelta64(1, "ns")
        times = [t0, t0 + (t1 - t0) // 2, t1]
        return to_product(read_skymap(paths[-1], mission=products.MISSION), times)
    return load_image(request, probe, paths)
