"""Product DataArrays dressed from their :class:`~helioport.schema.ProductSpec`.

A plugin's loader ends the same way for every product: the values get the
product's name, labelled dimensions (:mod:`helioport.naming`), and attrs
(``units``, ``description``, ``instrument``, ``dataset``, ``source_variable``,
``coords``) plus the archive's descriptive ISTP attributes. These helpers do
that once, for every plugin:

- :func:`dress` sets name and attrs on any DataArray;
- :func:`from_columns` builds a scalar or vector product from 1-D columns
  (OMNI-style files with one variable per component);
- :func:`from_variable` wraps a CDF variable as a scalar, vector or tensor
  product, checking its shape against the spec.

Examples
--------
>>> spec = ProductSpec(name="dc_mag", kind="vector", units="nT", components=["x", "y", "z"])
>>> t = np.array(["2010-01-01T00:00", "2010-01-01T00:01"], dtype="datetime64[ns]")
>>> da = from_columns(spec, t, [np.ones(2), np.zeros(2), np.ones(2)], frame="gse")
>>> da.dims, da.attrs["units"], da.attrs["coords"]
(('time', 'component'), 'nT', 'gse')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .cdf import CdfVariable, to_dataarray
from .errors import PluginError
from .naming import COMPONENT, TENSOR_DIMS, TIME
from .schema import ProductSpec

__all__ = ["ISTP_DESCRIPTIVE", "dress", "from_columns", "from_variable", "istp_attrs"]

#: the archive's descriptive ISTP attributes kept on a product built from columns
ISTP_DESCRIPTIVE = ("CATDESC", "FIELDNAM", "VAR_NOTES", "DICT_KEY")


def istp_attrs(attrs: Mapping[str, Any], keys: Sequence[str] = ISTP_DESCRIPTIVE) -> dict[str, str]:
    """The descriptive ISTP attributes of a CDF variable, as clean text.

    Examples
    --------
    >>> istp_attrs({"CATDESC": "IMF Bz \\x00", "FILLVAL": 9999.0})
    {'CATDESC': 'IMF Bz'}
    """
    return {k: str(attrs[k]).rstrip("\x00").strip() for k in keys if k in attrs}


def dress(
    da: xr.DataArray,
    spec: ProductSpec,
    *,
    frame: str | None = None,
    dataset: str = "",
    source_variable: str | Sequence[str] | None = None,
    **extra: Any,
) -> xr.DataArray:
    """Name ``da`` after ``spec`` and set its attrs (in place; returns ``da``).

    ``units`` keep what the file says and fall back on the spec's;
    ``description`` and ``instrument`` come from the spec; ``coords`` is the
    frame when given; ``extra`` attrs are added last.

    Examples
    --------
    >>> da = dress(xr.DataArray([1.0], dims="time"), ProductSpec(name="i_dens", units="cm^-3"))
    >>> da.name, da.attrs["units"]
    ('i_dens', 'cm^-3')
    """
    attrs = dict(da.attrs)
    if source_variable is not None and not isinstance(source_variable, str):
        source_variable = ", ".join(source_variable)
    attrs.update(
        units=attrs.get("units") or spec.units or "",
        description=spec.description,
        instrument=spec.instrument or attrs.get("instrument", ""),
        dataset=dataset or attrs.get("dataset", ""),
        source_variable=source_variable or attrs.get("source_variable", ""),
    )
    if frame:
        attrs["coords"] = frame
    attrs.update(extra)
    da.attrs = attrs
    da.name = spec.name
    return da


def from_columns(
    spec: ProductSpec,
    time: np.ndarray,
    columns: Sequence[np.ndarray],
    *,
    frame: str | None = None,
    dataset: str = "",
    source_variable: str | Sequence[str] | None = None,
    **extra: Any,
) -> xr.DataArray:
    """A scalar (one column) or vector (one column per component) product on ``time``.

    Values are float64; vector components are labelled with the spec's
    ``components`` (the first ``len(columns)`` of them).
    """
    if spec.kind == "vector":
        labels = list(spec.components or [])[: len(columns)]
        if len(labels) != len(columns):
            raise PluginError(
                f"{spec.name}: {len(columns)} columns but the spec labels {spec.components}"
            )
        data = np.empty((len(time), len(columns)), dtype=np.float64)
        for i, c in enumerate(columns):
            data[:, i] = c
        da = xr.DataArray(data, dims=(TIME, COMPONENT), coords={TIME: time, COMPONENT: labels})
    else:
        if len(columns) != 1:
            raise PluginError(f"{spec.name} is a {spec.kind}; give one column, not {len(columns)}")
        da = xr.DataArray(
            np.asarray(columns[0], dtype=np.float64), dims=(TIME,), coords={TIME: time}
        )
    return dress(da, spec, frame=frame, dataset=dataset, source_variable=source_variable, **extra)


def from_variable(
    var: CdfVariable,
    spec: ProductSpec,
    *,
    frame: str | None = None,
    dataset: str = "",
    **extra: Any,
) -> xr.DataArray:
    """A scalar, vector or tensor product from one CDF variable, its shape checked.

    Vectors are ``(time, component)`` labelled with the spec's components;
    tensors ``(time, component_1, component_2)`` with rows and columns
    labelled ``x, y, z`` (``P[i, j]`` is row ``i``, column ``j`` as in the file).

    Raises
    ------
    PluginError
        The variable has no time axis, or a shape the spec's kind cannot take.
    """
    if var.time is None:
        raise PluginError(f"{var.name} in {var.source} has no time axis (DEPEND_0)")
    shape = var.data.shape
    comps = list(spec.components or [])
    if spec.kind == "vector":
        if var.data.ndim != 2 or shape[1] > len(comps):
            raise PluginError(
                f"{var.name} has shape {shape}; {spec.name} needs [N, <= {len(comps)}] "
                f"components {comps}"
            )
        da = to_dataarray(var, time_dim=TIME, component_labels=comps[: shape[1]])
    elif spec.kind == "tensor":
        if var.data.ndim != 3 or shape[1] > len(comps) or shape[2] > len(comps):
            raise PluginError(f"{var.name} has shape {shape}; {spec.name} needs [N, 3, 3]")
        da = to_dataarray(var, time_dim=TIME, dims=list(TENSOR_DIMS))
        da = da.assign_coords(
            {TENSOR_DIMS[0]: comps[: shape[1]], TENSOR_DIMS[1]: comps[: shape[2]]}
        )
    elif spec.kind == "scalar":
        if var.data.ndim != 1:
            raise PluginError(f"{var.name} has shape {shape}; {spec.name} is a scalar per record")
        da = to_dataarray(var, time_dim=TIME)
    else:
        raise PluginError(
            f"{spec.name} is a {spec.kind}: build it with helioport.cdf.to_dataarray and dress()"
        )
    return dress(da, spec, frame=frame, dataset=dataset, source_variable=var.name, **extra)
