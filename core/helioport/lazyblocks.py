"""Dask building blocks shared by lazy loads (:mod:`helioport.lazy`) and lazy derivations
(:mod:`helioport.lazyderive`): one delayed xarray block per chunk along time, joined into
dask-backed variables with the coordinates and attrs of a template."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .errors import InvalidRequestError

__all__ = ["VALUE", "as_dataset", "from_blocks", "is_lazy", "require_dask"]

#: the variable name a DataArray takes inside the Dataset of a block
VALUE = "__helioport_value__"


def is_lazy(obj: xr.Dataset | xr.DataArray) -> bool:
    """Whether any variable of ``obj`` is dask-backed (not yet read).

    Examples
    --------
    >>> is_lazy(xr.DataArray(np.zeros(3)))
    False
    """
    if isinstance(obj, xr.DataArray):
        return obj.chunks is not None
    return any(v.chunks is not None for v in obj.variables.values())


def require_dask() -> Any:
    """The ``dask`` module (with ``dask.array``), or a clear error naming what to install.

    Raises
    ------
    InvalidRequestError
        dask is not installed.
    """
    try:
        import dask
        import dask.array
    except ImportError:
        raise InvalidRequestError(
            "a lazy load (lazy=True / chunks='file') needs dask: pip install 'helioport[dask]' "
            "(or 'dask[array]'), or load eagerly"
        ) from None
    return dask


def as_dataset(value: xr.DataArray | xr.Dataset) -> xr.Dataset:
    """``value`` as a Dataset: itself, or a DataArray as the variable :data:`VALUE`.

    Examples
    --------
    >>> list(as_dataset(xr.DataArray(np.zeros(2), dims="t")).data_vars)
    ['__helioport_value__']
    """
    if isinstance(value, xr.Dataset):
        return value
    return value.to_dataset(name=VALUE)


def pick(block: xr.Dataset, name: Hashable) -> np.ndarray:
    """The values of one variable of a computed block (a task of :func:`from_blocks`)."""
    return np.asarray(block[name].values)


def from_blocks(
    template: xr.DataArray | xr.Dataset,
    tdim: Hashable,
    times: np.ndarray,
    blocks: Sequence[Any],
    sizes: Sequence[int],
    *,
    name: Hashable = None,
) -> xr.DataArray | xr.Dataset:
    """Dask-backed xarray like ``template``, along ``tdim`` the ``blocks`` one after another.

    Parameters
    ----------
    template
        What one block looks like: dimensions, dtypes, coordinates and attrs
        (its values are not used).
    tdim, times
        The time dimension and the times of all blocks together.
    blocks, sizes
        One :class:`dask.delayed.Delayed` per chunk, each computing to a
        Dataset (:func:`as_dataset`) of ``sizes[k]`` records.
    name
        The name of the result when ``template`` is a DataArray.

    Returns
    -------
    xarray.DataArray or xarray.Dataset
        Each variable along ``tdim`` one dask array, one chunk per block;
        the others (labels, fixed tables) as in the template.
    """
    dask = require_dask()
    import dask.array as dsa

    tpl = as_dataset(template)
    variables: dict[Hashable, xr.Variable] = {}
    for vname, var in tpl.variables.items():
        if vname == tdim or tdim not in var.dims:
            continue
        axis = var.dims.index(tdim)
        arrays = []
        for block, n in zip(blocks, sizes):
            shape = list(var.shape)
            shape[axis] = int(n)
            part = dask.delayed(pick, pure=False)(block, vname)
            arrays.append(dsa.from_delayed(part, tuple(shape), dtype=var.dtype))
        data = dsa.concatenate(arrays, axis=axis) if len(arrays) > 1 else arrays[0]
        variables[vname] = xr.Variable(var.dims, data, attrs=dict(var.attrs))
    coords = {n: c.variable for n, c in tpl.coords.items() if tdim not in c.dims}
    coords[tdim] = xr.Variable((tdim,), times, attrs=dict(tpl[tdim].attrs))
    coords.update({n: v for n, v in variables.items() if n not in tpl.data_vars})
    data_vars = {n: variables.get(n, tpl[n].variable) for n in tpl.data_vars}
    ds = xr.Dataset(data_vars, coords=coords, attrs=dict(tpl.attrs))
    for n in tpl.data_vars:
        ds[n].attrs = dict(tpl[n].attrs)
    if isinstance(template, xr.Dataset):
        return ds
    da = ds[VALUE]
    da.name = name if name is not None else template.name
    da.attrs = dict(template.attrs)
    return da
