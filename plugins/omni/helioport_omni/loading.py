"""Turn OMNI files (HRO/hourly CDFs, OMNI2 ASCII) into product DataArrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from helioport.cdf import CdfVariable, read_merged, variable_names
from helioport.errors import DataNotFoundError
from helioport.schema import Request

from . import ascii as omni2
from . import products as catalog

_DATASETS = {"1min": "OMNI_HRO_1MIN", "5min": "OMNI_HRO_5MIN", "hourly": "OMNI2_H0_MRG1HR"}


def _source_vars(product: catalog.Product, source: str, frame: str | None) -> list[str] | None:
    table = getattr(product, source)
    if table is None:
        return None
    if isinstance(table, str):
        return [table]
    return table[frame] if frame in table else table[product.spec.coords[0]]


def _frame(product: catalog.Product, request: Request) -> str | None:
    if not product.spec.coords:
        return None
    return request.coords if request.coords in product.spec.coords else product.spec.coords[0]


def _build(
    product: catalog.Product,
    time: np.ndarray,
    columns: list[np.ndarray],
    source_vars: list[str],
    frame: str | None,
    dataset: str,
    extra: dict | None = None,
) -> xr.DataArray:
    spec = product.spec
    attrs = dict(extra or {})
    attrs.update(
        {
            "units": spec.units or "",
            "description": spec.description,
            "instrument": spec.instrument or "",
            "dataset": dataset,
            "source_variable": ", ".join(source_vars),
        }
    )
    if frame:
        attrs["coords"] = frame
    if spec.kind == "vector":
        labels = list(spec.components or [])[: len(columns)]
        data = np.empty((len(time), len(columns)), dtype=np.float64)
        for i, c in enumerate(columns):
            data[:, i] = c
        return xr.DataArray(
            data,
            dims=("time", "component"),
            coords={"time": time, "component": labels},
            name=spec.name,
            attrs=attrs,
        )
    return xr.DataArray(
        np.asarray(columns[0], dtype=np.float64),
        dims=("time",),
        coords={"time": time},
        name=spec.name,
        attrs=attrs,
    )


def load_ascii(request: Request, names: list[str], paths: list[Path]) -> dict[str, xr.DataArray]:
    """Products from OMNI2 yearly ASCII files, restricted to [start, end)."""
    frames = [omni2.read_omni2(p) for p in paths]
    df = pd.concat(frames) if len(frames) > 1 else frames[0]
    df = df[~df.index.duplicated(keep="first")].sort_index()
    t0 = np.datetime64(request.start.replace(tzinfo=None), "ns")
    t1 = np.datetime64(request.end.replace(tzinfo=None), "ns")
    idx = df.index.to_numpy()
    df = df.iloc[np.searchsorted(idx, t0) : np.searchsorted(idx, t1)]
    time = df.index.to_numpy().astype("datetime64[ns]")
    out = {}
    for name in names:
        product = catalog.BY_NAME[name]
        frame = _frame(product, request)
        cols = _source_vars(product, "ascii", frame)
        if cols is None:
            continue
        extra = {"fill_values": ", ".join(str(omni2.COLUMNS[omni2.BY_NAME[c]].fill) for c in cols)}
        out[name] = _build(
            product,
            time,
            [df[c].to_numpy() for c in cols],
            cols,
            frame,
            "OMNI2 hourly (low_res_omni)",
            extra,
        )
    return out


def load_cdf(
    request: Request, names: list[str], paths: list[Path], *, strict: bool = True
) -> dict[str, xr.DataArray]:
    """Products from HRO or hourly CDFs, restricted to [start, end).

    With ``strict=False`` (the ``all`` product) products whose variables a file
    lacks are left out instead of raising.
    """
    source = "h0" if request.mode == "hourly" else "hro"
    plan: dict[str, tuple[catalog.Product, str | None, list[str]]] = {}
    present = set(variable_names(paths[0])) if paths else set()
    for name in names:
        product = catalog.BY_NAME[name]
        frame = _frame(product, request)
        cols = _source_vars(product, source, frame)
        if cols is None:
            continue
        if source == "h0":
            # the hourly CDFs carry each parameter on the hour and/or, suffixed 1800, on the half hour
            cols = [c if c in present or c + "1800" not in present else c + "1800" for c in cols]
        if not strict and not set(cols) <= present:
            continue
        plan[name] = (product, frame, cols)
    wanted = sorted({c for _, _, cols in plan.values() for c in cols})
    if not wanted:
        raise DataNotFoundError(
            f"no OMNI {request.mode} variables for {', '.join(names)} in {paths[0].name}"
        )
    arrays = read_merged(paths, wanted, start=request.start, end=request.end, support=False)
    out = {}
    for name, (product, frame, cols) in plan.items():
        first = arrays[cols[0]]
        time = first.time
        scale = product.scale if source == "h0" else 1.0
        columns = [
            _as_float(arrays[c]) if scale == 1.0 else _as_float(arrays[c]) * scale for c in cols
        ]
        istp = {
            k: str(v).rstrip("\x00").strip()
            for k, v in first.attrs.items()
            if k in ("CATDESC", "FIELDNAM", "VAR_NOTES", "DICT_KEY")
        }
        out[name] = _build(product, time, columns, cols, frame, _DATASETS[request.mode], istp)
    return out


def _as_float(var: CdfVariable) -> np.ndarray:
    """Float values with the CDF fill value as NaN (integer indices such as AE_INDEX included)."""
    values = np.asarray(var.data)
    if np.issubdtype(values.dtype, np.floating):
        return values  # widened to float64 once, when the product's array is built
    out = values.astype(np.float64)
    fill = var.attrs.get("FILLVAL")
    if fill is not None:
        out[values == np.asarray(fill).astype(values.dtype)] = np.nan
    return out
