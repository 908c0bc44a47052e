"""Cluster files (CDF or CEF deliveries) -> product DataArrays.

Both formats give :class:`helioport.cdf.CdfVariable` objects with the same
names (``B_vec_xyz_gse__C1_CP_FGM_SPIN``), so a product is built the same way
from either: vectors and scalars by :func:`helioport.dress.from_variable`,
the CIS-HIA distribution with its theta, phi and energy axes as coordinates.
Pieces from several files (days, or a CEF file delivered in several daily
tarballs) are merged in time without duplicate records.
"""

from __future__ import annotations

import re
from pathlib import Path

import xarray as xr
from helioport.cdf import CdfVariable, merge_variables, read_first, to_dataarray
from helioport.dress import dress, from_variable
from helioport.errors import DataNotFoundError, PluginError
from helioport.naming import variable_name
from helioport.schema import Request
from helioport.validation import product_frame

from . import products
from .cef import read_cef
from .csa import product_for

__all__ = ["load_product", "read_product_variable"]

_STAMP = re.compile(r"__\d{8}_\d{6}_\d{8}_\d{6}_(V\w+)\.(?:cdf|cef)$", re.IGNORECASE)


def read_product_variable(
    paths: list[Path], name: str, request: Request, *, support: bool = False
) -> CdfVariable:
    """``name`` from every file (CDF or CEF), over the request's range, merged in time."""
    cdfs = [p for p in paths if p.suffix.lower() == ".cdf"]
    cefs = [p for p in paths if p.suffix.lower() == ".cef"]
    pieces = []
    if cdfs:
        pieces.append(
            read_first(cdfs, [name], start=request.start, end=request.end, support=support)
        )
    for path in cefs:
        pieces.append(read_cef(path, [name], start=request.start, end=request.end)[name])
    if not pieces:
        raise DataNotFoundError(
            f"the Cluster archive delivered no file for {name} between {request.start:%Y-%m-%d %H:%M} "
            f"and {request.end:%Y-%m-%d %H:%M}; the spacecraft may have no data then"
        )
    return merge_variables(pieces)


def _distribution(var: CdfVariable, vname: str) -> xr.DataArray:
    """(time, theta_bin, phi_bin, energy_bin) in the file's axis order, the axes' values as
    coordinates ``theta_<variable>``, ``phi_<variable>``, ``energy_<variable>``."""
    roles = []
    for axis in (1, 2, 3):
        dep = var.depends.get(axis)
        hits = [r for r in ("theta", "phi", "energy") if dep is not None and r in dep.name.lower()]
        if len(hits) != 1:
            raise PluginError(
                f"{var.name}: DEPEND_{axis} ({dep.name if dep else 'none'}) is not a theta, phi or "
                "energy axis"
            )
        roles.append(hits[0])
    da = to_dataarray(var, time_dim="time", dims=[f"{r}_bin" for r in roles])
    renames = {var.depends[a].name: f"{r}_{vname}" for a, r in zip((1, 2, 3), roles)}
    return da.rename({k: v for k, v in renames.items() if k in da.coords})


def load_product(request: Request, product: str, probe: str, paths: list[Path]) -> xr.DataArray:
    """``product`` of ``probe`` from the delivered files, restricted to the request's range."""
    row = product_for(request, product)
    dataset = products.dataset_id(row, probe, request.mode)
    name = products.variable_name(row, dataset)
    frame = product_frame(row.spec, request)
    stamps = sorted({m.group(1) for p in paths if (m := _STAMP.search(p.name))})
    extra = {"file_versions": ", ".join(stamps)} if stamps else {}
    if row.spec.kind == "distribution":
        var = read_product_variable(paths, name, request, support=True)
        da = _distribution(var, variable_name(product, probe))
        return dress(da, row.spec, frame=frame, dataset=dataset, source_variable=name, **extra)
    var = read_product_variable(paths, name, request)
    return from_variable(var, row.spec, frame=frame, dataset=dataset, **extra)
