"""OMNI files (HRO/hourly CDFs, OMNI2 ASCII) -> product DataArrays.

OMNI keeps one file variable (or ASCII column) per component, so every
product is built from columns with :func:`helioport.dress.from_columns`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from helioport.cdf import CdfVariable, read_merged, variable_names
from helioport.dress import from_columns, istp_attrs
from helioport.errors import DataNotFoundError
from helioport.schema import Request
from helioport.times import to_datetime64
from helioport.validation import product_frame

from . import ascii as omni2
from . import products

__all__ = ["load_product"]


def load_product(
    request: Request, product: str, family: str, paths: list[Path]
) -> xr.DataArray | xr.Dataset:
    """``product`` (or the bundle ``all``) from the files of ``family`` over the request's range."""
    if product == "all":
        names = [p.spec.name for p in products.PRODUCTS if request.mode in (p.spec.modes or [])]
    else:
        names = [product]
    if family == "ascii":
        out = _from_ascii(request, names, paths)
    else:
        out = _from_cdf(request, names, family, paths, strict=product != "all")
    if product == "all":
        return xr.Dataset(out, attrs={"product": "all"})
    return out[product]


def _columns(product: products.Product, family: str, frame: str | None) -> list[str] | None:
    """The file variables (or ASCII columns) of ``product`` in ``family``, in component order."""
    table = getattr(product, family)
    if table is None:
        return None
    if isinstance(table, str):
        return [table]
    return table[frame] if frame in table else table[product.spec.coords[0]]


def _frame(product: products.Product, request: Request) -> str | None:
    """The product's frame; in the ``all`` bundle, a product lacking the asked frame keeps its own."""
    frame = product_frame(product.spec, request)
    return frame if frame in product.spec.coords else (product.spec.coords or [None])[0]


def _duplicate(product: products.Product, cols: list[str], held: set[str]) -> bool:
    """Whether a bundle leaves ``product`` out: a column product (``by_gsm``) whose column
    another product of the bundle already holds (``dc_mag`` in GSM)."""
    return product.spec.name in products.COLUMN_NAMES and set(cols) <= held


def _from_ascii(request: Request, names: list[str], paths: list[Path]) -> dict[str, xr.DataArray]:
    """Products from OMNI2 yearly files; in a bundle (several names) a column product whose
    column the bundle already holds (``by_gse`` beside GSE ``dc_mag``) is left out."""
    frames = [omni2.read_omni2(p) for p in paths]
    df = pd.concat(frames) if len(frames) > 1 else frames[0]
    df = df[~df.index.duplicated(keep="first")].sort_index()
    idx = df.index.to_numpy()
    t0, t1 = to_datetime64(request.start), to_datetime64(request.end)
    df = df.iloc[np.searchsorted(idx, t0) : np.searchsorted(idx, t1)]
    time = df.index.to_numpy().astype("datetime64[ns]")
    out = {}
    held: set[str] = set()
    for name in names:
        product = products.BY_NAME[name]
        frame = _frame(product, request)
        cols = _columns(product, "ascii", frame)
        if cols is None or (len(names) > 1 and _duplicate(product, cols, held)):
            continue
        held.update(cols)
        fills = ", ".join(str(omni2.COLUMNS[omni2.BY_NAME[c]].fill) for c in cols)
        out[name] = from_columns(
            product.spec,
            time,
            [df[c].to_numpy() for c in cols],
            frame=frame,
            dataset=products.DATASETS["ascii"],
            source_variable=cols,
            fill_values=fills,
        )
    return out


def _from_cdf(
    request: Request, names: list[str], family: str, paths: list[Path], *, strict: bool
) -> dict[str, xr.DataArray]:
    """Products from HRO or hourly CDFs; with ``strict=False`` (``all``) products whose
    variables the files lack are left out instead of raising."""
    plan: dict[str, tuple[products.Product, str | None, list[str]]] = {}
    present = set(variable_names(paths[0])) if paths else set()
    held: set[str] = set()
    for name in names:
        product = products.BY_NAME[name]
        frame = _frame(product, request)
        cols = _columns(product, family, frame)
        if cols is None:
            continue
        if family == "h0":
            # the hourly CDFs carry each parameter on the hour and/or, suffixed 1800, on the half hour
            cols = [c if c in present or c + "1800" not in present else c + "1800" for c in cols]
        if not strict and (not set(cols) <= present or _duplicate(product, cols, held)):
            continue  # in the bundle: variables the files lack, or already held by a product
        held.update(cols)
        plan[name] = (product, frame, cols)
    wanted = sorted({c for _, _, cols in plan.values() for c in cols})
    if not wanted:
        raise DataNotFoundError(
            f"no OMNI {request.mode} variables for {', '.join(names)} in {paths[0].name}"
        )
    arrays = read_merged(paths, wanted, start=request.start, end=request.end, support=False)
    dataset = products.DATASETS[family].format(mode=(request.mode or "").upper())
    out = {}
    for name, (product, frame, cols) in plan.items():
        scale = product.scale if family == "h0" else 1.0
        columns = [
            _as_float(arrays[c]) * scale if scale != 1.0 else _as_float(arrays[c]) for c in cols
        ]
        out[name] = from_columns(
            product.spec,
            arrays[cols[0]].time,
            columns,
            frame=frame,
            dataset=dataset,
            source_variable=cols,
            **_descriptive(product, cols, [arrays[c].attrs for c in cols], frame),
        )
    return out


def _descriptive(
    product: products.Product, cols: list[str], attrs: list[dict], frame: str | None
) -> dict[str, str]:
    """The ISTP descriptive attrs of a product made of one or several file variables.

    One variable: its own. A vector: what all its variables share, and a
    ``FIELDNAM``/``CATDESC`` that describe the vector (the product and its
    frame, then each component's own ``CATDESC``), never those of its first column.

    Examples
    --------
    >>> p = products.BY_NAME["dc_mag"]
    >>> a = [{"FIELDNAM": "Bx (nT), GSE, GSM"}, {"FIELDNAM": "By (nT), GSE"},
    ...      {"FIELDNAM": "Bz (nT), GSE"}, {"FIELDNAM": "Magnitude Avg B, nT"}]
    >>> _descriptive(p, ["BX_GSE", "BY_GSE", "BZ_GSE", "F"], a, "gse")["FIELDNAM"]
    'dc_mag (GSE): BX_GSE, BY_GSE, BZ_GSE, F'
    """
    each = [istp_attrs(a) for a in attrs]
    if len(each) == 1:
        return each[0]
    shared = {k: v for k, v in each[0].items() if all(e.get(k) == v for e in each[1:])}
    labels = list(product.spec.components or [])[: len(cols)]
    where = f" ({frame.upper()})" if frame else ""
    parts = [
        f"{label}: {e.get('CATDESC') or e.get('FIELDNAM') or col}"
        for label, col, e in zip(labels, cols, each)
    ]
    shared["FIELDNAM"] = f"{product.spec.name}{where}: {', '.join(cols)}"
    shared["CATDESC"] = f"{product.spec.description}{where}; " + "; ".join(parts)
    return shared


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
