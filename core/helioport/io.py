"""Writing loaded Datasets: NetCDF (attrs made NetCDF-safe) and wide CSV tables."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .errors import InvalidRequestError

__all__ = ["to_csv", "to_dataframe", "to_netcdf", "write"]


def _safe_attr(value):
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (str, int, float, np.integer, np.floating)):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value):
        return np.asarray(value)
    try:
        return json.dumps(value, default=str)
    except TypeError:
        return str(value)


def netcdf_safe(ds: xr.Dataset) -> xr.Dataset:
    """A copy whose attrs NetCDF can store (None → "", bools → 0/1, dicts → JSON)."""
    out = ds.copy()
    out.attrs = {k: _safe_attr(v) for k, v in ds.attrs.items()}
    for name in list(out.variables):
        out[name].attrs = {k: _safe_attr(v) for k, v in ds[name].attrs.items()}
        out[name].encoding = {}
    return out


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def to_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to NetCDF-4 atomically; times stay UTC ``datetime64``."""
    path = Path(path)
    tmp = _tmp(path)
    try:
        netcdf_safe(ds).to_netcdf(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def to_dataframe(ds: xr.Dataset) -> pd.DataFrame:
    """One column per variable component (``dc_mag_x``), rows on the union of the time bases."""
    frames = []
    for name, da in ds.data_vars.items():
        tdim = next((d for d in da.dims if np.issubdtype(ds[d].dtype, np.datetime64)), None)
        if tdim is None:
            continue
        values = da.values.reshape(da.sizes[tdim], -1)
        if da.ndim == 1:
            cols = [name]
        else:
            other = [d for d in da.dims if d != tdim]
            labels = pd.MultiIndex.from_product(
                [da[d].values if d in da.coords else range(da.sizes[d]) for d in other]
            ).to_flat_index()
            cols = [f"{name}_{'_'.join(str(x) for x in lab)}" for lab in labels]
        frames.append(
            pd.DataFrame(values, index=pd.DatetimeIndex(da[tdim].values, name="time"), columns=cols)
        )
    if not frames:
        raise InvalidRequestError("the Dataset has no time-varying variable to write as CSV")
    return pd.concat(frames, axis=1).sort_index()


def to_csv(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` as a wide CSV (ISO UTC times, NaN as empty)."""
    path = Path(path)
    tmp = _tmp(path)
    try:
        to_dataframe(ds).to_csv(tmp, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write(ds: xr.Dataset, path: str | Path) -> Path:
    """Write by extension: ``.nc`` / ``.nc4`` / ``.cdf4`` NetCDF, ``.csv`` CSV."""
    suffix = Path(path).suffix.lower()
    if suffix in (".nc", ".nc4", ".netcdf"):
        return to_netcdf(ds, path)
    if suffix == ".csv":
        return to_csv(ds, path)
    raise InvalidRequestError(f"cannot write {str(path)!r}: use a .nc (NetCDF) or .csv file name")
