"""Read CDF variables fast and faithfully, as numpy arrays or xarray objects.

One open file per file (pycdfpp, or cdflib as fallback), only the
variables asked for (plus their ``DEPEND_0`` time and, with ``support=True``,
their ``DEPEND_1..3`` and ``LABL_PTR_1..3`` support variables), and with
``start``/``end`` only the records in ``[start, end)``: the record bounds are
found by binary search on the time variable, and only those records are kept.
Times become UTC ``datetime64[ns]`` (:mod:`helioport.epochs`), float fill
values NaN; integers stay integers (:meth:`CdfVariable.fill_mask` says where
they are fill). Reading files is :mod:`helioport.cdffile`; this module merges
pieces from many files and wraps them as xarray objects.

Examples
--------
>>> out = load_variables(paths, ["mms1_fgm_b_gse_srvy_l2"], start="2015-10-16T13:06")  # doctest: +SKIP
>>> out["mms1_fgm_b_gse_srvy_l2"].sel(component="Bx GSE")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from xarray.indexes import Index, PandasIndex

from .cdffile import (  # global_attrs, reading_session, variable_names: re-exported (see __all__)
    PathLike,
    global_attrs,
    read_variables,
    reading_session,
    variable_names,
)
from .cdfvariable import NAT, CdfVariable, plain
from .errors import DataNotFoundError

__all__ = [
    "CdfVariable",
    "global_attrs",
    "load_variables",
    "merge_variables",
    "read_first",
    "read_merged",
    "read_variables",
    "reading_session",
    "to_dataarray",
    "variable_names",
]

_NS = np.dtype("M8[ns]")


def to_dataarray(
    var: CdfVariable,
    *,
    name: str | None = None,
    time_dim: str = "time",
    component_labels: Sequence[str] | None = None,
    dims: Sequence[str] | None = None,
) -> xr.DataArray:
    """Wrap a :class:`CdfVariable` as an :class:`xarray.DataArray`.

    Dimensions: ``time_dim`` (or ``"record"`` without a time axis) first, then
    for each further axis ``i``: the name of a fixed ``DEPEND_i`` variable
    (its values as coordinate), else ``"component"`` (``"component_i"`` for
    tensors) when labels are known (``LABL_PTR_i`` or ``component_labels``),
    else ``"dim{i}"``. A time-varying ``DEPEND_i`` becomes a 2-D coordinate
    named after it.

    Parameters
    ----------
    var
        What :func:`read_variables` returned.
    name
        DataArray name (default: the variable name).
    time_dim
        Name of the record dimension when there is a time axis.
    component_labels
        Labels for axis 1, overriding ``LABL_PTR_1``.
    dims
        Names of all the non-record dimensions, overriding the rules above.

    Examples
    --------
    >>> da = to_dataarray(v, component_labels=["x", "y", "z", "tot"])  # doctest: +SKIP
    >>> da.dims, da.attrs["units"]  # doctest: +SKIP
    (('time', 'component'), 'nT')
    """
    data = var.data
    lead = 1 if var.record_varying else 0
    extra = data.ndim - lead
    labels = dict(var.labels)
    if component_labels is not None:
        labels[1] = list(component_labels)
    for axis, lab in labels.items():
        if axis > extra or len(lab) != data.shape[lead + axis - 1]:
            raise ValueError(
                f"{len(lab)} labels for axis {axis} of {var.name} with shape {data.shape}"
            )
    rec = time_dim if var.time is not None else "record"
    names: list[str] = []
    coords: dict[str, Any] = {}
    for axis in range(1, extra + 1):
        dep = var.depends.get(axis)
        if dims is not None:
            dim = dims[axis - 1]
        elif dep is not None and not dep.record_varying and dep.data.ndim == 1:
            dim = dep.name
        elif axis in labels:
            dim = "component" if extra == 1 else f"component_{axis}"
        else:
            dim = f"dim{axis}"
        names.append(dim)
        if dep is not None and dep.data.shape[-1:] == (data.shape[lead + axis - 1],):
            dep_dims = (rec,) if dep.record_varying and lead else ()
            if dep.data.ndim == len(dep_dims) + 1 and not (dep_dims and dep.name == dim):
                coords[dep.name] = (dep_dims + (dim,), dep.data, _attrs(dep))
        if axis in labels:
            coords[dim if dim not in coords else f"{dim}_label"] = ((dim,), labels[axis])
    if var.record_varying:
        names.insert(0, rec)
        if var.time is not None:
            coords[time_dim] = ((time_dim,), var.time)
    return _dataarray(data, tuple(names), coords, name or var.name, _attrs(var))


def _dataarray(
    data: np.ndarray,
    dims: tuple[str, ...],
    coords: dict[str, tuple],
    name: str,
    attrs: dict[str, Any],
) -> xr.DataArray:
    """``xr.DataArray(data, dims=dims, coords=coords, name=name, attrs=attrs)``, built directly.

    The same DataArray (variables, default indexes, coordinate order) without
    xarray's general path, which infers dimensions and copies every coordinate
    (the time index too): the arrays here were just read and belong to no one else.
    """
    sizes = dict(zip(dims, data.shape))
    if len(sizes) != len(dims) or data.ndim != len(dims):
        raise ValueError(f"dimensions {dims} do not fit {name}'s shape {data.shape}")
    variables: dict[str, xr.Variable] = {}
    indexes: dict[str, Index] = {}
    for cname, spec in coords.items():
        values = spec[1]
        if spec[0] == (cname,) and len(spec) == 2 and _is_ns_times(values):
            # a time index straight from its values (not copied: they were just read): xarray's
            # path would check each value through pandas for the variable, again for the index
            _fits(cname, spec[0], values.shape, sizes, name)
            times = _time_index(values, cname)
            # fastpath: a DatetimeIndex is what xarray's cast would keep as it is
            index = PandasIndex(times, cname, coord_dtype=values.dtype, fastpath=True)
            made = index.create_variables()
        elif spec[0] == (cname,) and len(spec) == 2 and _is_labels(values):
            _fits(cname, spec[0], (len(values),), sizes, name)
            index, shared = _label_index(cname, tuple(values))
            made = {k: v.copy(deep=False) for k, v in shared.items()}
        else:
            var = xr.Variable(*spec)
            _fits(cname, var.dims, var.shape, sizes, name)
            if var.dims != (cname,):
                variables[cname] = var
                continue
            made = {cname: var}
            index = PandasIndex.from_variables(made, options={})
            made = index.create_variables(made)
        variables.update(made)
        indexes.update(dict.fromkeys(made, index))
    # a plain numpy array of numbers or text is what xarray's checks would keep as it is
    as_is = type(data) is np.ndarray and data.dtype.kind not in "OMm"
    return xr.DataArray(
        xr.Variable(dims, data, attrs, fastpath=as_is),
        coords=variables,
        name=name,
        indexes=indexes,
        fastpath=True,
    )


def _time_index(values: np.ndarray, name: str) -> pd.DatetimeIndex:
    """``pd.DatetimeIndex(values, copy=False, name=name)`` of 1-D ``datetime64[ns]`` values.

    Made straight from the array (pandas' own constructors for an array that needs
    no conversion; a fifth of the time of the checking path), the public
    constructor when this pandas lacks them.
    """
    try:
        array = pd.arrays.DatetimeArray._simple_new(values, dtype=values.dtype)
        return pd.DatetimeIndex._simple_new(array, name=name)
    except (AttributeError, TypeError):  # pragma: no cover - a pandas without them
        return pd.DatetimeIndex(values, copy=False, name=name)


def _is_labels(values: Any) -> bool:
    return type(values) is list and all(type(v) is str for v in values)


@functools.lru_cache(maxsize=256)
def _label_index(dim: str, labels: tuple[str, ...]) -> tuple[Index, dict[str, xr.Variable]]:
    """The index of component labels on ``dim`` and its coordinate, made once per labels.

    The index is shared by the DataArrays of every file (as xarray shares one
    between the variables of a Dataset: a pandas index is immutable); each
    DataArray gets its own shallow copy of the coordinate, so an attrs change
    on one reaches no other.
    """
    var = xr.Variable((dim,), list(labels))
    made = {dim: var}
    index = PandasIndex.from_variables(made, options={})
    return index, index.create_variables(made)


def _is_ns_times(values: Any) -> bool:
    return type(values) is np.ndarray and values.ndim == 1 and values.dtype == _NS


def _fits(
    cname: str, dims: tuple, shape: tuple[int, ...], sizes: dict[str, int], name: str
) -> None:
    if any(sizes.get(d, -1) != n for d, n in zip(dims, shape)):
        raise ValueError(f"coordinate {cname} {dict(zip(dims, shape))} does not fit {name} {sizes}")


def _attrs(var: CdfVariable) -> dict[str, Any]:
    attrs = {k: plain(v) for k, v in var.attrs.items()}
    if isinstance(attrs.get("UNITS"), str):
        attrs["units"] = attrs["UNITS"].strip()
    attrs["source_variable"] = var.name
    attrs["CDF_DATA_TYPE"] = var.cdf_type
    return attrs


def merge_variables(pieces: Sequence[CdfVariable]) -> CdfVariable:
    """Concatenate one variable read from several files along time.

    Pieces are ordered by their first time; a record whose time is not after
    the last time of the pieces before it (the same sample repeated at a file
    edge, or an overlap) is dropped; the result is sorted by time.
    Non-record-varying variables come from the first piece.

    Examples
    --------
    >>> t = np.array(["2020-01-01T00:00", "2020-01-01T00:01"], "M8[ns]")
    >>> a = CdfVariable("x", np.array([1.0, 2.0]), time=t)
    >>> b = CdfVariable("x", np.array([2.0, 3.0]), time=t + np.timedelta64(1, "m"))
    >>> merge_variables([a, b]).data
    array([1., 2., 3.])
    """
    if not pieces:
        raise DataNotFoundError("no CDF variable to merge")
    first = pieces[0]
    if len(pieces) == 1 or not first.record_varying:
        return first
    if first.time is None:
        keeps = [None] * len(pieces)
        ordered = list(pieces)
    else:

        def first_time(v: CdfVariable) -> int:
            tv = v.time.view(np.int64)
            tv = tv[tv != NAT]
            return int(tv[0]) if tv.size else np.iinfo(np.int64).max

        ordered = sorted(pieces, key=first_time)
        keeps, last = [], NAT
        for v in ordered:
            tv = v.time.view(np.int64)
            keep = (tv > last) | (tv == NAT)
            keeps.append(None if keep.all() else keep)
            if tv.size:
                last = max(last, int(tv.max()))

    def cat(arrays: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([a if k is None else a[k] for a, k in zip(arrays, keeps)])

    time = cat([v.time for v in ordered]) if first.time is not None else None
    data = cat([v.data for v in ordered])
    depends = {
        i: replace(d, data=cat([v.depends[i].data for v in ordered]), time=time)
        if d.record_varying
        else d
        for i, d in first.depends.items()
    }
    if time is not None:
        tv = time.view(np.int64)
        if not bool(np.all(tv[1:] >= tv[:-1])):
            order = np.argsort(time, kind="stable")
            time, data = time[order], data[order]
            depends = {
                i: replace(d, data=d.data[order], time=time) if d.record_varying else d
                for i, d in depends.items()
            }
    if first.data is first.time:
        data = time
    return replace(
        first, data=data, time=time, depends=depends, source=";".join(v.source for v in ordered)
    )


def load_variables(
    paths: PathLike | Iterable[PathLike],
    names: str | Iterable[str],
    *,
    start: Any = None,
    end: Any = None,
    time_var: str | None = None,
    time_dim: str = "time",
    support: bool = True,
    mask_invalid: bool = False,
) -> dict[str, xr.DataArray]:
    """Load variables from many CDF files into one DataArray each, sliced to ``[start, end)``.

    Each file is read once (only the records in range); the numpy arrays are
    concatenated once per variable, edge duplicates removed and time sorted
    (:func:`merge_variables`), then wrapped by :func:`to_dataarray`.

    Parameters
    ----------
    paths
        CDF file(s), in any order.
    names, start, end, time_var, support, mask_invalid
        As :func:`read_variables`.
    time_dim
        As :func:`to_dataarray`.

    Returns
    -------
    dict
        ``{name: xarray.DataArray}``.

    Examples
    --------
    >>> das = load_variables(files, ["mms1_fgm_b_gse_srvy_l2"], start="2015-10-16", end="2015-10-17")  # doctest: +SKIP
    """
    merged = read_merged(
        paths,
        names,
        start=start,
        end=end,
        time_var=time_var,
        support=support,
        mask_invalid=mask_invalid,
    )
    return {n: to_dataarray(v, time_dim=time_dim) for n, v in merged.items()}


def read_merged(
    paths: PathLike | Iterable[PathLike],
    names: str | Iterable[str],
    *,
    start: Any = None,
    end: Any = None,
    time_var: str | None = None,
    support: bool = True,
    mask_invalid: bool = False,
) -> dict[str, CdfVariable]:
    """:func:`load_variables` without the xarray wrapping: merged numpy variables.

    For plugins that build their own DataArrays (several file variables into
    one product) and should not pay for an intermediate DataArray per variable.

    Examples
    --------
    >>> v = read_merged(files, ["BZ_GSE"], start="2010-01-01", end="2010-02-01")["BZ_GSE"]  # doctest: +SKIP
    >>> v.time.dtype, v.data.dtype  # doctest: +SKIP
    (dtype('<M8[ns]'), dtype('float32'))
    """
    files = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not files:
        raise DataNotFoundError("no CDF files given to load")
    wanted = [names] if isinstance(names, str) else list(names)
    per_file = [
        read_variables(
            f,
            wanted,
            start=start,
            end=end,
            time_var=time_var,
            support=support,
            mask_invalid=mask_invalid,
        )
        for f in files
    ]
    return {n: merge_variables([pf[n] for pf in per_file]) for n in wanted}


def read_first(
    paths: Iterable[PathLike],
    names: Sequence[str],
    *,
    start: Any = None,
    end: Any = None,
    support: bool = False,
) -> CdfVariable:
    """Read the first of ``names`` each file has, over ``[start, end)``, merged in time.

    A product's variable is often named differently across file versions
    (``mms1_fgm_b_gse_srvy_l2`` vs an older ``mms1_fgm_b_gse_srvy_l2_clean``):
    a plugin lists the names in order of preference and each file gives
    the first it holds.

    Raises
    ------
    DataNotFoundError
        A file has none of ``names`` (the message lists what it has).

    Examples
    --------
    >>> v = read_first(files, ["mms1_fgm_b_gse_srvy_l2", "mms1_fgm_b_gse_srvy_l2_clean"])  # doctest: +SKIP
    """
    pieces = []
    for path in paths:
        last: DataNotFoundError | None = None
        for name in names:
            try:
                pieces.append(
                    read_variables(path, [name], start=start, end=end, support=support)[name]
                )
                break
            except DataNotFoundError as exc:
                last = exc
        else:
            raise last if last is not None else DataNotFoundError(f"no variable to read in {path}")
    return merge_variables(pieces)
